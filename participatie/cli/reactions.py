"""``participatie reactions``: dossiers, the nota van beantwoording, the letters, the archive
package, overdue reactions and the bulk import of paper reactions from the command line.
"""

from __future__ import annotations

from pathlib import Path

import click

from participatie.cli import Context, pass_ctx
from participatie.cli.options import folder_option, format_option, out_option
from participatie.reactions.report import FORMATS as NOTA_FORMATS


@click.group("reactions")
def group() -> None:
    """Reactions: dossiers, intake, answers and the nota van beantwoording."""


@group.command("list")
@pass_ctx
def list_dossiers(ctx: Context) -> None:
    """List the dossiers with their status and number of reactions."""

    dossiers = ctx.facade().reactions.list_dossiers()
    if not dossiers:
        click.echo("no dossiers")
        return
    for d in dossiers:
        click.echo(
            f"{d.id}\t{d.status}\tround {d.round}\tuntil {d.period_end.isoformat()}\t"
            f"{d.reactions} reactions\t{d.title}"
        )


@group.command("nota")
@click.argument("dossier")
@format_option(NOTA_FORMATS, "html")
@click.option("--internal", is_flag=True, help="Add the annex of submitters (not public).")
@click.option("--round", "round_", type=int, help="Round number (default: the current one).")
@out_option()
@pass_ctx
def nota(
    ctx: Context, dossier: str, fmt: str, internal: bool, round_: int | None, out: Path
) -> None:
    """Write the nota van beantwoording of DOSSIER (id or exact title)."""

    p = ctx.facade()
    found = p.reactions.find_dossier(dossier)
    digest = p.reactions.write_nota(found.id, out, fmt=fmt, internal=internal, round=round_)
    kind = "internal" if internal else "public"
    click.echo(f"{kind} nota of {found.title!r} written to {out} (sha256 {digest})")


@group.command("letters")
@click.argument("dossier")
@click.option(
    "--kind",
    type=click.Choice(["acknowledgement", "delay", "feedback"]),
    help="Only letters of this kind (default: every waiting letter).",
)
@click.option("--pdf/--no-pdf", default=True, show_default=True, help="Also the PDF.")
@folder_option("A new or empty folder for the letters, or a .zip file for one ZIP archive.")
@click.option("--actor", default="cli", show_default=True, help="Who prints (audit log).")
@pass_ctx
def letters(ctx: Context, dossier: str, kind: str | None, pdf: bool, out: Path, actor: str) -> None:
    """Print the letters waiting for submitters with only a postal address."""

    p = ctx.facade()
    found = p.reactions.find_dossier(dossier)
    batch = p.reactions.write_letters(found.id, out, kind=kind, pdf=pdf, actor=actor)
    click.echo(f"{batch.letters} letters written to {out}")


@group.command("archive")
@click.argument("dossier")
@folder_option("A new or empty folder for the package, or a .zip file for one ZIP archive.")
@click.option("--actor", default="cli", show_default=True, help="Who archives (audit log).")
@pass_ctx
def archive(ctx: Context, dossier: str, out: Path, actor: str) -> None:
    """Write the archive package of DOSSIER (Archiefwet) with its SHA-256 manifest."""

    p = ctx.facade()
    found = p.reactions.find_dossier(dossier)
    manifest = p.reactions.write_archive(found.id, out, actor=actor)
    click.echo(f"{len(manifest.files)} files written to {out}")


@group.command("overdue")
@click.option("--dossier", help="Only this dossier (id or exact title).")
@pass_ctx
def overdue(ctx: Context, dossier: str | None) -> None:
    """List reactions past their acknowledgement or answer date, worst first."""

    p = ctx.facade()
    dossier_id = p.reactions.find_dossier(dossier).id if dossier else None
    items = p.reactions.overdue(dossier_id)
    if not items:
        click.echo("nothing overdue")
        return
    for i in items:
        click.echo(
            f"level {i.level}\t{i.days_overdue} days\t{i.kind}\tdue {i.due.isoformat()}\t"
            f"reaction {i.number}\t{i.dossier_title}"
        )
    click.echo(f"{len(items)} overdue")


@group.command("import")
@click.argument("dossier")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--actor", default="cli", show_default=True, help="Who typed the reactions in.")
@click.option("--channel", default="paper", show_default=True, help="Default channel.")
@pass_ctx
def import_file(ctx: Context, dossier: str, file: Path, actor: str, channel: str) -> None:
    """Import reactions into DOSSIER from a CSV or XLSX FILE; bad rows are listed."""

    from contextlib import ExitStack

    from participatie.cli.progress import Progress, progress

    p = ctx.facade()
    found = p.reactions.find_dossier(dossier)
    with ExitStack() as stack:
        bar: list[Progress] = []

        def step(done: int, total: int) -> None:
            # The number of rows is known once the file is read: the bar starts then.
            if not bar:
                bar.append(stack.enter_context(progress(total, "rows")))
            bar[0].advance(1)

        report = p.reactions.import_file(
            found.id, file, actor=actor, channel=channel, progress=step
        )
    for error in report.errors:
        field = f" [{error.field}]" if error.field else ""
        click.echo(f"row {error.row}{field}: {error.reason}", err=True)
    click.echo(f"imported {report.imported} of {report.rows} rows; {len(report.errors)} refused")
    if report.errors:
        raise SystemExit(1)
