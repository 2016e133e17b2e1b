from __future__ import annotations

import csv
import json
import re
import uuid
from pathlib import Path

import pytest

from participatie.engine import Participatie
from participatie.errors import InvalidInput
from participatie.reactions.schemas import (
    AnswerIn,
    DossierUpdate,
    PointIn,
    ReactionIn,
    SubmitterIn,
)
from tests.archive_pdf import pdf_text

EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.]+")
POSTCODE_NUMBER = re.compile(r"\b[1-9]\d{3}\s?[A-Z]{2}\b\D{0,3}\d")


def _assessed(p: Participatie, dossier: uuid.UUID) -> None:
    p.reactions.submit(
        dossier,
        ReactionIn(
            text="Meer losloopgebieden.",
            submitters=[SubmitterIn(name="Anna de Vries", email="anna@example.nl")],
            points=[PointIn(text="Meer losloopgebieden.", theme="losloop")],
        ),
    )
    personal = (
        "Mijn buurman Bakker laat zijn hond los. Bel mij op 06-12345678 of mail "
        "karel@example.nl, ik woon op Kerkstraat 4, 9742 AB Groningen. Groet, Karel Jansen"
    )
    number = p.reactions.register(
        dossier,
        ReactionIn(
            channel="letter",
            text=personal,
            submitters=[
                SubmitterIn(
                    name="Karel Jansen",
                    street="Kerkstraat",
                    house_number="4",
                    postcode="9742 AB",
                    city="Groningen",
                ),
                SubmitterIn(name="Mien Jansen"),
            ],
            points=[PointIn(text=personal)],
        ),
        actor="desk",
    ).reaction.number
    p.reactions.draft_answer(
        dossier,
        AnswerIn(
            theme="losloop",
            outcome="honoured",
            motivation="Vier nieuwe gebieden.",
            changes_plan=True,
            change_reference="Kaart 2",
        ),
        actor="a",
    )
    [point] = p.reactions.points(
        dossier, reaction_id=p.reactions.reaction_by_number(dossier, number).id
    )
    p.reactions.draft_answer(
        dossier,
        AnswerIn(point_id=point.id, outcome="noted", motivation="Wij spreken de eigenaar aan."),
        actor="a",
    )
    p.reactions.update_dossier(
        dossier,
        DossierUpdate(
            own_changes=["Een kaart met alle regels."],
            conclusion="Het plan verandert op twee punten.",
            redact_names=["Bakker"],
        ),
        actor="lead",
    )
    p.reactions.publish_answers(dossier, actor="lead")


def test_public_nota_redacts_and_internal_lists_submitters(
    p: Participatie, dossier: uuid.UUID, tmp_path: Path
) -> None:
    _assessed(p, dossier)
    public = p.reactions.nota(dossier)
    assert public.reactions == 2
    assert public.per_channel == {"web": 1, "letter": 1}
    assert [row.nr for row in public.rows] == ["1", "2.1"]
    assert public.rows[0].reactions == [1]
    assert public.annex == []
    assert public.changes == [
        "1. Losloopgebieden: Kaart 2",
        "Eigen initiatief: Een kaart met alle regels.",
    ]
    p.reactions.write_nota(dossier, tmp_path / "nota.html")
    html = (tmp_path / "nota.html").read_text(encoding="utf-8")
    for secret in (
        "karel@example.nl",
        "12345678",
        "Bakker",
        "Karel Jansen",
        "anna@example.nl",
        "Anna de Vries",
        "Kerkstraat 4",
    ):
        assert secret not in html
    assert not EMAIL.search(html)
    assert not POSTCODE_NUMBER.search(html)
    assert "[e-mailadres]" in html
    assert "[naam]" in html
    assert "Vier nieuwe gebieden." in html
    assert "Een kaart met alle regels." in html
    # The formal conclusions, with the plain words the submitters read beside them.
    assert "<td>Gehonoreerd</td><td>Overgenomen</td>" in html
    assert "<td>Buiten reikwijdte</td><td>Gaat niet over dit plan</td>" in html

    p.reactions.write_nota(dossier, tmp_path / "intern.html", internal=True)
    internal = (tmp_path / "intern.html").read_text(encoding="utf-8")
    for item in ("Karel Jansen", "Mien Jansen", "anna@example.nl", "9742 AB", "Bijlage"):
        assert item in internal
    # Same data, same digest; the internal version rests on more data.
    assert p.reactions.nota(dossier).sha256 == public.sha256
    assert p.reactions.nota(dossier, internal=True).sha256 != public.sha256


