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

from collections.abc import Callable, Mapping, Sequence
from operator import itemgetter
from typing import Any

from sqlalchemy import Connection, Table, insert
from sqlalchemy.engine.interfaces import Dialect

_Processor = Callable[[Any], Any]
_Plan = tuple[str, tuple[str, ...], tuple[tuple[int, _Processor], ...]]
_PLANS: dict[tuple[str, str, tuple[str, ...]], _Plan] = {}


def insert_many(conn: Connection, table: Table, rows: Sequence[Mapping[str, Any]]) -> None:
    """INSERT ``rows`` (every one with the same keys) into ``table`` in one executemany."""
    if not rows:
        return
    if conn.dialect.name != "sqlite":
        conn.execute(insert(table), list(rows))
        return
    keys = tuple(rows[0])
    sql, order, processors = _plan(conn.dialect, table, keys)
    wanted = set(keys)
    for n, row in enumerate(rows):
        if row.keys() != wanted:
            raise ValueError(f"{table.name}: row {n} has other columns than the first row")
    get = itemgetter(*order)
    params: list[Any]
    if len(order) == 1:
        params = [(get(row),) for row in rows]
    elif not processors:
        params = [get(row) for row in rows]
    else:
        params = []
        for row in rows:
            values = list(get(row))
            for i, process in processors:
                values[i] = process(values[i])
            params.append(tuple(values))
    conn.exec_driver_sql(sql, params)


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
