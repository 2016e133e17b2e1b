"""The tally report for the collegebesluit in five formats (JSON, CSV, HTML, XLSX, PDF)
and the published ballots file anyone can recount; all rest on the same ``TallyResult``.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from participatie.catalogues import say
from participatie.exports import deterministic_json, sha256_bytes, write_excel_csv, write_xlsx
from participatie.exports.files import Output, binary_output
from participatie.formatting import format_moment, format_number, format_share
from participatie.polls.ballots import ballot_line
from participatie.polls.schemas import OptionResult, PublishedBallot, TallyResult

if TYPE_CHECKING:
    from participatie.engine import Participatie
    from participatie.organisation import OrganisationSettings

FORMATS = ("json", "csv", "html", "xlsx", "pdf")


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


#: The languages a report is written in: Dutch, and English as a rendering of its own.
LANGS = ("nl", "en")


def local_time(tally: TallyResult, value: datetime | None, lang: str = "nl") -> str:
    """A stored UTC time as the report shows it, in the poll's time zone."""

    if value is None:
        return ""
    return format_moment(value, lang, ZoneInfo(tally.timezone))


def _yes_no(value: bool, lang: str) -> str:
    return say(lang, "tally.yes" if value else "tally.no")


def channel_name(channel: str, lang: str = "nl") -> str:
    return say(lang, f"tally.channel_{channel}")


def reconciliation_rows(tally: TallyResult, lang: str = "nl") -> list[tuple[str, Any]]:
    rows: list[tuple[str, Any]] = []
    for key, value in tally.reconciliation.model_dump().items():
        if isinstance(value, bool):
            value = _yes_no(value, lang)
        rows.append((say(lang, f"tally.{key}"), value))
    return rows


def rule_text(tally: TallyResult, lang: str = "nl") -> str:
    """The counting rule in words, for the report ("Goedkeuringsstemming: ... de 2 opties
    met de meeste stemmen zijn gekozen.")."""

    chosen = say(lang, "tally.chosen_options", count=tally.seats)
    verb = say(lang, "tally.chosen_verb", count=tally.seats)
    return say(lang, f"tally.rule_{tally.rule}", chosen=chosen, verb=verb)


def ranked_options(tally: TallyResult) -> list[OptionResult]:
    """The options in order of votes, most first (on equal votes: in the poll's order)."""

    return sorted(tally.options, key=lambda o: (-o.votes, o.position))


def option_rows(tally: TallyResult, lang: str = "nl") -> list[list[Any]]:
    """One row per option in order of votes: place, name, votes, per channel, chosen."""

    channels = list(tally.channels)
    return [
        [
            place,
            o.name,
            o.votes,
            *[o.channels.get(c, 0) for c in channels],
            say(lang, "tally.chosen") if o.elected else "",
        ]
        for place, o in enumerate(ranked_options(tally), start=1)
    ]


def option_header(tally: TallyResult, lang: str = "nl") -> list[str]:
    return [
        say(lang, "tally.place"),
        say(lang, "tally.option"),
        say(lang, "tally.votes"),
        *[say(lang, "tally.of_which", channel=channel_name(c, lang)) for c in tally.channels],
        say(lang, "tally.outcome"),
    ]


def _summary_rows(tally: TallyResult, lang: str = "nl") -> list[tuple[str, Any]]:
    def w(key: str) -> str:
        return say(lang, f"tally.{key}")

    rows: list[tuple[str, Any]] = [
        (w("poll"), tally.title),
        (w("question"), tally.question),
        (w("rule"), rule_text(tally, lang)),
        (w("seats"), tally.seats),
        (w("eligible"), tally.eligible),
        (w("ballots"), tally.ballots),
        (w("turnout"), format_share(tally.turnout, lang)),
        (w("blank_ballots"), tally.blank),
        (w("invalid"), tally.invalid),
    ]
    for channel, n in tally.channels.items():
        rows.append((say(lang, "tally.ballots_channel", channel=channel_name(channel, lang)), n))
    rows += [
        (w("winners"), ", ".join(tally.winners) or w("none")),
        (w("undecided"), tally.undecided_seats),
        (w("opened"), local_time(tally, tally.opened_at, lang)),
        (w("closed"), local_time(tally, tally.closed_at, lang)),
        (w("ballots_sha256"), tally.ballots_sha256),
        (w("software"), f"participatie {tally.software_version}"),
    ]
    if tally.indicative:
        rows.append((w("attention"), w("indicative")))
    return rows


