"""The app of one server process when ``participatie serve --workers N`` runs several:
uvicorn starts each process fresh and builds its app here, from the environment the
``serve`` command set up (the same settings, database and frame ancestors in every one).
"""

from __future__ import annotations

import os
from collections.abc import Sequence

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
