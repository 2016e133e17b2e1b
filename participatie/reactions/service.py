"""The reactions module's facade, ``p.reactions``: one class composed of the rooms of the
work (dossiers, intake, assessment, answers, letters, deadlines, nota) over one context.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from participatie.exports.files import Output
from participatie.reactions.answers import Answers
from participatie.reactions.assessment import Assessment
from participatie.reactions.context import SUBJECT, ReactionContext
from participatie.reactions.dispatch import Letters
from participatie.reactions.documents import Documents
from participatie.reactions.dossiers import Dossiers
from participatie.reactions.intake import Intake
from participatie.reactions.nota import Reporting
from participatie.reactions.overdue import Deadlines
from participatie.reactions.privacy import ContactDetails
from participatie.reactions.review import Review
from participatie.reactions.schemas import ArchiveManifest

if TYPE_CHECKING:
    from participatie.engine import Participatie


class Reactions(
    Dossiers,
    Documents,
    Intake,
    Assessment,
    Answers,
    Letters,
    Deadlines,
    Reporting,
    ContactDetails,
    Review,
):
    """The facade's ``reactions`` attribute."""

    def __init__(self, p: Participatie) -> None:
        super().__init__(ReactionContext(p))
        self.calendar = self._ctx.calendar
        from participatie.reactions import jobs

        jobs.register(p)

    def local_date(self, moment: datetime) -> date:
        """The calendar date of a moment in the municipality's time zone (``Settings.zone``).

        Args:
            moment: a timezone-aware datetime.

        Returns:
            date: the local date.

        Raises:
            Nothing of its own.
        """

        return self._ctx.local_date(moment)

    def today(self) -> date:
        """Today in the municipality's time zone, by the facade's clock.

        Args:
            None.

        Returns:
            date: the local date now.

        Raises:
            Nothing of its own.
        """

        return self._ctx.today()

    # The archive reads the dossier through every room of the facade, so it sits here.
    def write_archive(
        self,
        dossier_id: uuid.UUID,
        out: Output,
        *,
        actor: str,
        session: Session | None = None,
    ) -> ArchiveManifest:
        """Write the dossier as an archive package: JSON, the generated documents, the
        audit events and a SHA-256 manifest; then audit the archiving.

        The files: ``dossier.json`` (reactions, themes, points, answers with their
        history, dispatches, stats per round), each stored document (checked against its
        SHA-256 from the upload), the nota per round as HTML and CSV, ``audit.jsonl``
        (streamed), ``SHA256SUMS`` and ``manifest.json``. A folder gets the files; a
        binary file gets one ZIP archive of the same files, streamed.

        Args:
            dossier_id: the dossier's id.
            out: a folder path (made when missing; an existing one must be empty) or a
                binary file for one ZIP archive (written to and flushed, not closed).
            actor: who does it (audit log).
            session: the host's SQLAlchemy session to work in (the library only
                flushes); without it the call commits on its own.

        Returns:
            ArchiveManifest: the dossier, the time, the files with their SHA-256 and the
            folder (``""`` for a ZIP archive written to a file object).

        Raises:
            DossierNotFound: ``dossier.not_found``, field ``dossier_id``.
            InvalidInput: ``input.invalid``, field ``out``: the folder is not empty, or
                ``out`` is neither a path nor a binary file.
            DocumentMissing: ``document.missing``, a stored document is gone or differs
                from what was uploaded.
            StorageUnavailable: ``storage.unavailable``.
            OSError: the folder could not be written.
            DatabaseUnavailable: ``db.unavailable``, the database could not be reached
                or stayed locked; nothing was written.
        """

        from participatie.reactions import archive

        return archive.export(self, self._ctx, dossier_id, out, actor=actor, session=session)


__all__ = ["SUBJECT", "Reactions"]
