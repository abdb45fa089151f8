"""Campaigns: create, fill with contacts, and move through their life cycle.

Rule 1: a campaign's status lives in the database and changes only through
``TRANSITIONS`` — so it survives a restart, and a paused campaign stays paused.
Rule 2: starting is refused while the lint finds anything (``campaign_lint``); every
failing item is listed at once.
Rule 3: the message's script facts are derived from its words when the campaign is
created and stored with it, so every dial-time decision judges the same script.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from lexdial.domain.campaign_spec import CampaignSpec, parse_spec
from lexdial.domain.script import script_facts
from lexdial.domain.states import OPEN_QUEUE, UNDIALLED_QUEUE, CampaignStatus, QueueStatus
from lexdial.domain.states import CampaignStatus as Status
from lexdial.errors import CampaignError, NotFoundError
from lexdial.service.ports import Audit
from lexdial.service.storage import UnitOfWork
from lexdial.service.users import Caller, authorize

#: (status, action) -> new status; anything else is refused and changes nothing
TRANSITIONS: dict[tuple[str, str], CampaignStatus] = {
    (Status.DRAFT, "start"): Status.RUNNING,
    (Status.RUNNING, "pause"): Status.PAUSED,
    (Status.PAUSED, "resume"): Status.RUNNING,
    (Status.DRAFT, "stop"): Status.STOPPED,
    (Status.RUNNING, "stop"): Status.STOPPED,
    (Status.PAUSED, "stop"): Status.STOPPED,
    (Status.RUNNING, "complete"): Status.COMPLETED,
}
#: queue states from which a contact may still be dialled
OPEN = OPEN_QUEUE
#: the longest status reason kept (``campaigns.status_reason``)
REASON_MAX = 500


@dataclass(frozen=True, slots=True)
class Campaign:
    id: int
    firm_id: int
    status: str
    spec: CampaignSpec


def create_campaign(
    uow: UnitOfWork, audit: Audit, firm_id: int, data: Any, caller: Caller, at: datetime
) -> int:
    """Validate and store a new campaign (status draft); returns its id."""
    actor = authorize(uow, caller, "campaign.write", firm_id)
    spec = parse_spec(data)
    at = at.astimezone(UTC)
    firm = uow.campaigns.firm_name(firm_id)
    campaign_id = uow.campaigns.add(firm_id, Status.DRAFT, at, _spec_columns(spec, firm, at))
    audit.record(
        uow,
        at=at,
        actor=actor,
        action="campaign.created",
        subject=f"campaign:{campaign_id}",
        data={"name": spec.name, "purpose": spec.purpose, "mode": spec.mode},
    )
    return campaign_id


def edit_campaign(
    uow: UnitOfWork,
    audit: Audit,
    firm_id: int,
    campaign_id: int,
    data: Any,
    caller: Caller,
    at: datetime,
) -> None:
    """Replace a draft campaign's settings; once started, its settings are evidence of
    what was dialled and stay as they were (stop it and create a new one instead)."""
    actor = authorize(uow, caller, "campaign.write")
    spec = parse_spec(data)
    current = load_campaign(uow, firm_id, campaign_id)
    if current.status != Status.DRAFT:
        raise CampaignError(
            f"campaign #{campaign_id} is {current.status}; only a draft can be edited "
            "(its settings are the record of what was dialled): create a new campaign"
        )
    at = at.astimezone(UTC)
    firm = uow.campaigns.firm_name(firm_id)
    uow.campaigns.update_draft(campaign_id, _spec_columns(spec, firm, at))
    audit.record(
        uow,
        at=at,
        actor=actor,
        action="campaign.edited",
        subject=f"campaign:{campaign_id}",
        data={"name": spec.name, "purpose": spec.purpose, "mode": spec.mode},
    )


def _spec_columns(spec: CampaignSpec, firm: str, at: datetime) -> dict[str, Any]:
    """The ``campaigns`` columns a campaign's settings decide: one place for create and edit."""
    return {
        "name": spec.name,
        "purpose": spec.purpose,
        "technology": spec.technology,
        "mode": spec.mode,
        "subject": spec.subject,
        "ring_timeout_s": spec.ring_timeout_s,
        "caller_id": spec.caller_id,
        "safe_harbor_message": bool(spec.message.safe_harbor_text),
        "script": script_json(spec, firm),
        "settings": spec.to_json(),
        "updated_at": at,
    }


def script_json(spec: CampaignSpec, firm_name: str) -> dict[str, Any]:
    """The contract's ``script`` facts for this campaign, derived from its words."""
    out: dict[str, Any] = {}
    if spec.message.text:
        facts = script_facts(spec.message.text, firm_name, spec.opt_out_key)
        out.update(
            identifies_firm_at_start=facts.identifies_firm_at_start,
            states_callback_number=facts.states_callback_number,
            offers_opt_out=facts.offers_opt_out,
            opt_out_within_2s=facts.opt_out_within_2s,
        )
    if spec.leave_voicemail and spec.mode == "broadcast":
        out["voicemail_text"] = spec.message.voicemail_text or spec.message.text
    return out


def load_campaign(uow: UnitOfWork, firm_id: int, campaign_id: int) -> Campaign:
    row = uow.campaigns.get(campaign_id)
    if row is None or row.firm_id != firm_id or row.settings is None:
        raise NotFoundError("campaign", f"no campaign #{campaign_id} in this firm")
    return Campaign(campaign_id, firm_id, row.status, parse_spec(row.settings))


