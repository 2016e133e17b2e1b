"""``participatie polls``: list polls, the one-time export of voting codes for the letters,
the tally report in every format and the published ballots file."""

from __future__ import annotations

from pathlib import Path

import click

from participatie.cli import Context, pass_ctx
from participatie.cli.options import format_option, out_option
from participatie.cli.progress import counting, progress
from participatie.config import ImportSettings
from participatie.exports.files import open_private
from participatie.imports_bounds import CSV_SUFFIXES, read_table
from participatie.polls.report import FORMATS, LANGS
from participatie.polls.schemas import LetterAddress


@click.group("polls")
def group() -> None:
    """Polls: codes for letters, tallies and published ballots."""


@group.command("list")
@click.option("--state", help="Only polls in this state (draft, open, closed, ...).")
@pass_ctx
def list_polls(ctx: Context, state: str | None) -> None:
    """List the polls with their state and rule."""

    polls = ctx.facade().polls.list(state=state)
    if not polls:
        click.echo("no polls")
    for poll in polls:
        closes = poll.closes_at.isoformat(timespec="minutes") if poll.closes_at else "-"
        click.echo(
            f"{poll.id}\t{poll.state}\t{poll.rule} ({poll.seats} seat"
            f"{'s' if poll.seats > 1 else ''})\t{poll.eligibility}\tcloses {closes}\t{poll.title}"
        )


def _read_addresses(path: Path, bounds: ImportSettings) -> list[LetterAddress]:
    if path.suffix.lower() not in CSV_SUFFIXES:
        raise click.BadParameter("give a .csv file", param_hint="--addresses")
    # Read within the import bounds, like every uploaded table.
    table = read_table(path, bounds, field="addresses")
    rows = [(number, [str(c) for c in row]) for number, row in table.rows]
    if not (table.header and table.header[-1].strip().lower() == "postcode"):
        rows.insert(0, (1, table.header))
    out = []
    for number, row in rows:
        if len(row) < 2:
            raise click.BadParameter(
                f"line {number}: expected address and postcode", param_hint="--addresses"
            )
        out.append(LetterAddress(line=row[0].strip(), postcode=row[-1].strip()))
    return out


@group.command("codes")
@click.argument("poll")
@out_option("CSV for the mail merge of the letters (Excel, semicolons), a new file.")
@click.option("--count", type=int, help="Number of households (letters without addresses).")
@click.option(
    "--addresses",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="CSV with address;postcode per household.",
)
@click.option("--actor", default="cli", show_default=True, help="Who exports (audit log).")
@pass_ctx
def codes(
    ctx: Context, poll: str, out: Path, count: int | None, addresses: Path | None, actor: str
) -> None:
    """Make the voting codes and write them ONCE, with addresses, for printing letters."""

    if out.exists():
        raise click.BadParameter(f"{out} exists already; choose a new file", param_hint="--out")
    letters = _read_addresses(addresses, ctx.facade().settings.imports) if addresses else None
    total = count if count is not None else len(letters or [])
    try:
        with progress(total, "codes") as bar, open_private(out) as raw:
            result = ctx.facade().polls.issue_codes(
                poll, counting(raw, bar, skip=1), count=count, addresses=letters, actor=actor
            )
    except Exception:
        # Nothing was stored: do not leave plaintext codes that count for nothing.
        out.unlink(missing_ok=True)
        raise
    click.echo(f"{result.issued} codes written to {out} (sha256 {result.sha256})")
    click.echo("this is the only copy of the codes: keep it safe and delete it after printing")


@group.command("tally")
@click.argument("poll")
@format_option(FORMATS, "html")
@out_option()
@click.option("--witness", help="Who witnessed a draw by lot (recorded in the report).")
@click.option(
    "--lang",
    type=click.Choice(LANGS),
    default="nl",
    show_default=True,
    help="The report's language: Dutch, or English as a rendering of its own.",
)
@pass_ctx
def tally(ctx: Context, poll: str, fmt: str, out: Path, witness: str | None, lang: str) -> None:
    """Write the tally report of a closed poll (html, csv, json, xlsx or pdf)."""

    p = ctx.facade()
    result = p.polls.tally(poll, witness=witness)
    p.polls.write_tally(result, out, fmt=fmt, lang=lang)
    winners = ", ".join(result.winners) or "-"
    click.echo(
        f"{result.ballots} ballots of {result.eligible} eligible; winners: {winners}; "
        f"written to {out}"
    )
    if result.ties:
        click.echo(f"ties: {len(result.ties)} (see the report)")


@group.command("ballots")
@click.argument("poll")
@out_option()
@pass_ctx
def ballots(ctx: Context, poll: str, out: Path) -> None:
    """Write the anonymised ballots anyone can recount (JSON) and print its SHA-256."""

    digest = ctx.facade().polls.write_ballots(poll, out)
    click.echo(f"{out}: sha256 {digest}")


@group.command("close")
@click.argument("poll")
@click.option("--actor", default="cli", show_default=True, help="Who closes (audit log).")
@pass_ctx
def close(ctx: Context, poll: str, actor: str) -> None:
    """End voting now (the job does this at the closing time)."""

    result = ctx.facade().polls.close(poll, actor=actor)
    click.echo(f"{result.id} closed at {result.closed_at}")


@group.command("reseal")
@click.argument("poll")
@click.option("--actor", default="cli", show_default=True, help="Who reseals (audit log).")
@pass_ctx
def reseal(ctx: Context, poll: str, actor: str) -> None:
    """Rewrite an ended poll's ballots and credentials so no order pairs voters with
    ballots (closing does this; for polls that ended before it did)."""

    ctx.facade().polls.reseal(poll, actor=actor)
    click.echo(f"{poll} resealed")


@group.command("mismatches")
@click.argument("poll")
@pass_ctx
def mismatches(ctx: Context, poll: str) -> None:
    """Paper ballots whose two typings differ, with who typed them."""

    found = ctx.facade().polls.paper_mismatches(poll)
    if not found:
        click.echo("no differences between typings")
    for m in found:
        state = f"resolved by {m.resolved_by}" if m.resolved_by else "waiting for a resolution"
        click.echo(
            f"sheet {m.sheet}: {m.first_staff} typed {m.first.marks}, "
            f"{m.second_staff} typed {m.second.marks}; {state}"
        )


@group.command("publish")
@click.argument("poll")
@click.option("--actor", default="cli", show_default=True, help="Who publishes (audit log).")
@click.option("--witness", help="Who witnessed a draw by lot.")
@pass_ctx
def publish(ctx: Context, poll: str, actor: str, witness: str | None) -> None:
    """Fix the result of a closed poll (refused while paper ballots wait)."""

    result = ctx.facade().polls.publish(poll, actor=actor, witness=witness)
    click.echo(
        f"published: {result.ballots} ballots, winners {', '.join(result.winners) or '-'}, "
        f"ballots sha256 {result.ballots_sha256}"
    )
