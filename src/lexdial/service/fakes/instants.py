"""What the in-memory fakes do to a stored instant: what ``adapters.db.utc.UtcDateTime`` does.

Rule 1: a fake stores an instant as the database would hand it back, aware and in UTC (a
naive value is taken to be UTC), so a service tested on fakes needs no naive-UTC fix-up
either.
"""

from __future__ import annotations

from datetime import UTC, datetime


def stored(value: datetime) -> datetime:
    """``value`` as the store reads it back: aware UTC (naive is taken to be UTC)."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
