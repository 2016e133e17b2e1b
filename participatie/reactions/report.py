"""The nota van beantwoording (public and internal) in HTML, CSV, XLSX, DOCX and PDF, and
the statistics for the participation monitor.
"""

from __future__ import annotations

import io
import uuid
from collections import Counter
from typing import IO, TYPE_CHECKING, Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from participatie.errors import MissingExtra
from participatie.exports.files import Output, binary_output
from participatie.exports.writers import (
    deterministic_json,
    sha256_bytes,
    write_excel_csv,
    write_xlsx,
)
from participatie.formatting import format_day
from participatie.reactions.feedback import AnswerBook
from participatie.reactions.models import (
    AnswerRow,
    DispatchRow,
    DossierRow,
    PointRow,
    ReactionRow,
    SubmitterRow,
)
from participatie.reactions.outputs import submitter_out
from participatie.reactions.redaction import name_pattern, redact
from participatie.reactions.schemas import (
    CHANNEL_LABELS_NL,
    CHANNELS,
    OUTCOME_LABELS_NL,
    OUTCOME_WORDS_NL,
    OUTCOMES,
    Nota,
    NotaAnnexRow,
    NotaRow,
    Stats,
)

if TYPE_CHECKING:
    from participatie.engine import Participatie
    from participatie.reactions.context import ReactionContext

FORMATS = ("html", "csv", "xlsx", "docx", "pdf")


def _share(part: int, whole: int) -> float:
    return round(part / whole, 4) if whole else 0.0


def stats(ctx: ReactionContext, s: Session, dossier: DossierRow, round_no: int) -> Stats:
    per_channel: Counter[str] = Counter()
    on_time = late = admissible = not_admissible = signatories = 0
    acknowledged = ack_on_time = answered = answered_on_time = answered_by_due = 0
    reaction_ids: set[uuid.UUID] = set()
    rows = s.execute(
        select(
            ReactionRow.id,
            ReactionRow.channel,
            ReactionRow.late,
            ReactionRow.admissible,
            ReactionRow.signatories,
            ReactionRow.acknowledged_at,
            ReactionRow.acknowledgement_due,
            ReactionRow.answered_at,
            ReactionRow.answer_target,
            ReactionRow.answer_due,
        ).where(ReactionRow.dossier_id == dossier.id, ReactionRow.round == round_no)
    ).all()
    extended = 0
    for rid, channel, is_late, adm, sigs, ack_at, ack_due, ans_at, target, due in rows:
        extended += int(due != target)
        reaction_ids.add(rid)
        per_channel[channel] += 1
        late += int(is_late)
        on_time += int(not is_late)
        admissible += int(adm is True)
        not_admissible += int(adm is False)
        signatories += sigs
        if ack_at is not None:
            acknowledged += 1
            ack_on_time += int(ctx.local_date(ack_at) <= ack_due)
        if ans_at is not None:
            answered += 1
            # On time means within the date first promised, not an extended one.
            answered_on_time += int(ctx.local_date(ans_at) <= target)
            answered_by_due += int(ctx.local_date(ans_at) <= due)
    book = AnswerBook(s, dossier.id)
    per_outcome: Counter[str] = Counter()
    per_theme: Counter[str] = Counter()
    points = 0
    changed: set[uuid.UUID] = set()
    for point in s.execute(select(PointRow).where(PointRow.dossier_id == dossier.id)).scalars():
        if point.reaction_id not in reaction_ids:
            continue
        points += 1
        if point.theme_id is not None and point.theme_id in book.themes:
            per_theme[book.themes[point.theme_id].code] += 1
        answer = book.answer_for(point)
        if answer is not None:
            per_outcome[answer.outcome] += 1
            if answer.changes_plan:
                changed.add(answer.id)
    themes = [t for t in book.themes.values() if t.round == round_no]
    assessed = sum(per_outcome.values())
    dispatches: Counter[tuple[str, str]] = Counter()
    for kind, channel in s.execute(
        select(DispatchRow.kind, DispatchRow.channel).where(
            DispatchRow.dossier_id == dossier.id,
            DispatchRow.status == "sent",
            DispatchRow.reaction_id.in_(
                select(ReactionRow.id).where(
                    ReactionRow.dossier_id == dossier.id, ReactionRow.round == round_no
                )
            ),
        )
    ).all():
        dispatches[(kind, channel)] += 1
    letters_by_kind = {
        kind: dispatches[(kind, "letter")] for kind in ("acknowledgement", "feedback", "delay")
    }
    per_area = {
        code or "": int(count)
        for code, count in s.execute(
            select(SubmitterRow.area_code, func.count())
            .join(ReactionRow, ReactionRow.id == SubmitterRow.reaction_id)
            .where(ReactionRow.dossier_id == dossier.id, ReactionRow.round == round_no)
            .group_by(SubmitterRow.area_code)
            .order_by(SubmitterRow.area_code)
        ).all()
    }
    return Stats(
        reactions=len(rows),
        signatories=signatories,
        per_channel={c: per_channel.get(c, 0) for c in CHANNELS},
        on_time=on_time,
        late=late,
        admissible=admissible,
        not_admissible=not_admissible,
        points=points,
        themes=len(themes),
        per_theme={
            t.code: per_theme.get(t.code, 0) for t in sorted(themes, key=lambda t: t.number)
        },
        per_outcome={o: per_outcome.get(o, 0) for o in OUTCOMES},
        share_honoured=_share(per_outcome["honoured"], assessed),
        share_honoured_at_least_partly=_share(
            per_outcome["honoured"] + per_outcome["partially_honoured"], assessed
        ),
        plan_changes=len(changed),
        acknowledged=acknowledged,
        acknowledged_on_time=_share(ack_on_time, len(rows)),
        answered=answered,
        answered_on_time=_share(answered_on_time, len(rows)),
        answered_by_extended_date=_share(answered_by_due, len(rows)),
        extended=extended,
        notified_by_email=dispatches[("feedback", "email")],
        letters=sum(letters_by_kind.values()),
        letters_by_kind=letters_by_kind,
        per_area=per_area,
    )


