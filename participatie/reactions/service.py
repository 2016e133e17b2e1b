"""The reactions module's facade, ``p.reactions``: one class composed of the rooms of the
work (dossiers, intake, assessment, answers, letters, deadlines, nota) over one context.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from participatie.reactions.answers import Answers
from participatie.reactions.assessment import Assessment
from participatie.reactions.context import SUBJECT, ReactionContext
from participatie.reactions.dispatch import Letters
from participatie.reactions.dossiers import Dossiers
from participatie.reactions.intake import Intake
from participatie.reactions.nota import Reporting
from participatie.reactions.overdue import Deadlines
from participatie.reactions.privacy import ContactDetails
from participatie.reactions.schemas import ArchiveManifest

if TYPE_CHECKING:
    from participatie.engine import Participatie


class Reactions(
    Dossiers, Intake, Assessment, Answers, Letters, Deadlines, Reporting, ContactDetails
):
    """The facade's ``reactions`` attribute."""

    def __init__(self, p: Participatie) -> None:
        super().__init__(ReactionContext(p))
        self.calendar = self._ctx.calendar
        from participatie.reactions import jobs

        jobs.register(p)

    def local_date(self, moment: datetime) -> date:
        return self._ctx.local_date(moment)

    def today(self) -> date:
        return self._ctx.today()

    # The archive reads the dossier through every room of the facade, so it sits here.
    def archive(
        self,
        dossier_id: uuid.UUID,
        out_dir: str | Path,
        *,
        actor: str = "system",
        session: Session | None = None,
    ) -> ArchiveManifest:
        """The dossier as an archive package: JSON, the generated documents, the audit
        events and a SHA-256 manifest."""

        from participatie.reactions import archive

        return archive.export(
            self, self._ctx, dossier_id, Path(out_dir), actor=actor, session=session
        )


__all__ = ["SUBJECT", "Reactions"]
