"""Errors of the petitions module, each with a stable code under ``petition.``.

They subclass the core tree so the web layer maps them to a status without a list.
"""

from __future__ import annotations

from participatie.errors import Conflict, InvalidInput, InvalidState, NotFound


class PetitionNotFound(NotFound):
    code = "petition.not_found"


class PetitionClosed(InvalidState):
    """Signing (or confirming, after the grace period) a petition that is not open."""

    code = "petition.closed"


class PetitionState(InvalidState):
    """A step of the life cycle that does not fit the petition's current state."""

    code = "petition.state"


class UnknownReason(InvalidInput):
    code = "petition.reason"


class PreviewMismatch(Conflict):
    """The signatures a bulk invalidation would hit changed since the preview."""

    code = "petition.preview_mismatch"


class RequirementNotMet(InvalidInput):
    """A declaration the petition asks for (minimum age, lives in the municipality)."""

    code = "petition.requirement"


__all__ = [
    "PetitionClosed",
    "PetitionNotFound",
    "PetitionState",
    "PreviewMismatch",
    "RequirementNotMet",
    "UnknownReason",
]
