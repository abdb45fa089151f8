"""IANA time zones as cached values.

Rule 1: only IANA names, never fixed offsets chosen by us; ``ZoneInfo`` objects are
cached so that evaluating thousands of decisions does not re-read zone files.
"""

from __future__ import annotations

from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones


@cache
def _names() -> frozenset[str]:
    return frozenset(available_timezones())


def is_zone(name: str) -> bool:
    """True when ``name`` is an IANA zone name known to the installed tz database."""
    return name in _names()


@cache
def zone(name: str) -> ZoneInfo:
    """The ``ZoneInfo`` for ``name`` (raises ``KeyError`` for an unknown name)."""
    if not is_zone(name):
        raise KeyError(name)
    try:
        return ZoneInfo(name)
    except ZoneInfoNotFoundError:  # pragma: no cover - listed but unreadable
        raise KeyError(name) from None
