"""Paper ballots: each sheet typed in twice by two staff members, a third settles a
difference, and the count of envelopes made by hand for the reconciliation.
"""

from __future__ import annotations

import itertools
import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from participatie.errors import InvalidInput, InvalidState
from participatie.polls import codes as codes_mod
from participatie.polls.context import PollsPart
from participatie.polls.counters import count_conflict
from participatie.polls.errors import (
    AlreadyVoted,
    CodeRevoked,
    PaperEntryConflict,
    PollClosed,
    PollNotOpen,
    UnknownCode,
)
from participatie.polls.lifecycle import publication_began
from participatie.polls.marks import Marks, check_typed, paper_marks
from participatie.polls.models import CLOSED, DRAFT, OPEN, SCHEDULED, PaperEntryRow, PollRow
from participatie.polls.recording import record_ballot
from participatie.polls.schemas import (
    MAX_ELIGIBLE,
    PaperEntry,
    PaperMismatch,
    PaperOutcome,
    PaperTyping,
)
from participatie.staff import same_staff


class PaperBallots(PollsPart):
    """Typing in paper ballots: ``enter_paper``, ``resolve_paper``, envelopes, mismatches."""

    def enter_paper(
        self,
        poll_id: uuid.UUID | str,
        entry: PaperEntry,
        *,
        staff: str,
        session: Session | None = None,
    ) -> PaperOutcome:
        """Type in a paper ballot. The second typing, by someone else, records it when both
        agree; a difference is listed for resolution (``paper_mismatches``).

        A ballot that cannot count (unreadable, too many marks) is recorded as invalid,
        not refused; a code used on another channel first gives ``conflict``, an unknown
        or revoked code ``rejected`` (in the outcome, not raised).

        Args:
            poll_id: the poll's id (open or closed; a code poll or an open poll).
            entry: the sheet number, the code on the envelope (code polls), the marked
                options (names or positions as text) or points per option, or
                ``unreadable``.
            staff: who types (audit log); the second typing must be someone else.
            session: the host's SQLAlchemy session to work in (the library only
                flushes); without it the call commits on its own.

        Returns:
            PaperOutcome: the sheet and its status: ``pending`` (first typing),
            ``matched`` (with the tracker), ``mismatch``, ``conflict`` or ``rejected``,
            with a note.

        Raises:
            InvalidInput: ``input.invalid``, field ``staff`` (empty), ``code`` (none
                typed in a code poll) or ``marks`` (a mark that is no option on the
                ballot, or one option typed twice: a typing error, nothing stored).
            PollNotFound: ``poll.not_found``.
            PollNotOpen: ``poll.not_open``, voting has not opened.
            PollClosed: ``poll.closed``, the result is published (or the poll cancelled).
            InvalidState: ``state.invalid``, field ``eligibility``: an e-mail or host poll.
            UnknownCode: ``poll.unknown_code``; CodeTypo: ``poll.code_typo``, the code
                cannot be a code or its check character does not match.
            PaperEntryConflict: ``poll.paper_entry``, the sheet was typed twice already
                (field ``sheet``) or the same person types it again (field ``staff``).
            DatabaseUnavailable: ``db.unavailable``, the database could not be reached
                or stayed locked; nothing was written.
        """

        staff = _staff(staff, "types")
        context = self.context
        with context.p.unit_of_work(session) as s:
            row = context.load(s, poll_id, lock=True)
            if row.state not in (OPEN, CLOSED):
                if row.state in (DRAFT, SCHEDULED):
                    raise PollNotOpen(
                        "paper ballots can be typed in once voting opened", field="poll"
                    )
                raise PollClosed("the result is final; no more paper ballots", field="poll")
            self._refuse_while_publishing(row)
            check_typed(self.context.option_positions(row), entry)
            code_hash = self._paper_code(row, entry)
            stored = self._paper_marks(row, entry)
            existing = _sheet_entries(s, row, entry.sheet)
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
                context.audit(
                    s, staff, "poll.paper_entered", row, {"sheet": entry.sheet, "entry": 1}
                )
                return PaperOutcome(sheet=entry.sheet, status="pending")
            first = existing[0]
            if first.code_hash == code_hash and self._paper_marks(row, _as_entry(first)) == stored:
                return self._finish_paper(s, row, [first, new], stored, code_hash, staff, "matched")
            first.status = new.status = "mismatch"
            s.flush()
            context.audit(
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
        """Settle a mismatch by looking at the paper: this typing is what counts. A third
        person resolves, not one of the two typists (four eyes).

        Args:
            poll_id: the poll's id (open or closed).
            entry: the sheet as read from the paper (as for ``enter_paper``).
            staff: who resolves (audit log).
            session: the host's SQLAlchemy session to work in (the library only
                flushes); without it the call commits on its own.

        Returns:
            PaperOutcome: the sheet with status ``resolved`` (and its tracker),
            ``conflict`` or ``rejected``.

        Raises:
            InvalidInput: ``input.invalid``, field ``staff`` (empty) or ``code``.
            PollNotFound: ``poll.not_found``.
            PollClosed: ``poll.closed``, the poll is not open or closed.
            PaperEntryConflict: ``poll.paper_entry``, the sheet has no difference to
                resolve (field ``sheet``) or ``staff`` typed it (field ``staff``).
            InvalidState: ``state.invalid``, field ``eligibility``: an e-mail or host poll.
            UnknownCode: ``poll.unknown_code``; CodeTypo: ``poll.code_typo``.
            DatabaseUnavailable: ``db.unavailable``, the database could not be reached
                or stayed locked; nothing was written.
        """

        staff = _staff(staff, "resolves")
        with self.context.p.unit_of_work(session) as s:
            row = self.context.load(s, poll_id, lock=True)
            if row.state not in (OPEN, CLOSED):
                raise PollClosed("the result is final; no more paper ballots", field="poll")
            self._refuse_while_publishing(row)
            entries = _sheet_entries(s, row, entry.sheet)
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
            code_hash = self._paper_code(row, entry)
            stored = self._paper_marks(row, entry)
            resolution = self._paper_entry_row(row, entry, 3, staff, code_hash)
            s.add(resolution)
            s.flush()
            return self._finish_paper(
                s, row, [*entries, resolution], stored, code_hash, staff, "resolved"
            )

    @staticmethod
    def _refuse_while_publishing(row: PollRow) -> None:
        if publication_began(row):
            raise PollClosed("the result is being published; no more paper ballots", field="poll")

    def _paper_code(self, row: PollRow, entry: PaperEntry) -> str | None:
        if row.eligibility == "codes":
            if not entry.code:
                raise InvalidInput("type the code from the envelope", field="code")
            compact = codes_mod.parse_code(entry.code)
            return self.context.p.hasher.code(compact)
        if row.eligibility != "open":
            raise InvalidState("paper ballots need codes or an open poll", field="eligibility")
        return None

    def _paper_marks(self, row: PollRow, entry: PaperEntry) -> Marks:
        return paper_marks(row, self.context.option_positions(row), entry)

    def _finish_paper(
        self,
        s: Session,
        row: PollRow,
        entries: list[PaperEntryRow],
        marks: Marks,
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
                receipt = record_ballot(self.context, s, row, code_hash, "code", marks, "paper")
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
            row.ballots_revision += 1
        for item in entries:
            item.status = final if final in ("conflict", "rejected") else status
            # Who voted stays apart from what was voted: the code hash goes now.
            item.code_hash = None
            item.note = note[:255]
        s.flush()
        self.context.audit(
            s,
            staff,
            "poll.paper_recorded",
            row,
            {"sheet": sheet, "status": final, "staff": [e.staff for e in entries]},
        )
        return PaperOutcome(sheet=sheet, status=final, tracker=tracker, note=note)

    def paper_mismatches(
        self, poll_id: uuid.UUID | str, *, session: Session | None = None
    ) -> list[PaperMismatch]:
        """Sheets whose two typings differed, with who typed and (once done) who resolved.

        Args:
            poll_id: the poll's id (a UUID or its text).
            session: the host's SQLAlchemy session to read in; without it, one of its own.

        Returns:
            list[PaperMismatch]: by sheet, with both typings; ``resolved_by`` is None
            while the difference waits.

        Raises:
            PollNotFound: ``poll.not_found``.
            DatabaseUnavailable: ``db.unavailable``, the database could not be reached
                or stayed locked; nothing was written.
        """

        with self.context.p.unit_of_work(session, readonly=True) as s:
            row = self.context.load(s, poll_id)
            return list_mismatches(s, row)

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
            entered_at=self.context.p.clock.now(),
        )

    def set_paper_envelopes(
        self,
        poll_id: uuid.UUID | str,
        count: int,
        *,
        staff: str,
        session: Session | None = None,
    ) -> None:
        """Record how many paper envelopes were counted by hand (for the reconciliation);
        replaces an earlier count, and the audit log keeps both.

        Args:
            poll_id: the poll's id (a UUID or its text).
            count: the number of envelopes, 0 to 50,000,000.
            staff: who counted (audit log).
            session: the host's SQLAlchemy session to work in (the library only
                flushes); without it the call commits on its own.

        Returns:
            None.

        Raises:
            InvalidInput: ``input.invalid``, field ``count``: negative or not a real count.
            PollNotFound: ``poll.not_found``.
            DatabaseUnavailable: ``db.unavailable``, the database could not be reached
                or stayed locked; nothing was written.
        """

        if count < 0:
            raise InvalidInput("the number of envelopes cannot be negative", field="count")
        if count > MAX_ELIGIBLE:
            raise InvalidInput(
                f"more than {MAX_ELIGIBLE:,} envelopes is not a real count", field="count"
            )
        with self.context.p.unit_of_work(session) as s:
            row = self.context.load(s, poll_id, lock=True)
            before = row.paper_envelopes
            row.paper_envelopes = count
            s.flush()
            self.context.audit(
                s, staff, "poll.paper_envelopes", row, {"before": before, "after": count}
            )


def list_mismatches(s: Session, row: PollRow) -> list[PaperMismatch]:
    """Sheets whose two typings differed, by sheet, with the resolver once resolved."""

    entries = s.execute(
        select(PaperEntryRow)
        .where(PaperEntryRow.poll_id == row.id)
        .order_by(PaperEntryRow.sheet, PaperEntryRow.entry)
    ).scalars()
    out: list[PaperMismatch] = []
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
                first=_entry_view(first),
                second=_entry_view(second),
                resolved_by=items[2].staff if len(items) == 3 else None,
            )
        )
    return out


def _staff(staff: str, does: str) -> str:
    name = staff.strip()
    if not name:
        raise InvalidInput(f"name the staff member who {does}", field="staff")
    return name


def _sheet_entries(s: Session, row: PollRow, sheet: str) -> list[PaperEntryRow]:
    """The typings of one sheet so far, in typing order."""

    return list(
        s.execute(
            select(PaperEntryRow)
            .where(PaperEntryRow.poll_id == row.id, PaperEntryRow.sheet == sheet)
            .order_by(PaperEntryRow.entry)
        ).scalars()
    )


def _as_entry(row: PaperEntryRow) -> PaperEntry:
    return PaperEntry(
        sheet=row.sheet,
        marks=list(row.marks),
        points={str(k): int(v) for k, v in row.points},
        unreadable=row.unreadable,
    )


def _entry_view(entry: PaperEntryRow) -> PaperTyping:
    points = {str(k): v for k, v in entry.points} if entry.points else None
    return PaperTyping(marks=list(entry.marks), unreadable=entry.unreadable, points=points)


__all__ = ["PaperBallots", "list_mismatches"]
