"""Who voted cannot be paired with what was voted from a copy of the database taken after
closing: not by row order, ids, timestamps, transaction numbers, audit or outbox.

Each voter casts a ranked ballot no one else casts (a distinct order of six options), so a
ballot names its voter and a pairing of used credentials with ballots can be scored
exactly. For every ordering an administrator could read from the tables (each column,
SQLite's rowid, PostgreSQL's ctid and xmin, MariaDB's clustered-key scan order; ascending
and descending; within each channel too), the i-th used credential is paired with the i-th
ballot and the correct pairs are counted.

Why ``BOUND``: if an ordering carries no information, the pairing is a random bijection;
the number of correct pairs of a random bijection of m distinct items is its number of
fixed points, close to Poisson(1) whatever m is. Pairing within each of the three
channels adds three such counts: a mean of 3. P(Poisson(3) >= 20) < 1e-10, and a test
looks at fewer than 600 orderings, so a failure by chance is out of the question (even
at a mean of 6, P < 6e-6 per ordering). Before the fix the used_at order against the
rowid order paired 300 of 300.
"""

from __future__ import annotations

import itertools
import json
import random
import uuid
from collections.abc import Iterable, Sequence
from datetime import timedelta
from typing import Any, cast

import pytest
from sqlalchemy import Table, literal_column, select

from participatie.audit import AuditEventRow
from participatie.clock import FixedClock
from participatie.engine import Participatie
from participatie.outbox.models import OutboxMessageRow
from participatie.polls import codes as codes_mod
from participatie.polls.models import BallotChoiceRow, BallotRow, CredentialRow, PaperEntryRow
from participatie.polls.schemas import BallotIn, OptionIn, PaperEntry, Poll
from tests.polls.conftest import issue, make_poll

NAMES = ["A", "B", "C", "D", "E", "F"]
BOUND = 20

Content = tuple[int, ...]


def _ranked_poll(p: Participatie, **overrides: object) -> Poll:
    return make_poll(
        p,
        rule="ranked",
        seats=1,
        max_choices=None,
        options=[OptionIn(name=n) for n in NAMES],
        **overrides,
    )


def _orders() -> list[Content]:
    """Every order of the six options (positions 1..6), shuffled: one per voter."""

    perms = [tuple(perm) for perm in itertools.permutations(range(1, 7))]
    random.Random(9).shuffle(perms)
    return perms


def _names(content: Content) -> list[str]:
    return [NAMES[pos - 1] for pos in content]


# -- reading the tables as an administrator would ------------------------------------------


def _physical(p: Participatie, table: Table) -> list[dict[str, Any]]:
    """All rows of the table with every physical position the dialect shows.

    The whole table is scanned without a WHERE, so MariaDB reads the clustered index in
    key order (the order InnoDB keeps rows in)."""

    dialect = p.engine.dialect.name
    if dialect == "sqlite":
        query = select(literal_column("rowid").label("_rowid"), table)
    elif dialect == "postgresql":
        query = select(
            literal_column("ctid::text").label("_ctid"),
            literal_column("xmin::text").label("_xmin"),
            table,
        )
    else:
        query = select(table)
    rows: list[dict[str, Any]] = []
    with p.engine.connect() as conn:
        for index, row in enumerate(conn.execute(query)):
            data = dict(row._mapping)
            data["_scan"] = index
            if "_ctid" in data:
                block, offset = data.pop("_ctid").strip("()").split(",")
                data["_ctid"] = (int(block), int(offset))
                data["_xmin"] = int(data["_xmin"])
            rows.append(data)
    return rows


def _sort_keys(rows: Sequence[dict[str, Any]], columns: Iterable[str]) -> dict[str, list[int]]:
    """Name -> row indexes in that order; ties (a day, a shared xmin) broken by scan order."""

    names = [c for c in columns if rows and c in rows[0]]
    names += [c for c in ("_rowid", "_ctid", "_xmin", "_scan") if rows and c in rows[0]]
    out: dict[str, list[int]] = {}
    for name in names:

        def key(i: int, name: str = name) -> tuple[bool, Any, int]:
            value = rows[i][name]
            return (value is None, str(value) if isinstance(value, uuid.UUID) else value, i)

        out[name] = sorted(range(len(rows)), key=key)
    return out


def _correct(
    creds: Sequence[str], ballots: Sequence[Content], truth: dict[str, Content]
) -> tuple[int, int]:
    forward = sum(truth[k] == c for k, c in zip(creds, ballots, strict=False))
    backward = sum(truth[k] == c for k, c in zip(creds, reversed(ballots), strict=False))
    return forward, backward


