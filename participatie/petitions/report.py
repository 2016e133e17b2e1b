"""Reports of the petitions module: statistics, the hand-over list (Excel CSV, streamed),
the hand-over document (HTML, PDF) carrying the SHA-256 of that list, and public JSON.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime, tzinfo
from typing import TYPE_CHECKING, Any

from sqlalchemy import DateTime, String, func, select, type_coerce
from sqlalchemy.orm import Session

from participatie.areas import AreaRow
from participatie.errors import InvalidInput
from participatie.exports import csv_cell, deterministic_json, sha256_bytes, write_excel_csv
from participatie.exports.files import Output, binary_output
from participatie.exports.rows import raw_rows
from participatie.formatting import format_day, format_moment
from participatie.petitions import tally
from participatie.petitions.models import (
    SIGNATURE_STATES,
    VERIFIED,
    MilestoneRow,
    PaperBatchRow,
    PetitionRow,
    SignatureRow,
)
from participatie.petitions.schemas import (
    AreaCount,
    DayCount,
    DeskStats,
    ExportResult,
    HandoverDocument,
    Petition,
    PublicStats,
)
from participatie.petitions.statements import Numbers

if TYPE_CHECKING:
    from participatie.engine import Participatie

CSV_HEADER = ("nr", "naam", "postcode", "wijk", "bevestigd_op", "naam_openbaar")


def desk_stats(
    p: Participatie,
    s: Session,
    row: PetitionRow,
    numbers: Numbers | None = None,
    counted: tally.Tallies | None = None,
) -> DeskStats:
    """The petition's counts from the counter shards, the tally and the paper batches.

    ``numbers`` and ``counted`` when the caller read them already (the public page reads
    them once for several parts). The wijken's names are not asked for when no count has
    a wijk, the milestones not while no threshold was reached, and, when ``numbers`` is
    given, the paper per wijk not when there is no paper.
    """

    pid = row.id
    # The tally (counts per state, wijk and day kept in step with the rows) serves the
    # states, the wijken and the days; the headline figure comes from the counter shards.
    # Neither reads a signature, so the page costs the same at 100 or 100,000 of them.
    if counted is None:
        counted = tally.read(s, pid)
    states = dict.fromkeys(SIGNATURE_STATES, 0)
    states.update(counted.states)
    online = counted.areas
    days = counted.days
    verified = p.petitions.core.verified(s, pid) if numbers is None else numbers.verified
    paper: dict[str | None, int] = {}
    if numbers is None or numbers.paper:
        paper = {
            code: int(n or 0)
            for code, n in s.execute(
                select(PaperBatchRow.area_code, func.sum(PaperBatchRow.count))
                .where(PaperBatchRow.petition_id == pid)
                .group_by(PaperBatchRow.area_code)
            )
        }
    codes = sorted(set(online) | set(paper), key=lambda c: (c is None, c or ""))
    names = area_names(s) if any(codes) else {}
    per_area = [
        AreaCount(
            area=code,
            name=names.get(code) if code else None,
            online=online.get(code, 0),
            paper=paper.get(code, 0),
            total=online.get(code, 0) + paper.get(code, 0),
        )
        for code in codes
    ]
    per_day = [DayCount(day=day, verified=n) for day, n in sorted(days.items())]
    # A milestone is recorded in the transaction that raises ``reached_threshold``:
    # while that is 0, there is none to read.
    reached: list[int] = []
    if row.reached_threshold:
        reached = list(
            s.execute(
                select(MilestoneRow.threshold)
                .where(MilestoneRow.petition_id == pid)
                .order_by(MilestoneRow.threshold)
            ).scalars()
        )
    paper_total = sum(paper.values())
    return DeskStats(
        petition_id=pid,
        title=row.title,
        status=row.status,
        verified=verified,
        paper=paper_total,
        total=verified + paper_total,
        per_area=per_area,
        per_day=per_day,
        thresholds=[int(t) for t in row.thresholds or []],
        thresholds_reached=reached,
        closes_at=row.closes_at,
        pending=states["pending"],
        fraudulent=states["fraudulent"],
        invalidated=states["invalidated"],
        withdrawn=states["withdrawn"],
    )


_AREA_NAMES = select(AreaRow.code, AreaRow.name)


def area_names(s: Session) -> dict[str, str]:
    """Every wijk's code and name (the ranges are not read)."""

    return {str(code): str(name) for code, name in s.connection().execute(_AREA_NAMES)}


def public_json(stats: PublicStats) -> bytes:
    return deterministic_json(stats.model_dump(mode="json"))


def _local(p: Participatie, moment: datetime | None) -> str:
    if moment is None:
        return ""
    return format_moment(moment, "nl", p.settings.zone)


def _cell_time(zone: tzinfo, moment: datetime) -> str:
    """A spreadsheet cell: "YYYY-MM-DD HH:MM" in local time, which Excel reads as a date
    and sorts."""

    return moment.astimezone(zone).isoformat(sep=" ", timespec="minutes")[:16]


