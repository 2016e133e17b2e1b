"""``participatie subscriptions``: queue the digests that are due, mail urgent events,
and show the subscriber counts per wijk and topic (no addresses)."""

from __future__ import annotations

import click

from participatie.cli import Context, pass_ctx


@click.group("subscriptions")
def group() -> None:
    """Subscriptions: digests of what happens in the wijken residents follow."""


@group.command("digest")
@click.option(
    "--frequency", type=click.Choice(["daily", "weekly"]), help="Only this digest (default: both)."
)
@click.option("--force", is_flag=True, help="Send now, whatever the hour or day.")
@pass_ctx
def digest(ctx: Context, frequency: str | None, force: bool) -> None:
    """Queue the digests that are due (also the job ``subscriptions.digest``)."""

    p = ctx.facade()
    runs = p.subscriptions.digest(frequency=frequency, force=force)  # type: ignore[arg-type]
    if not runs:
        click.echo("no digest is due")
    for run in runs:
        click.echo(f"{run.period}: {run.queued} digests queued for {run.subscribers} subscribers")
    urgent = p.subscriptions.send_urgent()
    if urgent:
        click.echo(f"{urgent} urgent mails queued")


@group.command("stats")
@pass_ctx
def stats(ctx: Context) -> None:
    """Subscribers per wijk and topic."""

    result = ctx.facade().subscriptions.stats()
    click.echo(f"{result.subscribers} subscribers ({result.daily} daily, {result.weekly} weekly)")
    for row in result.rows:
        click.echo(f"{row.target}\t{row.topic}\t{row.subscribers}")
