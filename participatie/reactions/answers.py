"""Answers of the reactions facade: drafts per theme or point, versions, templates, and
publishing a round's answers with feedback to every submitter.
"""

from __future__ import annotations

import re
import string
import uuid

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from participatie.errors import Conflict, InvalidInput, NotFound, StaleUpdate
from participatie.reactions.context import ReactionsPart
from participatie.reactions.errors import (
    AlreadyPublished,
    AnswersIncomplete,
    AnswersNotApproved,
    UnknownOutcome,
)
from participatie.reactions.models import AnswerRow, AnswerTemplateRow, AnswerVersionRow, PointRow
from participatie.reactions.outputs import answer_out
from participatie.reactions.schemas import (
    OUTCOMES,
    Answer,
    AnswerIn,
    AnswerTemplate,
    AnswerVersion,
    PublishResult,
)


def _check_outcome(outcome: str) -> str:
    if outcome not in OUTCOMES:
        raise UnknownOutcome(
            f"unknown outcome {outcome!r}: choose one of {', '.join(OUTCOMES)}",
            field="outcome",
        )
    return outcome


def _version(s: Session, row: AnswerRow) -> None:
    s.add(
        AnswerVersionRow(
            answer_id=row.id,
            version=row.version,
            outcome=row.outcome,
            motivation=row.motivation,
            changes_plan=row.changes_plan,
            change_reference=row.change_reference,
            changed_at=row.updated_at,
            changed_by=row.updated_by,
        )
    )
    s.flush()


def _template(s: Session, dossier_id: uuid.UUID, name: str) -> AnswerTemplateRow | None:
    return s.execute(
        select(AnswerTemplateRow).where(
            AnswerTemplateRow.dossier_id == dossier_id, AnswerTemplateRow.name == name
        )
    ).scalar_one_or_none()


#: A placeholder is a name in braces: letters, digits and underscores, not starting
#: with a digit (``{thema}``, ``{besluit_datum}``).
PLACEHOLDER_NAME = re.compile(r"[^\W\d]\w*\Z")


def _parts(text: str) -> list[tuple[str, str | None]]:
    """The template as (literal text, placeholder name or None) pairs; ``{{`` and ``}}``
    are literal braces. Anything in braces but a plain name (``{}``, ``{0}``,
    ``{a.b}``, ``{a[0]}``, ``{a!r}``, ``{a:>9}``) is refused: filling in must only ever
    put a value where its name stands."""

    try:
        parsed = list(string.Formatter().parse(text))
    except ValueError as exc:
        raise InvalidInput(f"template text is malformed: {exc}", field="text") from None
    parts: list[tuple[str, str | None]] = []
    for literal, name, spec, conversion in parsed:
        if name is not None and (not PLACEHOLDER_NAME.match(name) or spec or conversion):
            shown = "{" + name + (f"!{conversion}" if conversion else "")
            shown += (f":{spec}" if spec else "") + "}"
            raise InvalidInput(
                f"a placeholder is a name in braces, like {{thema}}; {shown} is not",
                field="text",
            )
        parts.append((literal, name))
    return parts


def _placeholders(text: str) -> list[str]:
    return list(dict.fromkeys(name for _, name in _parts(text) if name))


def _listed_placeholders(text: str) -> list[str]:
    """The placeholders of a stored template; none for one saved before the rules."""

    try:
        return _placeholders(text)
    except InvalidInput:
        return []


