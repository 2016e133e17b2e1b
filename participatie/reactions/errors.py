"""Errors of the reactions module, each a subclass of the core tree with a stable code.

The web layer maps the code to a status and a message; ``field`` names the bad input.
"""

from __future__ import annotations

from participatie.errors import Conflict, InvalidInput, InvalidState, NotFound


class DossierNotFound(NotFound):
    code = "dossier.not_found"


class ReactionNotFound(NotFound):
    code = "reaction.not_found"


class DossierClosed(InvalidState):
    """The reaction period is over: the web form refuses; staff may register it late."""

    code = "dossier.closed"


class UnknownTheme(InvalidInput):
    code = "reaction.unknown_theme"


class UnknownOutcome(InvalidInput):
    code = "reaction.unknown_outcome"


class EmptyReaction(InvalidInput):
    code = "reaction.empty"


class ThemeExists(Conflict):
    code = "reaction.theme_exists"


class AnswersIncomplete(InvalidState):
    """Publishing needs an answer for every point of the round."""

    code = "reaction.answers_incomplete"


class AlreadyPublished(InvalidState):
    code = "reaction.already_published"


class ImportFailed(InvalidInput):
    """The file itself cannot be read (not a single row could be looked at)."""

    code = "reaction.import_failed"


__all__ = [
    "AlreadyPublished",
    "AnswersIncomplete",
    "DossierClosed",
    "DossierNotFound",
    "EmptyReaction",
    "ImportFailed",
    "ReactionNotFound",
    "ThemeExists",
    "UnknownOutcome",
    "UnknownTheme",
]