def paper_rows(tally: TallyResult, lang: str = "nl") -> list[tuple[str, Any]]:
    """The paper ballots' figures as label and value (the typists by name)."""

    paper = tally.paper
    counted = paper.envelopes_counted
    rows: list[tuple[str, Any]] = [
        (
            say(lang, "tally.envelopes_counted"),
            say(lang, "tally.not_counted") if counted is None else counted,
        ),
        (say(lang, "tally.sheets_entered"), paper.sheets_entered),
        (say(lang, "tally.paper_recorded"), paper.ballots_recorded),
        (say(lang, "tally.envelopes_match"), _yes_no(paper.envelopes_match, lang)),
    ]
    for status, n in paper.status.items():
        label = say(lang, f"tally.status_{status}")
        rows.append((say(lang, "tally.sheets_status", status=label), n))
    for name, n in paper.typed_by.items():
        rows.append((say(lang, "tally.typed_by", name=name), n))
    return rows


def mismatch_rows(tally: TallyResult, lang: str = "nl") -> list[list[str]]:
    """Sheets whose two typings differed: sheet, each typing (who, what), resolved by."""

    def typing(marks: list[str], unreadable: bool) -> str:
        if unreadable:
            return say(lang, "tally.unreadable")
        return ", ".join(marks) or say(lang, "tally.blank")

    return [
        [
            m.sheet,
            f"{m.first_staff}: {typing(m.first.marks, m.first.unreadable)}",
            f"{m.second_staff}: {typing(m.second.marks, m.second.unreadable)}",
            m.resolved_by or say(lang, "tally.not_resolved"),
        ]
        for m in tally.paper.mismatches
    ]


def _tie_text(tally: TallyResult, lang: str = "nl") -> list[str]:
    lines = []
    for tie in tally.ties:
        names = ", ".join(tie.options)
        seats = say(lang, "tally.n_places", count=tie.seats)
        if tie.resolution == "lot":
            witness = (
                say(lang, "tally.tie_witness", witness=tally.lot_witness)
                if tally.lot_witness
                else ""
            )
            lines.append(
                say(
                    lang,
                    "tally.tie_lot",
                    names=names,
                    seats=seats,
                    seed=tally.lot_seed,
                    order=", ".join(tie.drawn),
                )
                + witness
            )
        else:
            lines.append(say(lang, "tally.tie_open", names=names, seats=seats))
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


def write_csv(tally: TallyResult, out: Output, lang: str = "nl") -> str:
    """CSV for Excel, options in order of votes, to ``out`` (a path or a binary file);
    returns its SHA-256."""

    header = [say(lang, "tally.csv_part"), *option_header(tally, lang)[1:]]
    width = len(header)

    def rows() -> Iterator[list[Any]]:
        def section(key: str, pairs: list[tuple[str, Any]]) -> Iterator[list[Any]]:
            for label, value in pairs:
                yield [say(lang, key), label, value, *[""] * (width - 3)]

        for row in option_rows(tally, lang):
            yield [say(lang, "tally.csv_option"), *row[1:]]
        yield from section("tally.csv_summary", _summary_rows(tally, lang))
        yield from section("tally.csv_checks", reconciliation_rows(tally, lang))
        yield from section("tally.csv_paper", paper_rows(tally, lang))
        for line in _tie_text(tally, lang):
            yield [say(lang, "tally.csv_tie"), line, *[""] * (width - 2)]

    _, digest = write_excel_csv(out, header, rows())
    return digest


