"""The tally report for the collegebesluit in five formats (JSON, CSV, HTML, XLSX, PDF)
and the published ballots file anyone can recount; all rest on the same ``TallyResult``.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from participatie.exports import deterministic_json, sha256_bytes, write_excel_csv, write_xlsx
from participatie.exports.files import Output, binary_output
from participatie.formatting import format_moment, format_number, format_share
from participatie.polls.ballots import ballot_line
from participatie.polls.schemas import OptionResult, PublishedBallot, TallyResult

if TYPE_CHECKING:
    from participatie.engine import Participatie
    from participatie.organisation import OrganisationSettings

FORMATS = ("json", "csv", "html", "xlsx", "pdf")

CHANNEL_NL = {"online": "online", "paper": "papier", "desk": "balie"}
RULE_NL = {
    "plurality": "meeste stemmen (één keuze per stembiljet)",
    "approval": "goedkeuringsstemming (meerdere keuzes; de opties met de meeste stemmen winnen)",
    "cumulative": "puntenverdeling (punten verdelen over de opties)",
    "borda": "Borda-telling (rangorde; punten per plaats)",
    "ranked": "overdraagbare stem (rangorde; STV volgens de Weighted Inclusive Gregory Method)",
}


def ballot_json_line(ballot: PublishedBallot) -> str:
    """One ballot as compact JSON with sorted keys: the same ballot gives the same bytes."""

    return ballot_line(
        ballot.tracker, ballot.channel, ballot.choices, ballot.invalid, ballot.points
    )


def tally_data(tally: TallyResult) -> dict[str, Any]:
    data = tally.model_dump(mode="json")
    data["signature"] = {
        "decided_by": "college van burgemeester en wethouders",
        "name": None,
        "date": None,
    }
    return data


def tally_json(tally: TallyResult) -> bytes:
    return deterministic_json(tally_data(tally))


RECONCILIATION_NL = {
    "credentials_issued": "Codes uitgegeven",
    "credentials_revoked": "Codes ingetrokken",
    "credentials_used": "Codes gebruikt",
    "credential_uses": "Keren gestemd met een code",
    "ballots_recorded": "Stembiljetten geregistreerd",
    "ballots_superseded": "Vervangen stembiljetten (stem gewijzigd)",
    "difference": "Verschil",
    "channel_conflicts": "Code op twee kanalen gebruikt",
    "matches": "Klopt",
}


def local_time(tally: TallyResult, value: datetime | None) -> str:
    """A stored UTC time as the report shows it: Dutch notation in the poll's time zone."""

    if value is None:
        return ""
    return format_moment(value, "nl", ZoneInfo(tally.timezone))


def reconciliation_rows(tally: TallyResult) -> list[tuple[str, Any]]:
    rows: list[tuple[str, Any]] = []
    for key, value in tally.reconciliation.model_dump().items():
        if isinstance(value, bool):
            value = "ja" if value else "nee"
        rows.append((RECONCILIATION_NL.get(key, key), value))
    return rows


def _pct(value: float) -> str:
    return format_share(value, "nl")


#: The counting rules in words, with ``{seats}`` for the number of options chosen.
RULE_WORDS = {
    "plurality": "Meeste stemmen: op elk stembiljet één keuze; {chosen} met de meeste stemmen "
    "{verb} gekozen.",
    "approval": "Goedkeuringsstemming: op elk stembiljet meer keuzes; {chosen} met de meeste "
    "stemmen {verb} gekozen.",
    "cumulative": "Puntenverdeling: elk stembiljet verdeelt punten over de opties; {chosen} met "
    "de meeste punten {verb} gekozen.",
    "borda": "Borda-telling: elk stembiljet zet de opties op volgorde; een hogere plaats geeft "
    "meer punten; {chosen} met de meeste punten {verb} gekozen.",
    "ranked": "Overdraagbare stem: elk stembiljet zet de opties op volgorde; stemmen gaan over "
    "naar de volgende keuze tot {chosen} {verb} gekozen (Weighted Inclusive Gregory Method).",
}

#: Paper sheets by how far their two typings got.
PAPER_STATUS_NL = {
    "pending": "wacht op de tweede invoer",
    "mismatch": "twee invoeren verschillen",
    "matched": "twee invoeren gelijk",
    "resolved": "verschil opgelost",
    "counted": "geteld",
}


