"""In-memory fakes of ``service.repos.views`` for unit tests of the services."""

from __future__ import annotations


class MemoryViewRepository:
    """``ViewRepository`` kept in dicts and lists; no database."""
