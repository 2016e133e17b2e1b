"""``participatie serve``: the web app under uvicorn for trying it locally, with mail
delivered into a folder (so a confirmation link can be clicked) and due jobs running.
"""

from __future__ import annotations

import os
import shutil
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import click

from participatie.clock import Clock, FixedClock, SystemClock
from participatie.config import Settings
from participatie.engine import Participatie
from participatie.outbox.mailers import FolderMailer

#: Where the demo's story starts (the same moment as ``participatie demo``).
DEMO_START = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
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


def _background(p: Participatie, stop: threading.Event, every: float = 2.0) -> None:
    """Deliver the outbox into the folder and run due jobs until told to stop."""

    next_jobs = 0.0
    while not stop.is_set():
        try:
            p.outbox.deliver(100)
            if time.monotonic() >= next_jobs:
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
    help="Folder for the demo database and mail (--demo; default participatie-demo, "
    "emptied first), or for the mail alone (default participatie-mail).",
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
    frame_ancestors: tuple[str, ...],
) -> None:
    """Run the web app with uvicorn; e-mail goes into a local folder."""

    import uvicorn

    from participatie.web import create_app

    cli_ctx: Any = ctx.obj
    base_url = f"http://{host}:{port}"
    clock: Clock
    if demo:
        folder = out or Path("participatie-demo")
        if folder.exists():
            shutil.rmtree(folder)
        folder.mkdir(parents=True)
        settings, generated = Settings.for_demo(
            database_url=f"sqlite:///{(folder / 'participatie.db').resolve()}",
            sqlite_synchronous="NORMAL",
            public_base_url=base_url,
        )
        if generated:
            click.echo("no PARTICIPATIE_SECRET_KEYS set: generated a throw-away key for the demo")
        mail_dir = folder / "mail"
        demo_clock = FixedClock(DEMO_START)
        loader = Participatie(settings, clock=demo_clock, mailer=FolderMailer(mail_dir))
        try:
            from participatie.demo import run_demo

            scale = 1.0 if full_demo else DEMO_SCALE
            if scale < 1:
                click.echo(
                    f"loading the demo cases at {scale:.0%} of their size "
                    "(--full-demo loads all of it; `participatie demo` writes the full outputs)"
                )
            started = time.monotonic()
            run_demo(loader, folder, demo_clock, click.echo, scale=scale)
            # Mail the demo queued is written now, so the folder shows it from the start.
            loader.outbox.deliver(1000)
        finally:
            loader.dispose()
        click.echo(f"demo loaded in {time.monotonic() - started:.1f} s")
        clock = ShiftedClock(demo_clock.now() + timedelta(minutes=1))
    else:
        # Links in e-mails point at this server, unless the deployment says otherwise.
        extra = (
            {} if os.environ.get("PARTICIPATIE_PUBLIC_BASE_URL") else {"public_base_url": base_url}
        )
        settings = cli_ctx.settings(**extra)
        mail_dir = out or Path("participatie-mail")
        clock = SystemClock()
    mail_dir.mkdir(parents=True, exist_ok=True)
    p = Participatie(settings, clock=clock, mailer=FolderMailer(mail_dir))
    if not demo:
        p.migrate()
    app = create_app(p, frame_ancestors=frame_ancestors)
    if demo:
        from participatie.web.backoffice.demo import create_demo_backoffice

        app.mount("/beheer", create_demo_backoffice(p, prefix="/beheer"))
    click.echo(f"database: {settings.database_url}")
    click.echo(f"mail is written to {mail_dir.resolve()} (open the .eml files to click links)")
    if demo:
        click.echo(f"back office for the demo's staff: {base_url}/beheer/ (this computer only)")
    click.echo(f"serving on {base_url}/ (stop with Ctrl-C)")
    stop = threading.Event()
    worker = threading.Thread(target=_background, args=(p, stop), daemon=True)
    worker.start()
    try:
        uvicorn.run(app, host=host, port=port, log_level="info", server_header=False)
    finally:
        stop.set()
        worker.join(timeout=10)
        p.dispose()
