"""Dossiers on the web: the resident pages (dossier, reaction form, result), the public
JSON API and the admin API by area of work, one file each; ``install(app)`` adds them all.
"""

from __future__ import annotations

from fastapi import FastAPI

from participatie.web.common import install_parts
from participatie.web.dossiers import (
    admin,
    api,
    assessment,
    deadlines,
    home,
    pages,
    paper_import,
)


def install(app: FastAPI) -> None:
    # The order is the order of matching: /api/admin/dossiers/overdue before
    # /api/admin/dossiers/{dossier}.
    install_parts(
        app,
        [pages.pages, api.api, admin.admin, assessment.admin, deadlines.admin, paper_import.admin],
        [home.section, home.results_section],
    )
