"""Where the app meets its server: the uvicorn options that leave forwarding headers to
the app, and the access-log filter that keeps tokens from e-mail links out of the log.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from typing import Any
from urllib.parse import parse_qsl, urlencode

#: Loggers of the servers a host is likely to run the app under, one line per request.
ACCESS_LOGGERS = ("uvicorn.access", "gunicorn.access", "hypercorn.access")
REDACTED = "[redacted]"

#: Path segments that are secrets: the tokens e-mail links carry, and a ballot's tracker.
_SECRET_SEGMENTS = re.compile(
    r"(/(?:petitions|polls|reactions|subscriptions)/(?:confirm|withdraw|unsubscribe|creator|coinitiator)/"
    r"|/privacy/"
    r"|/api/polls/[^/?#\s]+/ballots/"
    r")[^/?#\s\"]+"
)
#: Query parameters that are known to carry nothing personal; every other value is hidden.
_PLAIN_PARAMETERS = frozenset({"lang", "page", "area", "state", "limit", "offset", "format"})


def redact_target(target: str) -> str:
    """A request target with its secrets replaced by ``[redacted]``."""

    path, sep, query = target.partition("?")
    path = _SECRET_SEGMENTS.sub(lambda m: m.group(1) + REDACTED, path)
    if not sep:
        return path
    pairs = [
        (key, value if key in _PLAIN_PARAMETERS else REDACTED)
        for key, value in parse_qsl(query, keep_blank_values=True)
    ]
    return f"{path}?{urlencode(pairs, safe='[]')}"


class RedactSecrets(logging.Filter):
    """Rewrites an access-log record so no token or tracker from the URL is written.

    uvicorn logs ``client - "METHOD target HTTP/x" status`` with the target as an
    argument; every string argument that looks like a target is redacted, so the filter
    also works for servers with another record layout.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        args: Any = record.args
        if isinstance(args, tuple):
            record.args = tuple(_redact_arg(arg) for arg in args)
        elif isinstance(args, dict):
            record.args = {key: _redact_arg(value) for key, value in args.items()}
        elif isinstance(record.msg, str) and "/" in record.msg:
            record.msg = _redact_in_text(record.msg)
        return True


def _redact_arg(value: Any) -> Any:
    if isinstance(value, str) and ("/" in value or "?" in value):
        return _redact_in_text(value)
    return value


def _redact_in_text(text: str) -> str:
    # A request line ("GET /path?x=1 HTTP/1.1") or a bare target: redact each target.
    return re.sub(r"/[^\s\"]*", lambda m: redact_target(m.group(0)), text)


def install_log_filter(loggers: Sequence[str] = ACCESS_LOGGERS) -> None:
    """Add :class:`RedactSecrets` to the access loggers (once; safe to call again)."""

    for name in loggers:
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactSecrets) for f in logger.filters):
            logger.addFilter(RedactSecrets())


def uvicorn_options(trusted_proxies: Sequence[str] = ()) -> dict[str, Any]:
    """Options for ``uvicorn.run`` / ``uvicorn.Config`` that suit the app.

    uvicorn believes ``X-Forwarded-For`` from 127.0.0.1 by default and then overwrites
    the peer address, after which the app can no longer tell a forged header from a
    proxy's. Its proxy handling is therefore off: the app reads the header itself, and
    only from ``trusted_proxies``. ``forwarded_allow_ips`` names the same networks, for
    a reader of the server's configuration.
    """

    return {
        "proxy_headers": False,
        "forwarded_allow_ips": ",".join(trusted_proxies) or "",
        "server_header": False,
    }
