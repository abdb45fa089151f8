"""What the faces list about calls: a contact's decisions, a campaign's attempts.

Rule 1: one query per view, here, for every face (the JSON API, the web pages): the
gate's decision of each attempt with its reasons and the call's outcome.
Rule 2: a page is at least one row and at most ``MAX_PAGE``, whatever is asked.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import fields
from datetime import UTC, datetime, timedelta
from typing import Any

from lexdial.errors import NotFoundError
from lexdial.service.repos.views import AttemptView, CampaignSummary, QueueEntry, UserBadge
from lexdial.service.storage import UnitOfWork
from lexdial.service.users import FULL_NUMBER_ROLES, Caller

MAX_PAGE = 1000


def reasons(view: AttemptView) -> list[dict[str, str]]:
    """The decision's reasons, code and message only (what a person reads)."""
    return [
        {"code": x["code"], "message": x["message"]}
        for x in (view.decision or {}).get("reasons", [])
    ]


def contact_decisions(uow: UnitOfWork, contact_id: int) -> list[AttemptView]:
    """Every decision about the contact, oldest first, with the call's outcome."""
    return uow.views.contact_attempts(contact_id)


def campaign_attempts(
    uow: UnitOfWork, campaign_id: int, limit: int = 100, offset: int = 0
) -> list[AttemptView]:
    """A page of the campaign's attempts (rule 2), in the order they were made."""
    return uow.views.campaign_attempts(campaign_id, min(max(limit, 1), MAX_PAGE), max(offset, 0))


def as_dict(view: CampaignSummary | UserBadge | AttemptView) -> dict[str, Any]:
    """A view's fields by name (what a template reads)."""
    return {f.name: getattr(view, f.name) for f in fields(view)}


def as_row(view: AttemptView) -> dict[str, Any]:
    """The view as a template's row: its fields, and ``reasons`` as stored."""
    return {
        **{f.name: getattr(view, f.name) for f in fields(view)},
        "reasons": (view.decision or {}).get("reasons", []),
    }


def who(uow: UnitOfWork, user_id: int) -> UserBadge | None:
    """The signed-in user's e-mail and role (None once the user is gone)."""
    return uow.views.user_badge(user_id)


def recorded_decision(uow: UnitOfWork, firm_id: int, decision_id: str) -> AttemptView:
    """The attempt that recorded ``decision_id``; another firm's is not found, like none."""
    found = uow.views.decision(firm_id, decision_id)
    if found is None:
        raise NotFoundError("decision_id", "no recorded decision has this id")
    return found


def campaign_list(uow: UnitOfWork, firm_id: int) -> list[CampaignSummary]:
    """The firm's campaigns, newest first, with their list size and calls placed."""
    return uow.views.campaigns(firm_id)


def firm_name(uow: UnitOfWork, firm_id: int) -> str:
    """The firm's name, as its reports and evidence bundles print it."""
    return uow.views.firm_name(firm_id)


# (for api campaign pages, imports, review)
#: campaigns an import may fill (a stopped or completed campaign takes no contacts)
FILLABLE = ("draft", "running", "paused")
#: blocked / deferred contacts a campaign's page lists
LISTED = 50


def fillable_campaigns(uow: UnitOfWork, firm_id: int) -> list[CampaignSummary]:
    """The firm's campaigns an import may put contacts on, newest first."""
    return [c for c in uow.views.campaigns(firm_id) if c.status in FILLABLE]


def calls_per_hour(uow: UnitOfWork, campaign_id: int) -> list[tuple[datetime, int]]:
    """Calls placed per hour (UTC, the hour's start) over the campaign's last 48 hours of
    dialling, gaps as 0; empty before the first call."""
    per: Counter[datetime] = Counter(
        _utc(x).replace(minute=0, second=0, microsecond=0)
        for x in uow.views.placed_call_times(campaign_id)
    )
    if not per:
        return []
    last = max(per)
    first = max(min(per), last - timedelta(hours=47))
    span = int((last - first).total_seconds() // 3600) + 1
    return [(h, per.get(h, 0)) for h in (first + timedelta(hours=i) for i in range(span))]


def blocked_entries(uow: UnitOfWork, campaign_id: int) -> list[QueueEntry]:
    """The campaign's blocked contacts with their codes (the first ``LISTED``)."""
    return uow.views.queue_entries(campaign_id, ("blocked",), LISTED)


def waiting_entries(uow: UnitOfWork, campaign_id: int) -> list[QueueEntry]:
    """The campaign's deferred and retrying contacts, soonest due first (``LISTED``)."""
    return uow.views.queue_entries(campaign_id, ("deferred", "retry"), LISTED)


def sees_full_numbers(uow: UnitOfWork, caller: Caller) -> bool:
    """True when the caller's role (read now, from the store) sees numbers in full."""
    role: str | None = caller.role
    if caller.user_id is not None:
        badge = uow.views.user_badge(caller.user_id)
        role = badge.role if badge is not None else None
    return role in FULL_NUMBER_ROLES


def _utc(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)
