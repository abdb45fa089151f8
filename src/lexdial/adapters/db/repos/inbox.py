"""SQL implementations of ``service.repos.inbox`` (the outbox of notifications; public opt-out
codes, webhook receipts, the review queue and imports).
"""

from __future__ import annotations

from sqlalchemy import Connection


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
