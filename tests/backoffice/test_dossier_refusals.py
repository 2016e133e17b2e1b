"""A refused dossier form comes back as the page it was on (422), the way every back-office
form does: the error summary names each wrong field by the label the page shows and links
to it, the field is marked and described by its own message, everything typed is still
there, and nothing was written. One case per dossier form that takes typed input, on every
database."""

from __future__ import annotations

import html
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from participatie.engine import Participatie
from participatie.reactions.schemas import AnswerIn, PointIn, ReactionIn, SubmitterIn
from tests.backoffice.dossier_support import pdf_bytes
from tests.backoffice.refused import error_summary, field_value
from tests.backoffice.test_authorization import csrf
from tests.reactions.conftest import new_dossier, web

USER = "beheerder"


@dataclass
class Case:
    path: str
    form: str  # the refused form's id prefix on the page
    wrong: str  # the field that must be marked
    data: dict[str, str | list[str]]
    #: Typed values that must come back (field -> value); by default every non-wrong one.
    kept: dict[str, str] | None = None
    files: dict[str, tuple[str, bytes, str]] | None = None
    #: Ids of boxes and radio buttons that must come back ticked.
    ticked: tuple[str, ...] = ()


def _dossier(p: Participatie) -> uuid.UUID:
    return new_dossier(p)


def _with_reaction(p: Participatie) -> uuid.UUID:
    dossier = new_dossier(p)
    p.reactions.submit(dossier, web("Meer losloopgebieden en een bankje."))
    return dossier


def _late(p: Participatie) -> uuid.UUID:
    """A dossier whose period ended a week ago, with a paper reaction typed in today."""

    today = p.reactions.today()
    dossier = new_dossier(
        p, period_start=today - timedelta(weeks=7), period_end=today - timedelta(weeks=1)
    )
    person = SubmitterIn(name="Bert", postcode="9711 AB", house_number="2")
    p.reactions.register(
        dossier, ReactionIn(channel="paper", text="Te laat.", submitters=[person]), actor="a"
    )
    return dossier


def _answers_ready(p: Participatie) -> uuid.UUID:
    dossier = _with_reaction(p)
    answer = p.reactions.draft_answer(
        dossier, AnswerIn(theme="losloop", outcome="honoured", motivation="Komt er."), actor="a"
    )
    p.reactions.mark_ready(dossier, [answer.id], actor="a")
    return dossier


def _answered(p: Participatie) -> uuid.UUID:
    """A dossier whose first round's answers are published: a new round may start."""

    dossier = _answers_ready(p)
    p.reactions.add_point(
        p.reactions.reaction_by_number(dossier, 1).id,
        PointIn(text="Losloopgebieden", theme="losloop"),
        actor="test",
    )
    answer = p.reactions.answers(dossier)[0]
    p.reactions.approve_answers(dossier, [answer.id], actor="b")
    p.reactions.publish_answers(dossier, actor="b")
    return dossier


def _editor(dossier: uuid.UUID) -> Case:
    return Case(
        f"/beheer/dossiers/{dossier}",
        "dossier",
        "acknowledgement_days",
        {
            "title": "Hondenbeleid in de stad",
            "summary": "Nieuwe regels voor honden.",
            "procedure": "Zes weken ter inzage.",
            "meeting_reports": "Informatieavond 3 maart.",
            "responsible_official": "M. Hoekstra",
            "responsible_email": "projectleider@gemeente.example.nl",
            "acknowledgement_days": "vijf",
            "acknowledgement_day_count": "working",
            "answer_days": "42",
            "answer_day_count": "calendar",
        },
        kept={"title": "Hondenbeleid in de stad", "answer_days": "42"},
    )


