"""Subscription pages (the "Volg deze wijk" form, confirm by button, change choices,
leave with one click per RFC 8058) and the subscriptions JSON and admin API."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, FastAPI, Request
from pydantic import BaseModel, Field, ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.responses import HTMLResponse, Response

from participatie.errors import InvalidInput
from participatie.identity import normalize_email
from participatie.subscriptions.errors import NothingToFollow
from participatie.subscriptions.schemas import (
    MUNICIPALITY,
    TOPICS,
    Frequency,
    Subscription,
    SubscriptionIn,
    SubscriptionStats,
)
from participatie.web.common import (
    api_router,
    check_csrf,
    check_fields,
    facade,
    form_text,
    remote_ip,
    render,
    require,
    translator,
)
from participatie.web.schemas import TokenIn

pages = APIRouter(dependencies=[Depends(check_csrf)], include_in_schema=False)
api = api_router("/api/subscriptions", "subscriptions")
admin = api_router("/api/admin/subscriptions", "admin: subscriptions")
LABELS = ("email", "areas", "topics", "frequency")


def _form_context(request: Request, values: dict[str, Any]) -> dict[str, Any]:
    p = facade(request)
    return {
        "areas": p.areas.list(),
        "topics": TOPICS,
        "municipality": MUNICIPALITY,
        "values": values,
        "labels": LABELS,
    }


@pages.get("/subscriptions", response_class=HTMLResponse)
def form_page(request: Request) -> HTMLResponse:
    query = request.query_params
    values: dict[str, Any] = {
        "areas": [a for a in query.getlist("area") if a],
        "topics": [],
        "frequency": "weekly",
        "dossier_id": query.get("dossier", ""),
        "petition_id": query.get("petition", ""),
    }
    return render(request, "subscribe.html", errors={}, **_form_context(request, values))


@pages.post("/subscriptions", response_class=HTMLResponse)
async def subscribe(request: Request) -> HTMLResponse:
    form = await request.form()
    return await run_in_threadpool(_subscribe, request, form)


def _subscribe(request: Request, form: FormData) -> HTMLResponse:
    t = translator(request)
    values: dict[str, Any] = {
        "email": form_text(form, "email", limit=254),
        "areas": [a for a in form.getlist("areas") if isinstance(a, str) and a][:60],
        "topics": [x for x in form.getlist("topics") if isinstance(x, str) and x][:4],
        "frequency": form_text(form, "frequency", limit=10) or "weekly",
        "dossier_id": form_text(form, "dossier_id", limit=40),
        "petition_id": form_text(form, "petition_id", limit=40),
    }
    errors: dict[str, str] = {}
    check_fields(t, errors, values, {"email": normalize_email})
    if not (values["areas"] or values["dossier_id"] or values["petition_id"]):
        # The service says the same; asked here too, so it shows with the address's problem.
        errors["areas"] = t.error(NothingToFollow)
    try:
        data = SubscriptionIn(
            email=values["email"],
            areas=values["areas"],
            topics=values["topics"],
            frequency=values["frequency"],
            dossier_id=values["dossier_id"] or None,
            petition_id=values["petition_id"] or None,
            locale=t.lang,
        )
    except ValidationError as exc:
        for problem in exc.errors():
            name = str(problem["loc"][0]) if problem["loc"] else "email"
            errors.setdefault(name if name in LABELS else "areas", t.error(InvalidInput))
    if not errors:
        try:
            facade(request).subscriptions.subscribe(data, ip=remote_ip(request))
        except InvalidInput as exc:
            name = exc.field if exc.field in LABELS else "areas"
            errors[name] = t.error(exc)
    if errors:
        return render(
            request, "subscribe.html", status=422, errors=errors, **_form_context(request, values)
        )
    # The same answer whether or not the address is known or a send cap held the mail.
    return render(request, "subscribe_sent.html")


@pages.get("/subscriptions/confirm/{token}", response_class=HTMLResponse)
def confirm_page(request: Request, token: str) -> HTMLResponse:
    page = facade(request).subscriptions.confirmation_page(token)
    return render(request, "subscribe_confirm.html", page=page, token=token, done=False)


@pages.post("/subscriptions/confirm/{token}", response_class=HTMLResponse)
def confirm(request: Request, token: str) -> HTMLResponse:
    done = facade(request).subscriptions.confirm(token)
    manage = facade(request).subscriptions.manage_link(done.id)
    return render(
        request, "subscribe_confirm.html", page=done, token=token, done=True, manage=manage
    )


@pages.get("/subscriptions/unsubscribe/{token}", response_class=HTMLResponse)
def manage_page(request: Request, token: str) -> HTMLResponse:
    subscription = facade(request).subscriptions.get(token)
    return render(
        request,
        "subscription_manage.html",
        token=token,
        subscription=subscription,
        left=False,
        changed=False,
        errors={},
        **_form_context(request, _values(subscription)),
    )


@pages.post("/subscriptions/unsubscribe/{token}", response_class=HTMLResponse)
def unsubscribe(request: Request, token: str) -> HTMLResponse:
    """The button on the page, and RFC 8058's one-click POST from a mail client."""

    facade(request).subscriptions.unsubscribe(token)
    return render(request, "subscription_manage.html", token=token, left=True, changed=False)


