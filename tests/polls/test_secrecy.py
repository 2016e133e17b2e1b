"""Secrecy by construction: no foreign key or timestamp ties a ballot to a credential."""

from __future__ import annotations

from participatie.polls.models import BallotChoiceRow, BallotRow, CredentialRow


def test_ballot_tables_do_not_point_at_credentials() -> None:
    for table in (BallotRow.__table__, BallotChoiceRow.__table__):
        targets = {fk.column.table.name for fk in table.foreign_keys}
        assert CredentialRow.__tablename__ not in targets
    for table in (CredentialRow.__table__,):
        targets = {fk.column.table.name for fk in table.foreign_keys}
        assert BallotRow.__tablename__ not in targets


def test_ballots_carry_no_time() -> None:
    columns = {c.name for c in BallotRow.__table__.columns} | {
        c.name for c in BallotChoiceRow.__table__.columns
    }
    assert not any(name.endswith("_at") or "time" in name for name in columns)
