"""Operations of the polls module: life cycle, codes, casting (online, e-mail, host, paper
typed twice, desk), secrecy of the ballot, and the tally the collegebesluit rests on.
"""

from __future__ import annotations

import builtins
import hashlib
import hmac
import itertools
import json
import os
import secrets
import uuid
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, cast

from sqlalchemy import Table, case, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, lazyload

import participatie
from participatie.areas import area_for_postcode
from participatie.errors import InvalidInput, InvalidState, NotFound
from participatie.exports import CountingSha256Writer, write_excel_csv
from participatie.identity import mailbox_key, normalize_email, normalize_postcode
from participatie.polls import codes as codes_mod
from participatie.polls.at_rest import claim_credential, day_of, reseal
from participatie.polls.counters import count_conflict
from participatie.polls.counting import STV_NAME, Lot, score_outcome, stv
from participatie.polls.errors import (
    AlreadyVoted,
    CodeRevoked,
    CodesAlreadyIssued,
    InvalidBallot,
    NotEligible,
    PaperEntryConflict,
    PollClosed,
    PollLocked,
    PollNotFound,
    PollNotOpen,
    UnknownCode,
)
from participatie.polls.models import (
    CANCELLED,
    CLOSED,
    DRAFT,
    OPEN,
    PUBLISHED,
    SCHEDULED,
    BallotChoiceRow,
    BallotRow,
    CredentialRow,
    OptionRow,
    PaperEntryRow,
    PollRow,
)
from participatie.polls.names import refuse_lookalike_names
from participatie.polls.schemas import (
    MAX_ELIGIBLE,
    BallotIn,
    IssuedCode,
    IssueResult,
    LetterAddress,
    Option,
    OptionResult,
    PaperEntry,
    PaperMismatch,
    PaperOutcome,
    Poll,
    PollIn,
    PollUpdate,
    PublishedBallot,
    Receipt,
    TallyResult,
)
from participatie.retention import text_digest
from participatie.retry import retry_transient
from participatie.staff import same_staff

if TYPE_CHECKING:
    from participatie.engine import Participatie

SUBJECT = "poll"
ONLINE_CHANNELS = ("online", "desk")
CHANNELS = ("online", "paper", "desk")
RULE_DETAIL = {
    "plurality": "plurality: one choice per ballot; the options with most votes win",
    "approval": "approval: up to max_choices options per ballot; most approvals win",
    "cumulative": "cumulative: points distributed over options; most points win",
    "borda": "Borda count: n-r points for rank r of n options (unranked: 0); most points win",
    "ranked": STV_NAME + " (instant run-off for one seat)",
}


@dataclass(frozen=True)
class _Marks:
    """A ballot reduced to what gets stored: (position, rank, points) per marked option."""

    items: tuple[tuple[int, int, int], ...]
    blank: bool
    invalid: bool
    reason: str = ""

    def key(self) -> dict[str, Any]:
        return {
            "items": [list(i) for i in self.items],
            "blank": self.blank,
            "invalid": self.invalid,
        }


def _row_to_poll(row: PollRow) -> Poll:
    return Poll(
        id=row.id,
        title=row.title,
        question=row.question,
        explanation=row.explanation,
        options=[
            Option(position=o.position, name=o.name, description=o.description) for o in row.options
        ],
        rule=row.rule,
        seats=row.seats,
        max_choices=row.max_choices,
        points=row.points,
        allow_blank=row.allow_blank,
        eligibility=row.eligibility,
        ballots_per_code=row.ballots_per_code,
        allow_change=row.allow_change,
        precedence=row.precedence,
        tie_break=row.tie_break,
        area_codes=list(row.area_codes or []),
        postcodes=list(row.postcodes or []),
        eligible_count=row.eligible_count,
        state=row.state,
        opens_at=row.opens_at,
        closes_at=row.closes_at,
        opened_at=row.opened_at,
        closed_at=row.closed_at,
        published_at=row.published_at,
        codes_issued_at=row.codes_issued_at,
        indicative=row.eligibility == "open",
    )


_BallotTuple = tuple[str, str, bool, list[str], dict[str, int] | None]


def ballot_line(
    tracker: str,
    channel: str,
    choices: list[str],
    invalid: bool,
    points: dict[str, int] | None = None,
) -> str:
    """One published ballot as compact JSON with sorted keys: same ballot, same bytes."""

    data: dict[str, Any] = {
        "channel": channel,
        "choices": choices,
        "invalid": invalid,
        "tracker": tracker,
    }
    if points is not None:
        data["points"] = dict(sorted(points.items()))
    return json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def _new_tracker() -> str:
    raw = secrets.token_hex(8)
    return "-".join(raw[i : i + 4] for i in range(0, 16, 4))


def _postcode_allowed(poll: PollRow, session: Session, postcode: str) -> bool:
    if not poll.postcodes and not poll.area_codes:
        return True
    if poll.postcodes and any(postcode == pc or postcode[:4] == pc for pc in poll.postcodes):
        return True
    if poll.area_codes:
        area = area_for_postcode(session, postcode)
        if area is not None and area.code in poll.area_codes:
            return True
    return False


def _job_open_close(p: Participatie, session: Session, now: datetime) -> dict[str, int]:
    return p.polls.open_and_close_due(now, session=session)


