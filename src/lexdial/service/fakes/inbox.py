"""In-memory fakes of ``service.repos.inbox`` for unit tests of the services."""

from __future__ import annotations


class MemoryOutboxRepository:
    """``OutboxRepository`` kept in dicts and lists; no database."""


class MemoryInboxRepository:
    """``InboxRepository`` kept in dicts and lists; no database."""
