"""Dossiers in the back office: what a dossier produces. The nota van beantwoording
(public and internal) in every format, letter batches for print, the dispatch list, the
archive package, and the participation statistics as bars with their figures in a table.
"""

from __future__ import annotations

import io
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from fastapi import Request
from starlette.responses import Response

from participatie.errors import MissingExtra, NotFound, ParticipatieError
from participatie.exports.writers import write_excel_csv
from participatie.reactions.report import FORMATS
from participatie.reactions.schemas import CHANNELS, OUTCOMES, Stats
from participatie.web.backoffice.dossier_intake import base, done_notice, dossier_of
from participatie.web.backoffice.frame import (
    Pages,
    Staff,
    bo_state,
    download,
    redirect,
    render,
)
from participatie.web.common import translator

pages = Pages()

MEDIA_TYPES = {
    "html": "text/html; charset=utf-8",
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "pdf": "application/pdf",
}
#: Dispatch records shown on the page; the CSV has all of them.
DISPATCHES_SHOWN = 200


@dataclass(frozen=True)
class Bar:
    """One bar of a chart: its label, its figure as shown, and its length in 0..1."""

    label: str
    value: str
    share: float


@dataclass(frozen=True)
class Chart:
    key: str
    title: str
    bars: list[Bar]


def _counts(key: str, title: str, items: list[tuple[str, int]]) -> Chart:
    top = max([count for _, count in items] or [0])
    return Chart(
        key,
        title,
        [Bar(label, str(count), count / top if top else 0.0) for label, count in items],
    )


def charts(request: Request, stats: Stats) -> list[Chart]:
    """The statistics as charts: per channel, per wijk, outcomes, on time."""

    t = translator(request)
    p = bo_state(request).p
    names = {area.code: area.name for area in p.areas.list()}
    per_area = [
        (names.get(code, code) if code else t("dossier_outputs.area_unknown"), count)
        for code, count in stats.per_area.items()
    ]
    on_time = [
        ("acknowledged_on_time", stats.acknowledged_on_time),
        ("answered_on_time", stats.answered_on_time),
        ("answered_by_extended_date", stats.answered_by_extended_date),
    ]
    return [
        _counts(
            "kanaal",
            t("dossier_outputs.chart_channel"),
            [(t(f"dossier_intake.channel_{c}"), stats.per_channel.get(c, 0)) for c in CHANNELS],
        ),
        _counts("wijk", t("dossier_outputs.chart_area"), per_area),
        _counts(
            "uitkomst",
            t("dossier_outputs.chart_outcome"),
            [(t(f"dossier_assess.outcome_{o}"), stats.per_outcome.get(o, 0)) for o in OUTCOMES],
        ),
        Chart(
            "op-tijd",
            t("dossier_outputs.chart_on_time"),
            [
                Bar(t(f"dossier_outputs.{key}"), f"{share * 100:.0f}%", share)
                for key, share in on_time
            ],
        ),
    ]


@pages.route("/dossiers/{dossier_id}/uitvoer", action="dossiers.publish", subject="dossier_id")
def dossier_outputs(request: Request, staff: Staff) -> Response:
    p = bo_state(request).p
    dossier = dossier_of(request, staff)
    stats = p.reactions.stats(dossier.id)
    dispatches = p.reactions.dispatches(dossier.id)
    return render(
        request,
        staff,
        "dossier_outputs.html",
        section="dossiers",
        dossier=dossier,
        formats=FORMATS,
        stats=stats,
        charts=charts(request, stats),
        pending=p.reactions.pending_letters(dossier.id),
        dispatches=dispatches[:DISPATCHES_SHOWN],
        dispatch_total=len(dispatches),
        notice=done_notice(request, "dossier_outputs"),
    )


