"""Repository ports for contacts, their numbers, stated preferences and debt facts; consents and
revocations; suppression: do-not-call entries, tombstones, registry snapshots, reassigned-number
checks.
"""

from __future__ import annotations

from typing import Protocol


class ContactRepository(Protocol):
    """Storage for the use cases of this area. Methods are added as services move here."""

    # (for calls)
    def lock(self, contact_id: int) -> None:
        """The row lock the gate and opt-out share (PostgreSQL: FOR UPDATE)."""
        ...


class ConsentRepository(Protocol):
    """Storage for the use cases of this area. Methods are added as services move here."""


class SuppressionRepository(Protocol):
    """Storage for the use cases of this area. Methods are added as services move here."""
