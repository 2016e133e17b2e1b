"""Petition pages (sign, confirm by button, withdraw, unsubscribe, creator links) and the
petitions JSON API; the client address goes with every signature for the rate limits.
"""

from __future__ import annotations

import os
import tempfile
import uuid
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, FastAPI, Query, Request
from pydantic import AwareDatetime, BaseModel, Field, ValidationError
from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.responses import FileResponse, HTMLResponse, Response

from participatie.errors import InvalidInput, NotFound
from participatie.identity import normalize_email, normalize_postcode
from participatie.petitions.errors import PetitionNotFound
from participatie.petitions.schemas import (
    Confirmation,
    DeskStats,
    InvalidatableStatus,
    InvalidationCriteria,
    InvalidationPreview,
    InvalidationResult,
    PaperBatch,
    PaperBatchIn,
    Petition,
    PetitionIn,
    PublicSigners,
    PublicStats,
    Rule,
    SignatureIn,
    SignReceipt,
    Trend,
)
from participatie.web.common import (
    HomeItem,
    HomeSection,
    check_csrf,
    facade,
    form_text,
    link,
    plain_redirect,
    remote_ip,
    render,
    require,
    translator,
)
from participatie.web.schemas import ERRORS, ExternalUrl, TokenIn

#: States in which a petition is shown to the public.
PUBLIC = ("open", "closed", "handed_over", "answered")
SIGN_FIELDS = ("name", "email", "postcode", "house_number")

pages = APIRouter(dependencies=[Depends(check_csrf)], include_in_schema=False)
api = APIRouter(prefix="/api/petitions", tags=["petitions"], responses=ERRORS)
admin = APIRouter(prefix="/api/admin/petitions", tags=["admin: petitions"], responses=ERRORS)


