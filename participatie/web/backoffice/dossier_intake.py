"""Dossiers in the back office: the intake of reactions that do not come through the web
form. A keyboard-first screen for paper forms, letters, e-mail and the desk (Enter saves,
the next empty form is ready), the import of a spreadsheet with its row-by-row report, and
the decision whether a late reaction is admissible.
"""

from __future__ import annotations

import re
import tempfile
from datetime import date, datetime, time
from pathlib import Path, PurePosixPath
from typing import Any

from fastapi import Request
from pydantic import ValidationError
from starlette.datastructures import UploadFile
from starlette.responses import Response

from participatie.errors import InvalidInput, ParticipatieError
from participatie.identity import normalize_email, normalize_house_number, normalize_postcode
from participatie.reactions.errors import EmptyReaction
from participatie.reactions.schemas import Dossier, ReactionIn, SubmitterIn
from participatie.web.backoffice.forms import FormCheck, FormProblems
from participatie.web.backoffice.frame import (
    Pages,
    Staff,
    bo_state,
    redirect,
    refuse,
    render,
    subject_id,
)
from participatie.web.common import translator

pages = Pages()

#: The channels staff type in (the web form has its own page).
INTAKE_CHANNELS = ("paper", "letter", "email", "oral")
#: The fields of the intake form, in the order a typist goes through them.
FIELDS = (
    "received_on",
    "postmark_date",
    "channel",
    "external_ref",
    "reported_by",
    "text",
    "name",
    "street",
    "house_number",
    "postcode",
    "city",
    "email",
    "phone",
    "consent",
    "cosigners",
)
#: The library's field names (``submitters.0.postcode``) as the form's.
FIELD_OF = {
    "received_at": "received_on",
    "postmark_date": "postmark_date",
    "channel": "channel",
    "external_ref": "external_ref",
    "reported_by": "reported_by",
    "text": "text",
}
SUBMITTER_FIELDS = ("name", "email", "street", "house_number", "postcode", "city", "phone")
IMPORT_SUFFIXES = (".csv", ".xlsx")


def dossier_of(request: Request, staff: Staff) -> Dossier:
    """The route's dossier (404 ``dossier.not_found`` when there is none)."""

    return bo_state(request).p.reactions.get_dossier(subject_id(staff.subject))


def base(dossier: Dossier) -> str:
    return f"/dossiers/{dossier.id}"


def done_notice(request: Request, section: str) -> str | None:
    """What a redirect after a POST said was done (``?gedaan=key&aantal=n``), in the
    page's own catalogue section."""

    t = translator(request)
    key = f"{section}.done_{request.query_params.get('gedaan', '')[:40]}"
    if not t.has(key):
        return None
    return t(key, count=request.query_params.get("aantal", "")[:12])


def form_field(library_field: str | None) -> str:
    """The intake form's name for a field the library names in an error."""

    if not library_field:
        return "text"
    match = re.fullmatch(r"submitters\.(\d+)\.(\w+)", library_field)
    if match:
        return match.group(2) if match.group(1) == "0" else "cosigners"
    head = library_field.split(".")[0]
    # The form's own names (a typed date, a house number) name themselves.
    return head if head in FIELDS else FIELD_OF.get(head, "text")


DAY_FIRST = re.compile(r"(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})")


def parse_date(value: str, name: str) -> date | None:
    """A typed date: ``dd-mm-jjjj`` (also with / or .) as on Dutch forms, or ISO."""

    if not value:
        return None
    try:
        match = DAY_FIRST.fullmatch(value)
        if match:
            return date(int(match.group(3)), int(match.group(2)), int(match.group(1)))
        return date.fromisoformat(value)
    except ValueError:
        raise InvalidInput(f"{value!r} is no date (dd-mm-jjjj)", field=name) from None


def show_date(value: date) -> str:
    return value.strftime("%d-%m-%Y")


def _cosigners(text: str) -> list[SubmitterIn]:
    """More signatories, one a line: ``name; postcode; house number; e-mail`` (any part
    may be left empty)."""

    people = []
    for line in text.splitlines():
        parts = [part.strip() for part in line.split(";")] + ["", "", "", ""]
        if not any(parts):
            continue
        name, postcode, house_number, email = parts[:4]
        people.append(
            SubmitterIn(name=name, postcode=postcode, house_number=house_number, email=email)
        )
    return people


