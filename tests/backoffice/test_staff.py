"""Four eyes compare people, not spellings: case, spacing and Unicode forms of one
staff identity never let one person pass as two (on every database)."""

from __future__ import annotations

import pytest

from participatie.engine import Participatie
from participatie.polls.errors import PaperEntryConflict
from participatie.polls.schemas import PaperEntry
from participatie.staff import same_staff, staff_key
from tests.web.helpers import open_code_poll


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("j.jansen", "J.Jansen"),
        ("Jan  Jansen", " jan jansen "),
        ("jan\u00a0jansen", "jan jansen"),
        ("\uff2a.jansen", "j.jansen"),  # full-width J
        ("STRASSE", "straße"),
        ("ﬁnn", "finn"),  # ligature
    ],
)
def test_one_person_in_many_spellings(first: str, second: str) -> None:
    assert same_staff(first, second)
    assert staff_key(first) == staff_key(second)


def test_two_people_stay_two() -> None:
    assert not same_staff("j.jansen", "j.janssen")


@pytest.mark.parametrize("second", ["TYPIST-A", "typist-a ", "\uff54ypist-a"])
def test_second_typing_by_the_same_person_is_refused(p: Participatie, second: str) -> None:
    poll, codes = open_code_poll(p, households=2)
    entry = PaperEntry(sheet="P001", code=codes[0], marks=["Ecozone"])
    p.polls.enter_paper(poll.id, entry, staff="typist-a")
    with pytest.raises(PaperEntryConflict):
        p.polls.enter_paper(poll.id, entry, staff=second)


def test_a_typist_cannot_resolve_her_own_difference(p: Participatie) -> None:
    poll, codes = open_code_poll(p, households=2)
    p.polls.enter_paper(
        poll.id, PaperEntry(sheet="P001", code=codes[0], marks=["Ecozone"]), staff="typist-a"
    )
    p.polls.enter_paper(
        poll.id, PaperEntry(sheet="P001", code=codes[0], marks=["Siriusstraat"]), staff="typist-b"
    )
    final = PaperEntry(sheet="P001", code=codes[0], marks=["Ecozone"])
    with pytest.raises(PaperEntryConflict):
        p.polls.resolve_paper(poll.id, final, staff="Typist\u00a0B".replace("\u00a0", "-"))
    with pytest.raises(PaperEntryConflict):
        p.polls.resolve_paper(poll.id, final, staff="\uff34ypist-A")
    assert p.polls.resolve_paper(poll.id, final, staff="teamleider").status == "resolved"
