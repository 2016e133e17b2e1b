"""A refused back-office form comes back as the page it was on (422): the error summary
names the field by the label the page shows and links to it, the field is marked, and
everything the user typed is still there. One case per form that takes typed input, on
every database."""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
from fastapi.testclient import TestClient

from participatie.engine import Participatie
from tests.backoffice.refused import error_summary, field_value
from tests.backoffice.test_authorization import csrf
from tests.web.helpers import open_code_poll, open_petition


@dataclass
class Case:
    user: str
    path: str
    form: str  # the refused form's id prefix on the page
    wrong: str  # the field that must be marked
    data: dict[str, str | list[str]]
    #: Typed values that must come back (field -> value); by default every non-wrong one.
    kept: dict[str, str] = field(default_factory=dict)


def _petition(p: Participatie) -> str:
    return str(open_petition(p).id)


def _poll(p: Participatie) -> str:
    return str(open_code_poll(p, households=2)[0].id)


CASES: dict[str, tuple[Callable[[Participatie], str], Callable[[str], Case]]] = {
    "petition_extend_bad_date": (
        _petition,
        lambda pid: Case(
            "griffie",
            f"/beheer/petities/{pid}/verlengen",
            "verleng",
            "closes_at",
            {"closes_at": "31-02-2027", "reason": "De raad vergadert een week later"},
        ),
    ),
    "petition_paper_batch_count": (
        _petition,
        lambda pid: Case(
            "griffie",
            f"/beheer/petities/{pid}/papier",
            "papier",
            "count",
            {"count": "veertig", "note": "Lijsten van de bibliotheek Paddepoel"},
        ),
    ),
    "petition_invalidate_bad_since": (
        _petition,
        lambda pid: Case(
            "griffie",
            f"/beheer/petities/{pid}/ongeldig",
            "crit",
            "since",
            {"since": "gisteren", "domain": "wegwerp.example", "step": "preview"},
            kept={"domain": "wegwerp.example"},
        ),
    ),
    "petition_hand_over_bad_date": (
        _petition,
        lambda pid: Case(
            "griffie",
            f"/beheer/petities/{pid}/aanbieden",
            "aanbied",
            "at",
            {"at": "volgende week", "to": "De raad van Groningen", "note": "In de raadszaal"},
        ),
    ),
    "rule_bad_value": (
        lambda p: "",
        lambda _: Case(
            "griffie",
            "/beheer/regels",
            "regel",
            "value",
            {"kind": "block_network", "value": "999.1.2.0/24", "note": "Aanval van vannacht"},
            kept={"note": "Aanval van vannacht"},
        ),
    ),
    "poll_letter_serial": (
        _poll,
        lambda pid: Case(
            "projectleider",
            f"/beheer/stemmingen/{pid}/brief",
            "brief",
            "serial",
            {"serial": "twaalf", "reason": "Brief kwijt", "step": "revoke"},
            kept={"reason": "Brief kwijt"},
        ),
    ),
    "poll_envelopes_count": (
        _poll,
        lambda pid: Case(
            "teamleider",
            f"/beheer/stemmingen/{pid}/enveloppen",
            "enveloppen",
            "count",
            {"count": "ongeveer 40"},
            kept={},
        ),
    ),
    "poll_form_without_title": (
        lambda p: "",
        lambda _: Case(
            "projectleider",
            "/beheer/stemmingen/nieuw",
            "poll",
            "title",
            {
                "title": "",
                "question": "Welke speeltoestellen wilt u op het Paddepoelplein?",
                "options": "Klimrek\nSchommel | voor kleine kinderen\nZandbak",
                "rule": "approval",
                "eligibility": "codes",
                "seats": "1",
            },
            kept={"question": "Welke speeltoestellen wilt u op het Paddepoelplein?"},
        ),
    ),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_a_refused_form_keeps_what_was_typed_and_names_the_field(
    p: Participatie, bo_client: TestClient, name: str
) -> None:
    make, build = CASES[name]
    case = build(make(p))
    token = csrf(bo_client, "beheerder")
    response = bo_client.post(
        case.path,
        headers={"x-test-staff": case.user},
        data={"csrf_token": token, **case.data},
        follow_redirects=False,
    )
    assert response.status_code == 422, (response.status_code, response.text[:300])
    page = response.text
    marked = f"{case.form}-{case.wrong}"
    # The field is marked, described by its own message, and the summary links to it.
    field_tag = re.search(rf'<(input|textarea|select)[^>]*\bid="{marked}"[^>]*>', page)
    assert field_tag is not None, f"no field {marked}"
    assert 'aria-invalid="true"' in field_tag.group(0)
    assert f"{marked}-fout" in field_tag.group(0)
    assert f'id="{marked}-fout"' in page
    label = re.search(rf'<label[^>]*for="{marked}"[^>]*>([^<(]*)', page)
    assert label is not None
    summary = error_summary(page)
    assert f'href="#{marked}"' in summary
    assert html.unescape(label.group(1)).strip() in html.unescape(summary)
    assert re.search(r"<title>Fout:", page)
    # Nothing typed is lost.
    kept = case.kept or {
        k: v for k, v in case.data.items() if k != case.wrong and isinstance(v, str)
    }
    for key, value in {**kept, case.wrong: case.data[case.wrong]}.items():
        assert field_value(page, f"{case.form}-{key}") == value, key


def test_a_refused_poll_form_keeps_the_wijken_ticked(
    p: Participatie, bo_client: TestClient
) -> None:
    from participatie.areas import AreaIn

    for code in ("paddepoel", "selwerd", "vinkhuizen"):
        p.areas.create(AreaIn(code=code, name=code.title(), postcodes=["9742"]), actor="test")
    token = csrf(bo_client, "beheerder")
    response = bo_client.post(
        "/beheer/stemmingen/nieuw",
        headers={"x-test-staff": "projectleider"},
        data={
            "csrf_token": token,
            "title": "Speeltuin",
            "question": "Welke toestellen?",
            "options": "Klimrek",
            "seats": "twee",
            "area_codes": ["paddepoel", "vinkhuizen"],
        },
        follow_redirects=False,
    )
    assert response.status_code == 422
    ticked = set(
        re.findall(r'id="poll-area-(\w+)" name="area_codes" value="\w+" checked', response.text)
    )
    assert ticked == {"paddepoel", "vinkhuizen"}
    assert 'id="poll-seats"' in response.text and 'aria-invalid="true"' in response.text


def test_no_button_but_the_right_one_revokes_a_letter(
    p: Participatie, bo_client: TestClient
) -> None:
    """A decision a form did not offer is refused, never taken as the default action."""

    poll_id = _poll(p)
    before = p.polls.get(poll_id)
    token = csrf(bo_client, "beheerder")
    response = bo_client.post(
        f"/beheer/stemmingen/{poll_id}/brief",
        headers={"x-test-staff": "projectleider"},
        data={"csrf_token": token, "serial": "1", "step": "weg-ermee", "reason": "kwijt"},
        follow_redirects=False,
    )
    assert response.status_code == 422
    assert [e.action for e in p.audit.events(subject_type="poll", subject_id=before.id)].count(
        "poll.code_revoked"
    ) == 0


def test_no_button_but_approve_approves_an_answer(p: Participatie, bo_client: TestClient) -> None:
    from participatie.reactions.schemas import AnswerIn
    from tests.reactions.conftest import new_dossier, web

    dossier = new_dossier(p)
    p.reactions.submit(dossier, web("Meer losloopgebieden."))
    answer = p.reactions.draft_answer(
        dossier, AnswerIn(theme="losloop", outcome="honoured", motivation="Komt er."), actor="a"
    )
    p.reactions.mark_ready(dossier, [answer.id], actor="a")
    token = csrf(bo_client, "beheerder")
    response = bo_client.post(
        f"/beheer/dossiers/{dossier}/controleren",
        headers={"x-test-staff": "beheerder"},
        data={"csrf_token": token, "answer": str(answer.id), "action": "bogus"},
        follow_redirects=False,
    )
    assert response.status_code == 422
    assert p.reactions.get_answer(answer.id).status == "ready"


@pytest.mark.parametrize(
    ("field", "value", "label"),
    [
        ("received_on", "31-02-2027", "Ontvangen op"),
        ("postmark_date", "32-01-2026", "Datum poststempel"),
        ("house_number", "1" * 40, "Huisnummer"),
    ],
)
def test_dossier_intake_names_the_field_that_is_wrong(
    p: Participatie, bo_client: TestClient, field: str, value: str, label: str
) -> None:
    from tests.reactions.conftest import new_dossier

    dossier = new_dossier(p)
    token = csrf(bo_client, "beheerder")
    form = {"csrf_token": token, "channel": "paper", "text": "Meer bankjes.", "name": "Piet"}
    response = bo_client.post(
        f"/beheer/dossiers/{dossier}/intake",
        headers={"x-test-staff": "beheerder"},
        data={**form, field: value},
        follow_redirects=False,
    )
    assert response.status_code == 422
    problem = re.search(r'utrecht-alert--error"[^>]*>(.*?)</div>', response.text, re.S)
    assert problem is not None and label in html.unescape(problem.group(1))
    assert "Tekst van de reactie" not in html.unescape(problem.group(1))
    assert value in response.text, "what was typed stays"


def test_erasing_without_the_confirmation_box_is_refused_and_erases_nothing(
    p: Participatie, bo_client: TestClient
) -> None:
    from participatie.petitions.schemas import SignatureIn

    petition = open_petition(p)
    p.petitions.sign(
        petition.id, SignatureIn(name="Ilse", email="ilse@example.nl", postcode="9742 AB")
    )
    token = csrf(bo_client, "beheerder")
    response = bo_client.post(
        "/beheer/privacy",
        headers={"x-test-staff": "griffie"},
        data={"csrf_token": token, "email": "ilse@example.nl", "step": "erase"},
        follow_redirects=False,
    )
    assert response.status_code == 422
    page = response.text
    box = re.search(r'<input[^>]*\bid="privacy-confirm"[^>]*>', page)
    assert box is not None and 'aria-invalid="true"' in box.group(0)
    assert 'id="privacy-confirm-fout"' in page and 'href="#privacy-confirm"' in page
    assert re.search(r"<title>Fout:", page)
    # What was found is still shown, and nothing was erased.
    assert "ilse@example.nl" in page
    assert p.privacy.personal_data("ilse@example.nl").petitions.signatures
