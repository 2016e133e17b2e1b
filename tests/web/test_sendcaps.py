"""Send caps: a requester cannot make the library mail one address, or mail from one
network, more than the caps allow; the answer stays the same, the desk sees the count."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient

from participatie.clock import FixedClock
from participatie.engine import Participatie
from participatie.petitions.schemas import SignatureIn
from participatie.testing import make_participatie
from tests.web.helpers import open_code_poll, open_petition


def _mails(p: Participatie, to: str) -> int:
    return len(p.outbox.messages(to=to))


def test_voting_link_flood_for_one_address(p: Participatie, client: TestClient) -> None:
    poll, _ = open_code_poll(p, eligibility="email")
    cap = p.settings.send_caps.per_address
    answers = [
        client.post(f"/api/polls/{poll.id}/email-link", json={"email": "slachtoffer@example.nl"})
        for _ in range(20)
    ]
    assert {a.status_code for a in answers} == {202}
    assert {a.content for a in answers} == {b""}
    assert _mails(p, "slachtoffer@example.nl") == cap
    # The cap is per address, across every kind of mail: a privacy request, a signature
    # and signing again are held back too.
    assert client.post("/api/privacy/request", json={"email": "slachtoffer@example.nl"})
    petition = open_petition(p)
    signer = SignatureIn(name="S", email="slachtoffer@example.nl", postcode="9742 AB")
    p.petitions.sign(petition.id, signer)
    p.petitions.sign(petition.id, signer)
    assert _mails(p, "slachtoffer@example.nl") == cap
    # The desk sees it.
    stats = client.get("/api/admin/send-caps").json()
    assert stats["suppressed_by_address"] == 20 - cap + 3
    assert stats["sent"] >= cap


def test_window_moves_on(p: Participatie, clock: FixedClock, client: TestClient) -> None:
    poll, _ = open_code_poll(p, eligibility="email", closes_at=clock.now() + timedelta(days=3))
    for _ in range(10):
        client.post(f"/api/polls/{poll.id}/email-link", json={"email": "a@example.nl"})
    cap = p.settings.send_caps.per_address
    assert _mails(p, "a@example.nl") == cap
    clock.advance(p.settings.send_caps.window)
    client.post(f"/api/polls/{poll.id}/email-link", json={"email": "a@example.nl"})
    assert _mails(p, "a@example.nl") == cap + 1


def test_network_cap_across_addresses(p: Participatie, clock: FixedClock) -> None:
    q = make_participatie(
        p.settings.database_url, engine=p.engine, clock=clock, send_caps={"per_network": 4}
    )
    poll, _ = open_code_poll(q, eligibility="email")
    for n in range(10):
        q.polls.request_email_link(poll.id, f"buur{n}@example.nl", ip=f"203.0.113.{n}")
    sent = sum(_mails(q, f"buur{n}@example.nl") for n in range(10))
    assert sent == 4
    # Another network is not affected; an IPv4 client seen as ::ffff: is the same network.
    q.polls.request_email_link(poll.id, "ver@example.nl", ip="198.51.100.1")
    q.polls.request_email_link(poll.id, "buur20@example.nl", ip="::ffff:203.0.113.99")
    assert _mails(q, "ver@example.nl") == 1
    assert _mails(q, "buur20@example.nl") == 0
    stats = q.send_caps.stats()
    assert (stats.suppressed_by_network, stats.sent) == (7, 5)


def test_petition_creation_flood_for_one_creator_address(
    p: Participatie, client: TestClient
) -> None:
    body = {
        "title": "Groot scherm op de Grote Markt",
        "summary": "Zet een groot scherm neer voor de WK-finale.",
        "body": "Wij vragen de raad om een groot scherm te plaatsen.",
        "creator_name": "Anna de Vries",
        "creator_email": "anna@example.nl",
    }
    for _ in range(8):
        assert client.post("/api/petitions", json=body).status_code == 201
    assert _mails(p, "anna@example.nl") == p.settings.send_caps.per_address


def test_racing_requests_cannot_share_the_last_slot(p: Participatie, clock: FixedClock) -> None:
    """Sixteen requests at once for one address (cap 3), each in its own transaction on
    its own connection: exactly three are let through, the rest counted as held back."""

    import threading

    from participatie.identity import normalize_email

    q = make_participatie(
        p.settings.database_url, engine=p.engine, clock=clock, send_caps={"per_address": 3}
    )
    email = normalize_email("race@example.nl")
    start = threading.Barrier(16)
    answers: list[bool] = []

    def request(n: int) -> None:
        start.wait()
        with q.session_scope() as s:
            answers.append(q.send_caps.allow(s, email=email, ip=f"198.51.{n}.7"))

    threads = [threading.Thread(target=request, args=(n,)) for n in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(answers) == [False] * 13 + [True] * 3
    stats = q.send_caps.stats()
    assert (stats.sent, stats.suppressed_by_address, stats.suppressed_by_network) == (3, 13, 0)