def bar_chart_svg(tally: TallyResult, *, width: int = 640, lang: str = "nl") -> str:
    """An inline SVG bar chart (no script): one bar per option, winners darker."""

    from markupsafe import escape

    bar_h, gap, label_w = 22, 8, 200
    top = max([o.votes for o in tally.options] + [1])
    height = len(tally.options) * (bar_h + gap) + gap
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'role="img" aria-label="{escape(say(lang, "tally.chart_label"))}">'
    ]
    for i, option in enumerate(ranked_options(tally)):
        y = gap + i * (bar_h + gap)
        w = int((width - label_w - 60) * option.votes / top)
        colour = "#1b5e20" if option.elected else "#90a4ae"
        # The number drawn next to a bar is the report's own notation ("1.204").
        parts.append(
            f'<text x="0" y="{y + 16}" font-size="13">{escape(option.name[:28])}</text>'
            f'<rect x="{label_w}" y="{y}" width="{w}" height="{bar_h}" fill="{colour}"/>'
            f'<text x="{label_w + w + 6}" y="{y + 16}" font-size="13">'
            f"{format_number(option.votes, lang)}</text>"
        )
    parts.append("</svg>")
    return "".join(parts)


def _shown(rows: list[list[Any]], lang: str = "nl") -> list[list[Any]]:
    """Rows as a page or PDF shows them: whole numbers in the language's notation
    ("4.455", "4,455")."""

    return [
        [
            format_number(v, lang) if isinstance(v, int) and not isinstance(v, bool) else v
            for v in row
        ]
        for row in rows
    ]


def _pairs(rows: list[tuple[str, Any]], lang: str) -> list[list[Any]]:
    return _shown([list(r) for r in rows], lang)


def render_html(p: Participatie, tally: TallyResult, lang: str = "nl") -> str:
    from markupsafe import Markup

    return p.render(
        "polls/tally.html",
        lang=lang,
        tally=tally,
        chart=Markup(bar_chart_svg(tally, lang=lang)),  # noqa: S704 - escaped parts above
        option_header=option_header(tally, lang),
        options=_shown(option_rows(tally, lang), lang),
        summary=_pairs(_summary_rows(tally, lang), lang),
        sha_label=say(lang, "tally.ballots_sha256"),
        ties=_tie_text(tally, lang),
        rule=rule_text(tally, lang),
        rounds=round_rows(tally),
        reconciliation=_pairs(reconciliation_rows(tally, lang), lang),
        paper=_pairs(paper_rows(tally, lang), lang),
        mismatches=mismatch_rows(tally, lang),
        generated=local_time(tally, tally.generated_at, lang),
    )


def write_xlsx_report(
    tally: TallyResult,
    out: Output,
    *,
    organisation: OrganisationSettings | None = None,
    lang: str = "nl",
) -> None:
    """The tally as a workbook: sheets Uitslag (options in order of votes), Samenvatting,
    Controle and Papier (in English: Result, Summary, Checks, Paper ballots), numbers as
    numbers, the organisation as author."""

    from participatie.organisation import OrganisationSettings

    def w(key: str) -> str:
        return say(lang, f"tally.{key}")

    org = organisation or OrganisationSettings()
    summary = [list(r) for r in _summary_rows(tally, lang)]
    summary += [[w("ties"), line] for line in _tie_text(tally, lang)]
    summary += [
        [say(lang, "tally.decided_by", college="").rstrip(". "), org.college],
        [w("signature_name"), ""],
        [w("signature_date"), ""],
        [w("signature_sign"), ""],
    ]
    pair = [w("part"), w("value")]
    sheets: list[tuple[str, list[str], list[list[Any]]]] = [
        (w("sheet_result"), option_header(tally, lang), option_rows(tally, lang)),
        (w("summary"), pair, summary),
        (
            w("checks"),
            [w("checks"), w("value")],
            [list(r) for r in reconciliation_rows(tally, lang)],
        ),
        (w("sheet_paper"), pair, [list(r) for r in paper_rows(tally, lang)]),
    ]
    if tally.paper.mismatches:
        sheets.append((w("sheet_differences"), _mismatch_header(lang), mismatch_rows(tally, lang)))
    if tally.rounds:
        sheets.append((w("rounds"), _round_header(lang), round_rows(tally)))
    write_xlsx(
        out,
        sheets,
        creator=org.name,
        title=say(lang, "tally.title", title=tally.title),
        created=tally.generated_at,
    )


def _mismatch_header(lang: str) -> list[str]:
    return [
        say(lang, f"tally.{k}") for k in ("sheet", "first_typing", "second_typing", "resolved_by")
    ]


