"""Privacy pages: a resident asks what is stored about their e-mail address, opens the
link from the mail to see it (GET changes nothing) and may erase it with a button.
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from pydantic import BaseModel, Field
from starlette.datastructures import FormData
from starlette.responses import HTMLResponse, Response

from participatie.errors import InvalidInput
from participatie.web.common import (
    api_router,
    facade,
    form_text,
    page_router,
    remote_ip,
    render,
    translator,
    with_form,
)

pages = page_router()
api = api_router("/api/privacy", "privacy")


@pages.get("/privacy", response_class=HTMLResponse)
def request_page(request: Request) -> HTMLResponse:
    return render(request, "privacy_request.html", values={}, errors={}, labels=("email",))


@pages.post("/privacy", response_class=HTMLResponse)
async def request_link(request: Request) -> HTMLResponse:
    return await with_form(request, _request_link)


def _request_link(request: Request, form: FormData) -> HTMLResponse:
    t = translator(request)
    email = form_text(form, "email", limit=254)
    try:
        facade(request).petitions.request_personal_data(email, locale=t.lang, ip=remote_ip(request))
    except InvalidInput as exc:
        return render(
            request,
            "privacy_request.html",
            status=422,
            values={"email": email},
            errors={"email": t.error(exc)},
            labels=("email",),
        )
    # The same answer whether or not anything is stored: nobody learns who signed.
    return render(request, "privacy_sent.html")


@pages.get("/privacy/{token}", response_class=HTMLResponse)
def show(request: Request, token: str) -> HTMLResponse:
    data = facade(request).petitions.personal_data_from_link(token)
    return render(request, "privacy_data.html", data=data, token=token, erased=None)


@pages.post("/privacy/{token}", response_class=HTMLResponse)
def erase(request: Request, token: str) -> HTMLResponse:
    result = facade(request).petitions.erase_from_link(token)
    return render(request, "privacy_data.html", data=None, token=token, erased=result)


class PrivacyRequest(BaseModel):
    email: str = Field(min_length=1, max_length=254)


@api.post(
    "/request",
    status_code=202,
    summary="Mail a link to see (and erase) what is stored about an address",
    description="The answer is the same whether or not anything is stored.",
)
def request_json(request: Request, data: PrivacyRequest) -> Response:
    facade(request).petitions.request_personal_data(
        data.email, locale=translator(request).lang, ip=remote_ip(request)
    )
    return Response(status_code=202)


def install(app: FastAPI) -> None:
    app.include_router(pages)
    app.include_router(api)