def parse_id(value: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError:
        raise PetitionNotFound(f"no petition {value!r}", field="petition") from None


def public_petition(request: Request, value: str) -> Petition:
    petition = facade(request).petitions.get(parse_id(value))
    if petition.hidden or petition.status not in PUBLIC:
        raise PetitionNotFound("no such petition", field="petition")
    return petition


def is_open(request: Request, petition: Petition) -> bool:
    now = facade(request).clock.now()
    return petition.status == "open" and (petition.closes_at is None or now < petition.closes_at)


# -- pages -----------------------------------------------------------------------------


def _petition_page(
    request: Request,
    petition: Petition,
    *,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> HTMLResponse:
    p = facade(request)
    t = translator(request)
    stats = p.petitions.public_stats(petition.id)
    area_rows = [
        {"label": a.name or t("petition.area_unknown"), "value": a.total} for a in stats.per_area
    ]
    next_threshold = next((n for n in stats.thresholds if n > stats.total), None)
    return render(
        request,
        "petition.html",
        status=status,
        petition=petition,
        stats=stats,
        open=is_open(request, petition),
        next_threshold=next_threshold,
        area_rows=area_rows,
        signers=p.petitions.public_signers(petition.id, limit=50),
        values=values or {},
        errors=errors or {},
        labels=(*SIGN_FIELDS, "declared_min_age", "declared_resident"),
    )


NEW_FIELDS = ("title", "summary", "body", "creator_name", "creator_email")


# Registered before /petitions/{petition}, which would otherwise take "new" for an id.
@pages.get("/petitions/new", response_class=HTMLResponse)
def new_page(request: Request) -> HTMLResponse:
    return render(request, "petition_new.html", values={}, errors={}, labels=NEW_FIELDS)


@pages.post("/petitions/new", response_class=HTMLResponse)
async def new(request: Request) -> HTMLResponse:
    form = await request.form()
    # The service call blocks on the database: off the event loop with it.
    return await run_in_threadpool(_new, request, form)


def _new(request: Request, form: FormData) -> HTMLResponse:
    t = translator(request)
    limits = {"title": 200, "summary": 2000, "body": 50_000, "creator_name": 200}
    values = {name: form_text(form, name, limit=limits.get(name, 254)) for name in NEW_FIELDS}
    errors: dict[str, str] = {}
    try:
        data = PetitionIn.model_validate({**values, "locale": t.lang})
    except ValidationError as exc:
        for err in exc.errors():
            name = str(err["loc"][0]) if err.get("loc") else "title"
            errors.setdefault(name, t(f"petition.new_error.{name}"))
    if not errors:
        try:
            normalize_email(values["creator_email"], field="creator_email")
            facade(request).petitions.create(data, ip=remote_ip(request))
        except InvalidInput as exc:
            name = exc.field if exc.field in NEW_FIELDS else "title"
            errors[name] = t.error(exc)
    if errors:
        return render(
            request,
            "petition_new.html",
            status=422,
            values=values,
            errors=errors,
            labels=NEW_FIELDS,
        )
    return render(request, "petition_new_sent.html", title=values["title"])


@pages.get("/petitions/{petition}", response_class=HTMLResponse)
def petition_page(request: Request, petition: str) -> HTMLResponse:
    return _petition_page(request, public_petition(request, petition))


def _signature_from_form(form: FormData, lang: str) -> tuple[dict[str, Any], SignatureIn]:
    values: dict[str, Any] = {name: form_text(form, name, limit=260) for name in SIGN_FIELDS}
    for flag in ("show_name", "notify_answer", "declared_min_age", "declared_resident"):
        values[flag] = form.get(flag) == "1"
    try:
        return values, SignatureIn(
            name=values["name"],
            email=values["email"],
            postcode=values["postcode"],
            house_number=values["house_number"] or None,
            show_name=values["show_name"],
            notify_answer=values["notify_answer"],
            declared_min_age=values["declared_min_age"],
            declared_resident=values["declared_resident"],
            locale=lang,
        )
    except ValidationError as exc:
        raise FormErrors(values, exc) from None


class FormErrors(Exception):
    """The form did not validate: what was typed, and the fields at fault."""

    def __init__(self, values: dict[str, Any], exc: ValidationError) -> None:
        super().__init__("invalid form")
        self.values = values
        self.fields = [str(err["loc"][0]) for err in exc.errors() if err.get("loc")]


@pages.post("/petitions/{petition}", response_class=HTMLResponse)
async def sign(request: Request, petition: str) -> Response:
    form = await request.form()
    # The service calls block on the database: off the event loop with them.
    return await run_in_threadpool(_sign, request, petition, form)


def _sign(request: Request, petition: str, form: FormData) -> Response:
    t = translator(request)
    found = public_petition(request, petition)
    errors: dict[str, str] = {}
    values: dict[str, Any] = {}
    try:
        values, data = _signature_from_form(form, t.lang)
    except FormErrors as failed:
        values = failed.values
        for name in failed.fields:
            errors.setdefault(name, t(f"petition.form_error.{name}"))
        data = None
    # Every field is checked before anything is sent, so all problems show at once.
    for name, check in (("email", normalize_email), ("postcode", normalize_postcode)):
        if name not in errors and values.get(name):
            try:
                check(values[name])
            except InvalidInput as exc:
                errors[name] = t.error(exc)
                data = None
    if data is not None and not errors:
        try:
            facade(request).petitions.sign(found.id, data, ip=remote_ip(request))
        except InvalidInput as exc:
            name = exc.field or "form"
            specific = f"petition.form_error.{name}"
            generic = exc.code in ("input.invalid",)
            errors[name] = t(specific) if generic and t.has(specific) else t.error(exc)
    if errors:
        return _petition_page(request, found, values=values, errors=errors, status=422)
    return plain_redirect(link(request, "petition", petition=found.id) + "/signed")


@pages.get("/petitions/{petition}/signed", response_class=HTMLResponse)
def signed(request: Request, petition: str) -> HTMLResponse:
    return render(request, "petition_signed.html", petition=public_petition(request, petition))


def _token_page(
    request: Request, template: str, purpose: str, token: str, **context: Any
) -> HTMLResponse:
    """A page behind an e-mail link: checks the link, changes nothing (scanners open it)."""

    p = facade(request)
    lifetimes = p.settings.tokens
    max_age = {
        "petition.withdraw": lifetimes.withdraw,
        "petition.unsubscribe": lifetimes.unsubscribe,
        "petition.creator": lifetimes.confirm,
        "petition.coinitiator": lifetimes.confirm,
    }[purpose]
    payload = p.tokens.load(purpose, token, max_age=max_age)
    petition: Petition | None
    try:
        petition = p.petitions.get(uuid.UUID(payload.subject))
    except (ValueError, PetitionNotFound):
        petition = None
    return render(request, template, token=token, petition=petition, **context)


@pages.get("/petitions/confirm/{token}", response_class=HTMLResponse)
def confirm_page(request: Request, token: str) -> HTMLResponse:
    page = facade(request).petitions.confirmation_page(token)
    return render(request, "petition_confirm.html", page=page, token=token)


@pages.post("/petitions/confirm/{token}", response_class=HTMLResponse)
def confirm(request: Request, token: str) -> HTMLResponse:
    done = facade(request).petitions.confirm(token)
    return render(request, "petition_confirmed.html", confirmation=done)


@pages.get("/petitions/withdraw/{token}", response_class=HTMLResponse)
def withdraw_page(request: Request, token: str) -> HTMLResponse:
    return _token_page(request, "petition_withdraw.html", "petition.withdraw", token, done=False)


@pages.post("/petitions/withdraw/{token}", response_class=HTMLResponse)
def withdraw(request: Request, token: str) -> HTMLResponse:
    facade(request).petitions.withdraw_signature(token)
    return _token_page(request, "petition_withdraw.html", "petition.withdraw", token, done=True)


@pages.get("/petitions/unsubscribe/{token}", response_class=HTMLResponse)
def unsubscribe_page(request: Request, token: str) -> HTMLResponse:
    return _token_page(
        request, "petition_unsubscribe.html", "petition.unsubscribe", token, done=False
    )


@pages.post("/petitions/unsubscribe/{token}", response_class=HTMLResponse)
def unsubscribe(request: Request, token: str) -> HTMLResponse:
    facade(request).petitions.unsubscribe(token)
    return _token_page(
        request, "petition_unsubscribe.html", "petition.unsubscribe", token, done=True
    )


@pages.get("/petitions/creator/{token}", response_class=HTMLResponse)
def creator_page(request: Request, token: str) -> HTMLResponse:
    return _token_page(
        request, "petition_creator.html", "petition.creator", token, done=False, role="creator"
    )


@pages.post("/petitions/creator/{token}", response_class=HTMLResponse)
def creator_confirm(request: Request, token: str) -> HTMLResponse:
    facade(request).petitions.confirm_creator(token)
    return _token_page(
        request, "petition_creator.html", "petition.creator", token, done=True, role="creator"
    )


@pages.get("/petitions/coinitiator/{token}", response_class=HTMLResponse)
def coinitiator_page(request: Request, token: str) -> HTMLResponse:
    return _token_page(
        request,
        "petition_creator.html",
        "petition.coinitiator",
        token,
        done=False,
        role="coinitiator",
    )


@pages.post("/petitions/coinitiator/{token}", response_class=HTMLResponse)
def coinitiator_confirm(request: Request, token: str) -> HTMLResponse:
    facade(request).petitions.confirm_coinitiator(token)
    return _token_page(
        request,
        "petition_creator.html",
        "petition.coinitiator",
        token,
        done=True,
        role="coinitiator",
    )


# -- JSON API --------------------------------------------------------------------------


class PetitionOut(BaseModel):
    """A petition as the public sees it."""

    id: uuid.UUID
    title: str
    summary: str
    body: str
    status: str
    creator_name: str
    opens_at: datetime | None
    closes_at: datetime | None
    verified: int
    paper: int
    total: int
    thresholds: list[int]
    answer_text: str | None
    answer_url: str | None
    url: str


def _out(petition: Petition) -> PetitionOut:
    return PetitionOut(
        **petition.model_dump(include=set(PetitionOut.model_fields) - {"total"}),
        total=petition.verified + petition.paper,
    )


@api.get("", summary="Public petitions (open, closed, handed over, answered)")
def list_petitions(request: Request, status: str | None = None) -> list[PetitionOut]:
    found = facade(request).petitions.list()
    return [_out(x) for x in found if x.status in PUBLIC and (status is None or x.status == status)]


@api.get("/{petition}", summary="One public petition")
def get_petition(request: Request, petition: str) -> PetitionOut:
    return _out(public_petition(request, petition))


@api.get("/{petition}/stats", summary="Signature counts per wijk and per day (no personal data)")
def petition_stats(request: Request, petition: str) -> PublicStats:
    return facade(request).petitions.public_stats(public_petition(request, petition).id)


@api.get(
    "/{petition}/names",
    summary="Signers who agreed to be named (newest first): name, wijk and day only",
)
def petition_names(
    request: Request,
    petition: str,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> PublicSigners:
    return facade(request).petitions.public_signers(
        public_petition(request, petition).id, limit=limit, offset=offset
    )


@api.post(
    "/{petition}/signatures",
    status_code=202,
    summary="Sign; a confirmation mail follows",
    description="The answer is the same for a first signature, a repeat and a refused one, "
    "so nobody can learn who signed. The client address counts towards the rate limits.",
)
def sign_json(request: Request, petition: str, data: SignatureIn) -> SignReceipt:
    found = public_petition(request, petition)
    return facade(request).petitions.sign(found.id, data, ip=remote_ip(request))


@api.post("/confirm", summary="Confirm a signature with the token from the e-mail")
def confirm_json(request: Request, data: TokenIn) -> Confirmation:
    return facade(request).petitions.confirm(data.token)


@api.post("/withdraw", status_code=204, summary="Withdraw a signature (token from the e-mail)")
def withdraw_json(request: Request, data: TokenIn) -> Response:
    facade(request).petitions.withdraw_signature(data.token)
    return Response(status_code=204)


@api.post("", status_code=201, summary="Start a petition; the creator confirms by e-mail")
def create_json(request: Request, data: PetitionIn) -> PetitionOut:
    return _out(facade(request).petitions.create(data, ip=remote_ip(request)))


# -- administration ----------------------------------------------------------------------


@admin.get("", summary="Every petition, drafts and hidden ones included")
def admin_list(request: Request, actor: str = require("petitions.read")) -> list[Petition]:
    return facade(request).petitions.list(include_hidden=True)


@admin.get("/{petition}/stats", summary="Counts for the petition desk")
def admin_stats(
    request: Request, petition: str, actor: str = require("petitions.read", "petition")
) -> DeskStats:
    return facade(request).petitions.stats(parse_id(petition))


class Approval(BaseModel):
    closes_at: datetime | None = None
    thresholds: list[int] | None = Field(default=None, max_length=20)


class RejectionIn(BaseModel):
    reason: str = Field(min_length=1, max_length=100)
    note: str | None = Field(default=None, max_length=2000)


@admin.post("/{petition}/approve", summary="Open the petition for signing")
def admin_approve(
    request: Request,
    petition: str,
    data: Approval | None = None,
    actor: str = require("petitions.moderate", "petition"),
) -> Petition:
    given = data or Approval()
    options = {key: value for key, value in given.model_dump().items() if value is not None}
    return facade(request).petitions.approve(parse_id(petition), actor=actor, **options)


@admin.post("/{petition}/reject", summary="Refuse the petition with a reason code")
def admin_reject(
    request: Request,
    petition: str,
    data: RejectionIn,
    actor: str = require("petitions.moderate", "petition"),
) -> Petition:
    return facade(request).petitions.reject(
        parse_id(petition), actor=actor, reason=data.reason, note=data.note
    )


@admin.post("/{petition}/close", summary="Close the petition now")
def admin_close(
    request: Request, petition: str, actor: str = require("petitions.moderate", "petition")
) -> Petition:
    return facade(request).petitions.close(parse_id(petition), actor=actor)


#: Times the desk gives: with a time zone (a naive time is always a bug) and in a range
#: every database stores.
Moment = Annotated[
    AwareDatetime,
    Field(ge=datetime(2000, 1, 1, tzinfo=UTC), lt=datetime(3000, 1, 1, tzinfo=UTC)),
]


@admin.get("/rules", summary="The desk's allow- and block-list entries")
def admin_rules(request: Request, actor: str = require("petitions.read")) -> list[Rule]:
    return facade(request).petitions.rules()


class RuleIn(BaseModel):
    kind: Literal["allow_domain", "allow_network", "block_domain", "block_network", "block_address"]
    value: str = Field(
        min_length=1, max_length=254, description="a domain, a network in CIDR or an address"
    )
    note: str | None = Field(default=None, max_length=500)


@admin.post("/rules", status_code=201, summary="Add an allow- or block-list entry")
def admin_add_rule(
    request: Request, data: RuleIn, actor: str = require("petitions.moderate")
) -> Rule:
    return facade(request).petitions.add_rule(data.kind, data.value, actor=actor, note=data.note)


@admin.delete("/rules/{rule}", status_code=204, summary="Remove an allow- or block-list entry")
def admin_remove_rule(
    request: Request, rule: str, actor: str = require("petitions.moderate")
) -> Response:
    try:
        rule_id = uuid.UUID(rule)
    except ValueError:
        raise NotFound("no such rule", field="rule") from None
    facade(request).petitions.remove_rule(rule_id, actor=actor)
    return Response(status_code=204)


@admin.get("/{petition}", summary="One petition, whatever its state, hidden or not")
def admin_get(
    request: Request, petition: str, actor: str = require("petitions.read", "petition")
) -> Petition:
    return facade(request).petitions.get(parse_id(petition))


@admin.get(
    "/{petition}/trends",
    summary="IP addresses (as keyed hashes) and mail domains whose signatures trended",
)
def admin_trends(
    request: Request, petition: str, actor: str = require("petitions.read", "petition")
) -> list[Trend]:
    petitions = facade(request).petitions
    found = petitions.get(parse_id(petition))  # an unknown petition is a 404, not []
    return petitions.trends(found.id)


class ExtensionIn(BaseModel):
    closes_at: Moment
    reason: str = Field(min_length=1, max_length=500)


@admin.post("/{petition}/extend", summary="Move the closing time later; the reason is recorded")
def admin_extend(
    request: Request,
    petition: str,
    data: ExtensionIn,
    actor: str = require("petitions.moderate", "petition"),
) -> Petition:
    return facade(request).petitions.extend(
        parse_id(petition), actor=actor, closes_at=data.closes_at, reason=data.reason
    )


class HideIn(BaseModel):
    reason: str = Field(min_length=1, max_length=500)


class UnhideIn(BaseModel):
    reason: str = Field(default="", max_length=500)


@admin.post("/{petition}/hide", summary="Hide an offensive petition from every public place")
def admin_hide(
    request: Request,
    petition: str,
    data: HideIn,
    actor: str = require("petitions.moderate", "petition"),
) -> Petition:
    return facade(request).petitions.hide(parse_id(petition), actor=actor, reason=data.reason)


@admin.post("/{petition}/unhide", summary="Show a hidden petition again")
def admin_unhide(
    request: Request,
    petition: str,
    data: UnhideIn | None = None,
    actor: str = require("petitions.moderate", "petition"),
) -> Petition:
    reason = (data or UnhideIn()).reason
    return facade(request).petitions.hide(
        parse_id(petition), actor=actor, reason=reason, hidden=False
    )


class HandOverIn(BaseModel):
    to: str = Field(min_length=1, max_length=255, description="e.g. de gemeenteraad")
    at: Moment | None = Field(default=None, description="when; now if not given")
    note: str | None = Field(default=None, max_length=2000)


@admin.post(
    "/{petition}/hand-over",
    summary="Record the hand-over to the council (closes the petition if still open)",
)
def admin_hand_over(
    request: Request,
    petition: str,
    data: HandOverIn,
    actor: str = require("petitions.moderate", "petition"),
) -> Petition:
    return facade(request).petitions.hand_over(
        parse_id(petition), actor=actor, to=data.to, at=data.at, note=data.note
    )


class CouncilAnswerIn(BaseModel):
    text: str = Field(min_length=1, max_length=50_000)
    decision_url: ExternalUrl | None = None


class CouncilAnswerOut(BaseModel):
    petition: Petition
    #: Signers who asked for the answer and got it queued in the outbox.
    signers_notified: int


@admin.post(
    "/{petition}/answer",
    summary="Record the council's answer; it goes to the creator and to consenting signers",
    description="The mails go through the outbox, spread over time, each once.",
)
def admin_answer(
    request: Request,
    petition: str,
    data: CouncilAnswerIn,
    actor: str = require("petitions.moderate", "petition"),
) -> CouncilAnswerOut:
    petitions = facade(request).petitions
    pid = parse_id(petition)
    queued = petitions.answer(pid, actor=actor, text=data.text, decision_url=data.decision_url)
    return CouncilAnswerOut(petition=petitions.get(pid), signers_notified=queued)


class PaperBatchBody(PaperBatchIn):
    area: str | None = Field(
        default=None, max_length=50, description="area code; None when unknown"
    )


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


def _live_statuses() -> list[InvalidatableStatus]:
    return ["pending", "verified"]


class CriteriaIn(InvalidationCriteria):
    """Which signatures a bulk invalidation hits; all given criteria must match."""

    ip: str | None = Field(default=None, max_length=45)
    subnet: str | None = Field(
        default=None, max_length=45, description="any address inside the /24 or /48"
    )
    domain: str | None = Field(default=None, max_length=253)
    area: str | None = Field(default=None, max_length=50)
    since: Moment | None = None
    until: Moment | None = None
    statuses: list[InvalidatableStatus] = Field(
        default_factory=_live_statuses, min_length=1, max_length=3
    )

    def plain(self) -> InvalidationCriteria:
        return InvalidationCriteria.model_validate(self.model_dump())


class InvalidationIn(BaseModel):
    criteria: CriteriaIn
    expected_total: int = Field(
        ge=0, le=100_000_000, description="the total the preview showed for these criteria"
    )
    reason: str = Field(min_length=1, max_length=500)


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


def _download(filename: str) -> dict[str, str]:
    return {
        "content-disposition": f'attachment; filename="{filename}"',
        "cache-control": "no-store",
    }


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
        result = facade(request).petitions.export_csv(pid, path)
    except BaseException:
        os.unlink(path)
        raise
    return FileResponse(
        path,
        media_type="text/csv; charset=utf-8",
        headers={
            **_download(f"handtekeningen-{pid}.csv"),
            "x-participatie-sha256": result.sha256,
            "x-participatie-rows": str(result.rows),
        },
        background=BackgroundTask(os.unlink, path),
    )


HANDOVER_FORMATS = {"html": "text/html; charset=utf-8", "pdf": "application/pdf"}


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
    body = (
        petitions.handover_pdf(document)
        if fmt == "pdf"
        else petitions.handover_html(document).encode("utf-8")
    )
    return Response(
        body,
        media_type=HANDOVER_FORMATS[fmt],
        headers={
            **_download(f"overdracht-{pid}.{fmt}"),
            "x-participatie-sha256": document.sha256,
        },
    )


# -- home page, feeds, installation ------------------------------------------------------


def section(request: Request) -> HomeSection:
    t = translator(request)
    p = facade(request)
    items = []
    for petition in p.petitions.list(status="open"):
        if not is_open(request, petition):
            continue
        count = petition.verified + petition.paper
        meta = t("petition.count", count=count)
        if petition.closes_at:
            meta += " · " + t("common.open_until", date=t.date(petition.closes_at, p.settings.zone))
        items.append(
            HomeItem(
                title=petition.title,
                link_name="petition",
                params={"petition": str(petition.id)},
                meta=meta,
                summary=petition.summary,
                updated=petition.moderated_at or petition.created_at,
            )
        )
    return HomeSection(key="petitions", title=t("home.petitions"), items=items)


def results_section(request: Request) -> HomeSection:
    """Petitions that closed, were handed over or answered: their page shows the outcome."""

    t = translator(request)
    p = facade(request)
    items = []
    for petition in p.petitions.list():
        if petition.status not in ("closed", "handed_over", "answered"):
            continue
        count = petition.verified + petition.paper
        items.append(
            HomeItem(
                title=petition.title,
                link_name="petition",
                params={"petition": str(petition.id)},
                meta=t("petition.count", count=count)
                + " · "
                + t(f"petition.status_{petition.status}"),
                summary=petition.summary,
                updated=petition.answered_at or petition.handed_over_at or petition.closed_at,
            )
        )
    return HomeSection(key="results", title=t("home.results"), items=items)


def install(app: FastAPI) -> None:
    app.include_router(pages)
    app.include_router(api)
    app.include_router(admin)
    app.state.participatie_web.sections.append(section)
    app.state.participatie_web.sections.append(results_section)
