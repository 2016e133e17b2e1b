"""Starting a petition: the form a resident fills in; the creator confirms by e-mail
before the desk sees it.
"""

from __future__ import annotations

from fastapi import Request
from pydantic import ValidationError
from starlette.datastructures import FormData
from starlette.responses import HTMLResponse

from participatie.errors import InvalidInput
from participatie.identity import normalize_email
from participatie.petitions.schemas import PetitionIn
from participatie.web.common import (
    check_fields,
    facade,
    form_text,
    page_router,
    remote_ip,
    render,
    translator,
    with_form,
)

NEW_FIELDS = ("title", "summary", "body", "creator_name", "creator_email")

pages = page_router()


# Installed before /petitions/{petition}, which would otherwise take "new" for an id.
@pages.get("/petitions/new", response_class=HTMLResponse)
def new_page(request: Request) -> HTMLResponse:
    return render(request, "petition_new.html", values={}, errors={}, labels=NEW_FIELDS)


@pages.post("/petitions/new", response_class=HTMLResponse)
async def new(request: Request) -> HTMLResponse:
    return await with_form(request, _new)


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
    check_fields(t, errors, values, {"creator_email": normalize_email})
    if not errors:
        try:
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
