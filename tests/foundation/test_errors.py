from __future__ import annotations

import importlib
import re
from pathlib import Path

from participatie.errors import ParticipatieError, error_classes

DOC = Path(__file__).resolve().parents[2] / "docs" / "errors.md"


def _all_classes() -> list[type[ParticipatieError]]:
    for module in ("polls", "petitions", "reactions", "subscriptions", "web"):
        importlib.import_module(f"participatie.{module}.errors")
    return error_classes()


def test_every_error_has_a_unique_stable_code() -> None:
    classes = _all_classes()
    codes = [cls.code for cls in classes]
    duplicates = {code for code in codes if codes.count(code) > 1}
    assert not duplicates, f"codes used by more than one class: {duplicates}"
    assert all(re.fullmatch(r"[a-z_]+(\.[a-z_]+)*", code) for code in codes)


def test_error_reference_lists_every_code() -> None:
    text = DOC.read_text(encoding="utf-8")
    missing = [cls.code for cls in _all_classes() if f"`{cls.code}`" not in text]
    assert not missing, f"docs/errors.md misses {missing}: run python scripts/errors_doc.py"


def test_error_carries_field_and_details() -> None:
    from participatie import InvalidInput

    exc = InvalidInput("too long", field="title", limit=200)
    assert exc.as_dict() == {
        "code": "input.invalid",
        "message": "too long",
        "field": "title",
        "details": {"limit": 200},
    }
