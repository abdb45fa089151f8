"""Fakes of the service ports, shipped and tested like the real adapters.

``MemoryRegistry`` and ``ListAudit`` are complete in-memory implementations; the
``Reversible`` cipher keeps the Cipher contract (context-bound tokens, keyed blind index)
without real cryptography, for tests that are about something else.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any


class Reversible:
    """Cipher fake: tokens are readable base64 bound to their context, not secret."""

    def __init__(self, key: bytes = b"test-key") -> None:
        self._key = key

    def encrypt(self, plaintext: str, *, context: str) -> str:
        body = base64.urlsafe_b64encode(f"{context}\0{plaintext}".encode()).decode()
        return f"fake:{body}"

    def decrypt(self, token: str, *, context: str) -> str:
        ctx, _, text = (
            base64.urlsafe_b64decode(token.removeprefix("fake:")).decode().partition("\0")
        )
        if ctx != context:
            raise ValueError("token belongs to another context")
        return text

    def blind_index(self, value: str, *, kind: str) -> str:
        return hmac.new(self._key, f"{kind}:{value}".encode(), hashlib.sha256).hexdigest()


@dataclass
class MemoryRegistry:
    """Registers as sets of E.164 numbers with a snapshot date each."""

    lists: dict[str, set[str]] = field(default_factory=dict)
    snapshots: dict[str, date] = field(default_factory=dict)

    def listed(self, e164: str, list_name: str) -> bool | None:
        if list_name not in self.lists:
            return None
        return e164 in self.lists[list_name]

    def snapshot_on(self, list_name: str) -> date | None:
        return self.snapshots.get(list_name)


@dataclass
class ListAudit:
    """Audit fake: keeps what was recorded, in order."""

    entries: list[dict[str, Any]] = field(default_factory=list)

    def record(
        self,
        conn: object,
        *,
        at: datetime,
        actor: str,
        action: str,
        subject: str,
        data: dict[str, Any],
        personal: Sequence[str] = (),
    ) -> None:
        self.entries.append(
            {"at": at, "actor": actor, "action": action, "subject": subject, "data": data}
        )
