"""A campaign's own calling schedule, in the recipient's time (pure).

Rule: the schedule is the firm's choice and only ever narrows what the law allows; a
number with several candidate zones is inside the schedule only when it is inside in
every one of them (the same protective reading the engine gives the legal windows).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

_DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
#: search step and horizon for the next instant inside the schedule
_STEP = timedelta(minutes=1)
_HORIZON = timedelta(days=8)


def inside(zones: Sequence[str], at: datetime, days: Sequence[str], start: time, end: time) -> bool:
    """True when ``at`` falls inside [start, end) on an allowed day in every zone."""
    for zone in zones:
        local = at.astimezone(ZoneInfo(zone))
        if _DAY_NAMES[local.weekday()] not in days:
            return False
        if not start <= local.time().replace(tzinfo=None) < end:
            return False
    return True


def next_inside(
    zones: Sequence[str], at: datetime, days: Sequence[str], start: time, end: time
) -> datetime | None:
    """The first whole minute at or after ``at`` inside the schedule (None within 8 days)."""
    t = at.astimezone(UTC).replace(second=0, microsecond=0)
    if t < at:
        t += _STEP
    limit = at + _HORIZON
    while t <= limit:
        if inside(zones, t, days, start, end):
            return t
        # jump to the next quarter hour when far outside: minutes only matter near the edges
        t += _STEP if _near_edge(zones, t, start, end) else timedelta(minutes=15)
    return None


def _near_edge(zones: Sequence[str], t: datetime, start: time, end: time) -> bool:
    for zone in zones:
        local = t.astimezone(ZoneInfo(zone))
        minutes = local.hour * 60 + local.minute
        for edge in (start, end):
            if abs(minutes - (edge.hour * 60 + edge.minute)) <= 16:
                return True
    return False
