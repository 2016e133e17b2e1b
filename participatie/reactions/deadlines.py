"""Deadlines in calendar or working days, with Dutch public holidays computed per year.

Easter comes from the anonymous Gregorian algorithm; Koningsdag follows its Sunday rule and
Bevrijdingsdag a setting. Pure functions: no database, no clock.
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache
from typing import Literal

LiberationDay = Literal["yearly", "lustrum", "never"]
DayCount = Literal["calendar", "working", "weeks"]


def easter_sunday(year: int) -> date:
    """Western Easter (anonymous Gregorian algorithm, Meeus/Jones/Butcher)."""

    a = year % 19
    b, c = divmod(year, 100)
    d, e = divmod(b, 4)
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    l_ = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * l_) // 451
    month, day = divmod(h + l_ - 7 * m + 114, 31)
    return date(year, month, day + 1)


def kings_day(year: int) -> date:
    """Koningsdag (27 April since 2014; Koninginnedag 30 April before), a Sunday moves to
    the Saturday before."""

    day = date(year, 4, 27) if year >= 2014 else date(year, 4, 30)
    if day.weekday() == 6:
        day -= timedelta(days=1)
    return day


@lru_cache(maxsize=256)
def _holidays(year: int, liberation_day: LiberationDay, good_friday: bool) -> dict[date, str]:
    easter = easter_sunday(year)
    days = {
        date(year, 1, 1): "Nieuwjaarsdag",
        easter: "Eerste Paasdag",
        easter + timedelta(days=1): "Tweede Paasdag",
        kings_day(year): "Koningsdag" if year >= 2014 else "Koninginnedag",
        easter + timedelta(days=39): "Hemelvaartsdag",
        easter + timedelta(days=49): "Eerste Pinksterdag",
        easter + timedelta(days=50): "Tweede Pinksterdag",
        date(year, 12, 25): "Eerste Kerstdag",
        date(year, 12, 26): "Tweede Kerstdag",
    }
    if good_friday:
        days[easter - timedelta(days=2)] = "Goede Vrijdag"
    if liberation_day == "yearly" or (liberation_day == "lustrum" and year % 5 == 0):
        days[date(year, 5, 5)] = "Bevrijdingsdag"
    return days


def dutch_holidays(
    year: int, *, liberation_day: LiberationDay = "yearly", good_friday: bool = False
) -> dict[date, str]:
    """The public holidays of ``year``: date -> Dutch name."""

    return dict(_holidays(year, liberation_day, good_friday))


class WorkingDays:
    """Calendar arithmetic with the deployment's holiday rules."""

    def __init__(self, *, liberation_day: LiberationDay = "yearly", good_friday: bool = False):
        self.liberation_day: LiberationDay = liberation_day
        self.good_friday = good_friday

    def holiday(self, day: date) -> str | None:
        return _holidays(day.year, self.liberation_day, self.good_friday).get(day)

    def is_working_day(self, day: date) -> bool:
        return day.weekday() < 5 and self.holiday(day) is None

    def next_working_day(self, day: date) -> date:
        """``day`` itself when it is a working day, else the first one after it."""

        while not self.is_working_day(day):
            day += timedelta(days=1)
        return day

    def add_working_days(self, start: date, days: int) -> date:
        """The ``days``-th working day after ``start`` (``start`` itself does not count)."""

        if days < 0:
            raise ValueError("days must not be negative")
        day = start
        left = days
        while left > 0:
            day += timedelta(days=1)
            if self.is_working_day(day):
                left -= 1
        return day

    def due_date(self, start: date, days: int, counting: DayCount) -> date:
        """The last day of a target of ``days`` counted from ``start`` (a receipt date).

        ``counting``: "working" counts working days; "calendar" counts calendar days and
        "weeks" counts ``days`` calendar weeks, and for both a target ending on a Saturday,
        Sunday or holiday moves to the next working day (Algemene termijnenwet art. 1).
        Raises ValueError for a negative count or an unknown kind.
        """

        if days < 0:
            raise ValueError("days must not be negative")
        if counting == "working":
            return self.add_working_days(start, days)
        if counting == "weeks":
            return self.next_working_day(start + timedelta(weeks=days))
        if counting == "calendar":
            return self.next_working_day(start + timedelta(days=days))
        raise ValueError(f"unknown way of counting {counting!r}")

    def working_days_between(self, start: date, end: date) -> int:
        """Working days after ``start`` up to and including ``end`` (0 when end <= start)."""

        count = 0
        day = start
        while day < end:
            day += timedelta(days=1)
            if self.is_working_day(day):
                count += 1
        return count


def escalation_level(days_overdue: int, thresholds: tuple[int, int]) -> int:
    """0 on time; 1 from the first day late; 2 and 3 from the two thresholds."""

    if days_overdue <= 0:
        return 0
    if days_overdue >= thresholds[1]:
        return 3
    if days_overdue >= thresholds[0]:
        return 2
    return 1