class Polls:
    """The facade's ``polls`` attribute."""

    def __init__(self, p: Participatie) -> None:
        self._p = p
        self._options: dict[uuid.UUID, dict[str, int]] = {}
        p.jobs.register(
            "polls.open_close",
            _job_open_close,
            every=timedelta(minutes=1),
            description="open scheduled polls and close polls whose closing time has come",
        )
        from participatie.polls import retention

        retention.register(p)

    # -- helpers ------------------------------------------------------------------------

    def _load(
        self,
        s: Session,
        poll_id: uuid.UUID | str,
        *,
        lock: bool = False,
        share: bool = False,
        options: bool = True,
    ) -> PollRow:
        try:
            key = poll_id if isinstance(poll_id, uuid.UUID) else uuid.UUID(str(poll_id))
        except ValueError:
            raise PollNotFound(f"no poll {poll_id!r}", field="poll") from None
        query = select(PollRow).where(PollRow.id == key)
        if not options:
            # Loaded on first use only (casting usually finds them in memory).
            query = query.options(lazyload(PollRow.options))
        if lock:
            query = query.with_for_update()
        elif share:
            query = query.with_for_update(read=True, key_share=True)
        row = s.execute(query).scalar_one_or_none()
        if row is None:
            raise PollNotFound(f"no poll {poll_id!r}", field="poll")
        return row

    def _audit(
        self, s: Session, actor: str, action: str, poll: PollRow, data: dict[str, Any]
    ) -> None:
        self._p.audit.record(
            s, actor=actor, action=action, subject_type=SUBJECT, subject_id=poll.id, data=data
        )

    @staticmethod
    def _keep_links(poll: PollRow) -> bool:
        return poll.allow_change or poll.precedence != "first"

    def _link(self, poll: PollRow, credential_id: uuid.UUID, use: int) -> str | None:
        if poll.link_secret is None:
            return None
        message = f"{credential_id}:{use}".encode()
        return hmac.new(poll.link_secret.encode(), message, hashlib.sha256).hexdigest()

    def _option_positions(self, row: PollRow) -> dict[str, int]:
        """Lower-case option name -> position. Options cannot change once a poll is open,
        so from then on they are kept in memory and casting skips that query."""

        cached = self._options.get(row.id)
        if cached is not None:
            return cached
        positions = {o.name.lower(): o.position for o in row.options}
        if row.state not in (DRAFT, SCHEDULED):
            self._options[row.id] = positions
        return positions

    # -- life cycle -----------------------------------------------------------------------

    def create(self, data: PollIn, *, actor: str, session: Session | None = None) -> Poll:
        """A new poll in ``draft``. Checks the rule's settings and names the bad field."""

        settings = self._p.settings.polls
        names = [o.name for o in data.options]
        refuse_lookalike_names(names)
        if len(names) > settings.max_options:
            raise InvalidInput(
                f"a poll has at most {settings.max_options} options", field="options"
            )
        if data.seats >= len(names):
            raise InvalidInput("there must be more options than seats", field="seats")
        max_choices = self._max_choices(data.rule, data.max_choices, len(names))
        if (data.allow_change or data.precedence != "first") and data.ballots_per_code != 1:
            raise InvalidInput(
                "changing a vote needs one ballot per code", field="ballots_per_code"
            )
        if data.eligibility not in ("codes",) and data.ballots_per_code != 1:
            raise InvalidInput(
                "ballots per code only applies to code polls", field="ballots_per_code"
            )
        postcodes = [self._pc_restriction(pc) for pc in data.postcodes]
        self._check_times(data.opens_at, data.closes_at)
        with self._p.unit_of_work(session) as s:
            for code in data.area_codes:
                try:
                    self._p.areas.get(code, session=s)
                except NotFound:
                    raise InvalidInput(f"no wijk {code!r}", field="area_codes") from None
            row = PollRow(
                title=data.title.strip(),
                question=data.question.strip(),
                explanation=data.explanation,
                rule=data.rule,
                seats=data.seats,
                max_choices=max_choices,
                points=(data.points or settings.default_points) if data.rule == "cumulative" else 0,
                allow_blank=data.allow_blank,
                eligibility=data.eligibility,
                ballots_per_code=data.ballots_per_code,
                allow_change=data.allow_change,
                precedence=data.precedence,
                tie_break=data.tie_break,
                lot_seed=data.lot_seed,
                area_codes=[c.strip().lower() for c in data.area_codes],
                postcodes=postcodes,
                eligible_count=data.eligible_count,
                state=DRAFT,
                opens_at=data.opens_at,
                closes_at=data.closes_at,
                created_at=self._p.clock.now(),
                created_by=actor,
                conflicts=0,
            )
            for position, option in enumerate(data.options, start=1):
                row.options.append(
                    OptionRow(position=position, name=option.name, description=option.description)
                )
            s.add(row)
            s.flush()
            self._audit(
                s,
                actor,
                "poll.created",
                row,
                {"title": row.title, "rule": row.rule, "seats": row.seats, "options": names},
            )
            return _row_to_poll(row)

    @staticmethod
    def _max_choices(rule: str, wanted: int | None, n: int) -> int:
        if rule == "plurality":
            if wanted not in (None, 1):
                raise InvalidInput("plurality allows exactly one choice", field="max_choices")
            return 1
        if wanted is not None and wanted > n:
            raise InvalidInput(
                f"max_choices {wanted} is more than the {n} options", field="max_choices"
            )
        return wanted or n

    @staticmethod
    def _pc_restriction(value: str) -> str:
        text = value.strip()
        if len(text) == 4 and text.isdigit() and text[0] != "0":
            return text
        return normalize_postcode(text, field="postcodes")

    @staticmethod
    def _check_times(opens_at: datetime | None, closes_at: datetime | None) -> None:
        for name, value in (("opens_at", opens_at), ("closes_at", closes_at)):
            if value is not None and value.tzinfo is None:
                raise InvalidInput("give a time with a time zone", field=name)
        if opens_at and closes_at and closes_at <= opens_at:
            raise InvalidInput("the poll must close after it opens", field="closes_at")

    def get(self, poll_id: uuid.UUID | str, *, session: Session | None = None) -> Poll:
        with self._p.unit_of_work(session, readonly=True) as s:
            return _row_to_poll(self._load(s, poll_id))

    def list(self, *, state: str | None = None, session: Session | None = None) -> list[Poll]:
        with self._p.unit_of_work(session, readonly=True) as s:
            query = select(PollRow).order_by(PollRow.created_at, PollRow.id)
            if state is not None:
                query = query.where(PollRow.state == state)
            return [_row_to_poll(r) for r in s.execute(query).scalars()]

    def update(
        self,
        poll_id: uuid.UUID | str,
        data: PollUpdate,
        *,
        actor: str,
        session: Session | None = None,
    ) -> Poll:
        """Edit a draft or scheduled poll; once open only ``explanation`` may change."""

        changes = data.model_dump(exclude_unset=True)
        with self._p.unit_of_work(session) as s:
            row = self._load(s, poll_id, lock=True)
            if row.state in (CLOSED, PUBLISHED, CANCELLED):
                raise PollClosed("the poll has ended and cannot be edited", field="state")
            if row.state == OPEN:
                locked = sorted(k for k in changes if k != "explanation")
                if locked:
                    raise PollLocked(
                        f"{', '.join(locked)} cannot change while the poll is open",
                        field=locked[0],
                    )
            before: dict[str, Any] = {}
            if "options" in changes and data.options is not None:
                refuse_lookalike_names([o.name for o in data.options])
                before["options"] = [o.name for o in row.options]
                row.options.clear()
                s.flush()
                for position, option in enumerate(data.options, start=1):
                    row.options.append(
                        OptionRow(
                            position=position, name=option.name, description=option.description
                        )
                    )
            n = len(row.options)
            seats = data.seats if data.seats is not None else row.seats
            if seats >= n:
                raise InvalidInput("there must be more options than seats", field="seats")
            if "max_choices" in changes or "options" in changes:
                row.max_choices = self._max_choices(row.rule, data.max_choices, n)
            opens_at = changes.get("opens_at", row.opens_at)
            closes_at = changes.get("closes_at", row.closes_at)
            self._check_times(opens_at, closes_at)
            for key in (
                "title",
                "question",
                "explanation",
                "seats",
                "tie_break",
                "eligible_count",
                "opens_at",
                "closes_at",
            ):
                if key in changes:
                    before[key] = getattr(row, key)
                    setattr(row, key, changes[key])
            s.flush()
            self._audit(
                s,
                actor,
                "poll.updated",
                row,
                {"before": before, "after": data.model_dump(mode="json", exclude_unset=True)},
            )
            return _row_to_poll(row)

    def schedule(
        self, poll_id: uuid.UUID | str, *, actor: str, session: Session | None = None
    ) -> Poll:
        """Fix the poll for opening at ``opens_at`` (the job opens it)."""

        with self._p.unit_of_work(session) as s:
            row = self._load(s, poll_id, lock=True)
            if row.state != DRAFT:
                raise InvalidState(f"a {row.state} poll cannot be scheduled", field="state")
            if row.opens_at is None or row.closes_at is None:
                raise InvalidInput(
                    "set opens_at and closes_at before scheduling",
                    field="opens_at" if row.opens_at is None else "closes_at",
                )
            if row.closes_at <= self._p.clock.now():
                raise InvalidInput("the closing time has passed already", field="closes_at")
            self._fix_rule(row)
            row.state = SCHEDULED
            s.flush()
            self._audit(
                s,
                actor,
                "poll.scheduled",
                row,
                {"opens_at": row.opens_at, "closes_at": row.closes_at, **self._rule_data(row)},
            )
            return _row_to_poll(row)

    def _fix_rule(self, row: PollRow) -> None:
        if row.tie_break == "lot" and not row.lot_seed:
            row.lot_seed = secrets.token_hex(16)
        if self._keep_links(row) and row.link_secret is None:
            row.link_secret = secrets.token_hex(32)

    @staticmethod
    def _rule_data(row: PollRow) -> dict[str, Any]:
        return {
            "rule": row.rule,
            "seats": row.seats,
            "max_choices": row.max_choices,
            "points": row.points,
            "tie_break": row.tie_break,
            "lot_seed": row.lot_seed,
            "eligibility": row.eligibility,
            "precedence": row.precedence,
            "allow_change": row.allow_change,
        }

    def open(self, poll_id: uuid.UUID | str, *, actor: str, session: Session | None = None) -> Poll:
        """Open voting now (a draft or scheduled poll)."""

        with self._p.unit_of_work(session) as s:
            row = self._load(s, poll_id, lock=True)
            self._open_row(s, row, actor)
            return _row_to_poll(row)

    def _open_row(self, s: Session, row: PollRow, actor: str) -> None:
        if row.state not in (DRAFT, SCHEDULED):
            raise InvalidState(f"a {row.state} poll cannot be opened", field="state")
        now = self._p.clock.now()
        if row.closes_at is not None and row.closes_at <= now:
            raise InvalidInput("the closing time has passed already", field="closes_at")
        self._fix_rule(row)
        row.state = OPEN
        row.opened_at = now
        s.flush()
        self._audit(s, actor, "poll.opened", row, self._rule_data(row))

    def close(
        self, poll_id: uuid.UUID | str, *, actor: str, session: Session | None = None
    ) -> Poll:
        """End voting. Keyed links for vote changing are destroyed here."""

        with self._p.unit_of_work(session) as s:
            row = self._load(s, poll_id, lock=True)
            self._close_row(s, row, actor)
            return _row_to_poll(row)

    def _close_row(self, s: Session, row: PollRow, actor: str) -> None:
        if row.state != OPEN:
            raise InvalidState(f"a {row.state} poll cannot be closed", field="state")
        row.state = CLOSED
        row.closed_at = self._p.clock.now()
        s.flush()
        # Ballots change no more (paper typed in later clears this): hash the file once.
        row.ballots_sha256 = self._write_ballots(s, row, cast(IO[bytes], _NullSink()))
        self._audit(
            s,
            actor,
            "poll.closed",
            row,
            {"closed_at": row.closed_at, "ballots_sha256": row.ballots_sha256},
        )
        # Paper precedence needs the links until the last paper ballot is typed in.
        if row.precedence == "first":
            self._destroy_links(s, row, actor)
        self._reseal(s, row)

    def _reseal(self, s: Session, row: PollRow) -> None:
        links_kept = row.link_secret is not None
        reseal(s, row.id, self._p.settings.zone, links_kept=links_kept)

    def reseal(
        self, poll_id: uuid.UUID | str, *, actor: str, session: Session | None = None
    ) -> None:
        """Rewrite an ended poll's tables as closing does now (``polls.at_rest``): for polls
        that ended before closing did so. Idempotent."""

        with self._p.unit_of_work(session) as s:
            row = self._load(s, poll_id, lock=True)
            if row.state not in (CLOSED, PUBLISHED, CANCELLED):
                raise InvalidState("only an ended poll can be resealed", field="state")
            self._reseal(s, row)
            self._audit(s, actor, "poll.resealed", row, {})

    def _destroy_links(self, s: Session, row: PollRow, actor: str) -> None:
        if row.link_secret is None and row.links_destroyed_at is not None:
            return
        result = s.execute(
            update(BallotRow)
            .where(BallotRow.poll_id == row.id, BallotRow.link.is_not(None))
            .values(link=None)
            .execution_options(synchronize_session=False)
        )
        row.link_secret = None
        row.links_destroyed_at = self._p.clock.now()
        s.flush()
        self._audit(
            s,
            actor,
            "poll.links_destroyed",
            row,
            {"links": int(result.rowcount or 0)},  # type: ignore[attr-defined]
        )

    def cancel(
        self,
        poll_id: uuid.UUID | str,
        *,
        actor: str,
        reason: str,
        session: Session | None = None,
    ) -> Poll:
        if not reason.strip():
            raise InvalidInput("give a reason for cancelling", field="reason")
        with self._p.unit_of_work(session) as s:
            row = self._load(s, poll_id, lock=True)
            if row.state in (PUBLISHED, CANCELLED):
                raise InvalidState(f"a {row.state} poll cannot be cancelled", field="state")
            before = row.state
            row.state = CANCELLED
            row.cancelled_at = self._p.clock.now()
            s.flush()
            self._audit(s, actor, "poll.cancelled", row, {"before": before, "reason": reason})
            self._destroy_links(s, row, actor)
            self._reseal(s, row)
            return _row_to_poll(row)

    def publish(
        self,
        poll_id: uuid.UUID | str,
        *,
        actor: str,
        witness: str | None = None,
        session: Session | None = None,
    ) -> TallyResult:
        """Fix the result: no paper entry may be open; records the tally's figures."""

        with self._p.unit_of_work(session) as s:
            row = self._load(s, poll_id, lock=True)
            if row.state != CLOSED:
                raise InvalidState(f"a {row.state} poll cannot be published", field="state")
            open_entries = s.execute(
                select(func.count(func.distinct(PaperEntryRow.sheet))).where(
                    PaperEntryRow.poll_id == row.id,
                    PaperEntryRow.status.in_(("pending", "mismatch")),
                )
            ).scalar_one()
            if open_entries:
                raise InvalidState(
                    f"{open_entries} paper ballot(s) still wait for a second typing or a "
                    "resolution",
                    field="paper",
                )
            self._destroy_links(s, row, actor)
            # Paper typed in after closing was stored in typing order: rewrite again.
            self._reseal(s, row)
            row.state = PUBLISHED
            row.published_at = self._p.clock.now()
            row.ballots_sha256 = self._write_ballots(s, row, cast(IO[bytes], _NullSink()))
            s.flush()
            result = self._tally(s, row, witness)
            self._audit(
                s,
                actor,
                "poll.published",
                row,
                {
                    "ballots": result.ballots,
                    "winners": result.winners,
                    "ties": [t.model_dump() for t in result.ties],
                    "ballots_sha256": result.ballots_sha256,
                    "witness": witness,
                },
            )
            return result

    def open_and_close_due(
        self, now: datetime | None = None, *, session: Session | None = None
    ) -> dict[str, int]:
        """Open scheduled polls whose time has come and close open ones past closing.

        Idempotent: a second run at the same moment finds nothing to do.
        """

        now = now or self._p.clock.now()
        opened = closed = 0
        with self._p.unit_of_work(session) as s:
            due_open = s.execute(
                select(PollRow)
                .where(PollRow.state == SCHEDULED, PollRow.opens_at <= now)
                .with_for_update()
            ).scalars()
            for row in list(due_open):
                if row.closes_at is not None and row.closes_at <= now:
                    row.state = OPEN
                    row.opened_at = row.opens_at
                    self._audit(s, "system", "poll.opened", row, self._rule_data(row))
                    self._close_row(s, row, "system")
                    closed += 1
                else:
                    self._open_row(s, row, "system")
                opened += 1
            due_close = s.execute(
                select(PollRow)
                .where(PollRow.state == OPEN, PollRow.closes_at <= now)
                .with_for_update()
            ).scalars()
            for row in list(due_close):
                self._close_row(s, row, "system")
                closed += 1
        return {"opened": opened, "closed": closed}

    # -- codes ----------------------------------------------------------------------------

    def issue_codes(
        self,
        poll_id: uuid.UUID | str,
        out: str | os.PathLike[str] | IO[bytes],
        *,
        count: int | None = None,
        addresses: Sequence[LetterAddress] | None = None,
        actor: str,
        session: Session | None = None,
    ) -> IssueResult:
        """Make the codes and write the letters' CSV (serial, address, code, voting URL).

        The only moment plaintext codes exist; a second issue for the same poll is refused.
        """

        if (count is None) == (addresses is None):
            raise InvalidInput("give either a number of households or addresses", field="count")
        limit = self._p.settings.polls.max_codes_per_issue
        total = count if count is not None else len(addresses or [])
        if total < 1 or total > limit:
            raise InvalidInput(f"issue between 1 and {limit} codes", field="count")
        with self._p.unit_of_work(session) as s:
            row = self._load(s, poll_id, lock=True)
            if row.eligibility != "codes":
                raise InvalidState("this poll does not use codes", field="eligibility")
            if row.state not in (DRAFT, SCHEDULED, OPEN):
                raise PollClosed("codes cannot be issued for an ended poll", field="state")
            if row.codes_issued_at is not None:
                raise CodesAlreadyIssued(
                    "the codes were exported already; reissue single codes for lost letters",
                    field="poll",
                )
            letters: list[tuple[str, str]] = []
            if addresses is not None:
                for index, address in enumerate(addresses):
                    pc = normalize_postcode(address.postcode, field=f"addresses[{index}].postcode")
                    if not _postcode_allowed(row, s, pc):
                        raise NotEligible(
                            f"{address.line}, {pc} lies outside the poll's area",
                            field=f"addresses[{index}].postcode",
                        )
                    letters.append((f"{address.line.strip()}, {pc}", pc))
            else:
                letters = [("", "")] * total
            url = self._p.url("poll.vote", poll=row.id)
            now = self._p.clock.now()
            poll_id_value = row.id

            def rows() -> Iterator[list[Any]]:
                batch: list[dict[str, Any]] = []
                for serial, (line, _pc) in enumerate(letters, start=1):
                    code = codes_mod.generate_code()
                    batch.append(
                        {
                            "id": uuid.uuid4(),
                            "poll_id": poll_id_value,
                            "kind": "code",
                            "key_hash": self._p.hasher.code(code),
                            "serial": serial,
                            "address_hash": self._p.hasher.hash(
                                "poll-address", f"{poll_id_value}:{line}"
                            )
                            if line
                            else None,
                            "status": "active",
                            "max_uses": row.ballots_per_code,
                            "uses": 0,
                            "changes": 0,
                            "created_at": now,
                        }
                    )
                    if len(batch) >= 1000:
                        s.execute(insert(CredentialRow), batch)
                        batch = []
                    yield [serial, line, codes_mod.format_code(code), url]
                if batch:
                    s.execute(insert(CredentialRow), batch)

            header = ["volgnummer", "adres", "stemcode", "stemadres"]
            try:
                issued, digest = write_excel_csv(out, header, rows())
            except BaseException as exc:
                # Nothing is stored then: codes in a half-written file must not circulate.
                if isinstance(out, str | os.PathLike):
                    Path(out).unlink(missing_ok=True)
                if isinstance(exc, IntegrityError):  # two random codes alike: ~never
                    raise InvalidState("code collision, please issue again", field="poll") from None
                raise
            row.codes_issued_at = now
            s.flush()
            self._audit(s, actor, "poll.codes_issued", row, {"count": issued, "sha256": digest})
            return IssueResult(poll_id=row.id, issued=issued, sha256=digest)

    def revoke_code(
        self,
        poll_id: uuid.UUID | str,
        serial: int,
        *,
        actor: str,
        reason: str = "",
        session: Session | None = None,
    ) -> None:
        with self._p.unit_of_work(session) as s:
            row = self._load(s, poll_id)
            cred = self._revoke(s, row, serial)
            self._audit(
                s,
                actor,
                "poll.code_revoked",
                row,
                # Staff notes about a lost letter may name the household: a digest only.
                {"serial": cred.serial, "reason_sha256": text_digest(reason)},
            )

    def _revoke(self, s: Session, row: PollRow, serial: int) -> CredentialRow:
        if row.state not in (DRAFT, SCHEDULED, OPEN):
            raise PollClosed("codes of an ended poll cannot change", field="state")
        cred = s.execute(
            select(CredentialRow)
            .where(CredentialRow.poll_id == row.id, CredentialRow.serial == serial)
            .with_for_update()
        ).scalar_one_or_none()
        if cred is None:
            raise NotFound(f"no code with letter number {serial}", field="serial")
        if cred.status != "active":
            raise InvalidState(f"the code of letter {serial} is revoked already", field="serial")
        if cred.uses > 0:
            raise InvalidState(f"the code of letter {serial} has been used to vote", field="serial")
        cred.status = "revoked"
        cred.revoked_at = self._p.clock.now()
        return cred

    def reissue_code(
        self,
        poll_id: uuid.UUID | str,
        serial: int,
        *,
        actor: str,
        reason: str = "lost letter",
        session: Session | None = None,
    ) -> IssuedCode:
        """Revoke the code of letter ``serial`` and hand out a new one, once."""

        with self._p.unit_of_work(session) as s:
            row = self._load(s, poll_id, lock=True)
            old = self._revoke(s, row, serial)
            new_serial = (
                s.execute(
                    select(func.max(CredentialRow.serial)).where(CredentialRow.poll_id == row.id)
                ).scalar_one()
                or 0
            ) + 1
            code = codes_mod.generate_code()
            s.add(
                CredentialRow(
                    poll_id=row.id,
                    kind="code",
                    key_hash=self._p.hasher.code(code),
                    serial=new_serial,
                    address_hash=old.address_hash,
                    status="active",
                    max_uses=row.ballots_per_code,
                    uses=0,
                    changes=0,
                    created_at=self._p.clock.now(),
                )
            )
            old.replaced_by_serial = new_serial
            s.flush()
            self._audit(
                s,
                actor,
                "poll.code_reissued",
                row,
                {"serial": serial, "new_serial": new_serial, "reason_sha256": text_digest(reason)},
            )
            return IssuedCode(
                serial=new_serial,
                code=codes_mod.format_code(code),
                url=self._p.url("poll.vote", poll=row.id),
            )

    # -- e-mail eligibility -----------------------------------------------------------------

    @retry_transient
    def request_email_link(
        self,
        poll_id: uuid.UUID | str,
        email: str,
        *,
        locale: str | None = None,
        postcode: str | None = None,
        ip: str | None = None,
        session: Session | None = None,
    ) -> None:
        """Send a signed voting link to the address; voting with it proves the address.

        Within the send caps (``participatie.sendcaps``) per address and per network of
        ``ip``; over them the request is answered the same and no mail goes out.
        """

        address = normalize_email(
            email, check_deliverability=self._p.settings.email_check_deliverability
        )
        pc = normalize_postcode(postcode) if postcode else None
        with self._p.unit_of_work(session) as s:
            row = self._load(s, poll_id)
            if row.eligibility != "email":
                raise InvalidState("this poll does not use e-mail addresses", field="eligibility")
            self._check_open(row)
            self._check_postcode(s, row, pc)
            if not self._p.send_caps.allow(s, email=address, ip=ip):
                return
            # Per poll, so voters cannot be matched across polls or with petition signers.
            # On the mailbox, not the address: dots and +tags do not make a second voter.
            mailbox = mailbox_key(address, self._p.settings.mailboxes)
            key = self._p.hasher.hash("poll-email", f"{row.id}:{mailbox}")
            extra: dict[str, Any] = {"e": key}
            if pc:
                extra["pc"] = pc
            token = self._p.tokens.make("poll.email", str(row.id), **extra)
            self._p.outbox.enqueue(
                s,
                to=address.address,
                template="polls_vote_link",
                context={
                    "title": row.title,
                    "question": row.question,
                    "link": self._p.url("poll.email", token=token),
                    "closes_at": row.closes_at.astimezone(self._p.settings.zone)
                    if row.closes_at
                    else None,
                },
                locale=locale,
                subject_type=SUBJECT,
                subject_id=row.id,
            )
            # No address in the log: only that a link went out.
            self._audit(s, "resident", "poll.email_link_sent", row, {"locale": locale or ""})

    def _check_postcode(self, s: Session, row: PollRow, pc: str | None) -> None:
        if not row.postcodes and not row.area_codes:
            return
        if pc is None:
            raise NotEligible(
                "this poll is limited to an area: give your postcode", field="postcode"
            )
        if not _postcode_allowed(row, s, pc):
            raise NotEligible(f"postcode {pc} lies outside the poll's area", field="postcode")

    # -- casting ------------------------------------------------------------------------------

    def _check_open(self, row: PollRow) -> None:
        now = self._p.clock.now()
        if row.state in (DRAFT, SCHEDULED) or (row.opens_at is not None and now < row.opens_at):
            raise PollNotOpen("voting has not started yet", field="poll")
        if row.state != OPEN or (row.closes_at is not None and now >= row.closes_at):
            raise PollClosed("voting has ended", field="poll")

    def _marks(
        self,
        row: PollRow,
        choices: Sequence[str],
        points: dict[str, int],
        *,
        field: str,
    ) -> _Marks:
        """Reduce a ballot to stored marks; raise ``InvalidBallot`` for what cannot count."""

        by_name = self._option_positions(row)
        n = len(by_name)

        def position(ref: str) -> int:
            text = " ".join(str(ref).split())
            if text.lower() in by_name:
                return by_name[text.lower()]
            if text.isdigit() and 1 <= int(text) <= n:
                return int(text)
            raise InvalidBallot(f"{text!r} is not one of the options", field=field)

        if row.rule == "cumulative":
            if choices:
                raise InvalidBallot("give points per option, not a list", field=field)
            given: dict[int, int] = {}
            for ref, value in points.items():
                pos = position(ref)
                if pos in given:
                    raise InvalidBallot("an option is named twice", field=field)
                if not isinstance(value, int) or value < 0:
                    raise InvalidBallot("points must be whole numbers of 0 or more", field=field)
                if value:
                    given[pos] = value
            used = sum(given.values())
            if used > row.points:
                raise InvalidBallot(
                    f"{used} points given, at most {row.points} may be distributed", field=field
                )
            items = tuple((pos, 0, pts) for pos, pts in sorted(given.items()))
        else:
            if points:
                raise InvalidBallot("points are only for cumulative polls", field=field)
            positions = [position(ref) for ref in choices]
            if len(set(positions)) != len(positions):
                raise InvalidBallot("an option is chosen twice", field=field)
            if len(positions) > row.max_choices:
                raise InvalidBallot(
                    f"{len(positions)} options chosen, at most {row.max_choices} allowed",
                    field=field,
                )
            if row.rule in ("borda", "ranked"):
                items = tuple(
                    (pos, rank, (n - rank) if row.rule == "borda" else 1)
                    for rank, pos in enumerate(positions, start=1)
                )
            else:
                items = tuple((pos, 0, 1) for pos in sorted(positions))
        blank = not items
        if blank and not row.allow_blank:
            raise InvalidBallot("a blank vote is not allowed in this poll", field=field)
        return _Marks(items=items, blank=blank, invalid=False)

    @retry_transient
    def cast(
        self,
        poll_id: uuid.UUID | str,
        ballot: BallotIn,
        *,
        code: str | None = None,
        email_token: str | None = None,
        subject: str | None = None,
        postcode: str | None = None,
        channel: str = "online",
        staff: str | None = None,
        session: Session | None = None,
    ) -> Receipt:
        """Record a ballot and return the voter's receipt (tracker).

        Credentials: ``code`` (code polls), ``email_token`` (from the voting link),
        ``subject`` (the host vouches, e.g. DigiD; stored as a keyed hash), none for open
        polls. ``channel`` is ``online`` or ``desk`` (desk needs ``staff``). Every refusal
        (closed poll, unknown or used code, typo, too many choices) writes nothing.
        """

        if channel not in ONLINE_CHANNELS:
            raise InvalidInput(
                "channel must be online or desk (paper: enter_paper)", field="channel"
            )
        if channel == "desk" and not staff:
            raise InvalidInput("a desk ballot names the staff member", field="staff")
        compact = codes_mod.parse_code(code) if code is not None else None
        pc = normalize_postcode(postcode) if postcode else None
        with self._p.unit_of_work(session) as s:
            # A shared lock: votes run side by side, but closing (which locks the poll)
            # waits for the votes in flight and sees each one before it hashes and
            # rewrites the ballots; a vote that comes later finds the poll closed.
            row = self._load(s, poll_id, share=True, options=False)
            self._check_open(row)
            marks = self._marks(row, ballot.choices, ballot.points, field="choices")
            key, kind = self._credential_key(row, compact, email_token, subject)
            if kind in ("email", "host"):
                if kind == "email" and pc is None and email_token is not None:
                    pc = self._token_postcode(email_token)
                self._check_postcode(s, row, pc)
            receipt = self._record(s, row, key, kind, marks, channel)
            self._audit(
                s,
                staff or "resident",
                "poll.ballot_recorded",
                row,
                {"channel": channel, "replaced": receipt.replaced_earlier},
            )
            return receipt

    def _token_postcode(self, token: str) -> str | None:
        payload = self._p.tokens.load("poll.email", token, max_age=None)
        value = payload.extra.get("pc")
        return str(value) if value else None

    def _credential_key(
        self,
        row: PollRow,
        compact: str | None,
        email_token: str | None,
        subject: str | None,
    ) -> tuple[str | None, str]:
        if row.eligibility == "codes":
            if compact is None:
                raise InvalidInput("this poll needs the code from your letter", field="code")
            return self._p.hasher.code(compact), "code"
        if row.eligibility == "email":
            if not email_token:
                raise InvalidInput("this poll needs the link from your e-mail", field="email_token")
            payload = self._p.tokens.load(
                "poll.email", email_token, max_age=self._p.settings.tokens.vote
            )
            if payload.subject != str(row.id):
                raise NotEligible("this link belongs to another poll", field="email_token")
            return str(payload.extra["e"]), "email"
        if row.eligibility == "host":
            if not subject or not subject.strip():
                raise NotEligible("the host did not say who is voting", field="subject")
            return self._p.hasher.subject(f"{row.id}:{subject.strip()}"), "host"
        return None, "open"

    def _credential(self, s: Session, row: PollRow, key: str, kind: str) -> uuid.UUID:
        """The id of the active credential behind ``key`` (created for e-mail and host)."""

        query = select(CredentialRow.id, CredentialRow.status).where(
            CredentialRow.poll_id == row.id, CredentialRow.key_hash == key
        )
        found = s.execute(query).first()
        if found is None and kind in ("email", "host"):
            # Two first votes of one person race here: the unique constraint decides.
            try:
                with s.begin_nested():
                    s.add(
                        CredentialRow(
                            # Random id and only the day: made when the vote is cast.
                            id=uuid.uuid4(),
                            poll_id=row.id,
                            kind=kind,
                            key_hash=key,
                            status="active",
                            max_uses=1,
                            uses=0,
                            changes=0,
                            created_at=day_of(self._p.clock.now(), self._p.settings.zone),
                        )
                    )
                    s.flush()
            except IntegrityError:
                pass
            found = s.execute(query).first()
        if found is None:
            raise UnknownCode("this code is not known for this poll", field="code")
        if found.status != "active":
            raise CodeRevoked(
                "this code was replaced by a new one: use the code from your newest letter",
                field="code",
            )
        credential_id: uuid.UUID = found.id
        return credential_id

    def _record(
        self,
        s: Session,
        row: PollRow,
        key: str | None,
        kind: str,
        marks: _Marks,
        channel: str,
    ) -> Receipt:
        """Mark the credential used (or supersede its earlier ballot) and store the ballot."""

        if key is None:
            return self._insert_ballot(s, row, marks, channel, link=None, replaced=False)
        # A paper ballot's use is the day it was typed in, which would tie the credential
        # to the typed sheet: it keeps no day at all.
        day = None if channel == "paper" else day_of(self._p.clock.now(), self._p.settings.zone)
        if row.link_secret is None:
            # The common case in one statement: claim an unused, active credential by key.
            by_key = (CredentialRow.poll_id == row.id) & (CredentialRow.key_hash == key)
            if claim_credential(s, by_key, day, channel):
                return self._insert_ballot(s, row, marks, channel, link=None, replaced=False)
        # Not claimed: find out why (unknown, revoked, used) or create it (e-mail, host).
        cred_id = self._credential(s, row, key, kind)
        # The conditional UPDATE is the referee: of racing transactions exactly one finds
        # uses < max_uses; the others wait for its row lock and then match no row.
        if claim_credential(s, CredentialRow.id == cred_id, day, channel):
            link = None
            if row.link_secret is not None:
                use = s.execute(
                    select(CredentialRow.uses).where(CredentialRow.id == cred_id)
                ).scalar_one()
                link = self._link(row, cred_id, use)
            return self._insert_ballot(s, row, marks, channel, link=link, replaced=False)
        return self._replace(s, row, cred_id, marks, channel)

    def _replace(
        self, s: Session, row: PollRow, cred_id: uuid.UUID, marks: _Marks, channel: str
    ) -> Receipt:
        link = self._link(row, cred_id, 1)
        if link is None or row.ballots_per_code != 1:
            raise AlreadyVoted("this code has been used to vote already", field="code")
        # Take the credential's row lock so two changes of one vote queue up.
        s.execute(
            update(CredentialRow)
            .where(CredentialRow.id == cred_id)
            .values(changes=CredentialRow.changes + 1)
            .execution_options(synchronize_session=False)
        )
        old = s.execute(
            select(BallotRow).where(BallotRow.poll_id == row.id, BallotRow.link == link)
        ).scalar_one_or_none()
        if old is None:
            raise AlreadyVoted("this code has been used to vote already", field="code")
        same_kind = (old.channel == "paper") == (channel == "paper")
        if same_kind and channel != "paper" and row.allow_change and row.state == OPEN:
            conflict = False
        elif row.precedence == "paper" and channel == "paper" and old.channel != "paper":
            conflict = True
        else:
            raise AlreadyVoted("this code has been used to vote already", field="code")
        s.execute(
            update(BallotRow)
            .where(BallotRow.id == old.id)
            .values(superseded=True, link=None)
            .execution_options(synchronize_session=False)
        )
        s.execute(
            update(BallotChoiceRow)
            .where(BallotChoiceRow.ballot_id == old.id)
            .values(counted=False)
            .execution_options(synchronize_session=False)
        )
        if conflict:
            count_conflict(s, row)
        s.expire(old)
        return self._insert_ballot(s, row, marks, channel, link=link, replaced=True)

    def _insert_ballot(
        self,
        s: Session,
        row: PollRow,
        marks: _Marks,
        channel: str,
        *,
        link: str | None,
        replaced: bool,
    ) -> Receipt:
        ballot_id = uuid.uuid4()
        tracker = _new_tracker()
        # Core inserts on the session's connection: the ORM's bookkeeping buys nothing here.
        conn = s.connection()
        conn.execute(
            cast(Table, BallotRow.__table__).insert(),
            {
                "id": ballot_id,
                "poll_id": row.id,
                "tracker": tracker,
                "channel": channel,
                "blank": marks.blank,
                "invalid": marks.invalid,
                "superseded": False,
                "link": link,
            },
        )
        if marks.items and not marks.invalid:
            conn.execute(
                cast(Table, BallotChoiceRow.__table__).insert(),
                [
                    {
                        "ballot_id": ballot_id,
                        "option_position": pos,
                        "poll_id": row.id,
                        "channel": channel,
                        "counted": True,
                        "rank": rank,
                        "points": pts,
                    }
                    for pos, rank, pts in marks.items
                ],
            )
        return Receipt(
            poll_id=row.id,
            tracker=tracker,
            channel=channel,
            replaced_earlier=replaced,
        )

    # -- paper ballots ----------------------------------------------------------------------

    def enter_paper(
        self,
        poll_id: uuid.UUID | str,
        entry: PaperEntry,
        *,
        staff: str,
        session: Session | None = None,
    ) -> PaperOutcome:
        """Type in a paper ballot. The second typing, by someone else, records it when both
        agree; a difference is listed for resolution (``paper_mismatches``)."""

        staff = staff.strip()
        if not staff:
            raise InvalidInput("name the staff member who types", field="staff")
        with self._p.unit_of_work(session) as s:
            row = self._load(s, poll_id, lock=True)
            if row.state not in (OPEN, CLOSED):
                if row.state in (DRAFT, SCHEDULED):
                    raise PollNotOpen(
                        "paper ballots can be typed in once voting opened", field="poll"
                    )
                raise PollClosed("the result is final; no more paper ballots", field="poll")
            code_hash = self._paper_code(s, row, entry)
            stored = self._paper_marks(row, entry)
            existing = list(
                s.execute(
                    select(PaperEntryRow)
                    .where(PaperEntryRow.poll_id == row.id, PaperEntryRow.sheet == entry.sheet)
                    .order_by(PaperEntryRow.entry)
                ).scalars()
            )
            if len(existing) >= 2:
                raise PaperEntryConflict(
                    f"sheet {entry.sheet} was typed twice already", field="sheet"
                )
            if existing and same_staff(existing[0].staff, staff):
                raise PaperEntryConflict(
                    "the second typing must be done by someone else", field="staff"
                )
            number = len(existing) + 1
            new = self._paper_entry_row(row, entry, number, staff, code_hash)
            s.add(new)
            s.flush()
            if number == 1:
                self._audit(s, staff, "poll.paper_entered", row, {"sheet": entry.sheet, "entry": 1})
                return PaperOutcome(sheet=entry.sheet, status="pending")
            first = existing[0]
            if (
                first.code_hash == code_hash
                and self._paper_marks(row, self._as_entry(first)) == stored
            ):
                return self._finish_paper(s, row, [first, new], stored, code_hash, staff, "matched")
            first.status = new.status = "mismatch"
            s.flush()
            self._audit(
                s,
                staff,
                "poll.paper_mismatch",
                row,
                {"sheet": entry.sheet, "staff": [first.staff, staff]},
            )
            return PaperOutcome(sheet=entry.sheet, status="mismatch", note="the two typings differ")

    def resolve_paper(
        self,
        poll_id: uuid.UUID | str,
        entry: PaperEntry,
        *,
        staff: str,
        session: Session | None = None,
    ) -> PaperOutcome:
        """Settle a mismatch by looking at the paper: this typing is what counts."""

        staff = staff.strip()
        if not staff:
            raise InvalidInput("name the staff member who resolves", field="staff")
        with self._p.unit_of_work(session) as s:
            row = self._load(s, poll_id, lock=True)
            if row.state not in (OPEN, CLOSED):
                raise PollClosed("the result is final; no more paper ballots", field="poll")
            entries = list(
                s.execute(
                    select(PaperEntryRow)
                    .where(PaperEntryRow.poll_id == row.id, PaperEntryRow.sheet == entry.sheet)
                    .order_by(PaperEntryRow.entry)
                ).scalars()
            )
            if len(entries) != 2 or entries[0].status != "mismatch":
                raise PaperEntryConflict(
                    f"sheet {entry.sheet} has no difference to resolve", field="sheet"
                )
            if any(same_staff(staff, e.staff) for e in entries):
                # Four eyes: a typist does not settle her own difference.
                raise PaperEntryConflict(
                    "a third person resolves a difference, not one of the two typists",
                    field="staff",
                )
            code_hash = self._paper_code(s, row, entry)
            stored = self._paper_marks(row, entry)
            resolution = self._paper_entry_row(row, entry, 3, staff, code_hash)
            s.add(resolution)
            s.flush()
            return self._finish_paper(
                s, row, [*entries, resolution], stored, code_hash, staff, "resolved"
            )

    @staticmethod
    def _as_entry(row: PaperEntryRow) -> PaperEntry:
        return PaperEntry(
            sheet=row.sheet,
            marks=list(row.marks),
            points={str(k): int(v) for k, v in row.points},
            unreadable=row.unreadable,
        )

    def _paper_code(self, s: Session, row: PollRow, entry: PaperEntry) -> str | None:
        if row.eligibility == "codes":
            if not entry.code:
                raise InvalidInput("type the code from the envelope", field="code")
            compact = codes_mod.parse_code(entry.code)
            return self._p.hasher.code(compact)
        if row.eligibility != "open":
            raise InvalidState("paper ballots need codes or an open poll", field="eligibility")
        return None

    def _paper_marks(self, row: PollRow, entry: PaperEntry) -> _Marks:
        """Like an online ballot, except that what cannot count is recorded as invalid."""

        if entry.unreadable:
            return _Marks(items=(), blank=False, invalid=True, reason="unreadable")
        try:
            return self._marks(row, entry.marks, entry.points, field="marks")
        except InvalidBallot as exc:
            return _Marks(items=(), blank=False, invalid=True, reason=exc.message)

    def _finish_paper(
        self,
        s: Session,
        row: PollRow,
        entries: builtins.list[PaperEntryRow],
        marks: _Marks,
        code_hash: str | None,
        staff: str,
        status: str,
    ) -> PaperOutcome:
        sheet = entries[0].sheet
        tracker: str | None = None
        note = marks.reason
        final = status
        try:
            with s.begin_nested():
                receipt = self._record(s, row, code_hash, "code", marks, "paper")
            tracker = receipt.tracker
        except AlreadyVoted:
            final = "conflict"
            note = "this code was used on another channel first; the paper ballot does not count"
            count_conflict(s, row)
        except (UnknownCode, CodeRevoked) as exc:
            final = "rejected"
            note = exc.message
        if tracker is not None or final == "conflict":
            row.ballots_sha256 = None
        for item in entries:
            item.status = final if final in ("conflict", "rejected") else status
            # Who voted stays apart from what was voted: the code hash goes now.
            item.code_hash = None
            item.note = note[:255]
        s.flush()
        self._audit(
            s,
            staff,
            "poll.paper_recorded",
            row,
            {"sheet": sheet, "status": final, "staff": [e.staff for e in entries]},
        )
        return PaperOutcome(sheet=sheet, status=final, tracker=tracker, note=note)

    def paper_mismatches(
        self, poll_id: uuid.UUID | str, *, session: Session | None = None
    ) -> builtins.list[PaperMismatch]:
        """Sheets whose two typings differed, with who typed and (once done) who resolved."""

        with self._p.unit_of_work(session, readonly=True) as s:
            row = self._load(s, poll_id)
            return self._mismatches(s, row)

    def _mismatches(self, s: Session, row: PollRow) -> builtins.list[PaperMismatch]:
        entries = s.execute(
            select(PaperEntryRow)
            .where(PaperEntryRow.poll_id == row.id)
            .order_by(PaperEntryRow.sheet, PaperEntryRow.entry)
        ).scalars()
        out: builtins.list[PaperMismatch] = []
        for sheet, group in itertools.groupby(entries, key=lambda e: e.sheet):
            items = list(group)
            if len(items) < 2 or not (items[0].status == "mismatch" or len(items) == 3):
                continue
            first, second = items[0], items[1]
            out.append(
                PaperMismatch(
                    sheet=sheet,
                    first_staff=first.staff,
                    second_staff=second.staff,
                    first=self._entry_view(first),
                    second=self._entry_view(second),
                    resolved_by=items[2].staff if len(items) == 3 else None,
                )
            )
        return out

    @staticmethod
    def _entry_view(entry: PaperEntryRow) -> dict[str, Any]:
        view: dict[str, Any] = {"marks": list(entry.marks), "unreadable": entry.unreadable}
        if entry.points:
            view["points"] = {str(k): v for k, v in entry.points}
        return view

    def _paper_entry_row(
        self, row: PollRow, entry: PaperEntry, number: int, staff: str, code_hash: str | None
    ) -> PaperEntryRow:
        """One typing of a sheet: 1 and 2 by two staff members, 3 the resolution."""

        return PaperEntryRow(
            poll_id=row.id,
            sheet=entry.sheet,
            entry=number,
            staff=staff,
            code_hash=code_hash,
            marks=list(entry.marks),
            points=sorted([k, v] for k, v in entry.points.items()),
            unreadable=entry.unreadable,
            status="pending",
            note="",
            entered_at=self._p.clock.now(),
        )

    def set_paper_envelopes(
        self,
        poll_id: uuid.UUID | str,
        count: int,
        *,
        staff: str,
        session: Session | None = None,
    ) -> None:
        """Record how many paper envelopes were counted by hand (for the reconciliation)."""

        if count < 0:
            raise InvalidInput("the number of envelopes cannot be negative", field="count")
        if count > MAX_ELIGIBLE:
            raise InvalidInput(
                f"more than {MAX_ELIGIBLE:,} envelopes is not a real count", field="count"
            )
        with self._p.unit_of_work(session) as s:
            row = self._load(s, poll_id, lock=True)
            before = row.paper_envelopes
            row.paper_envelopes = count
            s.flush()
            self._audit(s, staff, "poll.paper_envelopes", row, {"before": before, "after": count})

    # -- results ------------------------------------------------------------------------------

    def published_ballots(
        self, poll_id: uuid.UUID | str, *, session: Session | None = None
    ) -> Iterator[PublishedBallot]:
        """The anonymised ballots (tracker, channel, choices, invalid), by tracker.

        Only after voting has ended; streams, so a million ballots fit in little memory.
        """

        with self._p.unit_of_work(session, readonly=True) as s:
            row = self._load(s, poll_id)
            self._check_ended(row)
            yield from self._iter_ballots(s, row)

    def _check_ended(self, row: PollRow) -> None:
        if row.state not in (CLOSED, PUBLISHED):
            raise InvalidState(
                "results and ballots are shown only after voting has ended", field="state"
            )

    def _ballot_rows(
        self, s: Session, row: PollRow, tracker: str | None = None
    ) -> Iterator[_BallotTuple]:
        """(tracker, channel, invalid, choices, points) per counted ballot, by tracker."""

        names = {o.position: o.name for o in row.options}
        cumulative = row.rule == "cumulative"
        query = (
            select(
                BallotRow.tracker,
                BallotRow.channel,
                BallotRow.invalid,
                BallotChoiceRow.option_position,
                BallotChoiceRow.points,
            )
            .outerjoin(BallotChoiceRow, BallotChoiceRow.ballot_id == BallotRow.id)
            .where(BallotRow.poll_id == row.id, BallotRow.superseded.is_(False))
            .order_by(BallotRow.tracker, BallotChoiceRow.rank, BallotChoiceRow.option_position)
        )
        if tracker is not None:
            query = query.where(BallotRow.tracker == tracker)
        # Core execution, streamed: a million ballots pass without ORM bookkeeping.
        result = s.connection().execute(query.execution_options(yield_per=10000))
        for key, group in itertools.groupby(result, key=lambda r: r[0]):
            rows = list(group)
            first = rows[0]
            marked = [(r[3], r[4]) for r in rows if r[3] is not None]
            yield (
                key,
                first[1],
                bool(first[2]),
                [names[pos] for pos, _ in marked],
                {names[pos]: int(pts) for pos, pts in marked} if cumulative else None,
            )

    def _iter_ballots(
        self, s: Session, row: PollRow, tracker: str | None = None
    ) -> Iterator[PublishedBallot]:
        for key, channel, invalid, choices, points in self._ballot_rows(s, row, tracker):
            yield PublishedBallot(
                tracker=key, channel=channel, choices=choices, invalid=invalid, points=points
            )

    def write_ballots(
        self, poll_id: uuid.UUID | str, out: IO[bytes], *, session: Session | None = None
    ) -> str:
        """Write the published ballots file (JSON, one ballot per line); returns its SHA-256."""

        with self._p.unit_of_work(session, readonly=True) as s:
            row = self._load(s, poll_id)
            self._check_ended(row)
            return self._write_ballots(s, row, out)

    def _write_ballots(self, s: Session, row: PollRow, out: IO[bytes]) -> str:
        sink = CountingSha256Writer(out)
        sink.write("[")
        separator = "\n"
        for key, channel, invalid, choices, points in self._ballot_rows(s, row):
            sink.write(separator + ballot_line(key, channel, choices, invalid, points))
            separator = ",\n"
        sink.write("\n]\n")
        return sink.hexdigest()

    def _ballots_digest(self, s: Session, row: PollRow) -> str:
        if row.ballots_sha256:
            return row.ballots_sha256
        return self._write_ballots(s, row, cast(IO[bytes], _NullSink()))

    def find_tracker(
        self, poll_id: uuid.UUID | str, tracker: str, *, session: Session | None = None
    ) -> PublishedBallot | None:
        """A voter checks their receipt against the published ballots."""

        wanted = tracker.strip().lower()
        with self._p.unit_of_work(session, readonly=True) as s:
            row = self._load(s, poll_id)
            self._check_ended(row)
            return next(self._iter_ballots(s, row, wanted), None)

    def tally(
        self,
        poll_id: uuid.UUID | str,
        *,
        witness: str | None = None,
        session: Session | None = None,
    ) -> TallyResult:
        """Count a closed (or published) poll: figures, winners, ties, reconciliation."""

        with self._p.unit_of_work(session, readonly=True) as s:
            row = self._load(s, poll_id)
            self._check_ended(row)
            return self._tally(s, row, witness)

    def _tally(self, s: Session, row: PollRow, witness: str | None) -> TallyResult:
        names = [o.name for o in row.options]
        by_pos = {o.position: o.name for o in row.options}
        # Counted in the database: one GROUP BY over the covering index.
        measure = (
            func.count()
            if row.rule in ("plurality", "approval")
            else func.sum(BallotChoiceRow.points)
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

        digest = self._ballots_digest(s, row)
        lot = Lot(row.lot_seed or "", digest) if row.tie_break == "lot" else None
        scores = {n: sum(per_option[n].values()) for n in names}
        if row.rule == "ranked":
            outcome = stv(self._rankings(s, row, by_pos), names, row.seats, lot=lot)
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
        eligible = self._eligible(s, row)
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
            reconciliation=self._reconciliation(s, row, ballots, int(superseded)),
            paper=self._paper_summary(s, row, channels.get("paper", 0)),
            opened_at=row.opened_at,
            closed_at=row.closed_at,
            timezone=self._p.settings.timezone,
            ballots_sha256=digest,
            software_version=participatie.__version__,
            generated_at=self._p.clock.now(),
        )

    def _rankings(
        self, s: Session, row: PollRow, by_pos: dict[int, str]
    ) -> Counter[tuple[str, ...]]:
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

    def _eligible(self, s: Session, row: PollRow) -> int:
        if row.eligibility == "codes":
            return int(
                s.execute(
                    select(func.count()).where(
                        CredentialRow.poll_id == row.id, CredentialRow.status == "active"
                    )
                ).scalar_one()
            )
        return int(row.eligible_count or 0)

    def _reconciliation(
        self, s: Session, row: PollRow, ballots: int, superseded: int
    ) -> dict[str, Any]:
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
        return {
            "credentials_issued": issued,
            "credentials_revoked": revoked,
            "credentials_used": used,
            "credential_uses": uses,
            "ballots_recorded": credentialed,
            "ballots_superseded": superseded,
            "difference": uses - credentialed,
            "channel_conflicts": int(row.conflicts or 0),
            "matches": uses == credentialed or row.eligibility == "open",
        }

    def _paper_summary(self, s: Session, row: PollRow, paper_ballots: int) -> dict[str, Any]:
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
        return {
            "envelopes_counted": row.paper_envelopes,
            "sheets_entered": len(sheets),
            "ballots_recorded": paper_ballots,
            "envelopes_match": row.paper_envelopes is None or row.paper_envelopes == len(sheets),
            "status": dict(sorted(status_counts.items())),
            "typed_by": dict(sorted(staff.items())),
            "mismatches": [m.model_dump() for m in self._mismatches(s, row)],
        }


class _NullSink:
    """A binary sink that keeps nothing (hashing the ballots file without writing it)."""

    def write(self, data: bytes) -> int:
        return len(data)


__all__ = ["LetterAddress", "Polls", "ballot_line"]
