"""The tally report for the collegebesluit in five formats (JSON, CSV, HTML, XLSX, PDF)
and the published ballots file anyone can recount; all rest on the same ``TallyResult``.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from participatie.exports import deterministic_json, write_excel_csv, write_xlsx
from participatie.polls.ballots import ballot_line
from participatie.polls.schemas import PublishedBallot, TallyResult

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
    local = value.astimezone(ZoneInfo(tally.timezone))
    return f"{local:%d-%m-%Y %H:%M} ({tally.timezone})"


def reconciliation_rows(tally: TallyResult) -> list[tuple[str, Any]]:
    rows: list[tuple[str, Any]] = []
    for key, value in tally.reconciliation.items():
        if isinstance(value, bool):
            value = "ja" if value else "nee"
        rows.append((RECONCILIATION_NL.get(key, key), value))
    return rows


def _pct(value: float) -> str:
    return f"{value * 100:.1f}".replace(".", ",") + "%"


def _summary_rows(tally: TallyResult) -> list[tuple[str, str, Any]]:
    rows: list[tuple[str, str, Any]] = [
        ("Peiling", "Poll", tally.title),
        ("Vraag", "Question", tally.question),
        ("Telregel", "Counting rule", f"{RULE_NL[tally.rule]} / {tally.rule_detail}"),
        ("Te kiezen", "Seats", tally.seats),
        ("Stemgerechtigd", "Eligible", tally.eligible),
        ("Stembiljetten", "Ballots", tally.ballots),
        ("Opkomst", "Turnout", _pct(tally.turnout)),
        ("Blanco", "Blank", tally.blank),
        ("Ongeldig", "Invalid", tally.invalid),
    ]
    for channel, n in tally.channels.items():
        rows.append((f"Kanaal {CHANNEL_NL.get(channel, channel)}", f"Channel {channel}", n))
    rows += [
        ("Gekozen", "Winners", ", ".join(tally.winners) or "-"),
        ("Open zetels (gelijke stand)", "Undecided seats (tie)", tally.undecided_seats),
        ("Geopend", "Opened", local_time(tally, tally.opened_at)),
        ("Gesloten", "Closed", local_time(tally, tally.closed_at)),
        ("SHA-256 stembiljetten", "SHA-256 of ballots", tally.ballots_sha256),
        ("Softwareversie", "Software version", f"participatie {tally.software_version}"),
    ]
    if tally.indicative:
        rows.append(("Let op", "Note", "open peiling zonder controle: de uitslag is indicatief"))
    return rows


def _tie_text(tally: TallyResult) -> list[str]:
    lines = []
    for tie in tally.ties:
        names = ", ".join(tie.options)
        if tie.resolution == "lot":
            lines.append(
                f"Gelijke stand ({tie.stage}) tussen {names} om {tie.seats} plaats(en): "
                f"beslist door loting met zaad {tally.lot_seed}; volgorde: {', '.join(tie.drawn)}"
                + (f"; getuige: {tally.lot_witness}" if tally.lot_witness else "")
            )
        else:
            lines.append(
                f"Gelijke stand ({tie.stage}) tussen {names} om {tie.seats} plaats(en): "
                "niet beslist; ter beslissing aan het college / tie left to the decision makers"
            )
    return lines


def write_csv(tally: TallyResult, path: str | os.PathLike[str]) -> str:
    """CSV for Dutch Excel; returns its SHA-256."""

    channels = list(tally.channels)
    header = ["onderdeel", "naam", "stemmen", *[CHANNEL_NL.get(c, c) for c in channels], "gekozen"]

    def rows() -> Iterator[list[Any]]:
        for option in tally.options:
            yield [
                "optie",
                option.name,
                option.votes,
                *[option.channels.get(c, 0) for c in channels],
                "ja" if option.elected else "nee",
            ]
        for nl, _en, value in _summary_rows(tally):
            yield ["totaal", nl, value, *[""] * len(channels), ""]
        for line in _tie_text(tally):
            yield ["gelijke stand", line, "", *[""] * len(channels), ""]

    _, digest = write_excel_csv(path, header, rows())
    return digest


def bar_chart_svg(tally: TallyResult, *, width: int = 640) -> str:
    """An inline SVG bar chart (no script): one bar per option, winners darker."""

    bar_h, gap, label_w = 22, 8, 200
    top = max([o.votes for o in tally.options] + [1])
    height = len(tally.options) * (bar_h + gap) + gap
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'role="img" aria-label="Stemmen per optie">'
    ]
    from markupsafe import escape

    for i, option in enumerate(tally.options):
        y = gap + i * (bar_h + gap)
        w = int((width - label_w - 60) * option.votes / top)
        colour = "#1b5e20" if option.elected else "#90a4ae"
        parts.append(
            f'<text x="0" y="{y + 16}" font-size="13">{escape(option.name[:28])}</text>'
            f'<rect x="{label_w}" y="{y}" width="{w}" height="{bar_h}" fill="{colour}"/>'
            f'<text x="{label_w + w + 6}" y="{y + 16}" font-size="13">{option.votes}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def render_html(p: Participatie, tally: TallyResult) -> str:
    from markupsafe import Markup

    return p.render(
        "polls/tally.html",
        tally=tally,
        chart=Markup(bar_chart_svg(tally)),  # noqa: S704 - built from escaped parts above
        summary=_summary_rows(tally),
        ties=_tie_text(tally),
        channel_nl=CHANNEL_NL,
        rule_nl=RULE_NL[tally.rule],
        reconciliation=reconciliation_rows(tally),
        opened=local_time(tally, tally.opened_at),
        closed=local_time(tally, tally.closed_at),
        generated=local_time(tally, tally.generated_at),
    )


def write_xlsx_report(tally: TallyResult, path: str | os.PathLike[str]) -> None:
    channels = list(tally.channels)
    option_rows = [
        [o.name, o.votes, *[o.channels.get(c, 0) for c in channels], "ja" if o.elected else "nee"]
        for o in tally.options
    ]
    summary = [[nl, en, value] for nl, en, value in _summary_rows(tally)]
    summary += [["Gelijke stand", "Tie", line] for line in _tie_text(tally)]
    summary += [
        ["Vastgesteld door", "Decided by", "college van burgemeester en wethouders"],
        ["Naam", "Name", ""],
        ["Datum", "Date", ""],
        ["Handtekening", "Signature", ""],
    ]
    recon = [[k, v] for k, v in reconciliation_rows(tally)]
    paper = [[k, json.dumps(v, ensure_ascii=False, sort_keys=True)] for k, v in tally.paper.items()]
    write_xlsx(
        path,
        [
            (
                "Uitslag",
                ["optie", "stemmen", *[CHANNEL_NL.get(c, c) for c in channels], "gekozen"],
                option_rows,
            ),
            ("Samenvatting", ["onderdeel", "item", "waarde"], summary),
            ("Controle", ["controle", "waarde"], recon),
            ("Papier", ["papier", "waarde"], paper),
        ],
    )


def write_pdf(
    tally: TallyResult,
    path: str | os.PathLike[str],
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
    doc.heading("Samenvatting / Summary")
    doc.table(
        ["Onderdeel", "Item", "Waarde"],
        [list(r) for r in _summary_rows(tally)],
        widths=[40, 40, 110],
    )
    doc.heading("Stemmen per optie / Votes per option")
    channels = list(tally.channels)
    doc.table(
        ["Optie", "Stemmen", *[CHANNEL_NL.get(c, c) for c in channels], "Gekozen"],
        [
            [o.name, o.votes, *[o.channels.get(c, 0) for c in channels], "ja" if o.elected else ""]
            for o in tally.options
        ],
    )
    if tally.ties:
        doc.heading("Gelijke stand / Ties")
        for line in _tie_text(tally):
            doc.paragraph(line)
    if tally.rounds:
        doc.heading("Telrondes / Rounds")
        for rnd in tally.rounds:
            doc.paragraph(
                f"Ronde {rnd.number}: "
                + ", ".join(f"{k} {v}" for k, v in rnd.tallies.items())
                + (f"; gekozen {', '.join(rnd.elected)}" if rnd.elected else "")
                + (f"; afgevallen {', '.join(rnd.excluded)}" if rnd.excluded else "")
            )
    doc.heading("Controle / Reconciliation")
    doc.table(["Controle", "Waarde"], [[k, v] for k, v in reconciliation_rows(tally)])
    doc.heading("Papieren stembiljetten / Paper ballots")
    doc.table(
        ["Papier", "Waarde"],
        [[k, json.dumps(v, ensure_ascii=False, sort_keys=True)] for k, v in tally.paper.items()],
    )
    doc.heading("Ondertekening / Signature")
    doc.paragraph(
        f"Vastgesteld door {org.college}.\n\n"
        "Naam: ______________________    Datum: ______________\n\n"
        "Handtekening: ______________________"
    )
    doc.save(path)


def write_report(
    p: Participatie, tally: TallyResult, fmt: str, out: str | os.PathLike[str]
) -> None:
    """Write ``tally`` as ``fmt`` (json, csv, html, xlsx, pdf) to ``out``."""

    path = Path(out)
    if fmt == "json":
        path.write_bytes(tally_json(tally))
    elif fmt == "csv":
        write_csv(tally, path)
    elif fmt == "html":
        path.write_text(render_html(p, tally), encoding="utf-8")
    elif fmt == "xlsx":
        write_xlsx_report(tally, path)
    elif fmt == "pdf":
        write_pdf(tally, path, organisation=p.settings.organisation, font=p.settings.polls.pdf_font)
    else:
        from participatie.errors import InvalidInput

        raise InvalidInput(f"unknown format {fmt!r}: use {', '.join(FORMATS)}", field="format")


__all__ = [
    "FORMATS",
    "ballot_json_line",
    "bar_chart_svg",
    "render_html",
    "tally_data",
    "tally_json",
    "write_csv",
    "write_pdf",
    "write_report",
    "write_xlsx_report",
]