def _attack(p: Participatie, poll_id: uuid.UUID, truth: dict[str, Content]) -> dict[str, int]:
    """Every pairing of a credential ordering with a ballot ordering -> correct pairs."""

    creds = [
        r
        for r in _physical(p, cast(Table, CredentialRow.__table__))
        if r["poll_id"] == poll_id and r["uses"] > 0
    ]
    ballots = [
        r
        for r in _physical(p, cast(Table, BallotRow.__table__))
        if r["poll_id"] == poll_id and not r["superseded"]
    ]
    choices = [
        r for r in _physical(p, cast(Table, BallotChoiceRow.__table__)) if r["poll_id"] == poll_id
    ]
    marks: dict[uuid.UUID, list[tuple[int, int]]] = {}
    for c in choices:
        marks.setdefault(c["ballot_id"], []).append((c["rank"], c["option_position"]))
    content = {b["id"]: tuple(pos for _, pos in sorted(marks.get(b["id"], []))) for b in ballots}
    assert len(creds) == len(ballots) == len(truth)

    # Ballot orders: own columns and positions, and the choice table's first appearance.
    ballot_orders: dict[str, list[uuid.UUID]] = {
        f"ballot.{name}": [ballots[i]["id"] for i in order]
        for name, order in _sort_keys(ballots, ["id", "tracker", "link"]).items()
    }
    for name, order in _sort_keys(choices, ["ballot_id"]).items():
        seen = dict.fromkeys(choices[i]["ballot_id"] for i in order)
        ballot_orders[f"choice.{name}"] = [b for b in seen if b in content]
    cred_orders = {
        f"credential.{name}": [creds[i]["key_hash"] for i in order]
        for name, order in _sort_keys(
            creds,
            ["used_at", "created_at", "revoked_at", "id", "key_hash", "serial", "address_hash"],
        ).items()
    }
    channel_of_cred = {r["key_hash"]: r["first_channel"] for r in creds}
    channel_of_ballot = {b["id"]: b["channel"] for b in ballots}

    # Paper sheets as typed (marks, time, typist) are ballots too, for the paper channel.
    entries = [
        r
        for r in _physical(p, cast(Table, PaperEntryRow.__table__))
        if r["poll_id"] == poll_id and r["entry"] == 2
    ]
    paper_orders = {
        f"paper_entry.{name}": [
            tuple(NAMES.index(m) + 1 for m in entries[i]["marks"]) for i in order
        ]
        for name, order in _sort_keys(entries, ["entered_at", "id", "sheet"]).items()
    }

    scores: dict[str, int] = {}
    for (cname, cseq), (bname, bseq) in itertools.product(
        cred_orders.items(), ballot_orders.items()
    ):
        forward, backward = _correct(cseq, [content[b] for b in bseq], truth)
        scores[f"{cname} ~ {bname}"] = forward
        scores[f"{cname} ~ reversed {bname}"] = backward
        within = [0, 0]
        for channel in ("online", "desk", "paper"):
            cs = [k for k in cseq if channel_of_cred[k] == channel]
            bs = [content[b] for b in bseq if channel_of_ballot[b] == channel]
            f, b = _correct(cs, bs, truth)
            within[0] += f
            within[1] += b
        scores[f"{cname} ~ {bname} per channel"] = within[0]
        scores[f"{cname} ~ reversed {bname} per channel"] = within[1]
    for (cname, cseq), (pname, pseq) in itertools.product(
        cred_orders.items(), paper_orders.items()
    ):
        paper_creds = [k for k in cseq if channel_of_cred[k] == "paper"]
        forward, backward = _correct(paper_creds, pseq, truth)
        scores[f"{cname} ~ {pname}"] = forward
        scores[f"{cname} ~ reversed {pname}"] = backward
    return scores


def _no_identifiers_in_audit_or_outbox(
    p: Participatie, poll_id: uuid.UUID, secrets_: set[str]
) -> None:
    """The log and the outbox name no tracker, ballot, credential or serial of a vote."""

    with p.engine.connect() as conn:
        events = conn.execute(
            select(AuditEventRow.action, AuditEventRow.data).where(
                AuditEventRow.subject_id == str(poll_id)
            )
        ).all()
        outbox = conn.execute(
            select(OutboxMessageRow.id).where(OutboxMessageRow.subject_id == str(poll_id))
        ).all()
    assert outbox == []  # no "your vote was received" mail: it would date every vote
    text = " ".join(f"{a} {d}" for a, d in events).lower()
    leaked = [s for s in secrets_ if s.lower() in text]
    assert leaked == []
    for action, data in events:
        if action == "poll.ballot_recorded":
            assert set(json.loads(data)) <= {"channel", "replaced"}


def _assert_no_pairing(scores: dict[str, int]) -> None:
    worst = max(scores, key=lambda k: scores[k])
    assert scores[worst] < BOUND, f"{worst}: {scores[worst]} correct pairs"
    assert len(scores) < 600


# -- the scenarios -------------------------------------------------------------------------