def campaign_status(uow: UnitOfWork, campaign_id: int) -> str:
    """Just the status (the dialler asks on every turn; the settings need no re-reading)."""
    return uow.campaigns.status(campaign_id)


def add_contacts(
    uow: UnitOfWork,
    audit: Audit,
    firm_id: int,
    campaign_id: int,
    contact_ids: Iterable[int],
    caller: Caller,
    at: datetime,
) -> int:
    """Put contacts on the campaign's list (once each); returns how many were new."""
    actor = authorize(uow, caller, "campaign.write", firm_id)
    camp = load_campaign(uow, firm_id, campaign_id)
    if camp.status in (Status.STOPPED, Status.COMPLETED):
        raise CampaignError(f"campaign #{campaign_id} is {camp.status}: no contacts can be added")
    wanted = list(dict.fromkeys(contact_ids))
    known = uow.campaigns.contacts_in_firm(firm_id, wanted)
    missing = [c for c in wanted if c not in known]
    if missing:
        raise NotFoundError("contacts", f"no contact #{missing[0]} in this firm")
    already = set(uow.campaigns.listed_contacts(campaign_id))
    new = [c for c in wanted if c not in already]
    if new:
        uow.campaigns.list_contacts(campaign_id, new, QueueStatus.PENDING)
    audit.record(
        uow,
        at=at.astimezone(UTC),
        actor=actor,
        action="campaign.contacts_added",
        subject=f"campaign:{campaign_id}",
        data={"added": len(new), "already_listed": len(wanted) - len(new)},
    )
    return len(new)


def set_status(
    uow: UnitOfWork,
    audit: Audit,
    firm_id: int,
    campaign_id: int,
    action: str,
    caller: Caller,
    at: datetime,
    problems: Iterable[str] = (),
    *,
    reason: str | None = None,
) -> str:
    """Apply a life-cycle action; ``problems`` (from the lint) block a start. ``reason``
    (the dialler's, e.g. a failing carrier) is kept with the new status and shown by the
    faces until the next change of status. Pausing is also lexdial's own (``SYSTEM``: the
    dialler, when the carrier keeps failing); every other action is staff's."""
    need = "campaign.pause" if action == "pause" else "campaign.write"
    actor = authorize(uow, caller, need, firm_id)
    camp = load_campaign(uow, firm_id, campaign_id)
    new = TRANSITIONS.get((camp.status, action))
    if new is None:
        raise CampaignError(f"campaign #{campaign_id} is {camp.status}: cannot {action} it")
    listed = tuple(problems)
    if action in ("start", "resume") and listed:
        raise CampaignError(f"campaign #{campaign_id} cannot {action}: fix these first", listed)
    at = at.astimezone(UTC)
    uow.campaigns.set_status(campaign_id, camp.status, new, at)
    reason = reason[:REASON_MAX] if reason else None
    uow.campaigns.set_status_reason(campaign_id, reason)  # a new status: the old reason goes
    if new == Status.STOPPED:
        uow.campaigns.cancel_queued(campaign_id, UNDIALLED_QUEUE)  # a preview offer too
    data: dict[str, Any] = {"from": camp.status, "to": new}
    if reason is not None:
        data["reason"] = reason
    audit.record(
        uow,
        at=at,
        actor=actor,
        action=f"campaign.{action}",
        subject=f"campaign:{campaign_id}",
        data=data,
    )
    return new


def status_reason(uow: UnitOfWork, campaign_id: int) -> str | None:
    """Why the campaign is in its status, when the dialler said (e.g. a failing carrier)."""
    return uow.campaigns.status_reason(campaign_id)


def queue_counts(uow: UnitOfWork, campaign_id: int) -> dict[str, int]:
    """How many of the campaign's contacts are in each queue state."""
    return uow.campaigns.queue_counts(campaign_id)


def abandonment_30d(uow: UnitOfWork, campaign_id: int, at: datetime) -> tuple[int, int]:
    """(abandoned, live-answered) calls of this campaign in the 30 days before ``at``.

    47 CFR 64.1200(a)(7)(i) and 16 CFR 310.4(b)(4)(i): abandoned calls over calls answered
    by a live person, per campaign, over a 30-day period.
    """
    since = at.astimezone(UTC) - timedelta(days=30)
    return uow.reports.abandonment(campaign_id, since)


def take_lease(
    uow: UnitOfWork, campaign_id: int, owner: str, wall: datetime, seconds: float
) -> bool:
    """Hold the campaign for ``owner`` until ``wall + seconds`` (wall clock); False when
    another live dialler holds it — two diallers on one campaign would ring people twice."""
    wall = wall.astimezone(UTC)
    return uow.campaigns.take_lease(campaign_id, owner, wall, wall + timedelta(seconds=seconds))


def lease_until(uow: UnitOfWork, campaign_id: int) -> datetime | None:
    """When the current dialler's hold on the campaign runs out (None: nobody holds it)."""
    return uow.campaigns.lease_until(campaign_id)


def drop_lease(uow: UnitOfWork, campaign_id: int, owner: str) -> None:
    uow.campaigns.drop_lease(campaign_id, owner)
