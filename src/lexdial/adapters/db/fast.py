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
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, exc
from sqlalchemy.engine.interfaces import Dialect
from sqlalchemy.sql.expression import ClauseElement

Processor = Callable[[Any], Any]


@dataclass(frozen=True, slots=True)
class _Prepared:
    sql: str
    #: parameter names in the driver's order (positional paramstyles), or None (named)
    order: tuple[str, ...] | None
    binds: dict[str, Processor]
    #: result column name -> processor, for the columns Core would process
    results: dict[str, Processor]
    #: values bound inside the statement itself (``where(c.id == 7)``); a caller's win
    defaults: dict[str, Any]


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
        for entry in getattr(compiled, "_result_columns", None) or ():
            proc = entry[3]._cached_result_processor(dialect, None)
            if proc is not None:
                results[entry[0]] = proc
        prepared = _Prepared(
            sql=compiled.string,
            order=tuple(positional) if positional else None,
            binds=dict(compiled._bind_processors),
            results=results,
            defaults={k: v for k, v in compiled.params.items() if v is not None},
        )
        self._prepared[dialect.name] = prepared
        return prepared

    def _execute(self, conn: Connection, params: Mapping[str, Any]) -> Any:
        prepared = self._prepared.get(conn.dialect.name) or self._prepare(
            conn.dialect, list(params)
        )
        binds = prepared.binds
        # every value goes through its processor, None included (JSON writes it as 'null')
        given = {**prepared.defaults, **params} if prepared.defaults else params
        values = {k: (binds[k](v) if k in binds else v) for k, v in given.items()}
        args: Any = values if prepared.order is None else [values[k] for k in prepared.order]
        dbapi = conn.connection.dbapi_connection
        cursor = dbapi.cursor()  # type: ignore[union-attr]
        # the engine's listeners still see every statement (logging, the tests that check no
        # SQL runs on the event loop's thread); none is registered in production
        for listener in conn.dispatch.before_cursor_execute:
            listener(conn, cursor, prepared.sql, args, None, False)
        try:
            cursor.execute(prepared.sql, args)
        except conn.dialect.loaded_dbapi.Error as err:
            # as Core would: a lost server invalidates the pooled connection, and the error
            # reaches the caller as SQLAlchemy's own type (``DBAPIError`` and its kin)
            lost = conn.dialect.is_disconnect(err, dbapi, cursor)
            cursor.close()
            if lost:
                conn.invalidate(err)
            raise exc.DBAPIError.instance(
                prepared.sql, args, err, conn.dialect.loaded_dbapi.Error,
                connection_invalidated=lost, dialect=conn.dialect,
            ) from err  # fmt: skip
        return prepared, cursor

    def rows(self, conn: Connection, params: Mapping[str, Any]) -> list[dict[str, Any]]:
        """Every row, as column -> value processed like Core's results."""
        prepared, cursor = self._execute(conn, params)
        try:
            names = [d[0] for d in cursor.description]
            procs = [prepared.results.get(n) for n in names]
            return [
                {
                    n: (p(v) if p is not None else v)
                    for n, p, v in zip(names, procs, row, strict=True)
                }
                for row in cursor.fetchall()
            ]
        finally:
            cursor.close()

    def run(self, conn: Connection, params: Mapping[str, Any]) -> None:
        """Execute for its effect (no rows wanted)."""
        _, cursor = self._execute(conn, params)
        cursor.close()
