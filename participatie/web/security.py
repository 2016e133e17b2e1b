"""Request hardening: CSRF double-submit tokens, security headers with a strict CSP,
body size limits, JSON-only API writes, and the client address behind trusted proxies.
"""

from __future__ import annotations

import ipaddress
import json
import re
import secrets
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit

from itsdangerous import BadSignature, URLSafeTimedSerializer
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from participatie.identity import parse_ip

CSRF_COOKIE = "participatie_csrf"
CSRF_FIELD = "csrf_token"
#: A form may stay open in a browser tab for half a day.
CSRF_MAX_AGE = 12 * 3600
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class Csrf:
    """Signed double-submit: a random value in a cookie, its signature in the form.

    A forged cross-site form cannot read the cookie, so it cannot produce a signature
    that matches it; the signature (key from ``settings.signing_keys``) stops a value
    planted in the cookie by a sibling subdomain from being accepted on its own.
    """

    def __init__(self, keys: Sequence[str]) -> None:
        # itsdangerous takes keys oldest first and signs with the last one.
        self._serializer = URLSafeTimedSerializer(list(reversed(keys)), salt="participatie:csrf")

    @staticmethod
    def new_cookie_value() -> str:
        return secrets.token_urlsafe(32)

    def form_token(self, cookie_value: str) -> str:
        return self._serializer.dumps(cookie_value)

    def check(self, cookie_value: str | None, form_token: str | None) -> bool:
        if not cookie_value or not form_token:
            return False
        try:
            value = self._serializer.loads(form_token, max_age=CSRF_MAX_AGE)
        except BadSignature:
            return False
        return isinstance(value, str) and secrets.compare_digest(value, cookie_value)


def content_security_policy(frame_ancestors: Sequence[str], stylesheets: Sequence[str]) -> str:
    # A theme on another host needs its origin allowed; one on this site is 'self'.
    origins = []
    for href in stylesheets:
        parts = urlsplit(href)
        if parts.scheme in ("http", "https") and parts.netloc:
            origins.append(f"{parts.scheme}://{parts.netloc}")
    styles = " ".join(["'self'", *dict.fromkeys(origins)])
    ancestors = " ".join(frame_ancestors) if frame_ancestors else "'none'"
    return (
        "default-src 'none'; "
        f"style-src {styles}; "
        "img-src 'self' data:; "
        "font-src 'self'; "
        "connect-src 'self'; "
        "form-action 'self'; "
        "base-uri 'none'; "
        f"frame-ancestors {ancestors}"
    )


class SecurityHeaders:
    """Adds the security headers to every response.

    Only the widget may be framed (by ``frame_ancestors``); every other page refuses to
    be framed. ``Referrer-Policy: no-referrer`` keeps tokens in e-mail links from leaking
    to other sites through the Referer header.
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        frame_ancestors: Sequence[str] = (),
        stylesheets: Sequence[str] = (),
        framable_prefix: str = "/widget/",
    ) -> None:
        self.app = app
        self.framable_prefix = framable_prefix
        self._strict = content_security_policy((), stylesheets).encode()
        self._framable = content_security_policy(frame_ancestors, stylesheets).encode()
        self._frame_ancestors = tuple(frame_ancestors)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope.get("path", "")
        root: str = scope.get("root_path", "")
        local = path[len(root) :] if root and path.startswith(root) else path
        framable = local.startswith(self.framable_prefix) and bool(self._frame_ancestors)
        csp = self._framable if framable else self._strict

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [
                    (k, v) for k, v in message.get("headers", []) if k.lower() not in _OWN_HEADERS
                ]
                headers += [
                    (b"content-security-policy", csp),
                    (b"x-content-type-options", b"nosniff"),
                    (b"referrer-policy", b"no-referrer"),
                    (b"cross-origin-opener-policy", b"same-origin"),
                    (
                        b"cross-origin-resource-policy",
                        b"same-site" if not framable else b"cross-origin",
                    ),
                    (
                        b"permissions-policy",
                        b"camera=(), microphone=(), geolocation=(), interest-cohort=()",
                    ),
                ]
                if not framable:
                    headers.append((b"x-frame-options", b"DENY"))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


_PERMISSIONS = b"camera=(), microphone=(), geolocation=(), interest-cohort=()"
_OWN_HEADERS = frozenset(
    {
        b"content-security-policy",
        b"x-content-type-options",
        b"referrer-policy",
        b"x-frame-options",
        b"cross-origin-opener-policy",
        b"cross-origin-resource-policy",
        b"permissions-policy",
    }
)


class RequestLimits:
    """Refuses bodies over ``max_body_bytes`` (413) and API writes that are not JSON (415).

    The length is counted while the body streams in, so a missing or false
    Content-Length does not get past the limit. Requiring ``application/json`` on API
    writes is also their CSRF defence: a cross-site HTML form cannot send that type, and
    a cross-site request without a body is refused by its ``Sec-Fetch-Site`` header.
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        max_body_bytes: int,
        api_prefix: str = "/api/",
        larger: Sequence[tuple[re.Pattern[str], int]] = (),
    ) -> None:
        """``larger``: (path pattern, limit) pairs for the few routes that take files
        (a document upload); every other route keeps ``max_body_bytes``."""

        self.app = app
        self.max_body_bytes = max_body_bytes
        self.api_prefix = api_prefix
        self.larger = tuple(larger)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers", []))
        path: str = scope.get("path", "")
        root: str = scope.get("root_path", "")
        local = path[len(root) :] if root and path.startswith(root) else path
        limit = self.max_body_bytes
        for pattern, bytes_ in self.larger:
            if scope["method"] == "POST" and pattern.fullmatch(local):
                limit = bytes_
                break
        declared = headers.get(b"content-length")
        if declared is not None:
            try:
                too_large = int(declared) > limit
            except ValueError:
                too_large = True
            if too_large:
                await _json_or_text(scope, send, 413, "input.too_large")
                return
        if scope["method"] in UNSAFE_METHODS and local.startswith(self.api_prefix):
            # A browser marks a request another site made it send; an API write never
            # comes from there (the host's own pages are same-site).
            if headers.get(b"sec-fetch-site", b"").lower() == b"cross-site":
                await _json_or_text(scope, send, 403, "csrf")
                return
            ctype = headers.get(b"content-type", b"").split(b";")[0].strip().lower()
            has_body = (declared not in (None, b"0")) or b"transfer-encoding" in headers
            if (has_body or ctype) and ctype != b"application/json":
                await _json_or_text(scope, send, 415, "input.unsupported")
                return

        is_api = local.startswith(self.api_prefix)
        if is_api and scope["method"] in UNSAFE_METHODS:
            # API bodies are small: read them whole, so what is wrong with them is refused
            # before any handler (or its body parser) sees them.
            body = bytearray()
            more = True
            while more:
                message = await receive()
                if message["type"] != "http.request":
                    break
                body += message.get("body", b"")
                if len(body) > limit:
                    await _json_or_text(scope, send, 413, "input.too_large")
                    return
                more = bool(message.get("more_body", False))
            # NUL cannot be stored in a PostgreSQL text column and is never part of
            # honest input.
            if b"\x00" in body or b"\\u0000" in body:
                await _json_or_text(scope, send, 422, "input.invalid")
                return
            replayed = False

            async def replay() -> Message:
                nonlocal replayed
                if not replayed:
                    replayed = True
                    return {"type": "http.request", "body": bytes(body), "more_body": False}
                return await receive()

            await self.app(scope, replay, send)
            return

        received = 0
        exceeded = False

        async def limited_receive() -> Message:
            nonlocal received, exceeded
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    exceeded = True
                    raise BodyTooLarge
            return message

        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except BodyTooLarge:
            if not started:
                await _json_or_text(scope, send, 413, "input.too_large")

        except Exception:
            if exceeded and not started:
                await _json_or_text(scope, send, 413, "input.too_large")
                return
            raise


