"""The small interfaces the services need from the outside world.

Every port has a real implementation in ``adapters`` and a fake that tests use
(``service.fakes``), as httpx ships MockTransport.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any, Protocol

from sqlalchemy import Connection


class Cipher(Protocol):
    """Encrypts personal data at rest and derives blind indexes to find it again."""

    def encrypt(self, plaintext: str, *, context: str) -> str: ...

    def decrypt(self, token: str, *, context: str) -> str: ...

    def blind_index(self, value: str, *, kind: str) -> str: ...


class Registry(Protocol):
    """Do-not-call registers: is a number listed, and how old is the copy?"""

    def listed(self, e164: str, list_name: str) -> bool | None:
        """True / False, or None when the list is not loaded (unknown)."""
        ...

    def snapshot_on(self, list_name: str) -> date | None: ...


class Audit(Protocol):
    """Appends to the hash-chained audit trail inside the caller's transaction."""

    def record(
        self,
        conn: Connection,
        *,
        at: datetime,
        actor: str,
        action: str,
        subject: str,
        data: dict[str, Any],
        personal: Sequence[str] = (),
    ) -> None: ...


class Clock(Protocol):
    def now(self) -> datetime: ...
