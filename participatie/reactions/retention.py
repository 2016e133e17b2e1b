"""Retention in the reactions module: removing submitters' contact details, and the
personal data in the texts they wrote, once a dossier's retention period has passed.

The reactions, answers and counts stay as the record, without the people in them.
"""

from __future__ import annotations

import re
import uuid
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import Table, select, update
from sqlalchemy.orm import Session

from participatie.reactions.models import (
    AnswerRow,
    AnswerVersionRow,
    DossierRow,
    PointRow,
    ReactionRow,
    SubmitterRow,
    ThemeRow,
)
from participatie.reactions.redaction import name_pattern, redact

if TYPE_CHECKING:
    from participatie.outbox import Outbox

#: Outbox messages to submitters are filed under this subject type.
SUBMITTER_SUBJECT = "reactions_submitter"


def remove_contacts(s: Session, dossier: DossierRow, now: datetime, outbox: Outbox) -> int:
    """Clear every submitter's contact details, redact the dossier's texts, erase the mail.

    Texts written by residents or quoting them (reactions, points, theme summaries,
    answers and their versions, admissibility reasons) lose e-mail addresses, phone
    numbers, street addresses and the names of the submitters and the names a reviewer
    marked, as the public nota does. Returns the number of submitters cleared.
    """

    subs = list(
        s.execute(
            select(SubmitterRow).where(
                SubmitterRow.dossier_id == dossier.id, SubmitterRow.removed_at.is_(None)
            )
        ).scalars()
    )
    names = [*(dossier.redact_names or []), *(sub.name or "" for sub in subs)]
    _redact_texts(s, dossier.id, name_pattern(names))
    erased: list[uuid.UUID] = []
    for sub in subs:
        erased.append(sub.id)
        sub.name = sub.email = sub.street = sub.house_number = None
        sub.postcode = sub.city = sub.phone = None
        sub.removed_at = now
    # The texts no longer hold these names, so the list has served its purpose.
    dossier.redact_names = []
    dossier.contacts_removed_at = now
    s.flush()
    # The mails sent to them carry the same addresses and names.
    outbox.erase(s, subject_type=SUBMITTER_SUBJECT, subject_ids=erased)
    return len(subs)


def _redact_texts(s: Session, dossier_id: uuid.UUID, names: re.Pattern[str] | None) -> None:
    # Core statements: an answer's text changing here is no new version of the answer.
    for model, attributes, where in (
        (ReactionRow, ("text", "admissibility_reason"), ReactionRow.dossier_id == dossier_id),
        (PointRow, ("text",), PointRow.dossier_id == dossier_id),
        (ThemeRow, ("summary",), ThemeRow.dossier_id == dossier_id),
        (AnswerRow, ("motivation", "change_reference"), AnswerRow.dossier_id == dossier_id),
        (
            AnswerVersionRow,
            ("motivation", "change_reference"),
            AnswerVersionRow.answer_id.in_(
                select(AnswerRow.id).where(AnswerRow.dossier_id == dossier_id)
            ),
        ),
    ):
        table: Table = model.__table__  # type: ignore[assignment]
        columns = [table.c[a] for a in attributes]
        for row in s.execute(select(table.c.id, *columns).where(where)).all():
            changes = {}
            for attribute, value in zip(attributes, row[1:], strict=True):
                if value:
                    cleaned = redact(value, names)
                    if cleaned != value:
                        changes[attribute] = cleaned
            if changes:
                s.execute(update(table).where(table.c.id == row.id).values(**changes))
