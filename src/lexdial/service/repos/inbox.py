"""Repository ports for the outbox of notifications; public opt-out codes, webhook receipts, the
review queue and imports.
"""

from __future__ import annotations

from typing import Protocol


class OutboxRepository(Protocol):
    """Storage for the use cases of this area. Methods are added as services move here."""


class InboxRepository(Protocol):
    """Storage for the use cases of this area. Methods are added as services move here."""
