"""SQL implementations of ``service.repos.inbox`` (the outbox of notifications; public opt-out
codes, webhook receipts, the review queue and imports).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Table, delete, func, insert, select, text, update

from lexdial.adapters.db import tables as t
from lexdial.adapters.db.bulk import gc_paused, insert_many, large_cache
from lexdial.service.repos.campaigns import ReviewItem
from lexdial.service.repos.inbox import OutboxItem, PendingUpload, PublicCode

#: values per IN (...) query (as ``service.import_write.CHUNK``)
CHUNK = 2_000


class SqlOutboxRepository:
    """``OutboxRepository`` over the evidence store."""

    __slots__ = ("conn",)

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def add(self, event: str, payload: Mapping[str, Any], at: datetime) -> int:
        return t.new_id(
            self.conn.execute(
                insert(t.outbox).values(
                    event=event, payload=dict(payload), created_at=at, next_attempt_at=at
                )
            )
        )

    def due(self, now: datetime, limit: int, max_attempts: int) -> list[OutboxItem]:
        o = t.outbox.c
        rows = self.conn.execute(
            select(o.id, o.event, o.payload, o.created_at, o.attempts)
            .where(o.delivered_at.is_(None), o.next_attempt_at <= now, o.attempts < max_attempts)
            .order_by(o.next_attempt_at, o.id)
            .limit(limit)
        ).all()
        return [OutboxItem(int(i), str(e), p, c, int(a)) for i, e, p, c, a in rows]

    def claim(self, outbox_id: int, attempts: int, next_attempt_at: datetime) -> bool:
        o = t.outbox.c
        claimed = self.conn.execute(
            update(t.outbox)
            .where(o.id == outbox_id, o.attempts == attempts, o.delivered_at.is_(None))
            .values(attempts=attempts + 1, next_attempt_at=next_attempt_at)
        ).rowcount
        return bool(claimed == 1)

    def mark_delivered(self, outbox_id: int, at: datetime) -> None:
        self.conn.execute(
            update(t.outbox)
            .where(t.outbox.c.id == outbox_id)
            .values(delivered_at=at, last_error=None)
        )

    def mark_failed(self, outbox_id: int, error: str) -> None:
        self.conn.execute(
            update(t.outbox).where(t.outbox.c.id == outbox_id).values(last_error=error)
        )


class SqlInboxRepository:
    """``InboxRepository`` over the evidence store."""

    __slots__ = ("conn",)

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    # --- public codes
    def codes_since(self, number_bidx: str, since: datetime) -> int:
        c = t.public_codes.c
        return int(
            self.conn.execute(
                select(func.count()).where(c.number_bidx == number_bidx, c.created_at > since)
            ).scalar_one()
        )

    def add_code(
        self, purpose: str, number_bidx: str, code_hash: str, at: datetime, expires_at: datetime
    ) -> None:
        self.conn.execute(
            insert(t.public_codes).values(
                purpose=purpose,
                number_bidx=number_bidx,
                code_hash=code_hash,
                created_at=at,
                expires_at=expires_at,
            )
        )

    def newest_code(self, number_bidx: str, purpose: str) -> PublicCode | None:
        c = t.public_codes.c
        row = self.conn.execute(
            select(c.id, c.code_hash, c.expires_at, c.used_at, c.attempts)
            .where(c.number_bidx == number_bidx, c.purpose == purpose)
            .order_by(c.created_at.desc(), c.id.desc())
            .limit(1)
        ).first()
        if row is None:
            return None
        return PublicCode(int(row.id), row.code_hash, row.expires_at, row.used_at, row.attempts)

    def count_guess(self, code_id: int, attempts: int, used_at: datetime | None) -> bool:
        c = t.public_codes.c
        bumped = self.conn.execute(
            update(t.public_codes)
            .where(c.id == code_id, c.attempts == attempts, c.used_at.is_(None))
            .values(attempts=c.attempts + 1, used_at=used_at)
        ).rowcount
        return bool(bumped == 1)

    # --- webhook receipts
    def first_receipt(self, key: str, source: str, at: datetime, forget_before: datetime) -> bool:
        r = t.webhook_receipts.c
        self.conn.execute(delete(t.webhook_receipts).where(r.seen_at < forget_before))
        if self.conn.execute(select(r.key).where(r.key == key)).first() is not None:
            return False
        self.conn.execute(insert(t.webhook_receipts).values(key=key, source=source, seen_at=at))
        return True

    # --- imports
    @contextmanager
    def bulk_import(self) -> Iterator[None]:
        """Python's collector paused and, on SQLite, a large page cache (``adapters.db.bulk``)."""
        with gc_paused(), large_cache(self.conn):
            yield

    def erased_numbers(self, firm_id: int, number_bidxs: Iterable[str]) -> set[str]:
        tomb = t.erasure_tombstones.c
        return self._known(tomb.number_bidx, number_bidxs, tomb.firm_id == firm_id)

    def numbers_on_file(self, firm_id: int, number_bidxs: Sequence[str]) -> dict[str, int]:
        c = t.contact_numbers.c
        rows = self.conn.execute(
            select(c.number_bidx, c.contact_id).where(
                c.firm_id == firm_id, c.number_bidx.in_(number_bidxs)
            )
        ).all()
        return {str(b): int(cid) for b, cid in rows}

    def consents_on_file(self, firm_id: int, fingerprints: Iterable[str]) -> set[str]:
        # the same evidence is a duplicate within the firm only (another firm's consent binds
        # that firm alone)
        c = t.consents.c
        return self._known(c.evidence_sha256, fingerprints, c.firm_id == firm_id)

    def new_contact_ids(self, n: int) -> list[int]:
        return self._new_ids(t.contacts, n)

    def new_consent_ids(self, n: int) -> list[int]:
        return self._new_ids(t.consents, n)

    def insert_contacts(self, rows: Sequence[Mapping[str, Any]]) -> None:
        insert_many(self.conn, t.contacts, rows)

    def insert_contact_numbers(self, rows: Sequence[Mapping[str, Any]]) -> None:
        insert_many(self.conn, t.contact_numbers, rows)

    def insert_consents(self, rows: Sequence[Mapping[str, Any]]) -> None:
        insert_many(self.conn, t.consents, rows)

    def _known(self, column: Any, values: Iterable[str], *where: Any) -> set[str]:
        """The ``values`` found in ``column`` (one query per chunk), rows limited by ``where``."""
        found: set[str] = set()
        items = list(values)
        for start in range(0, len(items), CHUNK):
            part = items[start : start + CHUNK]
            found.update(
                self.conn.execute(select(column).where(*where, column.in_(part))).scalars()
            )
        return found

    def _new_ids(self, table: Table, n: int) -> list[int]:
        """``n`` fresh primary keys of ``table``, so rows can be inserted with one executemany
        and referred to at once (RETURNING with a guaranteed order is row-at-a-time on SQLite).
        PostgreSQL: taken from the column's sequence. SQLite: after the largest id the table
        ever gave (its ``sqlite_sequence`` counter: the row with the largest id may have been
        deleted, and its id must not be given again), which is safe because the import's
        transaction holds the database's write lock (BEGIN IMMEDIATE) until it commits;
        inserting them moves the counter past them."""
        if n == 0:
            return []
        if self.conn.dialect.name == "postgresql":
            query = text(
                "SELECT nextval(pg_get_serial_sequence(:table, 'id')) FROM generate_series(1, :n)"
            )
            rows = self.conn.execute(query, {"table": table.name, "n": n}).scalars()
            return [int(i) for i in rows]
        top = int(
            self.conn.execute(
                text(
                    f"SELECT MAX(COALESCE((SELECT MAX(id) FROM {table.name}), 0),"
                    " COALESCE((SELECT seq FROM sqlite_sequence WHERE name = :t), 0))"
                ),
                {"t": table.name},
            ).scalar_one()
        )
        return list(range(top + 1, top + n + 1))

    # (for campaigns) the review queue of possible revocations (service/review.py)
    def add_review_item(
        self,
        firm_id: int,
        contact_id: int | None,
        number_bidx: str | None,
        channel: str,
        text_enc: str,
        received_at: datetime,
        due_at: datetime,
    ) -> int:
        return t.new_id(
            self.conn.execute(
                insert(t.review_items).values(
                    firm_id=firm_id,
                    contact_id=contact_id,
                    number_bidx=number_bidx,
                    channel=channel,
                    text_enc=text_enc,
                    received_at=received_at,
                    due_at=due_at,
                    status="open",
                )
            )
        )

    def open_review_items(self, firm_id: int) -> list[ReviewItem]:
        r = t.review_items.c
        return [
            ReviewItem(
                int(row["id"]),
                row["contact_id"],
                row["channel"],
                row["text_enc"],
                row["received_at"],
                row["due_at"],
            )
            for row in self.conn.execute(
                select(r.id, r.contact_id, r.channel, r.text_enc, r.received_at, r.due_at)
                .where(r.firm_id == firm_id, r.status == "open")
                .order_by(r.due_at, r.id)
            ).mappings()
        ]

    def review_item(self, firm_id: int, item_id: int) -> ReviewItem | None:
        r = t.review_items.c
        row = (
            self.conn.execute(
                select(r.id, r.contact_id, r.channel, r.text_enc).where(
                    r.id == item_id, r.firm_id == firm_id
                )
            )
            .mappings()
            .first()
        )
        if row is None:
            return None
        return ReviewItem(int(row["id"]), row["contact_id"], row["channel"], row["text_enc"])

    def close_review_item(self, item_id: int, status: str, decided_by: str, at: datetime) -> bool:
        r = t.review_items.c
        done = self.conn.execute(
            update(t.review_items)
            .where(r.id == item_id, r.status == "open")
            .values(status=status, decided_by=decided_by, decided_at=at)
        ).rowcount
        return bool(done == 1)

    def contact_number_tokens(self, contact_id: int) -> list[str]:
        return [
            str(tok)
            for tok in self.conn.execute(
                select(t.contact_numbers.c.number_enc).where(
                    t.contact_numbers.c.contact_id == contact_id
                )
            ).scalars()
        ]

    # (for uploads) import files kept between the preview and the import (pending_uploads.py)
    def add_upload(self, upload: PendingUpload) -> None:
        self.conn.execute(
            insert(t.pending_uploads).values(
                key_hash=upload.key_hash,
                firm_id=upload.firm_id,
                user_label=upload.user,
                name_enc=upload.name_enc,
                file_enc=upload.file_enc,
                created_at=upload.created_at,
                expires_at=upload.expires_at,
            )
        )

    def upload(self, key_hash: str) -> PendingUpload | None:
        u = t.pending_uploads.c
        row = (
            self.conn.execute(select(t.pending_uploads).where(u.key_hash == key_hash))
            .mappings()
            .first()
        )
        if row is None:
            return None
        return PendingUpload(
            row["key_hash"],
            int(row["firm_id"]),
            row["user_label"],
            row["name_enc"],
            row["file_enc"],
            row["created_at"],
            row["expires_at"],
        )

    def remove_upload(self, key_hash: str) -> bool:
        u = t.pending_uploads.c
        gone = self.conn.execute(delete(t.pending_uploads).where(u.key_hash == key_hash)).rowcount
        return bool(gone == 1)

    def uploads_of(self, firm_id: int, user: str) -> list[str]:
        u = t.pending_uploads.c
        return [
            str(k)
            for k in self.conn.execute(
                select(u.key_hash)
                .where(u.firm_id == firm_id, u.user_label == user)
                .order_by(u.created_at, u.id)
            ).scalars()
        ]

    def purge_uploads(self, before: datetime) -> int:
        u = t.pending_uploads.c
        return int(
            self.conn.execute(delete(t.pending_uploads).where(u.expires_at < before)).rowcount
        )
