"""Holiday calendars per country and state, from the ``holidays`` package.

Where a statute lists holidays the package does not keep for that state (Pennsylvania's
73 P.S. 2245.2 list includes Good Friday, Flag Day and Election Day), the rule names them
as ``extra`` and they are computed here.
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache

EXTRA_HOLIDAYS = ("good_friday", "flag_day", "election_day")


@lru_cache(maxsize=1024)
def holiday_dates(
    country: str, subdiv: str | None, year: int, extra: tuple[str, ...] = ()
) -> frozenset[date]:
    """Every holiday of ``country``/``subdiv`` in ``year``, plus the named extras."""
    if country == STATUTE:  # the statute's own list, and nothing else
        listed = {_statute_day(name, year) for name in extra}
        moved = {_sunday_moved(d) for d in listed}
        return frozenset(listed | {d for d in moved if d is not None})
    import holidays  # heavy (imports every country's calendar); only when a rule needs it

    days = set(holidays.country_holidays(country, subdiv=subdiv, years=year).keys())
    for name in extra:
        days.add(_extra(name, year))
    return frozenset(days)


def is_holiday(country: str, subdiv: str | None, day: date, extra: tuple[str, ...] = ()) -> bool:
    return day in holiday_dates(country, subdiv, day.year, extra)


#: the "country" of a holiday list that a statute names itself (``holidays: {list: [...]}``)
STATUTE = "STATUTE"


def _nth_weekday(year: int, month: int, weekday: int, n: int) -> date:
    """The ``n``-th ``weekday`` (Monday = 0) of the month; n = -1 is the last."""
    if n > 0:
        first = date(year, month, 1)
        return first + timedelta(days=(weekday - first.weekday()) % 7 + 7 * (n - 1))
    last = date(year + month // 12, month % 12 + 1, 1) - timedelta(days=1)
    return last - timedelta(days=(last.weekday() - weekday) % 7)


_FIXED = {
    "new_year": (1, 1),
    "flag_day": (6, 14),
    "juneteenth": (6, 19),
    "independence_day": (7, 4),
    "veterans_day": (11, 11),
    "christmas": (12, 25),
}
_FLOATING = {
    "mlk_day": (1, 0, 3),
    "presidents_day": (2, 0, 3),
    "memorial_day": (5, 0, -1),
    "labor_day": (9, 0, 1),
    "columbus_day": (10, 0, 2),
    "thanksgiving": (11, 3, 4),
}
STATUTE_NAMES = frozenset(_FIXED) | frozenset(_FLOATING) | frozenset(EXTRA_HOLIDAYS)


def _statute_day(name: str, year: int) -> date:
    if name in _FIXED:
        return date(year, *_FIXED[name])
    if name in _FLOATING:
        month, weekday, n = _FLOATING[name]
        return _nth_weekday(year, month, weekday, n)
    return _extra(name, year)


def _sunday_moved(day: date) -> date | None:
    """A fixed-date holiday on a Sunday is also kept the Monday after (protective: the
    observed day of most state holiday statutes)."""
    return day + timedelta(days=1) if day.weekday() == 6 else None


def _extra(name: str, year: int) -> date:
    if name == "good_friday":
        return easter(year) - timedelta(days=2)
    if name == "flag_day":
        return date(year, 6, 14)
    if name == "election_day":
        # the Tuesday after the first Monday of November
        first = date(year, 11, 1)
        monday = first + timedelta(days=(0 - first.weekday()) % 7)
        return monday + timedelta(days=1)
    raise ValueError(f"unknown extra holiday {name!r}")


def easter(year: int) -> date:
    """Gregorian Easter Sunday (anonymous Gregorian algorithm)."""
    a = year % 19
    b, c = divmod(year, 100)
    d, e = divmod(b, 4)
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    ell = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * ell) // 451
    month, day = divmod(h + ell - 7 * m + 114, 31)
    return date(year, month, day + 1)
