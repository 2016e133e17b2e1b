"""Every personal datum has an end date: seeded in every state of every module, gone from
every table after three years of job runs."""

from __future__ import annotations

import io
import re
import uuid
from datetime import timedelta

from sqlalchemy import String, Text, func, or_, select, update
from sqlalchemy.types import JSON

from participatie.clock import FixedClock
from participatie.db import metadata
from participatie.engine import Participatie
from participatie.outbox.mailers import RecordingMailer
from participatie.outbox.models import OutboxMessageRow
from participatie.petitions.models import (
    CoinitiatorRow,
    PetitionRow,
    RuleRow,
    SignatureRow,
    TrendRow,
)
from participatie.petitions.schemas import (
    InvalidationCriteria,
    PaperBatchIn,
    PetitionIn,
    SignatureIn,
)
from participatie.polls.models import CredentialRow, PaperEntryRow
from participatie.polls.schemas import BallotIn, LetterAddress, PaperEntry
from participatie.reactions.schemas import (
    AnswerIn,
    DossierUpdate,
    PointIn,
    ReactionIn,
    SubmitterIn,
)
from tests.petitions.conftest import links, seed_areas
from tests.polls.conftest import make_poll
from tests.reactions.conftest import new_dossier

NAME = "Xylofoon Qwerty"
EMAIL = "xq-retention@example.org"
PHONE = "0612345678"
STREET = "Zwaardvisstraat"
ADDRESS = f"{STREET} 99"
#: What must be gone: names, addresses, e-mail addresses and phone numbers.
NEEDLES = ("xylofoon", "qwerty", "xq-retention", PHONE, "06-12345678", "zwaardvis")
#: Free text as residents write it, with everything in it.
SIGNED = f"Met vriendelijke groet, {NAME}, {ADDRESS}, 9711 AB Groningen, {PHONE}, {EMAIL}"


def address(tag: str) -> str:
    return f"xq-retention+{tag}@example.org"


def creator_token(p: Participatie, email: str) -> str:
    return links(p, email, "petitions_creator_confirm")["creator"]


def new_petition(p: Participatie, tag: str, **extra: object) -> uuid.UUID:
    data = PetitionIn(
        title=f"Bankjes van {NAME} ({tag})",
        summary="Meer bankjes in het Noorderplantsoen.",
        body=f"Wij vragen meer bankjes. {SIGNED}",
        creator_name=NAME,
        creator_email=address(tag),
        **extra,
    )
    return p.petitions.create(data).id


