"""``participatie serve``: the web app under uvicorn for trying it locally, with mail
delivered into a folder (so a confirmation link can be clicked) and due jobs running.
"""

from __future__ import annotations

import inspect
import os
import socket
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click

from participatie.clock import Clock, FixedClock, SystemClock
from participatie.config import Settings
from participatie.engine import Participatie
from participatie.errors import ConfigurationError
from participatie.infra import mask_url
from participatie.outbox.mailers import FolderMailer, Mailer

#: Where the demo's story starts (the same moment as ``participatie demo``).
DEMO_START = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
#: The moment ``serve --demo``'s server clock starts from: after the end of every demo
#: case's story (the consultation's answers go out in May 2026), so the finished cases lie
#: in the past and the open ones, made first, stay open for weeks.
DEMO_NOW = datetime(2026, 7, 1, 8, 0, tzinfo=UTC)
#: Share of the petition and consultation cases ``serve --demo`` loads by default, so
#: the server answers within seconds; ``--full-demo`` loads everything.
DEMO_SCALE = 0.1


class ShiftedClock:
    """Real time, moved so that "now" starts where the demo's fixed clock ended.

    The demo's deadlines lie around its own dates; served under the wall clock they
    would all be past. Shifting keeps them open while time still moves on.
    """

    def __init__(self, start: datetime, real: Clock | None = None) -> None:
        self._real = real or SystemClock()
        self._offset = start - self._real.now()

    def now(self) -> datetime:
        return self._real.now() + self._offset


def _check_port(host: str, port: int) -> None:
    """Refuse a port another program listens on before anything is emptied or loaded."""

    try:
        socket.create_server((host, port)).close()
    except OSError as exc:
        raise ConfigurationError(
            f"cannot listen on {host}:{port}: {exc.strerror or exc}; choose another --port",
            field="port",
        ) from None


class DemoLoad:
    """``serve --demo``: the open cases at once, the finished ones in the background."""

    def __init__(self, folder: Path, settings: Settings, scale: float) -> None:
        self.folder = folder
        self.settings = settings
        self.scale = scale
        self.mail_dir = folder / "mail"

    @classmethod
    def prepare(cls, folder: Path, base_url: str, force: bool, full: bool) -> DemoLoad:
        from participatie.cli import demo_organisation
        from participatie.demo import prepare_output

        prepare_output(folder, force=force)
        settings, generated = Settings.for_demo(
            database_url=f"sqlite:///{(folder / 'participatie.db').resolve()}",
            sqlite_synchronous="NORMAL",
            public_base_url=base_url,
            organisation=demo_organisation(),
        )
        if generated:
            click.echo("no PARTICIPATIE_SECRET_KEYS set: generated a throw-away key for the demo")
        return cls(folder, settings, 1.0 if full else DEMO_SCALE)

    def open_first(self, p: Participatie) -> str:
        """Seed the wijken and make the open poll, petition and dossier; the notice."""

        from participatie.demo import seed_areas
        from participatie.demo_open import open_cases

        seed_areas(p)
        return open_cases(p, click.echo).notice()

    def run(self, jobs_ready: threading.Event) -> None:
        """Load the finished cases under their own fixed clock, then let the server's
        jobs run (``jobs_ready``); mail is delivered all along."""

        from participatie.demo import run_demo

        if self.scale < 1:
            click.echo(
                f"loading the finished demo cases at {self.scale:.0%} of their size in the "
                "background (--full-demo loads all of it; `participatie demo` writes the "
                "full outputs)"
            )
        started = time.monotonic()
        demo_clock = FixedClock(DEMO_START)
        loader = Participatie(self.settings, clock=demo_clock, mailer=FolderMailer(self.mail_dir))
        try:
            run_demo(loader, self.folder, demo_clock, click.echo, scale=self.scale, prepared=True)
            # Mail the demo queued is written now, so the folder shows it from the start.
            loader.outbox.deliver(1000)
            if demo_clock.now() >= DEMO_NOW:
                click.echo("warning: the demo's story ran past the server's clock", err=True)
            click.echo(f"demo loaded in {time.monotonic() - started:.1f} s")
        except Exception as exc:  # keep serving the open cases; say what went wrong
            click.echo(f"loading the demo failed: {exc}", err=True)
        finally:
            loader.dispose()
            jobs_ready.set()


def _background(
    p: Participatie,
    stop: threading.Event,
    deliver: bool = True,
    jobs_ready: threading.Event | None = None,
    every: float = 2.0,
) -> None:
    """Deliver the outbox (when ``deliver``) and run due jobs (once ``jobs_ready`` is set)
    until told to stop."""

    next_jobs = 0.0
    while not stop.is_set():
        try:
            if deliver:
                p.outbox.deliver(100)
            if (jobs_ready is None or jobs_ready.is_set()) and time.monotonic() >= next_jobs:
                p.jobs.run_due()
                next_jobs = time.monotonic() + 60.0
        except Exception as exc:  # keep serving; say what went wrong
            click.echo(f"background work failed: {exc}", err=True)
        stop.wait(every)


