"""Prebuilt statements run on the driver's cursor: the dial-time gate's hot path (issue 15
item 6).

Rule 1: a ``Fast`` statement is compiled by SQLAlchemy once per dialect — the same SQL text,
the same bind and result processors (``UtcDateTime``, JSON, dates) the Core path uses — and
then executed on the DBAPI cursor of the caller's connection. So it runs inside the caller's
transaction (SQLite's ``BEGIN IMMEDIATE``, PostgreSQL's implicit one), writes the values
exactly as Core would write them and reads them back exactly as Core would read them; what it
skips is SQLAlchemy's per-execution machinery (execution context, cache-key walk, result
object), which profiling showed was about half of a gate's CPU.
Rule 2: the engine's ``before_cursor_execute`` listeners are called as for any statement,
and a driver error is raised as Core raises it (``sqlalchemy.exc.DBAPIError`` and its
subclasses), and a lost server invalidates the connection, so the pool never hands it out
again.
Rule 3: only statements with plain named parameters qualify: no expanding ``IN`` lists (build
one ``Fast`` per literal list instead), no defaults evaluated in Python (the gate's tables have
none on the columns it writes).
Rule 4: one driver cursor per pooled connection serves every ``Fast`` statement on it (making
a psycopg cursor cost as much CPU as a round trip), kept in the pool record's ``info``,
which SQLAlchemy empties when it replaces the connection; a cursor whose statement failed is
closed and not reused. Each statement's result column names are read from the cursor once
(the SQL text, and so its columns, never changes): psycopg builds its ``description`` anew
on every call.
Rule 5: a row is made at C speed (``dict(zip(...))``) and only the columns that have a
processor go through Python: the gate's one read has 35 columns, a dozen of them typed,
and its call-history rows (one per past call, tens per contact in a campaign) are NULL in
all but seven.
Rule 6: on SQLite a ``UtcDateTime`` column is read with ``datetime.fromisoformat`` of the
stored text and its UTC offset: the same aware instant as Core's parse and
``UtcDateTime``'s ``replace(tzinfo=UTC)``, without the keyword call, which cost a
history-heavy gate about 6% of its instructions.
Rule 7: ``count`` answers how many rows an UPDATE or DELETE matched: the driver cursor's
``rowcount``, which is what Core's ``CursorResult.rowcount`` reports for such a statement
(a claim of a queue row is "did my UPDATE match it").
Rule 8: a result type whose processor depends on the driver's type of the column (Core
asks PostgreSQL's numerics, e.g. a ``Float`` column, whether the server sent a float or a
numeric) gets it from the first execution's cursor description, as Core gets it from each
execution's (preparing a statement that read one failed before).
Rule 9: ``send`` (a write whose answer nobody reads) and ``later`` (a read collected after
the next sync) ride PostgreSQL's pipeline where ``fast_pipe.pipelining`` allows it; any
other ``Fast`` statement run while a pipeline is open rides it too and closes it, so it
and everything sent before it cost one round trip, and its answer is read as usual once
every earlier one arrived. ``later`` reads on a second shared cursor: the next statement
on the first replaces its answer.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, exc
from sqlalchemy.engine.interfaces import Dialect
from sqlalchemy.sql.expression import ClauseElement

from lexdial.adapters.db import fast_pipe
from lexdial.adapters.db.utc import UtcDateTime

Processor = Callable[[Any], Any]


#: the pool record ``info`` keys of the connection's shared cursors (rules 4, 9)
_CURSOR = "lexdial.fast.cursor"
_LATER = "lexdial.fast.later"


@dataclass(slots=True)
class _Prepared:
    sql: str
    #: parameter names in the driver's order (positional paramstyles), or None (named)
    order: tuple[str, ...] | None
    binds: dict[str, Processor]
    #: result column name -> processor, for the columns Core would process
    results: dict[str, Processor]
    #: values bound inside the statement itself (``where(c.id == 7)``); a caller's win
    defaults: dict[str, Any]
    #: the result's column names and their processors, once the first execution told them
    columns: tuple[tuple[str, Processor | None], ...] | None = None
    #: the same, for building rows (rule 5): every name, and (index, name, processor) of
    #: the columns that have a processor
    names: tuple[str, ...] = ()
    processed: tuple[tuple[int, str, Processor], ...] = ()
    #: result column name -> its type, for the types whose processor needs the driver's
    #: column type (rule 8), and the dialect to ask
    by_driver_type: dict[str, Any] | None = None
    dialect: Dialect | None = None


def _cursor(conn: Connection, key: str = _CURSOR) -> Any:
    """The connection's shared driver cursor (rule 4), made on first use."""
    fairy = conn.connection
    dbapi = fairy.dbapi_connection
    held = fairy.info.get(key)
    if held is not None and held[0] is dbapi:
        return held[1]
    cursor = dbapi.cursor()  # type: ignore[union-attr]
    fairy.info[key] = (dbapi, cursor)
    return cursor


