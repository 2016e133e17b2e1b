"""The subscriptions case: residents of Paddepoel follow their wijk (daily digest) and
others the whole municipality (weekly); the other cases run; the digests go out; one
resident leaves with the one-click POST a mail client sends (RFC 8058)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlencode

from participatie.clock import FixedClock
from participatie.engine import Participatie
from participatie.links import link_params
from participatie.subscriptions.schemas import SubscriptionIn

PADDEPOEL = (
    "sanne.paddepoel@example.nl",
    "ahmed.paddepoel@example.nl",
    "joke.paddepoel@example.nl",
)
MUNICIPALITY = ("kees.stad@example.nl", "lotte.stad@example.nl")


def _link(p: Participatie, to: str, name: str) -> str:
    for message in reversed(p.outbox.messages(to=to)):
        if name in message.links:
            return message.links[name]
    raise LookupError(f"no {name} link to {to}")


def prepare(p: Participatie, clock: FixedClock, echo: Callable[[str], Any] = print) -> None:
    """Subscribe and confirm before the other cases run, so their events are followed."""

    base = p.settings.public_base_url
    people = [(a, ["paddepoel"], "daily") for a in PADDEPOEL]
    people += [(a, ["*"], "weekly") for a in MUNICIPALITY]
    for address, areas, frequency in people:
        p.subscriptions.subscribe(SubscriptionIn(email=address, areas=areas, frequency=frequency))
        url = _link(p, address, "subscription.confirm")
        p.subscriptions.confirm(link_params("subscription.confirm", url, base)["token"])
    echo(
        f"subscriptions: {len(PADDEPOEL)} residents follow Paddepoel (daily digest), "
        f"{len(MUNICIPALITY)} the whole municipality (weekly)"
    )


def run_demo(
    p: Participatie,
    out: Path,
    clock: FixedClock,
    echo: Callable[[str], Any] = print,
    *,
    scale: float = 1.0,
) -> dict[str, Any]:
    p.jobs.run_due(only="subscriptions.closing_rounds")
    urgent = p.subscriptions.send_urgent()
    runs = p.subscriptions.digest(force=True)
    for run in runs:
        echo(f"digest {run.period}: {run.queued} queued for {run.subscribers} subscribers")
    delivered = 0
    while True:
        report = p.outbox.deliver(500)
        delivered += report.sent
        if report.sent == 0:
            break
    # A resident leaves from the mail client: the POST RFC 8058 prescribes.
    leaving = PADDEPOEL[-1]
    unsubscribe = _link(p, leaving, "unsubscribe")
    how = _one_click(p, unsubscribe)
    stats = p.subscriptions.stats()
    (out / "subscriber-counts.json").write_text(
        json.dumps(stats.model_dump(mode="json"), indent=2, ensure_ascii=False) + "\n",
        encoding="utf-8",
    )
    echo(
        f"{urgent} urgent mails; {delivered} mails delivered into mail/; {leaving} left by "
        f"one-click POST ({how}); {stats.subscribers} subscribers remain"
    )
    return {"digests": [r.model_dump() for r in runs], "subscribers": stats.subscribers}


def _one_click(p: Participatie, url: str) -> str:
    """POST ``List-Unsubscribe=One-Click`` to the web app's route (the Python API when
    the web extra is not installed). The request goes to the ASGI app directly, in this
    process: no HTTP client library is needed for it."""

    path = url[len(p.settings.public_base_url.rstrip("/")) :]
    try:
        from participatie.web.app import create_app
    except ImportError:
        token = link_params("subscription.unsubscribe", url, p.settings.public_base_url)["token"]
        p.subscriptions.unsubscribe(token)
        return "Python API"
    request = post_form(create_app(p), path, {"List-Unsubscribe": "One-Click"})
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        status = asyncio.run(request)
    else:
        # Called from inside an event loop (a host's async code, a browser driver):
        # the request runs on a loop of its own in another thread.
        with ThreadPoolExecutor(1) as pool:
            status = pool.submit(asyncio.run, request).result()
    if status >= 400:
        raise RuntimeError(f"the one-click unsubscribe answered HTTP {status}")
    return f"web app, HTTP {status}"


async def post_form(app: Any, path: str, fields: dict[str, str]) -> int:
    """One form POST straight to an ASGI ``app``, as a mail client sends it (no cookies);
    returns the status code.

    Args:
        app: the ASGI application.
        path: the path below the app, with its query string if any.
        fields: the form's fields, sent ``application/x-www-form-urlencoded``.

    Returns:
        The HTTP status of the answer.
    """

    body = urlencode(fields).encode()
    raw_path, _, query = path.partition("?")
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "https",
        "path": unquote(raw_path),
        "raw_path": raw_path.encode(),
        "query_string": query.encode(),
        "root_path": "",
        "headers": [
            (b"host", b"localhost"),
            (b"content-type", b"application/x-www-form-urlencoded"),
            (b"content-length", str(len(body)).encode()),
        ],
        "client": ("127.0.0.1", 50000),
        "server": ("localhost", 443),
    }
    sent = False
    status = 0

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = int(message["status"])

    await app(scope, receive, send)
    return status
