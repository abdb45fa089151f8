"""A timestamp column that always hands back an aware UTC datetime.

Rule 1: an instant is stored as UTC. PostgreSQL keeps it in ``timestamptz``; SQLite keeps no
offset, so it stores the naive UTC wall-clock (an aware value is converted to UTC first, so
09:00-05:00 is stored as 14:00).
Rule 2: every value read back is aware and in UTC, on both databases, so no caller has to
repair a naive datetime (the ``if x.tzinfo is None`` fix-ups this type replaces).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator


class UtcDateTime(TypeDecorator[datetime]):
    """``DateTime(timezone=True)`` that binds UTC and returns aware UTC datetimes."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Store the instant in UTC; a naive value is taken to be UTC already."""
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        """Hand back an aware UTC datetime (SQLite's naive values were stored as UTC)."""
        if value is None:
            return None
        if not isinstance(value, datetime):  # pragma: no cover - a driver's odd type
            return value  # type: ignore[no-any-return]
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
