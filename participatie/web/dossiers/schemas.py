"""What the dossiers JSON API takes and gives beyond the service's own types: the public
view of a dossier, a resident's reaction, and the bodies of the admin requests.
"""

from __future__ import annotations

import base64
import binascii
import uuid
from datetime import date
from typing import Annotated, Any

from fastapi import Path as PathParam
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from participatie.reactions.schemas import AnswerIn, Channel, Outcome, PointIn, ThemeIn

#: The longest reaction the form takes (the body limit of the app is the outer bound).
MAX_TEXT = 20_000
ReactionKey = Annotated[
    str, PathParam(max_length=64, description="the reaction's id (``Reaction.id``, a UUID)")
]
ThemeCode = Annotated[str, PathParam(min_length=1, max_length=50, description="the theme's code")]
#: The largest spreadsheet the import takes (the app's body limit may be lower).
MAX_IMPORT_BYTES = 2 * 1024 * 1024


class DossierOut(BaseModel):
    """A dossier as the public sees it (no contact details of the official's mailbox)."""

    id: uuid.UUID
    title: str
    summary: str
    procedure: str
    responsible_official: str
    areas: list[str]
    status: str
    round: int
    round_label: str
    period_start: date
    period_end: date
    accepts_reactions: bool
    documents: list[dict[str, Any]]
    phases: list[dict[str, Any]]
    decision_summary: str | None


class ReactionRequest(BaseModel):
    name: str = Field(min_length=1, max_length=255)
    email: str = Field(min_length=3, max_length=254)
    text: str = Field(min_length=1, max_length=MAX_TEXT)


class ReactionReceipt(BaseModel):
    number: int
    acknowledgement_due: date
    answer_due: date


class ThemeRequest(ThemeIn):
    assessor: str | None = Field(
        default=None, min_length=1, max_length=255, description="who assesses the theme"
    )


class AssessorRequest(BaseModel):
    assessor: str = Field(min_length=1, max_length=255)


class PointRequest(PointIn):
    theme: str | None = Field(default=None, min_length=1, max_length=50)


class PointAssignment(BaseModel):
    """A theme for the point, an assessor, or both."""

    theme: str | None = Field(default=None, min_length=1, max_length=50)
    assessor: str | None = Field(default=None, min_length=1, max_length=255)

    @model_validator(mode="after")
    def _something(self) -> PointAssignment:
        if self.theme is None and self.assessor is None:
            raise ValueError("give a theme, an assessor or both")
        return self


class AnswerRequest(AnswerIn):
    """The answer to a theme (``theme``) or to one point (``point_id``): the outcome and
    the reason the submitters read."""

    theme: str | None = Field(default=None, min_length=1, max_length=50)
    outcome: Outcome


class AnswerUpdate(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True, extra="forbid")

    outcome: Outcome
    motivation: str = Field(min_length=1, max_length=20_000)
    changes_plan: bool = False
    change_reference: str | None = Field(default=None, max_length=1000)
    expected_version: int = Field(
        ge=1, le=1_000_000, description="the version you read; a newer one is a 409"
    )


class AdmissibilityRequest(BaseModel):
    admissible: bool
    reason: str = Field(min_length=1, max_length=2000, description="told to the submitter")


class ExtensionRequest(BaseModel):
    new_due: date
    reason: str = Field(min_length=1, max_length=2000, description="told to every submitter")
    reaction_ids: list[uuid.UUID] | None = Field(
        default=None,
        min_length=1,
        max_length=10_000,
        description="only these reactions (ids); left out: every unanswered one due earlier",
    )


class ImportRequest(BaseModel):
    """A CSV or XLSX file of paper reactions, base64-encoded: API writes are JSON only."""

    filename: str = Field(
        min_length=5,
        max_length=255,
        pattern=r"(?i)\.(csv|txt|xlsx|xlsm)$",
        description="the file's name; its extension says how to read it",
    )
    content_base64: str = Field(
        min_length=4, max_length=4 * ((MAX_IMPORT_BYTES + 2) // 3), description="the file"
    )
    channel: Channel = Field(default="paper", description="for rows without a 'kanaal'")

    @field_validator("content_base64")
    @classmethod
    def _base64(cls, value: str) -> str:
        try:
            base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError):
            raise ValueError("not base64") from None
        return value