class Fast:
    """One prebuilt statement; ``rows`` / ``run`` execute it on the caller's connection."""

    __slots__ = ("_prepared", "stmt")

    def __init__(self, stmt: ClauseElement) -> None:
        self.stmt = stmt
        self._prepared: dict[str, _Prepared] = {}

    def _prepare(self, dialect: Dialect, keys: list[str]) -> _Prepared:
        # an INSERT compiles for the columns given (as Core does for each execution); the
        # callers here always give the same ones
        compiled: Any = self.stmt.compile(dialect=dialect, column_keys=keys)
        positional = getattr(compiled, "positiontup", None)
        results: dict[str, Processor] = {}
        by_driver_type: dict[str, Any] = {}
        for entry in getattr(compiled, "_result_columns", None) or ():
            try:
                proc = entry[3]._cached_result_processor(dialect, None)
            except (TypeError, exc.InvalidRequestError):
                # it wants the driver's column type (rule 8): asked at the first execution
                by_driver_type[entry[0]] = entry[3]
                continue
            if proc is not None and dialect.name == "sqlite" and isinstance(entry[3], UtcDateTime):
                proc = _sqlite_utc(proc)  # rule 6
            if proc is not None:
                results[entry[0]] = proc
        prepared = _Prepared(
            sql=compiled.string,
            order=tuple(positional) if positional else None,
            binds=dict(compiled._bind_processors),
            results=results,
            defaults={k: v for k, v in compiled.params.items() if v is not None},
        )
        if by_driver_type:
            prepared.by_driver_type, prepared.dialect = by_driver_type, dialect
        self._prepared[dialect.name] = prepared
        return prepared

    def _execute(self, conn: Connection, params: Mapping[str, Any], pipe: str | None = None) -> Any:
        """Execute on the shared cursor; ``pipe``: the cursor to leave the statement in a
        pipeline on, unanswered (``send``, ``later``: rule 9), else an open pipeline is
        closed after it and its answer is here."""
        prepared = self._prepared.get(conn.dialect.name) or self._prepare(
            conn.dialect, list(params)
        )
        binds = prepared.binds
        # every value goes through its processor, None included (JSON writes it as 'null')
        given = {**prepared.defaults, **params} if prepared.defaults else params
        values = {k: (binds[k](v) if k in binds else v) for k, v in given.items()}
        args: Any = values if prepared.order is None else [values[k] for k in prepared.order]
        if pipe is not None:
            fast_pipe.open_pipe(conn)
        cursor = _cursor(conn, pipe or _CURSOR)
        # the engine's listeners still see every statement (logging, the tests that check no
        # SQL runs on the event loop's thread); none is registered in production
        for listener in conn.dispatch.before_cursor_execute:
            listener(conn, cursor, prepared.sql, args, None, False)
        try:
            cursor.execute(prepared.sql, args)
        except conn.dialect.loaded_dbapi.Error as err:
            # as Core would: a lost server invalidates the pooled connection, and the error
            # reaches the caller as SQLAlchemy's own type (``DBAPIError`` and its kin)
            dbapi = conn.connection.dbapi_connection
            lost = conn.dialect.is_disconnect(err, dbapi, cursor)
            conn.connection.info.pop(pipe or _CURSOR, None)  # a failed cursor is not reused
            cursor.close()
            if lost:
                conn.invalidate(err)
            raise exc.DBAPIError.instance(
                prepared.sql, args, err, conn.dialect.loaded_dbapi.Error,
                connection_invalidated=lost, dialect=conn.dialect,
            ) from err  # fmt: skip
        if pipe is None and fast_pipe.is_open(conn):
            fast_pipe.close(conn)  # rule 9: this answer, and every one before it
        return prepared, cursor

    def send(self, conn: Connection, params: Mapping[str, Any]) -> None:
        """``run``, without waiting for the answer where a pipeline is allowed (rule 9):
        for a write whose result nobody reads (an error surfaces at the next sync)."""
        if not fast_pipe.allowed(conn):
            self.run(conn, params)
            return
        self._execute(conn, params, pipe=_CURSOR)

    def later(
        self, conn: Connection, params: Mapping[str, Any]
    ) -> Callable[[], list[dict[str, Any]]]:
        """Send a read now, read its rows when called (after the next ``Fast`` read, which
        collects both answers in one round trip: rule 9); outside a pipeline, it is read
        at once."""
        if not fast_pipe.allowed(conn):
            rows = self.rows(conn, params)
            return lambda: rows
        prepared, cursor = self._execute(conn, params, pipe=_LATER)

        def read() -> list[dict[str, Any]]:
            fast_pipe.close(conn)  # a no-op when the read that followed closed it
            return self._read_rows(prepared, cursor)

        return read

    def rows(self, conn: Connection, params: Mapping[str, Any]) -> list[dict[str, Any]]:
        """Every row, as column -> value processed like Core's results."""
        prepared, cursor = self._execute(conn, params)
        return self._read_rows(prepared, cursor)

    @staticmethod
    def _read_rows(prepared: _Prepared, cursor: Any) -> list[dict[str, Any]]:
        if prepared.columns is None:
            _columns(prepared, cursor)
        names, processed = prepared.names, prepared.processed
        out = []
        for row in cursor.fetchall():
            values = dict(zip(names, row, strict=True))
            for i, name, proc in processed:
                value = row[i]
                # NULL reads as None without its processor, as every type's processor reads it
                if value is not None:
                    values[name] = proc(value)
            out.append(values)
        return out

    def run(self, conn: Connection, params: Mapping[str, Any]) -> None:
        """Execute for its effect (no rows wanted)."""
        prepared, cursor = self._execute(conn, params)
        columns = prepared.columns if prepared.columns is not None else _columns(prepared, cursor)
        if columns:
            # a row-returning statement is read to its end: on SQLite an unfinished
            # statement would stay open on the shared cursor until its next use
            cursor.fetchall()

    def count(self, conn: Connection, params: Mapping[str, Any]) -> int:
        """Execute an UPDATE or DELETE and return the rows it matched (rule 7)."""
        prepared, cursor = self._execute(conn, params)
        if prepared.columns is None:
            _columns(prepared, cursor)
        if prepared.columns:
            # not what a row-returning statement reports on every driver: a bug, raised
            # once the rows are read (an unfinished statement would hold SQLite's cursor)
            cursor.fetchall()
            raise TypeError(f"count() of a statement that returns rows: {prepared.sql}")
        return int(cursor.rowcount)


