"""In-memory fakes of ``service.repos.calls`` for unit tests of the services."""

from __future__ import annotations


class MemoryAttemptRepository:
    """``AttemptRepository`` kept in dicts and lists; no database."""


class MemoryAuditLogRepository:
    """``AuditLogRepository`` kept in dicts and lists; no database."""