def seed_petitions(p: Participatie) -> None:
    seed_areas(p)
    new_petition(p, "draft")  # the creator never confirms
    new_petition(p, "submitted")
    token = creator_token(p, address("submitted"))
    p.petitions.confirm_creator(token)
    p.petitions.invite_coinitiator(token, name="Qwerty Xylofoon", email=address("co"))
    hidden = new_petition(p, "hidden")
    p.petitions.confirm_creator(creator_token(p, address("hidden")))
    p.petitions.hide(hidden, actor="griffie", reason=f"Noemt {NAME}")
    rejected = new_petition(p, "rejected")
    p.petitions.confirm_creator(creator_token(p, address("rejected")))
    p.petitions.reject(
        rejected, actor="griffie", reason="commercial", note=f"Gebeld met {NAME}, {PHONE}."
    )
    withdrawn = new_petition(p, "withdrawn")
    token = creator_token(p, address("withdrawn"))
    p.petitions.confirm_creator(token)
    p.petitions.approve(withdrawn, actor="griffie", closes_at=p.clock.now() + timedelta(days=30))
    p.petitions.withdraw_petition(token, reason=f"Ik, {NAME}, stop ermee. Bel {PHONE}.")

    # A deployment that asks for co-initiators: this one waits for them.
    settings = p.settings.model_copy(
        update={"petitions": p.settings.petitions.model_copy(update={"min_coinitiators": 1})}
    )
    q = Participatie(settings, engine=p.engine, clock=p.clock, mailer=RecordingMailer())
    waiting = new_petition(q, "waiting")
    token = creator_token(q, address("waiting"))
    q.petitions.confirm_creator(token)
    q.petitions.invite_coinitiator(token, name="Qwerty Xylofoon", email=address("co2"))
    assert q.petitions.get(waiting).status == "coinitiators"

    # Closed by the job, never handed over.
    closed = new_petition(p, "closed")
    p.petitions.confirm_creator(creator_token(p, address("closed")))
    p.petitions.approve(closed, actor="griffie", closes_at=p.clock.now() + timedelta(days=10))
    p.petitions.sign(
        closed,
        SignatureIn(name=NAME, email=address("closed-signer"), postcode="9711 AB"),
        ip="10.0.1.1",
    )
    p.petitions.confirm(links(p, address("closed-signer"), "petitions_confirm")["confirm"])

    ran = new_petition(p, "ran")
    p.petitions.confirm_creator(creator_token(p, address("ran")))
    p.petitions.approve(ran, actor="griffie", closes_at=p.clock.now() + timedelta(days=30))

    def sign(tag: str, ip: str = "10.0.0.1") -> None:
        p.petitions.sign(
            ran,
            SignatureIn(
                name=NAME,
                email=address(tag),
                postcode="9711 AB",
                house_number="99",
                notify_answer=True,
            ),
            ip=ip,
        )

    sign("pending")
    for n in range(6):  # a burst from one address: a trending event with its keyed hash
        sign(f"burst{n}", "10.0.0.9")
    for tag, ip in (("verified", "10.0.0.2"), ("invalid", "10.0.0.3"), ("gone", "10.0.0.4")):
        sign(tag, ip)
        p.petitions.confirm(links(p, address(tag), "petitions_confirm")["confirm"])
    p.petitions.withdraw_signature(links(p, address("gone"), "petitions_confirm")["withdraw"])
    criteria = InvalidationCriteria(ip="10.0.0.3")
    preview = p.petitions.preview_invalidation(ran, criteria)
    p.petitions.invalidate(
        ran, criteria, actor="griffie", expected_total=preview.total, reason="dubbel"
    )
    p.petitions.add_rule(
        "block_address", address("blocked"), actor="griffie", note=f"spam van {NAME}"
    )
    sign("blocked", "10.0.0.5")
    p.petitions.add_paper_batch(
        ran, PaperBatchIn(count=12, area="centrum", note=f"Gebracht door {NAME}"), actor="loket"
    )
    p.petitions.request_personal_data(address("verified"))
    with p.session_scope(readonly=True) as s:
        states = set(s.execute(select(SignatureRow.status)).scalars())
    assert states == {"pending", "verified", "fraudulent", "invalidated", "withdrawn"}
    p.clock.advance(timedelta(days=31))  # type: ignore[attr-defined]
    p.jobs.run_due()
    p.petitions.hand_over(ran, actor="griffie", to="raad", note=f"Aangeboden door {NAME}")
    p.petitions.answer(ran, actor="griffie", text="De raad neemt het mee.")


def seed_polls(p: Participatie) -> None:
    email_poll = make_poll(p, eligibility="email", eligible_count=100)
    p.polls.open(email_poll.id, actor="projectleider")
    p.polls.request_email_link(email_poll.id, EMAIL)
    message = p.outbox.messages(to=EMAIL, template="polls_vote_link")[-1]
    token = re.search(r"/polls/confirm/(\S+)", message.text_body)
    assert token is not None
    p.polls.cast(email_poll.id, BallotIn(choices=["Ecozone"]), email_token=token.group(1))
    p.polls.close(email_poll.id, actor="projectleider")

    # Closed by the job; a paper ballot typed in once keeps its envelope's code hash.
    code_poll = make_poll(p, closes_at=p.clock.now() + timedelta(days=14))
    letters = [
        LetterAddress(line=ADDRESS, postcode="9711 AB"),
        LetterAddress(line="Kerkstraat 1", postcode="9711 AB"),
    ]
    out = io.BytesIO()
    p.polls.issue_codes(code_poll.id, out, addresses=letters, actor="projectleider")
    code = out.getvalue().decode("utf-8-sig").splitlines()[1].split(";")[2]
    p.polls.open(code_poll.id, actor="projectleider")
    p.polls.reissue_code(code_poll.id, 2, actor="balie", reason=f"{NAME} belde: brief kwijt")
    p.polls.enter_paper(
        code_poll.id, PaperEntry(sheet="P001", code=code, marks=["Ecozone"]), staff="balie"
    )
    host_poll = make_poll(p, eligibility="host", eligible_count=10)
    p.polls.open(host_poll.id, actor="projectleider")
    p.polls.cast(host_poll.id, BallotIn(choices=["Ecozone"]), subject=EMAIL)
    p.polls.cancel(host_poll.id, actor="projectleider", reason="opnieuw")


