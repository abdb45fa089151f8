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

from sqlalchemy import Connection, func, insert, select, update

from lexdial.adapters.db import tables as t
from lexdial.domain.script import script_facts
from lexdial.errors import CampaignError, RequestError
from lexdial.service.campaign_spec import CampaignSpec, parse_spec
from lexdial.service.ports import Audit
from lexdial.service.users import Caller, authorize

#: (status, action) -> new status; anything else is refused and changes nothing
TRANSITIONS: dict[tuple[str, str], str] = {
    ("draft", "start"): "running",
    ("running", "pause"): "paused",
    ("paused", "resume"): "running",
    ("draft", "stop"): "stopped",
    ("running", "stop"): "stopped",
    ("paused", "stop"): "stopped",
    ("running", "complete"): "completed",
}
#: queue states from which a contact may still be dialled
OPEN = ("pending", "deferred", "retry")


@dataclass(frozen=True, slots=True)
class Campaign:
    id: int
    firm_id: int
    status: str
    spec: CampaignSpec


def create_campaign(
    conn: Connection, audit: Audit, firm_id: int, data: Any, caller: Caller, at: datetime
) -> int:
    """Validate and store a new campaign (status draft); returns its id."""
    actor = authorize(conn, caller, "campaign.write", firm_id)
    spec = parse_spec(data)
    at = at.astimezone(UTC)
    firm = conn.execute(select(t.firms.c.name).where(t.firms.c.id == firm_id)).scalar_one()
    campaign_id = t.new_id(
        conn.execute(
            insert(t.campaigns).values(
                firm_id=firm_id,
                status="draft",
                created_at=at,
                **_spec_columns(spec, firm, at),
            )
        )
    )
    audit.record(
        conn,
        at=at,
        actor=actor,
        action="campaign.created",
        subject=f"campaign:{campaign_id}",
        data={"name": spec.name, "purpose": spec.purpose, "mode": spec.mode},
    )
    return campaign_id