@click.command("serve")
@click.option("--demo", is_flag=True, help="First load the demo cases into a fresh database.")
@click.option(
    "--full-demo",
    is_flag=True,
    help="With --demo: load the cases at their real size (4,600 signers, 1,000 reactions; "
    "about a minute) instead of a tenth of it (a few seconds).",
)
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, type=int, help="Port to listen on.")
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="With --demo: folder for the demo database and mail (default participatie-demo; "
    "an earlier demo output is emptied, any other existing folder refused unless --force).",
)
@click.option("--force", is_flag=True, help="With --demo: empty --out even if not a demo output.")
@click.option(
    "--mail-folder",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Write mail as .eml files into this folder instead of sending it (for trying "
    "things out; residents then receive nothing).",
)
@click.option(
    "--workers",
    default=1,
    show_default=True,
    type=click.IntRange(1, 64),
    help="Server processes sharing the port and the database (not with --demo); mail and "
    "due jobs are handled once, by this command's own process.",
)
@click.option(
    "--frame-ancestor",
    "frame_ancestors",
    multiple=True,
    help="Origin allowed to show the widget in an iframe (repeat for more).",
)
@click.pass_context
def group(
    ctx: click.Context,
    demo: bool,
    full_demo: bool,
    host: str,
    port: int,
    out: Path | None,
    force: bool,
    mail_folder: Path | None,
    workers: int,
    frame_ancestors: tuple[str, ...],
) -> None:
    """Run the web app with uvicorn and deliver queued mail in the background.

    Mail goes out through the configured SMTP server (``PARTICIPATIE_SMTP__*``); only
    ``--demo`` or an explicit ``--mail-folder`` writes it into a folder instead. Without
    either and without an SMTP host, mail stays queued and start-up says so.
    """

    import uvicorn

    from participatie.web import create_app

    cli_ctx: Any = ctx.obj
    base_url = f"http://{host}:{port}"
    clock: Clock
    if out is not None and not demo:
        raise click.UsageError("--out is for --demo; use --mail-folder to keep mail in a folder")
    if workers > 1 and demo:
        raise click.UsageError("--workers is for a real database; the demo runs in one process")
    _check_port(host, port)
    mailer: Mailer | None = None
    mail_dir: Path | None = mail_folder
    loading: DemoLoad | None = None
    if demo:
        loading = DemoLoad.prepare(out or Path("participatie-demo"), base_url, force, full_demo)
        settings, mail_dir = loading.settings, mail_folder or loading.folder / "mail"
        loading.mail_dir = mail_dir
        clock = ShiftedClock(DEMO_NOW)
    else:
        # Links in e-mails point at this server, unless the deployment says otherwise.
        extra = (
            {} if os.environ.get("PARTICIPATIE_PUBLIC_BASE_URL") else {"public_base_url": base_url}
        )
        settings = cli_ctx.settings(**extra)
        clock = SystemClock()
    if mail_dir is not None:
        mail_dir.mkdir(parents=True, exist_ok=True)
        mailer = FolderMailer(mail_dir)
    p = Participatie(settings, clock=clock, mailer=mailer)
    p.migrate()
    notice = loading.open_first(p) if loading else None
    app: Any = create_app(p, frame_ancestors=frame_ancestors, notice=notice)
    if demo:
        from starlette.applications import Starlette
        from starlette.routing import Mount

        from participatie.web.backoffice.demo import create_demo_backoffice

        # Side by side, as a host mounts them: mounted inside the resident app, the back
        # office would sit behind the resident app's limits (its 64 KiB body limit
        # refused every document upload).
        app = Starlette(
            routes=[
                Mount("/beheer", app=create_demo_backoffice(p, prefix="/beheer")),
                Mount("", app=app),
            ]
        )
    from participatie.web.edge import install_log_filter, uvicorn_options

    install_log_filter()
    click.echo(f"database: {mask_url(settings.database_url)}")
    if demo:
        click.echo(f"back office for the demo's staff: {base_url}/beheer/ (this computer only)")
    deliver = True
    if mail_dir is not None:
        click.echo(f"mail is written to {mail_dir.resolve()} (open the .eml files to click links)")
    elif "host" in settings.smtp.model_fields_set:  # set by whatever means, not defaulted
        smtp = settings.smtp
        click.echo(f"mail is sent through {smtp.host}:{smtp.port} ({smtp.security})")
    else:
        deliver = False
        click.echo(
            "mail is NOT sent: no SMTP host set (PARTICIPATIE_SMTP__HOST); it stays queued "
            "(set the SMTP settings, or use --mail-folder to write it into a folder)"
        )
    stop = threading.Event()
    jobs_ready = threading.Event()
    worker = threading.Thread(target=_background, args=(p, stop, deliver, jobs_ready), daemon=True)
    if loading is not None:
        # The finished cases load behind the open ones; the server's due jobs start after,
        # so its clock never acts on a case the loader is still running. Mail goes out
        # from the start.
        threading.Thread(target=loading.run, args=(jobs_ready,), daemon=True).start()
    else:
        jobs_ready.set()
    worker.start()
    click.echo(f"serving on {base_url}/ (stop with Ctrl-C)")
    try:
        # The app reads X-Forwarded-For itself, from settings.web.trusted_proxies only.
        options = uvicorn_options(settings.web.trusted_proxies)
        if workers > 1:
            from participatie.web.serving import environment, run_processes

            # Each process builds its own app from the same settings (serving.app).
            os.environ.update(environment(settings, frame_ancestors))
            click.echo(f"{workers} server processes")
            # A process must answer uvicorn's health check within this many seconds;
            # the default (5) kills processes still importing on a busy machine.
            if "timeout_worker_healthcheck" in inspect.signature(uvicorn.Config).parameters:
                options["timeout_worker_healthcheck"] = 60
            run_processes(
                "participatie.web.serving:app",
                workers=workers,
                host=host,
                port=port,
                log_level="info",
                **options,
            )
        else:
            uvicorn.run(app, host=host, port=port, log_level="info", **options)
    finally:
        stop.set()
        if worker.is_alive():
            worker.join(timeout=10)
        p.dispose()
