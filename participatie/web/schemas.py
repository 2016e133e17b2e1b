"""Types the HTTP API adds around the modules' own: the error body every failure has, and
the token a resident copies from an e-mail.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

# Shared by the routes that take a link from staff (one type for every stored link).
from participatie.urls import ExternalUrl as ExternalUrl


class ErrorBody(BaseModel):
    """Every error: a stable ``code``, a translated ``message``, the ``field`` at fault."""

    code: str = Field(examples=["petition.closed"])
    message: str
    field: str | None = None
    detail: str | None = Field(default=None, description="English detail for developers")


class TokenIn(BaseModel):
    token: str = Field(min_length=1, max_length=2000, description="the token from the e-mail link")


ERRORS: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorBody, "description": text}
    for status, text in (
        (400, "bad request or unusable link"),
        (403, "not allowed"),
        (404, "not found"),
        (409, "not possible in the current state"),
        (413, "request body too large"),
        (415, "writes must be application/json"),
        (422, "invalid input; `field` names it"),
        (429, "too many requests"),
    )
}
