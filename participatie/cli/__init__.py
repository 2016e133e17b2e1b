"""The ``participatie`` command. Only this package imports the CLI toolkit (click).

Each feature module adds its group from ``participatie/cli/<module>.py`` (attribute
``group``), so the command grows with the library without a central list to edit.
"""

from __future__ import annotations

import importlib
import json
import logging
import os
import signal
import sys
import threading
import traceback
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType
from typing import Any

import click
from alembic.util.exc import CommandError
from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError, NoSuchModuleError

from participatie.cli.options import out_option
from participatie.clock import FixedClock
from participatie.config import Settings
from participatie.db import make_engine
from participatie.engine import Participatie
from participatie.errors import ParticipatieError
from participatie.exports.files import open_private
from participatie.infra import explain
from participatie.outbox import DeliveryReport
from participatie.outbox.mailers import FolderMailer

#: Address of the resident pages in the files `participatie demo` writes.
DEMO_URL = "https://meedoen.gemeente.example"
#: The organisation of the demo's real cases (each field unless set in the environment).
DEMO_ORGANISATION = {
    "name": "Gemeente Groningen",
    "postal_address": "Postbus 30026; 9700 RM Groningen",
    "website": "https://gemeente.groningen.example",
}

MODULES = ("polls", "petitions", "reactions", "subscriptions", "web")


def demo_organisation() -> dict[str, str]:
    """The demo's organisation (``demo`` and ``serve --demo`` alike): Groningen's, as its
    cases are; each ``PARTICIPATIE_ORGANISATION__*`` set by the caller wins."""

    return {
        key: value
        for key, value in DEMO_ORGANISATION.items()
        if f"PARTICIPATIE_ORGANISATION__{key.upper()}" not in os.environ
    }


class Context:
    def __init__(self, database_url: str | None, verbose: bool = False) -> None:
        self.database_url = database_url
        self.verbose = verbose
        self._p: Participatie | None = None
        self._schema_engine: Engine | None = None

    def settings(self, **extra: Any) -> Settings:
        overrides: dict[str, Any] = dict(extra)
        if self.database_url:
            overrides["database_url"] = self.database_url
        return Settings.load(**overrides)

    def facade(self) -> Participatie:
        if self._p is None:
            self._p = Participatie(self.settings())
        return self._p

    def schema_engine(self) -> Engine:
        """An engine for the migration commands, which need no secret key."""

        if self._schema_engine is None:
            overrides: dict[str, Any] = {}
            if self.database_url:
                overrides["database_url"] = self.database_url
            settings = Settings.for_schema(**overrides)
            self._schema_engine = make_engine(
                settings.database_url,
                sqlite_synchronous=settings.sqlite_synchronous,
                sqlite_busy_timeout_ms=settings.sqlite_busy_timeout_ms,
            )
        return self._schema_engine

    def url(self) -> str:
        """The database URL in use (for messages; mask it before printing)."""

        if self.database_url:
            return self.database_url
        try:
            return Settings.for_schema().database_url
        except ParticipatieError:
            return "(unknown)"


pass_ctx = click.make_pass_decorator(Context)


class Cli(click.Group):
    """Turns library errors and infrastructure problems (a database that does not answer,
    a missing driver or extra, tables never created) into one clear line and exit
    status 2; ``-v`` shows the traceback as well.
    """

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except ParticipatieError as exc:
            self._fail(ctx, f"error: {exc.message} [{exc.code}]")
        except (DBAPIError, NoSuchModuleError, ModuleNotFoundError) as exc:
            obj = ctx.obj if isinstance(ctx.obj, Context) else None
            line = explain(exc, obj.url() if obj else None)
            if line is None:
                raise
            self._fail(ctx, f"error: {line}")
        except OSError as exc:  # a file to read or write: name it and the reason
            name = f" {exc.filename}" if exc.filename else ""
            self._fail(ctx, f"error: cannot use{name}: {exc.strerror or exc}")
        except CommandError as exc:  # alembic's: an unknown revision, say
            self._fail(ctx, f"error: {exc}")

    @staticmethod
    def _fail(ctx: click.Context, line: str) -> None:
        obj = ctx.obj if isinstance(ctx.obj, Context) else None
        if obj is not None and obj.verbose:
            traceback.print_exc()
        click.echo(line, err=True)
        ctx.exit(2)


@click.group(cls=Cli)
@click.option(
    "--database-url",
    envvar="PARTICIPATIE_DATABASE_URL",
    help="SQLAlchemy URL of the database (default: sqlite:///participatie.db).",
)
@click.option("-v", "--verbose", is_flag=True, help="Log what happens.")
@click.version_option(package_name="participatie")
@click.pass_context
def main(ctx: click.Context, database_url: str | None, verbose: bool) -> None:
    """participatie: polls, petitions and reactions for a gemeente."""

    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING)
    ctx.obj = Context(database_url, verbose)


# -- db -----------------------------------------------------------------------------


@main.group()
def db() -> None:
    """Schema migrations (the library's own Alembic history). No secret key needed."""