def _check_submitter(check: FormCheck, values: dict[str, str], consent: bool) -> None:
    """The first signatory's address, postcode and house number as the library will
    check them, each problem kept for its own field (the library then checks them again)."""

    if values["email"]:
        check.value(normalize_email, values["email"], field="email")
    if values["postcode"]:
        check.value(normalize_postcode, values["postcode"], field="postcode")
    if values["house_number"]:
        check.value(normalize_house_number, values["house_number"], field="house_number")
    elif values["postcode"]:
        check.add(InvalidInput("a postal address needs a house number", field="house_number"))
    if not consent and (values["email"] or values["postcode"] or values["phone"]):
        check.add(InvalidInput("contact details need consent", field="consent"))


def reaction_in(request: Request, staff: Staff) -> ReactionIn:
    """The typed form as the library's input. Every wrong field is named at once
    (``FormProblems``, by the form's own field names): a typist with a pile of forms
    sees all that is wrong with one form in one try."""

    p = bo_state(request).p
    check = FormCheck(form_field)
    received_on = check.value(parse_date, staff.field("received_on", limit=20), "received_on")
    postmark = check.value(parse_date, staff.field("postmark_date", limit=20), "postmark_date")
    received_at: datetime | None = None
    if received_on is not None and received_on != p.reactions.today():
        # A form that came in on an earlier day: noon of that day, local time.
        received_at = datetime.combine(received_on, time(12), tzinfo=p.settings.zone)
    channel = staff.field("channel", limit=20) or "paper"
    if channel not in INTAKE_CHANNELS:
        check.add(InvalidInput(f"unknown channel {channel!r}", field="channel"))
    text = staff.field("text", limit=100_000)
    if not text:
        check.add(EmptyReaction("the reaction is empty", field="text"))
    consent = staff.field("consent") == "1"
    values = {name: staff.field(name, limit=254) for name in SUBMITTER_FIELDS}
    submitters: list[SubmitterIn] = []
    if any(values.values()):
        first = check.model(SubmitterIn, **values, consent=consent)
        _check_submitter(check, values, consent)
        if first is not None:
            submitters.append(first)
    try:
        submitters += [
            sub.model_copy(update={"consent": consent})
            for sub in _cosigners(staff.field("cosigners", limit=20_000))
        ]
    except ValidationError:
        check.add(InvalidInput("a signatory's line is not valid", field="cosigners"))
    data = check.model(
        ReactionIn,
        channel=channel if channel in INTAKE_CHANNELS else "paper",
        text=text,
        submitters=submitters,
        received_at=received_at,
        postmark_date=postmark,
        reported_by=staff.field("reported_by", limit=255) or None,
        external_ref=staff.field("external_ref", limit=100) or None,
    )
    check.done(order=FIELDS)
    assert data is not None
    return data


def _intake_page(
    request: Request, staff: Staff, dossier: Dossier, *, status: int = 200, **context: Any
) -> Response:
    p = bo_state(request).p
    query = request.query_params
    defaults = {
        "received_on": query.get("ontvangen", "")[:10] or show_date(p.reactions.today()),
        "channel": query.get("kanaal", "paper")[:10],
        "consent": "1",
    }
    late = p.reactions.undecided(dossier.id)
    number = query.get("nummer", "")[:10]
    context.setdefault("values", defaults)
    context.setdefault("notice", done_notice(request, "dossier_intake"))
    return render(
        request,
        staff,
        "dossier_intake.html",
        section="dossiers",
        status=status,
        dossier=dossier,
        channels=INTAKE_CHANNELS,
        saved=int(number) if number.isdigit() else None,
        late=late,
        **context,
    )


@pages.route("/dossiers/{dossier_id}/intake", action="dossiers.intake", subject="dossier_id")
def dossier_intake(request: Request, staff: Staff) -> Response:
    return _intake_page(request, staff, dossier_of(request, staff))


@pages.route(
    "/dossiers/{dossier_id}/intake",
    action="dossiers.intake",
    subject="dossier_id",
    methods=("POST",),
)
def dossier_intake_save(request: Request, staff: Staff) -> Response:
    """Saves and answers with an empty form for the next one (Enter, type, Enter...); a
    refusal keeps every typed value and names every wrong field."""

    p = bo_state(request).p
    # The dossier itself is read only to show a refusal: saving is one transaction.
    dossier_id = subject_id(staff.subject)
    try:
        data = reaction_in(request, staff)
        received = p.reactions.register(dossier_id, data, actor=staff.actor)
    except ParticipatieError as exc:
        return refuse(request, staff, exc, dossier_intake, form="reactie", rename=form_field)
    return redirect(
        request,
        f"/dossiers/{dossier_id}/intake",
        nummer=str(received.reaction.number),
        kanaal=data.channel,
        ontvangen=staff.field("received_on", limit=10),
    )


