"""Pipelined writes on PostgreSQL: a gate batch's writes go to the server without waiting
for each one's answer (issue 15 item 6).

Why: on this kind of machine one round trip to PostgreSQL costs about 0.2 ms of waiting
whatever the statement, and a batch of sixteen gates made twenty-two of them (lock, read,
sixteen attempt INSERTs, the audit's three, the commit). In libpq's pipeline mode the
client sends a statement and goes on; the server runs it while the client decides the
next gate, and the answers are collected at the next point that needs one.

Rule 1: pipelining is allowed only inside ``pipelining(conn)`` — the gate batch's run of
jobs (``GateBatcher``), whose failure of any kind rolls the whole transaction back and runs
each job again alone, without it. So a write whose error is reported only later (at the
next sync) can never be taken for another statement's success: nothing of the batch
commits, and the job that failed is found when it runs alone.
Rule 2: only ``Fast.send`` (a write whose result nobody reads) and ``Fast.later`` (a read
collected after the next sync) open the pipeline; any other statement on the connection
closes it: a ``Fast`` read or count rides the open pipeline and closes it (one round trip
for everything sent before it and itself), and a Core statement, a commit or a rollback
closes it first (engine listeners, ``install``). So the pipeline only ever holds
statements whose answers are collected when it closes, and SQLAlchemy never sees a cursor
whose answer has not arrived (it reads ``description`` at once).
Rule 3: it is PostgreSQL's (psycopg 3) only, and only on engines ``install`` prepared:
anywhere else ``pipelining`` allows nothing and every ``send`` is an ordinary statement.
Rule 4: closing the pipeline raises the first error of its statements as SQLAlchemy's
``DBAPIError`` (as ``fast`` rule 2); a rollback closes it quietly (the transaction is
being undone; the error that caused the rollback is the one the caller sees).
"""

from __future__ import annotations

import weakref
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from typing import Any

from sqlalchemy import Connection, Engine, event, exc

#: pool record ``info`` keys: pipelining allowed now (rule 1), the open pipeline
_ALLOWED = "lexdial.pipe.allowed"
_OPEN = "lexdial.pipe.open"
#: the engines ``install`` prepared (rule 3)
_INSTALLED: weakref.WeakSet[Engine] = weakref.WeakSet()


def install(engine: Engine) -> None:
    """Let ``engine``'s connections pipeline inside ``pipelining`` (PostgreSQL only)."""
    if engine.dialect.name != "postgresql" or engine in _INSTALLED:
        return
    event.listen(engine, "before_cursor_execute", _before_core)
    event.listen(engine, "commit", close)
    event.listen(engine, "rollback", discard)
    _INSTALLED.add(engine)


@contextmanager
def pipelining(conn: Connection) -> Iterator[None]:
    """Allow ``send`` and ``later`` to pipeline on ``conn`` inside the block (rule 1); the
    pipeline is closed when the block ends, so every write sent in it has been answered
    (its error raised here) before anything after the block runs."""
    if conn.engine not in _INSTALLED:
        yield
        return
    info = conn.connection.info
    info[_ALLOWED] = True
    try:
        yield
    except BaseException:
        discard(conn)
        raise
    else:
        close(conn)
    finally:
        info.pop(_ALLOWED, None)


def allowed(conn: Connection) -> bool:
    """Whether ``send`` and ``later`` pipeline on ``conn`` now."""
    return bool(conn.connection.info.get(_ALLOWED))


def is_open(conn: Connection) -> bool:
    return _OPEN in conn.connection.info


def open_pipe(conn: Connection) -> None:
    """Enter pipeline mode on ``conn``'s driver connection, if not in it already."""
    info = conn.connection.info
    if _OPEN not in info:
        pipe = conn.connection.dbapi_connection.pipeline()  # type: ignore[union-attr]
        pipe.__enter__()
        info[_OPEN] = pipe


def close(conn: Connection) -> None:
    """Leave pipeline mode: wait for every answer, raise the first error (rule 4)."""
    pipe = conn.connection.info.pop(_OPEN, None)
    if pipe is None:
        return
    try:
        pipe.__exit__(None, None, None)
    except conn.dialect.loaded_dbapi.Error as err:
        dbapi = conn.connection.dbapi_connection
        lost = conn.dialect.is_disconnect(err, dbapi, None)
        if lost:  # as ``fast`` does: the pool never hands this connection out again
            conn.invalidate(err)
        raise exc.DBAPIError.instance(
            "(pipelined statements)", None, err, conn.dialect.loaded_dbapi.Error,
            connection_invalidated=lost, dialect=conn.dialect,
        ) from err  # fmt: skip


def discard(conn: Connection) -> None:
    """Leave pipeline mode on the way to a rollback: errors are the rollback's to undo."""
    if conn.invalidated:  # the server was lost: the pool drops that connection, pipe and all
        return
    pipe = conn.connection.info.pop(_OPEN, None)
    if pipe is not None:
        with suppress(Exception):
            pipe.__exit__(None, None, None)


def _before_core(
    conn: Connection, _cursor: Any, _sql: str, _params: Any, context: Any, _many: bool
) -> None:
    # ``Fast`` calls the listeners with no execution context; Core always passes one
    if context is not None and _OPEN in conn.connection.info:
        close(conn)