def rule_text(tally: TallyResult) -> str:
    """The counting rule in words, for the report ("Goedkeuringsstemming: ... de 2 opties
    met de meeste stemmen zijn gekozen.")."""

    chosen = "de optie" if tally.seats == 1 else f"de {tally.seats} opties"
    verb = "is" if tally.seats == 1 else "zijn"
    return RULE_WORDS[tally.rule].format(chosen=chosen, verb=verb)


def ranked_options(tally: TallyResult) -> list[OptionResult]:
    """The options in order of votes, most first (on equal votes: in the poll's order)."""

    return sorted(tally.options, key=lambda o: (-o.votes, o.position))


def option_rows(tally: TallyResult) -> list[list[Any]]:
    """One row per option in order of votes: place, name, votes, per channel, chosen."""

    channels = list(tally.channels)
    return [
        [
            place,
            o.name,
            o.votes,
            *[o.channels.get(c, 0) for c in channels],
            "gekozen" if o.elected else "",
        ]
        for place, o in enumerate(ranked_options(tally), start=1)
    ]


def option_header(tally: TallyResult) -> list[str]:
    return [
        "Plaats",
        "Optie",
        "Stemmen",
        *[f"Waarvan {CHANNEL_NL.get(c, c)}" for c in tally.channels],
        "Uitslag",
    ]


def _summary_rows(tally: TallyResult) -> list[tuple[str, Any]]:
    rows: list[tuple[str, Any]] = [
        ("Peiling", tally.title),
        ("Vraag", tally.question),
        ("Telregel", rule_text(tally)),
        ("Te kiezen", tally.seats),
        ("Stemgerechtigd", tally.eligible),
        ("Stembiljetten", tally.ballots),
        ("Opkomst", _pct(tally.turnout)),
        ("Blanco", tally.blank),
        ("Ongeldig", tally.invalid),
    ]
    for channel, n in tally.channels.items():
        rows.append((f"Stembiljetten {CHANNEL_NL.get(channel, channel)}", n))
    rows += [
        ("Gekozen", ", ".join(tally.winners) or "geen"),
        ("Open plaatsen door gelijke stand", tally.undecided_seats),
        ("Geopend", local_time(tally, tally.opened_at)),
        ("Gesloten", local_time(tally, tally.closed_at)),
        ("SHA-256 van de stembiljetten", tally.ballots_sha256),
        ("Software", f"participatie {tally.software_version}"),
    ]
    if tally.indicative:
        rows.append(("Let op", "open peiling zonder controle: de uitslag is indicatief"))
    return rows


def paper_rows(tally: TallyResult) -> list[tuple[str, Any]]:
    """The paper ballots' figures as label and value (the typists by name)."""

    paper = tally.paper
    counted = paper.envelopes_counted
    rows: list[tuple[str, Any]] = [
        ("Enveloppen geteld", "niet geteld" if counted is None else counted),
        ("Stembiljetten ingevoerd", paper.sheets_entered),
        ("Geteld als papieren stem", paper.ballots_recorded),
        ("Enveloppen en stembiljetten gelijk", "ja" if paper.envelopes_match else "nee"),
    ]
    for status, n in paper.status.items():
        rows.append((f"Stembiljetten: {PAPER_STATUS_NL.get(status, status)}", n))
    for name, n in paper.typed_by.items():
        rows.append((f"Ingevoerd door {name}", n))
    return rows


def mismatch_rows(tally: TallyResult) -> list[list[str]]:
    """Sheets whose two typings differed: sheet, each typing (who, what), resolved by."""

    rows = []
    for m in tally.paper.mismatches:
        first = ", ".join(m.first.marks) or "blanco"
        second = ", ".join(m.second.marks) or "blanco"
        rows.append(
            [
                m.sheet,
                f"{m.first_staff}: {'onleesbaar' if m.first.unreadable else first}",
                f"{m.second_staff}: {'onleesbaar' if m.second.unreadable else second}",
                m.resolved_by or "nog niet opgelost",
            ]
        )
    return rows


def _tie_text(tally: TallyResult) -> list[str]:
    lines = []
    for tie in tally.ties:
        names = ", ".join(tie.options)
        seats = "1 plaats" if tie.seats == 1 else f"{tie.seats} plaatsen"
        if tie.resolution == "lot":
            lines.append(
                f"Gelijke stand tussen {names} om {seats}: beslist door loting met zaad "
                f"{tally.lot_seed}; volgorde: {', '.join(tie.drawn)}"
                + (f"; getuige: {tally.lot_witness}" if tally.lot_witness else "")
            )
        else:
            lines.append(
                f"Gelijke stand tussen {names} om {seats}: niet beslist; ter beslissing "
                "aan het college"
            )
    return lines


