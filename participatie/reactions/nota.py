"""Reading a dossier as a whole on the reactions facade: the statistics for the
participation monitor and the nota van beantwoording (built and written by report.py).
"""

from __future__ import annotations

import uuid

from sqlalchemy.orm import Session

from participatie.exports.files import Output
from participatie.reactions.context import ReactionsPart
from participatie.reactions.schemas import Nota, Stats


class Reporting(ReactionsPart):
    """Statistics and the nota of a dossier."""

    def stats(
        self, dossier_id: uuid.UUID, *, round: int | None = None, session: Session | None = None
    ) -> Stats:
        """The participation monitor's figures for one round.

        Args:
            dossier_id: the dossier's id.
            round: the round's number; default the current one (an unknown round counts
                nothing).
            session: the host's SQLAlchemy session to read in; without it, one of its own.

        Returns:
            Stats: reactions and signatories, per channel, on time and late, admissible,
            points and themes, per theme and outcome, the shares honoured, plan changes,
            and how many were acknowledged and answered on time.

        Raises:
            DossierNotFound: ``dossier.not_found``, field ``dossier_id``.
            DatabaseUnavailable: ``db.unavailable``, the database could not be reached
                or stayed locked; nothing was written.
        """

        from participatie.reactions import report

        with self._ctx.p.unit_of_work(session, readonly=True) as s:
            dossier = self._ctx.dossier(s, dossier_id)
            return report.stats(self._ctx, s, dossier, round or dossier.round)

    def nota(
        self,
        dossier_id: uuid.UUID,
        *,
        internal: bool = False,
        round: int | None = None,
        session: Session | None = None,
    ) -> Nota:
        """The nota van beantwoording; the public one redacts personal data (e-mail
        addresses, phone numbers, street addresses, the submitters' names and the names
        marked for redaction), the internal one adds the annex of submitters.

        Args:
            dossier_id: the dossier's id.
            internal: the internal version (unredacted, with the annex).
            round: the round's number; default the current one.
            session: the host's SQLAlchemy session to read in; without it, one of its own.

        Returns:
            Nota: the dossier, the round and its period, the figures, the themes with
            their answers and the own changes.

        Raises:
            DossierNotFound: ``dossier.not_found``, field ``dossier_id``.
            NotFound: ``not_found``, field ``round``: no such round.
            DatabaseUnavailable: ``db.unavailable``, the database could not be reached
                or stayed locked; nothing was written.
        """

        from participatie.reactions import report

        with self._ctx.p.unit_of_work(session, readonly=True) as s:
            dossier = self._ctx.dossier(s, dossier_id)
            return report.build_nota(
                self._ctx, s, dossier, round or dossier.round, internal=internal
            )

    def write_nota(
        self,
        dossier_id: uuid.UUID,
        out: Output,
        *,
        fmt: str = "html",
        internal: bool = False,
        round: int | None = None,
        session: Session | None = None,
    ) -> str:
        """Write the nota as html, csv (Excel), xlsx, docx or pdf (PDF/A-2U).

        Args:
            dossier_id: the dossier's id.
            out: a path (a new file with mode 0600, its folder made when missing) or a
                binary file (written to and flushed, not closed).
            fmt: ``html``, ``csv``, ``xlsx``, ``docx`` or ``pdf`` (as ``participatie
                reactions nota --format``).
            internal: the internal version (unredacted, with the annex).
            round: the round's number; default the current one.
            session: the host's SQLAlchemy session to read in; without it, one of its own.

        Returns:
            str: the file's SHA-256 (hex).

        Raises:
            DossierNotFound: ``dossier.not_found``, field ``dossier_id``.
            NotFound: ``not_found``, field ``round``.
            InvalidInput: ``input.invalid``, field ``format``: another ``fmt``; field
                ``out``: neither a path nor a binary file.
            MissingExtra: ``extra.missing``, xlsx, docx or pdf without the ``reports``
                extra.
            OSError: the file could not be written.
            DatabaseUnavailable: ``db.unavailable``, the database could not be reached
                or stayed locked; nothing was written.
        """

        from participatie.reactions import report

        nota = self.nota(dossier_id, internal=internal, round=round, session=session)
        return report.write(self._ctx.p, nota, out, fmt)
