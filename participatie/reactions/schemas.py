"""Public types of the reactions module: what goes in and what comes out (pydantic).

ORM rows never leave the module; these models are what hosts, the CLI and the web see.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from participatie.urls import ExternalUrl

Channel = Literal["web", "email", "letter", "paper", "oral"]
CHANNELS: tuple[Channel, ...] = ("web", "email", "letter", "paper", "oral")
Outcome = Literal["honoured", "partially_honoured", "not_honoured", "noted", "out_of_scope"]
OUTCOMES: tuple[Outcome, ...] = (
    "honoured",
    "partially_honoured",
    "not_honoured",
    "noted",
    "out_of_scope",
)
#: How a target is counted: calendar days (a last day on a weekend or holiday moves to
#: the next working day, Algemene termijnenwet art. 1), working days, or calendar weeks
#: (the same rule for the last day).
DayCount = Literal["calendar", "working", "weeks"]
DAY_COUNTS: tuple[DayCount, ...] = ("calendar", "working", "weeks")
PhaseStatus = Literal["planned", "current", "done", "delayed"]
DispatchKind = Literal["acknowledgement", "feedback", "delay"]
DispatchChannel = Literal["email", "letter", "publication"]

#: Dutch labels for residents and the nota; English ones in ``OUTCOME_LABELS_EN``.
OUTCOME_LABELS_NL: dict[str, str] = {
    "honoured": "Gehonoreerd",
    "partially_honoured": "Deels gehonoreerd",
    "not_honoured": "Niet gehonoreerd",
    "noted": "Kennisgenomen",
    "out_of_scope": "Buiten reikwijdte",
}
OUTCOME_LABELS_EN: dict[str, str] = {
    "honoured": "Honoured",
    "partially_honoured": "Partially honoured",
    "not_honoured": "Not honoured",
    "noted": "Noted",
    "out_of_scope": "Out of scope",
}
#: The conclusions in plain words (B1) for residents: feedback mails, letters and the
#: result page. The formal terms above stay in the nota, whose legend gives both.
OUTCOME_WORDS_NL: dict[str, str] = {
    "honoured": "Overgenomen",
    "partially_honoured": "Deels overgenomen",
    "not_honoured": "Niet overgenomen",
    "noted": "Gelezen, geen wijziging nodig",
    "out_of_scope": "Gaat niet over dit plan",
}
OUTCOME_WORDS_EN: dict[str, str] = {
    "honoured": "Taken on",
    "partially_honoured": "Partly taken on",
    "not_honoured": "Not taken on",
    "noted": "Read, no change needed",
    "out_of_scope": "Not about this plan",
}
CHANNEL_LABELS_NL: dict[str, str] = {
    "web": "Webformulier",
    "email": "E-mail",
    "letter": "Brief",
    "paper": "Papieren formulier (informatiemarkt)",
    "oral": "Mondeling (verslag)",
}


class _In(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True, extra="forbid")


class DocumentIn(_In):
    title: str = Field(min_length=1, max_length=255)
    url: ExternalUrl
    published_on: date


class Document(BaseModel):
    """A link to a document elsewhere (``url``), or a file the library stores (``stored``:
    then ``url`` is empty and the file is served at the dossier's document path)."""

    id: uuid.UUID
    title: str
    url: str
    published_on: date
    stored: bool = False
    filename: str | None = None
    content_type: str | None = None
    #: Bytes.
    size: int | None = None
    #: SHA-256 of the stored file, hex.
    sha256: str | None = None


class PhaseIn(_In):
    name: str = Field(min_length=1, max_length=255)
    planned_date: date
    status: PhaseStatus = "planned"
    #: Shown to residents; required when the phase is delayed.
    delay_reason: str | None = Field(default=None, max_length=2000)
    #: The date now expected; required when the phase is delayed (residents see it).
    expected_date: date | None = None

    @model_validator(mode="after")
    def _reason(self) -> PhaseIn:
        if self.status == "delayed" and not self.delay_reason:
            raise ValueError("a delayed phase needs a delay_reason shown to residents")
        if self.status == "delayed" and self.expected_date is None:
            raise ValueError("a delayed phase needs an expected_date shown to residents")
        return self


class Phase(BaseModel):
    id: uuid.UUID
    position: int
    name: str
    planned_date: date
    status: PhaseStatus
    delay_reason: str | None
    expected_date: date | None = None


#: The label of a first round nobody named: shown in the reader's language on the pages.
DEFAULT_ROUND_LABEL = "Eerste ronde"


class DossierIn(_In):
    title: str = Field(min_length=1, max_length=255)
    #: Plain-language summary for residents.
    summary: str = Field(min_length=1, max_length=20_000)
    #: Procedure text for the introduction of the nota.
    procedure: str = Field(default="", max_length=20_000)
    responsible_official: str = Field(min_length=1, max_length=255)
    responsible_email: str = Field(min_length=3, max_length=254)
    areas: list[str] = Field(default_factory=list)
    #: Other wijken the plan affects ("ook van belang voor").
    also_areas: list[str] = Field(default_factory=list)
    #: Reports of meetings (information evenings and markets), for residents.
    meeting_reports: str = Field(default="", max_length=100_000)
    #: Residents may react through the web form.
    reaction_form: bool = True
    #: Shown to residents at once (the back office makes drafts: False).
    published: bool = True
    period_start: date
    #: Default: ``period_start`` plus the setting ``period_weeks`` (Awb art. 3:16).
    period_end: date | None = None
    round_label: str = Field(default=DEFAULT_ROUND_LABEL, max_length=255)
    #: The count of each target, in units of its kind (days or weeks).
    acknowledgement_days: int | None = Field(default=None, ge=0, le=365)
    answer_days: int | None = Field(default=None, ge=1, le=730)
    #: The kind of both targets at once (kept for callers from before the two kinds).
    day_count: DayCount | None = None
    acknowledgement_day_count: DayCount | None = None
    answer_day_count: DayCount | None = None
    documents: list[DocumentIn] = Field(default_factory=list)
    phases: list[PhaseIn] = Field(default_factory=list)


class DossierUpdate(_In):
    """Fields left ``None`` keep their value."""

    title: str | None = Field(default=None, min_length=1, max_length=255)
    summary: str | None = Field(default=None, min_length=1, max_length=20_000)
    procedure: str | None = Field(default=None, max_length=20_000)
    responsible_official: str | None = Field(default=None, min_length=1, max_length=255)
    responsible_email: str | None = Field(default=None, min_length=3, max_length=254)
    #: Changes the municipality made on its own initiative (nota chapter).
    own_changes: list[str] | None = None
    conclusion: str | None = Field(default=None, max_length=20_000)
    #: Names a reviewer marked for redaction in the public nota.
    redact_names: list[str] | None = None
    meeting_reports: str | None = Field(default=None, max_length=100_000)
    reaction_form: bool | None = None
    #: Wijk codes: the dossier's own and those it also affects (replace the lists).
    areas: list[str] | None = None
    also_areas: list[str] | None = None
    #: Targets of reactions received from now on (earlier ones keep their dates).
    acknowledgement_days: int | None = Field(default=None, ge=0, le=365)
    answer_days: int | None = Field(default=None, ge=1, le=730)
    acknowledgement_day_count: DayCount | None = None
    answer_day_count: DayCount | None = None


class Round(BaseModel):
    number: int
    label: str
    period_start: date
    period_end: date
    published_at: datetime | None


class Dossier(BaseModel):
    id: uuid.UUID
    title: str
    summary: str
    procedure: str
    responsible_official: str
    responsible_email: str
    areas: list[str]
    also_areas: list[str] = Field(default_factory=list)
    meeting_reports: str = ""
    reaction_form: bool = True
    published: bool = True
    status: Literal["open", "decided"]
    round: int
    round_label: str
    period_start: date
    period_end: date
    acknowledgement_days: int
    answer_days: int
    acknowledgement_day_count: DayCount
    answer_day_count: DayCount
    documents: list[Document]
    phases: list[Phase]
    rounds: list[Round]
    own_changes: list[str]
    conclusion: str
    redact_names: list[str]
    created_at: datetime
    updated_at: datetime
    decided_at: datetime | None
    decision_summary: str | None
    contacts_removed_at: datetime | None


class DossierSummary(BaseModel):
    id: uuid.UUID
    title: str
    status: str
    published: bool = True
    round: int
    period_end: date
    reactions: int
    updated_at: datetime


class SubmitterIn(_In):
    name: str | None = Field(default=None, max_length=255)
    email: str | None = Field(default=None, max_length=254)
    street: str | None = Field(default=None, max_length=255)
    house_number: str | None = Field(default=None, max_length=20)
    postcode: str | None = Field(default=None, max_length=10)
    city: str | None = Field(default=None, max_length=255)
    phone: str | None = Field(default=None, max_length=40)
    #: Consent to store the contact details for this dossier's feedback.
    consent: bool = True
    locale: Literal["nl", "en"] = "nl"

    @field_validator("name", "email", "street", "house_number", "postcode", "city", "phone")
    @classmethod
    def _blank_is_none(cls, value: str | None) -> str | None:
        return value or None


class ReactionIn(_In):
    """A reaction registered by staff (any channel) or sent through the web form."""

    channel: Channel = "web"
    text: str = Field(max_length=100_000)
    submitters: list[SubmitterIn] = Field(default_factory=list)
    #: Default: now. Staff enter the date a letter or form came in.
    received_at: datetime | None = None
    #: Letters: the postmark decides timeliness (Awb art. 6:9).
    postmark_date: date | None = None
    #: Oral reactions: the official who wrote the report.
    reported_by: str | None = Field(default=None, max_length=255)
    #: Form number, letter registration number, ...
    external_ref: str | None = Field(default=None, max_length=100)
    #: Points the reaction is split into at intake (optional; can be done later).
    points: list[PointIn] = Field(default_factory=list)


class Reaction(BaseModel):
    """A reaction without personal data: that lives with the submitters."""

    id: uuid.UUID
    dossier_id: uuid.UUID
    number: int
    round: int
    channel: Channel
    text: str
    received_at: datetime
    postmark_date: date | None
    late: bool
    admissible: bool | None
    admissibility_reason: str | None
    acknowledgement_due: date
    answer_due: date
    answer_target: date
    acknowledged_at: datetime | None
    answered_at: datetime | None
    signatories: int
    external_ref: str | None


class Submitter(BaseModel):
    """Personal data of one signatory: only in the internal annex and the letters."""

    id: uuid.UUID
    #: The reaction signed (``reaction_number`` is for display).
    reaction_id: uuid.UUID
    reaction_number: int
    position: int
    name: str | None
    email: str | None
    street: str | None
    house_number: str | None
    postcode: str | None
    city: str | None
    phone: str | None
    consent: bool
    locale: str


class SubmitterRecord(BaseModel):
    """One reaction a resident signed, with what is stored about them (access request)."""

    dossier_id: uuid.UUID
    dossier_title: str
    received_at: datetime
    channel: str
    submitter: Submitter


class ThemeIn(_In):
    code: str = Field(min_length=1, max_length=50)
    title: str = Field(min_length=1, max_length=255)
    summary: str = Field(default="", max_length=20_000)

    @field_validator("code")
    @classmethod
    def _code(cls, value: str) -> str:
        return value.lower()


class Theme(BaseModel):
    id: uuid.UUID
    code: str
    number: int
    title: str
    summary: str
    round: int
    assessor: str | None
    points: int
    reactions: int


class PointIn(_In):
    text: str = Field(min_length=1, max_length=20_000)
    theme: str | None = None


class Point(BaseModel):
    id: uuid.UUID
    reaction_id: uuid.UUID
    reaction_number: int
    position: int
    text: str
    theme: str | None
    assessor: str | None


class AnswerIn(_In):
    """An answer to a theme (``theme``) or to one point (``point_id``)."""

    theme: str | None = None
    point_id: uuid.UUID | None = None
    outcome: str
    motivation: str = Field(min_length=1, max_length=20_000)
    changes_plan: bool = False
    change_reference: str | None = Field(default=None, max_length=1000)

    @model_validator(mode="after")
    def _target(self) -> AnswerIn:
        if (self.theme is None) == (self.point_id is None):
            raise ValueError("give either theme or point_id")
        return self


class Answer(BaseModel):
    id: uuid.UUID
    theme: str | None
    point_id: uuid.UUID | None
    outcome: Outcome
    motivation: str
    changes_plan: bool
    change_reference: str | None
    version: int
    #: draft -> ready (offered for review) -> approved (by another person) -> published.
    status: Literal["draft", "ready", "approved", "published"]
    updated_at: datetime
    updated_by: str
    ready_by: str | None = None
    ready_at: datetime | None = None
    approved_by: str | None = None
    approved_at: datetime | None = None


class AnswerVersion(BaseModel):
    version: int
    outcome: Outcome
    motivation: str
    changes_plan: bool
    change_reference: str | None
    changed_at: datetime
    changed_by: str


class AnswerTemplate(BaseModel):
    name: str
    text: str
    placeholders: list[str]


class ReceivedReaction(BaseModel):
    """What the intake returns: the number to quote and the deadlines."""

    reaction: Reaction
    acknowledgement_emails: int
    #: True when the same form came in again (same dossier, channel, text and first
    #: submitter within 30 minutes): ``reaction`` is the one received before, and nothing
    #: new was stored or sent.
    duplicate: bool = False


class ImportRowError(BaseModel):
    row: int
    field: str | None
    reason: str


class ImportReport(BaseModel):
    rows: int
    imported: int
    #: The reactions made, by id, in row order.
    reaction_ids: list[uuid.UUID]
    #: Their numbers, for display (the numbers to quote on the acknowledgements).
    numbers: list[int]
    errors: list[ImportRowError]


class Dispatch(BaseModel):
    """One acknowledgement, feedback or delay notice, to one submitter of one reaction."""

    id: uuid.UUID
    #: The reaction it was about (``reaction_number`` is for display).
    reaction_id: uuid.UUID
    reaction_number: int
    #: The submitter it went to (``Submitter.id``); ``None`` once the contact details
    #: were removed under the retention rules.
    submitter_id: uuid.UUID | None
    kind: DispatchKind
    channel: DispatchChannel
    sent_at: datetime
    sha256: str
    document: str | None


class LetterBatch(BaseModel):
    #: The kind asked for; None when every waiting letter was printed (of any kind).
    kind: DispatchKind | None
    #: Letters per kind in this batch.
    per_kind: dict[str, int] = Field(default_factory=dict)
    letters: int
    files: list[str]
    print_file: str | None
    pdf_file: str | None


class PublishResult(BaseModel):
    answers: int
    reactions: int
    emails: int
    letters_due: int
    by_publication: int
    not_reachable: int


class Extension(BaseModel):
    reactions: int
    new_due: date
    emails: int
    letters_due: int


class ExtensionPreview(BaseModel):
    """What an extension would do, before it is made: the reactions it moves, how many
    e-mails and letters the delay notice takes, and the notice as the first submitter
    with an e-mail address gets it (None when nobody has one)."""

    reactions: int
    #: The reactions moved, by id (for :meth:`extend_answer_deadline`'s ``reaction_ids``).
    reaction_ids: list[uuid.UUID]
    #: The same reactions' numbers, for display.
    numbers: list[int]
    new_due: date
    emails: int
    letters: int
    mail_subject: str | None
    mail_body: str | None


class OverdueItem(BaseModel):
    dossier_id: uuid.UUID
    dossier_title: str
    reaction_id: uuid.UUID
    number: int
    kind: Literal["acknowledgement", "answer"]
    due: date
    days_overdue: int
    level: int


class Stats(BaseModel):
    reactions: int
    signatories: int
    per_channel: dict[str, int]
    on_time: int
    late: int
    admissible: int
    not_admissible: int
    points: int
    themes: int
    per_theme: dict[str, int]
    per_outcome: dict[str, int]
    share_honoured: float
    share_honoured_at_least_partly: float
    plan_changes: int
    acknowledged: int
    acknowledged_on_time: float
    answered: int
    #: Share of reactions answered within the date first promised.
    answered_on_time: float
    #: Share answered within the date in force (after extensions).
    answered_by_extended_date: float
    #: Reactions whose answer date was extended.
    extended: int
    notified_by_email: int
    letters: int
    letters_by_kind: dict[str, int]
    #: Signatories per wijk (area code; "" for those without a known postcode).
    per_area: dict[str, int] = Field(default_factory=dict)


class ReactionLine(BaseModel):
    """One reaction on the assessment overview: enough to choose what to do next."""

    reaction_id: uuid.UUID
    #: For display; address the reaction by ``reaction_id``.
    number: int
    channel: Channel
    received_at: datetime
    late: bool
    admissible: bool | None
    signatories: int
    #: The start of the text (at most 160 characters).
    excerpt: str
    points: int
    #: Points without an answer of their own or of their theme.
    unanswered: int


class NoticePreview(BaseModel):
    """One notice that publishing will send: by e-mail, as a letter, or by publication."""

    reaction_id: uuid.UUID
    reaction_number: int
    channel: DispatchChannel
    recipient: str
    subject: str
    text: str


class PublicationPreview(BaseModel):
    """What ``publish_answers`` would send now, counted and shown one by one."""

    answers: int
    reactions: int
    emails: int
    letters: int
    by_publication: int
    not_reachable: int
    notices: list[NoticePreview]


class NotaRow(BaseModel):
    nr: str
    title: str
    summary: str
    reactions: list[int]
    answer: str
    outcome: Outcome
    outcome_label: str
    changes_plan: bool
    change_reference: str | None


class NotaAnnexRow(BaseModel):
    reaction: int
    channel: str
    received: date
    late: bool
    submitters: list[Submitter]


class Nota(BaseModel):
    dossier_id: uuid.UUID
    title: str
    organisation: str
    internal: bool
    round: int
    round_label: str
    summary: str
    procedure: str
    period_start: date
    period_end: date
    published_at: datetime | None
    per_channel: dict[str, int]
    reactions: int
    on_time: int
    late: int
    admissible: int
    not_admissible: int
    rows: list[NotaRow]
    own_changes: list[str]
    changes: list[str]
    conclusion: str
    annex: list[NotaAnnexRow]
    sha256: str


class ArchiveManifest(BaseModel):
    dossier_id: uuid.UUID
    created_at: datetime
    files: dict[str, str]
    path: str


ReactionIn.model_rebuild()


__all__ = [
    "CHANNELS",
    "CHANNEL_LABELS_NL",
    "DEFAULT_ROUND_LABEL",
    "OUTCOMES",
    "OUTCOME_LABELS_EN",
    "OUTCOME_LABELS_NL",
    "OUTCOME_WORDS_EN",
    "OUTCOME_WORDS_NL",
    "Answer",
    "AnswerIn",
    "AnswerTemplate",
    "AnswerVersion",
    "ArchiveManifest",
    "Channel",
    "DayCount",
    "Dispatch",
    "DispatchChannel",
    "DispatchKind",
    "Document",
    "DocumentIn",
    "Dossier",
    "DossierIn",
    "DossierSummary",
    "DossierUpdate",
    "Extension",
    "ExtensionPreview",
    "ImportReport",
    "ImportRowError",
    "LetterBatch",
    "Nota",
    "NoticePreview",
    "Outcome",
    "OverdueItem",
    "Phase",
    "PhaseIn",
    "PhaseStatus",
    "Point",
    "PointIn",
    "PublicationPreview",
    "PublishResult",
    "Reaction",
    "ReactionIn",
    "ReactionLine",
    "ReceivedReaction",
    "Round",
    "Stats",
    "Submitter",
    "SubmitterIn",
    "SubmitterRecord",
    "Theme",
    "ThemeIn",
]
