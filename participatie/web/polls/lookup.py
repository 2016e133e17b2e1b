"""Finding a poll for the web: the id in the path, what the public may see of it, and
whether it takes votes now.
"""

from __future__ import annotations

import uuid

from fastapi import Request

from participatie.polls.errors import PollNotFound
from participatie.polls.schemas import Poll
from participatie.web.common import facade, parse_key

#: States in which a poll is shown to the public.
PUBLIC = ("scheduled", "open", "closed", "published")
#: After voting: ballots can be looked up; the result once it is published.
ENDED = ("closed", "published")


def parse_id(value: str) -> uuid.UUID:
    return parse_key(value, PollNotFound, "poll", "poll")


def public_poll(request: Request, value: str) -> Poll:
    poll = facade(request).polls.get(parse_id(value))
    if poll.state not in PUBLIC:
        raise PollNotFound("no such poll", field="poll")
    return poll


def is_open(request: Request, poll: Poll) -> bool:
    now = facade(request).clock.now()
    return poll.state == "open" and (poll.closes_at is None or now < poll.closes_at)
