"""SQL implementations of ``service.repos.inbox`` (the outbox of notifications; public opt-out
codes, webhook receipts, the review queue and imports).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, insert, select, update

from lexdial.adapters.db import tables as t
from lexdial.service.repos.campaigns import ReviewItem


class SqlOutboxRepository:
    """``OutboxRepository`` over the evidence store."""

    __slots__ = ("conn",)

    def __init__(self, conn: Connection) -> None:
        self.conn = conn


class SqlInboxRepository:
    """``InboxRepository`` over the evidence store."""

    __slots__ = ("conn",)

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

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
