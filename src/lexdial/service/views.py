"""What the faces list about calls: a contact's decisions, a campaign's attempts.

Rule 1: one query per view, here, for every face (the JSON API, the web pages): the
gate's decision of each attempt with its reasons and the call's outcome.
Rule 2: a page is at least one row and at most ``MAX_PAGE``, whatever is asked.
"""

from __future__ import annotations

from dataclasses import fields
from typing import Any

from lexdial.errors import NotFoundError
from lexdial.service.repos.views import AttemptView, CampaignSummary, UserBadge
from lexdial.service.storage import UnitOfWork

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
