"""Working days in England and Wales: weekends and bank holidays do not count."""

import datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

LONDON = ZoneInfo("Europe/London")


@lru_cache(maxsize=8)
def _bank_holidays(year: int) -> holidays.HolidayBase:
    return holidays.country_holidays("GB", subdiv="ENG", years=year)


def is_working_day(day: datetime.date) -> bool:
    return day.weekday() < 5 and day not in _bank_holidays(day.year)


def add_working_days(start: datetime.datetime, days: int) -> datetime.datetime:
    """Return the end of the `days`-th working day after `start`, in London time.

    A deadline of one working day from Friday afternoon is the end of Monday (or of
    Tuesday after a bank holiday Monday).
    """
    day = start.astimezone(LONDON).date()
    remaining = days
    while remaining > 0:
        day += datetime.timedelta(days=1)
        if is_working_day(day):
            remaining -= 1
    return datetime.datetime.combine(day, datetime.time(23, 59, 59), tzinfo=LONDON)


def working_days_between(start: datetime.datetime, end: datetime.datetime) -> int:
    """Return how many working days there are after `start`'s day, up to and
    including `end`'s day, in London time: how late something due at `start` was
    when it was done at `end` (0 if it was done the same day or earlier)."""
    day = start.astimezone(LONDON).date()
    last = end.astimezone(LONDON).date()
    count = 0
    while day < last:
        day += datetime.timedelta(days=1)
        if is_working_day(day):
            count += 1
    return count