# -- import ------------------------------------------------------------------------------


def _safe_name(filename: str) -> str:
    name = PurePosixPath(filename.replace("\\", "/")).name
    name = re.sub(r"[^\w.\- ]", "_", name, flags=re.ASCII).strip(" .")
    suffix = Path(filename).suffix.lower()
    if not name or not name.lower().endswith(suffix):
        name = "import" + suffix
    return name[-100:]


@pages.route("/dossiers/{dossier_id}/import", action="dossiers.intake", subject="dossier_id")
def dossier_import(request: Request, staff: Staff) -> Response:
    dossier = dossier_of(request, staff)
    return render(
        request,
        staff,
        "dossier_intake_import.html",
        section="dossiers",
        dossier=dossier,
        channels=INTAKE_CHANNELS,
        report=None,
    )


@pages.route(
    "/dossiers/{dossier_id}/import",
    action="dossiers.intake",
    subject="dossier_id",
    methods=("POST",),
    files=1,
)
def dossier_import_upload(request: Request, staff: Staff) -> Response:
    """The spreadsheet read row by row; the report (rows, numbers given, refused rows with
    their row number, field and reason) is shown on the page."""

    p = bo_state(request).p
    dossier = dossier_of(request, staff)
    upload = staff.form.get("file") if staff.form is not None else None
    channel = staff.field("channel", limit=20) or "paper"
    report = None
    try:
        check = FormCheck()
        if not isinstance(upload, UploadFile) or not upload.filename:
            check.add(InvalidInput("choose a file", field="file"))
        elif Path(upload.filename).suffix.lower() not in IMPORT_SUFFIXES:
            check.add(InvalidInput("not a CSV or XLSX file", field="file"))
        if channel not in INTAKE_CHANNELS:
            check.add(InvalidInput(f"unknown channel {channel!r}", field="channel"))
        check.done()
        assert isinstance(upload, UploadFile) and upload.filename
        with tempfile.TemporaryDirectory(prefix="participatie-import-") as folder:
            path = Path(folder) / _safe_name(upload.filename)
            with path.open("wb") as out:
                while chunk := upload.file.read(1024 * 1024):
                    out.write(chunk)
            report = p.reactions.import_file(dossier.id, path, actor=staff.actor, channel=channel)
    except ParticipatieError as exc:
        t = translator(request)
        message = None
        if isinstance(exc, FormProblems) and "file" in exc.problems:
            # What is wrong with the file, in the page's own words.
            no_file = not isinstance(upload, UploadFile) or not upload.filename
            message = t(f"dossier_intake.import_{'no_file' if no_file else 'wrong_type'}")
        return refuse(
            request,
            staff,
            exc,
            dossier_import,
            form="import",
            rename=lambda name: name if name == "channel" else "file",
            message=message,
        )
    return render(
        request,
        staff,
        "dossier_intake_import.html",
        section="dossiers",
        dossier=dossier,
        channels=INTAKE_CHANNELS,
        report=report,
    )


# -- admissibility -----------------------------------------------------------------------


@pages.route(
    "/dossiers/{dossier_id}/toelaatbaar",
    action="dossiers.intake",
    subject="dossier_id",
    methods=("POST",),
)
def dossier_admissibility(request: Request, staff: Staff) -> Response:
    """Decide whether a late reaction is taken into account, with the reason (Awb art.
    6:9: a letter posted in time counts as in time; otherwise the decision is the
    municipality's, and is recorded)."""

    p = bo_state(request).p
    dossier = dossier_of(request, staff)
    number = staff.field("number", limit=10)
    if not number.isdigit():
        # The reaction's number is the form's own, not typed: no such form on the page.
        return redirect(request, base(dossier) + "/intake", fout="input.invalid")
    verdict = staff.field("admissible", limit=3)
    reason = staff.field("reason", limit=2000)
    try:
        check = FormCheck()
        if verdict not in ("yes", "no"):
            check.add(InvalidInput("choose whether the reaction counts", field="admissible"))
        if not reason:
            check.add(InvalidInput("give the reason for the decision", field="reason"))
        check.done()
        p.reactions.decide_admissibility(
            p.reactions.reaction_by_number(dossier.id, int(number)).id,
            admissible=verdict == "yes",
            reason=reason,
            actor=staff.actor,
        )
    except ParticipatieError as exc:
        return refuse(request, staff, exc, dossier_intake, form=f"toel-{number}")
    return redirect(request, base(dossier) + "/intake", gedaan="admissibility", aantal=number)
