"""In-memory fakes of ``service.repos.accounts`` for unit tests of the services."""

from __future__ import annotations


class MemoryUserRepository:
    """``UserRepository`` kept in dicts and lists; no database."""


class MemoryFirmRepository:
    """``FirmRepository`` kept in dicts and lists; no database."""


class MemoryPrivacyRepository:
    """``PrivacyRepository`` kept in dicts and lists; no database."""


class MemoryKeyRepository:
    """``KeyRepository`` kept in dicts and lists; no database."""
