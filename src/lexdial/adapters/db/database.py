"""Connect to the evidence store and bring its schema up to date.

Default: one SQLite file under the data directory (zero setup). Production: PostgreSQL
through ``LEXDIAL_DATABASE_URL``. The same Alembic migrations serve both.

Rule 1: SQLite runs in WAL mode with foreign keys on and a busy timeout, and every write
transaction starts with ``BEGIN IMMEDIATE``: SQLite has no row locks, so the gate and the
opt-out serialise on the database write lock instead (the same guarantee, coarser).
Rule 2: SQLite's ``synchronous`` stays FULL unless the caller asks for NORMAL: FULL
fsyncs the WAL at every commit (a committed gate survives a power cut, and that fsync
is most of a durable gate's time on SQLite); NORMAL fsyncs only at checkpoints, so a
commit survives a crash of the process but the last transactions before a power cut or
an OS crash may be lost (the database stays consistent). A dialler that records a
decision and then dials can lose that record on NORMAL: a durability trade to choose
knowingly (issue 15 item 6).
Rule 3: a PostgreSQL connection taken from the pool is checked with a ping first (a
server restart leaves dead connections in the pool), but only after it sat idle for a
second: a worker gating back to back skips one round trip per transaction, and a
connection that died within that second fails its transaction as it would have failed
between the ping and the query.
"""

from __future__ import annotations

import re
import time
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, create_engine, event, exc, text

# Alembic is imported only when a migration runs: a store already at the newest revision is
# recognised with one query (importing Alembic is half a second of every command's start)
if TYPE_CHECKING:
    from alembic.config import Config

from lexdial.adapters.db.fast import Fast
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


SQLITE_SYNCHRONOUS = ("FULL", "NORMAL")


def make_engine(url: str, *, sqlite_synchronous: str = "FULL") -> Engine:
    """An engine with the settings lexdial relies on for each backend
    (``sqlite_synchronous``: see rule 2)."""
    if url.startswith("sqlite"):
        path = url.removeprefix("sqlite:///")
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            private_file(Path(path))  # 0600 before SQLite opens it; -wal/-shm copy its mode
        mode = sqlite_synchronous.upper()
        if mode not in SQLITE_SYNCHRONOUS:
            raise ValueError(f"sqlite_synchronous must be one of {SQLITE_SYNCHRONOUS}")
        engine = create_engine(url, connect_args={"timeout": 30, "isolation_level": None})

        def pragmas(dbapi_conn: Any, _record: Any) -> None:
            _sqlite_pragmas(dbapi_conn, _record)
            dbapi_conn.execute(f"PRAGMA synchronous={mode}")

        event.listen(engine, "connect", pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    engine = create_engine(url)
    event.listen(engine, "checkout", _ping_if_idle)
    event.listen(engine, "checkin", _note_checkin)
    return engine


#: a pooled PostgreSQL connection idle longer than this is pinged before use (rule 3)
PING_AFTER_IDLE_S = 1.0


def _note_checkin(_dbapi_conn: Any, record: Any) -> None:
    record.info["checked_in"] = time.monotonic()


def _ping_if_idle(dbapi_conn: Any, record: Any, _proxy: Any) -> None:
    """SQLAlchemy's ``pool_pre_ping``, for connections idle over ``PING_AFTER_IDLE_S``."""
    idle = time.monotonic() - record.info.get("checked_in", float("-inf"))
    if idle < PING_AFTER_IDLE_S:
        return
    try:
        cur = dbapi_conn.cursor()
        try:
            cur.execute("SELECT 1")
        finally:
            cur.close()
        dbapi_conn.rollback()  # the ping's implicit transaction: leave the connection idle
    except Exception as e:  # the server went away: the pool replaces the connection
        raise exc.DisconnectionError(str(e)) from e


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.close()


def _sqlite_begin(conn: Any) -> None:
    # (for gate-cpu) on the driver's cursor: Core's execution machinery cost a durable
    # gate about a tenth of its CPU here; listeners and errors as Core (``fast`` rule 2)
    _BEGIN_IMMEDIATE.run(conn, {})


_BEGIN_IMMEDIATE = Fast(text("BEGIN IMMEDIATE"))


def alembic_config() -> Config:
    from alembic.config import Config

    cfg = Config()
    location = resources.files("lexdial.adapters.db").joinpath("migrations")
    cfg.set_main_option("script_location", str(location))
    return cfg


def migrate(engine: Engine) -> None:
    """Upgrade the schema to the newest migration (idempotent).

    When the store is already at the one head revision of the migrations, Alembic has
    nothing to do and is not loaded; anything else (a new store, an older schema, a
    migration file this reader does not understand) goes through Alembic as always.
    """
    head = head_revision()
    if head is not None and current_revisions(engine) == {head}:
        return
    from alembic import command

    cfg = alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")


_REVISION = re.compile(r"^(down_revision|revision)\s*(?::[^=]*)?=\s*(None|\"[^\"]*\"|'[^']*')\s*$")


def head_revision() -> str | None:
    """The newest revision of the bundled migrations, read from their files' ``revision``
    and ``down_revision`` lines; None unless that gives exactly one head (then Alembic
    decides)."""
    versions = resources.files("lexdial.adapters.db").joinpath("migrations", "versions")
    revisions: set[str] = set()
    parents: set[str] = set()
    for node in versions.iterdir():
        if not node.name.endswith(".py") or node.name.startswith("__"):
            continue
        found: dict[str, str | None] = {}
        for line in node.read_text("utf-8").splitlines():
            match = _REVISION.match(line)
            if match:
                value = match.group(2)
                found[match.group(1)] = None if value == "None" else value[1:-1]
        revision = found.get("revision")
        if revision is None or "down_revision" not in found:
            return None
        revisions.add(revision)
        if found["down_revision"] is not None:
            parents.add(found["down_revision"])
    heads = revisions - parents
    return heads.pop() if len(heads) == 1 else None


def current_revisions(engine: Engine) -> set[str]:
    """The revisions the store records (Alembic's table); empty for a new store."""
    try:
        with engine.connect() as conn:
            rows = conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalars()
            return {str(r) for r in rows}
    except exc.DBAPIError:  # no such table yet: a new store
        return set()
