"""Reading a dossier as a whole on the reactions facade: the statistics for the
participation monitor and the nota van beantwoording (built and written by report.py).
"""

from __future__ import annotations

import uuid
from pathlib import Path

from sqlalchemy.orm import Session

from participatie.reactions.context import ReactionsPart
from participatie.reactions.schemas import Nota, Stats


class Reporting(ReactionsPart):
    """Statistics and the nota of a dossier."""

    def stats(
        self, dossier_id: uuid.UUID, *, round: int | None = None, session: Session | None = None
    ) -> Stats:
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
        """The nota van beantwoording; the public one redacts personal data, the internal
        one adds the annex of submitters."""

        from participatie.reactions import report

        with self._ctx.p.unit_of_work(session, readonly=True) as s:
            dossier = self._ctx.dossier(s, dossier_id)
            return report.build_nota(
                self._ctx, s, dossier, round or dossier.round, internal=internal
            )

    def write_nota(
        self,
        dossier_id: uuid.UUID,
        path: str | Path,
        *,
        format: str = "html",
        internal: bool = False,
        round: int | None = None,
        session: Session | None = None,
    ) -> str:
        """Write the nota as html, csv, xlsx, docx or pdf; returns the file's SHA-256."""

        from participatie.reactions import report

        nota = self.nota(dossier_id, internal=internal, round=round, session=session)
        return report.write(self._ctx.p, nota, Path(path), format)
