"""Operations of the reactions module: dossiers, intake on every channel, assessment,
answers, publication with feedback to every submitter, deadlines, privacy and archive.
"""

from __future__ import annotations

import hashlib
import json
import string
import uuid
from collections import Counter
from collections.abc import Iterator, Sequence
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic_core import to_jsonable_python
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from participatie.areas import area_for_postcode
from participatie.errors import (
    Conflict,
    InvalidInput,
    InvalidState,
    NotFound,
    StaleUpdate,
)
from participatie.identity import normalize_email, normalize_house_number, normalize_postcode
from participatie.outbox.models import OutboxMessageRow
from participatie.reactions import retention
from participatie.reactions.deadlines import WorkingDays, escalation_level
from participatie.reactions.errors import (
    AlreadyPublished,
    AnswersIncomplete,
    DossierClosed,
    DossierNotFound,
    EmptyReaction,
    ReactionNotFound,
    ThemeExists,
    UnknownOutcome,
    UnknownTheme,
)
from participatie.reactions.models import (
    AnswerRow,
    AnswerTemplateRow,
    AnswerVersionRow,
    DispatchRow,
    DocumentRow,
    DossierAreaRow,
    DossierRow,
    ExtensionRow,
    PhaseRow,
    PointRow,
    ReactionRow,
    RoundRow,
    SubmitterRow,
    ThemeRow,
)
from participatie.reactions.schemas import (
    OUTCOME_LABELS_EN,
    OUTCOME_LABELS_NL,
    OUTCOMES,
    Answer,
    AnswerIn,
    AnswerTemplate,
    AnswerVersion,
    ArchiveManifest,
    Dispatch,
    Document,
    DocumentIn,
    Dossier,
    DossierIn,
    DossierSummary,
    DossierUpdate,
    Extension,
    ImportReport,
    LetterBatch,
    Nota,
    OverdueItem,
    Phase,
    PhaseIn,
    Point,
    PointIn,
    PublishResult,
    Reaction,
    ReactionIn,
    ReceivedReaction,
    Round,
    Stats,
    Submitter,
    SubmitterIn,
    Theme,
    ThemeIn,
)
from participatie.reactions.settings import ReactionSettings
from participatie.retention import text_digest
from participatie.retry import retry_transient
from participatie.urls import require_allowed

if TYPE_CHECKING:
    from participatie.engine import Participatie

#: Every event of the module is filed under its dossier, so one query finds them all.
SUBJECT = "reactions_dossier"


