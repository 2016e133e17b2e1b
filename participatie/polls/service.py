"""The facade's ``polls`` attribute, composed of one part per kind of work (life cycle,
codes and letters, casting, paper, results); the operations live in those parts.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from participatie.polls import retention
from participatie.polls.ballots import ballot_line
from participatie.polls.casting import Casting
from participatie.polls.closing import Closing
from participatie.polls.code_letters import CodeLetters
from participatie.polls.context import SUBJECT, PollsContext
from participatie.polls.paper import PaperBallots
from participatie.polls.results import Results
from participatie.polls.schemas import LetterAddress

if TYPE_CHECKING:
    from participatie.engine import Participatie


def _job_open_close(p: Participatie, now: datetime) -> dict[str, int]:
    """The ``polls.open_close`` job: opens and closes the polls whose time has come; what
    follows a closing runs in steps (``polls.closing``)."""

    return p.polls.open_and_close_due(now)


def _job_mix(p: Participatie, now: datetime) -> dict[str, int]:
    """The ``polls.mix`` job: rewrites the ballots of open polls a mix's worth at a time,
    each mix in its own transactions."""

    return p.polls.mix_due()


class Polls(Closing, CodeLetters, Casting, PaperBallots, Results):
    """The facade's ``polls`` attribute."""

    def __init__(self, p: Participatie) -> None:
        super().__init__(PollsContext(p))
        p.jobs.register_stepped(
            "polls.open_close",
            _job_open_close,
            every=timedelta(minutes=1),
            description="open scheduled polls and close polls whose closing time has come",
        )
        p.jobs.register_stepped(
            "polls.mix",
            _job_mix,
            every=timedelta(minutes=1),
            description="rewrite the ballots cast in open polls once a mix's worth waits",
        )
        retention.register(p)


__all__ = ["SUBJECT", "LetterAddress", "Polls", "ballot_line"]