@pages.post("/subscriptions/unsubscribe/{token}/change", response_class=HTMLResponse)
async def change(request: Request, token: str) -> HTMLResponse:
    form = await request.form()
    return await run_in_threadpool(_change, request, token, form)


def _change(request: Request, token: str, form: FormData) -> HTMLResponse:
    t = translator(request)
    frequency = form_text(form, "frequency", limit=10)
    areas = [a for a in form.getlist("areas") if isinstance(a, str) and a][:60]
    topics = [x for x in form.getlist("topics") if isinstance(x, str) and x][:4]
    p = facade(request)
    errors: dict[str, str] = {}
    try:
        subscription = p.subscriptions.change(
            token,
            areas=areas,
            topics=topics,
            frequency=frequency if frequency in ("daily", "weekly") else None,  # type: ignore[arg-type]
        )
    except InvalidInput as exc:
        errors[exc.field if exc.field in LABELS else "areas"] = t.error(exc)
        subscription = p.subscriptions.get(token)
    return render(
        request,
        "subscription_manage.html",
        status=422 if errors else 200,
        token=token,
        subscription=subscription,
        left=False,
        changed=not errors,
        errors=errors,
        **_form_context(request, _values(subscription)),
    )


def _values(subscription: Subscription) -> dict[str, Any]:
    areas = [f.target for f in subscription.follows if f.kind == "area"]
    topics = next((f.topics for f in subscription.follows if f.kind == "area"), [])
    return {"areas": areas, "topics": topics, "frequency": subscription.frequency}


# -- JSON API ---------------------------------------------------------------------------


class ChangeIn(BaseModel):
    token: str = Field(min_length=1, max_length=2000)
    areas: list[str] | None = None
    topics: list[str] | None = None
    frequency: Frequency | None = None


@api.post(
    "",
    status_code=202,
    summary="Ask to follow wijken, topics, a dossier or a petition (mails a confirmation link)",
    description="The answer is the same whether or not the address is subscribed already.",
)
def subscribe_json(request: Request, data: SubscriptionIn) -> Response:
    facade(request).subscriptions.subscribe(data, ip=remote_ip(request))
    return Response(status_code=202)


class LinkRequest(BaseModel):
    email: str = Field(min_length=1, max_length=254)


@api.post(
    "/request-link",
    status_code=202,
    summary="Mail the manage link (see, change or erase what is stored) to an address",
    description="The answer is the same whether or not the address is subscribed.",
)
def request_link_json(request: Request, data: LinkRequest) -> Response:
    facade(request).subscriptions.request_link(
        data.email, locale=translator(request).lang, ip=remote_ip(request)
    )
    return Response(status_code=202)


@api.post("/confirm", summary="Confirm with the token of the confirmation link")
def confirm_json(request: Request, data: TokenIn) -> Subscription:
    return facade(request).subscriptions.confirm(data.token)


@api.post("/me", summary="What is stored for the token of a mail's manage link (export)")
def export_json(request: Request, data: TokenIn) -> Subscription:
    return facade(request).subscriptions.export(data.token)


@api.post("/change", summary="Change followed wijken, topics or the digest frequency")
def change_json(request: Request, data: ChangeIn) -> Subscription:
    return facade(request).subscriptions.change(
        data.token, areas=data.areas, topics=data.topics, frequency=data.frequency
    )


@api.post("/unsubscribe", status_code=204, summary="Leave and erase the address")
def unsubscribe_json(request: Request, data: TokenIn) -> Response:
    facade(request).subscriptions.unsubscribe(data.token)
    return Response(status_code=204)


@admin.get("/stats", summary="Subscribers per wijk and topic (no addresses)")
def stats_json(request: Request, actor: str = require("subscriptions.read")) -> SubscriptionStats:
    return facade(request).subscriptions.stats()


def install(app: FastAPI) -> None:
    app.include_router(pages)
    app.include_router(api)
    app.include_router(admin)