def seed_reactions(p: Participatie) -> None:
    person = {
        "name": NAME,
        "email": EMAIL,
        "street": STREET,
        "house_number": "99",
        "postcode": "9711 AB",
        "city": "Groningen",
        "phone": PHONE,
    }
    decided = new_dossier(p)
    p.reactions.update_dossier(decided, DossierUpdate(redact_names=["Qwerty"]), actor="lead")
    p.reactions.submit(
        decided,
        ReactionIn(text=f"Meer losloopgebieden. {SIGNED}", submitters=[SubmitterIn(**person)]),
    )
    p.clock.advance(timedelta(days=60))  # type: ignore[attr-defined]
    late = p.reactions.register(
        decided,
        ReactionIn(
            channel="letter",
            text=f"Te laat, maar toch. {SIGNED}",
            submitters=[SubmitterIn(**person), SubmitterIn(name="Qwerty Junior")],
        ),
        actor="postkamer",
    )
    p.reactions.decide_admissibility(
        late.reaction.id,
        admissible=False,
        reason=f"Te laat, {NAME} belde.",
        actor="lead",
    )
    p.reactions.add_point(
        p.reactions.reaction_by_number(decided, 1).id,
        PointIn(text=f"{NAME} wil losloopgebieden"),
        actor="lead",
    )
    p.reactions.draft_answer(
        decided,
        AnswerIn(theme="losloop", outcome="honoured", motivation=f"Zoals {NAME} vraagt."),
        actor="lead",
    )
    p.reactions.record_decision(decided, summary="Vastgesteld.", actor="lead")
    undecided = new_dossier(p, title="Parkeren", period_start=p.reactions.today())
    p.reactions.submit(
        undecided, ReactionIn(text=f"Parkeren. {SIGNED}", submitters=[SubmitterIn(**person)])
    )


def seed_subscriptions(p: Participatie) -> None:
    """A request never confirmed, and a subscriber who left; both quote the address. (A
    subscriber who stays is kept with consent until they leave: no end date of its own.)"""

    from participatie.areas import AreaIn
    from participatie.links import link_params
    from participatie.subscriptions.schemas import SubscriptionIn
    from tests.subscriptions.conftest import token

    if "paddepoel" not in {a.code for a in p.areas.list()}:
        p.areas.create(AreaIn(code="paddepoel", name="Paddepoel", postcodes=["9742"]), actor="test")
    for tag in ("sub-pending", "sub-left"):
        data = {"email": address(tag), "areas": ["paddepoel"], "frequency": "daily"}
        p.subscriptions.subscribe(SubscriptionIn.model_validate(data))
    p.subscriptions.confirm(token(p, address("sub-left"), "subscription.confirm"))
    manage = p.subscriptions.manage_link(
        p.subscriptions.personal_data(address("sub-left")).id  # type: ignore[union-attr]
    )
    link = link_params("subscription.unsubscribe", manage, p.settings.public_base_url)
    p.subscriptions.unsubscribe(link["token"])