def round_rows(tally: TallyResult) -> list[list[str]]:
    return [
        [
            str(r.number),
            "; ".join(f"{k}: {v}" for k, v in r.tallies.items()),
            ", ".join(r.elected),
            ", ".join(r.excluded),
        ]
        for r in tally.rounds
    ]


def write_csv(tally: TallyResult, out: Output) -> str:
    """CSV for Dutch Excel, options in order of votes, to ``out`` (a path or a binary
    file); returns its SHA-256."""

    header = ["onderdeel", *option_header(tally)[1:]]
    width = len(header)

    def rows() -> Iterator[list[Any]]:
        for row in option_rows(tally):
            yield ["optie", *row[1:]]
        for label, value in _summary_rows(tally):
            yield ["samenvatting", label, value, *[""] * (width - 3)]
        for label, value in reconciliation_rows(tally):
            yield ["controle", label, value, *[""] * (width - 3)]
        for label, value in paper_rows(tally):
            yield ["papier", label, value, *[""] * (width - 3)]
        for line in _tie_text(tally):
            yield ["gelijke stand", line, *[""] * (width - 2)]

    _, digest = write_excel_csv(out, header, rows())
    return digest


def bar_chart_svg(tally: TallyResult, *, width: int = 640) -> str:
    """An inline SVG bar chart (no script): one bar per option, winners darker."""

    bar_h, gap, label_w = 22, 8, 200
    top = max([o.votes for o in tally.options] + [1])
    # The number drawn next to a bar is the report's own notation ("1.204").
    height = len(tally.options) * (bar_h + gap) + gap
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'role="img" aria-label="Stemmen per optie">'
    ]
    from markupsafe import escape

    for i, option in enumerate(ranked_options(tally)):
        y = gap + i * (bar_h + gap)
        w = int((width - label_w - 60) * option.votes / top)
        colour = "#1b5e20" if option.elected else "#90a4ae"
        parts.append(
            f'<text x="0" y="{y + 16}" font-size="13">{escape(option.name[:28])}</text>'
            f'<rect x="{label_w}" y="{y}" width="{w}" height="{bar_h}" fill="{colour}"/>'
            f'<text x="{label_w + w + 6}" y="{y + 16}" font-size="13">'
            f"{format_number(option.votes)}</text>"
        )
    parts.append("</svg>")
    return "".join(parts)


def _shown(rows: list[list[Any]]) -> list[list[Any]]:
    """Rows as a page or PDF shows them: whole numbers in Dutch notation ("4.455")."""

    return [
        [format_number(v) if isinstance(v, int) and not isinstance(v, bool) else v for v in row]
        for row in rows
    ]


def render_html(p: Participatie, tally: TallyResult) -> str:
    from markupsafe import Markup

    return p.render(
        "polls/tally.html",
        tally=tally,
        chart=Markup(bar_chart_svg(tally)),  # noqa: S704 - built from escaped parts above
        option_header=option_header(tally),
        options=_shown(option_rows(tally)),
        summary=_shown([list(r) for r in _summary_rows(tally)]),
        ties=_tie_text(tally),
        rule=rule_text(tally),
        rounds=round_rows(tally),
        reconciliation=_shown([list(r) for r in reconciliation_rows(tally)]),
        paper=_shown([list(r) for r in paper_rows(tally)]),
        mismatches=mismatch_rows(tally),
        generated=local_time(tally, tally.generated_at),
    )


def write_xlsx_report(
    tally: TallyResult,
    out: Output,
    *,
    organisation: OrganisationSettings | None = None,
) -> None:
    """The tally as a workbook: sheets Uitslag (options in order of votes), Samenvatting,
    Controle and Papier, numbers as numbers, the organisation as author."""

    from participatie.organisation import OrganisationSettings

    org = organisation or OrganisationSettings()
    summary = [list(r) for r in _summary_rows(tally)]
    summary += [["Gelijke stand", line] for line in _tie_text(tally)]
    summary += [
        ["Vastgesteld door", org.college],
        ["Naam", ""],
        ["Datum", ""],
        ["Handtekening", ""],
    ]
    sheets: list[tuple[str, list[str], list[list[Any]]]] = [
        ("Uitslag", option_header(tally), option_rows(tally)),
        ("Samenvatting", ["Onderdeel", "Waarde"], summary),
        ("Controle", ["Controle", "Waarde"], [list(r) for r in reconciliation_rows(tally)]),
        ("Papier", ["Papieren stembiljetten", "Waarde"], [list(r) for r in paper_rows(tally)]),
    ]
    if mismatch_rows(tally):
        sheets.append(
            (
                "Verschillen",
                ["Stembiljet", "Eerste invoer", "Tweede invoer", "Opgelost door"],
                [list(r) for r in mismatch_rows(tally)],
            )
        )
    if tally.rounds:
        sheets.append(("Telrondes", ["Ronde", "Stand", "Gekozen", "Afgevallen"], round_rows(tally)))
    write_xlsx(
        out,
        sheets,
        creator=org.name,
        title=f"Uitslag: {tally.title}",
        created=tally.generated_at,
    )


