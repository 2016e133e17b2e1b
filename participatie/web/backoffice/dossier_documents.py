"""A dossier's documents in the back office: upload a file the library stores (type
checked by content, at most ``documents.max_bytes``), add a link to a document elsewhere
(``https:`` only), download and remove.
"""

from __future__ import annotations

import re
from datetime import date

from fastapi import Request
from starlette.datastructures import UploadFile
from starlette.responses import Response

from participatie.errors import InvalidInput, ParticipatieError
from participatie.reactions.schemas import DocumentIn
from participatie.uploads import DocumentEmpty
from participatie.web.backoffice.dossiers import dossier_of, dossier_page, parse_day
from participatie.web.backoffice.forms import FormCheck, FormProblems
from participatie.web.backoffice.frame import (
    DOSSIER_ACTIONS,
    Pages,
    Staff,
    bo_state,
    finish,
    redirect,
    refuse,
    subject_id,
)
from participatie.web.common import translator

pages = Pages()

#: The upload route, as ``create_backoffice`` gives it a larger body limit.
UPLOAD_PATH = re.compile(r"/dossiers/[^/]+/documenten")
#: Room for the form's other fields and the multipart framing around the file.
UPLOAD_OVERHEAD = 1024 * 1024


@pages.route(
    "/dossiers/{dossier}/documenten",
    action="dossiers.edit",
    subject="dossier",
    methods=("POST",),
    files=1,
)
def document_upload(request: Request, staff: Staff) -> Response:
    """One file from the browser (multipart); refused with a message naming the file and
    what is wrong with it (413 for a file over the limit)."""

    p = bo_state(request).p
    dossier = dossier_of(request, staff)
    t = translator(request)
    upload = staff.form.get("file") if staff.form is not None else None
    limit = p.settings.documents.max_bytes
    name = upload.filename[:255] if isinstance(upload, UploadFile) and upload.filename else ""
    try:
        check = FormCheck()
        if not name:
            check.add(DocumentEmpty("choose a file", field="file"))
        published = staff.field("published_on", limit=20)
        day = check.value(parse_day, published, field="published_on") if published else None
        check.done(order=("file", "title", "published_on"))
        assert isinstance(upload, UploadFile)
        # One byte past the limit is enough to know it is too large.
        data = upload.file.read(limit + 1)
        p.reactions.upload_document(
            dossier.id,
            title=staff.field("title", limit=255) or name.rsplit(".", 1)[0],
            filename=name,
            data=data,
            published_on=day,
            actor=staff.actor,
        )
    except ParticipatieError as exc:
        message = None
        if name and not isinstance(exc, FormProblems):
            # The library's refusals are about the file: say which, and what may.
            message = t(
                "backoffice.dossier_upload_refused",
                name=name,
                reason=t.error(exc),
                mb=str(limit // (1024 * 1024)),
            )
        return refuse(
            request,
            staff,
            exc,
            dossier_page,
            form="upload",
            rename=lambda field: field if field in ("title", "published_on") else "file",
            message=message,
        )
    return redirect(request, f"/dossiers/{dossier.id}", gedaan="dossier_document")


@pages.route(
    "/dossiers/{dossier}/link", action="dossiers.edit", subject="dossier", methods=("POST",)
)
def document_link(request: Request, staff: Staff) -> Response:
    """A document published elsewhere: its title and ``https:`` address; every wrong
    field is named at once."""

    p = bo_state(request).p
    dossier = dossier_of(request, staff)
    try:
        check = FormCheck()
        published = staff.field("published_on", limit=20)
        day = check.value(parse_day, published, field="published_on") if published else None
        data = check.model(
            DocumentIn,
            title=staff.field("title", limit=255),
            url=staff.field("url", limit=2000),
            published_on=day or p.reactions.today(),
        )
        check.done(order=("title", "url", "published_on"))
        assert data is not None
        p.reactions.add_document(dossier.id, data, actor=staff.actor)
    except ParticipatieError as exc:
        return refuse(request, staff, exc, dossier_page, form="link")
    return redirect(request, f"/dossiers/{dossier.id}", gedaan="dossier_document")


@pages.route("/dossiers/{dossier}/documenten/{document}", action=DOSSIER_ACTIONS, subject="dossier")
def document_download(request: Request, staff: Staff) -> Response:
    from participatie.web.dossiers.pages import document_response

    p = bo_state(request).p
    dossier = dossier_of(request, staff)
    doc, body = p.reactions.document_file(dossier.id, subject_id(request.path_params["document"]))
    response = document_response(doc, body)
    finish(request, response)
    return response


@pages.route(
    "/dossiers/{dossier}/documenten/{document}/verwijderen",
    action="dossiers.edit",
    subject="dossier",
    methods=("POST",),
)
def document_remove(request: Request, staff: Staff) -> Response:
    p = bo_state(request).p
    dossier = dossier_of(request, staff)
    try:
        p.reactions.remove_document(
            dossier.id, subject_id(request.path_params["document"]), actor=staff.actor
        )
    except ParticipatieError as exc:
        return redirect(request, f"/dossiers/{dossier.id}", fout=exc.code)
    return redirect(request, f"/dossiers/{dossier.id}", gedaan="dossier_document_removed")


def upload_limit(max_bytes: int) -> tuple[re.Pattern[str], int]:
    """The body limit of the upload route: the largest document and the form around it."""

    return UPLOAD_PATH, max_bytes + UPLOAD_OVERHEAD


__all__ = ["InvalidInput", "date", "pages", "upload_limit"]