def _conclusion(answer: AnswerRow) -> str:
    label = OUTCOME_LABELS_NL[answer.outcome]
    if answer.changes_plan:
        ref = f" ({answer.change_reference})" if answer.change_reference else ""
        return f"{label}; het plan verandert{ref}"
    return f"{label}; het plan verandert niet"


def build_nota(
    ctx: ReactionContext, s: Session, dossier: DossierRow, round_no: int, *, internal: bool
) -> Nota:
    current = ctx.round(dossier, round_no)
    reactions = {
        r.id: r
        for r in s.execute(
            select(ReactionRow)
            .where(ReactionRow.dossier_id == dossier.id, ReactionRow.round == round_no)
            .order_by(ReactionRow.number)
        ).scalars()
    }
    # Public text loses e-mail addresses, phone numbers, addresses and names: the names
    # a reviewer marked and the names of the submitters themselves.
    names: list[str] = list(dossier.redact_names or [])
    if not internal:
        names += [
            n
            for n in s.execute(
                select(SubmitterRow.name).where(
                    SubmitterRow.dossier_id == dossier.id, SubmitterRow.name.is_not(None)
                )
            ).scalars()
            if n
        ]
    pattern = name_pattern(names)

    def clean(text: str | None) -> str:
        if not text:
            return ""
        return text if internal else redact(text, pattern)

    book = AnswerBook(s, dossier.id)
    theme_reactions: dict[uuid.UUID, set[int]] = {}
    own_rows: list[NotaRow] = []
    points = list(
        s.execute(
            select(PointRow)
            .where(PointRow.dossier_id == dossier.id)
            .order_by(PointRow.reaction_id, PointRow.position)
        ).scalars()
    )
    for point in points:
        reaction = reactions.get(point.reaction_id)
        if reaction is None or reaction.admissible is False:
            continue
        own = book.by_point.get(point.id)
        if own is not None:
            own_rows.append(
                NotaRow(
                    nr=f"{reaction.number}.{point.position}",
                    title=f"Reactie {reaction.number}, punt {point.position}",
                    summary=clean(point.text),
                    reactions=[reaction.number],
                    answer=clean(own.motivation),
                    outcome=own.outcome,
                    outcome_label=_conclusion(own),
                    changes_plan=own.changes_plan,
                    change_reference=clean(own.change_reference) or None,
                )
            )
        elif point.theme_id is not None:
            theme_reactions.setdefault(point.theme_id, set()).add(reaction.number)
    rows: list[NotaRow] = []
    for theme in sorted(book.themes.values(), key=lambda t: t.number):
        answer = book.by_theme.get(theme.id)
        if answer is None or theme.id not in theme_reactions:
            continue
        rows.append(
            NotaRow(
                nr=str(theme.number),
                title=clean(theme.title),
                summary=clean(theme.summary),
                reactions=sorted(theme_reactions[theme.id]),
                answer=clean(answer.motivation),
                outcome=answer.outcome,
                outcome_label=_conclusion(answer),
                changes_plan=answer.changes_plan,
                change_reference=clean(answer.change_reference) or None,
            )
        )
    rows += sorted(own_rows, key=lambda r: tuple(int(x) for x in r.nr.split(".")))
    own_changes = [clean(c) for c in (dossier.own_changes or [])]
    changes = [
        f"{row.nr}. {row.title}: {row.change_reference or 'zie antwoord'}"
        for row in rows
        if row.changes_plan
    ] + [f"Eigen initiatief: {c}" for c in own_changes]
    per_channel = Counter(r.channel for r in reactions.values())
    annex: list[NotaAnnexRow] = []
    if internal:
        subs: dict[uuid.UUID, list[SubmitterRow]] = {}
        for sub in s.execute(
            select(SubmitterRow)
            .where(SubmitterRow.dossier_id == dossier.id)
            .order_by(SubmitterRow.position)
        ).scalars():
            subs.setdefault(sub.reaction_id, []).append(sub)
        for r in reactions.values():
            annex.append(
                NotaAnnexRow(
                    reaction=r.number,
                    channel=r.channel,
                    received=ctx.local_date(r.received_at),
                    late=r.late,
                    submitters=[submitter_out(sub, r.number) for sub in subs.get(r.id, [])],
                )
            )
    data: dict[str, Any] = {
        "dossier_id": dossier.id,
        "title": dossier.title,
        "organisation": ctx.p.settings.organisation_name,
        "internal": internal,
        "round": round_no,
        "round_label": current.label,
        "summary": clean(dossier.summary),
        "procedure": clean(dossier.procedure),
        "period_start": current.period_start,
        "period_end": current.period_end,
        "published_at": current.published_at,
        "per_channel": {c: per_channel.get(c, 0) for c in CHANNELS if per_channel.get(c, 0)},
        "reactions": len(reactions),
        "on_time": sum(1 for r in reactions.values() if not r.late),
        "late": sum(1 for r in reactions.values() if r.late),
        "admissible": sum(1 for r in reactions.values() if r.admissible is True),
        "not_admissible": sum(1 for r in reactions.values() if r.admissible is False),
        "rows": rows,
        "own_changes": own_changes,
        "changes": changes,
        "conclusion": clean(dossier.conclusion),
        "annex": annex,
    }
    # The SHA-256 of the data the nota rests on: the same data gives the same digest.
    digest = sha256_bytes(deterministic_json(data, indent=None))
    return Nota(**data, sha256=digest)


