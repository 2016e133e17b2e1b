"""The resident's signing flow: the petition page with its form, the signature, the page
that says a mail is on its way, and the confirmation button behind the mail's link.
"""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import Request
from pydantic import ValidationError
from starlette.datastructures import FormData
from starlette.responses import HTMLResponse, Response

from participatie.errors import InvalidInput
from participatie.identity import normalize_email, normalize_postcode
from participatie.petitions.schemas import SignatureIn
from participatie.web.common import (
    check_fields,
    facade,
    form_text,
    link,
    page_router,
    plain_redirect,
    render,
    translator,
    with_form,
)
from participatie.web.petitions.lookup import is_open, parse_id, public_petition, sign_publicly

SIGN_FIELDS = ("name", "email", "postcode", "house_number")

pages = page_router()


def _petition_page(
    request: Request,
    petition_id: uuid.UUID,
    *,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> HTMLResponse:
    t = translator(request)
    # The petition, its statistics and the newest names in one read.
    page = facade(request).petitions.public_page(petition_id, names=50)
    petition, stats, signers = page.petition, page.stats, page.signers
    area_rows = [
        {"label": a.name or t("petition.area_unknown"), "value": a.total, "written": bool(a.name)}
        for a in stats.per_area
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
        signers=signers,
        values=values or {},
        errors=errors or {},
        labels=(*SIGN_FIELDS, "declared_min_age", "declared_resident"),
    )


@pages.get("/petitions/{petition}", response_class=HTMLResponse)
def petition_page(request: Request, petition: str) -> HTMLResponse:
    return _petition_page(request, parse_id(petition))


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
    return await with_form(request, _sign, petition)


def _sign(request: Request, petition: str, form: FormData) -> Response:
    t = translator(request)
    key = parse_id(petition)
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
    check_fields(t, errors, values, {"email": normalize_email, "postcode": normalize_postcode})
    if data is not None and not errors:
        try:
            sign_publicly(request, petition, data)
        except InvalidInput as exc:
            name = exc.field or "form"
            specific = f"petition.form_error.{name}"
            generic = exc.code in ("input.invalid",)
            errors[name] = t(specific) if generic and t.has(specific) else t.error(exc)
    if errors:
        return _petition_page(request, key, values=values, errors=errors, status=422)
    return plain_redirect(link(request, "petition", petition=key) + "/signed")


@pages.get("/petitions/{petition}/signed", response_class=HTMLResponse)
def signed(request: Request, petition: str) -> HTMLResponse:
    return render(request, "petition_signed.html", petition=public_petition(request, petition))


@pages.get("/petitions/confirm/{token}", response_class=HTMLResponse)
def confirm_page(request: Request, token: str) -> HTMLResponse:
    page = facade(request).petitions.confirmation_page(token)
    return render(request, "petition_confirm.html", page=page, token=token)


@pages.post("/petitions/confirm/{token}", response_class=HTMLResponse)
def confirm(request: Request, token: str) -> HTMLResponse:
    done = facade(request).petitions.confirm(token)
    return render(request, "petition_confirmed.html", confirmation=done)
