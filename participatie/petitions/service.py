"""The facade's ``petitions`` attribute, composed from the parts of the work: life cycle,
signing, the desk's tools, hand-over and answer, privacy and reading (``p.petitions``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from participatie.petitions.core import PetitionCore
from participatie.petitions.desk import Desk
from participatie.petitions.handover import Handover
from participatie.petitions.lifecycle import Lifecycle
from participatie.petitions.privacy import Privacy, anonymise_signatures, erase_messages
from participatie.petitions.reads import Reads
from participatie.petitions.signing import Signing

if TYPE_CHECKING:
    from participatie.engine import Participatie

__all__ = ["Petitions", "anonymise_signatures", "erase_messages"]


class Petitions(Lifecycle, Signing, Desk, Handover, Privacy, Reads):
    """The facade's ``petitions`` attribute."""

    def __init__(self, p: Participatie) -> None:
        self._p = p
        self.core = PetitionCore(p)
        from participatie.petitions import jobs

        jobs.register(p)
