"""The HTTP API reference in docs/web/api.md is the one the OpenAPI description gives."""

from __future__ import annotations

from pathlib import Path

from participatie.web.reference import markdown, openapi_document

DOC = Path(__file__).resolve().parents[2] / "docs" / "web" / "api.md"


def test_api_reference_is_current() -> None:
    document = openapi_document()
    text = markdown(document)
    for path in document["paths"]:
        assert f" {path}`" in text
    assert DOC.read_text(encoding="utf-8") == text, (
        "docs/web/api.md is out of date: python -m participatie.web.reference > docs/web/api.md"
    )
