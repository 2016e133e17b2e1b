"""The Grote Markt case for ``participatie demo``: a petition for a big screen gathers
more than 4,000 e-mail-verified signatures in one simulated day, through the public API.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

from participatie.clock import FixedClock
from participatie.engine import Participatie
from participatie.errors import InvalidEmail
from participatie.exports import deterministic_json
from participatie.petitions.report import public_json
from participatie.petitions.schemas import (
    InvalidationCriteria,
    PaperBatchIn,
    PetitionIn,
    SignatureIn,
    Trend,
)

FIRST = [
    "Anna",
    "Bram",
    "Carla",
    "Daan",
    "Eva",
    "Femke",
    "Gert",
    "Hanna",
    "Ilse",
    "Jan",
    "Joost",
    "Kees",
    "Lieke",
    "Maarten",
    "Noor",
    "Pieter",
    "Rik",
    "Sanne",
    "Sophie",
    "Thijs",
    "Tom",
    "Wouter",
    "Yara",
    "Zeynep",
    "Mohamed",
    "Fatima",
    "Lars",
    "Emma",
    "Lotte",
    "Sven",
]
LAST = [
    "de Vries",
    "Jansen",
    "Bakker",
    "Visser",
    "Smit",
    "Meijer",
    "de Boer",
    "Mulder",
    "de Groot",
    "Bos",
    "Vos",
    "Peters",
    "Hendriks",
    "van Dijk",
    "Dijkstra",
    "Kramer",
    "Postma",
    "Hoekstra",
    "Wiersma",
    "Brouwer",
    "Kuipers",
    "Huizinga",
    "Bosma",
    "el Amrani",
]
#: Letters of a postcode; SA, SD and SS are never used.
LETTERS = "ABCEGHJKLMNPRTVWXZ"
OUTSIDE = ("9401", "9301", "1011", "3511")  # Assen, Roden, Amsterdam, Utrecht
MAIL = ("gmail.com", "hotmail.com", "outlook.com", "ziggo.nl", "kpnmail.nl", "home.nl", "live.nl")
TYPOS = ("jan.jansen@", "@hotmail.com", "piet@@ziggo.nl", "sanne@gmail", "kees janssen@home.nl")
LINK = re.compile(r"/petitions/confirm/([A-Za-z0-9_.\-]+)")
SPECIAL = {
    77: '=HYPERLINK("http://evil.example","klik")',
    78: "+31 6 12345678",
    79: "-Jan-",
    80: "@home",
}
#: Share of the day's signatures per hour from 09:00 (the evening of the match peaks).
HOURLY = (2, 3, 4, 4, 5, 5, 5, 6, 8, 10, 12, 11, 8, 5, 3, 2, 1, 1, 1, 1, 1, 1, 2, 3)


def _pc4s() -> list[str]:
    from participatie.demo import DEMO_AREAS

    out: list[str] = []
    for _code, _name, ranges in DEMO_AREAS:
        for rng in ranges:
            low, _, high = rng.partition("-")
            out.extend(str(n) for n in range(int(low), int(high or low) + 1))
    return out


def run_demo(
    p: Participatie,
    out: Path,
    clock: FixedClock,
    echo: Callable[[str], Any] = print,
    *,
    scale: float = 1.0,
) -> dict[str, Any]:
    rnd = random.Random(2018)  # a reproducible demo, not a secret
    pc4s = _pc4s()
    start = clock.now()

    # -- submission and moderation ---------------------------------------------------
    advert = p.petitions.create(
        PetitionIn(
            title="Happy hour bij Café De Markt tijdens de finale",
            summary="Kom allemaal naar ons café.",
            body="Twee biertjes voor de prijs van een tijdens de finale.",
            creator_name="Café De Markt",
            creator_email="info@cafedemarkt.example",
        )
    )
    _follow_link(p, "info@cafedemarkt.example", "creator", p.petitions.confirm_creator)
    p.petitions.reject(advert.id, actor="griffie", reason="commercial", note="Reclame.")
    echo("rejected a commercial petition (reason: commercial)")

    petition = p.petitions.create(
        PetitionIn(
            title="Groot scherm op de Grote Markt voor de WK-finale",
            summary="Zet een groot scherm op de Grote Markt, zodat iedereen samen de finale "
            "kan kijken.",
            body="Wij vragen de gemeenteraad om toestemming en hulp voor een groot scherm op "
            "de Grote Markt tijdens de WK-finale, met afspraken over veiligheid en afval.",
            creator_name="Stichting Oranje Boven Groningen",
            creator_email="bestuur@oranjeboven.example",
            closes_at=start + timedelta(days=1, hours=6),
        )
    )
    creator = _follow_link(p, "bestuur@oranjeboven.example", "creator", p.petitions.confirm_creator)
    for name, address in (
        ("Lotte Visser", "lotte@oranjeboven.example"),
        ("Rik Postma", "rik@oranjeboven.example"),
    ):
        p.petitions.invite_coinitiator(creator, name=name, email=address)
        _follow_link(p, address, "coinitiator", p.petitions.confirm_coinitiator)
    clock.advance(timedelta(hours=1))
    thresholds = (round(1000 * scale), round(4000 * scale))
    opened = p.petitions.approve(petition.id, actor="griffie", thresholds=thresholds)
    echo(f"approved '{opened.title}' with 2 co-initiators; open until {opened.closes_at}")
    p.outbox.deliver(100)

    # -- a day of signing ------------------------------------------------------------
    trends: list[Trend] = []
    p.petitions.subscribe_trending(trends.append)
    target = max(round(4600 * scale), 100)
    per_hour = [round(target * share / sum(HOURLY)) for share in HOURLY]
    counter = 0
    duplicates = invalid = 0
    always: set[str] = set()
    for hour, count in enumerate(per_hour):
        hour_start = clock.now()
        step = timedelta(seconds=3600 / max(count, 1))
        batch_at = hour_start
        with p.session_scope() as s:
            for i in range(count):
                counter += 1
                clock.set(batch_at + step * i)
                data = _resident(rnd, counter, pc4s)
                if counter in SPECIAL:  # names a spreadsheet would take for a formula
                    data = data.model_copy(update={"name": SPECIAL[counter]})
                    always.add(data.email)
                p.petitions.sign(petition.id, data, ip=_ip(rnd), session=s)
                if rnd.random() < 0.03:  # signs again, with the address in capitals
                    p.petitions.sign(
                        petition.id,
                        data.model_copy(update={"email": data.email.upper()}),
                        ip=_ip(rnd),
                        session=s,
                    )
                    duplicates += 1
        for _ in range(count // 100 + 1):  # typing errors on the form
            try:
                p.petitions.sign(petition.id, _resident(rnd, 0, pc4s, email=rnd.choice(TYPOS)))
            except InvalidEmail:
                invalid += 1
        if hour == 10:  # the evening of the match: a script signs from one address
            burst_at = clock.now()
            with p.session_scope() as s:
                for n in range(60):
                    clock.set(burst_at + timedelta(seconds=5 * n))
                    bot = SignatureIn(
                        name=f"Fan {n}",
                        email=f"fan{n}@wegwerpmail.example",
                        postcode="9711 AA",
                        notify_answer=True,
                    )
                    p.petitions.sign(petition.id, bot, ip="203.0.113.66", session=s)
        clock.set(hour_start + timedelta(hours=1))
        # Most people click the link within the hour; about one in twelve never does.
        _confirm_due(p, rnd, skip=1 / 12, always=always)
    stats = p.petitions.stats(petition.id)
    echo(
        f"one day of signing: {stats.verified} confirmed, {stats.pending} unconfirmed, "
        f"{stats.fraudulent} silently fraudulent; {duplicates} signed twice and got the same "
        f"answer; {invalid} invalid addresses refused"
    )

    # -- the desk looks at the trend and invalidates the burst -------------------------
    burst = InvalidationCriteria(ip="203.0.113.66")
    preview = p.petitions.preview_invalidation(petition.id, burst)
    result = p.petitions.invalidate(
        petition.id,
        burst,
        actor="griffie",
        expected_total=preview.total,
        reason="60 handtekeningen in 5 minuten vanaf één IP-adres",
    )
    echo(
        f"trending events: {len(trends)}; invalidated the burst from one IP address: "
        f"preview {preview.by_status}, invalidated {result.invalidated}"
    )
    p.petitions.add_paper_batch(
        petition.id,
        PaperBatchIn(area="centrum", count=212, note="Lijsten van de kraam op de Vismarkt"),
        actor="petitieloket",
    )

    # -- closing, hand-over, answer ------------------------------------------------------
    clock.set(start + timedelta(days=1, hours=7))
    p.jobs.run_due()
    csv_result = p.petitions.write_signatures(petition.id, out / "signatures.csv")
    handed = p.petitions.hand_over(
        petition.id, actor="griffie", to=p.settings.organisation.council, note="Raadsvergadering"
    )
    doc = p.petitions.handover_document(petition.id)
    p.petitions.write_handover(doc, out / "handover.html", fmt="html")
    try:
        p.petitions.write_handover(doc, out / "handover.pdf", fmt="pdf")
    except RuntimeError as exc:  # without the reports extra
        echo(f"no PDF: {exc}")
    echo(
        f"handed over to {handed.handed_over_to}: {doc.total} signatures "
        f"({doc.verified} online, {doc.paper} on paper); list SHA-256 {csv_result.sha256[:16]}..."
    )
    clock.advance(timedelta(days=2))
    notified = p.petitions.answer(
        petition.id,
        actor="griffie",
        text="De raad steunt het scherm. De gemeente regelt de vergunning en de veiligheid.",
        decision_url="https://gemeente.example/raad/besluiten/2026-17",
    )
    delivered = 0
    # Retries come due within minutes; mail due much later (queued under another clock,
    # as in `serve --demo`) is not waited for: at most two simulated hours.
    for _minute in range(120):
        report = p.outbox.deliver(1000)
        delivered += report.sent
        if report.claimed == 0:
            if not p.outbox.counts()["pending"]:
                break
            clock.advance(timedelta(minutes=1))
    echo(f"answer queued for {notified} signers who asked for it; {delivered} mails delivered")

    final = p.petitions.stats(petition.id)
    stats_out = {
        "petition": str(petition.id),
        "title": final.title,
        "status": final.status,
        "verified": final.verified,
        "paper": final.paper,
        "total": final.total,
        "pending": final.pending,
        "fraudulent": final.fraudulent,
        "invalidated": final.invalidated,
        "withdrawn": final.withdrawn,
        "duplicates_same_answer": duplicates,
        "invalid_addresses_refused": invalid,
        "trending_events": len(trends),
        "signers_notified": notified,
        "thresholds_reached": final.thresholds_reached,
        "per_area": {
            (a.area or "onbekend"): {
                "name": a.name,
                "online": a.online,
                "paper": a.paper,
                "total": a.total,
            }
            for a in final.per_area
        },
        "per_day": {d.day.isoformat(): d.verified for d in final.per_day},
        "signatures_csv": {"rows": csv_result.rows, "sha256": csv_result.sha256},
    }
    (out / "stats.json").write_bytes(deterministic_json(stats_out))
    (out / "public.json").write_bytes(public_json(p.petitions.public_stats(petition.id)))
    echo(
        f"wrote stats.json, public.json, signatures.csv ({csv_result.rows} rows), handover.html "
        f"into {out}"
    )
    return stats_out


def _resident(
    rnd: random.Random, n: int, pc4s: list[str], *, email: str | None = None
) -> SignatureIn:
    first, last = rnd.choice(FIRST), rnd.choice(LAST)
    pc4 = rnd.choice(OUTSIDE) if rnd.random() < 0.05 else rnd.choice(pc4s)
    local = f"{first}.{last}".lower().replace(" ", "")
    return SignatureIn(
        name=f"{first} {last}",
        email=email or f"{local}.{n}@{rnd.choice(MAIL)}",
        postcode=f"{pc4} {rnd.choice(LETTERS)}{rnd.choice(LETTERS)}",
        house_number=str(rnd.randint(1, 250)),
        show_name=rnd.random() < 0.4,
        notify_answer=rnd.random() < 0.6,
    )


def _ip(rnd: random.Random) -> str:
    first = rnd.choice((31, 77, 80, 84, 145, 213))
    return f"{first}.{rnd.randint(0, 255)}.{rnd.randint(0, 255)}.{rnd.randint(1, 254)}"


def _confirm_due(p: Participatie, rnd: random.Random, *, skip: float, always: set[str]) -> None:
    """Open the confirmation mails queued since the last round and press the button."""

    messages = p.outbox.messages(status="pending", template="petitions_confirm")
    with p.session_scope() as s:
        for message in messages:
            if rnd.random() < skip and message.to_address not in always:
                continue
            found = LINK.search(message.text_body)
            if found:
                p.petitions.confirm(found.group(1), session=s)
    p.outbox.deliver(len(messages) + 100)


def _follow_link(p: Participatie, to: str, kind: str, action: Callable[[str], Any]) -> str:
    body = p.outbox.messages(to=to)[-1].text_body
    found = re.search(rf"/petitions/{kind}/([A-Za-z0-9_.\-]+)", body)
    assert found is not None, f"no {kind} link in the mail to {to}"
    action(found.group(1))
    return found.group(1)