def signature_rows(p: Participatie, s: Session, petition_id: Any) -> Iterator[tuple[Any, ...]]:
    """The verified signatures in order, streamed from the database.

    A million rows go through here, so per row only what must happen happens: the rows
    come as the driver gives them (``exports.rows.raw_rows``: PostgreSQL a ``COPY``
    stream; SQLite the driver's cursor, the time as its stored text; MariaDB the
    driver's server-side cursor), the confirmation time is not normalised to UTC first but made
    local at once, and the local time's text is worked out once per minute and
    remembered, not per row.
    """

    conn = s.connection()
    signatures = SignatureRow.__table__.c
    # SQLite keeps the time as text: read it as text (no parsing per row) and parse once
    # per minute below.
    kind = String() if conn.dialect.name == "sqlite" else DateTime(timezone=True)
    query = (
        select(
            signatures.name,
            signatures.postcode,
            signatures.area_code,
            type_coerce(signatures.confirmed_at, kind),
            signatures.show_name,
        )
        .where(signatures.petition_id == petition_id, signatures.status == VERIFIED)
        .order_by(signatures.created_at, signatures.id)
    )
    rows = raw_rows(conn, query, copy_types=("text", "text", "text", "timestamptz", "bool"))
    zone = p.settings.zone
    # The time zone and fold are part of the key: the hour that repeats when summer time
    # ends is two different minutes.
    minutes: dict[Any, str] = {}
    for number, (name, postcode, area, confirmed_at, show_name) in enumerate(rows, 1):
        if confirmed_at is None:
            when = ""
        elif type(confirmed_at) is str:  # SQLite: "YYYY-MM-DD HH:MM:SS.ffffff", UTC
            when = minutes.get(confirmed_at[:16], "")
            if not when:
                moment = datetime.fromisoformat(confirmed_at).replace(tzinfo=UTC)
                when = minutes[confirmed_at[:16]] = _cell_time(zone, moment)
        else:
            key = (
                confirmed_at.year,
                confirmed_at.month,
                confirmed_at.day,
                confirmed_at.hour,
                confirmed_at.minute,
                confirmed_at.fold,
                confirmed_at.tzinfo,
            )
            when = minutes.get(key, "")
            if not when:
                if confirmed_at.tzinfo is None:  # MariaDB keeps naive UTC
                    confirmed_at = confirmed_at.replace(tzinfo=UTC)
                when = _cell_time(zone, confirmed_at)
                minutes[key] = when
        # Cells for ``write_excel_csv(escaped=True)``: what a person typed or an
        # administrator named goes through ``csv_cell``; the number, the time and
        # ja/nee cannot start a formula.
        yield (
            number,
            csv_cell(name) if name else "(geanonimiseerd)",
            csv_cell(postcode) if postcode else "",
            csv_cell(area) if area else "",
            when,
            "ja" if show_name else "nee",
        )


def write_signatures_csv(
    p: Participatie, s: Session, row: PetitionRow, out: Output
) -> ExportResult:
    count, digest = write_excel_csv(out, CSV_HEADER, signature_rows(p, s, row.id), escaped=True)
    return ExportResult(rows=count, sha256=digest)


def handover_document(
    p: Participatie, s: Session, row: PetitionRow, petition: Petition
) -> HandoverDocument:
    stats = desk_stats(p, s, row)
    # The document names the list by its SHA-256: stream it once to compute that.
    with open(os.devnull, "wb") as sink:
        count, digest = write_excel_csv(
            sink, CSV_HEADER, signature_rows(p, s, row.id), escaped=True
        )
    return HandoverDocument(
        petition=petition,
        generated_at=p.clock.now(),
        verified=stats.verified,
        paper=stats.paper,
        total=stats.total,
        per_area=stats.per_area,
        per_day=stats.per_day,
        rows=count,
        sha256=digest,
    )


def handover_html(p: Participatie, doc: HandoverDocument) -> str:
    return p.render(
        "petitions/handover.html",
        doc=doc,
        generated=_local(p, doc.generated_at),
        closes=_local(p, doc.petition.closes_at),
        handed_over=_local(p, doc.petition.handed_over_at),
    )


def handover_pdf(p: Participatie, doc: HandoverDocument) -> bytes:
    from participatie.exports.pdf import organisation_pdf

    pdf = organisation_pdf(
        p.settings.organisation,
        f"Petitie: {doc.petition.title}",
        created=doc.generated_at,
        font=p.settings.polls.pdf_font,
    )
    pdf.paragraph(f"Ingediend door {doc.petition.creator_name}. {doc.petition.summary}")
    pdf.heading("Handtekeningen")
    pdf.table(
        ["", "Aantal"],
        [
            ["Online, bevestigd via e-mail", doc.verified],
            ["Op papier", doc.paper],
            ["Totaal", doc.total],
        ],
        widths=[120, 50],
    )
    pdf.heading("Per wijk")
    pdf.table(
        ["Wijk", "Online", "Papier", "Totaal"],
        [[a.name or a.area or "onbekend", a.online, a.paper, a.total] for a in doc.per_area],
    )
    pdf.heading("Per dag")
    pdf.table(["Dag", "Bevestigd"], [[format_day(d.day), d.verified] for d in doc.per_day])
    pdf.heading("Handtekeningenlijst")
    pdf.paragraph(
        f"De lijst telt {doc.rows} regels. SHA-256 van het bestand: {doc.sha256}. "
        f"Gemaakt op {_local(p, doc.generated_at)}."
    )
    if doc.petition.handed_over_to:
        pdf.paragraph(
            f"Aangeboden aan {doc.petition.handed_over_to} op "
            f"{_local(p, doc.petition.handed_over_at)}."
        )
    return pdf.to_bytes()


#: The hand-over document's formats (``participatie petitions export --format``).
HANDOVER_FORMATS = ("html", "pdf")


def write_handover(p: Participatie, doc: HandoverDocument, out: Output, fmt: str) -> str:
    """Write the hand-over document as ``fmt`` to ``out``; returns its SHA-256."""

    if fmt not in HANDOVER_FORMATS:
        raise InvalidInput(
            f"unknown format {fmt!r}: use {', '.join(HANDOVER_FORMATS)}", field="format"
        )
    data = handover_html(p, doc).encode("utf-8") if fmt == "html" else handover_pdf(p, doc)
    with binary_output(out) as fh:
        fh.write(data)
    return sha256_bytes(data)
