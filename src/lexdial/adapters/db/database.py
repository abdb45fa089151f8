"""Connect to the evidence store and bring its schema up to date.

Default: one SQLite file under the data directory (zero setup). Production: PostgreSQL
through ``LEXDIAL_DATABASE_URL``. The same Alembic migrations serve both.

Rule 1: SQLite runs in WAL mode with foreign keys on and a busy timeout, and every write
transaction starts with ``BEGIN IMMEDIATE``: SQLite has no row locks, so the gate and the
opt-out serialise on the database write lock instead (the same guarantee, coarser).
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event

from lexdial.adapters.private_files import private_file

DEFAULT_FILE = "lexdial.sqlite3"


def database_url(data_dir: Path, environ: dict[str, str]) -> str:
    """``LEXDIAL_DATABASE_URL`` if set, else the SQLite file under ``data_dir``."""
    url = environ.get("LEXDIAL_DATABASE_URL")
    if url:
        if url.startswith("postgresql://"):
            url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
        return url
    return f"sqlite:///{data_dir / DEFAULT_FILE}"


def make_engine(url: str) -> Engine:
    """An engine with the settings lexdial relies on for each backend."""
    if url.startswith("sqlite"):
        path = url.removeprefix("sqlite:///")
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            private_file(Path(path))  # 0600 before SQLite opens it; -wal/-shm copy its mode
        engine = create_engine(url, connect_args={"timeout": 30, "isolation_level": None})
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    return create_engine(url, pool_pre_ping=True)


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.close()


def _sqlite_begin(conn: Any) -> None:
    conn.exec_driver_sql("BEGIN IMMEDIATE")


def alembic_config() -> Config:
    cfg = Config()
    location = resources.files("lexdial.adapters.db").joinpath("migrations")
    cfg.set_main_option("script_location", str(location))
    return cfg


def migrate(engine: Engine) -> None:
    """Upgrade the schema to the newest migration (idempotent)."""
    cfg = alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