@pages.route("/dossiers/{dossier_id}/nota.{fmt}", action="dossiers.publish", subject="dossier_id")
def dossier_nota(request: Request, staff: Staff) -> Response:
    """The nota as a file; ``?intern=1`` adds the non-public annex of submitters."""

    p = bo_state(request).p
    dossier = dossier_of(request, staff)
    fmt = request.path_params["fmt"]
    if fmt not in FORMATS:
        raise NotFound(f"no nota format {fmt!r}", field="format")
    internal = request.query_params.get("intern") == "1"
    with tempfile.TemporaryDirectory(prefix="participatie-nota-") as folder:
        path = Path(folder) / f"nota.{fmt}"
        digest = p.reactions.write_nota(dossier.id, path, fmt=fmt, internal=internal)
        body = path.read_bytes()
    name = f"nota-{'intern' if internal else 'openbaar'}-{dossier.id}.{fmt}"
    response = download(request, body, MEDIA_TYPES[fmt], name)
    response.headers["x-participatie-sha256"] = digest
    return response


def _zip(folder: Path) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                archive.write(path, path.relative_to(folder).as_posix())
    return buffer.getvalue()


@pages.route(
    "/dossiers/{dossier_id}/brieven",
    action="dossiers.publish",
    subject="dossier_id",
    methods=("POST",),
)
def dossier_letters(request: Request, staff: Staff) -> Response:
    """Every letter waiting, as one ZIP: a file per letter, the print file and the PDF.
    Each is recorded as sent with the SHA-256 of its document."""

    p = bo_state(request).p
    dossier = dossier_of(request, staff)
    kind = staff.field("kind", limit=20) or None
    if kind not in (None, "acknowledgement", "delay", "feedback"):
        return redirect(request, base(dossier) + "/uitvoer", fout="input.invalid")
    with tempfile.TemporaryDirectory(prefix="participatie-brieven-") as folder:
        try:
            batch = p.reactions.write_letters(dossier.id, folder, kind=kind, actor=staff.actor)
        except MissingExtra:
            # Without the PDF writer the HTML print file still serves.
            batch = p.reactions.write_letters(
                dossier.id, folder, kind=kind, pdf=False, actor=staff.actor
            )
        except ParticipatieError as exc:
            return redirect(request, base(dossier) + "/uitvoer", fout=exc.code)
        if not batch.letters:
            return redirect(request, base(dossier) + "/uitvoer", gedaan="no_letters")
        body = _zip(Path(folder))
    stamp = p.reactions.today().isoformat()
    return download(request, body, "application/zip", f"brieven-{kind or 'alle'}-{stamp}.zip")


@pages.route(
    "/dossiers/{dossier_id}/verzendlijst.csv", action="dossiers.publish", subject="dossier_id"
)
def dossier_dispatch_list(request: Request, staff: Staff) -> Response:
    """Every notice sent (acknowledgements, delay notices, answers) with its SHA-256."""

    p = bo_state(request).p
    dossier = dossier_of(request, staff)
    t = translator(request)
    buffer = io.BytesIO()
    write_excel_csv(
        buffer,
        [t(f"dossier_outputs.col_{c}") for c in ("number", "kind", "channel", "sent", "sha256")],
        (
            [
                d.reaction_number,
                t(f"dossier_outputs.kind_{d.kind}"),
                t(f"dossier_outputs.channel_{d.channel}"),
                d.sent_at.astimezone(p.settings.zone).strftime("%Y-%m-%d %H:%M"),
                d.sha256,
            ]
            for d in p.reactions.dispatches(dossier.id)
        ),
    )
    return download(
        request, buffer.getvalue(), "text/csv; charset=utf-8", f"verzendlijst-{dossier.id}.csv"
    )


@pages.route(
    "/dossiers/{dossier_id}/archief",
    action="dossiers.publish",
    subject="dossier_id",
    methods=("POST",),
)
def dossier_archive(request: Request, staff: Staff) -> Response:
    """The archive package (Archiefwet) as one ZIP with its SHA-256 manifest."""

    p = bo_state(request).p
    dossier = dossier_of(request, staff)
    with tempfile.TemporaryDirectory(prefix="participatie-archief-") as folder:
        p.reactions.write_archive(dossier.id, Path(folder) / "archief", actor=staff.actor)
        body = _zip(Path(folder))
    stamp = p.reactions.today().isoformat()
    return download(request, body, "application/zip", f"archief-{dossier.id}-{stamp}.zip")
