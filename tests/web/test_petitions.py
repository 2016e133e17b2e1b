"""Petition pages and API over HTTP: sign, confirm by button (GET changes nothing),
withdraw, form errors said plainly, closed and hidden petitions, per-address rate limits."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient

from participatie.engine import Participatie
from participatie.petitions.schemas import Petition, PetitionIn
from participatie.web import create_app
from tests.web.conftest import csrf_token
from tests.web.helpers import TOKEN, open_petition, seed_areas, tokens


def _sign(client: TestClient, petition_id: object, **fields: str) -> object:
    page = client.get(f"/petitions/{petition_id}")
    assert page.status_code == 200
    data = {
        "csrf_token": csrf_token(page.text),
        "name": "Bram Bakker",
        "email": "bram@example.nl",
        "postcode": "9742 CD",
        "notify_answer": "1",
    }
    data.update(fields)
    return client.post(f"/petitions/{petition_id}", data=data, follow_redirects=False)


def test_sign_confirm_by_button_and_withdraw(p: Participatie, client: TestClient) -> None:
    seed_areas(p)
    petition = open_petition(p)
    page = client.get(f"/petitions/{petition.id}")
    assert "Groot scherm op de Grote Markt" in page.text
    assert "0 handtekeningen" in page.text
    assert 'autocomplete="email"' in page.text

    signed = _sign(client, petition.id)
    assert signed.status_code == 303  # type: ignore[attr-defined]
    location = signed.headers["location"]  # type: ignore[attr-defined]
    assert location == f"/petitions/{petition.id}/signed"
    assert "Kijk in uw e-mail" in client.get(location).text

    token = tokens(p, "bram@example.nl")["confirm"]
    # Opening the link (as a mail scanner does) shows a button and confirms nothing.
    confirm_page = client.get(f"/petitions/confirm/{token}")
    assert confirm_page.status_code == 200
    assert "Ja, ik teken deze petitie" in confirm_page.text
    assert p.petitions.count(petition.id) == 0

    form = {"csrf_token": csrf_token(confirm_page.text)}
    done = client.post(f"/petitions/confirm/{token}", data=form)
    assert done.status_code == 200
    assert "Uw handtekening telt mee" in done.text
    assert p.petitions.count(petition.id) == 1
    # Twice is harmless.
    assert client.post(f"/petitions/confirm/{token}", data=form).status_code == 200
    assert p.petitions.count(petition.id) == 1
    assert "1 handtekening<" in client.get(f"/petitions/{petition.id}").text

    withdraw_token = tokens(p, "bram@example.nl").get("withdraw")
    assert withdraw_token, "the confirmation mail carries a withdraw link"
    withdraw_page = client.get(f"/petitions/withdraw/{withdraw_token}")
    assert withdraw_page.status_code == 200
    assert p.petitions.count(petition.id) == 1
    gone = client.post(
        f"/petitions/withdraw/{withdraw_token}",
        data={"csrf_token": csrf_token(withdraw_page.text)},
    )
    assert gone.status_code == 200
    assert "ingetrokken" in gone.text
    assert p.petitions.count(petition.id) == 0


def test_form_errors_are_said_plainly_and_keep_what_was_typed(
    p: Participatie, client: TestClient
) -> None:
    petition = open_petition(p)
    empty = _sign(client, petition.id, email="", name="Bram")
    assert empty.status_code == 422  # type: ignore[attr-defined]
    html = empty.text  # type: ignore[attr-defined]
    assert "Vul uw e-mailadres in" in html
    assert 'href="#veld-email"' in html
    assert 'aria-invalid="true"' in html
    assert 'value="Bram"' in html

    postcode = _sign(client, petition.id, postcode="0123 SS")
    assert postcode.status_code == 422  # type: ignore[attr-defined]
    assert "Deze postcode klopt niet" in postcode.text  # type: ignore[attr-defined]
    mail = _sign(client, petition.id, email="bram@@example")
    assert "Dit e-mailadres klopt niet" in mail.text  # type: ignore[attr-defined]
    english = client.get(f"/petitions/{petition.id}?lang=en")
    assert "Sign this petition" in english.text
    again = _sign(client, petition.id, email="")
    assert "Fill in your e-mail address" in again.text  # type: ignore[attr-defined]
    assert p.outbox.messages(to="bram@example.nl") == []


def draft_petition(p: Participatie) -> Petition:
    """A petition its creator has not confirmed yet: not public."""

    return p.petitions.create(
        PetitionIn(
            title="Nog niet goedgekeurd",
            summary="x",
            body="y",
            creator_name="C",
            creator_email="c@example.nl",
        )
    )


def test_bad_links_closed_and_hidden_petitions(p: Participatie, client: TestClient) -> None:
    petition = open_petition(p)
    bad = client.get("/petitions/confirm/not-a-token")
    assert bad.status_code == 400
    assert "Deze link werkt niet" in bad.text
    assert client.get("/petitions/not-a-uuid").status_code == 404
    token = csrf_token(client.get(f"/petitions/{petition.id}").text)
    p.petitions.close(petition.id, actor="griffie")
    closed_page = client.get(f"/petitions/{petition.id}")
    assert closed_page.status_code == 200
    assert "Deze petitie is gesloten" in closed_page.text
    assert "<form" not in closed_page.text.split("</header>")[1]
    late = client.post(
        f"/petitions/{petition.id}",
        data={"csrf_token": token, "name": "A", "email": "a@example.nl", "postcode": "9742 CD"},
    )
    assert late.status_code == 409
    assert "Dit kan nu niet meer" in late.text or "gesloten" in late.text
    draft = draft_petition(p)
    assert client.get(f"/petitions/{draft.id}").status_code == 404
    assert client.get(f"/api/petitions/{draft.id}").status_code == 404


def test_json_api_sign_and_confirm(p: Participatie, client: TestClient) -> None:
    petition = open_petition(p)
    listed = client.get("/api/petitions").json()
    assert [x["id"] for x in listed] == [str(petition.id)]
    body = {"name": "Cor", "email": "cor@example.nl", "postcode": "9711AB"}
    signed = client.post(f"/api/petitions/{petition.id}/signatures", json=body)
    assert signed.status_code == 202
    assert signed.json()["message"] == "check_your_mail"
    repeat = client.post(f"/api/petitions/{petition.id}/signatures", json=body)
    assert repeat.json() == signed.json()  # no enumeration of who signed
    token = tokens(p, "cor@example.nl")["confirm"]
    confirmed = client.post("/api/petitions/confirm", json={"token": token})
    assert confirmed.status_code == 200
    assert client.get(f"/api/petitions/{petition.id}").json()["verified"] == 1
    invalid = client.post(
        f"/api/petitions/{petition.id}/signatures", json={**body, "email": "nope"}
    )
    assert invalid.status_code == 422
    assert invalid.json()["field"] == "email"
    assert invalid.json()["code"] == "input.email"
    form_post = client.post(f"/api/petitions/{petition.id}/signatures", data=body)
    assert form_post.status_code == 415


def test_json_api_hides_what_the_public_may_not_see(p: Participatie, client: TestClient) -> None:
    """Signing, the statistics and the names of a draft, a hidden or an unknown petition
    are "not found" through the JSON API; a closed public one is "closed". Nothing is
    written for any of them."""

    body = {"name": "Cor", "email": "cor@example.nl", "postcode": "9711AB"}
    draft = draft_petition(p)
    hidden = open_petition(p)
    p.petitions.hide(hidden.id, actor="griffie", reason="test")
    withdrawn = open_petition(p, creator_email="wil@example.nl")
    wim = {"name": "Wim", "email": "wim@example.nl", "postcode": "9711AB", "show_name": True}
    assert client.post(f"/api/petitions/{withdrawn.id}/signatures", json=wim).status_code == 202
    p.petitions.confirm(tokens(p, "wim@example.nl")["confirm"])
    assert client.get(f"/api/petitions/{withdrawn.id}/names").json()["total"] == 1
    creator = p.outbox.messages(to="wil@example.nl", template="petitions_creator_confirm")
    creator_token = TOKEN.findall(creator[-1].text_body)[0][2]
    p.petitions.withdraw_petition(creator_token)
    closed = open_petition(p)
    p.petitions.close(closed.id, actor="griffie")
    unknown = "0190f0a0-0000-7000-8000-000000000000"
    for petition_id in (draft.id, hidden.id, withdrawn.id, unknown, "not-a-uuid"):
        for path in ("", "/stats", "/names"):
            answer = client.get(f"/api/petitions/{petition_id}{path}")
            assert answer.status_code == 404, (petition_id, path, answer.text)
        signed = client.post(f"/api/petitions/{petition_id}/signatures", json=body)
        assert signed.status_code == 404, (petition_id, signed.text)
        assert signed.json()["code"] == "petition.not_found"
    for path in ("", "/stats", "/names"):  # the same paths answer for a public petition
        assert client.get(f"/api/petitions/{closed.id}{path}").status_code == 200, path
    late = client.post(f"/api/petitions/{closed.id}/signatures", json=body)
    assert (late.status_code, late.json()["code"]) == (409, "petition.closed")
    assert client.get(f"/petitions/{withdrawn.id}").status_code == 404
    # The form on the page refuses the same way as the JSON route.
    still_open = open_petition(p, creator_email="o@example.nl")
    form = {**body, "csrf_token": csrf_token(client.get(f"/petitions/{still_open.id}").text)}
    for petition_id in (draft.id, hidden.id, withdrawn.id):
        assert client.post(f"/petitions/{petition_id}", data=form).status_code == 404
    assert client.post(f"/petitions/{closed.id}", data=form).status_code == 409
    assert p.outbox.messages(to="cor@example.nl") == []
    for petition in (hidden, closed):
        assert p.petitions.stats(petition.id).pending == 0


def test_rate_limit_uses_the_client_address(p: Participatie) -> None:
    limit = p.settings.petitions.ip_limit
    petition = open_petition(p)

    def sign_from(client: TestClient, n: int, forwarded: str | None = None) -> None:
        headers = {"x-forwarded-for": forwarded} if forwarded else {}
        body = {"name": f"I {n}", "email": f"i{n}@example.nl", "postcode": "9742 CD"}
        response = client.post(
            f"/api/petitions/{petition.id}/signatures", json=body, headers=headers
        )
        assert response.status_code == 202  # the same answer over the limit: bots learn nothing
        client.post(
            "/api/petitions/confirm", json={"token": tokens(p, f"i{n}@example.nl")["confirm"]}
        )

    with TestClient(create_app(p), client=("203.0.113.9", 5000)) as one_address:
        for n in range(limit + 3):
            sign_from(one_address, n)
    assert p.petitions.count(petition.id) == limit

    # Behind a trusted proxy each resident's own address counts, not the proxy's.
    proxied = create_app(p, trusted_proxies=["10.0.0.0/8"])
    with TestClient(proxied, client=("10.0.0.2", 5000)) as via_proxy:
        for n in range(100, 103):
            sign_from(via_proxy, n, forwarded=f"198.51.100.{n - 99}")
    assert p.petitions.count(petition.id) == limit + 3
    p.clock.advance(timedelta(hours=2))  # type: ignore[attr-defined]


def test_start_a_petition(p: Participatie, client: TestClient) -> None:
    page = client.get("/petitions/new")
    assert page.status_code == 200
    token = csrf_token(page.text)
    short = client.post(
        "/petitions/new",
        data={"csrf_token": token, "title": "Wk", "summary": "", "body": "Tekst"},
    )
    assert short.status_code == 422
    assert "minstens 5 tekens" in short.text
    assert "Schrijf een korte samenvatting." in short.text
    assert "Vul uw naam in." in short.text
    sent = client.post(
        "/petitions/new",
        data={
            "csrf_token": token,
            "title": "Groot scherm voor de finale",
            "summary": "Een scherm op de Grote Markt.",
            "body": "Wij vragen een groot scherm.",
            "creator_name": "Stichting Oranje",
            "creator_email": "oranje@example.nl",
        },
    )
    assert sent.status_code == 200
    assert "Groot scherm voor de finale" in sent.text
    creator = tokens(p, "oranje@example.nl")["creator"]
    confirm = client.get(f"/petitions/creator/{creator}")
    assert "Ja, ik heb deze petitie gestart" in confirm.text
    done = client.post(
        f"/petitions/creator/{creator}", data={"csrf_token": csrf_token(confirm.text)}
    )
    assert done.status_code == 200
    assert [x.status for x in p.petitions.list(include_hidden=True)] == ["submitted"]


def test_names_of_signers_who_agreed_are_shown(p: Participatie, client: TestClient) -> None:
    seed_areas(p)
    petition = open_petition(p)
    for name, email, show in (
        ("Dirk Dijkstra", "dirk@example.nl", True),
        ("Els", "els@example.nl", False),
    ):
        body = {"name": name, "email": email, "postcode": "9742AB", "show_name": show}
        assert client.post(f"/api/petitions/{petition.id}/signatures", json=body).status_code == 202
        token = tokens(p, email)["confirm"]
        assert client.post("/api/petitions/confirm", json={"token": token}).status_code == 200
    names = client.get(f"/api/petitions/{petition.id}/names").json()
    assert names["total"] == 1
    assert names["signers"][0]["name"] == "Dirk Dijkstra"
    assert names["signers"][0]["area"] == "Paddepoel"
    page = client.get(f"/petitions/{petition.id}").text
    assert "Wie tekenden" in page
    assert "Dirk Dijkstra (Paddepoel)" in page
    assert "Els" not in page
    assert "dirk@example.nl" not in page
    assert client.get(f"/api/petitions/{petition.id}/names?limit=0").status_code == 422


def test_a_mail_names_the_button_its_page_shows(p: Participatie, client: TestClient) -> None:
    """The confirmation and reminder mails for a signature, and the confirmation mail of a
    subscription, say which button to press in the words the page's button has, in the
    mail's language."""

    import re

    from participatie.areas import AreaIn
    from participatie.links import link_params
    from participatie.petitions.schemas import SignatureIn
    from participatie.subscriptions.schemas import SubscriptionIn

    p.areas.create(AreaIn(code="paddepoel", name="Paddepoel", postcodes=["9742"]), actor="test")
    petition = open_petition(p)
    quoted = re.compile(r'"([^"]+)":\s*$', re.M)
    base = p.settings.public_base_url
    for lang in ("nl", "en"):
        email = f"bram-{lang}@example.nl"
        p.petitions.sign(
            petition.id, SignatureIn(name="Bram", email=email, postcode="9742 CD", locale=lang)
        )
        p.subscriptions.subscribe(
            SubscriptionIn(email=f"volger-{lang}@example.nl", areas=["paddepoel"], locale=lang)
        )
        for to, kind, link_name in (
            (email, "petitions_confirm", "petition.confirm"),
            (f"volger-{lang}@example.nl", "subscriptions_confirm", "subscription.confirm"),
        ):
            [mail] = p.outbox.messages(to=to, template=kind)
            label = quoted.findall(mail.text_body)
            assert len(label) == 1, mail.text_body
            token = link_params(link_name, mail.links[link_name], base)["token"]
            page = client.get(mail.links[link_name][len(base) :], params={"lang": lang})
            assert page.status_code == 200, (kind, lang)
            assert re.search(rf">\s*{re.escape(label[0])}\s*</button>", page.text), (
                kind,
                lang,
                label[0],
            )
            assert token


def test_an_english_mail_opens_its_page_in_english(p: Participatie) -> None:
    """The link in a mail written in English carries the language, so the page opens in
    English in a browser that asks for Dutch and has no cookie yet; Dutch mails stay
    without it."""

    from participatie.petitions.schemas import SignatureIn

    petition = open_petition(p)
    for lang in ("nl", "en"):
        email = f"lezer-{lang}@example.nl"
        p.petitions.sign(
            petition.id, SignatureIn(name="Lezer", email=email, postcode="9742 CD", locale=lang)
        )
        [mail] = p.outbox.messages(to=email, template="petitions_confirm")
        link = mail.links["petition.confirm"]
        assert ("lang=en" in link) == (lang == "en"), link
        assert link in mail.text_body
        with TestClient(create_app(p)) as fresh:
            page = fresh.get(
                link[len(p.settings.public_base_url) :], headers={"accept-language": "nl"}
            )
        assert page.status_code == 200
        assert f'<html lang="{lang}"' in page.text
