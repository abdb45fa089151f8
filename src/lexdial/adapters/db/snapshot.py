"""A row-for-row copy of an evidence store into another (a rehearsal's throw-away store).

Rule: the source is only read, in one transaction (REPEATABLE READ on PostgreSQL, so every
table comes from the same instant); rows keep their ids, tokens and audit hashes, so the
copy's chain continues the live one and its encrypted values open with the same keys.
"""

from __future__ import annotations

from sqlalchemy import Engine, insert, select

from lexdial.adapters.db import tables as t

#: rows inserted per statement (bounded memory for large tables)
BATCH = 2000


def copy_rows(source: Engine, target: Engine) -> int:
    """Copy every table of ``tables.metadata`` from ``source`` into the empty, migrated
    ``target``, parents before children; returns the number of rows copied."""
    copied = 0
    options = {} if source.dialect.name == "sqlite" else {"isolation_level": "REPEATABLE READ"}
    with source.connect().execution_options(**options) as read, target.begin() as write:
        for table in t.metadata.sorted_tables:
            result = read.execute(select(table)).mappings()
            while batch := result.fetchmany(BATCH):
                write.execute(insert(table), [dict(row) for row in batch])
                copied += len(batch)
        read.rollback()
    return copied