# -- writers --------------------------------------------------------------------------------


def write(p: Participatie, nota: Nota, out: Output, fmt: str) -> str:
    """Write ``nota`` as ``fmt`` to ``out``, a path (mode 0600) or a binary file; returns
    the SHA-256 of what was written."""

    if fmt not in FORMATS:
        from participatie.errors import InvalidInput

        raise InvalidInput(
            f"unknown format {fmt!r}: choose one of {', '.join(FORMATS)}", field="format"
        )
    if fmt == "csv":
        _, digest = write_excel_csv(out, _table_header(nota), _csv_rows(nota))
        return digest
    # The other formats are one document, made whole first (a failure writes nothing).
    if fmt == "html":
        data = p.render(
            "reactions/nota.html",
            nota=nota,
            channel_labels=CHANNEL_LABELS_NL,
            submitter_line=_submitter_line,
            legend=legend_rows(),
            legend_header=LEGEND_HEADER,
        ).encode("utf-8")
    else:
        buffer = io.BytesIO()
        if fmt == "xlsx":
            write_xlsx(
                buffer,
                _sheets(nota),
                creator=p.settings.organisation.name,
                title=nota_title(nota),
                created=p.clock.now(),
            )
        elif fmt == "docx":
            _write_docx(p, nota, buffer)
        else:
            _write_pdf(p, nota, buffer)
        data = buffer.getvalue()
    with binary_output(out) as fh:
        fh.write(data)
    return sha256_bytes(data)