def _cast_code_poll(
    p: Participatie,
    clock: FixedClock,
    poll: Poll,
    codes: list[str],
    rng: random.Random,
    *,
    close_before_paper: bool = False,
) -> dict[str, Content]:
    """300 of 330 letters vote: 240 online, 30 at the desk, 30 on paper typed in later
    (before closing, or after it)."""

    orders = _orders()
    letters = list(range(len(codes)))
    rng.shuffle(letters)
    voters = letters[:300]
    channels = ["online"] * 240 + ["desk"] * 30 + ["paper"] * 30
    rng.shuffle(channels)
    truth: dict[str, Content] = {}
    paper: list[tuple[str, Content]] = []
    for n, (letter, channel) in enumerate(zip(voters, channels, strict=True)):
        code = codes[letter]
        content = orders[n]
        truth[p.hasher.code(codes_mod.parse_code(code))] = content
        clock.advance(timedelta(minutes=rng.randint(1, 40), seconds=rng.randint(0, 59)))
        if channel == "paper":
            paper.append((code, content))  # the envelope waits for the typists
            continue
        p.polls.cast(
            poll.id,
            BallotIn(choices=_names(content)),
            code=code,
            channel=channel,
            staff="balie: M. Jansen" if channel == "desk" else None,
        )
    if close_before_paper:
        p.polls.close(poll.id, actor="projectleider")
    # Envelopes are opened in a heap, not in the order they came in, over two sessions.
    rng.shuffle(paper)
    for sheet, (code, content) in enumerate(paper, start=1):
        if sheet in (1, 16):
            clock.advance(timedelta(days=1))
        for typist in ("A. de Vries", "B. Bakker"):
            clock.advance(timedelta(seconds=rng.randint(20, 90)))
            entry = PaperEntry(sheet=f"P{sheet:03d}", code=code, marks=_names(content))
            p.polls.enter_paper(poll.id, entry, staff=typist)
    return truth


@pytest.mark.parametrize(
    ("paper_first", "paper_late"),
    [(False, False), (True, False), (False, True)],
    ids=["first-counts", "paper-counts", "paper-typed-after-closing"],
)
def test_code_poll_cannot_be_paired_after_closing(
    p: Participatie, clock: FixedClock, paper_first: bool, paper_late: bool
) -> None:
    """Paper typed in after closing is written in typing order again; publication
    rewrites the tables once more."""

    rng = random.Random(2009)
    poll = _ranked_poll(p, precedence="paper" if paper_first else "first")
    codes = issue(p, poll, 330)
    p.polls.open(poll.id, actor="projectleider")
    truth = _cast_code_poll(p, clock, poll, codes, rng, close_before_paper=paper_late)
    if not paper_late:
        p.polls.close(poll.id, actor="projectleider")
    if paper_first or paper_late:
        p.polls.publish(poll.id, actor="projectleider")
    scores = _attack(p, poll.id, truth)
    _assert_no_pairing(scores)
    trackers = {b.tracker for b in p.polls.published_ballots(poll.id)}
    _no_identifiers_in_audit_or_outbox(p, poll.id, trackers | set(truth))
    # What the credentials still say about time: a day at most, and nothing for paper.
    with p.engine.connect() as conn:
        used = conn.execute(
            select(CredentialRow.first_channel, CredentialRow.used_at).where(
                CredentialRow.poll_id == poll.id, CredentialRow.uses > 0
            )
        ).all()
    zone = p.settings.zone
    for channel, used_at in used:
        if channel == "paper":
            assert used_at is None
        else:
            assert used_at is not None
            local = used_at.astimezone(zone)
            assert (local.hour, local.minute, local.second, local.microsecond) == (0, 0, 0, 0)
    tally = p.polls.tally(poll.id)
    assert tally.ballots == 300 and tally.reconciliation.matches


def test_host_poll_cannot_be_paired_after_closing(p: Participatie, clock: FixedClock) -> None:
    """Host-vouched voters (and e-mail voters alike) get their credential row when they
    vote: its id, creation time and row position would follow the casting order."""

    rng = random.Random(1015)
    poll = _ranked_poll(p, eligibility="host", eligible_count=1000)
    p.polls.open(poll.id, actor="projectleider")
    orders = _orders()
    truth: dict[str, Content] = {}
    for n in range(300):
        subject = f"digid-{rng.randrange(10**9):09d}"
        truth[p.hasher.subject(f"{poll.id}:{subject}")] = orders[n]
        clock.advance(timedelta(minutes=rng.randint(1, 40)))
        p.polls.cast(poll.id, BallotIn(choices=_names(orders[n])), subject=subject)
    p.polls.close(poll.id, actor="projectleider")
    _assert_no_pairing(_attack(p, poll.id, truth))
    trackers = {b.tracker for b in p.polls.published_ballots(poll.id)}
    _no_identifiers_in_audit_or_outbox(p, poll.id, trackers | set(truth))


