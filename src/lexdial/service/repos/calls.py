"""Repository ports for call attempts and outcomes (the dial queue), and the audit log table the
hash chain lives in.
"""

from __future__ import annotations

from typing import Protocol


class AttemptRepository(Protocol):
    """Storage for the use cases of this area. Methods are added as services move here."""


class AuditLogRepository(Protocol):
    """Storage for the use cases of this area. Methods are added as services move here."""