CASES: dict[str, tuple[Callable[[Participatie], uuid.UUID], Callable[[uuid.UUID], Case]]] = {
    "new_dossier_bad_start": (
        _dossier,
        lambda _: Case(
            "/beheer/dossiers/nieuw",
            "nieuw",
            "period_start",
            {
                "title": "Herinrichting Noorderplantsoen",
                "summary": "Paden, licht en speelplekken.",
                "responsible_official": "J. de Vries",
                "responsible_email": "plantsoen@gemeente.example.nl",
                "period_start": "31-02-2027",
                "round_label": "Voorontwerp",
            },
        ),
    ),
    "editor_days_not_a_number": (_dossier, _editor),
    "phase_bad_date": (
        _dossier,
        lambda d: Case(
            f"/beheer/dossiers/{d}/fasen",
            "fase-nieuw",
            "planned_date",
            {"name": "Besluit van de raad", "planned_date": "na de zomer", "status": "planned"},
            kept={"name": "Besluit van de raad"},
        ),
    ),
    "round_bad_start": (
        _answered,
        lambda d: Case(
            f"/beheer/dossiers/{d}/ronde",
            "ronde",
            "period_start",
            {"label": "Ontwerpbesluit", "period_start": "volgende week", "period_end": ""},
            kept={"label": "Ontwerpbesluit"},
        ),
    ),
    "document_link_not_https": (
        _dossier,
        lambda d: Case(
            f"/beheer/dossiers/{d}/link",
            "link",
            "url",
            {"title": "Raadsvoorstel", "url": "http://gemeente.example.nl/voorstel.pdf"},
            kept={"title": "Raadsvoorstel"},
        ),
    ),
    "document_upload_bad_date": (
        _dossier,
        lambda d: Case(
            f"/beheer/dossiers/{d}/documenten",
            "upload",
            "published_on",
            {"title": "Inrichtingsplan", "published_on": "gisteren"},
            files={"file": ("plan.pdf", pdf_bytes(2000), "application/pdf")},
        ),
    ),
    "intake_bad_postcode": (
        _dossier,
        lambda d: Case(
            f"/beheer/dossiers/{d}/intake",
            "reactie",
            "postcode",
            {
                "received_on": "02-03-2026",
                "channel": "letter",
                "text": "Honden moeten overal aan de lijn.",
                "name": "Kees",
                "house_number": "12",
                "postcode": "97",
                "email": "kees@example.nl",
                "consent": "1",
            },
        ),
    ),
    "import_not_a_spreadsheet": (
        _dossier,
        lambda d: Case(
            f"/beheer/dossiers/{d}/import",
            "import",
            "file",
            {"channel": "oral"},
            files={"file": ("reacties.exe", b"MZ\x90\x00", "application/octet-stream")},
        ),
    ),
    "admissibility_without_reason": (
        _late,
        lambda d: Case(
            f"/beheer/dossiers/{d}/toelaatbaar",
            "toel-1",
            "reason",
            {"number": "1", "admissible": "yes", "reason": ""},
            kept={},
            ticked=("toel-1-admissible-yes",),
        ),
    ),
    "theme_create_without_code": (
        _dossier,
        lambda d: Case(
            f"/beheer/dossiers/{d}/themas",
            "thema",
            "code",
            {"code": "", "title": "Speelplekken", "summary": "Waar kinderen spelen."},
        ),
    ),
    "theme_rename_without_title": (
        _dossier,
        lambda d: Case(
            f"/beheer/dossiers/{d}/themas/hernoemen",
            "hernoem",
            "title",
            {"theme": "opruim", "title": ""},
        ),
    ),
    "theme_merge_into_itself": (
        _dossier,
        lambda d: Case(
            f"/beheer/dossiers/{d}/themas/samenvoegen",
            "samen",
            "into",
            {"source": "opruim", "into": "opruim"},
        ),
    ),
    "split_point_without_text": (
        _with_reaction,
        lambda d: Case(
            f"/beheer/dossiers/{d}/reactie/punten",
            "punt",
            "text",
            {"number": "1", "text": "", "theme": "opruim"},
            kept={"theme": "opruim"},
        ),
    ),
    "answer_without_text": (
        _with_reaction,
        lambda d: Case(
            f"/beheer/dossiers/{d}/antwoord",
            "antwoord",
            "motivation",
            {
                "theme": "losloop",
                "outcome": "noted",
                "motivation": "",
                "change_reference": "Kaart 3, gebied B",
                "action": "save",
            },
            kept={"outcome": "noted", "change_reference": "Kaart 3, gebied B"},
        ),
    ),
    "answer_template_without_name": (
        _dossier,
        lambda d: Case(
            f"/beheer/dossiers/{d}/sjablonen",
            "sjabloon",
            "name",
            {"name": "", "text": "Dank voor uw reactie over {thema}."},
        ),
    ),
    "extension_bad_date": (
        _with_reaction,
        lambda d: Case(
            f"/beheer/dossiers/{d}/termijnen/verlengen",
            "verleng",
            "new_due",
            {"new_due": "binnenkort", "numbers": "1", "reason": "Meer reacties dan verwacht."},
        ),
    ),
    "extension_unknown_number": (
        _with_reaction,
        lambda d: Case(
            f"/beheer/dossiers/{d}/termijnen/verlengen",
            "verleng",
            "numbers",
            {"new_due": "2099-01-01", "numbers": "1 7", "reason": "Meer reacties dan verwacht."},
        ),
    ),
    "privacy_lookup_bad_address": (
        _dossier,
        lambda _: Case(
            "/beheer/privacy", "privacy", "email", {"email": "ilse@", "step": "show"}, kept={}
        ),
    ),
}


