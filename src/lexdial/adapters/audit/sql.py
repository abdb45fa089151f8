"""The audit trail in the evidence store's ``audit_log`` table.

Rule 1: an entry is appended inside the caller's transaction, so it commits or rolls back
with the fact it records. Concurrent writers are serialised before ``last()`` is read
(PostgreSQL: a transaction-scoped advisory lock; SQLite: the write transaction already
holds the database lock), so two entries can never claim the same seq.
Rule 2: ``SqlAudit.record`` does not re-read the chain head when this process appended the
last entry it knows of: it appends with a guarded INSERT that writes only if, under the
lock, the stored head is still exactly that entry (same seq and hash, nothing after it).
When another writer appended since, or the transaction that wrote it rolled back, nothing
is written, the head is read and the entry made again: the chain is the same, one round
trip shorter per gate (issue 15 item 6).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from typing import Any
from weakref import WeakKeyDictionary

import orjson
from sqlalchemy import Connection, Engine, bindparam, exists, insert, select, text

from lexdial.adapters.db import tables as t
from lexdial.adapters.db.bulk import insert_tuples
from lexdial.adapters.db.fast import Fast
from lexdial.domain.audit_chain import (
    AuditEntry,
    AuditItem,
    AuditLog,
    canonical_text,
)

#: arbitrary key of the advisory lock that serialises audit appends on PostgreSQL
_LOCK_KEY = 7_340_221


#: per engine, the last entry this process appended (rule 2): a guess checked under the lock
_HEADS: WeakKeyDictionary[Engine, AuditEntry] = WeakKeyDictionary()


class _StaleHeadError(Exception):
    """The guarded append found another head than the one remembered (rule 2)."""


class SqlAuditStore:
    """``AuditStore`` over ``audit_log``, bound to one connection/transaction.

    ``remembered_head``: ``last`` may answer the entry this process appended last without
    reading it, and the next ``append`` then writes only if that is still the head (else
    ``_StaleHeadError``, and nothing is written). Only ``SqlAudit.record`` asks for it.
    """

    __slots__ = ("_expected", "_locked", "_remembered", "conn")

    def __init__(self, conn: Connection, *, remembered_head: bool = False) -> None:
        self.conn = conn
        self._locked = False
        self._remembered = remembered_head
        self._expected: AuditEntry | None = None

    def _lock(self) -> None:
        if not self._locked and self.conn.dialect.name == "postgresql":
            # in a pipelined batch, sent with the head read that follows it: one round trip
            _LOCK.send(self.conn, {"k": _LOCK_KEY})
        self._locked = True

    def append(self, entry: AuditEntry, data_json: str | None = None) -> None:
        self._lock()
        values = {
            "seq": entry.seq,
            "at": entry.at,
            "actor": entry.actor,
            "action": entry.action,
            "subject": entry.subject,
            "data": data_json if data_json is not None else canonical_text(entry.data),
            "masked": json.dumps(list(entry.masked)) if entry.masked else "[]",
            "prev_hash": entry.prev_hash,
            "hash": entry.hash,
        }
        expected, self._expected = self._expected, None
        if expected is None:
            _INSERT.run(self.conn, values)
        else:
            guard = {"head_seq": expected.seq, "head_hash": expected.hash}
            # RETURNING, not rowcount: psycopg reports -1 for this INSERT ... SELECT
            if not _GUARDED_INSERT.rows(self.conn, {**values, **guard}):
                _HEADS.pop(self.conn.engine, None)
                raise _StaleHeadError
        _HEADS[self.conn.engine] = entry

    def append_many(
        self, entries: Sequence[AuditEntry], data_json: Sequence[str] | None = None
    ) -> None:
        self._lock()
        texts = data_json if data_json is not None else [canonical_text(e.data) for e in entries]
        rows = [
            (e.seq, e.at, e.actor, e.action, e.subject, text,
             json.dumps(list(e.masked)) if e.masked else "[]", e.prev_hash, e.hash)
            for e, text in zip(entries, texts, strict=True)
        ]  # fmt: skip
        if self.conn.dialect.name == "postgresql" and 0 < len(rows) <= _MULTI_MAX:
            # a gate batch's entries (rule 3): one prebuilt INSERT of the rows as one JSON
            # parameter made by orjson, not Core's executemany (its per-execution machinery
            # cost more CPU than the statement), nor a parameter per value (over psycopg's
            # 50, the SQL was parsed again on every batch), nor an array per column
            # (psycopg dumps each list in Python)
            doc = [dict(zip(_COLUMNS, (r[0], _utc(r[1]), *r[2:]), strict=True)) for r in rows]
            # sent, not waited for, in a pipelined batch: the commit collects its answer
            _JSON_INSERT.send(self.conn, {"rows": orjson.dumps(doc).decode("utf-8")})
        else:
            insert_tuples(self.conn, t.audit_log, _COLUMNS, rows)
        if entries:
            _HEADS[self.conn.engine] = entries[-1]

    def iter_entries(self) -> Iterator[AuditEntry]:
        rows = self.conn.execute(select(t.audit_log).order_by(t.audit_log.c.seq)).mappings()
        for row in rows:
            yield _entry(row)

    def last(self) -> AuditEntry | None:
        self._lock()
        if self._remembered:
            self._remembered = False  # once: a retry after _StaleHeadError reads the table
            head = _HEADS.get(self.conn.engine)
            if head is not None:
                self._expected = head
                return head
        # read after the lock, in a statement of its own: on PostgreSQL (read committed) a
        # statement's snapshot is taken when it starts, so the head read here is the one
        # the previous holder of the lock committed
        rows = _HEAD.rows(self.conn, {})
        return _entry(rows[0]) if rows else None


#: prepared once (issue 15 item 6): the chain head and one entry's insert cost a cache
#: lookup per gate, not an expression build and compilation
_HEAD = Fast(
    text(
        "SELECT seq, at, actor, action, subject, data, masked, prev_hash, hash"
        " FROM audit_log ORDER BY seq DESC LIMIT 1"
    ).columns(at=t.audit_log.c.at.type)
)
_INSERT = Fast(insert(t.audit_log))
_LOCK = Fast(text("SELECT pg_advisory_xact_lock(:k)"))

#: the ``audit_log`` columns an entry fills, in ``append_many``'s order
_COLUMNS = ("seq", "at", "actor", "action", "subject", "data", "masked", "prev_hash", "hash")

#: entries per prebuilt INSERT at most (a gate batch's cap); more go by Core
_MULTI_MAX = 64
#: PostgreSQL: the entries as one JSON array of rows; each JSON string's content is read
#: by its column's type (``at``: ISO 8601 with its offset, always UTC here)
_JSON_INSERT = Fast(
    text(
        f"INSERT INTO audit_log ({', '.join(_COLUMNS)}) SELECT {', '.join(_COLUMNS)}"
        " FROM json_populate_recordset(NULL::audit_log, CAST(:rows AS JSON))"
    )
)


_older = t.audit_log.alias("head")
#: one entry, written only if the head is (head_seq, head_hash) with nothing after it
_GUARDED_INSERT = Fast(
    insert(t.audit_log)
    .from_select(
        list(_COLUMNS),
        select(*(bindparam(c, type_=t.audit_log.c[c].type) for c in _COLUMNS)).where(
            exists().where(
                _older.c.seq == bindparam("head_seq"), _older.c.hash == bindparam("head_hash")
            ),
            ~exists().where(_older.c.seq > bindparam("head_seq")),
        ),
    )
    .returning(t.audit_log.c.seq)
)


def _utc(at: datetime) -> datetime:
    """An instant as an aware UTC datetime (a naive one is UTC already, as ``UtcDateTime``
    binds it)."""
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)


def _entry(row: Any) -> AuditEntry:
    at: datetime = row["at"]
    if at.tzinfo is None:  # SQLite hands back naive datetimes; they were stored as UTC
        at = at.replace(tzinfo=UTC)
    return AuditEntry(
        seq=int(row["seq"]),
        at=at,
        actor=row["actor"],
        action=row["action"],
        subject=row["subject"],
        data=json.loads(row["data"]),
        masked=tuple(json.loads(row["masked"])),
        prev_hash=row["prev_hash"],
        hash=row["hash"],
    )


class SqlAudit:
    """The services' ``Audit`` port: one chained entry per call, in the caller's transaction."""

    def record(
        self,
        conn: Any,
        *,
        at: datetime,
        actor: str,
        action: str,
        subject: str,
        data: dict[str, Any],
        personal: Sequence[str] = (),
    ) -> None:
        connection = conn.connection
        try:
            AuditLog(SqlAuditStore(connection, remembered_head=True)).record(
                at=at, actor=actor, action=action, subject=subject, data=data, personal=personal
            )
        except _StaleHeadError:  # another writer appended since (rule 2): chain onto its entry
            AuditLog(SqlAuditStore(connection)).record(
                at=at, actor=actor, action=action, subject=subject, data=data, personal=personal
            )

    def record_many(self, conn: Any, items: Sequence[AuditItem]) -> None:
        """Record each item in order, in one write (``AuditLog.record_many``)."""
        AuditLog(SqlAuditStore(conn.connection)).record_many(items)
