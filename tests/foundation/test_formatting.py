"""Dutch (and English) written one way: dates, times, numbers, percentages, plurals."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from participatie.formatting import (
    format_day,
    format_moment,
    format_number,
    format_share,
    plural,
)
from participatie.testing import make_participatie


def test_dutch() -> None:
    assert format_day(date(2026, 10, 15)) == "15 oktober 2026"
    assert format_day("2026-03-02") == "2 maart 2026"
    # Stored in UTC, shown in Europe/Amsterdam (summer time: +2).
    assert format_moment(datetime(2026, 10, 15, 7, 1, tzinfo=UTC)) == "15 oktober 2026 om 09:01"
    assert format_number(4455) == "4.455"
    assert format_number(1234.5, digits=1) == "1.234,5"
    assert format_share(128 / 354) == "36,2%"
    assert plural(1, "reactie", "reacties") == "1 reactie"
    assert plural(3, "reactie", "reacties") == "3 reacties"
    assert plural(0, "reactie", "reacties") == "0 reacties"
    assert plural(7063, "brief", "brieven") == "7.063 brieven"


def test_english_through_the_same_functions() -> None:
    assert format_day(date(2026, 10, 15), "en") == "15 October 2026"
    assert (
        format_moment(datetime(2026, 1, 15, 8, 1, tzinfo=UTC), "en") == "15 January 2026 at 09:01"
    )
    assert format_number(4455, "en") == "4,455"
    assert format_share(128 / 354, "en") == "36.2%"
    assert plural(1, "reaction", "reactions", "en") == "1 reaction"


@pytest.mark.parametrize(
    ("locale", "expected"),
    [
        ("nl", "15 oktober 2026 · 4.455 · 36,2% · 3 reacties"),
        ("en", "15 October 2026 · 4,455 · 36.2% · 3 reactions"),
    ],
)
def test_template_filters_write_in_the_template_language(
    tmp_path: object, locale: str, expected: str
) -> None:
    p = make_participatie("sqlite://")
    try:
        template = p.templates.from_string(
            "{{ d | date }} · {{ n | number }} · {{ x | percent }} · {{ 3 | plural(one, other) }}"
        )
        words = {"nl": ("reactie", "reacties"), "en": ("reaction", "reactions")}[locale]
        text = template.render(
            locale=locale, d=date(2026, 10, 15), n=4455, x=128 / 354, one=words[0], other=words[1]
        )
        assert text == expected
    finally:
        p.dispose()
