import datetime

import pytest

from cases.working_days import LONDON, add_working_days


@pytest.mark.parametrize(
    ("start", "days", "due"),
    [
        # Friday afternoon + 1 working day = Monday.
        (
            datetime.datetime(2026, 11, 20, 15, 0, tzinfo=LONDON),
            1,
            datetime.date(2026, 11, 23),
        ),
        # Christmas Eve 2026 (Thursday) + 1: Christmas and Boxing Day (moved to
        # Monday 28th) are bank holidays, so Tuesday 29th.
        (
            datetime.datetime(2026, 12, 24, 10, 0, tzinfo=LONDON),
            1,
            datetime.date(2026, 12, 29),
        ),
        # Thursday before Easter 2027 + 1: Good Friday and Easter Monday skipped.
        (
            datetime.datetime(2027, 3, 25, 10, 0, tzinfo=LONDON),
            1,
            datetime.date(2027, 3, 30),
        ),
        (
            datetime.datetime(2026, 11, 23, 9, 0, tzinfo=LONDON),
            5,
            datetime.date(2026, 11, 30),
        ),
    ],
)
def test_deadlines_skip_weekends_and_bank_holidays(start, days, due):
    deadline = add_working_days(start, days)
    assert deadline.date() == due
    assert deadline.tzinfo == LONDON


def test_a_late_evening_utc_time_counts_from_the_london_day():
    # 23:30 UTC on Sunday 29 March 2026 is 00:30 BST on Monday.
    start = datetime.datetime(2026, 3, 29, 23, 30, tzinfo=datetime.UTC)
    assert add_working_days(start, 1).date() == datetime.date(2026, 3, 31)
