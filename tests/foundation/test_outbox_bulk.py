"""Queueing a page of messages at once: the same rows as one by one, "never twice" per key
(also within a page, on a second run and between two transactions at once), a text
rendered once and filled in per recipient."""

from __future__ import annotations

import threading
import uuid

import pytest
from sqlalchemy import func, select

from participatie.engine import Participatie
from participatie.errors import DatabaseUnavailable, InvalidInput
from participatie.outbox import Mail
from participatie.outbox.bulk import PLACEHOLDER, fill_in
from participatie.outbox.models import OutboxMessageRow


def _mail(n: int, *, key: str | None = "k") -> Mail:
    return Mail(
        to=f"inwoner{n}@example.nl",
        template="notice",
        context={"title": f"Bericht {n}", "message": f"Hallo {n} & co"},
        headers={"X-Test": str(n)},
        dedupe_key=f"{key}:{n}" if key else None,
        subject_type="test",
        subject_id=str(n),
    )


def _rows(p: Participatie) -> int:
    with p.session_scope(readonly=True) as s:
        return int(s.execute(select(func.count()).select_from(OutboxMessageRow)).scalar_one())


def test_a_page_is_queued_like_one_by_one_and_never_twice(p: Participatie) -> None:
    with p.unit_of_work() as s:
        single = p.outbox.enqueue(
            s,
            to="inwoner0@example.nl",
            template="notice",
            context={"title": "Bericht 0", "message": "Hallo 0 & co"},
            headers={"X-Test": "0"},
            dedupe_key="single:0",
            subject_type="test",
            subject_id="0",
        )
    mails = [_mail(n) for n in range(1500)] + [_mail(7), _mail(1, key=None)]
    with p.unit_of_work() as s:
        ids = p.outbox.enqueue_many(s, mails)
    assert all(isinstance(i, uuid.UUID) for i in ids[:1500])
    assert ids[1500] is None  # the same key twice in one page: the first one only
    assert ids[1501] is not None  # no key: always queued
    assert _rows(p) == 1502
    # A second run queues nothing with a key again.
    with p.unit_of_work() as s:
        again = p.outbox.enqueue_many(s, [_mail(n) for n in range(1500)])
    assert again == [None] * 1500
    assert _rows(p) == 1502
    by_one = next(m for m in p.outbox.messages(to="inwoner0@example.nl") if m.id == single)
    by_page = next(m for m in p.outbox.messages(to="inwoner0@example.nl") if m.id == ids[0])
    same = ("subject", "text_body", "html_body", "headers", "status", "attempts", "template")
    assert {f: getattr(by_page, f) for f in same} == {f: getattr(by_one, f) for f in same}
    assert "Hallo 0 &amp; co" in (by_page.html_body or "")


def test_an_empty_page_and_a_bad_address(p: Participatie) -> None:
    with p.unit_of_work() as s:
        assert p.outbox.enqueue_many(s, []) == []
    with pytest.raises(InvalidInput) as raised, p.unit_of_work() as s:
        p.outbox.enqueue_many(s, [_mail(1), Mail(to="nobody", template="notice")])
    assert raised.value.field == "to"
    assert _rows(p) == 0


def test_two_transactions_queueing_the_same_page_at_once_queue_each_key_once(
    p: Participatie,
) -> None:
    barrier = threading.Barrier(2)
    results: list[list[uuid.UUID | None]] = []
    lock = threading.Lock()

    def run(order: int) -> None:
        mails = [_mail(n, key="race") for n in range(400)]
        if order:
            mails.reverse()
        barrier.wait()
        while True:
            try:
                with p.unit_of_work() as s:
                    got = p.outbox.enqueue_many(s, mails)
                break
            except DatabaseUnavailable:  # a deadlock between the two pages: run it again
                continue
        with lock:
            results.append(got)

    threads = [threading.Thread(target=run, args=(n,)) for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    queued = sum(i is not None for got in results for i in got)
    assert queued == 400
    assert _rows(p) == 400


def test_a_text_rendered_once_is_filled_in_per_recipient(p: Participatie) -> None:
    rendered = p.render_mail(
        "notice",
        "nl",
        {**p.template_globals(), "title": "Nieuws", "message": f"Kijk op {PLACEHOLDER}"},
    )
    url = "https://meedoen.example/afmelden?a=1&b=2"
    subject, text, html = fill_in(rendered, url)
    assert url in text and PLACEHOLDER not in text
    assert html is not None and "a=1&amp;b=2" in html and PLACEHOLDER not in html
    with p.unit_of_work() as s:
        [queued] = p.outbox.enqueue_many(
            s,
            [Mail(to="a@example.nl", template="notice", rendered=(subject, text, html))],
        )
    [message] = p.outbox.messages(to="a@example.nl")
    assert message.id == queued and message.text_body == text and message.html_body == html
