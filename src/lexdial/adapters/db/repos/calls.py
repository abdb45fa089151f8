"""SQL implementations of ``service.repos.calls`` (call attempts and outcomes (the dial queue), and
the audit log table the hash chain lives in).
"""

from __future__ import annotations

from sqlalchemy import Connection


class SqlAttemptRepository:
    """``AttemptRepository`` over the evidence store."""

    __slots__ = ("conn",)

    def __init__(self, conn: Connection) -> None:
        self.conn = conn


class SqlAuditLogRepository:
    """``AuditLogRepository`` over the evidence store."""

    __slots__ = ("conn",)

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
