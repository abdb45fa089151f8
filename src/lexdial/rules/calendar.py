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
    import holidays  # heavy (imports every country's calendar); only when a rule needs it

    days = set(holidays.country_holidays(country, subdiv=subdiv, years=year).keys())
    for name in extra:
        days.add(_extra(name, year))
    return frozenset(days)


def is_holiday(country: str, subdiv: str | None, day: date, extra: tuple[str, ...] = ()) -> bool:
    return day in holiday_dates(country, subdiv, day.year, extra)


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
