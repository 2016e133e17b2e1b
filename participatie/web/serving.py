"""The app of one server process when ``participatie serve --workers N`` runs several:
uvicorn starts each process fresh and builds its app here, from the environment the
``serve`` command set up (the same settings, database and frame ancestors in every one).
"""

from __future__ import annotations

import inspect
import os
import socket
from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI

from participatie.config import Settings

#: Origins allowed to frame the widget, separated by spaces (``serve --frame-ancestor``).
FRAME_ANCESTORS = "PARTICIPATIE_SERVE_FRAME_ANCESTORS"


def environment(settings: Settings, frame_ancestors: Sequence[str]) -> dict[str, str]:
    """What the server processes must see besides the operator's own ``PARTICIPATIE_*``
    variables: the database and the public address ``serve`` chose, the frame ancestors."""

    return {
        "PARTICIPATIE_DATABASE_URL": settings.database_url,
        "PARTICIPATIE_PUBLIC_BASE_URL": settings.public_base_url,
        FRAME_ANCESTORS: " ".join(frame_ancestors),
    }


def app() -> FastAPI:
    """One process's app (``uvicorn participatie.web.serving:app --factory``).

    Serving only: the outbox is delivered and due jobs are run by the ``serve`` command's
    own process, once, not by every server process.
    """

    from participatie.engine import Participatie
    from participatie.web import create_app
    from participatie.web.edge import install_log_filter

    install_log_filter()
    p = Participatie(Settings.load())
    frames = os.environ.get(FRAME_ANCESTORS, "").split()
    return create_app(p, frame_ancestors=frames)


def run_processes(app: str, *, workers: int, host: str, port: int, **options: Any) -> None:
    """Serve ``app`` (an import string of an app factory) in ``workers`` uvicorn
    processes on one listening socket, until stopped.

    As ``uvicorn.run(app, factory=True, workers=workers, ...)``, with one difference: the
    listening socket is marked as TCP. uvicorn binds it without naming the protocol, the
    connections it accepts inherit that, and asyncio sets ``TCP_NODELAY`` only on a
    connection it knows is TCP; without it every answer on a kept-alive connection
    after the first waited for the client's delayed acknowledgement, about 40 ms on
    Linux (uvicorn issue 3149). A single process is not affected: uvicorn lets asyncio
    bind that one.

    Args:
        app: ``"module:factory"``.
        workers: server processes, two or more.
        host, port: where to listen.
        **options: further ``uvicorn.Config`` options (``log_level``, ``proxy_headers``..).
    """

    import uvicorn
    from uvicorn.supervisors import Multiprocess

    config = uvicorn.Config(app, factory=True, workers=workers, host=host, port=port, **options)
    sock = _as_tcp(config.bind_socket())
    supervisor: dict[str, Any] = {"sockets": [sock]}
    if "target" in inspect.signature(Multiprocess).parameters:  # uvicorn before 0.36
        supervisor["target"] = uvicorn.Server(config).run
    Multiprocess(config, **supervisor).run()


def _as_tcp(sock: socket.socket) -> socket.socket:
    """The same listening socket, known as TCP (so the connections accepted on it get
    ``TCP_NODELAY`` from asyncio)."""

    if sock.family not in (socket.AF_INET, socket.AF_INET6) or sock.proto != 0:
        return sock
    tcp = socket.socket(sock.family, sock.type, socket.IPPROTO_TCP, fileno=sock.detach())
    tcp.set_inheritable(True)
    return tcp


def main(argv: Sequence[str] | None = None) -> None:
    """``python -m participatie.web.serving --workers N --host H --port P``: the app in N
    processes on one machine of several behind a load balancer, from the
    ``PARTICIPATIE_*`` settings; serving only (run the deliverers and the job runner as
    services of their own). The same as ``uvicorn --factory --workers N
    --no-proxy-headers --no-server-header participatie.web.serving:app``, without the
    delay of uvicorn's own ``--workers`` (see :func:`run_processes`)."""

    import argparse

    from participatie.web.edge import uvicorn_options

    parser = argparse.ArgumentParser(prog="python -m participatie.web.serving")
    parser.add_argument("--workers", type=int, default=2, help="server processes (default 2)")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--port", type=int, default=8000, help="port to listen on")
    args = parser.parse_args(argv)
    if args.workers < 1:
        parser.error("--workers: at least 1")
    settings = Settings.load()
    options = uvicorn_options(settings.web.trusted_proxies)
    if args.workers == 1:
        import uvicorn

        uvicorn.run(APP, factory=True, host=args.host, port=args.port, **options)
        return
    run_processes(APP, workers=args.workers, host=args.host, port=args.port, **options)


#: This module's app factory, as uvicorn imports it.
APP = "participatie.web.serving:app"


if __name__ == "__main__":
    main()
