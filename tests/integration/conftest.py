"""Integration fixtures: a migrated evidence store on SQLite and on PostgreSQL.

PostgreSQL: a fresh database per test session on ``LEXDIAL_TEST_PG_URL`` (default the
machine's server at 127.0.0.1:5432, trust auth), dropped afterwards. Where no server
answers, PostgreSQL tests fail under CI (``CI`` set: ``.ci/run`` starts the server) and
are skipped with the reason elsewhere, so the README's test command works on a machine
with only python3.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, insert, text

from lexdial.adapters.db import tables as t
from lexdial.adapters.db.database import make_engine, migrate
from lexdial.adapters.geodata import load_geography
from lexdial.adapters.rulepack import load_pack
from lexdial.rules.context import Policy
from lexdial.rules.engine import Engine as RulesEngine

PG_ADMIN = os.environ.get(
    "LEXDIAL_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
NOW = datetime(2026, 12, 2, 16, 0, tzinfo=UTC)


def _pg_available() -> str | None:
    try:
        eng = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
        with eng.connect() as conn:
            conn.execute(text("select 1"))
        eng.dispose()
    except Exception as exc:  # any connection failure means "not available"
        return f"{type(exc).__name__}"
    return None


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    problem = _pg_available()
    if problem is not None:
        message = f"PostgreSQL not reachable at {PG_ADMIN} ({problem})"
        if os.environ.get("CI"):
            pytest.fail(message + "; .ci/run must start it")
        pytest.skip(message + "; set LEXDIAL_TEST_PG_URL to run these tests")
    name = f"lexdial_it_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    base = PG_ADMIN.rsplit("/", 1)[0]
    try:
        yield f"{base}/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def rules() -> RulesEngine:
    """The bundled rule pack with the default policy (built once: it reads the ZIP data)."""
    return RulesEngine(pack=load_pack(), geo=load_geography(), policy=Policy())


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """A migrated, empty evidence store with one firm (id 1)."""
    if request.param == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path / 'store.sqlite3'}")
    else:
        engine = make_engine(request.getfixturevalue("pg_url"))
        with engine.begin() as conn:  # each test starts from an empty schema
            conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    migrate(engine)
    with engine.begin() as conn:
        conn.execute(insert(t.firms).values(id=1, name="Hartwell & Ruiz LLP", created_at=NOW))
        if engine.dialect.name == "postgresql":  # an explicit id does not move the sequence
            conn.execute(text("SELECT setval(pg_get_serial_sequence('firms', 'id'), 1)"))
    try:
        yield engine
    finally:
        engine.dispose()


def drop_backend(store: Engine, pid: int) -> None:
    """End the PostgreSQL backend ``pid`` of ``store`` from another connection, as a server
    restart or a network cut would end it for the connection using it."""
    other = make_engine(store.url.render_as_string(hide_password=False))
    try:
        with other.connect() as admin:
            admin.execute(text("SELECT pg_terminate_backend(:p)"), {"p": pid})
    finally:
        other.dispose()