class Answers(ReactionsPart):
    """The municipality's answers, from draft to published."""

    def draft_answer(
        self,
        dossier_id: uuid.UUID,
        data: AnswerIn,
        *,
        actor: str,
        session: Session | None = None,
    ) -> Answer:
        """A new answer to a theme or to one point of the current round (a draft until
        reviewed and published); its first version is kept.

        Args:
            dossier_id: the dossier's id.
            data: the theme code or the point's id (one of the two), the outcome
                (``honoured``, ``partially_honoured``, ``not_honoured``, ``noted``,
                ``out_of_scope``), the motivation, and whether and where it changes the
                plan.
            actor: who writes it (audit log; the four-eyes rule compares it).
            session: the host's SQLAlchemy session to work in (the library only
                flushes); without it the call commits on its own.

        Returns:
            Answer: the draft, version 1.

        Raises:
            UnknownOutcome: ``reaction.unknown_outcome``, field ``outcome``.
            DossierNotFound: ``dossier.not_found``, field ``dossier_id``.
            AlreadyPublished: ``reaction.already_published``: the round's answers are
                published (field ``dossier_id``) or the point is of an earlier round
                (field ``point_id``).
            UnknownTheme: ``reaction.unknown_theme``, field ``theme``: none, or of
                another round.
            NotFound: ``not_found``, field ``point_id``: no such point in this dossier.
            ReactionNotFound: ``reaction.not_found``, the point's reaction is gone.
            Conflict: ``conflict``, the theme or point has an answer already (update it).
            DatabaseUnavailable: ``db.unavailable``, the database could not be reached
                or stayed locked; nothing was written.
        """

        outcome = _check_outcome(data.outcome)
        with self._ctx.p.unit_of_work(session) as s:
            dossier = self._ctx.dossier(s, dossier_id)
            if self._ctx.round(dossier).published_at is not None:
                raise AlreadyPublished(
                    f"the answers of round {dossier.round} are published", field="dossier_id"
                )
            theme_id = point_id = None
            if data.theme is not None:
                theme_id = self._ctx.theme(s, dossier.id, data.theme, dossier.round).id
                target = AnswerRow.theme_id == theme_id
            else:
                point = s.get(PointRow, data.point_id)
                if point is None or point.dossier_id != dossier.id:
                    raise NotFound(f"no point {data.point_id} in this dossier", field="point_id")
                if self._ctx.reaction(s, point.reaction_id).round != dossier.round:
                    raise AlreadyPublished(
                        "this point belongs to an earlier round", field="point_id"
                    )
                point_id = point.id
                target = AnswerRow.point_id == point_id
            if s.execute(select(AnswerRow.id).where(target)).first():
                raise Conflict(
                    "this has an answer already: update it",
                    field="theme" if theme_id else "point_id",
                )
            now = self._ctx.now()
            row = AnswerRow(
                dossier_id=dossier.id,
                theme_id=theme_id,
                point_id=point_id,
                outcome=outcome,
                motivation=data.motivation,
                changes_plan=data.changes_plan,
                change_reference=data.change_reference,
                status="draft",
                updated_at=now,
                updated_by=actor,
            )
            s.add(row)
            try:
                s.flush()
            except IntegrityError:
                raise Conflict("this has an answer already: update it", field="theme") from None
            _version(s, row)
            self._ctx.audit(
                s,
                actor,
                "reactions.answer_drafted",
                dossier.id,
                answer=row.id,
                theme=data.theme,
                point=point_id,
                outcome=outcome,
                changes_plan=data.changes_plan,
            )
            return answer_out(s, row)

    def update_answer(
        self,
        answer_id: uuid.UUID,
        data: AnswerIn,
        *,
        expected_version: int,
        actor: str,
        session: Session | None = None,
    ) -> Answer:
        """Change an answer that is not published; a new version is kept and the answer goes
        back to draft (an approval was of the old text). ``expected_version`` is the
        version the editor read: when someone saved in between, ``StaleUpdate`` and
        nothing is overwritten (optimistic locking).

        Args:
            answer_id: the answer's id.
            data: the outcome, motivation and plan change (its ``theme``/``point_id`` are
                not changed).
            expected_version: the version the editor started from.
            actor: who edits (audit log).
            session: the host's SQLAlchemy session to work in (the library only
                flushes); without it the call commits on its own.

        Returns:
            Answer: the answer with its new version, in draft.

        Raises:
            UnknownOutcome: ``reaction.unknown_outcome``, field ``outcome``.
            NotFound: ``not_found``, field ``answer_id``.
            StaleUpdate: ``conflict.stale``, field ``expected_version``: changed since
                (``details["current_version"]`` when known).
            AlreadyPublished: ``reaction.already_published``, a published answer is final.
            DatabaseUnavailable: ``db.unavailable``, the database could not be reached
                or stayed locked; nothing was written.
        """

        outcome = _check_outcome(data.outcome)
        with self._ctx.p.unit_of_work(session) as s:
            row = s.get(AnswerRow, answer_id)
            if row is None:
                raise NotFound(f"no answer {answer_id}", field="answer_id")
            if row.version != expected_version:
                raise StaleUpdate(
                    f"the answer was changed by {row.updated_by} (version {row.version}) "
                    f"since you read version {expected_version}",
                    field="expected_version",
                    current_version=row.version,
                )
            if row.status == "published":
                raise AlreadyPublished("a published answer is final", field="answer_id")
            before = {"outcome": row.outcome, "changes_plan": row.changes_plan}
            row.outcome = outcome
            row.motivation = data.motivation
            row.changes_plan = data.changes_plan
            row.change_reference = data.change_reference
            row.updated_at = self._ctx.now()
            row.updated_by = actor
            # A changed text needs a new review: an approval was of the old version.
            row.status = "draft"
            row.ready_by = row.ready_at = row.approved_by = row.approved_at = None
            try:
                s.flush()
            except StaleDataError:
                # A concurrent writer committed between our read and our UPDATE.
                raise StaleUpdate(
                    "the answer was changed by someone else meanwhile",
                    field="expected_version",
                ) from None
            _version(s, row)
            self._ctx.audit(
                s,
                actor,
                "reactions.answer_updated",
                row.dossier_id,
                answer=row.id,
                version=row.version,
                before=before,
                after={"outcome": outcome, "changes_plan": data.changes_plan},
            )
            return answer_out(s, row)

    def get_answer(self, answer_id: uuid.UUID, *, session: Session | None = None) -> Answer:
        """One answer with its review state.

        Args:
            answer_id: the answer's id.
            session: the host's SQLAlchemy session to read in; without it, one of its own.

        Returns:
            Answer: target, outcome, motivation, version and status (``draft``,
            ``ready``, ``approved``, ``published``).

        Raises:
            NotFound: ``not_found``, field ``answer_id``.
            DatabaseUnavailable: ``db.unavailable``, the database could not be reached
                or stayed locked; nothing was written.
        """

        with self._ctx.p.unit_of_work(session, readonly=True) as s:
            row = s.get(AnswerRow, answer_id)
            if row is None:
                raise NotFound(f"no answer {answer_id}", field="answer_id")
            return answer_out(s, row)

    def answers(self, dossier_id: uuid.UUID, *, session: Session | None = None) -> list[Answer]:
        """Every answer of the dossier, all rounds.

        Args:
            dossier_id: the dossier's id; an unknown one has none.
            session: the host's SQLAlchemy session to read in; without it, one of its own.

        Returns:
            list[Answer]: ordered by id (not by theme or time).

        Raises:
            DatabaseUnavailable: ``db.unavailable``, the database could not be reached
                or stayed locked; nothing was written.
        """

        with self._ctx.p.unit_of_work(session, readonly=True) as s:
            rows = s.execute(
                select(AnswerRow).where(AnswerRow.dossier_id == dossier_id).order_by(AnswerRow.id)
            ).scalars()
            return [answer_out(s, row) for row in rows]

    def answer_history(
        self, answer_id: uuid.UUID, *, session: Session | None = None
    ) -> list[AnswerVersion]:
        """Every version of an answer, oldest first.

        Args:
            answer_id: the answer's id; an unknown one has none.
            session: the host's SQLAlchemy session to read in; without it, one of its own.

        Returns:
            list[AnswerVersion]: outcome, motivation, plan change, and who changed it when.

        Raises:
            DatabaseUnavailable: ``db.unavailable``, the database could not be reached
                or stayed locked; nothing was written.
        """

        with self._ctx.p.unit_of_work(session, readonly=True) as s:
            rows = s.execute(
                select(AnswerVersionRow)
                .where(AnswerVersionRow.answer_id == answer_id)
                .order_by(AnswerVersionRow.version)
            ).scalars()
            return [
                AnswerVersion(
                    version=r.version,
                    outcome=r.outcome,
                    motivation=r.motivation,
                    changes_plan=r.changes_plan,
                    change_reference=r.change_reference,
                    changed_at=r.changed_at,
                    changed_by=r.changed_by,
                )
                for r in rows
            ]

    def save_answer_template(
        self,
        dossier_id: uuid.UUID,
        name: str,
        text: str,
        *,
        actor: str,
        session: Session | None = None,
    ) -> AnswerTemplate:
        """A reusable answer with ``{placeholders}`` (``{thema}``, ``{besluit}``, ...);
        saving under an existing name replaces its text.

        Args:
            dossier_id: the dossier's id.
            name: the template's name (required; spaces around it dropped).
            text: the text with ``{name}`` placeholders (Python format syntax).
            actor: who does it (audit log).
            session: the host's SQLAlchemy session to work in (the library only
                flushes); without it the call commits on its own.

        Returns:
            AnswerTemplate: name, text and the placeholders found.

        Raises:
            InvalidInput: ``input.invalid``, field ``name`` (empty) or ``text`` (an
                unclosed brace, or braces around anything but a plain name:
                ``{}``, ``{0}``, ``{a.b}``, ``{a!r}``, ``{a:>9}``).
            DossierNotFound: ``dossier.not_found``, field ``dossier_id``.
            DatabaseUnavailable: ``db.unavailable``, the database could not be reached
                or stayed locked; nothing was written.
        """

        name = name.strip()
        if not name:
            raise InvalidInput("a template needs a name", field="name")
        placeholders = _placeholders(text)
        with self._ctx.p.unit_of_work(session) as s:
            dossier = self._ctx.dossier(s, dossier_id)
            row = _template(s, dossier.id, name)
            if row is None:
                row = AnswerTemplateRow(dossier_id=dossier.id, name=name, text=text)
                s.add(row)
            else:
                row.text = text
            s.flush()
            self._ctx.audit(s, actor, "reactions.template_saved", dossier.id, name=name)
            return AnswerTemplate(name=name, text=text, placeholders=placeholders)

    def answer_templates(
        self, dossier_id: uuid.UUID, *, session: Session | None = None
    ) -> list[AnswerTemplate]:
        """The dossier's answer templates by name.

        Args:
            dossier_id: the dossier's id; an unknown one has none.
            session: the host's SQLAlchemy session to read in; without it, one of its own.

        Returns:
            list[AnswerTemplate]: name, text and placeholders of each.

        Raises:
            DatabaseUnavailable: ``db.unavailable``, the database could not be reached
                or stayed locked; nothing was written.
        """

        with self._ctx.p.unit_of_work(session, readonly=True) as s:
            rows = s.execute(
                select(AnswerTemplateRow)
                .where(AnswerTemplateRow.dossier_id == dossier_id)
                .order_by(AnswerTemplateRow.name)
            ).scalars()
            return [
                AnswerTemplate(name=r.name, text=r.text, placeholders=_listed_placeholders(r.text))
                for r in rows
            ]

    def fill_answer_template(
        self,
        dossier_id: uuid.UUID,
        name: str,
        values: dict[str, str],
        *,
        session: Session | None = None,
    ) -> str:
        """A template's text with its placeholders filled in.

        Args:
            dossier_id: the dossier's id.
            name: the template's name.
            values: a value for every placeholder (extra ones are ignored).
            session: the host's SQLAlchemy session to read in; without it, one of its own.

        Returns:
            str: the filled-in text.

        Raises:
            NotFound: ``not_found``, field ``name``: no such template in this dossier.
            InvalidInput: ``input.invalid``, field ``values.<placeholder>``: a value is
                missing; field ``text``: the stored text has braces around anything but
                a plain name (saved before that was refused).
            DatabaseUnavailable: ``db.unavailable``, the database could not be reached
                or stayed locked; nothing was written.
        """

        with self._ctx.p.unit_of_work(session, readonly=True) as s:
            row = _template(s, dossier_id, name)
            if row is None:
                raise NotFound(f"no answer template {name!r}", field="name")
            parts = _parts(row.text)
            missing = list(dict.fromkeys(n for _, n in parts if n and n not in values))
            if missing:
                raise InvalidInput(f"fill in {', '.join(missing)}", field=f"values.{missing[0]}")
            return "".join(literal + (str(values[name]) if name else "") for literal, name in parts)

    def publish_answers(
        self,
        dossier_id: uuid.UUID,
        *,
        actor: str,
        four_eyes: bool | None = None,
        session: Session | None = None,
    ) -> PublishResult:
        """Publish every answer of the current round at once and tell every submitter the
        outcome per point (e-mail through the outbox, letters for postal addresses).

        Every reaction of the round must be decided admissible or not, split into points,
        and each point answered (by its own answer or its theme's). Per reaction the first
        ``max_recipients_per_reaction`` signatories are written to (Awb art. 3:44 lid 1
        sub b); above ``mass_threshold`` recipients postal-only submitters may be told by
        publication (lid 2, ``above_threshold="email_only"``).

        Args:
            dossier_id: the dossier's id.
            actor: who publishes (audit log).
            four_eyes: every answer must have been approved by a second person
                (``approve_answers``); default the setting ``reactions.four_eyes`` (the
                back office always asks it).
            session: the host's SQLAlchemy session to work in (the library only
                flushes); without it the call commits on its own.

        Returns:
            PublishResult: answers published, reactions, e-mails queued, letters due,
            told by publication, and reactions no one could be told about.

        Raises:
            DossierNotFound: ``dossier.not_found``, field ``dossier_id``.
            AlreadyPublished: ``reaction.already_published``, this round is published.
            AnswersIncomplete: ``reaction.answers_incomplete``, something is not assessed
                (the message names up to ten; ``details["problems"]`` counts them).
            AnswersNotApproved: ``reaction.answers_not_approved`` (four eyes), nothing is
                published (``details["waiting"]``).
            DatabaseUnavailable: ``db.unavailable``, the database could not be reached
                or stayed locked; nothing was written.
        """

        from participatie.reactions import feedback

        with self._ctx.p.unit_of_work(session) as s:
            dossier = self._ctx.dossier(s, dossier_id, lock=True)
            current = self._ctx.round(dossier)
            if current.published_at is not None:
                raise AlreadyPublished(
                    f"the answers of round {current.number} are published already",
                    field="dossier_id",
                )
            problems = feedback.unanswered(s, dossier)
            if problems:
                raise AnswersIncomplete(
                    "not every reaction is assessed: "
                    + "; ".join(problems[:10])
                    + (f" (and {len(problems) - 10} more)" if len(problems) > 10 else ""),
                    field="dossier_id",
                    problems=len(problems),
                )
            now = self._ctx.now()
            answers = list(
                s.execute(
                    select(AnswerRow).where(
                        AnswerRow.dossier_id == dossier.id, AnswerRow.status != "published"
                    )
                ).scalars()
            )
            if self._ctx.settings.four_eyes if four_eyes is None else four_eyes:
                waiting = [a for a in answers if a.status != "approved"]
                if waiting:
                    raise AnswersNotApproved(
                        f"{len(waiting)} answer(s) not approved by a second person",
                        field="dossier_id",
                        waiting=len(waiting),
                    )
            for answer in answers:
                answer.status = "published"
            current.published_at = now
            self._ctx.touch(dossier)
            s.flush()
            result = feedback.send(self._ctx, s, dossier, len(answers))
            self._ctx.audit(
                s,
                actor,
                "reactions.answers_published",
                dossier.id,
                round=current.number,
                **result.model_dump(),
            )
            return result
