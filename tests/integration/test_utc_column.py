"""The UTC timestamp column on SQLite and PostgreSQL: whatever offset an instant is given with,
the same instant comes back, aware and in UTC, and the stored form is what it was before."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import Engine, func, insert, select, text

from lexdial.adapters.db import tables as t

pytestmark = pytest.mark.integration

LOCAL = datetime(2026, 6, 1, 9, 0, 30, 250, tzinfo=timezone(timedelta(hours=-5)))


def test_an_instant_with_an_offset_reads_back_as_the_same_instant_in_utc(store: Engine) -> None:
    with store.begin() as conn:
        conn.execute(insert(t.firms).values(id=2, name="Other LLP", created_at=LOCAL))
    with store.connect() as conn:
        back = conn.execute(select(t.firms.c.created_at).where(t.firms.c.id == 2)).scalar_one()
        earliest = conn.execute(select(func.min(t.firms.c.created_at))).scalar_one()
    assert back == LOCAL and back.tzinfo is UTC
    assert earliest.tzinfo is UTC


def test_a_naive_instant_is_taken_as_utc_and_compared_as_utc(store: Engine) -> None:
    naive = datetime(2026, 6, 1, 14, 0, 30, 250)
    with store.begin() as conn:
        conn.execute(insert(t.firms).values(id=2, name="Other LLP", created_at=naive))
    with store.connect() as conn:
        back = conn.execute(select(t.firms.c.created_at).where(t.firms.c.id == 2)).scalar_one()
        later = conn.execute(
            select(func.count()).where(
                t.firms.c.created_at > LOCAL - timedelta(seconds=1),
                t.firms.c.created_at < LOCAL + timedelta(seconds=1),
            )
        ).scalar_one()
    assert back == naive.replace(tzinfo=UTC) == LOCAL
    assert later == 1  # the comparison binds UTC too


def test_sqlite_still_stores_the_naive_utc_wall_clock(store: Engine) -> None:
    if store.dialect.name != "sqlite":
        pytest.skip("PostgreSQL keeps the instant in timestamptz")
    with store.begin() as conn:
        conn.execute(insert(t.firms).values(id=2, name="Other LLP", created_at=LOCAL))
    with store.connect() as conn:
        raw = conn.execute(text("SELECT created_at FROM firms WHERE id = 2")).scalar_one()
    assert raw == "2026-06-01 14:00:30.000250"