def test_nota_formats(p: Participatie, dossier: uuid.UUID, tmp_path: Path) -> None:
    _assessed(p, dossier)
    p.reactions.write_nota(dossier, tmp_path / "nota.csv", fmt="csv")
    raw = (tmp_path / "nota.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(raw.decode("utf-8-sig").splitlines(), delimiter=";"))
    assert rows[0][:4] == ["Nr", "Onderwerp", "Samenvatting", "Reacties"]
    assert len(rows) == 3
    assert "karel@example.nl" not in raw.decode("utf-8-sig")
    p.reactions.write_nota(dossier, tmp_path / "intern.csv", fmt="csv", internal=True)
    assert "Karel Jansen" in (tmp_path / "intern.csv").read_text(encoding="utf-8-sig")

    from openpyxl import load_workbook

    p.reactions.write_nota(dossier, tmp_path / "nota.xlsx", fmt="xlsx", internal=True)
    workbook = load_workbook(tmp_path / "nota.xlsx", read_only=True)
    assert workbook.sheetnames == [
        "Overzicht",
        "Beantwoording",
        "Wijzigingen",
        "Betekenis conclusies",
        "Bijlage indieners",
    ]
    legend = list(workbook["Betekenis conclusies"].iter_rows(values_only=True))
    assert legend[1] == ("Gehonoreerd", "Overgenomen")
    annex = list(workbook["Bijlage indieners"].iter_rows(values_only=True))
    assert len(annex) == 1 + 3
    workbook.close()

    import docx

    p.reactions.write_nota(dossier, tmp_path / "nota.docx", fmt="docx")
    document = docx.Document(str(tmp_path / "nota.docx"))
    text = "\n".join(par.text for par in document.paragraphs)
    assert "5. Overzicht van de wijzigingen en conclusie" in text
    cells = [c.text for t in document.tables for r in t.rows for c in r.cells]
    assert "Vier nieuwe gebieden." in cells
    assert not any("karel@example.nl" in c for c in cells)
    assert {"Deels gehonoreerd", "Deels overgenomen"} <= set(cells)

    digest = p.reactions.write_nota(dossier, tmp_path / "nota.pdf", fmt="pdf")
    assert (tmp_path / "nota.pdf").read_bytes().startswith(b"%PDF")
    assert len(digest) == 64
    assert "Niet overgenomen" in " ".join(pdf_text((tmp_path / "nota.pdf").read_bytes()).split())
    with pytest.raises(InvalidInput) as info:
        p.reactions.write_nota(dossier, tmp_path / "nota.odt", fmt="odt")
    assert info.value.field == "format"


def test_archive_package_with_manifest(p: Participatie, dossier: uuid.UUID, tmp_path: Path) -> None:
    import hashlib

    _assessed(p, dossier)
    manifest = p.reactions.write_archive(dossier, tmp_path / "archief", actor="archivaris")
    folder = tmp_path / "archief"
    assert set(manifest.files) == {"dossier.json", "nota.html", "nota.csv", "audit.jsonl"}
    for name, digest in manifest.files.items():
        assert hashlib.sha256((folder / name).read_bytes()).hexdigest() == digest
    sums = (folder / "SHA256SUMS").read_text(encoding="utf-8").splitlines()
    assert len(sums) == 4
    data = json.loads((folder / "dossier.json").read_text(encoding="utf-8"))
    assert len(data["reactions"]) == 2
    assert data["answers"][0]["history"]
    # Personal data stays out of the archive's public part.
    assert "karel@example.nl" not in (folder / "nota.html").read_text(encoding="utf-8")
    events = [json.loads(line) for line in (folder / "audit.jsonl").read_text().splitlines()]
    actions = {e["action"] for e in events}
    assert {
        "reactions.dossier_created",
        "reactions.received",
        "reactions.answers_published",
    } <= actions
    assert all(e["subject_id"] == str(dossier) for e in events)
    archived = p.audit.events(
        subject_type="reactions_dossier", subject_id=dossier, action="reactions.archived"
    )
    assert archived[0].data["files"] == manifest.files
