"""Tables of the reactions module (internal: nothing here leaves the module).

Personal data (submitters) sits in its own table, apart from the content of a reaction, so
it can be removed after the decision while the anonymised record stays.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    true,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from participatie.db import Base, IdMixin, LongText, exact_string


class DossierRow(IdMixin, Base):
    __tablename__ = "participatie_reactions_dossier"

    title: Mapped[str] = mapped_column(String(255))
    summary: Mapped[str] = mapped_column(LongText)
    procedure: Mapped[str] = mapped_column(LongText, default="")
    responsible_official: Mapped[str] = mapped_column(String(255))
    responsible_email: Mapped[str] = mapped_column(String(254))
    status: Mapped[str] = mapped_column(String(16), default="open", index=True)
    round: Mapped[int] = mapped_column(Integer, default=1)
    acknowledgement_days: Mapped[int] = mapped_column(Integer)
    answer_days: Mapped[int] = mapped_column(Integer)
    #: How each target is counted: "calendar" or "working" days, or "weeks".
    acknowledgement_day_count: Mapped[str] = mapped_column(String(16), server_default="calendar")
    answer_day_count: Mapped[str] = mapped_column(String(16), server_default="calendar")
    #: Shown to residents (a dossier made in the back office starts as a draft).
    published: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    #: Whether residents may react through the web form.
    reaction_form: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    #: Reports of meetings (information evenings, markets), plain text for residents.
    meeting_reports: Mapped[str | None] = mapped_column(LongText)
    next_number: Mapped[int] = mapped_column(Integer, default=1)
    own_changes: Mapped[list[Any]] = mapped_column(JSON, default=list)
    conclusion: Mapped[str] = mapped_column(LongText, default="")
    redact_names: Mapped[list[Any]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime] = mapped_column(index=True)
    decided_at: Mapped[datetime | None]
    decision_summary: Mapped[str | None] = mapped_column(Text)
    contacts_removed_at: Mapped[datetime | None]

    rounds: Mapped[list[RoundRow]] = relationship(
        order_by="RoundRow.number", cascade="all, delete-orphan", lazy="select"
    )
    documents: Mapped[list[DocumentRow]] = relationship(
        order_by="DocumentRow.published_on", cascade="all, delete-orphan", lazy="select"
    )
    phases: Mapped[list[PhaseRow]] = relationship(
        order_by="PhaseRow.position", cascade="all, delete-orphan", lazy="select"
    )
    areas: Mapped[list[DossierAreaRow]] = relationship(cascade="all, delete-orphan", lazy="select")


class RoundRow(IdMixin, Base):
    __tablename__ = "participatie_reactions_round"
    __table_args__ = (UniqueConstraint("dossier_id", "number"),)

    dossier_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("participatie_reactions_dossier.id", ondelete="CASCADE")
    )
    number: Mapped[int] = mapped_column(Integer)
    label: Mapped[str] = mapped_column(String(255))
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    published_at: Mapped[datetime | None]


class DocumentRow(IdMixin, Base):
    __tablename__ = "participatie_reactions_document"

    dossier_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("participatie_reactions_dossier.id", ondelete="CASCADE"), index=True
    )
    title: Mapped[str] = mapped_column(String(255))
    #: A link elsewhere (``https:``), or "" for a file the library stores.
    url: Mapped[str] = mapped_column(Text)
    published_on: Mapped[date] = mapped_column(Date)
    #: A stored file: its key in the document store, name, sniffed type, size, digest.
    storage_key: Mapped[str | None] = mapped_column(String(255))
    filename: Mapped[str | None] = mapped_column(String(255))
    content_type: Mapped[str | None] = mapped_column(String(100))
    size: Mapped[int | None] = mapped_column(BigInteger)
    sha256: Mapped[str | None] = mapped_column(String(64))


class PhaseRow(IdMixin, Base):
    __tablename__ = "participatie_reactions_phase"

    dossier_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("participatie_reactions_dossier.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(255))
    planned_date: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16))
    delay_reason: Mapped[str | None] = mapped_column(Text)
    #: A delayed phase's expected new date (residents see it with the reason).
    expected_date: Mapped[date | None] = mapped_column(Date)


class DossierAreaRow(IdMixin, Base):
    __tablename__ = "participatie_reactions_dossier_area"
    __table_args__ = (UniqueConstraint("dossier_id", "area_code"),)

    dossier_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("participatie_reactions_dossier.id", ondelete="CASCADE")
    )
    area_code: Mapped[str] = mapped_column(String(50), index=True)
    #: "main": the dossier is about this wijk; "also": the wijk is affected too.
    kind: Mapped[str] = mapped_column(String(8), default="main", server_default="main")


class ReactionRow(IdMixin, Base):
    __tablename__ = "participatie_reactions_reaction"
    __table_args__ = (
        UniqueConstraint("dossier_id", "number"),
        Index(None, "dossier_id", "round"),
        Index(None, "dossier_id", "external_ref"),
        Index(None, "answered_at", "answer_due"),
        Index(None, "acknowledged_at", "acknowledgement_due"),
    )

    dossier_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("participatie_reactions_dossier.id", ondelete="CASCADE")
    )
    number: Mapped[int] = mapped_column(Integer)
    round: Mapped[int] = mapped_column(Integer)
    channel: Mapped[str] = mapped_column(String(16))
    text: Mapped[str] = mapped_column(LongText)
    received_at: Mapped[datetime]
    postmark_date: Mapped[date | None] = mapped_column(Date)
    reported_by: Mapped[str | None] = mapped_column(String(255))
    external_ref: Mapped[str | None] = mapped_column(String(100))
    late: Mapped[bool] = mapped_column(Boolean, default=False)
    admissible: Mapped[bool | None] = mapped_column(Boolean)
    admissibility_reason: Mapped[str | None] = mapped_column(Text)
    acknowledgement_due: Mapped[date] = mapped_column(Date)
    answer_due: Mapped[date] = mapped_column(Date)
    #: The answer date first promised; ``answer_due`` moves with an extension.
    answer_target: Mapped[date] = mapped_column(Date)
    acknowledged_at: Mapped[datetime | None]
    answered_at: Mapped[datetime | None]
    signatories: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(255))


class SubmitterRow(IdMixin, Base):
    """Personal data: cleared by the retention job, the row itself stays (counts)."""

    __tablename__ = "participatie_reactions_submitter"
    __table_args__ = (UniqueConstraint("reaction_id", "position"),)

    reaction_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("participatie_reactions_reaction.id", ondelete="CASCADE")
    )
    dossier_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("participatie_reactions_dossier.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer)
    name: Mapped[str | None] = mapped_column(String(255))
    email: Mapped[str | None] = mapped_column(String(254))
    street: Mapped[str | None] = mapped_column(String(255))
    house_number: Mapped[str | None] = mapped_column(String(20))
    postcode: Mapped[str | None] = mapped_column(String(10))
    city: Mapped[str | None] = mapped_column(String(255))
    phone: Mapped[str | None] = mapped_column(String(40))
    consent: Mapped[bool] = mapped_column(Boolean, default=True)
    locale: Mapped[str] = mapped_column(String(8), default="nl")
    #: The wijk of the postcode, kept after the contact details are removed.
    area_code: Mapped[str | None] = mapped_column(String(50))
    removed_at: Mapped[datetime | None]


class ThemeRow(IdMixin, Base):
    __tablename__ = "participatie_reactions_theme"
    __table_args__ = (UniqueConstraint("dossier_id", "code"),)

    dossier_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("participatie_reactions_dossier.id", ondelete="CASCADE")
    )
    code: Mapped[str] = mapped_column(String(50))
    number: Mapped[int] = mapped_column(Integer)
    round: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(255))
    summary: Mapped[str] = mapped_column(LongText, default="")
    assessor: Mapped[str | None] = mapped_column(String(255))


class PointRow(IdMixin, Base):
    __tablename__ = "participatie_reactions_point"
    __table_args__ = (UniqueConstraint("reaction_id", "position"),)

    reaction_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("participatie_reactions_reaction.id", ondelete="CASCADE")
    )
    dossier_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("participatie_reactions_dossier.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(LongText)
    theme_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("participatie_reactions_theme.id", ondelete="SET NULL"), index=True
    )
    assessor: Mapped[str | None] = mapped_column(String(255))


class AnswerRow(IdMixin, Base):
    """The current text of an answer; every version is kept in AnswerVersionRow."""

    __tablename__ = "participatie_reactions_answer"

    dossier_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("participatie_reactions_dossier.id", ondelete="CASCADE"), index=True
    )
    theme_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("participatie_reactions_theme.id", ondelete="CASCADE"), unique=True
    )
    point_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("participatie_reactions_point.id", ondelete="CASCADE"), unique=True
    )
    outcome: Mapped[str] = mapped_column(String(32))
    motivation: Mapped[str] = mapped_column(LongText)
    changes_plan: Mapped[bool] = mapped_column(Boolean, default=False)
    change_reference: Mapped[str | None] = mapped_column(Text)
    #: draft -> ready (for review) -> approved (by another person) -> published.
    status: Mapped[str] = mapped_column(String(16), default="draft")
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    updated_at: Mapped[datetime]
    updated_by: Mapped[str] = mapped_column(String(255))
    #: Who offered this version for review, and when.
    ready_by: Mapped[str | None] = mapped_column(String(255))
    ready_at: Mapped[datetime | None]
    #: Who approved this version (never its writer: the four-eyes rule), and when.
    approved_by: Mapped[str | None] = mapped_column(String(255))
    approved_at: Mapped[datetime | None]

    # The UPDATE carries "WHERE version = <read>": a concurrent writer's change is never
    # overwritten, the second writer gets StaleDataError -> StaleUpdate.
    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012


class AnswerVersionRow(IdMixin, Base):
    __tablename__ = "participatie_reactions_answer_version"
    __table_args__ = (UniqueConstraint("answer_id", "version"),)

    answer_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("participatie_reactions_answer.id", ondelete="CASCADE")
    )
    version: Mapped[int] = mapped_column(Integer)
    outcome: Mapped[str] = mapped_column(String(32))
    motivation: Mapped[str] = mapped_column(LongText)
    changes_plan: Mapped[bool] = mapped_column(Boolean)
    change_reference: Mapped[str | None] = mapped_column(Text)
    changed_at: Mapped[datetime]
    changed_by: Mapped[str] = mapped_column(String(255))


class AnswerTemplateRow(IdMixin, Base):
    __tablename__ = "participatie_reactions_answer_template"
    __table_args__ = (UniqueConstraint("dossier_id", "name"),)

    dossier_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("participatie_reactions_dossier.id", ondelete="CASCADE")
    )
    name: Mapped[str] = mapped_column(exact_string(100))
    text: Mapped[str] = mapped_column(LongText)


class DispatchRow(IdMixin, Base):
    """One acknowledgement, feedback or delay notice to one submitter; never twice."""

    __tablename__ = "participatie_reactions_dispatch"

    dossier_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("participatie_reactions_dossier.id", ondelete="CASCADE"), index=True
    )
    reaction_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("participatie_reactions_reaction.id", ondelete="CASCADE"), index=True
    )
    submitter_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("participatie_reactions_submitter.id", ondelete="SET NULL")
    )
    kind: Mapped[str] = mapped_column(String(16))
    channel: Mapped[str] = mapped_column(String(16))
    #: "pending" for a letter still to print, "sent" once generated or queued,
    #: "superseded" for a delay letter the answer replaced before it was printed.
    status: Mapped[str] = mapped_column(String(16), index=True)
    dedupe_key: Mapped[str] = mapped_column(String(200), unique=True)
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]
    sha256: Mapped[str | None] = mapped_column(String(64))
    document: Mapped[str | None] = mapped_column(String(255))
    outbox_id: Mapped[uuid.UUID | None]
    #: Extra context for the letter (a delay notice's new date and reason).
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class ExtensionRow(IdMixin, Base):
    __tablename__ = "participatie_reactions_extension"

    dossier_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("participatie_reactions_dossier.id", ondelete="CASCADE"), index=True
    )
    new_due: Mapped[date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(Text)
    reactions: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(255))
