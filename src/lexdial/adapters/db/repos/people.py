"""SQL implementations of ``service.repos.people`` (contacts, their numbers, stated preferences and
debt facts; consents and revocations; suppression: do-not-call entries, tombstones, registry
snapshots, reassigned-number checks).
"""

from __future__ import annotations

from sqlalchemy import Connection


class SqlContactRepository:
    """``ContactRepository`` over the evidence store."""

    __slots__ = ("conn",)

    def __init__(self, conn: Connection) -> None:
        self.conn = conn


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
