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
Rule 4: a database that cannot be used is a setting to fix, not a crash: a URL lexdial
cannot use is refused before any connection (``database_url``), and a server that refuses
the first connection (down, wrong port, unknown user or database, bad password) is a
``ConfigError`` naming the database (password hidden), the server's own reason and
``$LEXDIAL_DATABASE_URL`` (``unreachable``).
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, create_engine, event, exc, text

# Alembic is imported only when a migration runs: a store already at the newest revision is
# recognised with one query (importing Alembic is half a second of every command's start)
if TYPE_CHECKING:
    from alembic.config import Config

from lexdial.adapters.db import fast_pipe
from lexdial.adapters.db.fast import Fast
from lexdial.adapters.private_files import private_file
from lexdial.errors import ConfigError

DEFAULT_FILE = "lexdial.sqlite3"
URL_VAR = "LEXDIAL_DATABASE_URL"
#: the URLs lexdial can use (rule 4): PostgreSQL through psycopg 3, or a SQLite file
URL_FORMS = ("postgresql+psycopg://", "postgresql://", "sqlite:///")
#: PostgreSQL's SQLSTATE for "database ... does not exist" (invalid_catalog_name)
NO_SUCH_DATABASE = "3D000"


def database_url(data_dir: Path, environ: dict[str, str]) -> str:
    """``LEXDIAL_DATABASE_URL`` if set, else the SQLite file under ``data_dir``.

    A URL of another form, or one SQLAlchemy cannot parse, is refused here, before any
    connection (rule 4)."""
    url = environ.get(URL_VAR, "").strip()
    if url:
        if not url.startswith(URL_FORMS):
            scheme = url.split("://", 1)[0] if "://" in url else "(none)"
            raise ConfigError(
                f"${URL_VAR} has the scheme {scheme!r}; lexdial uses PostgreSQL "
                "(postgresql+psycopg://USER[:PASSWORD]@HOST:PORT/DATABASE) or a SQLite file "
                "(sqlite:///PATH). Fix or unset it"
            )
        if url.startswith("postgresql://"):
            url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
        _parsed(url)
        return url
    return f"sqlite:///{data_dir / DEFAULT_FILE}"


def _parsed(url: str) -> Any:
    from sqlalchemy import make_url

    try:
        parsed = make_url(url)
    except (exc.ArgumentError, ValueError):
        raise ConfigError(
            f"${URL_VAR} is not a database URL lexdial can read (expected "
            "postgresql+psycopg://USER[:PASSWORD]@HOST:PORT/DATABASE; a password with "
            "@ / : or % in it must be %-encoded)"
        ) from None
    if parsed.get_backend_name() == "postgresql" and not parsed.database:
        raise ConfigError(
            f"${URL_VAR} names no database: add it after the last slash, "
            "e.g. postgresql+psycopg://postgres@127.0.0.1:5432/lexdial"
        )
    return parsed


def shown(url: str) -> str:
    """The URL for people to read: the password hidden."""
    return str(_parsed(url).render_as_string(hide_password=True))


def unreachable(url: str, error: exc.DBAPIError) -> ConfigError:
    """The ``ConfigError`` for a first connection the server refused (rule 4)."""
    reason = " ".join(str(getattr(error, "orig", None) or error).split())
    if missing_database(url, error):
        hint = (
            f"Create it (lexdial init creates it when its user may; or: createdb -h HOST "
            f"-U USER {_parsed(url).database}) or fix the database name in ${URL_VAR}"
        )
    else:
        hint = f"Check that the server is running and ${URL_VAR} (host, port, user, password)"
    return ConfigError(
        f"cannot connect to the database {shown(url)}\n  the server said: {reason}\n  {hint}"
    )


def missing_database(url: str, error: exc.DBAPIError) -> bool:
    """Whether the server said the URL's database does not exist (psycopg gives a refused
    connection no SQLSTATE, so the server's message is read: ``database "x" does not
    exist``, in PostgreSQL's English messages)."""
    orig = getattr(error, "orig", None)
    if getattr(orig, "sqlstate", None) == NO_SUCH_DATABASE:
        return True
    name = _parsed(url).database
    return f'database "{name}" does not exist' in str(orig or error)


def _connects(url: str) -> bool:
    from sqlalchemy.pool import NullPool

    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.connect():
            return True
    except exc.DBAPIError:
        return False
    finally:
        engine.dispose()


#: arbitrary key of the session advisory lock ``lexdial init`` holds (not the audit's)
INIT_LOCK_KEY = 0x1E7D1A1_1417


@contextmanager
def init_lock(url: str) -> Iterator[None]:
    """Held by ``lexdial init`` from its "is there a store here?" to the store made: two
    inits on one PostgreSQL database run one after the other, so the second finds the
    first's store and refuses instead of failing inside the migration. (SQLite: nothing;
    its database is a file in the folder init was given.)"""
    if url.startswith("sqlite"):
        yield
        return
    from sqlalchemy.pool import NullPool

    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql(f"SELECT pg_advisory_lock({INIT_LOCK_KEY})")
            conn.commit()
            try:
                yield
            finally:
                conn.exec_driver_sql(f"SELECT pg_advisory_unlock({INIT_LOCK_KEY})")
                conn.commit()
    finally:
        engine.dispose()


