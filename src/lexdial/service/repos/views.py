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


@dataclass(frozen=True, slots=True)
class UserBadge:
    """Who a signed-in user is, as a page or /v1/me names them."""

    id: int
    email: str
    role: str


@dataclass(frozen=True, slots=True)
class CampaignSummary:
    """A campaign as the lists show it; ``contacts`` on its list, ``dialled`` calls placed."""

    id: int
    name: str
    purpose: str
    mode: str
    status: str
    contacts: int = 0
    dialled: int = 0


class ViewRepository(Protocol):
    """Storage for the use cases of this area. Methods are added as services move here."""

    def contact_attempts(self, contact_id: int) -> list[AttemptView]:
        """Every attempt for the contact with its outcome, oldest first (time, then id)."""
        ...

    def campaign_attempts(self, campaign_id: int, limit: int, offset: int) -> list[AttemptView]:
        """A page of the campaign's attempts with their outcomes, in the order they were made."""
        ...

    def user_badge(self, user_id: int) -> UserBadge | None:
        """The user's e-mail and role (None: no such user)."""
        ...

    def decision(self, firm_id: int, decision_id: str) -> AttemptView | None:
        """The attempt that recorded the decision, if it is the firm's (else None)."""
        ...

    def campaigns(self, firm_id: int) -> list[CampaignSummary]:
        """The firm's campaigns, newest first, with their list size and calls placed."""
        ...

    def firm_name(self, firm_id: int) -> str:
        """The firm's name, as its reports print it."""
        ...

    # (for cli)
    def live_contact_ids(self, firm_id: int) -> list[int]:
        """The ids of the firm's contacts that are not erased, ascending."""
        ...
