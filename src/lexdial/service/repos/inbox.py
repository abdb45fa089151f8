"""Repository ports for the outbox of notifications; public opt-out codes, webhook receipts, the
review queue and imports.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from lexdial.service.repos.campaigns import ReviewItem


@dataclass(frozen=True, slots=True)
class OutboxItem:
    """An event waiting for delivery, as ``deliver_due`` posts it."""

    id: int
    event: str
    payload: dict[str, Any]
    created_at: datetime
    attempts: int


@dataclass(frozen=True, slots=True)
class PublicCode:
    """A number's newest one-time code (its hash only), as ``check_code`` weighs it."""

    id: int
    code_hash: str
    expires_at: datetime
    used_at: datetime | None
    attempts: int


class OutboxRepository(Protocol):
    """The outbox table: events queued with the fact they report, claimed and delivered."""

    def add(self, event: str, payload: Mapping[str, Any], at: datetime) -> int:
        """Queue an event due at ``at``; its id."""
        ...

    def due(self, now: datetime, limit: int, max_attempts: int) -> list[OutboxItem]:
        """Undelivered events due by ``now`` with attempts left, the longest waiting first."""
        ...

    def claim(self, outbox_id: int, attempts: int, next_attempt_at: datetime) -> bool:
        """Take the next attempt of an event still at ``attempts`` and undelivered (attempts + 1,
        retry at ``next_attempt_at``); False when another worker took it first."""
        ...

    def mark_delivered(self, outbox_id: int, at: datetime) -> None: ...

    def mark_failed(self, outbox_id: int, error: str) -> None:
        """Keep the attempt's error (the retry time was set by ``claim``)."""
        ...


class InboxRepository(Protocol):
    """Public codes, webhook receipts and the bulk writes of an import."""

    # --- public codes (``service.public_codes``)
    def codes_since(self, number_bidx: str, since: datetime) -> int:
        """How many codes the number got after ``since`` (any purpose)."""
        ...

    def add_code(
        self, purpose: str, number_bidx: str, code_hash: str, at: datetime, expires_at: datetime
    ) -> None: ...

    def newest_code(self, number_bidx: str, purpose: str) -> PublicCode | None: ...

    def count_guess(self, code_id: int, attempts: int, used_at: datetime | None) -> bool:
        """Count one guess at a code still at ``attempts`` and unused (``used_at`` set when the
        guess was right); False when a concurrent guess counted first."""
        ...

    # --- webhook receipts (``service.webhook_guard``)
    def first_receipt(self, key: str, source: str, at: datetime, forget_before: datetime) -> bool:
        """Forget receipts seen before ``forget_before``, then remember ``key``; False when it
        was remembered already."""
        ...

    # --- imports (``service.imports``, ``service.import_write``)
    def bulk_import(self) -> AbstractContextManager[None]:
        """Hold the store (and the process) ready for a large import while the block runs."""
        ...

    def erased_numbers(self, firm_id: int, number_bidxs: Iterable[str]) -> set[str]:
        """The blind indexes among ``number_bidxs`` with an erasure tombstone in the firm."""
        ...

    def numbers_on_file(self, firm_id: int, number_bidxs: Sequence[str]) -> dict[str, int]:
        """Contact id by blind index, for the firm's numbers already on file."""
        ...

    def consents_on_file(self, firm_id: int, fingerprints: Iterable[str]) -> set[str]:
        """The evidence fingerprints among ``fingerprints`` the firm's ledger holds."""
        ...

    def new_contact_ids(self, n: int) -> list[int]:
        """``n`` fresh contact ids, for rows inserted in bulk and referred to at once."""
        ...

    def new_consent_ids(self, n: int) -> list[int]: ...

    def insert_contacts(self, rows: Sequence[Mapping[str, Any]]) -> None:
        """Contact rows (with their ids, as ``contacts.contact_row`` builds them) in bulk."""
        ...

    def insert_contact_numbers(self, rows: Sequence[Mapping[str, Any]]) -> None: ...

    def insert_consents(self, rows: Sequence[Mapping[str, Any]]) -> None: ...

    """Storage for the use cases of this area. Methods are added as services move here."""

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
        """Queue an open review item; returns its id."""
        ...

    def open_review_items(self, firm_id: int) -> list[ReviewItem]:
        """The firm's open items, the earliest due first."""
        ...

    def review_item(self, firm_id: int, item_id: int) -> ReviewItem | None:
        """One of the firm's items, whatever its status."""
        ...

    def close_review_item(self, item_id: int, status: str, decided_by: str, at: datetime) -> bool:
        """Decide an open item; False when it was no longer open (decided already)."""
        ...

    def contact_number_tokens(self, contact_id: int) -> list[str]:
        """The encrypted numbers of a contact (a confirmed revocation opts out each)."""
        ...

    # (for uploads) import files kept between the preview and the import (pending_uploads.py)
    def add_upload(self, upload: PendingUpload) -> None:
        """Keep an upload (its key's hash is unique)."""
        ...

    def upload(self, key_hash: str) -> PendingUpload | None:
        """The upload kept under ``key_hash``, expired or not, whoever's it is."""
        ...

    def remove_upload(self, key_hash: str) -> bool:
        """Forget an upload; False when it was gone already (another process took it)."""
        ...

    def uploads_of(self, firm_id: int, user: str) -> list[str]:
        """The key hashes of a user's kept uploads, the oldest first."""
        ...

    def purge_uploads(self, before: datetime) -> int:
        """Forget every upload that expired before ``before``; how many."""
        ...


@dataclass(frozen=True, slots=True)
class PendingUpload:
    """An uploaded import file waiting for its import: the name and file encrypted."""

    key_hash: str
    firm_id: int
    user: str
    name_enc: str
    file_enc: str
    created_at: datetime
    expires_at: datetime
