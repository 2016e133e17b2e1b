"""Dossiers of the reactions facade: create and change them, documents, phases, rounds,
the decision and, after it, removing the submitters' contact details.
"""

from __future__ import annotations

import uuid
from datetime import date, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from participatie.errors import InvalidInput, InvalidState, NotFound
from participatie.identity import normalize_email
from participatie.reactions import retention
from participatie.reactions.context import ReactionsPart
from participatie.reactions.errors import DossierNotFound
from participatie.reactions.models import (
    DocumentRow,
    DossierAreaRow,
    DossierRow,
    ReactionRow,
    RoundRow,
)
from participatie.reactions.outputs import document_out, dossier_out, phase_out, phase_row
from participatie.reactions.schemas import (
    Document,
    DocumentIn,
    Dossier,
    DossierIn,
    DossierSummary,
    DossierUpdate,
    Phase,
    PhaseIn,
)
from participatie.urls import require_allowed


def _period_end(start: date, end: date | None, weeks: int) -> date:
    """The end of a reaction period: as given, or ``weeks`` after the start."""

    end = end or start + timedelta(weeks=weeks)
    if end < start:
        raise InvalidInput("the reaction period ends before it starts", field="period_end")
    return end


class Dossiers(ReactionsPart):
    """Dossiers: what residents react to, in rounds and phases, until the decision."""

    def create_dossier(
        self, data: DossierIn, *, actor: str, session: Session | None = None
    ) -> Dossier:
        """A new dossier, open for reactions in its first round from ``period_start``.

        The reaction period ends at ``period_end``, by default ``period_start`` plus
        ``Settings.reactions.period_weeks`` (six weeks: Awb art. 3:16). The targets for
        the acknowledgement and the answer come from ``data`` or the settings.

        Args:
            data: title, summary, procedure, the responsible official and their
                address, the wijk codes (``areas``, ``also_areas``), the meeting reports,
                whether the web form takes reactions and residents see it
                (``published``), the period (dates), the round's label, the targets
                (numbers and how they count: ``calendar``, ``working``, ``weeks``), the
                documents (links) and the phases.
            actor: who does it (audit log).
            session: the host's SQLAlchemy session to work in (the library only
                flushes); without it the call commits on its own.

        Returns:
            Dossier: the dossier in status ``open``, round 1.

        Raises:
            InvalidEmail: ``input.email``, field ``responsible_email``.
            InvalidInput: ``input.invalid``, field ``period_end`` (before the start),
                ``areas``/``also_areas`` (no such wijk) or ``documents.N.url`` (not an
                allowed web address: https unless ``Settings.allow_http_links``).
            DatabaseUnavailable: ``db.unavailable``, the database could not be reached
                or stayed locked; nothing was written.
        """

        settings = self._ctx.settings
        email = normalize_email(data.responsible_email, field="responsible_email").address
        end = _period_end(data.period_start, data.period_end, settings.period_weeks)
        now = self._ctx.now()
        with self._ctx.p.unit_of_work(session) as s:
            codes = self._area_codes(s, data.areas, "areas")
            also = [c for c in self._area_codes(s, data.also_areas, "also_areas") if c not in codes]
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
                acknowledgement_day_count=data.acknowledgement_day_count
                or data.day_count
                or settings.acknowledgement_day_count
                or settings.day_count,
                answer_day_count=data.answer_day_count
                or data.day_count
                or settings.answer_day_count
                or settings.day_count,
                published=data.published,
                reaction_form=data.reaction_form,
                meeting_reports=data.meeting_reports,
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
                http = self._ctx.p.settings.allow_http_links
                require_allowed(doc.url, allow_http=http, field=f"documents.{n}.url")
                row.documents.append(
                    DocumentRow(title=doc.title, url=doc.url, published_on=doc.published_on)
                )
            for position, phase in enumerate(data.phases, start=1):
                row.phases.append(phase_row(position, phase))
            for code in codes:
                row.areas.append(DossierAreaRow(area_code=code, kind="main"))
            for code in also:
                row.areas.append(DossierAreaRow(area_code=code, kind="also"))
            s.add(row)
            s.flush()
            self._ctx.audit(
                s,
                actor,
                "reactions.dossier_created",
                row.id,
                title=row.title,
                period_start=data.period_start,
                period_end=end,
            )
            return dossier_out(row)

    def _area_codes(self, s: Session, codes: list[str], field: str) -> list[str]:
        """The wijken's own spelling of their codes; an unknown code names the field."""

        out: list[str] = []
        for code in codes:
            try:
                found = self._ctx.p.areas.get(code, session=s).code
            except NotFound:
                raise InvalidInput(f"no wijk {code!r}", field=field) from None
            if found not in out:
                out.append(found)
        return out

    def update_dossier(
        self,
        dossier_id: uuid.UUID,
        data: DossierUpdate,
        *,
        actor: str,
        session: Session | None = None,
    ) -> Dossier:
        """Change the fields set in ``data``; the others keep their value. New targets hold
        for reactions received from now on. The audit log keeps the fields before and
        after (the names to redact only as changed).

        Args:
            dossier_id: the dossier's id.
            data: the fields to change (texts, the official, own changes, conclusion,
                names to redact, meeting reports, the web form, the wijk lists, which
                replace the old ones, and the targets).
            actor: who does it (audit log).
            session: the host's SQLAlchemy session to work in (the library only
                flushes); without it the call commits on its own.

        Returns:
            Dossier: the dossier as it is now.

        Raises:
            InvalidEmail: ``input.email``, field ``responsible_email``.
            DossierNotFound: ``dossier.not_found``, field ``dossier_id``.
            InvalidInput: ``input.invalid``, field ``areas`` or ``also_areas``: no such
                wijk.
            DatabaseUnavailable: ``db.unavailable``, the database could not be reached
                or stayed locked; nothing was written.
        """

        changes = data.model_dump(exclude_none=True)
        if "responsible_email" in changes:
            changes["responsible_email"] = normalize_email(
                changes["responsible_email"], field="responsible_email"
            ).address
        areas = changes.pop("areas", None)
        also_areas = changes.pop("also_areas", None)
        with self._ctx.p.unit_of_work(session) as s:
            row = self._ctx.dossier(s, dossier_id, lock=True)
            before = {key: getattr(row, key) for key in changes}
            for key, value in changes.items():
                setattr(row, key, value)
            if areas is not None or also_areas is not None:
                self._set_areas(s, row, areas, also_areas, before, changes)
            self._ctx.touch(row)
            s.flush()
            self._ctx.audit(
                s,
                actor,
                "reactions.dossier_updated",
                row.id,
                fields=sorted(changes),
                # Names to redact are personal data: only say that they changed.
                before={k: v for k, v in before.items() if k != "redact_names"},
                after={k: v for k, v in changes.items() if k != "redact_names"},
            )
            return dossier_out(row)

    def _set_areas(
        self,
        s: Session,
        row: DossierRow,
        areas: list[str] | None,
        also_areas: list[str] | None,
        before: dict[str, object],
        changes: dict[str, object],
    ) -> None:
        current = [a.area_code for a in row.areas if a.kind != "also"]
        current_also = [a.area_code for a in row.areas if a.kind == "also"]
        main = current if areas is None else self._area_codes(s, areas, "areas")
        also = current_also if also_areas is None else self._area_codes(s, also_areas, "also_areas")
        also = [code for code in also if code not in main]
        before["areas"], before["also_areas"] = sorted(current), sorted(current_also)
        changes["areas"], changes["also_areas"] = sorted(main), sorted(also)
        wanted = dict.fromkeys(main, "main") | dict.fromkeys(also, "also")
        for area in list(row.areas):
            if area.area_code not in wanted:
                row.areas.remove(area)
            else:
                area.kind = wanted.pop(area.area_code)
        # Removed rows go first, so a code moved between the lists is not inserted twice.
        s.flush()
        for code, kind in wanted.items():
            row.areas.append(DossierAreaRow(area_code=code, kind=kind))

    def set_published(
        self,
        dossier_id: uuid.UUID,
        published: bool,
        *,
        actor: str,
        session: Session | None = None,
    ) -> Dossier:
        """Show the dossier to residents, or take it back (its pages then answer 404).
        Setting what is set already changes and audits nothing.

        Args:
            dossier_id: the dossier's id.
            published: True shows it, False hides it.
            actor: who does it (audit log).
            session: the host's SQLAlchemy session to work in (the library only
                flushes); without it the call commits on its own.

        Returns:
            Dossier: the dossier as it is now.

        Raises:
            DossierNotFound: ``dossier.not_found``, field ``dossier_id``.
            DatabaseUnavailable: ``db.unavailable``, the database could not be reached
                or stayed locked; nothing was written.
        """

        with self._ctx.p.unit_of_work(session) as s:
            row = self._ctx.dossier(s, dossier_id, lock=True)
            if row.published != published:
                row.published = published
                self._ctx.touch(row)
                s.flush()
                self._ctx.audit(
                    s,
                    actor,
                    "reactions.dossier_published" if published else "reactions.dossier_unpublished",
                    row.id,
                )
            return dossier_out(row)

    def add_document(
        self,
        dossier_id: uuid.UUID,
        data: DocumentIn,
        *,
        actor: str,
        session: Session | None = None,
    ) -> Document:
        """Add a link to a document elsewhere (stored files: ``upload_document``).

        Args:
            dossier_id: the dossier's id.
            data: the title, the URL and the publication date.
            actor: who does it (audit log).
            session: the host's SQLAlchemy session to work in (the library only
                flushes); without it the call commits on its own.

        Returns:
            Document: the new document (``stored`` False).

        Raises:
            InvalidInput: ``input.invalid``, field ``url``: not an allowed web address
                (https unless ``Settings.allow_http_links``).
            DossierNotFound: ``dossier.not_found``, field ``dossier_id``.
            DatabaseUnavailable: ``db.unavailable``, the database could not be reached
                or stayed locked; nothing was written.
        """

        require_allowed(data.url, allow_http=self._ctx.p.settings.allow_http_links, field="url")
        with self._ctx.p.unit_of_work(session) as s:
            row = self._ctx.dossier(s, dossier_id, lock=True)
            doc = DocumentRow(title=data.title, url=data.url, published_on=data.published_on)
            row.documents.append(doc)
            self._ctx.touch(row)
            s.flush()
            self._ctx.audit(s, actor, "reactions.document_added", row.id, title=data.title)
            return document_out(doc)

    def set_phase(
        self,
        dossier_id: uuid.UUID,
        data: PhaseIn,
        *,
        position: int | None = None,
        actor: str,
        session: Session | None = None,
    ) -> Phase:
        """Add a phase (no ``position``) or replace the one at ``position``; a delayed
        phase carries the reason and the expected date residents see.

        Args:
            dossier_id: the dossier's id.
            data: the name, planned date, status (``planned``, ``current``, ``done``,
                ``delayed``) and, when delayed, the reason and expected date.
            position: the phase to replace (1 is the first); None adds one at the end.
            actor: who does it (audit log).
            session: the host's SQLAlchemy session to work in (the library only
                flushes); without it the call commits on its own.

        Returns:
            Phase: the phase as stored.

        Raises:
            DossierNotFound: ``dossier.not_found``, field ``dossier_id``.
            NotFound: ``not_found``, field ``position``: no phase there.
            DatabaseUnavailable: ``db.unavailable``, the database could not be reached
                or stayed locked; nothing was written.
        """

        with self._ctx.p.unit_of_work(session) as s:
            row = self._ctx.dossier(s, dossier_id, lock=True)
            if position is None:
                phase = phase_row(len(row.phases) + 1, data)
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
                phase.expected_date = data.expected_date if data.status == "delayed" else None
            self._ctx.touch(row)
            s.flush()
            self._ctx.audit(
                s,
                actor,
                "reactions.phase_set",
                row.id,
                position=phase.position,
                name=phase.name,
                before=before,
                after={"status": phase.status, "planned_date": phase.planned_date},
                delay_reason=phase.delay_reason,
                expected_date=phase.expected_date,
            )
            return phase_out(phase)

    def start_round(
        self,
        dossier_id: uuid.UUID,
        *,
        label: str,
        period_start: date,
        period_end: date | None = None,
        actor: str,
        session: Session | None = None,
    ) -> Dossier:
        """A new round of reactions on the revised proposal; the previous round's answers
        must have been published. Its period defaults to ``period_weeks`` (Awb art.
        3:16), as the first round's.

        Args:
            dossier_id: the dossier's id.
            label: the round's name (``"Tweede ronde"``; required).
            period_start: the first day of the reaction period (a date).
            period_end: the last day; default ``period_start`` plus ``period_weeks``.
            actor: who does it (audit log).
            session: the host's SQLAlchemy session to work in (the library only
                flushes); without it the call commits on its own.

        Returns:
            Dossier: the dossier in its new round.

        Raises:
            InvalidInput: ``input.invalid``, field ``label`` (empty) or ``period_end``
                (before the start).
            DossierNotFound: ``dossier.not_found``, field ``dossier_id``.
            InvalidState: ``state.invalid``, field ``dossier_id``: the dossier is decided,
                or the current round's answers are not published.
            DatabaseUnavailable: ``db.unavailable``, the database could not be reached
                or stayed locked; nothing was written.
        """

        if not label.strip():
            raise InvalidInput("a round needs a label", field="label")
        end = _period_end(period_start, period_end, self._ctx.settings.period_weeks)
        with self._ctx.p.unit_of_work(session) as s:
            row = self._ctx.dossier(s, dossier_id, lock=True)
            if row.status != "open":
                raise InvalidState("the dossier is decided", field="dossier_id")
            current = self._ctx.round(row)
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
            self._ctx.touch(row)
            s.flush()
            self._ctx.audit(
                s,
                actor,
                "reactions.round_started",
                row.id,
                round=row.round,
                label=label,
                period_start=period_start,
                period_end=end,
            )
            return dossier_out(row)

    def record_decision(
        self,
        dossier_id: uuid.UUID,
        *,
        summary: str,
        actor: str,
        session: Session | None = None,
    ) -> Dossier:
        """The formal decision: closes the dossier and starts the retention period (contact
        details go ``Settings.reactions.contact_retention`` after it).

        Args:
            dossier_id: the dossier's id.
            summary: the decision in short (required).
            actor: who does it (audit log).
            session: the host's SQLAlchemy session to work in (the library only
                flushes); without it the call commits on its own.

        Returns:
            Dossier: the dossier in status ``decided``.

        Raises:
            InvalidInput: ``input.invalid``, field ``summary``: empty.
            DossierNotFound: ``dossier.not_found``, field ``dossier_id``.
            InvalidState: ``state.invalid``, field ``dossier_id``: decided already.
            DatabaseUnavailable: ``db.unavailable``, the database could not be reached
                or stayed locked; nothing was written.
        """

        if not summary.strip():
            raise InvalidInput("describe the decision", field="summary")
        with self._ctx.p.unit_of_work(session) as s:
            row = self._ctx.dossier(s, dossier_id, lock=True)
            if row.status == "decided":
                raise InvalidState("the dossier is decided already", field="dossier_id")
            row.status = "decided"
            row.decided_at = self._ctx.now()
            row.decision_summary = summary.strip()
            self._ctx.touch(row)
            s.flush()
            self._ctx.audit(s, actor, "reactions.decided", row.id, summary=row.decision_summary)
            return dossier_out(row)

    def get_dossier(self, dossier_id: uuid.UUID, *, session: Session | None = None) -> Dossier:
        """One dossier with its rounds, phases, documents and wijken.

        Args:
            dossier_id: the dossier's id.
            session: the host's SQLAlchemy session to read in; without it, one of its own.

        Returns:
            Dossier: as stored (also when not published).

        Raises:
            DossierNotFound: ``dossier.not_found``, field ``dossier_id``.
            DatabaseUnavailable: ``db.unavailable``, the database could not be reached
                or stayed locked; nothing was written.
        """

        with self._ctx.p.unit_of_work(session, readonly=True) as s:
            return dossier_out(self._ctx.dossier(s, dossier_id))

    def list_dossiers(self, *, session: Session | None = None) -> list[DossierSummary]:
        """Every dossier in short, oldest first.

        Args:
            session: the host's SQLAlchemy session to read in; without it, one of its own.

        Returns:
            list[DossierSummary]: id, title, status, published, the current round and the
            end of its period, the number of reactions and the last change.

        Raises:
            DatabaseUnavailable: ``db.unavailable``, the database could not be reached
                or stayed locked; nothing was written.
        """

        with self._ctx.p.unit_of_work(session, readonly=True) as s:
            counts = dict(
                s.execute(
                    select(ReactionRow.dossier_id, func.count()).group_by(ReactionRow.dossier_id)
                ).all()
            )
            out = []
            # The rounds of all dossiers in one more query, not one per dossier.
            query = (
                select(DossierRow)
                .options(selectinload(DossierRow.rounds))
                .order_by(DossierRow.created_at)
            )
            for row in s.execute(query).scalars():
                out.append(
                    DossierSummary(
                        id=row.id,
                        title=row.title,
                        status=row.status,
                        published=row.published,
                        round=row.round,
                        period_end=self._ctx.round(row).period_end,
                        reactions=int(counts.get(row.id, 0)),
                        updated_at=row.updated_at,
                    )
                )
            return out

    def find_dossier(self, key: str, *, session: Session | None = None) -> Dossier:
        """By id, or by a title (case-insensitive): for the command line.

        Args:
            key: the dossier's id as text, or its exact title.
            session: the host's SQLAlchemy session to read in; without it, one of its own.

        Returns:
            Dossier: the one dossier found.

        Raises:
            DossierNotFound: ``dossier.not_found``: no dossier with this id (field
                ``dossier_id``), or no title or more than one matches (field ``dossier``).
            DatabaseUnavailable: ``db.unavailable``, the database could not be reached
                or stayed locked; nothing was written.
        """

        with self._ctx.p.unit_of_work(session, readonly=True) as s:
            try:
                return dossier_out(self._ctx.dossier(s, uuid.UUID(key)))
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
            return dossier_out(rows[0])

    def remove_contacts(
        self, dossier_id: uuid.UUID, *, actor: str, session: Session | None = None
    ) -> int:
        """Remove the submitters' contact details; reactions, counts and wijk stay. The
        texts that quote them (reactions, points, theme summaries, answers and their
        versions, admissibility reasons) lose addresses, phone numbers and the names, as
        the public nota does, and the mail sent to them is erased (AVG art. 5(1)(e),
        storage limitation; the retention job does this after the decision).

        Args:
            dossier_id: the dossier's id.
            actor: who does it (audit log).
            session: the host's SQLAlchemy session to work in (the library only
                flushes); without it the call commits on its own.

        Returns:
            int: the number of submitters cleared (0 when done before).

        Raises:
            DossierNotFound: ``dossier.not_found``, field ``dossier_id``.
            DatabaseUnavailable: ``db.unavailable``, the database could not be reached
                or stayed locked; nothing was written.
        """

        with self._ctx.p.unit_of_work(session) as s:
            dossier = self._ctx.dossier(s, dossier_id, lock=True)
            count = retention.remove_contacts(s, dossier, self._ctx.now(), self._ctx.p.outbox)
            self._ctx.audit(s, actor, "reactions.contacts_removed", dossier.id, submitters=count)
            return count
