"""Publication of the answers: what is still unanswered, and the feedback to every
submitter (Awb art. 3:44) by e-mail through the outbox or by letter, never twice.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from participatie.reactions.dispatch import pending_letter, recipients, send_email
from participatie.reactions.models import (
    AnswerRow,
    DispatchRow,
    DossierRow,
    PointRow,
    ReactionRow,
    SubmitterRow,
    ThemeRow,
)
from participatie.reactions.outputs import outcome_label, postal
from participatie.reactions.schemas import PublishResult

if TYPE_CHECKING:
    from participatie.reactions.context import ReactionContext

BATCH = 200


def unanswered(s: Session, dossier: DossierRow) -> list[str]:
    """What stands in the way of publishing the current round, one line per problem."""

    problems: list[str] = []
    reactions = s.execute(
        select(ReactionRow.id, ReactionRow.number, ReactionRow.admissible)
        .where(ReactionRow.dossier_id == dossier.id, ReactionRow.round == dossier.round)
        .order_by(ReactionRow.number)
    ).all()
    theme_answers = set(
        s.execute(
            select(AnswerRow.theme_id).where(
                AnswerRow.dossier_id == dossier.id, AnswerRow.theme_id.is_not(None)
            )
        ).scalars()
    )
    point_answers = set(
        s.execute(
            select(AnswerRow.point_id).where(
                AnswerRow.dossier_id == dossier.id, AnswerRow.point_id.is_not(None)
            )
        ).scalars()
    )
    points: dict[uuid.UUID, list[tuple[uuid.UUID, uuid.UUID | None, int]]] = {}
    for point_id, reaction_id, theme_id, position in s.execute(
        select(PointRow.id, PointRow.reaction_id, PointRow.theme_id, PointRow.position).where(
            PointRow.dossier_id == dossier.id
        )
    ).all():
        points.setdefault(reaction_id, []).append((point_id, theme_id, position))
    for reaction_id, number, admissible in reactions:
        if admissible is None:
            problems.append(f"reaction {number}: admissibility not decided")
            continue
        if admissible is False:
            continue
        mine = points.get(reaction_id, [])
        if not mine:
            problems.append(f"reaction {number}: not split into points")
            continue
        for point_id, theme_id, position in sorted(mine, key=lambda p: p[2]):
            if point_id in point_answers or (theme_id is not None and theme_id in theme_answers):
                continue
            problems.append(f"reaction {number} point {position}: no answer")
    return problems


class AnswerBook:
    """Answers of a dossier by theme and by point, to find each point's outcome."""

    def __init__(self, s: Session, dossier_id: uuid.UUID) -> None:
        self.by_theme: dict[uuid.UUID, AnswerRow] = {}
        self.by_point: dict[uuid.UUID, AnswerRow] = {}
        for row in s.execute(select(AnswerRow).where(AnswerRow.dossier_id == dossier_id)).scalars():
            if row.theme_id is not None:
                self.by_theme[row.theme_id] = row
            elif row.point_id is not None:
                self.by_point[row.point_id] = row
        self.themes = {
            t.id: t
            for t in s.execute(select(ThemeRow).where(ThemeRow.dossier_id == dossier_id)).scalars()
        }

    def answer_for(self, point: PointRow) -> AnswerRow | None:
        # A point's own answer overrides the answer to its theme.
        if point.id in self.by_point:
            return self.by_point[point.id]
        if point.theme_id is not None:
            return self.by_theme.get(point.theme_id)
        return None


def items_for(book: AnswerBook, points: list[PointRow], locale: str) -> list[dict[str, Any]]:
    items = []
    for point in sorted(points, key=lambda p: p.position):
        answer = book.answer_for(point)
        if answer is None:
            continue
        theme = book.themes.get(point.theme_id) if point.theme_id else None
        items.append(
            {
                "position": point.position,
                "point": point.text,
                "theme": theme.title if theme else None,
                "outcome": answer.outcome,
                "outcome_label": outcome_label(answer.outcome, locale),
                "motivation": answer.motivation,
                "changes_plan": answer.changes_plan,
                "change_reference": answer.change_reference,
            }
        )
    return items


