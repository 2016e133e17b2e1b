"""Polls on the web: the resident pages (vote, trackers, result), the public JSON API and
the admin API, one file each; ``install(app)`` adds them all.
"""

from __future__ import annotations

from fastapi import FastAPI

from participatie.web.common import install_parts
from participatie.web.polls import admin, api, desk, home, pages, trackers


def install(app: FastAPI) -> None:
    install_parts(
        app,
        [pages.pages, trackers.pages, api.api, admin.admin, desk.admin],
        [home.section, home.results_section],
    )
