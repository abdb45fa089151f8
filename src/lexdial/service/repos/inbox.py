"""Repository ports for the outbox of notifications; public opt-out codes, webhook receipts, the
review queue and imports.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from lexdial.service.repos.campaigns import ReviewItem


class OutboxRepository(Protocol):
    """Storage for the use cases of this area. Methods are added as services move here."""


class InboxRepository(Protocol):
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
