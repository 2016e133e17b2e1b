"""Voting codes and the letters that carry them: issue once with the letters' file,
revoke the code of a lost letter, and reissue it under a new letter number.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from participatie.errors import InvalidInput, InvalidState, NotFound
from participatie.exports import write_excel_csv
from participatie.exports.files import Output
from participatie.identity import normalize_postcode
from participatie.polls import codes as codes_mod
from participatie.polls.context import PollsPart, postcode_allowed
from participatie.polls.errors import CodesAlreadyIssued, NotEligible, PollClosed
from participatie.polls.mixing import NO_VOTE
from participatie.polls.models import DRAFT, OPEN, SCHEDULED, CredentialRow, PollRow
from participatie.polls.schemas import IssuedCode, IssueResult, LetterAddress
from participatie.retention import text_digest


def _voting_address(p: Any, poll_id: uuid.UUID, s: Session) -> str:
    """The poll's short URL as a letter prints it; it opens the voting page."""

    return str(p.short_codes.printed(p.short_codes.code_for("poll.vote", poll_id, session=s)))


class CodeLetters(PollsPart):
    """Codes of code polls: ``issue_codes``, ``revoke_code``, ``reissue_code``."""

    def issue_codes(
        self,
        poll_id: uuid.UUID | str,
        out: Output,
        *,
        count: int | None = None,
        addresses: Sequence[LetterAddress] | None = None,
        actor: str,
        session: Session | None = None,
    ) -> IssueResult:
        """Make the codes and write the letters' CSV (serial, address, code, voting URL).

        The voting URL is the poll's short URL as a letter prints it
        (``meedoen.gemeente.nl/k/K7QF``, without ``https://``): made once per poll, the
        same on every letter and reissue, it opens the poll's voting page.

        The only moment plaintext codes exist; a second issue for the same poll is
        refused. Only each code's keyed hash is stored (an address only as a keyed hash
        per poll). The CSV is for Dutch Excel (UTF-8 with BOM, semicolons, CRLF); when
        writing fails, a file named by path is removed and nothing is stored.

        Args:
            poll_id: the poll's id (a code poll, not yet ended).
            out: a path (a new file with mode 0600, its folder made when missing;
                removed again when issuing fails) or a binary file (written to and
                flushed, not closed).
            count: the number of letters without an address; or give ``addresses``.
            addresses: one letter per address (line and postcode), each inside the
                poll's area; or give ``count``.
            actor: who issues (audit log, with the file's SHA-256).
            session: the host's SQLAlchemy session to work in (the library only
                flushes); without it the call commits on its own.

        Returns:
            IssueResult: the poll's id, the number of codes issued and the file's
            SHA-256.

        Raises:
            InvalidInput: ``input.invalid``, field ``count``: both or neither of
                ``count`` and ``addresses``, or not 1 to
                ``Settings.polls.max_codes_per_issue`` letters; field ``out``: neither a
                path nor a binary file.
            PollNotFound: ``poll.not_found``.
            InvalidState: ``state.invalid``, field ``eligibility``: not a code poll; field
                ``poll``: two random codes collided (issue again; practically never).
            PollClosed: ``poll.closed``, field ``state``: the poll has ended.
            CodesAlreadyIssued: ``poll.codes_already_issued``.
            InvalidPostcode: ``input.postcode``, field ``addresses[i].postcode``.
            NotEligible: ``poll.not_eligible``, an address outside the poll's area.
            OSError: the file could not be written.
            DatabaseUnavailable: ``db.unavailable``, the database could not be reached
                or stayed locked; nothing was written.
        """

        p = self.context.p
        if (count is None) == (addresses is None):
            raise InvalidInput("give either a number of households or addresses", field="count")
        limit = p.settings.polls.max_codes_per_issue
        total = count if count is not None else len(addresses or [])
        if total < 1 or total > limit:
            raise InvalidInput(f"issue between 1 and {limit} codes", field="count")
        with p.unit_of_work(session) as s:
            row = self.context.load(s, poll_id, lock=True)
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
                    if not postcode_allowed(row, s, pc):
                        raise NotEligible(
                            f"{address.line}, {pc} lies outside the poll's area",
                            field=f"addresses[{index}].postcode",
                        )
                    letters.append((f"{address.line.strip()}, {pc}", pc))
            else:
                letters = [("", "")] * total
            url = _voting_address(p, row.id, s)
            now = p.clock.now()

            def rows() -> Iterator[list[Any]]:
                batch: list[dict[str, Any]] = []
                for serial, (line, _pc) in enumerate(letters, start=1):
                    code = codes_mod.generate_code()
                    address_hash = (
                        p.hasher.hash("poll-address", f"{row.id}:{line}") if line else None
                    )
                    batch.append(self._credential(row, code, serial, address_hash, now))
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
            self.context.audit(
                s, actor, "poll.codes_issued", row, {"count": issued, "sha256": digest}
            )
            return IssueResult(poll_id=row.id, issued=issued, sha256=digest)

    def _credential(
        self,
        row: PollRow,
        code: str,
        serial: int,
        address_hash: str | None,
        now: datetime,
    ) -> dict[str, Any]:
        """The credential row of letter ``serial``: only the code's keyed hash is kept."""

        return {
            "id": uuid.uuid4(),
            "poll_id": row.id,
            "kind": "code",
            "key_hash": self.context.p.hasher.code(code),
            "serial": serial,
            "address_hash": address_hash,
            "status": "active",
            "max_uses": row.ballots_per_code,
            "uses": 0,
            "changes": 0,
            "created_at": now,
            # No vote wrote it: nothing for a mix to hide (``polls.mixing``).
            "mix": NO_VOTE,
        }

    def revoke_code(
        self,
        poll_id: uuid.UUID | str,
        serial: int,
        *,
        actor: str,
        reason: str = "",
        session: Session | None = None,
    ) -> None:
        """Revoke the code of letter ``serial`` (a lost or stolen letter) without a new one;
        the reason is kept only as a digest, as it may name the household.

        Args:
            poll_id: the poll's id (a UUID or its text).
            serial: the letter number printed on the letter.
            actor: who revokes (audit log).
            reason: why (stored as a SHA-256 digest only).
            session: the host's SQLAlchemy session to work in (the library only
                flushes); without it the call commits on its own.

        Returns:
            None.

        Raises:
            PollNotFound: ``poll.not_found``.
            PollClosed: ``poll.closed``, field ``state``: the poll has ended.
            NotFound: ``not_found``, field ``serial``: no letter with this number.
            InvalidState: ``state.invalid``, field ``serial``: revoked already, or the code
                has been used to vote.
            DatabaseUnavailable: ``db.unavailable``, the database could not be reached
                or stayed locked; nothing was written.
        """

        with self.context.p.unit_of_work(session) as s:
            row = self.context.load(s, poll_id)
            cred = self._revoke(s, row, serial)
            self.context.audit(
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
        cred.revoked_at = self.context.p.clock.now()
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
        """Revoke the code of letter ``serial`` and hand out a new one, once, under the next
        free letter number (the old credential records what replaced it).

        Args:
            poll_id: the poll's id (a UUID or its text).
            serial: the letter number of the lost letter.
            actor: who reissues (audit log).
            reason: why (stored as a SHA-256 digest only).
            session: the host's SQLAlchemy session to work in (the library only
                flushes); without it the call commits on its own.

        Returns:
            IssuedCode: the new letter number, the code as printed (``K7QF-M2XW-9PQR``)
            and the voting URL (the poll's short URL as printed, as on the letters); the
            code is not stored and cannot be shown again.

        Raises:
            PollNotFound: ``poll.not_found``.
            PollClosed: ``poll.closed``, field ``state``: the poll has ended.
            NotFound: ``not_found``, field ``serial``: no letter with this number.
            InvalidState: ``state.invalid``, field ``serial``: revoked already, or the code
                has been used to vote.
            DatabaseUnavailable: ``db.unavailable``, the database could not be reached
                or stayed locked; nothing was written.
        """

        p = self.context.p
        with p.unit_of_work(session) as s:
            row = self.context.load(s, poll_id, lock=True)
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
                    **self._credential(row, code, new_serial, old.address_hash, p.clock.now())
                )
            )
            old.replaced_by_serial = new_serial
            s.flush()
            self.context.audit(
                s,
                actor,
                "poll.code_reissued",
                row,
                {"serial": serial, "new_serial": new_serial, "reason_sha256": text_digest(reason)},
            )
            return IssuedCode(
                serial=new_serial,
                code=codes_mod.format_code(code),
                url=_voting_address(p, row.id, s),
            )


__all__ = ["CodeLetters"]
