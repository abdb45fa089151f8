"""A campaign's own calling schedule, judged in the recipient's local time.

The schedule is [start, end) on the listed days, and a number with several candidate zones
is inside only when it is inside in every one of them. ``next_inside`` names the first whole
minute inside, or None when there is none within 8 days. 2026-12-02 is a Wednesday;
America/New_York springs forward on Sunday 2026-03-08 and falls back on Sunday 2026-11-01.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lexdial.domain.schedule import inside, next_inside

NY, LA, HONOLULU, TOKYO = (
    "America/New_York",
    "America/Los_Angeles",
    "Pacific/Honolulu",
    "Asia/Tokyo",
)
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri")
EVERY_DAY = (*WEEKDAYS, "sat", "sun")
NINE, FIVE = time(9, 0), time(17, 0)
MINUTE = timedelta(minutes=1)


def local(
    zone: str, y: int, mo: int, d: int, h: int, mi: int = 0, s: int = 0, us: int = 0
) -> datetime:
    """A wall-clock time in ``zone``."""
    return datetime(y, mo, d, h, mi, s, us, tzinfo=ZoneInfo(zone))


# --- inside ------------------------------------------------------------------------------

INSIDE = [
    pytest.param([NY], local(NY, 2026, 12, 2, 8, 59), WEEKDAYS, False, id="08:59-before-opening"),
    pytest.param([NY], local(NY, 2026, 12, 2, 9, 0), WEEKDAYS, True, id="09:00-opening"),
    pytest.param([NY], local(NY, 2026, 12, 2, 16, 59), WEEKDAYS, True, id="16:59-last-minute"),
    pytest.param(
        [NY], local(NY, 2026, 12, 2, 16, 59, 59, 999999), WEEKDAYS, True, id="16:59:59.999999"
    ),
    pytest.param([NY], local(NY, 2026, 12, 2, 17, 0), WEEKDAYS, False, id="17:00-closing"),
    pytest.param([NY], local(NY, 2026, 12, 5, 10, 0), WEEKDAYS, False, id="saturday"),
    pytest.param([NY], local(NY, 2026, 12, 6, 10, 0), WEEKDAYS, False, id="sunday"),
    pytest.param([NY], local(NY, 2026, 12, 5, 10, 0), ("sat",), True, id="saturday-listed"),
    pytest.param([NY], local(NY, 2026, 12, 2, 10, 0), ("sat",), False, id="wednesday-unlisted"),
    pytest.param([NY], datetime(2026, 12, 2, 14, 0, tzinfo=UTC), WEEKDAYS, True, id="utc-instant"),
    pytest.param(
        [HONOLULU],
        local(HONOLULU, 2026, 12, 4, 16, 0),  # Saturday 02:00 UTC
        WEEKDAYS,
        True,
        id="local-friday-is-utc-saturday",
    ),
    pytest.param([NY, LA], local(NY, 2026, 12, 2, 10, 0), WEEKDAYS, False, id="two-zones-la-07:00"),
    pytest.param(
        [NY, LA], local(NY, 2026, 12, 2, 11, 59), WEEKDAYS, False, id="two-zones-la-08:59"
    ),
    pytest.param([NY, LA], local(NY, 2026, 12, 2, 12, 0), WEEKDAYS, True, id="two-zones-la-09:00"),
    pytest.param([NY, LA], local(NY, 2026, 12, 2, 16, 59), WEEKDAYS, True, id="two-zones-ny-16:59"),
    pytest.param([NY, LA], local(NY, 2026, 12, 2, 17, 0), WEEKDAYS, False, id="two-zones-ny-17:00"),
    pytest.param(
        [LA, NY], local(NY, 2026, 12, 2, 12, 0), WEEKDAYS, True, id="zone-order-does-not-matter"
    ),
]


@pytest.mark.parametrize(("zones", "at", "days", "expected"), INSIDE)
def test_an_instant_is_inside_only_when_it_is_inside_in_every_zone(
    zones: list[str], at: datetime, days: tuple[str, ...], expected: bool
) -> None:
    assert inside(zones, at, days, NINE, FIVE) is expected


# --- next_inside -------------------------------------------------------------------------

NEXT = [
    pytest.param(
        [NY], local(NY, 2026, 12, 2, 7, 12), WEEKDAYS, NINE, FIVE,
        local(NY, 2026, 12, 2, 9, 0), id="before-opening-is-09:00-that-day",
    ),
    pytest.param(
        [NY], local(NY, 2026, 12, 2, 9, 0), WEEKDAYS, NINE, FIVE,
        local(NY, 2026, 12, 2, 9, 0), id="at-opening-is-itself",
    ),
    pytest.param(
        [NY], local(NY, 2026, 12, 2, 10, 0), WEEKDAYS, NINE, FIVE,
        local(NY, 2026, 12, 2, 10, 0), id="inside-on-a-whole-minute-is-itself",
    ),
    pytest.param(
        [NY], local(NY, 2026, 12, 2, 10, 0, 30), WEEKDAYS, NINE, FIVE,
        local(NY, 2026, 12, 2, 10, 1), id="inside-is-rounded-up-to-a-whole-minute",
    ),
    pytest.param(
        [NY], local(NY, 2026, 12, 2, 10, 0, 0, 1), WEEKDAYS, NINE, FIVE,
        local(NY, 2026, 12, 2, 10, 1), id="one-microsecond-past-rounds-up",
    ),
    pytest.param(
        [NY], local(NY, 2026, 12, 4, 16, 59, 30), WEEKDAYS, NINE, FIVE,
        local(NY, 2026, 12, 7, 9, 0), id="friday-16:59:30-rounds-to-17:00-so-monday",
    ),
    pytest.param(
        [NY], local(NY, 2026, 12, 4, 17, 0), WEEKDAYS, NINE, FIVE,
        local(NY, 2026, 12, 7, 9, 0), id="friday-after-closing-is-monday-09:00",
    ),
    pytest.param(
        [NY], local(NY, 2026, 12, 5, 12, 0), WEEKDAYS, NINE, FIVE,
        local(NY, 2026, 12, 7, 9, 0), id="saturday-is-monday-09:00",
    ),
    pytest.param(
        [NY], local(NY, 2026, 12, 2, 10, 0), ("wed",), NINE, time(10, 0),
        local(NY, 2026, 12, 9, 9, 0), id="one-day-a-week-is-found-a-week-ahead",
    ),
    pytest.param(
        [NY, LA], local(NY, 2026, 12, 2, 7, 0), WEEKDAYS, NINE, FIVE,
        local(LA, 2026, 12, 2, 9, 0), id="two-zones-wait-for-los-angeles-to-open",
    ),
    pytest.param(
        [NY, LA], local(NY, 2026, 12, 2, 17, 0), WEEKDAYS, NINE, FIVE,
        local(LA, 2026, 12, 3, 9, 0), id="two-zones-after-new-york-closes-is-next-day",
    ),
    pytest.param(
        [NY, LA], local(NY, 2026, 12, 4, 17, 0), WEEKDAYS, NINE, FIVE,
        local(LA, 2026, 12, 7, 9, 0), id="two-zones-friday-evening-is-monday",
    ),
    pytest.param(
        [HONOLULU], local(HONOLULU, 2026, 12, 2, 6, 0), WEEKDAYS, NINE, FIVE,
        local(HONOLULU, 2026, 12, 2, 9, 0), id="honolulu",
    ),
    pytest.param(
        [HONOLULU], local(NY, 2026, 3, 9, 9, 0), WEEKDAYS, NINE, FIVE,
        datetime(2026, 3, 9, 19, 0, tzinfo=UTC), id="honolulu-keeps-utc-10-across-us-dst",
    ),
    pytest.param(
        [NY], local(NY, 2026, 3, 8, 0, 30), EVERY_DAY, NINE, FIVE,
        datetime(2026, 3, 8, 13, 0, tzinfo=UTC), id="spring-forward-day-opens-at-09:00-edt",
    ),
    pytest.param(
        [NY], local(NY, 2026, 3, 7, 12, 0), WEEKDAYS, NINE, FIVE,
        datetime(2026, 3, 9, 13, 0, tzinfo=UTC), id="weekend-across-spring-forward",
    ),
    pytest.param(
        [NY], local(NY, 2026, 3, 8, 1, 30), EVERY_DAY, time(2, 0), time(4, 0),
        datetime(2026, 3, 8, 7, 0, tzinfo=UTC), id="window-from-the-skipped-hour-opens-03:00",
    ),
    pytest.param(
        [NY], local(NY, 2026, 3, 8, 1, 0), EVERY_DAY, time(2, 15), time(2, 45),
        local(NY, 2026, 3, 9, 2, 15), id="window-inside-the-skipped-hour-is-next-day",
    ),
    pytest.param(
        [NY], local(NY, 2026, 11, 1, 0, 30), EVERY_DAY, NINE, FIVE,
        datetime(2026, 11, 1, 14, 0, tzinfo=UTC), id="fall-back-day-opens-at-09:00-est",
    ),
    pytest.param(
        [NY], local(NY, 2026, 10, 31, 12, 0), WEEKDAYS, NINE, FIVE,
        datetime(2026, 11, 2, 14, 0, tzinfo=UTC), id="weekend-across-fall-back",
    ),
    pytest.param(
        [NY], datetime(2026, 11, 1, 4, 30, tzinfo=UTC), EVERY_DAY, time(1, 0), time(1, 30),
        datetime(2026, 11, 1, 5, 0, tzinfo=UTC), id="fall-back-first-01:00-edt",
    ),
    pytest.param(
        [NY], datetime(2026, 11, 1, 5, 30, tzinfo=UTC), EVERY_DAY, time(1, 0), time(1, 30),
        datetime(2026, 11, 1, 6, 0, tzinfo=UTC), id="fall-back-repeated-01:00-est-is-inside-again",
    ),
    pytest.param(
        [TOKYO, NY], local(NY, 2026, 12, 2, 10, 0), EVERY_DAY, NINE, time(10, 0),
        None, id="tokyo-and-new-york-never-share-09:00-10:00",
    ),
    pytest.param(
        [NY], local(NY, 2026, 12, 2, 10, 0), (), NINE, FIVE,
        None, id="no-day-listed",
    ),
    pytest.param(
        [NY], local(NY, 2026, 12, 1, 23, 50), ("wed",), time(0, 0), time(1, 0),
        local(NY, 2026, 12, 2, 0, 0), id="window-opening-at-midnight",
    ),
    pytest.param(
        [NY], local(NY, 2026, 3, 8, 1, 44), EVERY_DAY, time(3, 0), time(5, 0),
        datetime(2026, 3, 8, 7, 0, tzinfo=UTC), id="window-opening-just-after-the-skipped-hour",
    ),
]  # fmt: skip


@pytest.mark.parametrize(("zones", "at", "days", "start", "end", "expected"), NEXT)
def test_next_inside_is_the_first_whole_minute_inside_in_every_zone(
    zones: list[str],
    at: datetime,
    days: tuple[str, ...],
    start: time,
    end: time,
    expected: datetime | None,
) -> None:
    got = next_inside(zones, at, days, start, end)
    assert got == expected
    if got is not None:
        assert (got.second, got.microsecond) == (0, 0)
        assert inside(zones, got, days, start, end)


# --- property: the answer is inside, and the minute before it is not -----------------------

ZONES = [NY, "America/Chicago", "America/Denver", "America/Phoenix", LA, "America/Anchorage"]
ZONES += [HONOLULU, TOKYO, "Asia/Kolkata"]


@st.composite
def schedules(draw: st.DrawFn) -> tuple[tuple[str, ...], time, time]:
    """Days and any opening with a later closing, midnight and the DST hours included."""
    days = tuple(draw(st.sets(st.sampled_from(EVERY_DAY), min_size=1)))
    opens = draw(st.integers(0, 23 * 60 + 58))
    closes = draw(st.integers(opens + 1, 23 * 60 + 59))
    return days, time(*divmod(opens, 60)), time(*divmod(closes, 60))


@settings(max_examples=100, deadline=None)
@given(
    at=st.datetimes(
        min_value=datetime(2026, 1, 1),
        max_value=datetime(2027, 12, 31),
        timezones=st.just(UTC),
    ),
    zones=st.lists(st.sampled_from(ZONES), min_size=1, max_size=2, unique=True),
    schedule=schedules(),
)
def test_next_inside_is_inside_and_no_earlier_whole_minute_after_the_instant_is(
    at: datetime, zones: list[str], schedule: tuple[tuple[str, ...], time, time]
) -> None:
    days, start, end = schedule
    got = next_inside(zones, at, days, start, end)
    if got is None:
        # one zone with a listed day always has a window within a week
        assert len(zones) > 1
        return
    assert at <= got <= at + timedelta(days=8, minutes=1)
    assert (got.second, got.microsecond) == (0, 0)
    assert inside(zones, got, days, start, end)
    if got - MINUTE >= at:
        assert not inside(zones, got - MINUTE, days, start, end)
