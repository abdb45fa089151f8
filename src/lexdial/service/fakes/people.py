"""In-memory fakes of ``service.repos.people`` for unit tests of the services."""

from __future__ import annotations


class MemoryContactRepository:
    """``ContactRepository`` kept in dicts and lists; no database."""

    # (for calls)
    def lock(self, contact_id: int) -> None:
        """Nothing to lock in memory: one test, one thread."""


class MemoryConsentRepository:
    """``ConsentRepository`` kept in dicts and lists; no database."""


class MemorySuppressionRepository:
    """``SuppressionRepository`` kept in dicts and lists; no database."""