def write_pdf(
    tally: TallyResult,
    out: Output,
    *,
    organisation: OrganisationSettings | None = None,
    font: str | None = None,
) -> None:
    """Write the report as PDF/A-2U (``exports.pdf``): the organisation's letterhead and
    name as author, the tally's time as creation date, every name as written."""

    from participatie.exports.pdf import organisation_pdf
    from participatie.organisation import OrganisationSettings

    org = organisation or OrganisationSettings()
    doc = organisation_pdf(org, f"Uitslag: {tally.title}", created=tally.generated_at, font=font)
    doc.paragraph(tally.question)
    doc.paragraph(rule_text(tally))
    doc.heading("Stemmen per optie")
    columns = len(option_header(tally))
    doc.table(
        option_header(tally),
        _shown(option_rows(tally)),
        widths=[12, 60, *[20] * (columns - 3), 22],
        align=["R", "L", *["R"] * (columns - 3), "L"],
    )
    doc.heading("Samenvatting")
    doc.table(["Onderdeel", "Waarde"], _shown([list(r) for r in _summary_rows(tally)]), [60, 120])
    if tally.ties:
        doc.heading("Gelijke stand")
        for line in _tie_text(tally):
            doc.paragraph(line)
    if tally.rounds:
        doc.heading("Telrondes")
        doc.table(["Ronde", "Stand", "Gekozen", "Afgevallen"], round_rows(tally), [15, 95, 35, 35])
    doc.heading("Controle")
    doc.table(
        ["Controle", "Waarde"], _shown([list(r) for r in reconciliation_rows(tally)]), [120, 60]
    )
    doc.heading("Papieren stembiljetten")
    doc.table(["Onderdeel", "Waarde"], _shown([list(r) for r in paper_rows(tally)]), [120, 60])
    if mismatch_rows(tally):
        doc.paragraph("Verschillen tussen de twee invoeren:")
        doc.table(
            ["Stembiljet", "Eerste invoer", "Tweede invoer", "Opgelost door"],
            mismatch_rows(tally),
            [20, 60, 60, 40],
        )
    doc.paragraph(f"Opgesteld op {local_time(tally, tally.generated_at)}.")
    doc.heading("Ondertekening")
    doc.paragraph(
        f"Vastgesteld door {org.college}.\n\n"
        "Naam: ______________________    Datum: ______________\n\n"
        "Handtekening: ______________________"
    )
    doc.save(out)


def write_tally(p: Participatie, tally: TallyResult, out: Output, fmt: str) -> str:
    """Write ``tally`` as ``fmt`` (json, csv, html, xlsx, pdf) to ``out``, a path (mode
    0600) or a binary file; returns the SHA-256 of what was written."""

    if fmt not in FORMATS:
        from participatie.errors import InvalidInput

        raise InvalidInput(f"unknown format {fmt!r}: use {', '.join(FORMATS)}", field="format")
    if fmt == "csv":
        return write_csv(tally, out)
    # The other formats are one small document: made whole, then written.
    if fmt == "json":
        data = tally_json(tally)
    elif fmt == "html":
        data = render_html(p, tally).encode("utf-8")
    else:
        buffer = io.BytesIO()
        if fmt == "xlsx":
            write_xlsx_report(tally, buffer, organisation=p.settings.organisation)
        else:
            write_pdf(
                tally,
                buffer,
                organisation=p.settings.organisation,
                font=p.settings.polls.pdf_font,
            )
        data = buffer.getvalue()
    with binary_output(out) as fh:
        fh.write(data)
    return sha256_bytes(data)


__all__ = [
    "FORMATS",
    "ballot_json_line",
    "bar_chart_svg",
    "render_html",
    "tally_data",
    "tally_json",
    "write_csv",
    "write_pdf",
    "write_tally",
    "write_xlsx_report",
]