def nota_title(nota: Nota) -> str:
    """The document's title in its metadata: the internal version says so."""

    title = f"Nota van beantwoording: {nota.title}"
    return f"{title} (intern)" if nota.internal else title


#: The legend under the answers: the nota's formal conclusion and the plain words the
#: submitter reads in the mail, the letter and on the result page.
LEGEND_HEADER = ["Conclusie in de nota", "In de brief en e-mail aan de indiener"]


def legend_rows() -> list[list[str]]:
    """One row per conclusion: the formal term and the resident's words."""

    return [[OUTCOME_LABELS_NL[o], OUTCOME_WORDS_NL[o]] for o in OUTCOMES]


def _table_header(nota: Nota) -> list[str]:
    header = [
        "Nr",
        "Onderwerp",
        "Samenvatting",
        "Reacties",
        "Aantal",
        "Antwoord",
        "Conclusie",
        "Plan verandert",
        "Wijziging",
    ]
    if nota.internal:
        header.append("Indieners")
    return header


def _address(sub: Any) -> str:
    street = " ".join(part for part in (sub.street, sub.house_number) if part)
    place = " ".join(part for part in (sub.postcode, sub.city) if part)
    return ", ".join(part for part in (street, place) if part)


def _submitter_line(sub: Any) -> str:
    """Every contact field the library stores, the same in every format."""

    parts = [sub.name or "(naam onbekend)", sub.email, sub.phone, _address(sub)]
    return ", ".join(part for part in parts if part)


#: Columns of the annex of submitters (internal nota), in CSV and XLSX.
ANNEX_HEADER = ["Reactie", "Kanaal", "Ontvangen", "Te laat", "Naam", "E-mail", "Telefoon", "Adres"]


def _annex_rows(nota: Nota) -> Any:
    for row in nota.annex:
        for sub in row.submitters:
            yield [
                row.reaction,
                CHANNEL_LABELS_NL[row.channel],
                row.received,
                "ja" if row.late else "nee",
                sub.name or "",
                sub.email or "",
                sub.phone or "",
                _address(sub),
            ]


def _channel(row: NotaAnnexRow) -> str:
    return CHANNEL_LABELS_NL[row.channel] + (" (te laat)" if row.late else "")


def _table_rows(nota: Nota) -> Any:
    annex = {row.reaction: row for row in nota.annex}
    for row in nota.rows:
        line: list[Any] = [
            row.nr,
            row.title,
            row.summary,
            ", ".join(str(n) for n in row.reactions),
            len(row.reactions),
            row.answer,
            row.outcome_label,
            "ja" if row.changes_plan else "nee",
            row.change_reference or "",
        ]
        if nota.internal:
            line.append(
                "; ".join(
                    f"{n}: {_submitter_line(sub)}"
                    for n in row.reactions
                    if n in annex
                    for sub in annex[n].submitters
                )
            )
        yield line


