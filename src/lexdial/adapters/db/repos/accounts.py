"""SQL implementations of ``service.repos.accounts`` (firms, users, API tokens, web sessions,
training attestations; erasure (privacy) and key rotation, which reach every table holding
encrypted personal data).
"""

from __future__ import annotations

from sqlalchemy import Connection


class SqlUserRepository:
    """``UserRepository`` over the evidence store."""

    __slots__ = ("conn",)

    def __init__(self, conn: Connection) -> None:
        self.conn = conn


class SqlFirmRepository:
    """``FirmRepository`` over the evidence store."""

    __slots__ = ("conn",)

    def __init__(self, conn: Connection) -> None:
        self.conn = conn


class SqlPrivacyRepository:
    """``PrivacyRepository`` over the evidence store."""

    __slots__ = ("conn",)

    def __init__(self, conn: Connection) -> None:
        self.conn = conn


class SqlKeyRepository:
    """``KeyRepository`` over the evidence store."""

    __slots__ = ("conn",)

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