class Reactions:
    """The facade's ``reactions`` attribute."""

    def __init__(self, p: Participatie) -> None:
        self._p = p
        s = p.settings.reactions
        self.calendar = WorkingDays(liberation_day=s.liberation_day, good_friday=s.good_friday)
        from participatie.reactions import jobs

        jobs.register(p)

    # -- helpers ----------------------------------------------------------------------

    @property
    def _settings(self) -> ReactionSettings:
        return self._p.settings.reactions

    def _now(self) -> datetime:
        return self._p.clock.now()

    def local_date(self, moment: datetime) -> date:
        return moment.astimezone(self._p.settings.zone).date()

    def today(self) -> date:
        return self.local_date(self._now())

    def _audit(
        self, s: Session, actor: str, action: str, dossier_id: uuid.UUID, **data: Any
    ) -> None:
        # Audit events are permanent: they never carry personal data, only numbers. The
        # log's JSON encoder knows datetimes but not dates: make everything plain JSON.
        self._p.audit.record(
            s,
            actor=actor,
            action=action,
            subject_type=SUBJECT,
            subject_id=dossier_id,
            data=to_jsonable_python(data),
        )

    def _dossier(self, s: Session, dossier_id: uuid.UUID, *, lock: bool = False) -> DossierRow:
        query = select(DossierRow).where(DossierRow.id == dossier_id)
        if lock:
            query = query.with_for_update()
        row = s.execute(query).scalar_one_or_none()
        if row is None:
            raise DossierNotFound(f"no dossier {dossier_id}", field="dossier_id")
        return row

    def _round(self, dossier: DossierRow, number: int | None = None) -> RoundRow:
        wanted = dossier.round if number is None else number
        for r in dossier.rounds:
            if r.number == wanted:
                return r
        raise NotFound(f"dossier has no round {wanted}", field="round")

    def _reaction(self, s: Session, reaction_id: uuid.UUID) -> ReactionRow:
        row = s.get(ReactionRow, reaction_id)
        if row is None:
            raise ReactionNotFound(f"no reaction {reaction_id}", field="reaction_id")
        return row

    def _theme(
        self, s: Session, dossier_id: uuid.UUID, code: str, round_no: int | None = None
    ) -> ThemeRow:
        row = s.execute(
            select(ThemeRow).where(
                ThemeRow.dossier_id == dossier_id, ThemeRow.code == code.strip().lower()
            )
        ).scalar_one_or_none()
        if row is None:
            raise UnknownTheme(f"no theme {code!r} in this dossier", field="theme")
        # Themes belong to a round: a later round's points get answers of their own.
        if round_no is not None and row.round != round_no:
            raise UnknownTheme(
                f"theme {code!r} belongs to round {row.round}, not round {round_no}",
                field="theme",
            )
        return row

    def _touch(self, dossier: DossierRow) -> None:
        dossier.updated_at = self._now()

    # -- dossiers ---------------------------------------------------------------------

    def create_dossier(
        self, data: DossierIn, *, actor: str = "system", session: Session | None = None
    ) -> Dossier:
        settings = self._settings
        email = normalize_email(data.responsible_email, field="responsible_email").address
        end = data.period_end or data.period_start + timedelta(weeks=settings.period_weeks)
        if end < data.period_start:
            raise InvalidInput("the reaction period ends before it starts", field="period_end")
        now = self._now()
        with self._p.unit_of_work(session) as s:
            codes = []
            for code in data.areas:
                try:
                    codes.append(self._p.areas.get(code, session=s).code)
                except NotFound:
                    raise InvalidInput(f"no wijk {code!r}", field="areas") from None
            row = DossierRow(
                title=data.title,
                summary=data.summary,
                procedure=data.procedure,
                responsible_official=data.responsible_official,
                responsible_email=email,
                status="open",
                round=1,
                acknowledgement_days=(
                    settings.acknowledgement_days
                    if data.acknowledgement_days is None
                    else data.acknowledgement_days
                ),
                answer_days=data.answer_days or settings.answer_days,
                day_count=data.day_count or settings.day_count,
                next_number=1,
                own_changes=[],
                conclusion="",
                redact_names=[],
                created_at=now,
                updated_at=now,
            )
            row.rounds.append(
                RoundRow(
                    number=1, label=data.round_label, period_start=data.period_start, period_end=end
                )
            )
            for n, doc in enumerate(data.documents):
                http = self._p.settings.allow_http_links
                require_allowed(doc.url, allow_http=http, field=f"documents.{n}.url")
                row.documents.append(
                    DocumentRow(title=doc.title, url=doc.url, published_on=doc.published_on)
                )
            for position, phase in enumerate(data.phases, start=1):
                row.phases.append(_phase_row(position, phase))
            for code in codes:
                row.areas.append(DossierAreaRow(area_code=code))
            s.add(row)
            s.flush()
            self._audit(
                s,
                actor,
                "reactions.dossier_created",
                row.id,
                title=row.title,
                period_start=data.period_start,
                period_end=end,
            )
            return _dossier_out(row)

    def update_dossier(
        self,
        dossier_id: uuid.UUID,
        data: DossierUpdate,
        *,
        actor: str = "system",
        session: Session | None = None,
    ) -> Dossier:
        changes = data.model_dump(exclude_none=True)
        if "responsible_email" in changes:
            changes["responsible_email"] = normalize_email(
                changes["responsible_email"], field="responsible_email"
            ).address
        with self._p.unit_of_work(session) as s:
            row = self._dossier(s, dossier_id, lock=True)
            before = {key: getattr(row, key) for key in changes}
            for key, value in changes.items():
                setattr(row, key, value)
            self._touch(row)
            s.flush()
            self._audit(
                s,
                actor,
                "reactions.dossier_updated",
                row.id,
                fields=sorted(changes),
                # Names to redact are personal data: only say that they changed.
                before={k: v for k, v in before.items() if k != "redact_names"},
                after={k: v for k, v in changes.items() if k != "redact_names"},
            )
            return _dossier_out(row)

    def add_document(
        self,
        dossier_id: uuid.UUID,
        data: DocumentIn,
        *,
        actor: str = "system",
        session: Session | None = None,
    ) -> Document:
        require_allowed(data.url, allow_http=self._p.settings.allow_http_links, field="url")
        with self._p.unit_of_work(session) as s:
            row = self._dossier(s, dossier_id, lock=True)
            doc = DocumentRow(title=data.title, url=data.url, published_on=data.published_on)
            row.documents.append(doc)
            self._touch(row)
            s.flush()
            self._audit(s, actor, "reactions.document_added", row.id, title=data.title)
            return Document(id=doc.id, title=doc.title, url=doc.url, published_on=doc.published_on)

    def set_phase(
        self,
        dossier_id: uuid.UUID,
        data: PhaseIn,
        *,
        position: int | None = None,
        actor: str = "system",
        session: Session | None = None,
    ) -> Phase:
        """Add a phase (no ``position``) or replace the one at ``position``; a delayed
        phase carries the reason residents see."""

        with self._p.unit_of_work(session) as s:
            row = self._dossier(s, dossier_id, lock=True)
            if position is None:
                phase = _phase_row(len(row.phases) + 1, data)
                row.phases.append(phase)
                before = None
            else:
                found = [ph for ph in row.phases if ph.position == position]
                if not found:
                    raise NotFound(f"no phase at position {position}", field="position")
                phase = found[0]
                before = {"status": phase.status, "planned_date": phase.planned_date}
                phase.name = data.name
                phase.planned_date = data.planned_date
                phase.status = data.status
                phase.delay_reason = data.delay_reason
            self._touch(row)
            s.flush()
            self._audit(
                s,
                actor,
                "reactions.phase_set",
                row.id,
                position=phase.position,
                name=phase.name,
                before=before,
                after={"status": phase.status, "planned_date": phase.planned_date},
                delay_reason=phase.delay_reason,
            )
            return _phase_out(phase)

    def start_round(
        self,
        dossier_id: uuid.UUID,
        *,
        label: str,
        period_start: date,
        period_end: date | None = None,
        actor: str = "system",
        session: Session | None = None,
    ) -> Dossier:
        """A new round of reactions on the revised proposal; the previous round's answers
        must have been published."""

        if not label.strip():
            raise InvalidInput("a round needs a label", field="label")
        end = period_end or period_start + timedelta(weeks=self._settings.period_weeks)
        if end < period_start:
            raise InvalidInput("the reaction period ends before it starts", field="period_end")
        with self._p.unit_of_work(session) as s:
            row = self._dossier(s, dossier_id, lock=True)
            if row.status != "open":
                raise InvalidState("the dossier is decided", field="dossier_id")
            current = self._round(row)
            if current.published_at is None:
                raise InvalidState(
                    f"publish the answers of round {current.number} first", field="dossier_id"
                )
            row.round += 1
            row.rounds.append(
                RoundRow(
                    number=row.round, label=label.strip(), period_start=period_start, period_end=end
                )
            )
            self._touch(row)
            s.flush()
            self._audit(
                s,
                actor,
                "reactions.round_started",
                row.id,
                round=row.round,
                label=label,
                period_start=period_start,
                period_end=end,
            )
            return _dossier_out(row)

    def record_decision(
        self,
        dossier_id: uuid.UUID,
        *,
        summary: str,
        actor: str = "system",
        session: Session | None = None,
    ) -> Dossier:
        """The formal decision: closes the dossier and starts the retention period."""

        if not summary.strip():
            raise InvalidInput("describe the decision", field="summary")
        with self._p.unit_of_work(session) as s:
            row = self._dossier(s, dossier_id, lock=True)
            if row.status == "decided":
                raise InvalidState("the dossier is decided already", field="dossier_id")
            row.status = "decided"
            row.decided_at = self._now()
            row.decision_summary = summary.strip()
            self._touch(row)
            s.flush()
            self._audit(s, actor, "reactions.decided", row.id, summary=row.decision_summary)
            return _dossier_out(row)

    def get_dossier(self, dossier_id: uuid.UUID, *, session: Session | None = None) -> Dossier:
        with self._p.unit_of_work(session, readonly=True) as s:
            return _dossier_out(self._dossier(s, dossier_id))

    def list_dossiers(self, *, session: Session | None = None) -> list[DossierSummary]:
        with self._p.unit_of_work(session, readonly=True) as s:
            counts = dict(
                s.execute(
                    select(ReactionRow.dossier_id, func.count()).group_by(ReactionRow.dossier_id)
                ).all()
            )
            out = []
            for row in s.execute(select(DossierRow).order_by(DossierRow.created_at)).scalars():
                out.append(
                    DossierSummary(
                        id=row.id,
                        title=row.title,
                        status=row.status,
                        round=row.round,
                        period_end=self._round(row).period_end,
                        reactions=int(counts.get(row.id, 0)),
                        updated_at=row.updated_at,
                    )
                )
            return out

    def find_dossier(self, key: str, *, session: Session | None = None) -> Dossier:
        """By id, or by a title (case-insensitive): for the command line."""

        with self._p.unit_of_work(session, readonly=True) as s:
            try:
                return _dossier_out(self._dossier(s, uuid.UUID(key)))
            except ValueError:
                pass
            rows = list(
                s.execute(
                    select(DossierRow).where(func.lower(DossierRow.title) == key.strip().lower())
                ).scalars()
            )
            if len(rows) != 1:
                raise DossierNotFound(
                    f"no dossier {key!r}" if not rows else f"{len(rows)} dossiers named {key!r}",
                    field="dossier",
                )
            return _dossier_out(rows[0])

    # -- intake -----------------------------------------------------------------------

    @retry_transient
    def submit(
        self,
        dossier_id: uuid.UUID,
        data: ReactionIn,
        *,
        actor: str = "resident",
        session: Session | None = None,
    ) -> ReceivedReaction:
        """A reaction through the web form: refused once the reaction period is over."""

        if data.channel != "web":
            raise InvalidInput("the web form only takes channel 'web'", field="channel")
        if data.received_at is not None:
            raise InvalidInput("the web form does not set a received date", field="received_at")
        if not data.submitters:
            raise InvalidInput("say who you are: a name and e-mail address", field="submitters")
        with self._p.unit_of_work(session) as s:
            return self._intake(s, dossier_id, data, actor=actor, web=True)

    def register(
        self,
        dossier_id: uuid.UUID,
        data: ReactionIn,
        *,
        actor: str,
        session: Session | None = None,
    ) -> ReceivedReaction:
        """Staff register a reaction from any channel; a late one is flagged, not refused."""

        if data.channel == "oral" and not data.reported_by:
            raise InvalidInput(
                "an oral reaction needs the official who wrote the report", field="reported_by"
            )
        with self._p.unit_of_work(session) as s:
            return self._intake(s, dossier_id, data, actor=actor, web=False)

    def _clean_submitters(
        self, s: Session, submitters: Sequence[SubmitterIn]
    ) -> list[dict[str, Any]]:
        cleaned = []
        for index, sub in enumerate(submitters):
            prefix = f"submitters.{index}."
            item: dict[str, Any] = sub.model_dump()
            if sub.email:
                item["email"] = normalize_email(
                    sub.email,
                    field=prefix + "email",
                    check_deliverability=self._p.settings.email_check_deliverability,
                ).address
            if sub.postcode:
                item["postcode"] = normalize_postcode(sub.postcode, field=prefix + "postcode")
            if sub.house_number:
                item["house_number"] = normalize_house_number(
                    sub.house_number, field=prefix + "house_number"
                )
            if sub.postcode and not sub.house_number:
                raise InvalidInput(
                    "a postal address needs a house number", field=prefix + "house_number"
                )
            if not sub.consent and (sub.email or sub.postcode or sub.phone):
                raise InvalidInput(
                    "contact details can only be stored with consent", field=prefix + "consent"
                )
            area = area_for_postcode(s, item["postcode"]) if item.get("postcode") else None
            item["area_code"] = area.code if area else None
            cleaned.append(item)
        return cleaned

    def _intake(
        self,
        s: Session,
        dossier_id: uuid.UUID,
        data: ReactionIn,
        *,
        actor: str,
        web: bool,
    ) -> ReceivedReaction:
        text = data.text.strip()
        if not text:
            raise EmptyReaction("the reaction is empty", field="text")
        now = self._now()
        received_at = data.received_at or now
        if received_at.tzinfo is None:
            raise InvalidInput("give the received time with a time zone", field="received_at")
        if received_at > now + timedelta(minutes=5):
            raise InvalidInput("the received time lies in the future", field="received_at")
        submitters = self._clean_submitters(s, data.submitters)
        dossier = self._dossier(s, dossier_id, lock=True)
        themes: dict[str, ThemeRow] = {}
        for index, point in enumerate(data.points):
            if point.theme:
                try:
                    themes[point.theme] = self._theme(s, dossier.id, point.theme, dossier.round)
                except UnknownTheme as exc:
                    raise UnknownTheme(exc.message, field=f"points.{index}.theme") from None
        current = self._round(dossier)
        received_on = self.local_date(received_at)
        timely_on = data.postmark_date or received_on
        late = timely_on > current.period_end or dossier.status != "open"
        if web and (late or received_on < current.period_start):
            raise DossierClosed(
                "the reaction period of this dossier is closed"
                if late
                else "the reaction period of this dossier has not started yet",
                field="dossier_id",
                period_start=current.period_start.isoformat(),
                period_end=current.period_end.isoformat(),
            )
        number = dossier.next_number
        dossier.next_number = number + 1
        counting = dossier.day_count
        answer_due = self.calendar.due_date(
            received_on,
            dossier.answer_days,
            counting,  # type: ignore[arg-type]
        )
        reaction = ReactionRow(
            dossier_id=dossier.id,
            number=number,
            round=dossier.round,
            channel=data.channel,
            text=text,
            received_at=received_at,
            postmark_date=data.postmark_date,
            reported_by=data.reported_by,
            external_ref=data.external_ref,
            late=late,
            # An on-time reaction is admissible; a late one waits for a decision.
            admissible=None if late else True,
            acknowledgement_due=self.calendar.due_date(
                received_on,
                dossier.acknowledgement_days,
                counting,  # type: ignore[arg-type]
            ),
            answer_due=answer_due,
            answer_target=answer_due,
            signatories=len(submitters),
            created_at=now,
            created_by=actor,
        )
        s.add(reaction)
        s.flush()
        rows = []
        for position, item in enumerate(submitters, start=1):
            row = SubmitterRow(
                reaction_id=reaction.id, dossier_id=dossier.id, position=position, **item
            )
            rows.append(row)
            s.add(row)
        for position, point in enumerate(data.points, start=1):
            theme = themes.get(point.theme) if point.theme else None
            s.add(
                PointRow(
                    reaction_id=reaction.id,
                    dossier_id=dossier.id,
                    position=position,
                    text=point.text,
                    theme_id=theme.id if theme else None,
                )
            )
        s.flush()
        emails = self._acknowledge(s, dossier, reaction, rows)
        self._audit(
            s,
            actor,
            "reactions.received",
            dossier.id,
            number=number,
            channel=data.channel,
            late=late,
            signatories=len(submitters),
            points=len(data.points),
        )
        return ReceivedReaction(reaction=_reaction_out(reaction), acknowledgement_emails=emails)

    def decide_admissibility(
        self,
        dossier_id: uuid.UUID,
        number: int,
        *,
        admissible: bool,
        reason: str,
        actor: str,
        session: Session | None = None,
    ) -> Reaction:
        """Record whether a (late) reaction is taken into account, with the reason."""

        if not reason.strip():
            raise InvalidInput("give the reason for the decision", field="reason")
        with self._p.unit_of_work(session) as s:
            row = self._by_number(s, dossier_id, number)
            before = row.admissible
            row.admissible = admissible
            row.admissibility_reason = reason.strip()
            s.flush()
            self._audit(
                s,
                actor,
                "reactions.admissibility",
                dossier_id,
                number=number,
                before=before,
                after=admissible,
                reason_sha256=text_digest(reason.strip()),
            )
            return _reaction_out(row)

    def _by_number(self, s: Session, dossier_id: uuid.UUID, number: int) -> ReactionRow:
        row = s.execute(
            select(ReactionRow).where(
                ReactionRow.dossier_id == dossier_id, ReactionRow.number == number
            )
        ).scalar_one_or_none()
        if row is None:
            raise ReactionNotFound(f"no reaction number {number}", field="number")
        return row

    def reaction(
        self, dossier_id: uuid.UUID, number: int, *, session: Session | None = None
    ) -> Reaction:
        with self._p.unit_of_work(session, readonly=True) as s:
            return _reaction_out(self._by_number(s, dossier_id, number))

    def reactions(
        self, dossier_id: uuid.UUID, *, session: Session | None = None
    ) -> Iterator[Reaction]:
        """All reactions of a dossier in number order (streamed)."""

        with self._p.unit_of_work(session, readonly=True) as s:
            query = (
                select(ReactionRow)
                .where(ReactionRow.dossier_id == dossier_id)
                .order_by(ReactionRow.number)
                .execution_options(yield_per=500)
            )
            for row in s.execute(query).scalars():
                yield _reaction_out(row)

    def submitters(
        self, dossier_id: uuid.UUID, *, session: Session | None = None
    ) -> list[Submitter]:
        """Personal data of every signatory (internal use only)."""

        with self._p.unit_of_work(session, readonly=True) as s:
            return [_submitter_out(sub, number) for sub, number in _submitters(s, dossier_id)]

    def import_file(
        self,
        dossier_id: uuid.UUID,
        path: str | Path,
        *,
        actor: str,
        channel: str = "paper",
        session: Session | None = None,
    ) -> ImportReport:
        """Bulk import of paper reactions from CSV or XLSX; see ``imports.py``."""

        from participatie.reactions import imports

        return imports.import_file(
            self, dossier_id, Path(path), actor=actor, channel=channel, session=session
        )

    # -- acknowledgement and letters ----------------------------------------------------

    def _recipients(self, submitters: Sequence[SubmitterRow]) -> list[SubmitterRow]:
        # Awb art. 3:44 lid 1 sub b: with more than five signatories, the first five.
        ordered = sorted(submitters, key=lambda sub: sub.position)
        return ordered[: self._settings.max_recipients_per_reaction]

    def _acknowledge(
        self,
        s: Session,
        dossier: DossierRow,
        reaction: ReactionRow,
        submitters: Sequence[SubmitterRow],
    ) -> int:
        emails = 0
        context = {
            "dossier_title": dossier.title,
            "number": reaction.number,
            "received_on": self.local_date(reaction.received_at),
            "answer_due": reaction.answer_due,
            "late": reaction.late,
            "official": dossier.responsible_official,
            "dossier_url": self._p.url("dossier", dossier=dossier.id),
        }
        for sub in self._recipients(submitters):
            key = f"reactions:ack:{sub.id}"
            if sub.email:
                self._send_email(
                    s,
                    dossier,
                    reaction,
                    sub,
                    "acknowledgement",
                    "reactions_acknowledgement",
                    context,
                    key,
                )
                emails += 1
            elif _postal(sub):
                self._pending_letter(s, dossier, reaction, sub, "acknowledgement", key, {})
        if emails:
            reaction.acknowledged_at = self._now()
        return emails

    def _send_email(
        self,
        s: Session,
        dossier: DossierRow,
        reaction: ReactionRow,
        sub: SubmitterRow,
        kind: str,
        template: str,
        context: dict[str, Any],
        key: str,
        known: set[str] | None = None,
    ) -> bool:
        """Queue one e-mail and record its dispatch; False when it went out before.

        ``known``: the dispatch keys a batch loaded up front, saving a query per message
        (the unique index on the key still decides).
        """

        if known is not None:
            if key in known:
                return False
        elif s.execute(select(DispatchRow.id).where(DispatchRow.dedupe_key == key)).first():
            return False
        ctx = {**context, "name": sub.name}
        outbox_id = self._p.outbox.enqueue(
            s,
            to=sub.email or "",
            template=template,
            context=ctx,
            locale=sub.locale,
            dedupe_key=key,
            subject_type="reactions_submitter",
            subject_id=sub.id,
        )
        if outbox_id is None:  # the outbox had this key already: sent before
            return False
        # The message was rendered once, by the outbox: hash exactly what will be sent.
        message = s.get(OutboxMessageRow, outbox_id)
        body = f"{message.subject}\n\n{message.text_body}" if message else ""
        now = self._now()
        s.add(
            DispatchRow(
                dossier_id=dossier.id,
                reaction_id=reaction.id,
                submitter_id=sub.id,
                kind=kind,
                channel="email",
                status="sent",
                dedupe_key=key,
                created_at=now,
                sent_at=now,
                sha256=hashlib.sha256(body.encode()).hexdigest(),
                outbox_id=outbox_id,
                data={},
            )
        )
        return True

    def _pending_letter(
        self,
        s: Session,
        dossier: DossierRow,
        reaction: ReactionRow,
        sub: SubmitterRow,
        kind: str,
        key: str,
        data: dict[str, Any],
        *,
        channel: str = "letter",
    ) -> bool:
        if s.execute(select(DispatchRow.id).where(DispatchRow.dedupe_key == key)).first():
            return False
        now = self._now()
        s.add(
            DispatchRow(
                dossier_id=dossier.id,
                reaction_id=reaction.id,
                submitter_id=sub.id,
                kind=kind,
                channel=channel,
                status="pending" if channel == "letter" else "sent",
                dedupe_key=key,
                created_at=now,
                sent_at=None if channel == "letter" else now,
                data=data,
            )
        )
        return True

    def generate_letters(
        self,
        dossier_id: uuid.UUID,
        out_dir: str | Path,
        *,
        kind: str | None = None,
        pdf: bool = True,
        actor: str = "system",
        session: Session | None = None,
    ) -> LetterBatch:
        """Print every pending letter (postal-only submitters) as HTML, one print file,
        and PDF; records each dispatch with the SHA-256 of its document."""

        from participatie.reactions import letters

        with self._p.unit_of_work(session) as s:
            dossier = self._dossier(s, dossier_id, lock=True)
            batch = letters.generate(self, s, dossier, Path(out_dir), kind=kind, pdf=pdf)
            if batch.letters:
                self._audit(
                    s,
                    actor,
                    "reactions.letters_generated",
                    dossier.id,
                    kind=kind,
                    letters=batch.letters,
                    print_file=batch.print_file,
                )
            return batch

    def dispatches(
        self, dossier_id: uuid.UUID, *, session: Session | None = None
    ) -> list[Dispatch]:
        with self._p.unit_of_work(session, readonly=True) as s:
            rows = s.execute(
                select(DispatchRow, ReactionRow.number)
                .join(ReactionRow, ReactionRow.id == DispatchRow.reaction_id)
                .where(DispatchRow.dossier_id == dossier_id, DispatchRow.status == "sent")
                .order_by(ReactionRow.number, DispatchRow.created_at)
            ).all()
            return [
                Dispatch(
                    id=row.id,
                    reaction_number=number,
                    kind=row.kind,
                    channel=row.channel,
                    sent_at=row.sent_at or row.created_at,
                    sha256=row.sha256 or "",
                    document=row.document,
                )
                for row, number in rows
            ]

    # -- assessment -------------------------------------------------------------------

    def create_theme(
        self,
        dossier_id: uuid.UUID,
        data: ThemeIn,
        *,
        assessor: str | None = None,
        actor: str = "system",
        session: Session | None = None,
    ) -> Theme:
        with self._p.unit_of_work(session) as s:
            dossier = self._dossier(s, dossier_id, lock=True)
            exists = s.execute(
                select(ThemeRow.id).where(
                    ThemeRow.dossier_id == dossier.id, ThemeRow.code == data.code
                )
            ).first()
            if exists:
                raise ThemeExists(f"theme {data.code!r} exists already", field="code")
            count = s.execute(
                select(func.count()).where(ThemeRow.dossier_id == dossier.id)
            ).scalar_one()
            row = ThemeRow(
                dossier_id=dossier.id,
                code=data.code,
                number=int(count) + 1,
                round=dossier.round,
                title=data.title,
                summary=data.summary,
                assessor=assessor,
            )
            s.add(row)
            try:
                s.flush()
            except IntegrityError:
                raise ThemeExists(f"theme {data.code!r} exists already", field="code") from None
            self._audit(
                s, actor, "reactions.theme_created", dossier.id, code=row.code, title=row.title
            )
            return _theme_out(row, 0, 0)

    def themes(self, dossier_id: uuid.UUID, *, session: Session | None = None) -> list[Theme]:
        with self._p.unit_of_work(session, readonly=True) as s:
            counts = {
                theme_id: (int(points), int(reactions))
                for theme_id, points, reactions in s.execute(
                    select(
                        PointRow.theme_id,
                        func.count(),
                        func.count(func.distinct(PointRow.reaction_id)),
                    )
                    .where(PointRow.dossier_id == dossier_id)
                    .group_by(PointRow.theme_id)
                ).all()
            }
            rows = s.execute(
                select(ThemeRow).where(ThemeRow.dossier_id == dossier_id).order_by(ThemeRow.number)
            ).scalars()
            return [_theme_out(row, *counts.get(row.id, (0, 0))) for row in rows]

    def add_point(
        self,
        dossier_id: uuid.UUID,
        number: int,
        data: PointIn,
        *,
        actor: str = "system",
        session: Session | None = None,
    ) -> Point:
        """Split a reaction: one more point, optionally in a theme."""

        with self._p.unit_of_work(session) as s:
            reaction = self._by_number(s, dossier_id, number)
            theme = self._theme(s, dossier_id, data.theme, reaction.round) if data.theme else None
            position = s.execute(
                select(func.coalesce(func.max(PointRow.position), 0)).where(
                    PointRow.reaction_id == reaction.id
                )
            ).scalar_one()
            row = PointRow(
                reaction_id=reaction.id,
                dossier_id=dossier_id,
                position=int(position) + 1,
                text=data.text,
                theme_id=theme.id if theme else None,
            )
            s.add(row)
            s.flush()
            self._audit(
                s,
                actor,
                "reactions.point_added",
                dossier_id,
                number=number,
                position=row.position,
                theme=theme.code if theme else None,
            )
            return _point_out(row, number, theme.code if theme else None)

    def assign_point(
        self,
        point_id: uuid.UUID,
        *,
        theme: str | None = None,
        assessor: str | None = None,
        actor: str = "system",
        session: Session | None = None,
    ) -> Point:
        """Put a point in a theme (``theme``) and/or give it to an assessor."""

        with self._p.unit_of_work(session) as s:
            row = s.get(PointRow, point_id)
            if row is None:
                raise NotFound(f"no point {point_id}", field="point_id")
            reaction = self._reaction(s, row.reaction_id)
            theme_row = self._theme(s, row.dossier_id, theme, reaction.round) if theme else None
            before = {"theme_id": row.theme_id, "assessor": row.assessor}
            if theme_row is not None:
                row.theme_id = theme_row.id
            if assessor is not None:
                row.assessor = assessor
            s.flush()
            code = None
            if row.theme_id is not None:
                t = s.get(ThemeRow, row.theme_id)
                code = t.code if t else None
            self._audit(
                s,
                actor,
                "reactions.point_assigned",
                row.dossier_id,
                number=reaction.number,
                position=row.position,
                before=before,
                after={"theme": code, "assessor": row.assessor},
            )
            return _point_out(row, reaction.number, code)

    def assign_theme(
        self,
        dossier_id: uuid.UUID,
        theme: str,
        *,
        assessor: str,
        actor: str = "system",
        session: Session | None = None,
    ) -> Theme:
        with self._p.unit_of_work(session) as s:
            row = self._theme(s, dossier_id, theme)
            before = row.assessor
            row.assessor = assessor
            s.flush()
            self._audit(
                s,
                actor,
                "reactions.theme_assigned",
                dossier_id,
                theme=row.code,
                before=before,
                after=assessor,
            )
            return _theme_out(row, 0, 0)

    def points(
        self,
        dossier_id: uuid.UUID,
        *,
        theme: str | None = None,
        number: int | None = None,
        session: Session | None = None,
    ) -> list[Point]:
        with self._p.unit_of_work(session, readonly=True) as s:
            query = (
                select(PointRow, ReactionRow.number, ThemeRow.code)
                .join(ReactionRow, ReactionRow.id == PointRow.reaction_id)
                .outerjoin(ThemeRow, ThemeRow.id == PointRow.theme_id)
                .where(PointRow.dossier_id == dossier_id)
                .order_by(ReactionRow.number, PointRow.position)
            )
            if theme is not None:
                query = query.where(ThemeRow.id == self._theme(s, dossier_id, theme).id)
            if number is not None:
                query = query.where(ReactionRow.number == number)
            return [_point_out(row, n, code) for row, n, code in s.execute(query).all()]

    # -- answers ----------------------------------------------------------------------

    def _check_outcome(self, outcome: str) -> str:
        if outcome not in OUTCOMES:
            raise UnknownOutcome(
                f"unknown outcome {outcome!r}: choose one of {', '.join(OUTCOMES)}",
                field="outcome",
            )
        return outcome

    def draft_answer(
        self,
        dossier_id: uuid.UUID,
        data: AnswerIn,
        *,
        actor: str,
        session: Session | None = None,
    ) -> Answer:
        """A new answer (a draft until the dossier's answers are published)."""

        outcome = self._check_outcome(data.outcome)
        with self._p.unit_of_work(session) as s:
            dossier = self._dossier(s, dossier_id)
            if self._round(dossier).published_at is not None:
                raise AlreadyPublished(
                    f"the answers of round {dossier.round} are published", field="dossier_id"
                )
            theme_id = point_id = None
            if data.theme is not None:
                theme_id = self._theme(s, dossier.id, data.theme, dossier.round).id
                target = AnswerRow.theme_id == theme_id
            else:
                point = s.get(PointRow, data.point_id)
                if point is None or point.dossier_id != dossier.id:
                    raise NotFound(f"no point {data.point_id} in this dossier", field="point_id")
                if self._reaction(s, point.reaction_id).round != dossier.round:
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
            now = self._now()
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
            self._version(s, row)
            self._audit(
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
            return self._answer_out(s, row)

    def update_answer(
        self,
        answer_id: uuid.UUID,
        data: AnswerIn,
        *,
        expected_version: int,
        actor: str,
        session: Session | None = None,
    ) -> Answer:
        """Change a draft answer. ``expected_version`` is the version the editor read: when
        someone saved in between, ``StaleUpdate`` and nothing is overwritten."""

        outcome = self._check_outcome(data.outcome)
        with self._p.unit_of_work(session) as s:
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
            row.updated_at = self._now()
            row.updated_by = actor
            try:
                s.flush()
            except StaleDataError:
                # A concurrent writer committed between our read and our UPDATE.
                raise StaleUpdate(
                    "the answer was changed by someone else meanwhile",
                    field="expected_version",
                ) from None
            self._version(s, row)
            self._audit(
                s,
                actor,
                "reactions.answer_updated",
                row.dossier_id,
                answer=row.id,
                version=row.version,
                before=before,
                after={"outcome": outcome, "changes_plan": data.changes_plan},
            )
            return self._answer_out(s, row)

    def _version(self, s: Session, row: AnswerRow) -> None:
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

    def _answer_out(self, s: Session, row: AnswerRow) -> Answer:
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
        )

    def get_answer(self, answer_id: uuid.UUID, *, session: Session | None = None) -> Answer:
        with self._p.unit_of_work(session, readonly=True) as s:
            row = s.get(AnswerRow, answer_id)
            if row is None:
                raise NotFound(f"no answer {answer_id}", field="answer_id")
            return self._answer_out(s, row)

    def answers(self, dossier_id: uuid.UUID, *, session: Session | None = None) -> list[Answer]:
        with self._p.unit_of_work(session, readonly=True) as s:
            rows = s.execute(
                select(AnswerRow).where(AnswerRow.dossier_id == dossier_id).order_by(AnswerRow.id)
            ).scalars()
            return [self._answer_out(s, row) for row in rows]

    def answer_history(
        self, answer_id: uuid.UUID, *, session: Session | None = None
    ) -> list[AnswerVersion]:
        with self._p.unit_of_work(session, readonly=True) as s:
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
        actor: str = "system",
        session: Session | None = None,
    ) -> AnswerTemplate:
        """A reusable answer with ``{placeholders}`` (``{thema}``, ``{besluit}``, ...)."""

        name = name.strip()
        if not name:
            raise InvalidInput("a template needs a name", field="name")
        placeholders = _placeholders(text)
        with self._p.unit_of_work(session) as s:
            dossier = self._dossier(s, dossier_id)
            row = s.execute(
                select(AnswerTemplateRow).where(
                    AnswerTemplateRow.dossier_id == dossier.id, AnswerTemplateRow.name == name
                )
            ).scalar_one_or_none()
            if row is None:
                row = AnswerTemplateRow(dossier_id=dossier.id, name=name, text=text)
                s.add(row)
            else:
                row.text = text
            s.flush()
            self._audit(s, actor, "reactions.template_saved", dossier.id, name=name)
            return AnswerTemplate(name=name, text=text, placeholders=placeholders)

    def fill_answer_template(
        self,
        dossier_id: uuid.UUID,
        name: str,
        values: dict[str, str],
        *,
        session: Session | None = None,
    ) -> str:
        with self._p.unit_of_work(session, readonly=True) as s:
            row = s.execute(
                select(AnswerTemplateRow).where(
                    AnswerTemplateRow.dossier_id == dossier_id, AnswerTemplateRow.name == name
                )
            ).scalar_one_or_none()
            if row is None:
                raise NotFound(f"no answer template {name!r}", field="name")
            missing = [ph for ph in _placeholders(row.text) if ph not in values]
            if missing:
                raise InvalidInput(f"fill in {', '.join(missing)}", field=f"values.{missing[0]}")
            return row.text.format_map(values)

    # -- publication and feedback -------------------------------------------------------

    def publish_answers(
        self, dossier_id: uuid.UUID, *, actor: str, session: Session | None = None
    ) -> PublishResult:
        """Publish every answer of the current round at once and tell every submitter
        the outcome per point (e-mail through the outbox, letters for postal addresses)."""

        from participatie.reactions import feedback

        with self._p.unit_of_work(session) as s:
            dossier = self._dossier(s, dossier_id, lock=True)
            current = self._round(dossier)
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
            now = self._now()
            answers = list(
                s.execute(
                    select(AnswerRow).where(
                        AnswerRow.dossier_id == dossier.id, AnswerRow.status == "draft"
                    )
                ).scalars()
            )
            for answer in answers:
                answer.status = "published"
            current.published_at = now
            self._touch(dossier)
            s.flush()
            result = feedback.send(self, s, dossier, len(answers))
            self._audit(
                s,
                actor,
                "reactions.answers_published",
                dossier.id,
                round=current.number,
                **result.model_dump(),
            )
            return result

    def extend_answer_deadline(
        self,
        dossier_id: uuid.UUID,
        *,
        new_due: date,
        reason: str,
        numbers: Sequence[int] | None = None,
        actor: str,
        session: Session | None = None,
    ) -> Extension:
        """Move the answer deadline of unanswered reactions; every submitter gets a delay
        notice with the reason."""

        reason = reason.strip()
        if not reason:
            raise InvalidInput("an extension needs a reason for the submitters", field="reason")
        if new_due <= self.today():
            raise InvalidInput("the new date must lie in the future", field="new_due")
        with self._p.unit_of_work(session) as s:
            dossier = self._dossier(s, dossier_id, lock=True)
            query = select(ReactionRow).where(
                ReactionRow.dossier_id == dossier.id,
                ReactionRow.answered_at.is_(None),
                ReactionRow.answer_due < new_due,
                ReactionRow.admissible.is_not(False),
            )
            if numbers is not None:
                query = query.where(ReactionRow.number.in_(list(numbers)))
            reactions = list(s.execute(query.order_by(ReactionRow.number)).scalars())
            if not reactions:
                raise InvalidState(
                    "no unanswered reaction is due before that date", field="new_due"
                )
            extension = ExtensionRow(
                dossier_id=dossier.id,
                new_due=new_due,
                reason=reason,
                reactions=len(reactions),
                created_at=self._now(),
                created_by=actor,
            )
            s.add(extension)
            s.flush()
            emails = letters = 0
            subs_by_reaction: dict[uuid.UUID, list[SubmitterRow]] = {}
            for sub in s.execute(
                select(SubmitterRow).where(SubmitterRow.reaction_id.in_([r.id for r in reactions]))
            ).scalars():
                subs_by_reaction.setdefault(sub.reaction_id, []).append(sub)
            for reaction in reactions:
                old_due = reaction.answer_due
                reaction.answer_due = new_due
                context = {
                    "dossier_title": dossier.title,
                    "number": reaction.number,
                    "old_due": old_due,
                    "new_due": new_due,
                    "reason": reason,
                    "official": dossier.responsible_official,
                }
                for sub in self._recipients(subs_by_reaction.get(reaction.id, [])):
                    key = f"reactions:delay:{extension.id}:{sub.id}"
                    if sub.email:
                        if self._send_email(
                            s, dossier, reaction, sub, "delay", "reactions_delay", context, key
                        ):
                            emails += 1
                    elif _postal(sub) and self._pending_letter(
                        s,
                        dossier,
                        reaction,
                        sub,
                        "delay",
                        key,
                        {
                            "old_due": old_due.isoformat(),
                            "new_due": new_due.isoformat(),
                            "reason": reason,
                        },
                    ):
                        letters += 1
            s.flush()
            self._audit(
                s,
                actor,
                "reactions.deadline_extended",
                dossier.id,
                new_due=new_due,
                reason=reason,
                numbers=[r.number for r in reactions],
            )
            return Extension(
                reactions=len(reactions), new_due=new_due, emails=emails, letters_due=letters
            )

    # -- deadlines ----------------------------------------------------------------------

    def overdue(
        self,
        dossier_id: uuid.UUID | None = None,
        *,
        today: date | None = None,
        session: Session | None = None,
    ) -> list[OverdueItem]:
        """Reactions past their acknowledgement or answer target, worst first."""

        day = today or self.today()
        thresholds = self._settings.escalation_days
        with self._p.unit_of_work(session, readonly=True) as s:
            items = list(_overdue(s, day, thresholds, dossier_id))
        items.sort(key=lambda i: (-i.level, -i.days_overdue, i.dossier_title, i.number, i.kind))
        return items

    # -- statistics, nota, archive ------------------------------------------------------

    def stats(
        self, dossier_id: uuid.UUID, *, round: int | None = None, session: Session | None = None
    ) -> Stats:
        from participatie.reactions import report

        with self._p.unit_of_work(session, readonly=True) as s:
            dossier = self._dossier(s, dossier_id)
            return report.stats(self, s, dossier, round or dossier.round)

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

        with self._p.unit_of_work(session, readonly=True) as s:
            dossier = self._dossier(s, dossier_id)
            return report.build_nota(self, s, dossier, round or dossier.round, internal=internal)

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
        return report.write(self._p, nota, Path(path), format)

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

        return archive.export(self, dossier_id, Path(out_dir), actor=actor, session=session)

    # -- privacy ------------------------------------------------------------------------

    def remove_contacts(
        self, dossier_id: uuid.UUID, *, actor: str = "system", session: Session | None = None
    ) -> int:
        """Remove the submitters' contact details; reactions, counts and wijk stay."""

        with self._p.unit_of_work(session) as s:
            dossier = self._dossier(s, dossier_id, lock=True)
            count = retention.remove_contacts(s, dossier, self._now(), self._p.outbox)
            self._audit(s, actor, "reactions.contacts_removed", dossier.id, submitters=count)
            return count


