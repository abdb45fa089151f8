"""``Fast`` statements share one driver cursor per pooled connection (``fast`` rule 4): a
failure does not leave it unusable, a statement run for its effect leaves nothing open, and
SQLite's ``BEGIN IMMEDIATE`` taken on it still makes a writer wait for the lock."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, insert, select, text
from sqlalchemy.exc import IntegrityError, OperationalError

from lexdial.adapters.db import tables as t
from lexdial.adapters.db.database import make_engine
from lexdial.adapters.db.fast import Fast

pytestmark = pytest.mark.integration

NOW = datetime(2026, 12, 2, 16, 0, tzinfo=UTC)
_FIRM = Fast(insert(t.firms).returning(t.firms.c.id))
_NAMES = Fast(select(t.firms.c.id, t.firms.c.name).order_by(t.firms.c.id))


def test_statements_after_a_failed_one_run_on_the_same_pooled_connection(store: Engine) -> None:
    with store.begin() as conn:
        _FIRM.rows(conn, {"id": 7, "name": "Fast LLP", "created_at": NOW})
    with pytest.raises(IntegrityError), store.begin() as conn:
        _FIRM.rows(conn, {"id": 7, "name": "Again LLP", "created_at": NOW})
    with store.begin() as conn:  # the pool's only connection, its cursor replaced
        assert _FIRM.rows(conn, {"id": 8, "name": "Next LLP", "created_at": NOW}) == [{"id": 8}]
        assert [r["id"] for r in _NAMES.rows(conn, {})] == [1, 7, 8]
        assert _NAMES.rows(conn, {}) == _NAMES.rows(conn, {})  # one cursor, read twice


def test_a_select_run_for_its_effect_leaves_no_statement_open(store: Engine) -> None:
    with store.begin() as conn:
        conn.execute(text("CREATE TABLE scratch (id INTEGER PRIMARY KEY)"))
        for i in range(50):
            conn.execute(text("INSERT INTO scratch (id) VALUES (:i)"), {"i": i})
    with store.begin() as conn:
        Fast(text("SELECT id FROM scratch")).run(conn, {})
        # SQLite refuses to drop a table a statement is still reading ("table is locked")
        conn.execute(text("DROP TABLE scratch"))


def test_a_second_sqlite_writer_waits_for_the_first_and_then_gives_up_as_core_would(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path}/store.sqlite3"
    first, second = make_engine(url), make_engine(url)
    try:
        with first.begin() as conn:
            conn.execute(text("CREATE TABLE scratch (id INTEGER PRIMARY KEY)"))
        with first.begin() as held:
            held.execute(text("INSERT INTO scratch (id) VALUES (1)"))
            with second.connect() as other:
                raw = other.connection.dbapi_connection
                assert isinstance(raw, sqlite3.Connection)
                raw.execute("PRAGMA busy_timeout=50")  # not 30 s: the lock is not released
                with pytest.raises(OperationalError, match="locked"), other.begin():
                    pass
    finally:
        first.dispose()
        second.dispose()
