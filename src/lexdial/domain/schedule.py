"""A campaign's own calling schedule, in the recipient's time (pure).

Rule: the schedule is the firm's choice and only ever narrows what the law allows; a
number with several candidate zones is inside the schedule only when it is inside in
every one of them (the same protective reading the engine gives the legal windows).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import TypeAlias
from zoneinfo import ZoneInfo

_DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
#: how far ahead ``next_inside`` looks
_HORIZON = timedelta(days=8)
_Interval: TypeAlias = tuple[datetime, datetime]


def inside(zones: Sequence[str], at: datetime, days: Sequence[str], start: time, end: time) -> bool:
    """True when ``at`` falls inside [start, end) on an allowed day in every zone."""
    for zone in zones:
        local = at.astimezone(ZoneInfo(zone))
        if _DAY_NAMES[local.weekday()] not in days:
            return False
        if not start <= local.time().replace(tzinfo=None, fold=0) < end:
            return False
    return True


def next_inside(
    zones: Sequence[str], at: datetime, days: Sequence[str], start: time, end: time
) -> datetime | None:
    """The first whole minute at or after ``at`` inside the schedule (None within 8 days).

    Each zone's windows are turned into UTC intervals (both readings of an hour repeated at
    the end of summer time; none for an hour skipped at its start), intersected across the
    zones, and the first one that is still open is taken.
    """
    first = at.astimezone(UTC).replace(second=0, microsecond=0)
    if first < at:
        first += timedelta(minutes=1)
    limit = first + _HORIZON
    common: list[_Interval] | None = None
    for zone in zones:
        mine = _windows(ZoneInfo(zone), first, limit, days, start, end)
        common = mine if common is None else _intersect(common, mine)
    if common is None:  # no zone: nothing narrows the instant
        return first
    for lo, hi in common:
        t = max(first, lo)
        if t < hi:
            return t
    return None


def _windows(
    zone: ZoneInfo, first: datetime, limit: datetime, days: Sequence[str], start: time, end: time
) -> list[_Interval]:
    out: list[_Interval] = []
    day = first.astimezone(zone).date() - timedelta(days=1)
    while datetime.combine(day, time(0), zone) <= limit:
        if _DAY_NAMES[day.weekday()] in days:
            for fold in (0, 1):
                lo, hi = _instant(day, start, zone, fold), _instant(day, end, zone, fold)
                if lo < hi and (lo, hi) not in out:
                    out.append((lo, hi))
        day += timedelta(days=1)
    return _merge(sorted(out))


def _instant(day: date, wall: time, zone: ZoneInfo, fold: int) -> datetime:
    """``wall`` on ``day`` in ``zone`` as UTC; a time skipped by summer time means the
    first instant after the jump (a 02:00-04:00 window opens at 03:00 that night)."""
    naive = datetime.combine(day, wall)
    dt = naive.replace(tzinfo=zone, fold=fold)
    if dt.astimezone(UTC).astimezone(zone).replace(tzinfo=None) == naive:
        return dt.astimezone(UTC)
    t = naive.replace(tzinfo=zone, fold=1).astimezone(UTC)  # before the jump
    while t.astimezone(zone).replace(tzinfo=None) < naive:
        t += timedelta(minutes=1)
    return t


def _merge(intervals: list[_Interval]) -> list[_Interval]:
    merged: list[_Interval] = []
    for lo, hi in intervals:
        if merged and lo <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], hi))
        else:
            merged.append((lo, hi))
    return merged


def _intersect(a: list[_Interval], b: list[_Interval]) -> list[_Interval]:
    out, i, j = [], 0, 0
    while i < len(a) and j < len(b):
        lo, hi = max(a[i][0], b[j][0]), min(a[i][1], b[j][1])
        if lo < hi:
            out.append((lo, hi))
        if a[i][1] < b[j][1]:
            i += 1
        else:
            j += 1
    return out