# -- module helpers ------------------------------------------------------------------------


def _postal(sub: SubmitterRow) -> bool:
    return bool(sub.postcode and sub.house_number)


def _placeholders(text: str) -> list[str]:
    try:
        names = [f for _, f, _, _ in string.Formatter().parse(text) if f]
    except ValueError as exc:
        raise InvalidInput(f"template text is malformed: {exc}", field="text") from None
    return list(dict.fromkeys(names))


def _phase_row(position: int, data: PhaseIn) -> PhaseRow:
    return PhaseRow(
        position=position,
        name=data.name,
        planned_date=data.planned_date,
        status=data.status,
        delay_reason=data.delay_reason,
    )


def _phase_out(row: PhaseRow) -> Phase:
    return Phase.model_validate(row, from_attributes=True)


def _dossier_out(row: DossierRow) -> Dossier:
    current = next(r for r in row.rounds if r.number == row.round)
    return Dossier(
        id=row.id,
        title=row.title,
        summary=row.summary,
        procedure=row.procedure,
        responsible_official=row.responsible_official,
        responsible_email=row.responsible_email,
        areas=sorted(a.area_code for a in row.areas),
        status=row.status,
        round=row.round,
        round_label=current.label,
        period_start=current.period_start,
        period_end=current.period_end,
        acknowledgement_days=row.acknowledgement_days,
        answer_days=row.answer_days,
        day_count=row.day_count,
        documents=[
            Document(id=d.id, title=d.title, url=d.url, published_on=d.published_on)
            for d in row.documents
        ],
        phases=[_phase_out(ph) for ph in row.phases],
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


def _reaction_out(row: ReactionRow) -> Reaction:
    # The public type's fields are the row's own columns (personal data lives elsewhere).
    return Reaction.model_validate(row, from_attributes=True)


def _submitter_out(row: SubmitterRow, number: int) -> Submitter:
    return Submitter(
        id=row.id,
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


def _submitters(s: Session, dossier_id: uuid.UUID) -> Iterator[tuple[SubmitterRow, int]]:
    query = (
        select(SubmitterRow, ReactionRow.number)
        .join(ReactionRow, ReactionRow.id == SubmitterRow.reaction_id)
        .where(SubmitterRow.dossier_id == dossier_id)
        .order_by(ReactionRow.number, SubmitterRow.position)
        .execution_options(yield_per=500)
    )
    for sub, number in s.execute(query):
        yield sub, int(number)


def _theme_out(row: ThemeRow, points: int, reactions: int) -> Theme:
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


def _point_out(row: PointRow, number: int, theme: str | None) -> Point:
    return Point(
        id=row.id,
        reaction_id=row.reaction_id,
        reaction_number=number,
        position=row.position,
        text=row.text,
        theme=theme,
        assessor=row.assessor,
    )


def _overdue(
    s: Session, today: date, thresholds: tuple[int, int], dossier_id: uuid.UUID | None
) -> Iterator[OverdueItem]:
    base = (
        select(ReactionRow, DossierRow.title)
        .join(DossierRow, DossierRow.id == ReactionRow.dossier_id)
        .where(DossierRow.status == "open")
    )
    if dossier_id is not None:
        base = base.where(ReactionRow.dossier_id == dossier_id)
    ack = base.where(ReactionRow.acknowledged_at.is_(None), ReactionRow.acknowledgement_due < today)
    answer = base.where(
        ReactionRow.answered_at.is_(None),
        ReactionRow.answer_due < today,
        ReactionRow.admissible.is_not(False),
    )
    for kind, query in (("acknowledgement", ack), ("answer", answer)):
        for row, title in s.execute(query.order_by(ReactionRow.number)).all():
            due = row.acknowledgement_due if kind == "acknowledgement" else row.answer_due
            days = (today - due).days
            yield OverdueItem(
                dossier_id=row.dossier_id,
                dossier_title=title,
                reaction_id=row.id,
                number=row.number,
                kind=kind,
                due=due,
                days_overdue=days,
                level=escalation_level(days, thresholds),
            )


def outcome_label(outcome: str, locale: str) -> str:
    labels = OUTCOME_LABELS_EN if locale == "en" else OUTCOME_LABELS_NL
    return labels.get(outcome, outcome)


def counter_dict(counter: Counter[str], keys: Sequence[str]) -> dict[str, int]:
    return {key: int(counter.get(key, 0)) for key in keys}


def json_dump(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, sort_keys=True, default=str)


__all__ = ["SUBJECT", "Reactions"]
