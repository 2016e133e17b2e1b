"""Deployment-wide settings of the reactions module: ``Settings.reactions``.

Targets, holiday rules, Awb 3:44 limits, reminders and the retention of contact details.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class ReactionSettings(BaseModel):
    model_config = ConfigDict(frozen=True)

    #: Reaction period of a new dossier when none is given (Awb art. 3:16: six weeks).
    period_weeks: int = Field(default=6, ge=1, le=52)
    #: Target for the acknowledgement of receipt (Groningen promises 5 days).
    acknowledgement_days: int = Field(default=5, ge=0, le=365)
    #: Target for the substantive answer (Groningen promises 6 weeks).
    answer_days: int = Field(default=42, ge=1, le=730)
    #: How targets are counted by default: calendar days (a deadline that falls on a
    #: weekend or holiday moves to the next working day, Algemene termijnenwet) or
    #: working days.
    day_count: Literal["calendar", "working"] = "calendar"
    #: How each target is counted by default, when it differs from ``day_count``:
    #: "calendar", "working" or "weeks" (then the target's number counts weeks). For
    #: example 5 working days to acknowledge and 6 calendar weeks to answer:
    #: ``acknowledgement_day_count="working"``, ``answer_day_count="weeks"``,
    #: ``answer_days=6``.
    acknowledgement_day_count: Literal["calendar", "working", "weeks"] | None = None
    answer_day_count: Literal["calendar", "working", "weeks"] | None = None
    #: Bevrijdingsdag (5 May) as a day off: "yearly" (as the Algemene termijnenwet
    #: counts it), "lustrum" (only every fifth year, as many collective agreements do)
    #: or "never".
    liberation_day: Literal["yearly", "lustrum", "never"] = "yearly"
    #: Goede Vrijdag is no general holiday in the Netherlands; some municipalities close.
    good_friday: bool = False
    #: Awb art. 3:44: with more signatories on one document, the first ones suffice.
    max_recipients_per_reaction: int = Field(default=5, ge=1)
    #: Awb art. 3:44 lid 2: above this many recipients, individual sending may be replaced
    #: by a publication.
    mass_threshold: int = Field(default=250, ge=1)
    #: What happens above the threshold: "write_all" (default: still write to everyone)
    #: or "email_only" (e-mail everyone who has an address; postal-only submitters are
    #: told by publication instead of a letter).
    above_threshold: Literal["write_all", "email_only"] = "write_all"
    #: Publishing answers needs every answer approved by a second person
    #: (``approve_answers``). The back office always asks it; this sets the default of
    #: ``publish_answers`` for hosts and the CLI.
    four_eyes: bool = False
    #: Escalation levels of an overdue reaction by days past its due date: level 1 from
    #: the first day, level 2 and 3 from these numbers of days.
    escalation_days: tuple[int, int] = (7, 21)
    #: Extra address written to from escalation level 3 (a team lead, the griffie).
    escalation_email: str | None = None
    #: A dossier not updated for this long gets a reminder to its official.
    stale_after: timedelta = timedelta(weeks=4)
    #: Contact details are removed this long after the decision; the anonymised
    #: reaction stays for the archive.
    contact_retention: timedelta = timedelta(days=365)
    #: A dossier that never gets a decision recorded loses its contact details this long
    #: after it last changed (a new reaction, an answer, an edit).
    undecided_contact_retention: timedelta = timedelta(days=730)


__all__ = [
    "ReactionSettings",
]
