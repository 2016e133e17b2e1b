"""The desk's view of the send caps: how many mails requesters asked for were held back,
per address and per network (``participatie.sendcaps``)."""

from __future__ import annotations

from datetime import datetime

from fastapi import FastAPI, Request

from participatie.sendcaps import SendCapStats
from participatie.web.common import api_router, facade, require

admin = api_router("/api/admin/send-caps", "admin: mail")


@admin.get("", summary="Mails held back by the send caps (and let through) since a moment")
def send_cap_stats(
    request: Request, since: datetime | None = None, actor: str = require("mail.read")
) -> SendCapStats:
    return facade(request).send_caps.stats(since=since)


def install(app: FastAPI) -> None:
    app.include_router(admin)