def remaining(p: Participatie) -> list[str]:
    """Every seeded value still in a text column of a participatie_ table."""

    found = []
    with p.session_scope(readonly=True) as s:
        for table in metadata.sorted_tables:
            if not table.name.startswith("participatie_"):
                continue
            for column in table.columns:
                if not isinstance(column.type, String | Text | JSON):
                    continue
                text = func.lower(column) if not isinstance(column.type, JSON) else None
                if text is None:
                    values = s.execute(select(column).where(column.is_not(None))).scalars()
                    for value in values:
                        hit = [n for n in NEEDLES if n in str(value).lower()]
                        found += [f"{table.name}.{column.name}: {n}" for n in hit]
                    continue
                for needle in NEEDLES:
                    if s.execute(
                        select(func.count()).select_from(table).where(text.contains(needle))
                    ).scalar_one():
                        found.append(f"{table.name}.{column.name}: {needle}")
    return sorted(set(found))


def keyed_hashes(p: Participatie) -> dict[str, int]:
    """Rows still holding a keyed hash of a person (an address, an IP address, a voter)."""

    checks = {
        "signature hashes": select(func.count()).where(
            or_(
                SignatureRow.email_hash.is_not(None),
                SignatureRow.mailbox_hash.is_not(None),
                SignatureRow.ip_hash.is_not(None),
                SignatureRow.subnet_hash.is_not(None),
            )
        ),
        "creator hashes": select(func.count()).where(PetitionRow.creator_email_hash.is_not(None)),
        "co-initiator hashes": select(func.count()).where(
            or_(CoinitiatorRow.email_hash.is_not(None), CoinitiatorRow.mailbox_hash.is_not(None))
        ),
        "trending keys": select(func.count()).select_from(TrendRow),
        "blocked addresses": select(func.count()).where(RuleRow.kind == "block_address"),
        "voter hashes": select(func.count()).where(
            or_(
                CredentialRow.address_hash.is_not(None),
                CredentialRow.kind.in_(("email", "host"))
                & CredentialRow.key_hash.not_like("erased:%"),
            )
        ),
        "envelope code hashes": select(func.count()).where(PaperEntryRow.code_hash.is_not(None)),
        "mail keys": select(func.count()).where(
            or_(
                OutboxMessageRow.dedupe_key.like("petition-privacy:%"),
                (OutboxMessageRow.subject_type == "privacy_request")
                & OutboxMessageRow.subject_id.is_not(None),
            )
        ),
    }
    with p.session_scope(readonly=True) as s:
        counts = {name: s.execute(query).scalar_one() for name, query in checks.items()}
    return {name: n for name, n in counts.items() if n}


def test_no_personal_data_after_three_years(p: Participatie, clock: FixedClock) -> None:
    seed_petitions(p)
    seed_polls(p)
    seed_reactions(p)
    seed_subscriptions(p)
    p.outbox.deliver(1000)
    with p.session_scope() as s:
        # A refusal from a mail server quotes the address.
        s.execute(
            update(OutboxMessageRow)
            .where(OutboxMessageRow.to_address == address("co"))
            .values(status="failed", last_error=f"550 5.1.1 <{address('co')}>: unknown user")
        )
    seeded = remaining(p)
    assert set(keyed_hashes(p)) == {
        "signature hashes",
        "creator hashes",
        "co-initiator hashes",
        "trending keys",
        "blocked addresses",
        "voter hashes",
        "envelope code hashes",
        "mail keys",
    }
    for table in (
        "participatie_petition.creator_name",
        "participatie_petition_signature.email",
        "participatie_petition_coinitiator.name",
        "participatie_reactions_submitter.phone",
        "participatie_reactions_reaction.text",
        "participatie_outbox_message.to_address",
        "participatie_outbox_message.last_error",
        "participatie_subscription_request.address",
    ):
        assert any(hit.startswith(table) for hit in seeded), table
    end = clock.now() + timedelta(days=3 * 365)
    while clock.now() < end:
        clock.advance(timedelta(days=7))
        p.jobs.run_due()
        p.outbox.deliver(1000)
    assert remaining(p) == []
    assert keyed_hashes(p) == {}
    with p.session_scope(readonly=True) as s:
        # The statistics stay: the signatures are there, without anyone in them.
        assert s.execute(select(func.count()).select_from(SignatureRow)).scalar_one() >= 3
    assert all(run.status != "error" for run in p.jobs.run_due())
    assert p.audit.verify().ok
