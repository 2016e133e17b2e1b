"""The public page's read: the same as the three reads it replaces, in a few statements
that do not grow with the signatures."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import event

from participatie import InvalidInput
from participatie.engine import Participatie
from participatie.petitions.errors import PetitionNotFound
from participatie.petitions.schemas import PaperBatchIn, Petition
from tests.petitions.conftest import open_petition, petition_in, sign_and_confirm


@contextmanager
def statements(p: Participatie) -> Iterator[list[str]]:
    """The SQL statements sent while the block runs (transaction control, such as
    SQLite's BEGIN, not included)."""

    sent: list[str] = []

    def record(*args: object) -> None:
        sql = str(args[2])
        if sql.split(None, 1)[0].upper() not in ("BEGIN", "COMMIT", "ROLLBACK"):
            sent.append(sql)

    event.listen(p.engine, "before_cursor_execute", record)
    try:
        yield sent
    finally:
        event.remove(p.engine, "before_cursor_execute", record)


def separately(p: Participatie, petition: Petition, names: int) -> tuple[object, ...]:
    return (
        p.petitions.get(petition.id),
        p.petitions.public_stats(petition.id),
        p.petitions.public_signers(petition.id, limit=names),
    )


def test_the_page_read_equals_the_three_reads(areas: Participatie) -> None:
    p = areas
    petition = open_petition(p, thresholds=[3, 1000])
    for n in range(1, 6):
        sign_and_confirm(p, petition, n, show_name=n != 2)
    p.petitions.add_paper_batch(
        petition.id, PaperBatchIn(area="paddepoel", count=40, note="markt"), actor="loket"
    )
    p.petitions.add_paper_batch(petition.id, PaperBatchIn(count=7), actor="loket")
    page = p.petitions.public_page(petition.id, names=3)
    assert (page.petition, page.stats, page.signers) == separately(p, petition, 3)
    assert page.stats.thresholds_reached == [3]
    assert (page.stats.verified, page.stats.paper) == (5, 47)
    assert page.signers.total == 4
    assert [s.name for s in page.signers.signers] == ["Inwoner 5", "Inwoner 4", "Inwoner 3"]
    assert {s.area for s in page.signers.signers} == {"Centrum", "Paddepoel"}


def test_an_empty_petition_reads_the_same(areas: Participatie) -> None:
    p = areas
    petition = open_petition(p)
    page = p.petitions.public_page(petition.id)
    assert (page.petition, page.stats, page.signers) == separately(p, petition, 50)
    assert page.signers.total == 0 and page.stats.per_area == []


def test_statements_do_not_grow_with_the_signatures(areas: Participatie) -> None:
    p = areas
    petition = open_petition(p, thresholds=[2, 1000])
    sign_and_confirm(p, petition, 1, show_name=True)
    with statements(p) as few:
        p.petitions.public_page(petition.id)
    for n in range(2, 31):
        sign_and_confirm(p, petition, n, show_name=True)
    p.petitions.add_paper_batch(petition.id, PaperBatchIn(area="centrum", count=3), actor="x")
    with statements(p) as many:
        page = p.petitions.public_page(petition.id)
    assert page.signers.total == 30 and page.stats.total == 33
    # The petition, its numbers, the tally, the wijken, the names; then the paper per wijk
    # and the milestones once there are any. No statement reads the signatures but the
    # names, which come from an index, 50 at most.
    assert len(few) == 5, few
    assert len(many) == 7, many
    signature_reads = [sql for sql in many if "participatie_petition_signature" in sql]
    assert len(signature_reads) == 1 and "LIMIT" in signature_reads[0].upper()


def test_what_the_public_may_not_see_is_not_found(areas: Participatie) -> None:
    p = areas
    draft = p.petitions.create(petition_in(title="Nog niet open"))
    with pytest.raises(PetitionNotFound):
        p.petitions.public_page(draft.id)
    petition = open_petition(p, title="Verborgen", creator_email="b@example.nl")
    p.petitions.hide(petition.id, actor="griffie", reason="test")
    with pytest.raises(PetitionNotFound):
        p.petitions.public_page(petition.id)
    for names in (0, 501):
        with pytest.raises(InvalidInput) as info:
            p.petitions.public_page(petition.id, names=names)
        assert info.value.field == "names"