def create_database(url: str) -> None:
    """``CREATE DATABASE`` the PostgreSQL database ``url`` names, through the server's
    ``postgres`` database; a user without the right to is told to create it."""
    parsed = _parsed(url)
    admin = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    name = str(parsed.database)
    try:
        with admin.connect() as conn:
            quoted = conn.dialect.identifier_preparer.quote_identifier(name)
            conn.exec_driver_sql(f"CREATE DATABASE {quoted}")
    except exc.DBAPIError as e:
        if _connects(url):  # another init made it meanwhile (42P04, or 23505 in the race)
            return
        reason = " ".join(str(e.orig or e).split())
        raise ConfigError(
            f"the database {shown(url)} does not exist and could not be created: {reason}. "
            f"Create it (createdb -h HOST -U USER {name}) or fix ${URL_VAR}"
        ) from None
    finally:
        admin.dispose()


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
    fast_pipe.install(engine)  # a gate batch's writes may be pipelined (``fast_pipe``)
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


def migrate(engine: Engine) -> tuple[str, str] | None:
    """Upgrade the schema to the newest migration (idempotent); an existing store's
    (old revision, new revision) when it was upgraded, else None (current, or new).

    When the store is already at the one head revision of the migrations, Alembic has
    nothing to do and is not loaded; anything else (a new store, an older schema, a
    migration file this reader does not understand) goes through Alembic as always.
    A store at a revision these migrations do not know (a newer lexdial upgraded it) is a
    ``ConfigError`` and is left as it is: this lexdial cannot read that schema.
    """
    head = head_revision()
    before = current_revisions(engine)
    if head is not None and before == {head}:
        return None
    from alembic import command
    from alembic.script import ScriptDirectory

    cfg = alembic_config()
    script = ScriptDirectory.from_config(cfg)
    known = {rev.revision for rev in script.walk_revisions()}
    unknown = sorted(before - known)
    if unknown:
        where = engine.url.render_as_string(hide_password=True)
        raise ConfigError(
            f"the store at {where} has the schema revision {', '.join(unknown)}, which this "
            f"lexdial does not know (its newest: {script.get_current_head()}): a newer "
            "lexdial upgraded it. Run that newer lexdial here too (every process on one "
            "store must be upgraded); nothing was changed"
        )
    with _foreign_keys_held(engine) as conn, conn.begin():
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
        _check_foreign_keys(conn)
    after = current_revisions(engine)
    if not before or before == after:
        return None
    return ", ".join(sorted(before)), ", ".join(sorted(after))


@contextmanager
def _foreign_keys_held(engine: Engine) -> Iterator[Any]:
    """A connection for the migration; on SQLite with foreign key enforcement off until it
    is returned, as SQLite's procedure for rebuilding a table asks (a migration that
    rebuilds a table others refer to must drop it first, and with enforcement on that
    drop deletes its rows, refused or counted as violations at commit). The PRAGMA is a
    no-op inside a transaction, so it goes to the driver before SQLAlchemy begins one;
    ``_check_foreign_keys`` then checks every key before the commit instead."""
    with engine.connect() as conn:
        if conn.dialect.name != "sqlite":
            yield conn
            return
        driver = conn.connection.driver_connection
        assert driver is not None  # a connection just checked out has its driver's
        driver.execute("PRAGMA foreign_keys=OFF")
        try:
            yield conn
        finally:
            driver.execute("PRAGMA foreign_keys=ON")


def _check_foreign_keys(conn: Any) -> None:
    """On SQLite, refuse to commit a migration that left a row referring to no row."""
    if conn.dialect.name != "sqlite":
        return
    broken = conn.exec_driver_sql("PRAGMA foreign_key_check").first()
    if broken is not None:
        raise RuntimeError(  # a migration that loses rows is a bug: nothing is committed
            f"the migration left {broken[0]} row {broken[1]} referring to no {broken[2]} row"
        )


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


def first_value(engine: Engine, table: str, *columns: str) -> tuple[Any, ...] | None:
    """``columns`` of one row of ``table`` whose first column is set (None: no such row):
    a sample of the store's data, e.g. for checking the keys against it."""
    from sqlalchemy import select

    from lexdial.adapters.db import tables as t

    tab = t.metadata.tables[table]
    cols = [tab.c[c] for c in columns]
    with engine.connect() as conn:
        row = conn.execute(select(*cols).where(cols[0].is_not(None)).limit(1)).first()
    return None if row is None else tuple(row)


def stored(engine: Engine) -> str:
    """ "none" without lexdial's schema; "empty" with the schema but no firm and no audit
    entry (nothing was ever recorded: an init that stopped after its migration); "data"."""
    from sqlalchemy import inspect

    tables = set(inspect(engine).get_table_names())
    if "alembic_version" not in tables:
        return "none"
    with engine.connect() as conn:
        for table in ("firms", "audit_log", "contacts"):  # firms: since migration 0005
            if table in tables and conn.exec_driver_sql(f"SELECT 1 FROM {table} LIMIT 1").first():
                return "data"
    return "empty"


def current_revisions(engine: Engine) -> set[str]:
    """The revisions the store records (Alembic's table); empty for a new store."""
    try:
        with engine.connect() as conn:
            rows = conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalars()
            return {str(r) for r in rows}
    except exc.DBAPIError:  # no such table yet: a new store
        return set()