def edit_campaign(
    conn: Connection,
    audit: Audit,
    firm_id: int,
    campaign_id: int,
    data: Any,
    caller: Caller,
    at: datetime,
) -> None:
    """Replace a draft campaign's settings; once started, its settings are evidence of
    what was dialled and stay as they were (stop it and create a new one instead)."""
    actor = authorize(conn, caller, "campaign.write")
    spec = parse_spec(data)
    current = load_campaign(conn, firm_id, campaign_id)
    if current.status != "draft":
        raise CampaignError(
            f"campaign #{campaign_id} is {current.status}; only a draft can be edited "
            "(its settings are the record of what was dialled): create a new campaign"
        )
    at = at.astimezone(UTC)
    firm = conn.execute(select(t.firms.c.name).where(t.firms.c.id == firm_id)).scalar_one()
    conn.execute(
        update(t.campaigns)
        .where(t.campaigns.c.id == campaign_id, t.campaigns.c.status == "draft")
        .values(**_spec_columns(spec, firm, at))
    )
    audit.record(
        conn,
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


def load_campaign(conn: Connection, firm_id: int, campaign_id: int) -> Campaign:
    row = (
        conn.execute(select(t.campaigns).where(t.campaigns.c.id == campaign_id)).mappings().first()
    )
    if row is None or row["firm_id"] != firm_id or row["settings"] is None:
        raise RequestError("campaign", f"no campaign #{campaign_id} in this firm")
    return Campaign(campaign_id, firm_id, str(row["status"]), parse_spec(row["settings"]))


def campaign_status(conn: Connection, campaign_id: int) -> str:
    """Just the status (the dialler asks on every turn; the settings need no re-reading)."""
    return str(
        conn.execute(
            select(t.campaigns.c.status).where(t.campaigns.c.id == campaign_id)
        ).scalar_one()
    )


def add_contacts(
    conn: Connection,
    audit: Audit,
    firm_id: int,
    campaign_id: int,
    contact_ids: Iterable[int],
    caller: Caller,
    at: datetime,
) -> int:
    """Put contacts on the campaign's list (once each); returns how many were new."""
    actor = authorize(conn, caller, "campaign.write", firm_id)
    camp = load_campaign(conn, firm_id, campaign_id)
    if camp.status in ("stopped", "completed"):
        raise CampaignError(f"campaign #{campaign_id} is {camp.status}: no contacts can be added")
    wanted = list(dict.fromkeys(contact_ids))
    known = set(
        conn.execute(
            select(t.contacts.c.id).where(
                t.contacts.c.id.in_(wanted), t.contacts.c.firm_id == firm_id
            )
        ).scalars()
    )
    missing = [c for c in wanted if c not in known]
    if missing:
        raise RequestError("contacts", f"no contact #{missing[0]} in this firm")
    already = set(
        conn.execute(
            select(t.campaign_contacts.c.contact_id).where(
                t.campaign_contacts.c.campaign_id == campaign_id
            )
        ).scalars()
    )
    new = [c for c in wanted if c not in already]
    if new:
        conn.execute(
            insert(t.campaign_contacts),
            [{"campaign_id": campaign_id, "contact_id": c, "status": "pending"} for c in new],
        )
    audit.record(
        conn,
        at=at.astimezone(UTC),
        actor=actor,
        action="campaign.contacts_added",
        subject=f"campaign:{campaign_id}",
        data={"added": len(new), "already_listed": len(wanted) - len(new)},
    )
    return len(new)


def set_status(
    conn: Connection,
    audit: Audit,
    firm_id: int,
    campaign_id: int,
    action: str,
    caller: Caller,
    at: datetime,
    problems: Iterable[str] = (),
) -> str:
    """Apply a life-cycle action; ``problems`` (from the lint) block a start."""
    actor = authorize(conn, caller, "campaign.write", firm_id)
    camp = load_campaign(conn, firm_id, campaign_id)
    new = TRANSITIONS.get((camp.status, action))
    if new is None:
        raise CampaignError(f"campaign #{campaign_id} is {camp.status}: cannot {action} it")
    listed = tuple(problems)
    if action in ("start", "resume") and listed:
        raise CampaignError(f"campaign #{campaign_id} cannot {action}: fix these first", listed)
    at = at.astimezone(UTC)
    conn.execute(
        update(t.campaigns)
        .where(t.campaigns.c.id == campaign_id, t.campaigns.c.status == camp.status)
        .values(status=new, updated_at=at)
    )
    if new == "stopped":
        conn.execute(
            update(t.campaign_contacts)
            .where(
                t.campaign_contacts.c.campaign_id == campaign_id,
                t.campaign_contacts.c.status.in_(OPEN),
            )
            .values(status="cancelled")
        )
    audit.record(
        conn,
        at=at,
        actor=actor,
        action=f"campaign.{action}",
        subject=f"campaign:{campaign_id}",
        data={"from": camp.status, "to": new},
    )
    return new


def queue_counts(conn: Connection, campaign_id: int) -> dict[str, int]:
    """How many of the campaign's contacts are in each queue state."""
    rows = conn.execute(
        select(t.campaign_contacts.c.status, func.count())
        .where(t.campaign_contacts.c.campaign_id == campaign_id)
        .group_by(t.campaign_contacts.c.status)
    ).all()
    return {str(s): int(n) for s, n in rows}


def abandonment_30d(conn: Connection, campaign_id: int, at: datetime) -> tuple[int, int]:
    """(abandoned, live-answered) calls of this campaign in the 30 days before ``at``.

    47 CFR 64.1200(a)(7)(i) and 16 CFR 310.4(b)(4)(i): abandoned calls over calls answered
    by a live person, per campaign, over a 30-day period.
    """
    since = at.astimezone(UTC) - timedelta(days=30)
    row = conn.execute(
        select(
            func.count().filter(t.call_outcomes.c.abandoned.is_(True)),
            func.count().filter(t.call_outcomes.c.live_answered.is_(True)),
        )
        .select_from(
            t.call_outcomes.join(
                t.call_attempts, t.call_attempts.c.id == t.call_outcomes.c.attempt_id
            )
        )
        .where(t.call_attempts.c.campaign_id == campaign_id, t.call_outcomes.c.at > since)
    ).one()
    return int(row[0]), int(row[1])


def take_lease(
    conn: Connection, campaign_id: int, owner: str, wall: datetime, seconds: float
) -> bool:
    """Hold the campaign for ``owner`` until ``wall + seconds`` (wall clock); False when
    another live dialler holds it — two diallers on one campaign would ring people twice."""
    wall = wall.astimezone(UTC)
    c = t.campaigns.c
    taken = conn.execute(
        update(t.campaigns)
        .where(
            c.id == campaign_id,
            (c.lease_owner.is_(None)) | (c.lease_owner == owner) | (c.lease_until < wall),
        )
        .values(lease_owner=owner, lease_until=wall + timedelta(seconds=seconds))
    ).rowcount
    return bool(taken)


def lease_until(conn: Connection, campaign_id: int) -> datetime | None:
    """When the current dialler's hold on the campaign runs out (None: nobody holds it)."""
    value = conn.execute(
        select(t.campaigns.c.lease_until).where(t.campaigns.c.id == campaign_id)
    ).scalar()
    if not isinstance(value, datetime):
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)  # SQLite keeps no offset


def drop_lease(conn: Connection, campaign_id: int, owner: str) -> None:
    c = t.campaigns.c
    conn.execute(
        update(t.campaigns)
        .where(c.id == campaign_id, c.lease_owner == owner)
        .values(lease_owner=None, lease_until=None)
    )
