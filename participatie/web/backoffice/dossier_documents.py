"""A dossier's documents in the back office: upload a file the library stores (type
checked by content, at most ``documents.max_bytes``), add a link to a document elsewhere
(``https:`` only), download and remove.
"""

from __future__ import annotations

import re
from datetime import date

from fastapi import Request
from pydantic import ValidationError
from starlette.datastructures import UploadFile
from starlette.responses import Response

from participatie.errors import InvalidInput, ParticipatieError
from participatie.reactions.schemas import DocumentIn
from participatie.web.backoffice.dossiers import (
    dossier_of,
    editor_context,
    field_of,
    parse_day,
    problem_text,
)
from participatie.web.backoffice.frame import (
    DOSSIER_ACTIONS,
    Pages,
    Staff,
    bo_state,
    finish,
    redirect,
    render,
    subject_id,
)
from participatie.web.common import translator

pages = Pages()

#: The upload route, as ``create_backoffice`` gives it a larger body limit.
UPLOAD_PATH = re.compile(r"/dossiers/[^/]+/documenten")
#: Room for the form's other fields and the multipart framing around the file.
UPLOAD_OVERHEAD = 1024 * 1024


def _problem(
    request: Request, staff: Staff, code: str, field: str | None, message: str
) -> Response:
    dossier = dossier_of(request, staff)
    context = editor_context(request, staff, dossier)
    status = 413 if code == "document.too_large" else 422
    return render(request, staff, "dossier_edit.html", status=status, problem=message, **context)


@pages.route(
    "/dossiers/{dossier}/documenten",
    action="dossiers.edit",
    subject="dossier",
    methods=("POST",),
    files=1,
)
def document_upload(request: Request, staff: Staff) -> Response:
    """One file from the browser (multipart); refused with a message naming the file and
    what is wrong with it."""

    p = bo_state(request).p
    dossier = dossier_of(request, staff)
    t = translator(request)
    upload = staff.form.get("file") if staff.form is not None else None
    if not isinstance(upload, UploadFile) or not upload.filename:
        code = "document.empty"
        return _problem(request, staff, code, "file", problem_text(request, code, "file"))
    name = upload.filename[:255]
    limit = p.settings.documents.max_bytes
    # One byte past the limit is enough to know it is too large.
    data = upload.file.read(limit + 1)
    title = staff.field("title", limit=255) or name.rsplit(".", 1)[0]
    published = staff.field("published_on", limit=20)
    try:
        p.reactions.upload_document(
            dossier.id,
            title=title,
            filename=name,
            data=data,
            published_on=parse_day(published, field="published_on") if published else None,
            actor=staff.actor,
        )
    except ParticipatieError as exc:
        message = t(
            "backoffice.dossier_upload_refused",
            name=name,
            reason=t.error(exc),
            mb=str(limit // (1024 * 1024)),
        )
        return _problem(request, staff, exc.code, exc.field, message)
    return redirect(request, f"/dossiers/{dossier.id}", gedaan="dossier_document")


@pages.route(
    "/dossiers/{dossier}/link", action="dossiers.edit", subject="dossier", methods=("POST",)
)
def document_link(request: Request, staff: Staff) -> Response:
    """A document published elsewhere: its title and ``https:`` address."""

    p = bo_state(request).p
    dossier = dossier_of(request, staff)
    try:
        published = staff.field("published_on", limit=20)
        data = DocumentIn(
            title=staff.field("title", limit=255),
            url=staff.field("url", limit=2000),
            published_on=parse_day(published, field="published_on")
            if published
            else p.reactions.today(),
        )
        p.reactions.add_document(dossier.id, data, actor=staff.actor)
    except ValidationError as exc:
        field = "link_" + field_of(exc)
        return _problem(
            request, staff, "input.invalid", field, problem_text(request, "input.url", field)
        )
    except ParticipatieError as exc:
        field = f"link_{exc.field}"
        return _problem(request, staff, exc.code, field, problem_text(request, exc.code, field))
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
