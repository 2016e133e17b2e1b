from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from participatie.reactions.deadlines import (
    WorkingDays,
    dutch_holidays,
    easter_sunday,
    escalation_level,
    kings_day,
)


@pytest.mark.parametrize(
    ("year", "easter"),
    [
        (2000, date(2000, 4, 23)),
        (2019, date(2019, 4, 21)),
        (2024, date(2024, 3, 31)),
        (2025, date(2025, 4, 20)),
        (2026, date(2026, 4, 5)),
        (2038, date(2038, 4, 25)),
    ],
)
def test_easter(year: int, easter: date) -> None:
    assert easter_sunday(year) == easter


def test_kings_day_moves_from_sunday_to_saturday() -> None:
    assert kings_day(2025) == date(2025, 4, 26)  # 27 April 2025 was a Sunday
    assert kings_day(2026) == date(2026, 4, 27)
    assert kings_day(2008) == date(2008, 4, 30)  # Koninginnedag before 2014


def test_liberation_day_setting() -> None:
    assert date(2026, 5, 5) in dutch_holidays(2026, liberation_day="yearly")
    assert date(2026, 5, 5) not in dutch_holidays(2026, liberation_day="lustrum")
    assert date(2025, 5, 5) in dutch_holidays(2025, liberation_day="lustrum")
    assert date(2025, 5, 5) not in dutch_holidays(2025, liberation_day="never")


def test_holidays_2026() -> None:
    days = dutch_holidays(2026)
    assert days[date(2026, 4, 6)] == "Tweede Paasdag"
    assert days[date(2026, 5, 14)] == "Hemelvaartsdag"
    assert days[date(2026, 5, 25)] == "Tweede Pinksterdag"
    assert date(2026, 4, 3) not in days  # Goede Vrijdag only by setting
    assert date(2026, 4, 3) in dutch_holidays(2026, good_friday=True)


def test_working_days_skip_weekend_and_easter() -> None:
    wd = WorkingDays()
    # Thursday 2 April 2026 + 5 working days: Fri 3, (Easter weekend, Mon 6 holiday),
    # Tue 7, Wed 8, Thu 9, Fri 10.
    assert wd.add_working_days(date(2026, 4, 2), 5) == date(2026, 4, 10)
    assert wd.working_days_between(date(2026, 4, 2), date(2026, 4, 10)) == 5


def test_calendar_deadline_on_a_holiday_moves_to_next_working_day() -> None:
    wd = WorkingDays()
    # 1 April + 5 days = Monday 6 April (Tweede Paasdag) -> Tuesday 7 April.
    assert wd.due_date(date(2026, 4, 1), 5, "calendar") == date(2026, 4, 7)
    # Saturday -> Monday.
    assert wd.due_date(date(2026, 3, 2), 5, "calendar") == date(2026, 3, 9)
    assert wd.due_date(date(2026, 3, 2), 5, "working") == date(2026, 3, 9)
    assert wd.due_date(date(2026, 3, 3), 42, "calendar") == date(2026, 4, 14)


def test_escalation_levels() -> None:
    assert [escalation_level(d, (7, 21)) for d in (-3, 0, 1, 6, 7, 20, 21, 99)] == [
        0,
        0,
        1,
        1,
        2,
        2,
        3,
        3,
    ]


@given(
    start=st.dates(min_value=date(1990, 1, 1), max_value=date(2100, 12, 31)),
    days=st.integers(min_value=0, max_value=120),
    counting=st.sampled_from(["calendar", "working"]),
)
def test_a_due_date_is_always_a_working_day_and_never_early(
    start: date, days: int, counting: str
) -> None:
    wd = WorkingDays()
    due = wd.due_date(start, days, counting)  # type: ignore[arg-type]
    assert due >= start + timedelta(days=days)
    if days > 0 or counting == "calendar":
        assert wd.is_working_day(due)
    if counting == "working":
        assert wd.working_days_between(start, due) == days


@given(year=st.integers(min_value=1900, max_value=2200))
def test_easter_is_a_sunday_in_spring(year: int) -> None:
    easter = easter_sunday(year)
    assert easter.weekday() == 6
    assert date(year, 3, 22) <= easter <= date(year, 4, 25)
    assert kings_day(year).weekday() != 6