@db.command("upgrade")
@click.argument("revision", default="head")
@pass_ctx
def db_upgrade(ctx: Context, revision: str) -> None:
    """Upgrade the library's tables to REVISION (default: head).

    A SQLite database file is created when missing; its folder must exist.
    """

    from participatie import migrations

    engine = ctx.schema_engine()
    migrations.upgrade(engine, revision)
    click.echo(f"database at {migrations.current(engine)}")


@db.command("downgrade")
@click.argument("revision")
@pass_ctx
def db_downgrade(ctx: Context, revision: str) -> None:
    """Downgrade the library's tables to REVISION (``base`` removes them all; data in
    dropped tables and columns is lost)."""

    from participatie import migrations

    engine = ctx.schema_engine()
    migrations.downgrade(engine, revision)
    click.echo(f"database at {migrations.current(engine) or 'base (no participatie tables)'}")


@db.command("history")
def db_history() -> None:
    """List the library's revisions, newest first (needs no database)."""

    from participatie import migrations

    for line in migrations.history():
        click.echo(line)


@db.command("current")
@pass_ctx
def db_current(ctx: Context) -> None:
    """Show the revision the database is at."""

    from participatie import migrations

    rev = migrations.current(ctx.schema_engine())
    click.echo(rev or "(empty: no participatie tables)")


@db.command("check")
@pass_ctx
def db_check(ctx: Context) -> None:
    """Compare the database with the models; exit 1 on any difference."""

    from participatie import migrations

    result = migrations.check(ctx.schema_engine())
    if result.current is None:
        click.echo("the database has no participatie tables: run `participatie db upgrade`")
        sys.exit(1)
    if result.current != result.head:
        click.echo(f"database at {result.current}, head is {result.head}")
    for diff in result.differences:
        click.echo(f"difference: {migrations.describe(diff)}")
    if not result.ok:
        sys.exit(1)
    click.echo(f"database at {result.head}: no difference with the models")


# -- outbox -------------------------------------------------------------------------


@main.group()
def outbox() -> None:
    """The e-mail outbox."""


#: Exit status of ``outbox deliver`` when the mail server could not be reached at all
#: (refused, TLS, login) and nothing was sent.
EXIT_MAIL_SERVER_UNAVAILABLE = 3


@outbox.command("deliver")
@click.option("--limit", default=100, show_default=True, help="At most this many messages.")
@pass_ctx
def outbox_deliver(ctx: Context, limit: int) -> None:
    """Send the messages that are due, once.

    Exit status: 0 when the server was reached (messages it refused for now are retried
    later), 2 on invalid settings, 3 when the mail server could not be reached at all
    (connection refused, TLS or login failing) and nothing was sent.
    """

    from participatie.cli.progress import progress

    p = ctx.facade()
    due = p.outbox.counts()["pending"]
    report = DeliveryReport()
    with progress(min(due, limit), "messages") as bar:
        # In a terminal, batches of 10 so the bar moves (the same claims and outcomes);
        # elsewhere one batch of --limit, as always.
        step = min(10, limit) if bar.shown else limit
        while report.claimed < limit:
            size = min(step, limit - report.claimed)
            batch = p.outbox.deliver(size)
            report.add(batch)
            bar.advance(batch.claimed)
            if batch.claimed < size or batch.unavailable is not None:
                break
    click.echo(_summary(report))
    if report.unavailable is not None:
        click.echo(f"error: mail server unavailable: {report.unavailable}", err=True)
        if report.sent == 0:
            sys.exit(EXIT_MAIL_SERVER_UNAVAILABLE)


def _summary(report: DeliveryReport) -> str:
    text = (
        f"claimed {report.claimed}, sent {report.sent}, retry later {report.retried}, "
        f"failed {report.failed}"
    )
    if report.unknown:
        text += f", outcome unknown {report.unknown}"
    if report.released:
        text += f", released {report.released}"
    return text


@outbox.command("work")
@click.option("--batch", default=100, show_default=True)
@click.option("--idle", default=5.0, show_default=True, help="Seconds to wait when idle.")
@pass_ctx
def outbox_work(ctx: Context, batch: int, idle: float) -> None:
    """Keep delivering until SIGTERM or SIGINT.

    On the signal the message in hand is finished, the rest of the batch is released for
    other deliverers at once, and the command exits 0.
    """

    stop = threading.Event()

    def handle(signum: int, frame: FrameType | None) -> None:
        click.echo(f"received {signal.Signals(signum).name}, stopping", err=True)
        stop.set()

    signal.signal(signal.SIGTERM, handle)
    signal.signal(signal.SIGINT, handle)
    p = ctx.facade()
    click.echo("delivering; stop with Ctrl-C or SIGTERM", err=True)
    state: dict[str, str | None] = {"unavailable": None}
    from participatie.cli.progress import interactive

    # In a terminal, one line on stderr keeps the running totals; in a log, nothing.
    live = interactive()
    running = DeliveryReport()

    def on_report(report: DeliveryReport) -> None:
        running.add(report)
        if live:
            click.echo("\r\033[K", nl=False, err=True)
        # Say it once when the server cannot be reached, and once when it can again.
        if report.unavailable is not None and report.unavailable != state["unavailable"]:
            click.echo(f"error: mail server unavailable: {report.unavailable}", err=True)
        elif report.unavailable is None and state["unavailable"] and report.sent:
            click.echo("mail server reachable again", err=True)
        if report.unavailable is not None or report.sent:
            state["unavailable"] = report.unavailable
        if live:
            click.echo(f"delivering: {_summary(running)}", nl=False, err=True)

    total = p.outbox.work(stop=stop, batch=batch, idle_seconds=idle, on_report=on_report)
    if live:
        click.echo("\r\033[K", nl=False, err=True)
    click.echo(f"stopped: {_summary(total)}")