def _round_header(lang: str) -> list[str]:
    return [say(lang, f"tally.{k}") for k in ("round", "standing", "elected", "excluded")]


def write_pdf(
    tally: TallyResult,
    out: Output,
    *,
    organisation: OrganisationSettings | None = None,
    font: str | None = None,
    lang: str = "nl",
) -> None:
    """Write the report as PDF/A-2U (``exports.pdf``): the organisation's letterhead and
    name as author, the tally's time as creation date, every name as written."""

    from participatie.exports.pdf import organisation_pdf
    from participatie.organisation import OrganisationSettings

    def w(key: str, **params: Any) -> str:
        return say(lang, f"tally.{key}", **params)

    org = organisation or OrganisationSettings()
    doc = organisation_pdf(
        org, w("title", title=tally.title), created=tally.generated_at, font=font, lang=lang
    )
    doc.paragraph(tally.question)
    doc.paragraph(rule_text(tally, lang))
    doc.heading(w("votes_per_option"))
    columns = len(option_header(tally, lang))
    doc.table(
        option_header(tally, lang),
        _shown(option_rows(tally, lang), lang),
        widths=[12, 60, *[20] * (columns - 3), 22],
        align=["R", "L", *["R"] * (columns - 3), "L"],
    )
    pair = [w("part"), w("value")]
    doc.heading(w("summary"))
    doc.table(pair, _pairs(_summary_rows(tally, lang), lang), [60, 120])
    if tally.ties:
        doc.heading(w("ties"))
        for line in _tie_text(tally, lang):
            doc.paragraph(line)
    if tally.rounds:
        doc.heading(w("rounds"))
        doc.table(_round_header(lang), round_rows(tally), [15, 95, 35, 35])
    doc.heading(w("checks"))
    doc.table([w("checks"), w("value")], _pairs(reconciliation_rows(tally, lang), lang), [120, 60])
    doc.heading(w("paper_ballots"))
    doc.table(pair, _pairs(paper_rows(tally, lang), lang), [120, 60])
    if tally.paper.mismatches:
        doc.paragraph(w("mismatches_intro"))
        doc.table(_mismatch_header(lang), mismatch_rows(tally, lang), [20, 60, 60, 40])
    doc.paragraph(w("generated", date=local_time(tally, tally.generated_at, lang)))
    doc.heading(w("signing"))
    doc.paragraph(
        f"{w('decided_by', college=org.college)}\n\n{w('name_date')}\n\n{w('signature_line')}"
    )
    doc.save(out)


def write_tally(
    p: Participatie, tally: TallyResult, out: Output, fmt: str, lang: str = "nl"
) -> str:
    """Write ``tally`` as ``fmt`` (json, csv, html, xlsx, pdf) in ``lang`` (``nl``, or
    ``en`` as a rendering of its own) to ``out``, a path (mode 0600) or a binary file;
    returns the SHA-256 of what was written."""

    from participatie.errors import InvalidInput

    if fmt not in FORMATS:
        raise InvalidInput(f"unknown format {fmt!r}: use {', '.join(FORMATS)}", field="format")
    if lang not in LANGS:
        raise InvalidInput(f"unknown language {lang!r}: use {', '.join(LANGS)}", field="lang")
    if fmt == "csv":
        return write_csv(tally, out, lang)
    # The other formats are one small document: made whole, then written.
    if fmt == "json":
        data = tally_json(tally)
    elif fmt == "html":
        data = render_html(p, tally, lang).encode("utf-8")
    else:
        buffer = io.BytesIO()
        if fmt == "xlsx":
            write_xlsx_report(tally, buffer, organisation=p.settings.organisation, lang=lang)
        else:
            write_pdf(
                tally,
                buffer,
                organisation=p.settings.organisation,
                font=p.settings.polls.pdf_font,
                lang=lang,
            )
        data = buffer.getvalue()
    with binary_output(out) as fh:
        fh.write(data)
    return sha256_bytes(data)


__all__ = [
    "FORMATS",
    "LANGS",
    "ballot_json_line",
    "bar_chart_svg",
    "channel_name",
    "render_html",
    "tally_data",
    "tally_json",
    "write_csv",
    "write_pdf",
    "write_tally",
    "write_xlsx_report",
]
