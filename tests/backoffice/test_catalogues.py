"""Every message the back office asks for exists in Dutch and in English, with the same
placeholders."""

from __future__ import annotations

import re
import string
import tomllib
from pathlib import Path

from participatie.catalogues import catalogue

PACKAGE = Path(__file__).resolve().parents[2] / "participatie"
LITERAL = re.compile(r"""\bt\(\s*["']((?:backoffice|common|error_page)\.[a-z_0-9.]+)["']""")
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
    folder = PACKAGE / "locale"
    nl = tomllib.loads((folder / "nl_backoffice.toml").read_text("utf-8"))["backoffice"]
    en = tomllib.loads((folder / "en_backoffice.toml").read_text("utf-8"))["backoffice"]
    assert nl.keys() == en.keys()

    def fields(value: str | dict[str, str]) -> set[str]:
        # A message with plural forms is a table of them (one, other, ...).
        texts = value.values() if isinstance(value, dict) else [value]
        return {name for text in texts for _, name, _, _ in string.Formatter().parse(text) if name}

    for key in nl:
        assert fields(nl[key]) == fields(en[key]), key
