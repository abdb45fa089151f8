"""In-memory fakes of ``service.repos.inbox`` for unit tests of the services."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from lexdial.service.repos.campaigns import ReviewItem


class MemoryOutboxRepository:
    """``OutboxRepository`` kept in dicts and lists; no database."""


class MemoryInboxRepository:
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
