"""The dossiers admin API for paper reactions: a CSV or XLSX file of them, imported row by
row; bad rows are reported by number.
"""

from __future__ import annotations

import base64
import re
import tempfile
from pathlib import Path, PurePosixPath

from fastapi import Request

from participatie.reactions.schemas import ImportReport
from participatie.web.common import api_router, facade, require
from participatie.web.dossiers.lookup import get_dossier
from participatie.web.dossiers.schemas import ImportRequest

admin = api_router("/api/admin/dossiers", "admin: dossiers")


def _safe_name(filename: str) -> str:
    """The last part of the name, in characters any file system takes."""

    name = PurePosixPath(filename.replace("\\", "/")).name
    name = re.sub(r"[^\w.\- ]", "_", name, flags=re.ASCII).strip(" .")
    suffix = Path(filename).suffix.lower()
    if not name or not name.lower().endswith(suffix):
        name = "import" + suffix
    return name[-100:]


@admin.post(
    "/{dossier}/import",
    summary="Import paper reactions from a CSV or XLSX file; bad rows are reported by number",
)
def admin_import(
    request: Request,
    dossier: str,
    data: ImportRequest,
    actor: str = require("dossiers.manage", "dossier"),
) -> ImportReport:
    found = get_dossier(request, dossier)
    content = base64.b64decode(data.content_base64, validate=True)
    with tempfile.TemporaryDirectory(prefix="participatie-import-") as folder:
        path = Path(folder) / _safe_name(data.filename)
        path.write_bytes(content)
        return facade(request).reactions.import_file(
            found.id, path, actor=actor, channel=data.channel
        )
