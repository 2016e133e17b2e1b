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


class FourEyes(InvalidState):
    """An answer is approved by someone else than the person who wrote its version."""

    code = "reaction.four_eyes"


class AnswerNotReady(InvalidState):
    """Only an answer offered for review can be approved or sent back."""

    code = "reaction.answer_not_ready"


class AnswersNotApproved(InvalidState):
    """Publishing with the four-eyes rule needs every answer of the round approved."""

    code = "reaction.answers_not_approved"


class ThemeMergeRefused(InvalidInput):
    """A theme cannot be merged into itself, into another round's theme, or once its
    answer is published."""

    code = "reaction.theme_merge"


__all__ = [
    "AlreadyPublished",
    "AnswerNotReady",
    "AnswersIncomplete",
    "AnswersNotApproved",
    "DossierClosed",
    "DossierNotFound",
    "EmptyReaction",
    "FourEyes",
    "ImportFailed",
    "ReactionNotFound",
    "ThemeExists",
    "ThemeMergeRefused",
    "UnknownOutcome",
    "UnknownTheme",
]
