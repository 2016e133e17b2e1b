"""Every message the back office asks for exists in Dutch and in English, with the same
placeholders."""

from __future__ import annotations

import re
import string
from collections.abc import Sequence
from pathlib import Path

from participatie.catalogues import DOMAINS, catalogue, po_catalogue

PACKAGE = Path(__file__).resolve().parents[2] / "participatie"
LITERAL = re.compile(
    r"""(?<![\w.])[t_]\(\s*["']((?:backoffice|common|error_page)\.[a-z_0-9.]+)["']"""
)
#: Keys completed at run time, with the values they take.
DYNAMIC = {
    "backoffice.todo_": [
        "moderate",
        "trends",
        "answer",
        "poll_open",
        "poll_close",
        "poll_publish",
        "paper_once",
        "paper_differences",
    ],
    "backoffice.job_": ["error", "late"],
    "backoffice.petition_status_": [
        "draft",
        "coinitiators",
        "submitted",
        "rejected",
        "open",
        "closed",
        "handed_over",
        "answered",
        "withdrawn",
    ],
    "backoffice.petitions_group_": ["submitted", "open", "closed", "answered"],
    "backoffice.poll_state_": ["draft", "scheduled", "open", "closed", "published", "cancelled"],
    "backoffice.rule_name_": ["plurality", "approval", "cumulative", "borda", "ranked"],
    "backoffice.eligibility_": ["codes", "email", "host", "open"],
    "backoffice.tie_": ["report", "lot"],
    "backoffice.sig_status_": ["pending", "verified", "fraudulent", "invalidated", "withdrawn"],
    "backoffice.trend_": ["ip", "domain"],
    "backoffice.rule_": [
        "allow_domain",
        "allow_network",
        "block_domain",
        "block_network",
        "block_address",
    ],
    "backoffice.paper_saved_": ["pending", "matched", "mismatch", "conflict", "rejected", "other"],
    "backoffice.marks_help_": ["numbers", "ranked", "points"],
    "backoffice.done_": [
        "approved",
        "rejected",
        "hidden",
        "unhidden",
        "extended",
        "paper_batch",
        "invalidated",
        "rule_added",
        "rule_removed",
        "handed_over",
        "answered",
        "poll_created",
        "poll_updated",
        "poll_schedule",
        "poll_open",
        "poll_close",
        "poll_cancel",
        "code_revoked",
        "envelopes",
        "resolved",
        "published",
    ],
}


def used_keys() -> set[str]:
    files = [
        *(PACKAGE / "templates" / "backoffice").glob("*.html"),
        *(PACKAGE / "web" / "backoffice").glob("*.py"),
    ]
    keys: set[str] = set()
    for path in files:
        keys |= {k for k in LITERAL.findall(path.read_text("utf-8")) if not k.endswith("_")}
    for stem, values in DYNAMIC.items():
        keys |= {stem + value for value in values}
    return keys


def test_every_key_in_both_languages() -> None:
    keys = used_keys()
    assert len(keys) > 250
    for lang in ("nl", "en"):
        missing = sorted(k for k in keys if k not in catalogue(lang))
        assert missing == [], f"{lang}: {missing}"


def test_same_keys_and_placeholders() -> None:
    """The PO files of both languages, domain by domain: the same message ids, the same
    placeholders in every form, and every plural form filled in."""

    for domain in DOMAINS:
        nl, en = po_catalogue("nl", domain), po_catalogue("en", domain)
        ids = {str(m.id if isinstance(m.id, str) else m.id[0]) for m in nl if m.id}
        assert ids == {str(m.id if isinstance(m.id, str) else m.id[0]) for m in en if m.id}
        for message in nl:
            if not message.id:
                continue
            other = en.get(message.id)
            assert other is not None
            forms = list(_forms(message.string))
            other_forms = list(_forms(other.string))
            assert all(forms) and all(other_forms), message.id
            assert len(forms) == nl.num_plurals or not message.pluralizable
            assert {f for text in forms for f in fields(text)} == {
                f for text in other_forms for f in fields(text)
            }, message.id


def _forms(value: str | Sequence[str] | None) -> Sequence[str]:
    return [value] if isinstance(value, str) else list(value or [""])


def fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}