def test_vote_changes_leave_no_pairing(p: Participatie, clock: FixedClock) -> None:
    """With vote changing the keyed links live until closing; then they, and the order of
    the replaced and replacing ballots, are gone."""

    rng = random.Random(7)
    poll = _ranked_poll(p, allow_change=True)
    codes = issue(p, poll, 300)
    p.polls.open(poll.id, actor="projectleider")
    orders = _orders()
    truth: dict[str, Content] = {}
    for n, code in enumerate(codes):
        clock.advance(timedelta(minutes=rng.randint(1, 30)))
        first = orders[-1 - n]
        p.polls.cast(poll.id, BallotIn(choices=_names(first)), code=code)
        truth[p.hasher.code(codes_mod.parse_code(code))] = first
    for n, code in enumerate(codes[:60]):
        clock.advance(timedelta(minutes=rng.randint(1, 30)))
        p.polls.cast(poll.id, BallotIn(choices=_names(orders[n])), code=code)
        truth[p.hasher.code(codes_mod.parse_code(code))] = orders[n]
    p.polls.close(poll.id, actor="projectleider")
    _assert_no_pairing(_attack(p, poll.id, truth))


def test_times_and_ids_written_before_are_sealed_at_closing(
    p: Participatie, clock: FixedClock
) -> None:
    """Credentials written before only the day was kept (an exact used_at, a host
    credential with a time-ordered id and creation time) are brought to the same state."""

    from participatie.db import new_id

    poll = _ranked_poll(p, eligibility="host", eligible_count=10)
    p.polls.open(poll.id, actor="projectleider")
    for n in range(3):
        clock.advance(timedelta(minutes=17))
        p.polls.cast(poll.id, BallotIn(choices=["A"]), subject=f"burger-{n}")
    table = cast(Table, CredentialRow.__table__)
    with p.session_scope() as s:
        for n, key in enumerate(s.execute(select(table.c.id).where(table.c.poll_id == poll.id))):
            exact = clock.now() + timedelta(minutes=n, seconds=7)
            s.execute(
                table.update()
                .where(table.c.id == key.id)
                .values(id=new_id(), used_at=exact, created_at=exact)
            )
    p.polls.close(poll.id, actor="projectleider")
    zone = p.settings.zone
    with p.engine.connect() as conn:
        rows = conn.execute(
            select(table.c.id, table.c.used_at, table.c.created_at).where(
                table.c.poll_id == poll.id
            )
        ).all()
    assert len(rows) == 3
    for row in rows:
        assert row.id.version == 4
        for moment in (row.used_at, row.created_at):
            assert moment is not None
            assert moment.astimezone(zone).time().isoformat() == "00:00:00"


def test_reseal_an_ended_poll_from_before(p: Participatie, clock: FixedClock) -> None:
    """A poll that ended before closing rewrote its tables: ``reseal`` does it later,
    also from the command line, and only for an ended poll."""

    from click.testing import CliRunner

    from participatie.cli import main
    from participatie.errors import InvalidState

    poll = _ranked_poll(p)
    codes = issue(p, poll, 40)
    p.polls.open(poll.id, actor="projectleider")
    with pytest.raises(InvalidState):
        p.polls.reseal(poll.id, actor="beheer")
    orders = _orders()
    truth: dict[str, Content] = {}
    for n, code in enumerate(codes):
        clock.advance(timedelta(minutes=3))
        p.polls.cast(poll.id, BallotIn(choices=_names(orders[n])), code=code)
        truth[p.hasher.code(codes_mod.parse_code(code))] = orders[n]
    p.polls.close(poll.id, actor="projectleider")
    table = cast(Table, CredentialRow.__table__)
    with p.session_scope() as s:  # what closing used to leave: the moment of each use
        for n, key in enumerate(sorted(truth)):
            exact = clock.now() + timedelta(minutes=n, seconds=11)
            s.execute(table.update().where(table.c.key_hash == key).values(used_at=exact))
    p.polls.reseal(poll.id, actor="beheer")
    with p.engine.connect() as conn:
        used = conn.execute(select(table.c.used_at).where(table.c.poll_id == poll.id)).scalars()
        times = {u.astimezone(p.settings.zone).time().isoformat() for u in used if u}
        assert times == {"00:00:00"}
    assert [e.actor for e in p.audit.events(action="poll.resealed")] == ["beheer"]
    if p.engine.dialect.name == "sqlite":
        from participatie.testing import TEST_SECRET

        env = {
            "PARTICIPATIE_SECRET_KEYS": TEST_SECRET,
            "PARTICIPATIE_DATABASE_URL": str(p.engine.url),
        }
        result = CliRunner().invoke(main, ["polls", "reseal", str(poll.id)], env=env)
        assert result.exit_code == 0, result.output