#: how SQLAlchemy's SQLite ``DateTime`` stores an instant: 'YYYY-MM-DD HH:MM:SS.ffffff'
_SQLITE_STORED = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}")


def _sqlite_utc(slow: Processor) -> Processor:
    """``UtcDateTime``'s SQLite result processor, for the text SQLAlchemy stores: the aware
    UTC instant in one C call (rule 6); anything else goes the way Core reads it."""
    fullmatch = _SQLITE_STORED.fullmatch

    def process(value: Any) -> Any:
        if value.__class__ is str and fullmatch(value):
            return datetime.fromisoformat(value + "+00:00")
        return slow(value)

    return process


def _columns(prepared: _Prepared, cursor: Any) -> tuple[tuple[str, Processor | None], ...]:
    """The statement's result columns with their processors (none: it returns no rows),
    from its first execution's cursor (rule 4)."""
    description = cursor.description or ()
    names = [d[0] for d in description]
    typed = prepared.by_driver_type
    if typed:  # rule 8: these processors from the driver's column types, as Core's
        for d in description:
            if d[0] in typed:
                proc = typed[d[0]]._cached_result_processor(prepared.dialect, d[1])
                if proc is not None:
                    prepared.results[d[0]] = proc
    prepared.columns = tuple((n, prepared.results.get(n)) for n in names)
    prepared.names = tuple(names)
    prepared.processed = tuple(
        (i, n, p) for i, (n, p) in enumerate(prepared.columns) if p is not None
    )
    return prepared.columns