def _audit_count(p: Participatie) -> int:
    return len(p.audit.events())


def _rows(p: Participatie, dossier: uuid.UUID) -> tuple[int, ...]:
    """What a form could have written: dossiers, reactions, points, themes, answers,
    templates, documents, phases, rounds and every audit event."""

    d = p.reactions.get_dossier(dossier)
    return (
        len(p.reactions.list_dossiers()),
        len(list(p.reactions.reactions(dossier))),
        len(p.reactions.points(dossier)),
        len(p.reactions.themes(dossier)),
        len(p.reactions.answers(dossier)),
        len(p.reactions.answer_templates(dossier)),
        len(d.documents),
        len(d.phases),
        len(d.rounds),
        _audit_count(p),
    )


def _post(client: TestClient, case: Case) -> str:
    token = csrf(client, USER)
    response = client.post(
        case.path,
        headers={"x-test-staff": USER},
        data={"csrf_token": token, **case.data},
        files=case.files,
        follow_redirects=False,
    )
    assert response.status_code == 422, (response.status_code, response.text[:300])
    return str(response.text)


@pytest.mark.parametrize("name", sorted(CASES))
def test_a_refused_dossier_form_names_the_field_keeps_the_values_and_writes_nothing(
    p: Participatie, bo_client: TestClient, name: str
) -> None:
    make, build = CASES[name]
    dossier = make(p)
    case = build(dossier)
    before = _rows(p, dossier)
    page = _post(bo_client, case)
    marked = f"{case.form}-{case.wrong}"
    # The field is marked, described by its own message, and the summary links to it.
    field_tag = re.search(rf'<(input|textarea|select)[^>]*\bid="{marked}"[^>]*>', page)
    assert field_tag is not None, f"no field {marked}"
    assert 'aria-invalid="true"' in field_tag.group(0)
    assert f"{marked}-fout" in field_tag.group(0)
    message = re.search(rf'id="{marked}-fout">([^<]+)<', page)
    assert message is not None and message.group(1).strip()
    label = re.search(rf'<label[^>]*for="{marked}"[^>]*>([^<(]*)', page)
    assert label is not None
    summary = error_summary(page)
    assert f'href="#{marked}"' in summary
    assert html.unescape(label.group(1)).strip() in html.unescape(summary)
    assert re.search(r"<title>Fout:", page)
    # Nothing typed is lost.
    kept = (
        case.kept
        if case.kept is not None
        else {k: v for k, v in case.data.items() if k != case.wrong and isinstance(v, str)}
    )
    for key, value in kept.items():
        assert field_value(page, f"{case.form}-{key}") == value, key
    if not case.files:
        assert field_value(page, marked) == case.data[case.wrong]
    for box in case.ticked:
        assert re.search(rf'<input[^>]*\bid="{box}"[^>]*\bchecked', page), box
    # Nothing was written.
    assert _rows(p, dossier) == before


def test_the_dossier_intake_names_three_wrong_fields_at_once(
    p: Participatie, bo_client: TestClient
) -> None:
    dossier = new_dossier(p)
    typed = {
        "received_on": "31-02-2026",
        "channel": "paper",
        "text": "Meer bankjes langs het water.",
        "name": "Piet",
        "house_number": "7",
        "postcode": "97",
        "email": "piet@",
        "city": "Groningen",
        "consent": "1",
    }
    before = _rows(p, dossier)
    page = _post(
        bo_client,
        Case(f"/beheer/dossiers/{dossier}/intake", "reactie", "received_on", dict(typed)),
    )
    summary = html.unescape(error_summary(page))
    assert "3 velden" in summary
    for name, label in (
        ("received_on", "Ontvangen op"),
        ("postcode", "Postcode"),
        ("email", "E-mailadres"),
    ):
        tag = re.search(rf'<input[^>]*\bid="reactie-{name}"[^>]*>', page)
        assert tag is not None and 'aria-invalid="true"' in tag.group(0), name
        assert f"reactie-{name}-fout" in tag.group(0)
        assert f'href="#reactie-{name}"' in summary and label in summary, name
    # The first wrong field gets the focus; the right ones are not marked.
    assert len(re.findall(r"\bautofocus\b", page)) == 1
    assert re.search(r'id="reactie-received_on"[^>]*autofocus', page)
    for name in ("text", "name", "house_number", "city"):
        tag = re.search(rf'<(input|textarea)[^>]*\bid="reactie-{name}"[^>]*>', page)
        assert tag is not None and "aria-invalid" not in tag.group(0), name
    for name, value in typed.items():
        assert field_value(page, f"reactie-{name}") == value, name
    assert _rows(p, dossier) == before


