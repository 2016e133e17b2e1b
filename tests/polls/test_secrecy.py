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


def test_every_time_on_a_credential_is_accounted_for() -> None:
    """A new time column on credentials (an ``updated_at``, say) would date each vote:
    it must be added here only with a reason, and kept to the day like ``used_at``."""

    times = {
        c.name
        for c in CredentialRow.__table__.columns
        if c.name.endswith("_at") or "time" in c.name
    }
    # created_at: issue time of a code, the day of the vote for e-mail and host;
    # used_at: the day of first use (none for paper); revoked_at: a staff action.
    assert times == {"created_at", "used_at", "revoked_at"}


def test_ballot_keys_are_random_not_time_ordered() -> None:
    """InnoDB keeps rows in primary-key order: a time-ordered or counting key would keep
    the casting order. Ballots use UUIDv4, not the time-ordered ids other tables use."""

    import uuid

    default = BallotRow.__table__.c.id.default
    assert default is not None and getattr(default, "arg", None) is not None
    made = {default.arg(None) for _ in range(50)}
    assert all(isinstance(u, uuid.UUID) and u.version == 4 for u in made)
    assert BallotRow.__table__.c.id.autoincrement is not True
