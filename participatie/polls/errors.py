"""Errors of the polls module, each with a stable ``code`` the web layer translates.

They subclass the core tree, so a host catching ``InvalidState`` also catches ``PollClosed``.
"""

from __future__ import annotations

from participatie.errors import Conflict, InvalidInput, InvalidState, NotFound, PermissionDenied


class PollNotFound(NotFound):
    code = "poll.not_found"


class PollNotOpen(InvalidState):
    """Voting has not started yet (draft or scheduled)."""

    code = "poll.not_open"


class PollClosed(InvalidState):
    """Voting has ended (closed, published or cancelled)."""

    code = "poll.closed"


class PollLocked(InvalidState):
    """Something that changes the outcome cannot be edited once the poll is open."""

    code = "poll.locked"


class AlreadyVoted(Conflict):
    code = "poll.already_voted"


class UnknownCode(InvalidInput):
    code = "poll.unknown_code"


class CodeTypo(InvalidInput):
    """The check character does not match: almost certainly a typing error."""

    code = "poll.code_typo"


class CodeRevoked(PermissionDenied):
    code = "poll.code_revoked"


class InvalidBallot(InvalidInput):
    """Too many, too few or unknown choices, or points that do not add up."""

    code = "poll.invalid_ballot"


class NotEligible(PermissionDenied):
    code = "poll.not_eligible"


class CodesAlreadyIssued(Conflict):
    """The one-time export of plaintext codes happened already."""

    code = "poll.codes_already_issued"


class PaperEntryConflict(Conflict):
    """The same staff member typed the sheet twice, or the sheet is finished already."""

    code = "poll.paper_entry"


__all__ = [
    "AlreadyVoted",
    "CodeRevoked",
    "CodeTypo",
    "CodesAlreadyIssued",
    "InvalidBallot",
    "NotEligible",
    "PaperEntryConflict",
    "PollClosed",
    "PollLocked",
    "PollNotFound",
    "PollNotOpen",
    "UnknownCode",
]
