"""Petitions on the web: the resident pages (start, sign, confirm, the mails' links), the
public JSON API and the desk's admin API, one file each; ``install(app)`` adds them all.
"""

from __future__ import annotations

from fastapi import FastAPI

from participatie.web.common import install_parts
from participatie.web.petitions import admin, api, creator, home, mail_links, pages, signatures


def install(app: FastAPI) -> None:
    # The order is the order of matching: /petitions/new before /petitions/{petition},
    # /api/admin/petitions/rules before /api/admin/petitions/{petition}.
    install_parts(
        app,
        [creator.pages, pages.pages, mail_links.pages, api.api, admin.admin, signatures.admin],
        [home.section, home.results_section],
    )