class BodyTooLarge(Exception):
    """Raised inside the app when the streamed body passes the limit."""


async def _json_or_text(scope: Scope, send: Send, status: int, code: str) -> None:
    """The refusal, translated: JSON for the API, a small page for residents."""

    from html import escape

    from participatie.web.i18n import Translator, negotiate

    headers = {k.lower(): v for k, v in scope.get("headers", [])}
    lang = negotiate(None, None, headers.get(b"accept-language", b"").decode("latin-1"))
    t = Translator(lang)
    message = t.error(code)
    path: str = scope.get("path", "")
    root: str = scope.get("root_path", "")
    local = path[len(root) :] if root and path.startswith(root) else path
    if local.startswith("/api/"):
        body = json.dumps({"code": code, "message": message}).encode()
        ctype = b"application/json"
    else:
        title_key = f"error_page.title_{status}"
        title = escape(t(title_key) if t.has(title_key) else t("error_page.title_other"))
        body = (
            f'<!DOCTYPE html><html lang="{t.lang}"><head><meta charset="utf-8">'
            f"<title>{title}</title></head><body><main><h1>{title}</h1>"
            f"<p>{escape(message)}</p></main></body></html>"
        ).encode()
        ctype = b"text/html; charset=utf-8"
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", ctype), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})


def client_ip(scope: Scope, trusted_proxies: Sequence[str]) -> str:
    """The resident's address: the peer, or X-Forwarded-For when the peer is a trusted proxy.

    Walking X-Forwarded-For from the right and skipping trusted proxies means a client
    cannot choose its own address by sending a forged header.
    """

    client: Any = scope.get("client")
    peer = str(client[0]) if client else "127.0.0.1"
    networks = [ipaddress.ip_network(net, strict=False) for net in trusted_proxies]
    if not networks or not _in(peer, networks):
        return _valid_or_loopback(peer)
    forwarded = ""
    for key, value in scope.get("headers", []):
        if key.lower() == b"x-forwarded-for":
            forwarded = (forwarded + "," if forwarded else "") + value.decode("latin-1")
    hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
    for hop in reversed(hops):
        if not _in(hop, networks):
            return _valid_or_loopback(hop)
    return _valid_or_loopback(hops[0] if hops else peer)


def _in(address: str, networks: list[ipaddress.IPv4Network | ipaddress.IPv6Network]) -> bool:
    try:
        raw = ipaddress.ip_address(address.strip())
    except ValueError:
        return False
    # A proxy listed as IPv4 but seen on a dual-stack socket (::ffff:10.0.0.1) is the same.
    return any(ip in net for ip in (raw, parse_ip(address)) for net in networks)


def _valid_or_loopback(address: str) -> str:
    # The test client reports "testclient" as its address; treat what is no IP as local.
    try:
        return str(parse_ip(address))
    except ValueError:
        return "127.0.0.1"