@outbox.command("status")
@pass_ctx
def outbox_status(ctx: Context) -> None:
    """Count messages per status (and say on stderr when the server cannot be reached)."""

    p = ctx.facade()
    click.echo(json.dumps(p.outbox.counts(), sort_keys=True))
    held, reason = p.outbox.unavailable()
    if held:
        click.echo(
            f"warning: {held} message(s) wait because the mail server could not be "
            f"reached: {reason}",
            err=True,
        )


# -- jobs ---------------------------------------------------------------------------


@main.group()
def jobs() -> None:
    """Due work: deadlines, reminders, purges."""


@jobs.command("run")
@click.option("--only", help="Run just this job.")
@pass_ctx
def jobs_run(ctx: Context, only: str | None) -> None:
    """Run every job that is due (call this every minute)."""

    for run in ctx.facade().jobs.run_due(only=only):
        click.echo(run.describe())


@jobs.command("list")
@pass_ctx
def jobs_list(ctx: Context) -> None:
    """List the registered jobs."""

    for job in ctx.facade().jobs.registered:
        click.echo(f"{job.name}\tevery {job.every}\t{job.description}")


# -- audit --------------------------------------------------------------------------


@main.group()
def audit() -> None:
    """The hash-chained audit log."""


@audit.command("verify")
@pass_ctx
def audit_verify(ctx: Context) -> None:
    """Check the chain; exit 1 and name the first bad event when it is broken."""

    result = ctx.facade().audit.verify()
    if result.ok:
        click.echo(f"audit log intact: {result.checked} events")
        return
    click.echo(f"audit log broken at event {result.first_bad_seq}: {result.reason}")
    sys.exit(1)


@audit.command("export")
@out_option()
@pass_ctx
def audit_export(ctx: Context, out: Path) -> None:
    """Write the events as JSON lines."""

    from sqlalchemy import func, select

    from participatie.audit import AuditEventRow
    from participatie.cli.progress import counting, progress

    p = ctx.facade()
    with p.session_scope(readonly=True) as s:
        events = int(s.execute(select(func.count()).select_from(AuditEventRow)).scalar_one())
    with progress(events, "events") as bar, open_private(out) as raw:
        count = p.audit.write_events(counting(raw, bar))
    click.echo(f"{count} events written to {out}")


# -- demo ---------------------------------------------------------------------------


@main.command()
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("participatie-demo"),
    show_default=True,
    help="Folder for the demo database, mail and outputs. An earlier demo output is "
    "emptied first; any other existing folder is refused unless --force.",
)
@click.option("--force", is_flag=True, help="Empty --out even if the demo did not write it.")
def demo(out: Path, force: bool) -> None:
    """Run the real cases end to end on a fresh SQLite database and write the outputs."""

    from participatie.cli.progress import progress
    from participatie.demo import CASES, prepare_output, run_demo

    prepare_output(out, force=force)
    # The outputs are files, not a server: links in them use an https address (as a
    # deployment's would, and as RFC 8058 one-click unsubscribe requires) unless set.
    base: dict[str, Any] = (
        {} if os.environ.get("PARTICIPATIE_PUBLIC_BASE_URL") else {"public_base_url": DEMO_URL}
    )
    base["organisation"] = demo_organisation()
    settings, generated = Settings.for_demo(
        database_url=f"sqlite:///{out / 'participatie.db'}",
        sqlite_synchronous="NORMAL",
        **base,
    )
    if generated:
        click.echo("no PARTICIPATIE_SECRET_KEYS set: generated a throw-away key for the demo")
    clock = FixedClock(datetime(2026, 3, 2, 8, 0, tzinfo=UTC))
    mailer = FolderMailer(out / "mail", from_name=settings.organisation.name)
    p = Participatie(settings, clock=clock, mailer=mailer)
    try:
        with progress(len(CASES) + 1, "demo") as bar:

            def echo(line: str) -> None:
                # Each case starts with "== name =="; the last line names the outputs.
                if line.startswith("== ") or line.startswith("outputs in "):
                    bar.advance()
                bar.echo(line)

            run_demo(p, out, clock, echo)
    finally:
        p.dispose()


def _register_modules() -> None:
    for name in MODULES:
        try:
            module = importlib.import_module(f"participatie.cli.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"participatie.cli.{name}":
                raise
            continue
        main.add_command(module.group)


_register_modules()
