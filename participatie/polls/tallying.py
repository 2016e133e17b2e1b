"""The tally the collegebesluit rests on: figures per option and channel, winners and ties
by the poll's rule, turnout, and the reconciliation of credentials, ballots and paper.
"""

from __future__ import annotations

import itertools
from collections import Counter
from dataclasses import dataclass

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

import participatie
from participatie.polls.ballots import ballots_digest
from participatie.polls.context import PollsContext
from participatie.polls.counting import STV_NAME, Lot, score_outcome, stv
from participatie.polls.models import (
    BallotChoiceRow,
    BallotRow,
    CredentialRow,
    PaperEntryRow,
    PollRow,
)
from participatie.polls.paper import list_mismatches
from participatie.polls.schemas import OptionResult, PaperSummary, Reconciliation, TallyResult

CHANNELS = ("online", "paper", "desk")
RULE_DETAIL = {
    "plurality": "plurality: one choice per ballot; the options with most votes win",
    "approval": "approval: up to max_choices options per ballot; most approvals win",
    "cumulative": "cumulative: points distributed over options; most points win",
    "borda": "Borda count: n-r points for rank r of n options (unranked: 0); most points win",
    "ranked": STV_NAME + " (instant run-off for one seat)",
}


@dataclass(frozen=True)
class Marks:
    """What the counting reads off the marks (the heavy part of a tally: every mark of
    the poll): per option and channel the votes or points, and for ``ranked`` every
    ballot's order. It follows from the ballots only, so it stays right while
    ``PollRow.ballots_revision`` does."""

    per_option: dict[str, dict[str, int]]
    rankings: Counter[tuple[str, ...]] | None


def count_marks(s: Session, row: PollRow) -> Marks:
    """The marks of the poll's counted ballots, counted (see :class:`Marks`)."""

    names = [o.name for o in row.options]
    by_pos = {o.position: o.name for o in row.options}
    # Counted in the database: one GROUP BY over the covering index.
    measure = (
        func.count() if row.rule in ("plurality", "approval") else func.sum(BallotChoiceRow.points)
    )
    if row.rule == "ranked":
        measure = func.count()
    query = select(BallotChoiceRow.option_position, BallotChoiceRow.channel, measure).where(
        BallotChoiceRow.poll_id == row.id, BallotChoiceRow.counted.is_(True)
    )
    if row.rule == "ranked":
        query = query.where(BallotChoiceRow.rank == 1)
    per_option: dict[str, dict[str, int]] = {n: {} for n in names}
    for pos, channel, value in s.execute(
        query.group_by(BallotChoiceRow.option_position, BallotChoiceRow.channel)
    ):
        per_option[by_pos[pos]][channel] = int(value or 0)
    rankings = _rankings(s, row, by_pos) if row.rule == "ranked" else None
    return Marks(per_option, rankings)


def tally(
    context: PollsContext,
    s: Session,
    row: PollRow,
    witness: str | None,
    marks: Marks | None = None,
) -> TallyResult:
    """Count an ended poll: figures, winners, ties, reconciliation (``witness`` of the
    lot). ``marks``: :func:`count_marks` read earlier, while the poll's
    ``ballots_revision`` was what it is now (publication reads them outside its write
    transaction)."""

    names = [o.name for o in row.options]
    counted = marks if marks is not None else count_marks(s, row)
    per_option = counted.per_option
    ballot_stats = s.execute(
        select(BallotRow.channel, BallotRow.blank, BallotRow.invalid, func.count())
        .where(BallotRow.poll_id == row.id, BallotRow.superseded.is_(False))
        .group_by(BallotRow.channel, BallotRow.blank, BallotRow.invalid)
    ).all()
    channels: dict[str, int] = dict.fromkeys(CHANNELS, 0)
    blank = invalid = ballots = 0
    for channel, is_blank, is_invalid, n in ballot_stats:
        channels[channel] = channels.get(channel, 0) + int(n)
        ballots += int(n)
        blank += int(n) if is_blank else 0
        invalid += int(n) if is_invalid else 0
    superseded = s.execute(
        select(func.count()).where(BallotRow.poll_id == row.id, BallotRow.superseded.is_(True))
    ).scalar_one()

    digest = ballots_digest(s, row)
    lot = Lot(row.lot_seed or "", digest) if row.tie_break == "lot" else None
    scores = {n: sum(per_option[n].values()) for n in names}
    if counted.rankings is not None:
        outcome = stv(counted.rankings, names, row.seats, lot=lot)
    else:
        outcome = score_outcome(scores, row.seats, lot=lot)
    elected = set(outcome.winners)
    options = [
        OptionResult(
            name=n,
            position=i,
            votes=scores[n],
            channels={
                c: per_option[n].get(c, 0) for c in sorted(set(CHANNELS) | set(per_option[n]))
            },
            elected=n in elected,
        )
        for i, n in enumerate(names, start=1)
    ]
    eligible = _eligible(s, row)
    return TallyResult(
        poll_id=row.id,
        title=row.title,
        question=row.question,
        state=row.state,
        rule=row.rule,
        rule_detail=RULE_DETAIL[row.rule],
        seats=row.seats,
        eligibility=row.eligibility,
        indicative=row.eligibility == "open",
        eligible=eligible,
        ballots=ballots,
        turnout=round(ballots / eligible, 4) if eligible else 0.0,
        blank=blank,
        invalid=invalid,
        channels=channels,
        options=options,
        winners=list(outcome.winners),
        undecided_seats=outcome.undecided_seats,
        ties=outcome.ties,
        rounds=outcome.rounds,
        tie_break=row.tie_break,
        lot_seed=row.lot_seed if row.tie_break == "lot" else None,
        lot_witness=witness,
        reconciliation=_reconciliation(s, row, ballots, int(superseded)),
        paper=_paper_summary(s, row, channels.get("paper", 0)),
        opened_at=row.opened_at,
        closed_at=row.closed_at,
        timezone=context.p.settings.timezone,
        ballots_sha256=digest,
        software_version=participatie.__version__,
        generated_at=context.p.clock.now(),
    )