def _csv_rows(nota: Nota) -> Any:
    yield from _table_rows(nota)
    if nota.internal:
        # The annex follows the table after an empty line: every submitter of every
        # reaction, also those of late and inadmissible reactions that no answer lists.
        yield []
        yield ["Bijlage indieners"]
        yield ANNEX_HEADER
        yield from _annex_rows(nota)


def _overview(nota: Nota) -> list[tuple[str, Any]]:
    items: list[tuple[str, Any]] = [
        ("Plan", nota.title),
        ("Ronde", nota.round_label),
        ("Reactietermijn", f"{format_day(nota.period_start)} t/m {format_day(nota.period_end)}"),
        ("Reacties", nota.reactions),
    ]
    items += [(f"Via {CHANNEL_LABELS_NL[c]}", n) for c, n in nota.per_channel.items()]
    items += [
        ("Op tijd", nota.on_time),
        ("Te laat", nota.late),
        ("Ontvankelijk", nota.admissible),
        ("Niet ontvankelijk", nota.not_admissible),
        ("SHA-256 van de gegevens", nota.sha256),
    ]
    return items


def _sheets(nota: Nota) -> Any:
    yield "Overzicht", ["Onderdeel", "Waarde"], _overview(nota)
    yield "Beantwoording", _table_header(nota), _table_rows(nota)
    yield "Wijzigingen", ["Wijziging"], ([c] for c in nota.changes)
    yield "Betekenis conclusies", LEGEND_HEADER, legend_rows()
    if nota.internal:
        yield "Bijlage indieners", ANNEX_HEADER, _annex_rows(nota)


def _write_docx(p: Participatie, nota: Nota, out: IO[bytes]) -> None:
    try:
        import docx
    except ImportError as exc:  # pragma: no cover - depends on the extra
        raise MissingExtra(
            "DOCX output needs the 'reports' extra: pip install participatie[reports]"
        ) from exc
    document = docx.Document()
    organisation = p.settings.organisation
    # The document's own properties name the municipality, not the library that wrote it
    # (python-docx's template says "python-docx" and a date in 2013).
    now = p.clock.now()
    properties = document.core_properties
    properties.author = organisation.name
    properties.last_modified_by = organisation.name
    properties.title = nota_title(nota)
    properties.subject = nota.title
    properties.comments = ""
    properties.keywords = "nota van beantwoording"
    properties.language = "nl-NL"
    properties.created = now.replace(tzinfo=None)
    properties.modified = now.replace(tzinfo=None)
    properties.revision = 1
    document.add_paragraph(organisation.name)
    if organisation.postal_address:
        document.add_paragraph(organisation.postal_address)
    document.add_heading(f"Nota van beantwoording: {nota.title}", level=0)
    if nota.internal:
        document.add_paragraph("Interne versie: bevat persoonsgegevens. Niet openbaar maken.")
    document.add_heading("1. Inleiding", level=1)
    document.add_paragraph(nota.summary)
    document.add_paragraph(nota.procedure)
    document.add_paragraph(
        f"Reactietermijn: {format_day(nota.period_start)} tot en met "
        f"{format_day(nota.period_end)} "
        f"({nota.round_label})."
    )
    document.add_heading("2. Overzicht van de reacties", level=1)
    overview = document.add_table(rows=0, cols=2)
    overview.style = "Table Grid"
    for label, value in _overview(nota):
        cells = overview.add_row().cells
        cells[0].text = str(label)
        cells[1].text = str(value)
    document.add_heading("3. Samenvatting en beantwoording", level=1)
    table = document.add_table(rows=1, cols=4)
    table.style = "Table Grid"
    for cell, text in zip(
        table.rows[0].cells,
        ["Nr", "Samenvatting", "Antwoord van de gemeente", "Conclusie"],
        strict=True,
    ):
        cell.text = text
    for row in nota.rows:
        cells = table.add_row().cells
        cells[0].text = row.nr
        cells[
            1
        ].text = f"{row.title}\n{row.summary}\nReacties: {', '.join(str(n) for n in row.reactions)}"
        cells[2].text = row.answer
        cells[3].text = row.outcome_label
    document.add_paragraph("Betekenis van de conclusies:")
    legend = document.add_table(rows=1, cols=2)
    legend.style = "Table Grid"
    for cell, text in zip(legend.rows[0].cells, LEGEND_HEADER, strict=True):
        cell.text = text
    for formal, plain in legend_rows():
        cells = legend.add_row().cells
        cells[0].text, cells[1].text = formal, plain
    document.add_heading("4. Wijzigingen op eigen initiatief", level=1)
    for change in nota.own_changes or ["Geen."]:
        document.add_paragraph(change, style="List Bullet")
    document.add_heading("5. Overzicht van de wijzigingen en conclusie", level=1)
    for change in nota.changes or ["Het plan verandert niet."]:
        document.add_paragraph(change, style="List Bullet")
    document.add_paragraph(nota.conclusion)
    if nota.internal:
        document.add_heading("Bijlage: indieners (niet openbaar)", level=1)
        annex = document.add_table(rows=1, cols=4)
        annex.style = "Table Grid"
        for cell, text in zip(
            annex.rows[0].cells, ["Nr", "Kanaal", "Ontvangen", "Indieners"], strict=True
        ):
            cell.text = text
        for item in nota.annex:
            cells = annex.add_row().cells
            cells[0].text = str(item.reaction)
            cells[1].text = _channel(item)
            cells[2].text = format_day(item.received)
            cells[3].text = "\n".join(_submitter_line(sub) for sub in item.submitters)
    document.add_paragraph(f"SHA-256 van de gegevens: {nota.sha256}")
    document.save(out)


