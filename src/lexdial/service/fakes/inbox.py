"""In-memory fakes of ``service.repos.inbox`` for unit tests of the services."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from lexdial.service.repos.campaigns import ReviewItem
from lexdial.service.repos.inbox import OutboxItem, PendingUpload, PublicCode


@dataclass(slots=True)
class OutboxRow:
    """One ``outbox`` row as the fake keeps it (a test reads these)."""

    id: int
    event: str
    payload: dict[str, Any]
    created_at: datetime
    next_attempt_at: datetime
    attempts: int = 0
    delivered_at: datetime | None = None
    last_error: str | None = None


class MemoryOutboxRepository:
    """``OutboxRepository`` kept in dicts and lists; no database."""

    def __init__(self) -> None:
        self.rows: dict[int, OutboxRow] = {}

    def add(self, event: str, payload: Mapping[str, Any], at: datetime) -> int:
        oid = len(self.rows) + 1
        self.rows[oid] = OutboxRow(oid, event, dict(payload), at, at)
        return oid

    def due(self, now: datetime, limit: int, max_attempts: int) -> list[OutboxItem]:
        rows = sorted(
            (
                r
                for r in self.rows.values()
                if r.delivered_at is None and r.next_attempt_at <= now and r.attempts < max_attempts
            ),
            key=lambda r: (r.next_attempt_at, r.id),
        )
        return [OutboxItem(r.id, r.event, dict(r.payload), r.created_at, r.attempts)
                for r in rows[:limit]]  # fmt: skip

    def claim(self, outbox_id: int, attempts: int, next_attempt_at: datetime) -> bool:
        row = self.rows.get(outbox_id)
        if row is None or row.attempts != attempts or row.delivered_at is not None:
            return False
        row.attempts, row.next_attempt_at = attempts + 1, next_attempt_at
        return True

    def mark_delivered(self, outbox_id: int, at: datetime) -> None:
        row = self.rows[outbox_id]
        row.delivered_at, row.last_error = at, None

    def mark_failed(self, outbox_id: int, error: str) -> None:
        self.rows[outbox_id].last_error = error


@dataclass(frozen=True, slots=True)
class CodeRow:
    purpose: str
    number_bidx: str
    created_at: datetime
    code: PublicCode


class MemoryInboxRepository:
    """``InboxRepository`` kept in dicts and lists; no database. The import's rows land in
    ``contacts``, ``contact_numbers`` and ``consents`` here (not in the people fakes);
    ``tombstones`` holds (firm id, blind index) pairs a test puts there."""

    def __init__(self) -> None:
        self.codes: list[CodeRow] = []
        self.receipts: dict[str, tuple[str, datetime]] = {}
        self.tombstones: set[tuple[int, str]] = set()
        self.contacts: list[dict[str, Any]] = []
        self.contact_numbers: list[dict[str, Any]] = []
        self.consents: list[dict[str, Any]] = []
        self.bulk_imports = 0
        self._ids = {"contacts": 0, "consents": 0}

    # --- public codes
    def codes_since(self, number_bidx: str, since: datetime) -> int:
        return sum(1 for c in self.codes if c.number_bidx == number_bidx and c.created_at > since)

    def add_code(
        self, purpose: str, number_bidx: str, code_hash: str, at: datetime, expires_at: datetime
    ) -> None:
        code = PublicCode(len(self.codes) + 1, code_hash, expires_at, None, 0)
        self.codes.append(CodeRow(purpose, number_bidx, at, code))

    def newest_code(self, number_bidx: str, purpose: str) -> PublicCode | None:
        mine = [c for c in self.codes if c.number_bidx == number_bidx and c.purpose == purpose]
        if not mine:
            return None
        return max(mine, key=lambda c: (c.created_at, c.code.id)).code

    def count_guess(self, code_id: int, attempts: int, used_at: datetime | None) -> bool:
        i = code_id - 1
        row = self.codes[i]
        if row.code.attempts != attempts or row.code.used_at is not None:
            return False
        self.codes[i] = replace(row, code=replace(row.code, attempts=attempts + 1, used_at=used_at))
        return True

    # --- webhook receipts
    def first_receipt(self, key: str, source: str, at: datetime, forget_before: datetime) -> bool:
        for old in [k for k, (_, seen) in self.receipts.items() if seen < forget_before]:
            del self.receipts[old]
        if key in self.receipts:
            return False
        self.receipts[key] = (source, at)
        return True

    # --- imports
    @contextmanager
    def bulk_import(self) -> Iterator[None]:
        self.bulk_imports += 1
        yield

    def erased_numbers(self, firm_id: int, number_bidxs: Iterable[str]) -> set[str]:
        return {b for b in number_bidxs if (firm_id, b) in self.tombstones}

    def numbers_on_file(self, firm_id: int, number_bidxs: Sequence[str]) -> dict[str, int]:
        wanted = set(number_bidxs)
        return {
            str(n["number_bidx"]): int(n["contact_id"])
            for n in self.contact_numbers
            if n["firm_id"] == firm_id and n["number_bidx"] in wanted
        }

    def consents_on_file(self, firm_id: int, fingerprints: Iterable[str]) -> set[str]:
        held = {c["evidence_sha256"] for c in self.consents if c["firm_id"] == firm_id}
        return {f for f in fingerprints if f in held}

    def new_contact_ids(self, n: int) -> list[int]:
        return self._new_ids("contacts", n)

    def new_consent_ids(self, n: int) -> list[int]:
        return self._new_ids("consents", n)

    def insert_contacts(self, rows: Sequence[Mapping[str, Any]]) -> None:
        self.contacts.extend(dict(r) for r in rows)

    def insert_contact_numbers(self, rows: Sequence[Mapping[str, Any]]) -> None:
        self.contact_numbers.extend(dict(r) for r in rows)

    def insert_consents(self, rows: Sequence[Mapping[str, Any]]) -> None:
        self.consents.extend(dict(r) for r in rows)

    def _new_ids(self, table: str, n: int) -> list[int]:
        top = self._ids[table]
        self._ids[table] = top + n
        return list(range(top + 1, top + n + 1))

    """``InboxRepository`` kept in dicts and lists; no database."""

    # (for campaigns) the review queue: items by id with their firm and status; a test
    # seeds ``review_numbers`` (contact id -> encrypted numbers)
    def _review(self) -> dict[int, tuple[int, str, ReviewItem]]:
        items: dict[int, tuple[int, str, ReviewItem]] = self.__dict__.setdefault("review_items", {})
        return items

    @property
    def review_numbers(self) -> dict[int, list[str]]:
        numbers: dict[int, list[str]] = self.__dict__.setdefault("_review_numbers", {})
        return numbers

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
        items = self._review()
        item_id = len(items) + 1
        items[item_id] = (
            firm_id,
            "open",
            ReviewItem(item_id, contact_id, channel, text_enc, received_at, due_at),
        )
        return item_id

    def open_review_items(self, firm_id: int) -> list[ReviewItem]:
        found = [x for f, s, x in self._review().values() if f == firm_id and s == "open"]
        return sorted(found, key=lambda x: (x.due_at or datetime.min, x.id))

    def review_item(self, firm_id: int, item_id: int) -> ReviewItem | None:
        hit = self._review().get(item_id)
        if hit is None or hit[0] != firm_id:
            return None
        return replace(hit[2], received_at=None, due_at=None)

    def close_review_item(self, item_id: int, status: str, decided_by: str, at: datetime) -> bool:
        items = self._review()
        hit = items.get(item_id)
        if hit is None or hit[1] != "open":
            return False
        items[item_id] = (hit[0], status, hit[2])
        self.__dict__.setdefault("review_decisions", {})[item_id] = (decided_by, at)
        return True

    def contact_number_tokens(self, contact_id: int) -> list[str]:
        return list(self.review_numbers.get(contact_id, []))

    # (for uploads) import files kept between the preview and the import (pending_uploads.py)
    def _uploads(self) -> dict[str, PendingUpload]:
        found: dict[str, PendingUpload] = self.__dict__.setdefault("uploads", {})
        return found

    def add_upload(self, upload: PendingUpload) -> None:
        kept = self._uploads()
        if upload.key_hash in kept:
            raise ValueError("duplicate upload key")
        kept[upload.key_hash] = upload

    def upload(self, key_hash: str) -> PendingUpload | None:
        return self._uploads().get(key_hash)

    def remove_upload(self, key_hash: str) -> bool:
        return self._uploads().pop(key_hash, None) is not None

    def uploads_of(self, firm_id: int, user: str) -> list[str]:
        mine = [u for u in self._uploads().values() if u.firm_id == firm_id and u.user == user]
        return [u.key_hash for u in sorted(mine, key=lambda u: u.created_at)]

    def purge_uploads(self, before: datetime) -> int:
        kept = self._uploads()
        old = [k for k, u in kept.items() if u.expires_at < before]
        for k in old:
            del kept[k]
        return len(old)
