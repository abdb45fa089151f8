"""An id named outside its row (an audit entry, an evidence bundle, a report, a webhook) is
never given to another row, even after the newest rows were deleted (migration 0017:
SQLite's AUTOINCREMENT; PostgreSQL's sequences never went back)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, delete, func, insert, inspect, select, text, update

from lexdial.adapters.audit.sql import SqlAuditStore
from lexdial.adapters.db import tables as t
from lexdial.adapters.db.database import current_revisions, head_revision, make_engine, migrate
from lexdial.adapters.db.uow import SqlUnitOfWork
from lexdial.domain.audit_chain import verify
from lexdial.rules.engine import Engine as RulesEngine
from lexdial.service.fakes import Reversible
from lexdial.service.record_sweep import check_store

from .conftest import NOW
from .test_evidence_for_one_call import _called

pytestmark = pytest.mark.integration

BEFORE = "0016_audit_lookups"


def _newest(store: Engine, table: Any) -> int:
    with store.connect() as conn:
        return int(conn.execute(select(func.max(table.c.id))).scalar_one())


def _drop_attempt(store: Engine, attempt: int) -> dict[str, Any]:
    """Delete an attempt and what refers to it, as a retention purge does; its row back."""
    a = t.call_attempts
    with store.begin() as conn:
        row = dict(conn.execute(select(a).where(a.c.id == attempt)).mappings().one())
        conn.execute(delete(t.call_outcomes).where(t.call_outcomes.c.attempt_id == attempt))
        conn.execute(delete(t.call_dispositions).where(t.call_dispositions.c.attempt_id == attempt))
        conn.execute(
            update(t.campaign_contacts)
            .where(t.campaign_contacts.c.last_attempt_id == attempt)
            .values(last_attempt_id=None)
        )
        conn.execute(
            update(t.agent_sessions)
            .where(t.agent_sessions.c.attempt_id == attempt)
            .values(attempt_id=None)
        )
        conn.execute(delete(a).where(a.c.id == attempt))
    return row


def _insert_attempt(store: Engine, like: dict[str, Any]) -> int:
    with store.begin() as conn:
        values = {k: v for k, v in like.items() if k != "id"}
        return t.new_id(conn.execute(insert(t.call_attempts).values(**values)))


def test_an_attempt_made_after_the_newest_was_deleted_gets_a_new_id_never_the_deleted_ones(
    store: Engine, rules: RulesEngine
) -> None:
    _called(store, rules, Reversible())
    newest = _newest(store, t.call_attempts)
    row = _drop_attempt(store, newest)
    again = _insert_attempt(store, row)
    assert again > newest
    # and once more after that one went too: the counter never goes back
    _drop_attempt(store, again)
    assert _insert_attempt(store, row) > again


def test_contact_ids_an_import_reserves_come_after_every_id_ever_given_even_deleted_ones(
    store: Engine,
) -> None:
    c = t.contacts
    with store.begin() as conn:
        for _ in range(3):
            conn.execute(insert(c).values(firm_id=1, created_at=NOW))
    newest = _newest(store, c)
    with store.begin() as conn:
        conn.execute(delete(c).where(c.c.id == newest))
        reserved = SqlUnitOfWork(conn).inbox.new_contact_ids(2)
        conn.execute(insert(c), [{"id": i, "firm_id": 1, "created_at": NOW} for i in reserved])
    assert reserved == [newest + 1, newest + 2]
    with store.begin() as conn:  # the reserved ids, once inserted, moved the counter too
        conn.execute(delete(c).where(c.c.id.in_(reserved)))
        assert SqlUnitOfWork(conn).inbox.new_contact_ids(1) == [newest + 3]


def test_every_table_whose_ids_leave_the_store_never_reuses_them_on_sqlite() -> None:
    for name in t.IDS_NEVER_REUSED:
        assert t.metadata.tables[name].dialect_options["sqlite"]["autoincrement"], name


@pytest.fixture(params=["sqlite", "postgresql"])
def old(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """An empty store at the schema before ``ids_never_reused``, with one firm (id 1)."""
    from alembic import command

    from lexdial.adapters.db.database import alembic_config

    if request.param == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path / 'store.sqlite3'}")
    else:
        engine = make_engine(request.getfixturevalue("pg_url"))
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    cfg = alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, BEFORE)
        conn.execute(insert(t.firms).values(id=1, name="Hartwell & Ruiz LLP", created_at=NOW))
        if engine.dialect.name == "postgresql":
            conn.execute(text("SELECT setval(pg_get_serial_sequence('firms', 'id'), 1)"))
    try:
        yield engine
    finally:
        engine.dispose()


def _everything(store: Engine, names: set[str]) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of the tables ``names``, in key order."""
    with store.connect() as conn:
        return {
            name: [tuple(r) for r in conn.execute(select(table).order_by(*table.primary_key))]
            for name, table in t.metadata.tables.items()
            if name in names
        }


def _schema(store: Engine) -> dict[str, Any]:
    """Each table's indexes, unique constraints and foreign keys, as the database has them."""
    seen = inspect(store)
    out: dict[str, Any] = {}
    for name in seen.get_table_names():
        out[name] = (
            sorted(
                (i["name"], tuple(i["column_names"]), i["unique"]) for i in seen.get_indexes(name)
            ),
            sorted(
                (u["name"], tuple(u["column_names"])) for u in seen.get_unique_constraints(name)
            ),
            sorted(
                (tuple(f["constrained_columns"]), f["referred_table"], tuple(f["referred_columns"]))
                for f in seen.get_foreign_keys(name)
            ),
            sorted(
                (c["name"], str(c["type"]), c["nullable"], c["default"])
                for c in seen.get_columns(name)
            ),
        )
    return out


def test_a_store_at_the_previous_schema_with_data_upgrades_with_every_row_intact(
    old: Engine, rules: RulesEngine
) -> None:
    cipher = Reversible()
    _called(old, rules, cipher)
    # the newest call was purged before the upgrade: only the audit trail still names it
    purged = _newest(old, t.call_attempts)
    row = _drop_attempt(old, purged)
    schema = _schema(old)
    rows = _everything(old, set(schema))

    assert migrate(old) == (BEFORE, head_revision())
    assert current_revisions(old) == {head_revision()}
    assert _everything(old, set(schema)) == rows
    after = _schema(old)
    assert {name: after[name] for name in schema} == schema  # later migrations add tables
    with old.connect() as conn:
        assert verify(SqlAuditStore(conn)).ok
        if old.dialect.name == "sqlite":
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar_one() == 1
            assert conn.exec_driver_sql("PRAGMA foreign_key_check").first() is None
    with old.connect() as conn:
        records = check_store(SqlUnitOfWork(conn), cipher)
    # the purged call is missing from the records, as before the upgrade; nothing else
    assert {p.table for p in records.problems} <= {"call_attempts", "call_outcomes"}
    # the id the trail names for the purged call is never given again
    assert _insert_attempt(old, row) > purged