def _write_pdf(p: Participatie, nota: Nota, out: IO[bytes]) -> None:
    from participatie.exports.pdf import organisation_pdf

    pdf = organisation_pdf(
        p.settings.organisation,
        nota_title(nota),
        created=p.clock.now(),
        font=p.settings.polls.pdf_font,
    )
    if nota.internal:
        pdf.paragraph("Interne versie: bevat persoonsgegevens. Niet openbaar maken.")
    pdf.heading("1. Inleiding")
    pdf.paragraph(nota.summary)
    if nota.procedure:
        pdf.paragraph(nota.procedure)
    pdf.paragraph(
        f"Reactietermijn: {format_day(nota.period_start)} tot en met "
        f"{format_day(nota.period_end)} "
        f"({nota.round_label})."
    )
    pdf.heading("2. Overzicht van de reacties")
    pdf.table(["Onderdeel", "Waarde"], [[a, b] for a, b in _overview(nota)], widths=[60, 120])
    pdf.heading("3. Samenvatting en beantwoording")
    pdf.table(
        ["Nr", "Samenvatting", "Antwoord van de gemeente", "Conclusie"],
        [
            [
                row.nr,
                f"{row.title}. {row.summary} (reacties: {len(row.reactions)})",
                row.answer,
                row.outcome_label,
            ]
            for row in nota.rows
        ],
        widths=[12, 60, 80, 38],
    )
    pdf.paragraph("Betekenis van de conclusies:")
    pdf.table(LEGEND_HEADER, legend_rows(), widths=[70, 120])
    pdf.heading("4. Wijzigingen op eigen initiatief")
    for change in nota.own_changes or ["Geen."]:
        pdf.paragraph(f"- {change}")
    pdf.heading("5. Overzicht van de wijzigingen en conclusie")
    for change in nota.changes or ["Het plan verandert niet."]:
        pdf.paragraph(f"- {change}")
    pdf.paragraph(nota.conclusion)
    if nota.internal:
        pdf.heading("Bijlage: indieners (niet openbaar)")
        pdf.table(
            ["Nr", "Kanaal", "Ontvangen", "Indieners"],
            [
                [
                    item.reaction,
                    _channel(item),
                    format_day(item.received),
                    "\n".join(_submitter_line(s) for s in item.submitters),
                ]
                for item in nota.annex
            ],
            widths=[10, 32, 30, 118],
        )
    pdf.save(out)
