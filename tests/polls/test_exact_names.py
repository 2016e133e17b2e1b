"""Names a unique index holds per poll or dossier are the same only when they are the
same, on every database: MariaDB's default collation weighs every character beyond
U+FFFF alike and ignores case, so two options named with different emoji clashed (a
server error) and saving one answer template replaced another (``db.exact_string``)."""

from __future__ import annotations

import uuid

import pytest

from participatie.engine import Participatie
from participatie.polls.schemas import OptionIn
from tests.polls.conftest import make_poll
from tests.reactions.conftest import new_dossier

#: Two private-use characters beyond U+FFFF, as a fuzzer sent them, and two emoji.
NAMES = ["\U000f705d", "\U000f705e", "Speeltuin \U0001f600", "Speeltuin \U0001f601"]


def test_options_differing_beyond_the_basic_plane_are_two_options(p: Participatie) -> None:
    poll = make_poll(p, options=[OptionIn(name=name) for name in NAMES])
    assert [o.name for o in p.polls.get(poll.id).options] == NAMES


def test_answer_templates_differing_only_so_are_two_templates(p: Participatie) -> None:
    dossier: uuid.UUID = new_dossier(p)
    for n, name in enumerate(NAMES):
        p.reactions.save_answer_template(dossier, name, f"Antwoord {n}", actor="test")
    saved = {t.name: t.text for t in p.reactions.answer_templates(dossier)}
    assert saved == {name: f"Antwoord {n}" for n, name in enumerate(NAMES)}


@pytest.mark.parametrize("dialect", ["mariadb"], indirect=True)
def test_the_migration_makes_them_exact_on_mariadb(empty_database_url: str) -> None:
    """PostgreSQL and SQLite compare text exactly already; MariaDB's columns change."""

    from sqlalchemy import text

    from participatie.testing import make_participatie

    q = make_participatie(empty_database_url)
    q.migrate()
    try:
        with q.engine.connect() as conn:
            collations = conn.execute(
                text(
                    "SELECT table_name, collation_name FROM information_schema.columns "
                    "WHERE table_schema = DATABASE() AND column_name = 'name' AND table_name "
                    "IN ('participatie_polls_option', 'participatie_reactions_answer_template')"
                )
            ).all()
        assert sorted(c for _, c in collations) == ["utf8mb4_bin", "utf8mb4_bin"]
    finally:
        q.dispose()
