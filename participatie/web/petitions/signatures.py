"""The desk's work on the signatures themselves: batches collected on paper, bulk
invalidation after a preview, and the hand-over list and document for the council.
"""

from __future__ import annotations

import io
import os
import tempfile
from typing import Literal

from fastapi import Request
from starlette.background import BackgroundTask
from starlette.responses import FileResponse, Response

from participatie.petitions.schemas import (
    InvalidationPreview,
    InvalidationResult,
    PaperBatch,
    PaperBatchIn,
)
from participatie.web.common import api_router, download_headers, facade, require
from participatie.web.petitions.lookup import parse_id
from participatie.web.petitions.schemas import CriteriaIn, InvalidationIn, PaperBatchBody

admin = api_router("/api/admin/petitions", "admin: petitions")

HANDOVER_FORMATS = {"html": "text/html; charset=utf-8", "pdf": "application/pdf"}


@admin.post(
    "/{petition}/paper",
    status_code=201,
    summary="Add signatures collected on paper: a counted batch for one wijk",
)
def admin_paper(
    request: Request,
    petition: str,
    data: PaperBatchBody,
    actor: str = require("petitions.moderate", "petition"),
) -> PaperBatch:
    batch = PaperBatchIn.model_validate(data.model_dump())
    return facade(request).petitions.add_paper_batch(parse_id(petition), batch, actor=actor)


@admin.post(
    "/{petition}/invalidation/preview",
    summary="How many signatures, per state, a bulk invalidation would hit (writes nothing)",
)
def admin_invalidation_preview(
    request: Request,
    petition: str,
    data: CriteriaIn,
    actor: str = require("petitions.moderate", "petition"),
) -> InvalidationPreview:
    return facade(request).petitions.preview_invalidation(parse_id(petition), data.plain())


@admin.post(
    "/{petition}/invalidation",
    summary="Invalidate what the preview showed; refused (409) when the number changed",
    description="Give the preview's criteria and its total as expected_total. "
    "The invalidation is recorded in the audit log with the reason.",
)
def admin_invalidate(
    request: Request,
    petition: str,
    data: InvalidationIn,
    actor: str = require("petitions.moderate", "petition"),
) -> InvalidationResult:
    return facade(request).petitions.invalidate(
        parse_id(petition),
        data.criteria.plain(),
        actor=actor,
        expected_total=data.expected_total,
        reason=data.reason,
    )


@admin.get(
    "/{petition}/signatures.csv",
    summary="The hand-over list of verified signatures (CSV for Dutch Excel)",
    description="Personal data: names and postcodes, no e-mail addresses. UTF-8 with BOM, "
    "semicolons; the SHA-256 that the hand-over document names is in a header.",
    response_class=FileResponse,
    responses={200: {"content": {"text/csv": {}}}},
)
def admin_signatures_csv(
    request: Request, petition: str, actor: str = require("petitions.export", "petition")
) -> FileResponse:
    pid = parse_id(petition)
    # Streamed by the service into a temporary file, sent from there and then removed:
    # a million signatures never sit in memory.
    handle, path = tempfile.mkstemp(prefix="participatie-petition-", suffix=".csv")
    os.close(handle)
    try:
        result = facade(request).petitions.write_signatures(pid, path)
    except BaseException:
        os.unlink(path)
        raise
    return FileResponse(
        path,
        media_type="text/csv; charset=utf-8",
        headers={
            **download_headers(f"handtekeningen-{pid}.csv"),
            "x-participatie-sha256": result.sha256,
            "x-participatie-rows": str(result.rows),
        },
        background=BackgroundTask(os.unlink, path),
    )


@admin.get(
    "/{petition}/handover.{fmt}",
    summary="The hand-over document: counts per wijk and day and the list's SHA-256",
    response_class=Response,
    responses={200: {"content": {"text/html": {}, "application/pdf": {}}}},
)
def admin_handover_document(
    request: Request,
    petition: str,
    fmt: Literal["html", "pdf"],
    actor: str = require("petitions.read", "petition"),
) -> Response:
    petitions = facade(request).petitions
    pid = parse_id(petition)
    document = petitions.handover_document(pid)
    buffer = io.BytesIO()
    petitions.write_handover(document, buffer, fmt=fmt)
    body = buffer.getvalue()
    return Response(
        body,
        media_type=HANDOVER_FORMATS[fmt],
        headers={
            **download_headers(f"overdracht-{pid}.{fmt}"),
            "x-participatie-sha256": document.sha256,
        },
    )