def _rankings(s: Session, row: PollRow, by_pos: dict[int, str]) -> Counter[tuple[str, ...]]:
    rows = s.execute(
        select(BallotChoiceRow.ballot_id, BallotChoiceRow.option_position)
        .where(BallotChoiceRow.poll_id == row.id, BallotChoiceRow.counted.is_(True))
        .order_by(BallotChoiceRow.ballot_id, BallotChoiceRow.rank)
        .execution_options(yield_per=10000)
    )
    counter: Counter[tuple[str, ...]] = Counter()
    for _ballot, group in itertools.groupby(rows, key=lambda r: r[0]):
        counter[tuple(by_pos[r[1]] for r in group)] += 1
    return counter


def _eligible(s: Session, row: PollRow) -> int:
    if row.eligibility == "codes":
        return int(
            s.execute(
                select(func.count()).where(
                    CredentialRow.poll_id == row.id, CredentialRow.status == "active"
                )
            ).scalar_one()
        )
    return int(row.eligible_count or 0)


def _reconciliation(s: Session, row: PollRow, ballots: int, superseded: int) -> Reconciliation:
    stats = s.execute(
        select(
            CredentialRow.status,
            func.count(),
            func.coalesce(func.sum(CredentialRow.uses), 0),
            func.sum(case((CredentialRow.uses > 0, 1), else_=0)),
        )
        .where(CredentialRow.poll_id == row.id)
        .group_by(CredentialRow.status)
    ).all()
    issued = sum(int(n) for _, n, _, _ in stats)
    revoked = sum(int(n) for status, n, _, _ in stats if status == "revoked")
    uses = sum(int(u) for _, _, u, _ in stats)
    used = sum(int(u or 0) for _, _, _, u in stats)
    credentialed = 0 if row.eligibility == "open" else ballots
    return Reconciliation(
        credentials_issued=issued,
        credentials_revoked=revoked,
        credentials_used=used,
        credential_uses=uses,
        ballots_recorded=credentialed,
        ballots_superseded=superseded,
        difference=uses - credentialed,
        channel_conflicts=int(row.conflicts or 0),
        matches=uses == credentialed or row.eligibility == "open",
    )


def _paper_summary(s: Session, row: PollRow, paper_ballots: int) -> PaperSummary:
    entries = list(
        s.execute(
            select(PaperEntryRow)
            .where(PaperEntryRow.poll_id == row.id)
            .order_by(PaperEntryRow.sheet, PaperEntryRow.entry)
        ).scalars()
    )
    sheets: dict[str, list[PaperEntryRow]] = {}
    for e in entries:
        sheets.setdefault(e.sheet, []).append(e)
    status_counts: Counter[str] = Counter(items[0].status for items in sheets.values())
    staff: Counter[str] = Counter(e.staff for e in entries)
    return PaperSummary(
        envelopes_counted=row.paper_envelopes,
        sheets_entered=len(sheets),
        ballots_recorded=paper_ballots,
        envelopes_match=row.paper_envelopes is None or row.paper_envelopes == len(sheets),
        status=dict(sorted(status_counts.items())),
        typed_by=dict(sorted(staff.items())),
        mismatches=list_mismatches(s, row),
    )


__all__ = ["CHANNELS", "RULE_DETAIL", "Marks", "count_marks", "tally"]