def feedback_context(
    ctx: ReactionContext,
    dossier: DossierRow,
    reaction: ReactionRow,
    book: AnswerBook,
    points: list[PointRow],
    locale: str,
) -> dict[str, Any]:
    return {
        "dossier_title": dossier.title,
        "number": reaction.number,
        "received_on": ctx.local_date(reaction.received_at),
        "admissible": reaction.admissible is not False,
        "admissibility_reason": reaction.admissibility_reason,
        "items": items_for(book, points, locale),
        "official": dossier.responsible_official,
        "dossier_url": ctx.p.url("dossier", dossier=dossier.id),
    }


def by_publication(ctx: ReactionContext, s: Session, dossier: DossierRow) -> bool:
    """Whether postal-only submitters of the current round are told by publication
    instead of a letter (Awb art. 3:44 lid 2, with ``above_threshold="email_only"``)."""

    settings = ctx.settings
    limit = settings.max_recipients_per_reaction
    # The mass rule looks at how many people would be written to.
    total = 0
    per_reaction: dict[uuid.UUID, int] = {}
    for reaction_id, email, postcode in s.execute(
        select(SubmitterRow.reaction_id, SubmitterRow.email, SubmitterRow.postcode)
        .join(ReactionRow, ReactionRow.id == SubmitterRow.reaction_id)
        .where(ReactionRow.dossier_id == dossier.id, ReactionRow.round == dossier.round)
    ).all():
        if (email or postcode) and per_reaction.get(reaction_id, 0) < limit:
            per_reaction[reaction_id] = per_reaction.get(reaction_id, 0) + 1
            total += 1
    return total > settings.mass_threshold and settings.above_threshold == "email_only"


def send(ctx: ReactionContext, s: Session, dossier: DossierRow, answers: int) -> PublishResult:
    round_no = dossier.round
    ids = list(
        s.execute(
            select(ReactionRow.id)
            .where(ReactionRow.dossier_id == dossier.id, ReactionRow.round == round_no)
            .order_by(ReactionRow.number)
        ).scalars()
    )
    publication = by_publication(ctx, s, dossier)
    book = AnswerBook(s, dossier.id)
    prefix = f"reactions:feedback:{round_no}:"
    known = {
        key
        for key in s.execute(
            select(DispatchRow.dedupe_key).where(
                DispatchRow.dossier_id == dossier.id, DispatchRow.kind == "feedback"
            )
        ).scalars()
        if key.startswith(prefix)
    }
    now = ctx.now()
    emails = letters = published = unreachable = 0
    for start in range(0, len(ids), BATCH):
        chunk = ids[start : start + BATCH]
        reactions = list(
            s.execute(
                select(ReactionRow).where(ReactionRow.id.in_(chunk)).order_by(ReactionRow.number)
            ).scalars()
        )
        subs: dict[uuid.UUID, list[SubmitterRow]] = {}
        for sub in s.execute(
            select(SubmitterRow).where(SubmitterRow.reaction_id.in_(chunk))
        ).scalars():
            subs.setdefault(sub.reaction_id, []).append(sub)
        pts: dict[uuid.UUID, list[PointRow]] = {}
        for point in s.execute(select(PointRow).where(PointRow.reaction_id.in_(chunk))).scalars():
            pts.setdefault(point.reaction_id, []).append(point)
        for reaction in reactions:
            chosen = recipients(ctx, subs.get(reaction.id, []))
            reached = False
            waiting = False
            for sub in chosen:
                key = f"reactions:feedback:{round_no}:{sub.id}"
                if sub.email:
                    context = feedback_context(
                        ctx, dossier, reaction, book, pts.get(reaction.id, []), sub.locale
                    )
                    if send_email(
                        ctx,
                        s,
                        dossier,
                        reaction,
                        sub,
                        "feedback",
                        "reactions_feedback",
                        context,
                        key,
                        known,
                    ):
                        emails += 1
                    reached = True
                elif postal(sub):
                    channel = "publication" if publication else "letter"
                    if pending_letter(
                        ctx,
                        s,
                        dossier,
                        reaction,
                        sub,
                        "feedback",
                        key,
                        {"round": round_no},
                        channel=channel,
                    ):
                        if publication:
                            published += 1
                        else:
                            letters += 1
                    if publication:
                        reached = True
                    else:
                        waiting = True
            if not chosen or not (reached or waiting):
                unreachable += 1
            # Answered once the answer is on its way; a letter still to print answers
            # the reaction when it is generated.
            if reached or not waiting:
                reaction.answered_at = now
        s.flush()
    return PublishResult(
        answers=answers,
        reactions=len(ids),
        emails=emails,
        letters_due=letters,
        by_publication=published,
        not_reachable=unreachable,
    )
