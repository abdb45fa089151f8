"""Repository ports for read-only views the faces (CLI, API, web) show: lists, directories,
dashboards.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol


@dataclass(frozen=True, slots=True)
class AttemptView:
    """One call attempt as the faces list it: the gate's decision and the call's outcome
    (None until the call ended, or when it was never placed)."""

    id: int
    contact_id: int
    campaign_id: int | None
    at: datetime
    purpose: str
    technology: str
    status: str
    verdict: str | None
    decision_id: str | None
    earliest_allowed_at: datetime | None
    rulepack: str | None
    decision: dict[str, Any] | None  #: the stored decision (reasons, zones...)
    outcome: str | None = None
    ring_s: float | None = None
    talk_s: float | None = None


class ViewRepository(Protocol):
    """Storage for the use cases of this area. Methods are added as services move here."""

    def contact_attempts(self, contact_id: int) -> list[AttemptView]:
        """Every attempt for the contact with its outcome, oldest first (time, then id)."""
        ...

    def campaign_attempts(self, campaign_id: int, limit: int, offset: int) -> list[AttemptView]:
        """A page of the campaign's attempts with their outcomes, in the order they were made."""
        ...
