"""SQL implementations of ``service.repos.people`` (contacts, their numbers, stated preferences and
debt facts; consents and revocations; suppression: do-not-call entries, tombstones, registry
snapshots, reassigned-number checks).
"""

from __future__ import annotations

from sqlalchemy import Connection, select

from lexdial.adapters.db import tables as t


class SqlContactRepository:
    """``ContactRepository`` over the evidence store."""

    __slots__ = ("conn",)

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    # (for calls)
    def lock(self, contact_id: int) -> None:
        """PostgreSQL: FOR UPDATE; SQLite: the transaction already holds the database write
        lock (BEGIN IMMEDIATE)."""
        self.conn.execute(
            select(t.contacts.c.id).where(t.contacts.c.id == contact_id).with_for_update()
        ).first()


class SqlConsentRepository:
    """``ConsentRepository`` over the evidence store."""

    __slots__ = ("conn",)

    def __init__(self, conn: Connection) -> None:
        self.conn = conn


class SqlSuppressionRepository:
    """``SuppressionRepository`` over the evidence store."""

    __slots__ = ("conn",)

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
