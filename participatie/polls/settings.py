"""Deployment-wide settings of the polls module: ``Settings.polls``.

Code length, tracker length and the limits an administrator's poll must stay within.
"""

from __future__ import annotations

from datetime import timedelta

from pydantic import BaseModel, ConfigDict, Field


class PollSettings(BaseModel):
    model_config = ConfigDict(frozen=True)

    #: Most options a poll may have.
    max_options: int = Field(default=100, ge=2, le=1000)
    #: Most codes one issue may print (a safety net against a typo in the count).
    max_codes_per_issue: int = Field(default=500_000, ge=1)
    #: Points a resident distributes in a ``cumulative`` poll unless the poll says otherwise.
    default_points: int = Field(default=10, ge=1, le=1000)
    #: A folder of TrueType fonts with a family "DejaVu Sans" to embed in every PDF instead
    #: of the bundled one (a house version with more scripts, say); None: the bundled font.
    pdf_font: str | None = None
    #: Keyed hashes of who could vote (addresses of letters, e-mail addresses, host
    #: identities) and the voting links mailed are removed this long after a poll closed
    #: or was cancelled.
    personal_data_after: timedelta = timedelta(days=183)
    #: Fewest live ballots of one channel a mix holds (``polls.mixing``): a copy of the
    #: database places a ballot in its mix and no closer, so this is the smallest crowd
    #: a ballot hides in (a polling station's box holds 1,000 to 2,000). The job
    #: ``polls.mix`` mixes a channel once this many wait; closing mixes the rest, with
    #: the channel's newest mixes taken in, so it rewrites up to about twice this many
    #: per channel. A channel with fewer ballots is one mix, made at closing.
    mix_size: int = Field(default=5_000, ge=100)


__all__ = [
    "PollSettings",
]
