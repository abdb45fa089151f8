"""The review queue's deadline: 10 US federal business days after receipt, counted in the
firm's time zone, skipping weekends and federal holidays (observed dates included)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from lexdial.service.review import add_business_days, business_days_between, due_at, is_business_day

Z = UTC

CASES = [
    # received (UTC)                       due (UTC)                          why
    (datetime(2026, 12, 2, 15, 0, tzinfo=Z), datetime(2026, 12, 16, 15, 0, tzinfo=Z),
     "Wed 10:00 ET: two plain weeks, same wall time"),
    (datetime(2026, 12, 16, 15, 0, tzinfo=Z), datetime(2026, 12, 31, 15, 0, tzinfo=Z),
     "across Christmas (Fri 25 Dec) one more day"),
    (datetime(2026, 12, 5, 19, 0, tzinfo=Z), datetime(2026, 12, 21, 5, 0, tzinfo=Z),
     "Saturday: counts from Monday 00:00 ET"),
    (datetime(2026, 11, 26, 14, 0, tzinfo=Z), datetime(2026, 12, 11, 5, 0, tzinfo=Z),
     "on Thanksgiving: counts from Friday 00:00 ET"),
    (datetime(2026, 7, 2, 16, 0, tzinfo=Z), datetime(2026, 7, 17, 16, 0, tzinfo=Z),
     "Independence Day observed on Fri 3 Jul"),
    (datetime(2026, 12, 3, 3, 0, tzinfo=Z), datetime(2026, 12, 17, 3, 0, tzinfo=Z),
     "Thu 03:00 UTC is still Wed 22:00 in New York"),
    (datetime(2027, 12, 22, 15, 0, tzinfo=Z), datetime(2028, 1, 7, 15, 0, tzinfo=Z),
     "Christmas and New Year both observed on Fridays"),
    (datetime(2026, 10, 28, 14, 0, tzinfo=Z), datetime(2026, 11, 12, 15, 0, tzinfo=Z),
     "across the end of DST (wall time kept) and Veterans Day"),
    (datetime(2026, 12, 4, 22, 30, tzinfo=Z), datetime(2026, 12, 18, 22, 30, tzinfo=Z),
     "Friday 17:30 ET: still that business day"),
]  # fmt: skip


@pytest.mark.parametrize(("received", "due", "why"), CASES, ids=[c[2] for c in CASES])
def test_the_limit_is_ten_federal_business_days(
    received: datetime, due: datetime, why: str
) -> None:
    assert due_at(received) == due, why


@pytest.mark.parametrize(
    ("day", "business"),
    [
        (date(2026, 12, 2), True),  # Wednesday
        (date(2026, 12, 5), False),  # Saturday
        (date(2026, 12, 6), False),  # Sunday
        (date(2026, 12, 25), False),  # Christmas
        (date(2026, 7, 3), False),  # Independence Day observed
        (date(2026, 7, 4), False),  # Saturday and the holiday itself
        (date(2026, 6, 19), False),  # Juneteenth
        (date(2026, 11, 11), False),  # Veterans Day (a Wednesday)
        (date(2026, 11, 27), True),  # day after Thanksgiving: not federal
    ],
)
def test_business_days_are_weekdays_that_are_not_federal_holidays(
    day: date, business: bool
) -> None:
    assert is_business_day(day) is business


def test_counting_is_consistent_both_ways() -> None:
    start = date(2026, 12, 2)
    end = add_business_days(start, 10)
    assert end == date(2026, 12, 16)
    assert business_days_between(start, end) == 10
    assert business_days_between(end, start) == -10
    assert business_days_between(start, start) == 0


def test_a_naive_time_is_refused() -> None:
    with pytest.raises(ValueError, match="offset"):
        due_at(datetime(2026, 12, 2, 10, 0))
