"""Hand-over list and document, public statistics, paper batches."""

from __future__ import annotations

import csv
import hashlib
import io
import json
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from participatie.clock import FixedClock
from participatie.engine import Participatie
from participatie.errors import InvalidInput
from participatie.petitions.errors import PetitionNotFound
from participatie.petitions.report import public_json
from participatie.petitions.schemas import PaperBatchIn
from tests.archive_pdf import check_archival_pdf, with_organisation
from tests.petitions.conftest import open_petition, sign_and_confirm, signer


def test_handover_csv_is_excel_safe_and_hashed(areas: Participatie, tmp_path: Path) -> None:
    p = areas
    petition = open_petition(p)
    names = ['=HYPERLINK("http://x")', "+31 6", "-min", "@SUM(A1)", "José Müller", "Gewoon"]
    for n, name in enumerate(names):
        sign_and_confirm(p, petition, n, name=name)
    p.petitions.sign(petition.id, signer(99))  # pending: not on the list
    out = tmp_path / "signatures.csv"
    result = p.petitions.write_signatures(petition.id, out)
    data = out.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    assert result.sha256 == hashlib.sha256(data).hexdigest()
    assert result.rows == len(names)
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == ["nr", "naam", "postcode", "wijk", "bevestigd_op", "naam_openbaar"]
    assert len(rows) == 1 + len(names)
    assert [r[1] for r in rows[1:]] == [
        '\'=HYPERLINK("http://x")',
        "'+31 6",
        "'-min",
        "'@SUM(A1)",
        "José Müller",
        "Gewoon",
    ]
    for row in rows[1:]:
        assert all(not cell.startswith(("=", "+", "-", "@")) for cell in row)
    assert "@example.nl" not in data.decode("utf-8")  # no e-mail addresses on the list


def test_handover_document_html_and_pdf(areas: Participatie) -> None:
    p = areas
    petition = open_petition(p)
    for n in range(3):
        sign_and_confirm(p, petition, n)
    p.petitions.add_paper_batch(
        petition.id, PaperBatchIn(area="paddepoel", count=40, note="markt"), actor="loket"
    )
    p.petitions.hand_over(petition.id, actor="griffie", to="de gemeenteraad")
    doc = p.petitions.handover_document(petition.id)
    buffer = io.BytesIO()
    listed = p.petitions.write_signatures(petition.id, buffer)
    assert doc.sha256 == listed.sha256
    assert (doc.verified, doc.paper, doc.total, doc.rows) == (3, 40, 43, 3)
    paddepoel = next(a for a in doc.per_area if a.area == "paddepoel")
    assert (paddepoel.online, paddepoel.paper, paddepoel.total) == (2, 40, 42)
    page = io.BytesIO()
    digest = p.petitions.write_handover(doc, page, fmt="html")
    assert digest == hashlib.sha256(page.getvalue()).hexdigest()
    html = page.getvalue().decode("utf-8")
    assert doc.sha256 in html
    assert "de gemeenteraad" in html
    assert "Paddepoel" in html
    pdf = io.BytesIO()
    p.petitions.write_handover(doc, pdf, fmt="pdf")
    assert pdf.getvalue().startswith(b"%PDF")


def test_paper_batches_are_audited_and_checked(areas: Participatie) -> None:
    p = areas
    petition = open_petition(p, thresholds=[25])
    with pytest.raises(InvalidInput) as info:
        p.petitions.add_paper_batch(petition.id, PaperBatchIn(area="atlantis", count=5), actor="x")
    assert info.value.field == "area"
    batch = p.petitions.add_paper_batch(petition.id, PaperBatchIn(count=30), actor="loket")
    assert batch.area is None
    event = p.audit.events(action="petition.paper_batch_added")[0]
    assert event.data["count"] == 30
    stats = p.petitions.stats(petition.id)
    assert (stats.verified, stats.paper, stats.total) == (0, 30, 30)
    assert stats.thresholds_reached == [25]


def test_public_stats_hold_no_personal_data(areas: Participatie) -> None:
    p = areas
    petition = open_petition(p)
    for n in range(4):
        sign_and_confirm(p, petition, n, name=f"Geheim{n}", show_name=True)
    stats = p.petitions.public_stats(petition.id)
    body = public_json(stats)
    assert public_json(stats) == body  # deterministic
    data = json.loads(body)
    assert data["verified"] == 4
    assert "fraudulent" not in data
    text = body.decode()
    assert "Geheim" not in text
    assert "@" not in text
    # Upper-case postcodes: ids and hashes are lower-case hex, so no chance match.
    for postcode in ("9711AB", "9711 AB", "9742CD", "9742 CD"):
        assert postcode not in text
    draft = p.petitions.create(
        open_petition.__globals__["petition_in"](creator_email="bob@example.nl")
    )
    with pytest.raises(PetitionNotFound):
        p.petitions.public_stats(draft.id)


