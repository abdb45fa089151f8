"""The 30-day abandonment counts are maintained per campaign and day as outcomes are
recorded, and add up to exactly what counting every outcome after the window's start gives,
whatever instant the window starts at (the boundary day is cut at that instant)."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Connection, Engine, func, insert, select

from lexdial.adapters.db import tables as t
from lexdial.adapters.db.database import alembic_config, make_engine, migrate
from lexdial.adapters.db.queries import abandonment_counts
from lexdial.adapters.db.repos.calls import SqlAttemptRepository
from lexdial.service.repos.calls import NewOutcome

pytestmark = pytest.mark.integration

T0 = datetime(2026, 11, 1, 0, 0, tzinfo=UTC)


def _seed(conn: Connection) -> None:
    for cid in (1, 2):
        conn.execute(
            insert(t.campaigns).values(
                id=cid, firm_id=1, name=f"c{cid}", purpose="reminder",
                technology="prerecorded", mode="predictive", created_at=T0,
            )
        )  # fmt: skip
    conn.execute(insert(t.contacts).values(id=1, firm_id=1, created_at=T0))


def _attempt(conn: Connection, campaign_id: int | None, at: datetime) -> int:
    return t.new_id(
        conn.execute(
            insert(t.call_attempts).values(
                firm_id=1, contact_id=1, campaign_id=campaign_id, number_bidx="b", at=at,
                purpose="reminder", technology="prerecorded", status="dialled", created_at=at,
            )
        )
    )  # fmt: skip


def _by_scan(conn: Connection, campaign_id: int, since: datetime) -> tuple[int, int]:
    o, a = t.call_outcomes, t.call_attempts
    row = conn.execute(
        select(
            func.count().filter(o.c.abandoned.is_(True)),
            func.count().filter(o.c.live_answered.is_(True)),
        )
        .select_from(o.join(a, a.c.id == o.c.attempt_id))
        .where(a.c.campaign_id == campaign_id, o.c.at > since)
    ).one()
    return int(row[0]), int(row[1])


def test_the_maintained_counts_equal_a_scan_of_the_outcomes_at_any_window_start(
    store: Engine,
) -> None:
    rng = random.Random(15)
    with store.begin() as conn:
        _seed(conn)
        repo = SqlAttemptRepository(conn)
        for _ in range(400):
            at = T0 + timedelta(seconds=rng.randrange(45 * 86400))
            attempt = _attempt(conn, rng.choice([1, 2, None]), at)
            live = rng.random() < 0.6
            repo.record_outcome(
                NewOutcome(
                    attempt_id=attempt, outcome="bridged", at=at, ring_s=3.0, talk_s=9.0,
                    live_answered=live, abandoned=live and rng.random() < 0.1, opted_out=False,
                    agent_id=None, detail=None,
                )
            )  # fmt: skip
    with store.connect() as conn:
        for _ in range(60):
            since = T0 + timedelta(seconds=rng.randrange(-86400, 46 * 86400))
            for campaign_id in (1, 2):
                assert abandonment_counts(conn, campaign_id, since) == _by_scan(
                    conn, campaign_id, since
                )


def test_upgrading_a_store_with_outcomes_fills_the_counts_from_them(tmp_path: Path) -> None:
    from alembic import command

    engine = make_engine(f"sqlite:///{tmp_path / 'old.sqlite3'}")
    cfg = alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0012_dispositions")
        conn.execute(insert(t.firms).values(id=1, name="Hartwell LLP", created_at=T0))
        _seed(conn)
        o = t.call_outcomes
        for i in range(30):
            at = T0 + timedelta(hours=17 * i)
            conn.execute(
                insert(o).values(
                    attempt_id=_attempt(conn, 1 + i % 2, at), outcome="bridged", at=at,
                    created_at=at, live_answered=i % 3 != 0, abandoned=i % 7 == 0,
                )
            )  # fmt: skip
    migrate(engine)
    with engine.connect() as conn:
        for since in (T0 - timedelta(days=1), T0 + timedelta(hours=100, minutes=7)):
            for campaign_id in (1, 2):
                assert abandonment_counts(conn, campaign_id, since) == _by_scan(
                    conn, campaign_id, since
                )
    engine.dispose()