def test_the_dossier_editor_names_every_wrong_field_and_keeps_the_wijken_ticked(
    p: Participatie, bo_client: TestClient
) -> None:
    from tests.web.helpers import seed_areas

    seed_areas(p)
    dossier = new_dossier(p)
    case = _editor(dossier)
    case.data.update({"responsible_email": "geen adres", "answer_days": "", "areas": ["centrum"]})
    before = _rows(p, dossier)
    page = _post(bo_client, case)
    summary = html.unescape(error_summary(page))
    for name in ("responsible_email", "acknowledgement_days", "answer_days"):
        assert f'href="#dossier-{name}"' in summary, name
        tag = re.search(rf'<input[^>]*\bid="dossier-{name}"[^>]*>', page)
        assert tag is not None and 'aria-invalid="true"' in tag.group(0), name
    assert "Antwoord binnen" in summary and "E-mailadres voor reacties" in summary
    assert re.search(r'id="wijk-centrum" name="areas" value="centrum" checked', page)
    assert not re.search(r'id="wijk-paddepoel" name="areas" value="paddepoel" checked', page)
    assert _rows(p, dossier) == before


@pytest.mark.parametrize(
    ("path", "form", "make"),
    [
        ("antwoorden/klaar", "klaar", _with_reaction),
        ("controleren", "controle", _answers_ready),
    ],
    ids=["ready", "review"],
)
def test_a_dossier_answer_choice_without_an_answer_is_named(
    p: Participatie,
    bo_client: TestClient,
    path: str,
    form: str,
    make: Callable[[Participatie], uuid.UUID],
) -> None:
    """Offering for review, approving or sending back with no answer chosen: the
    fieldset of the choice is named and linked, its boxes are marked."""

    dossier = make(p)
    if form == "klaar":
        p.reactions.draft_answer(
            dossier, AnswerIn(theme="losloop", outcome="noted", motivation="Genoteerd."), actor="a"
        )
    before = _rows(p, dossier)
    page = _post(
        bo_client, Case(f"/beheer/dossiers/{dossier}/{path}", form, "answer", {"action": "return"})
    )
    group = re.search(rf'<fieldset[^>]*\bid="{form}-answer"[^>]*>', page)
    assert group is not None and f"{form}-answer-fout" in group.group(0)
    legend = re.search(rf'id="{form}-answer"[^>]*>\s*<legend[^>]*>([^<]+)<', page)
    assert legend is not None
    summary = html.unescape(error_summary(page))
    assert f'href="#{form}-answer"' in summary and legend.group(1).strip() in summary
    boxes = re.findall(r'<input type="checkbox" name="answer"[^>]*>', page)
    assert boxes and all('aria-invalid="true"' in box for box in boxes)
    assert _rows(p, dossier) == before
    statuses = {a.status for a in p.reactions.answers(dossier)}
    assert statuses == ({"draft"} if form == "klaar" else {"ready"})


def test_a_dossier_admissibility_without_a_verdict_names_the_question(
    p: Participatie, bo_client: TestClient
) -> None:
    dossier = _late(p)
    before = _rows(p, dossier)
    page = _post(
        bo_client,
        Case(
            f"/beheer/dossiers/{dossier}/toelaatbaar",
            "toel-1",
            "admissible",
            {"number": "1", "reason": "Op de markt ingeleverd."},
        ),
    )
    summary = html.unescape(error_summary(page))
    assert 'href="#toel-1-admissible"' in summary and "Telt deze reactie toch mee?" in summary
    radios = re.findall(r'<input type="radio"[^>]*name="admissible"[^>]*>', page)
    assert len(radios) == 2 and all('aria-invalid="true"' in r for r in radios)
    assert field_value(page, "toel-1-reason") == "Op de markt ingeleverd."
    assert _rows(p, dossier) == before
    assert p.reactions.reaction_by_number(dossier, 1).admissible is None


def test_a_dossier_upload_over_the_limit_is_refused_with_413_and_names_the_file(
    p: Participatie, bo_client: TestClient
) -> None:
    dossier = new_dossier(p)
    limit = p.settings.documents.max_bytes
    token = csrf(bo_client, USER)
    before = _rows(p, dossier)
    response = bo_client.post(
        f"/beheer/dossiers/{dossier}/documenten",
        headers={"x-test-staff": USER},
        data={"csrf_token": token, "title": "Kaart"},
        files={"file": ("kaart.pdf", pdf_bytes(limit + 10), "application/pdf")},
        follow_redirects=False,
    )
    assert response.status_code == 413
    summary = html.unescape(error_summary(response.text))
    assert "kaart.pdf is niet toegevoegd" in summary and 'href="#upload-file"' in summary
    assert field_value(response.text, "upload-title") == "Kaart"
    assert _rows(p, dossier) == before