def test_handover_pdf_is_fit_for_the_archive(areas: Participatie) -> None:
    """PDF/A-2 with embedded fonts, the organisation as author and on the letterhead, the
    document's time as creation date, and names in any script as written."""

    p = with_organisation(areas)
    petition = open_petition(
        p,
        creator_name="Đặng Thị Hương",
        summary="Met steun van Zoë Ŝŭ, Łukasz Żółć en أحمد.",
    )
    sign_and_confirm(p, petition, 1)
    p.petitions.hand_over(petition.id, actor="griffie", to=p.settings.organisation.council)
    doc = p.petitions.handover_document(petition.id)
    page, pdf = io.BytesIO(), io.BytesIO()
    p.petitions.write_handover(doc, page, fmt="html")
    p.petitions.write_handover(doc, pdf, fmt="pdf")
    html = page.getvalue().decode("utf-8")
    assert "Gemeente Groningen" in html and "Postbus 30026" in html
    assert "de gemeenteraad van Groningen" in html
    text = check_archival_pdf(
        pdf.getvalue(),
        title=f"Petitie: {petition.title}",
        author="Gemeente Groningen",
        created=doc.generated_at,
    )
    assert "Gemeente Groningen" in text and "9700 RM Groningen" in text


def test_handover_csv_gives_each_confirmation_in_local_time(
    areas: Participatie, clock: FixedClock
) -> None:
    """The list's times are local (Europe/Amsterdam), also across the change to summer
    time, and two confirmations in one minute read the same."""

    p = areas
    petition = open_petition(p)
    zone = ZoneInfo("Europe/Amsterdam")
    expected = []
    for n, step in enumerate([timedelta(0), timedelta(seconds=20), timedelta(days=27)]):
        clock.advance(step)
        sign_and_confirm(p, petition, n)
        expected.append(clock.now().astimezone(zone).strftime("%Y-%m-%d %H:%M"))
    out = io.BytesIO()
    p.petitions.write_signatures(petition.id, out)
    rows = list(csv.reader(io.StringIO(out.getvalue().decode("utf-8-sig")), delimiter=";"))
    assert [r[4] for r in rows[1:]] == expected
    assert expected[0] == expected[1]
    # One in winter time, one in summer time: the offset moved by an hour.
    first, last = (clock.now() - timedelta(days=27)), clock.now()
    assert first.astimezone(zone).utcoffset() != last.astimezone(zone).utcoffset()


def test_handover_csv_rows_cell_by_cell(areas: Participatie) -> None:
    """Every column of the list, an anonymised signer included, as each database streams
    it (PostgreSQL through COPY, the others through a cursor)."""

    from sqlalchemy import update

    from participatie.petitions.models import SignatureRow

    p = areas
    petition = open_petition(p)
    sign_and_confirm(p, petition, 1, show_name=True)
    sign_and_confirm(p, petition, 2)
    sign_and_confirm(p, petition, 3, name="=1+1")
    p.petitions.sign(petition.id, signer(4), ip="10.9.9.9")  # never confirmed: not listed
    with p.session_scope() as s:
        s.execute(
            update(SignatureRow)
            .where(SignatureRow.email == "inwoner2@example.nl")
            .values(name=None, postcode=None)
        )
    out = io.BytesIO()
    result = p.petitions.write_signatures(petition.id, out)
    rows = list(csv.reader(io.StringIO(out.getvalue().decode("utf-8-sig")), delimiter=";"))
    when = p.clock.now().astimezone(ZoneInfo("Europe/Amsterdam")).strftime("%Y-%m-%d %H:%M")
    assert rows[1:] == [
        ["1", "Inwoner 1", "9711 AB", "centrum", when, "ja"],
        ["2", "(geanonimiseerd)", "", "paddepoel", when, "nee"],
        ["3", "'=1+1", "9711 AB", "centrum", when, "nee"],
    ]
    assert result.rows == 3
    assert out.getvalue().endswith(b"\r\n") and b"\r\n\r\n" not in out.getvalue()
