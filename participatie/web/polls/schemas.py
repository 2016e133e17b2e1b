"""What the polls JSON API takes beyond the service's own types: ballots with their
credential, code checks, and the bodies of the admin requests.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Path
from pydantic import BaseModel, Field

from participatie.polls.schemas import MAX_ELIGIBLE, BallotIn, LetterAddress, PaperEntry


class BallotRequest(BallotIn):
    """A ballot with the credential the poll asks for."""

    code: str | None = Field(default=None, max_length=40, description="code from the letter")
    email_token: str | None = Field(
        default=None, max_length=2000, description="token from the voting link"
    )


class EmailLinkRequest(BaseModel):
    email: str = Field(min_length=1, max_length=254)
    postcode: str | None = Field(default=None, max_length=10)


class CodeCheck(BaseModel):
    code: str = Field(min_length=1, max_length=40)


class CodeChecked(BaseModel):
    code: str = Field(description="the code as printed: groups of four")


class PublishRequest(BaseModel):
    witness: str | None = Field(
        default=None, max_length=200, description="who witnessed a draw by lot (audit log)"
    )


class CodesRequest(BaseModel):
    """Either a number of households (letters without address) or the addresses."""

    count: int | None = Field(
        default=None, ge=1, le=500_000, description="households that get a letter"
    )
    addresses: list[LetterAddress] | None = Field(
        default=None,
        min_length=1,
        max_length=500_000,
        description="addresses printed on the letters (stored only as a keyed hash)",
    )


class CancelRequest(BaseModel):
    reason: str = Field(min_length=1, max_length=1000, description="why (in the audit log)")


#: A letter number as stored (a 32-bit column).
Serial = Annotated[int, Path(ge=1, le=2**31 - 1, description="the letter's number")]


class RevokeRequest(BaseModel):
    reason: str = Field(default="", max_length=500, description="why (in the audit log)")


class ReissueRequest(BaseModel):
    reason: str = Field(
        default="lost letter", min_length=1, max_length=500, description="why (in the audit log)"
    )


class DeskBallotRequest(BallotRequest):
    """A ballot cast at the desk by a staff member, with the resident's credential."""

    subject: str | None = Field(
        default=None,
        max_length=255,
        description="who votes, for polls where the host vouches (stored as a keyed hash)",
    )
    postcode: str | None = Field(default=None, max_length=10)


OptionRef = Annotated[str, Field(max_length=200)]


class PaperSheet(PaperEntry):
    """One typing of a paper ballot sheet, as read from the paper."""

    code: str | None = Field(
        default=None, max_length=40, description="code on the envelope (code polls)"
    )
    marks: list[OptionRef] = Field(
        default_factory=list,
        max_length=1000,
        description="marked options (names or positions), in order of preference if ranked",
    )
    points: dict[OptionRef, Annotated[int, Field(ge=0, le=1_000_000)]] = Field(
        default_factory=dict, max_length=1000, description="cumulative: option -> points"
    )


class EnvelopesRequest(BaseModel):
    count: int = Field(ge=0, le=MAX_ELIGIBLE, description="paper envelopes counted by hand")
