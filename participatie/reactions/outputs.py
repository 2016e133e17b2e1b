"""The public shapes of the reactions module made from its rows, shared by every room:
dossiers, reactions, submitters, themes, points and answers.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

from sqlalchemy import select
from sqlalchemy.orm import Session

from participatie.reactions.models import (
    AnswerRow,
    DocumentRow,
    DossierRow,
    PhaseRow,
    PointRow,
    ReactionRow,
    SubmitterRow,
    ThemeRow,
)
from participatie.reactions.schemas import (
    OUTCOME_WORDS_EN,
    OUTCOME_WORDS_NL,
    Answer,
    Document,
    Dossier,
    Phase,
    PhaseIn,
    Point,
    Reaction,
    Round,
    Submitter,
    Theme,
)


def postal(sub: SubmitterRow) -> bool:
    return bool(sub.postcode and sub.house_number)


def phase_row(position: int, data: PhaseIn) -> PhaseRow:
    return PhaseRow(
        position=position,
        name=data.name,
        planned_date=data.planned_date,
        status=data.status,
        delay_reason=data.delay_reason,
        expected_date=data.expected_date if data.status == "delayed" else None,
    )


def phase_out(row: PhaseRow) -> Phase:
    return Phase.model_validate(row, from_attributes=True)


def document_out(row: DocumentRow) -> Document:
    return Document(
        id=row.id,
        title=row.title,
        url=row.url,
        published_on=row.published_on,
        stored=row.storage_key is not None,
        filename=row.filename,
        content_type=row.content_type,
        size=row.size,
        sha256=row.sha256,
    )


def dossier_out(row: DossierRow) -> Dossier:
    current = next(r for r in row.rounds if r.number == row.round)
    return Dossier(
        id=row.id,
        title=row.title,
        summary=row.summary,
        procedure=row.procedure,
        responsible_official=row.responsible_official,
        responsible_email=row.responsible_email,
        areas=sorted(a.area_code for a in row.areas if a.kind != "also"),
        also_areas=sorted(a.area_code for a in row.areas if a.kind == "also"),
        meeting_reports=row.meeting_reports or "",
        reaction_form=row.reaction_form,
        published=row.published,
        status=row.status,
        round=row.round,
        round_label=current.label,
        period_start=current.period_start,
        period_end=current.period_end,
        acknowledgement_days=row.acknowledgement_days,
        answer_days=row.answer_days,
        acknowledgement_day_count=row.acknowledgement_day_count,
        answer_day_count=row.answer_day_count,
        documents=[document_out(d) for d in row.documents],
        phases=[phase_out(ph) for ph in row.phases],
        rounds=[
            Round(
                number=r.number,
                label=r.label,
                period_start=r.period_start,
                period_end=r.period_end,
                published_at=r.published_at,
            )
            for r in row.rounds
        ],
        own_changes=list(row.own_changes or []),
        conclusion=row.conclusion or "",
        redact_names=list(row.redact_names or []),
        created_at=row.created_at,
        updated_at=row.updated_at,
        decided_at=row.decided_at,
        decision_summary=row.decision_summary,
        contacts_removed_at=row.contacts_removed_at,
    )


def reaction_out(row: ReactionRow) -> Reaction:
    # The public type's fields are the row's own columns (personal data lives elsewhere).
    return Reaction.model_validate(row, from_attributes=True)


def submitter_out(row: SubmitterRow, number: int) -> Submitter:
    return Submitter(
        id=row.id,
        reaction_id=row.reaction_id,
        reaction_number=number,
        position=row.position,
        name=row.name,
        email=row.email,
        street=row.street,
        house_number=row.house_number,
        postcode=row.postcode,
        city=row.city,
        phone=row.phone,
        consent=row.consent,
        locale=row.locale,
    )


def submitter_rows(s: Session, dossier_id: uuid.UUID) -> Iterator[tuple[SubmitterRow, int]]:
    query = (
        select(SubmitterRow, ReactionRow.number)
        .join(ReactionRow, ReactionRow.id == SubmitterRow.reaction_id)
        .where(SubmitterRow.dossier_id == dossier_id)
        .order_by(ReactionRow.number, SubmitterRow.position)
        .execution_options(yield_per=500)
    )
    for sub, number in s.execute(query):
        yield sub, int(number)


def theme_out(row: ThemeRow, points: int, reactions: int) -> Theme:
    return Theme(
        id=row.id,
        code=row.code,
        number=row.number,
        title=row.title,
        summary=row.summary,
        round=row.round,
        assessor=row.assessor,
        points=points,
        reactions=reactions,
    )


def point_out(row: PointRow, number: int, theme: str | None) -> Point:
    return Point(
        id=row.id,
        reaction_id=row.reaction_id,
        reaction_number=number,
        position=row.position,
        text=row.text,
        theme=theme,
        assessor=row.assessor,
    )


def outcome_label(outcome: str, locale: str) -> str:
    """The conclusion as a resident reads it (plain words, B1): mails, letters, pages."""

    words = OUTCOME_WORDS_EN if locale == "en" else OUTCOME_WORDS_NL
    return words.get(outcome, outcome)


def answer_out(s: Session, row: AnswerRow) -> Answer:
    code = None
    if row.theme_id is not None:
        theme = s.get(ThemeRow, row.theme_id)
        code = theme.code if theme else None
    return Answer(
        id=row.id,
        theme=code,
        point_id=row.point_id,
        outcome=row.outcome,
        motivation=row.motivation,
        changes_plan=row.changes_plan,
        change_reference=row.change_reference,
        version=row.version,
        status=row.status,
        updated_at=row.updated_at,
        updated_by=row.updated_by,
        ready_by=row.ready_by,
        ready_at=row.ready_at,
        approved_by=row.approved_by,
        approved_at=row.approved_at,
    )
