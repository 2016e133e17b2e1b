"""Reading a refused back-office form back: what a field shows, the error summary."""

from __future__ import annotations

import html
import re


def field_value(page: str, element_id: str) -> str:
    """What the page shows in a field: an input's value, a textarea's text or the option
    a select has selected."""

    found = re.search(rf'<input[^>]*\bid="{re.escape(element_id)}"[^>]*>', page)
    if found:
        value = re.search(r'\bvalue="([^"]*)"', found.group(0))
        return html.unescape(value.group(1)) if value else ""
    area = re.search(
        rf'<textarea[^>]*\bid="{re.escape(element_id)}"[^>]*>(.*?)</textarea>', page, re.S
    )
    if area:
        return html.unescape(area.group(1))
    select = re.search(
        rf'<select[^>]*\bid="{re.escape(element_id)}"[^>]*>(.*?)</select>', page, re.S
    )
    assert select is not None, f"no field {element_id}"
    chosen = re.search(r'<option value="([^"]*)" selected>', select.group(1))
    return html.unescape(chosen.group(1)) if chosen else ""


def error_summary(page: str) -> str:
    found = re.search(
        r'<div class="utrecht-alert utrecht-alert--error"[^>]*>(.*?)</div>', page, re.S
    )
    assert found is not None, "no error summary"
    return found.group(1)
