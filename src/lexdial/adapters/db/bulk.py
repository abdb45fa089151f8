"""Inserting many rows of one table at once, without per-row work in SQLAlchemy.

Rule 1: the values stored are exactly those ``conn.execute(insert(table), rows)`` stores:
each column's own bind processor (SQLAlchemy's, for the connection's dialect) converts
its values, as SQLAlchemy would. Only the per-row bookkeeping is skipped.
Rule 2: SQLite takes the short way (one compiled statement, tuples to the driver's
``executemany``); PostgreSQL keeps SQLAlchemy's own path, whose "insertmanyvalues"
batching is already the fast one there. The tables written this way have no Python-side
column defaults (a default would be skipped; ``_plan`` refuses such a table).
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from operator import itemgetter
from typing import Any

from sqlalchemy import Connection, Table, insert
from sqlalchemy.engine.interfaces import Dialect

_Processor = Callable[[Any], Any]
_Plan = tuple[str, tuple[str, ...], tuple[tuple[int, _Processor], ...]]
_NOTHING = object()
_PLANS: dict[tuple[str, str, tuple[str, ...]], _Plan] = {}


_gc_lock = threading.Lock()
_gc_pauses = 0
_gc_was_enabled = False


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while a large import runs. An import holds
    a few hundred thousand small objects at once, and every full collection walks them
    all again (a sixth of the CPU of a 50 000-row import); reference counting still frees
    what the import drops. Nested and concurrent pauses restore the collector's state
    only when the last one ends."""
    global _gc_pauses, _gc_was_enabled
    with _gc_lock:
        if _gc_pauses == 0:
            _gc_was_enabled = gc.isenabled()
            gc.disable()
        _gc_pauses += 1
    try:
        yield
    finally:
        with _gc_lock:
            _gc_pauses -= 1
            if _gc_pauses == 0 and _gc_was_enabled:
                gc.enable()


#: SQLite page cache for the length of a bulk write, KiB: a 100 000-row import's random
#: blind-index and hash keys touch index pages all over; with the default 2 MB the same
#: pages go back and forth to the OS (a fifth of the import's CPU, mostly system time)
BULK_CACHE_KIB = 65_536


@contextmanager
def large_cache(conn: Connection) -> Iterator[None]:
    """On SQLite, a ``BULK_CACHE_KIB`` page cache for this connection while the block runs
    (the connection's own size is restored after); elsewhere nothing."""
    if conn.dialect.name != "sqlite":
        yield
        return
    before = int(conn.exec_driver_sql("PRAGMA cache_size").scalar_one())
    conn.exec_driver_sql(f"PRAGMA cache_size=-{BULK_CACHE_KIB}")
    try:
        yield
    except BaseException:
        # the block failed and its transaction rolls back; a connection a Ctrl-C broke
        # mid-statement cannot run the PRAGMA, and that must not hide the block's error
        with suppress(Exception):
            conn.exec_driver_sql(f"PRAGMA cache_size={before}")
        raise
    conn.exec_driver_sql(f"PRAGMA cache_size={before}")


def insert_many(conn: Connection, table: Table, rows: Sequence[Mapping[str, Any]]) -> None:
    """INSERT ``rows`` (every one with the same keys) into ``table`` in one executemany."""
    if not rows:
        return
    if conn.dialect.name != "sqlite":
        conn.execute(insert(table), list(rows))
        return
    keys = tuple(rows[0])
    wanted = set(keys)
    for n, row in enumerate(rows):
        if row.keys() != wanted:
            raise ValueError(f"{table.name}: row {n} has other columns than the first row")
    order = _plan(conn.dialect, table, keys)[1]  # the statement's order, taken straight
    get = itemgetter(*order)
    insert_tuples(conn, table, order, [get(row) for row in rows] if len(order) > 1 else
                  [(get(row),) for row in rows])  # fmt: skip


def insert_tuples(
    conn: Connection, table: Table, keys: tuple[str, ...], rows: Sequence[tuple[Any, ...]]
) -> None:
    """``insert_many`` of rows given as tuples of the ``keys`` columns' values, in order."""
    if not rows:
        return
    if conn.dialect.name != "sqlite":
        conn.execute(insert(table), [dict(zip(keys, row, strict=True)) for row in rows])
        return
    sql, order, processors = _plan(conn.dialect, table, keys)
    if order != keys:
        where = [keys.index(k) for k in order]
        rows = [tuple([row[i] for i in where]) for row in rows]
    if processors:
        rows = _processed(rows, processors)
    conn.exec_driver_sql(sql, list(rows))


def _processed(
    rows: Sequence[tuple[Any, ...]], processors: tuple[tuple[int, _Processor], ...]
) -> list[tuple[Any, ...]]:
    """The rows with each processed column converted. A conversion is a pure function of
    the value, so a value seen before is converted once: the very object the row before
    had (an import's one timestamp), or an equal plain value (a consent's scope list)."""
    last_in: list[Any] = [_NOTHING] * len(processors)
    last_out: list[Any] = [None] * len(processors)
    seen: list[dict[Any, Any]] = [{} for _ in processors]
    out = []
    for row in rows:
        values = list(row)
        for j, (i, process) in enumerate(processors):
            value = values[i]
            if value is not last_in[j]:
                key = _key(value)
                if key is None:
                    converted = process(value)
                else:
                    converted = seen[j].get(key, _NOTHING)
                    if converted is _NOTHING:
                        converted = seen[j][key] = process(value)
                last_in[j], last_out[j] = value, converted
            values[i] = last_out[j]
        out.append(tuple(values))
    return out


def _key(value: Any) -> Any:
    """A key under which equal values convert alike (type included: True == 1 but they
    are stored differently), or None when the value is not one of the plain kinds."""
    kind = type(value)
    if kind is str or kind is int or kind is bool or value is None:
        return (kind, value)
    if kind is list and all(type(x) is str for x in value):
        return (list, *value)
    return None


def _plan(dialect: Dialect, table: Table, keys: tuple[str, ...]) -> _Plan:
    """The compiled INSERT, its parameters' order and the columns that need converting."""
    cache_key = (dialect.name, table.name, keys)
    plan = _PLANS.get(cache_key)
    if plan is not None:
        return plan
    for column in table.columns:
        if column.default is not None or column.onupdate is not None:
            raise ValueError(f"{table.name}.{column.key} has a Python-side default")
    compiled = insert(table).compile(dialect=dialect, column_keys=list(keys))
    order = tuple(compiled.positiontup or ())
    if sorted(order) != sorted(keys):
        raise ValueError(f"{table.name}: the INSERT's parameters are not the row's columns")
    processors = []
    for i, key in enumerate(order):
        column_type = table.c[key].type
        process = column_type.dialect_impl(dialect).bind_processor(dialect)
        if process is not None:
            processors.append((i, process))
    plan = _PLANS[cache_key] = (compiled.string, order, tuple(processors))
    return plan
