"""``participatie petitions``: the petition desk's commands (list, export, invalidate,
verify-counts).

Thin wrappers around ``p.petitions``; errors are reported by the main command.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from pathlib import Path

import click

from participatie.cli import Context, pass_ctx
from participatie.cli.options import format_option, out_option
from participatie.cli.progress import counting, progress
from participatie.errors import InvalidInput
from participatie.exports.files import open_private, write_private_bytes
from participatie.petitions.report import HANDOVER_FORMATS, public_json
from participatie.petitions.schemas import InvalidationCriteria


def _petition_id(value: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError:
        raise InvalidInput(f"{value!r} is not a petition id", field="petition") from None


@click.group("petitions")
def group() -> None:
    """Petitions: list, export for the hand-over, invalidate abuse."""


@group.command("list")
@click.option("--status", help="Only petitions in this status (open, closed, ...).")
@click.option("--hidden/--no-hidden", default=False, help="Include hidden petitions.")
@pass_ctx
def list_petitions(ctx: Context, status: str | None, hidden: bool) -> None:
    """One line per petition: id, status, verified + paper, title."""

    for petition in ctx.facade().petitions.list(status=status, include_hidden=hidden):
        click.echo(
            f"{petition.id}\t{petition.status}\t{petition.verified}+{petition.paper}\t"
            f"{petition.title}"
        )


@group.command("export")
@click.argument("petition")
@format_option(["csv", "json", *HANDOVER_FORMATS], "csv")
@out_option()
@pass_ctx
def export(ctx: Context, petition: str, fmt: str, out: Path) -> None:
    """Write the hand-over list (csv), public statistics (json) or hand-over document."""

    p = ctx.facade()
    pid = _petition_id(petition)
    if fmt == "csv":
        with progress(p.petitions.get(pid).verified, "signatures") as bar, open_private(out) as raw:
            result = p.petitions.write_signatures(pid, counting(raw, bar, skip=1))
        click.echo(f"{result.rows} signatures written to {out} (sha256 {result.sha256})")
        return
    if fmt == "json":
        write_private_bytes(out, public_json(p.petitions.public_stats(pid)))
        click.echo(f"public statistics written to {out}")
        return
    doc = p.petitions.handover_document(pid)
    p.petitions.write_handover(doc, out, fmt=fmt)
    click.echo(f"hand-over document ({doc.total} signatures, list sha256 {doc.sha256}) -> {out}")


@group.command("invalidate")
@click.argument("petition")
@click.option("--ip", help="Signatures from this IP address.")
@click.option("--subnet", help="Signatures from the /24 (or /48) of this address.")
@click.option("--domain", help="Signatures with an e-mail address at this domain.")
@click.option("--area", help="Signatures from this area (wijk code).")
@click.option("--since", type=click.DateTime(), help="Signed at or after (UTC).")
@click.option("--until", type=click.DateTime(), help="Signed before (UTC).")
@click.option(
    "--status",
    "statuses",
    multiple=True,
    type=click.Choice(["pending", "verified", "fraudulent"]),
    help="States to hit (default: pending and verified).",
)
@click.option("--everything", is_flag=True, help="Every signature of the petition.")
@click.option("--preview", is_flag=True, help="Only show how many signatures it would hit.")
@click.option("--confirm", "expected", type=int, help="Invalidate; give the preview's total.")
@click.option("--reason", default="", help="Why (recorded in the audit log).")
@click.option("--actor", default="cli", show_default=True)
@pass_ctx
def invalidate(
    ctx: Context,
    petition: str,
    ip: str | None,
    subnet: str | None,
    domain: str | None,
    area: str | None,
    since: datetime | None,
    until: datetime | None,
    statuses: tuple[str, ...],
    everything: bool,
    preview: bool,
    expected: int | None,
    reason: str,
    actor: str,
) -> None:
    """Bulk invalidation in two steps: --preview, then --confirm N with the same criteria."""

    from datetime import UTC

    criteria = InvalidationCriteria.model_validate(
        {
            "ip": ip,
            "subnet": subnet,
            "domain": domain,
            "area": area,
            "since": since.replace(tzinfo=UTC) if since else None,
            "until": until.replace(tzinfo=UTC) if until else None,
            "everything": everything,
            **({"statuses": list(statuses)} if statuses else {}),
        }
    )
    p = ctx.facade()
    pid = _petition_id(petition)
    if preview or expected is None:
        shown = p.petitions.preview_invalidation(pid, criteria)
        parts = ", ".join(f"{k} {v}" for k, v in sorted(shown.by_status.items()))
        click.echo(f"would invalidate {shown.total} signatures ({parts})")
        click.echo(f"to do it: repeat with --confirm {shown.total} --reason '...'")
        return
    result = p.petitions.invalidate(
        pid, criteria, actor=actor, expected_total=expected, reason=reason
    )
    click.echo(f"invalidated {result.invalidated} signatures")


@group.command("verify-counts")
@click.argument("petition")
@pass_ctx
def verify_counts(ctx: Context, petition: str) -> None:
    """Compare the verified counter with the signatures; exit code 1 on a drift."""

    check = ctx.facade().petitions.verify_counts(_petition_id(petition))
    if check.error is None:
        click.echo(f"ok: counter {check.counter}, verified signatures {check.rows}")
        return
    click.echo(f"{check.error.code}: {check.error.message}")
    raise SystemExit(1)
