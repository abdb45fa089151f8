"""The campaign's queue in the database: what is due, and what the gate made of it.

Rule 1: ``admit`` runs in the caller's transaction: the gate records the decision, then
the contact's queue row records what follows from it (blocked with the reasons, deferred
to the earliest allowed instant, or dialling) — all or nothing.
Rule 2: an allowed call outside the campaign's own schedule is not dialled: the attempt is
marked ``rescheduled`` (it does not count toward caps: no call was placed) and the contact
waits for the first minute inside the schedule in every candidate zone.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime

from sqlalchemy import Connection, func, select, update

from lexdial.adapters.db import tables as t
from lexdial.domain.call import CallFlow, FlowConfig, Outcome
from lexdial.domain.schedule import inside, next_inside
from lexdial.rules.engine import Engine
from lexdial.service.campaign_spec import CampaignSpec, Retry
from lexdial.service.campaigns import OPEN, campaign_status, load_campaign
from lexdial.service.gate import gate
from lexdial.service.outcomes import record_outcome
from lexdial.service.ports import Audit, Cipher, Registry

#: the queue's own code for "allowed, but outside the campaign's schedule"
SCHEDULE_CODE = "CAMPAIGN_SCHEDULE"


@dataclass(frozen=True, slots=True)
class QueueItem:
    queue_id: int
    contact_id: int
    attempts: int
    retry: Retry


@dataclass(frozen=True, slots=True)
class Admitted:
    #: allow | deny | defer | skip (outside the campaign schedule) | halt (the campaign is
    #: no longer running) | gone (the contact left the queue meanwhile)
    verdict: str
    attempt_id: int | None
    number: str | None = None  # E.164, only when allowed: personal data, never logged
    closed: bool = False  # the contact's queue entry is closed (blocked)


def due_contacts(
    conn: Connection, campaign_id: int, now: datetime, limit: int, retry: Retry
) -> tuple[list[QueueItem], datetime | None]:
    """Up to ``limit`` contacts due at ``now``, and when the next one is due: ``now`` itself
    when more are due than ``limit`` allowed (no free line or agent yet)."""
    now = now.astimezone(UTC)
    q = t.campaign_contacts.c
    due = q.next_at.is_(None) | (q.next_at <= now)
    rows = (
        conn.execute(
            select(q.id, q.contact_id, q.attempts)
            .where(q.campaign_id == campaign_id, q.status.in_(OPEN), due)
            .order_by(q.next_at.is_(None).desc(), q.next_at, q.id)
            .limit(limit)
        ).all()
        if limit > 0
        else []
    )
    waiting = conn.execute(
        select(func.count()).where(q.campaign_id == campaign_id, q.status.in_(OPEN), due)
    ).scalar_one()
    nxt = conn.execute(
        select(func.min(q.next_at)).where(
            q.campaign_id == campaign_id, q.status.in_(OPEN), q.next_at > now
        )
    ).scalar()
    if waiting > len(rows):
        nxt = now
    if nxt is not None and nxt.tzinfo is None:  # SQLite: stored as UTC without offset
        nxt = nxt.replace(tzinfo=UTC)
    items = [QueueItem(int(r[0]), int(r[1]), int(r[2]), retry) for r in rows]
    return items, nxt


def admit(
    conn: Connection,
    engine: Engine,
    cipher: Cipher,
    audit: Audit,
    registry: Registry,
    *,
    firm_id: int,
    campaign_id: int,
    spec: CampaignSpec,
    item: QueueItem,
    at: datetime,
) -> Admitted:
    """Gate one queued contact and move its queue row accordingly (see Rule 1, 2)."""
    if (
        campaign_status(conn, campaign_id) != "running"
    ):  # paused or stopped since the batch was fetched
        return Admitted("halt", None)
    claimed = conn.execute(
        update(t.campaign_contacts)
        .where(t.campaign_contacts.c.id == item.queue_id, t.campaign_contacts.c.status.in_(OPEN))
        .values(status="dialing")
    ).rowcount
    if not claimed:  # an opt-out or a stop took it since the batch was fetched
        return Admitted("gone", None)
    result = gate(
        conn,
        engine,
        cipher,
        audit,
        registry,
        firm_id=firm_id,
        contact_id=item.contact_id,
        at=at,
        campaign_id=campaign_id,
    )
    d = result.decision
    row = t.campaign_contacts.update().where(t.campaign_contacts.c.id == item.queue_id)
    if d.verdict == "deny":
        conn.execute(
            row.values(status="blocked", codes=list(d.codes), last_attempt_id=result.attempt_id)
        )
        return Admitted("deny", result.attempt_id, closed=True)
    if d.verdict == "defer":
        conn.execute(
            row.values(
                status="deferred",
                next_at=d.earliest_allowed_at,
                codes=list(d.codes),
                last_attempt_id=result.attempt_id,
            )
        )
        return Admitted("defer", result.attempt_id)
    s = spec.schedule
    zones = d.time_zones
    if not zones or not inside(zones, at, s.days, s.start, s.end):
        # no zone to judge the schedule by: fail closed (blocked), never dial blind
        nxt = next_inside(zones, at, s.days, s.start, s.end) if zones else None
        conn.execute(
            update(t.call_attempts)
            .where(t.call_attempts.c.id == result.attempt_id)
            .values(status="rescheduled")
        )
        conn.execute(
            row.values(
                status="deferred" if nxt else "blocked",
                next_at=nxt,
                codes=[SCHEDULE_CODE],
                last_attempt_id=result.attempt_id,
            )
        )
        return Admitted("skip", result.attempt_id, closed=nxt is None)
    conn.execute(
        update(t.call_attempts)
        .where(t.call_attempts.c.id == result.attempt_id)
        .values(status="dialled")
    )
    conn.execute(
        row.values(
            status="dialing",
            attempts=item.attempts + 1,
            codes=None,
            last_attempt_id=result.attempt_id,
        )
    )
    return Admitted("allow", result.attempt_id, result.number)


def recover(conn: Connection, audit: Audit, campaign_id: int, at: datetime) -> int:
    """Close calls a stopped process left "dialing" as failed (interrupted); returns how many."""
    q = t.campaign_contacts.c
    rows = conn.execute(
        select(q.id, q.attempts, q.last_attempt_id).where(
            q.campaign_id == campaign_id, q.status == "dialing", q.last_attempt_id.is_not(None)
        )
    ).all()
    # a row claimed but never gated (a crash in between) simply goes back to the queue
    conn.execute(
        update(t.campaign_contacts)
        .where(q.campaign_id == campaign_id, q.status == "dialing", q.last_attempt_id.is_(None))
        .values(status="pending")
    )
    if not rows:
        return 0
    firm = conn.execute(
        select(t.campaigns.c.firm_id).where(t.campaigns.c.id == campaign_id)
    ).scalar_one()
    # an interrupted call may have been answered, even opted out: never retried automatically
    retry = replace(load_campaign(conn, int(firm), campaign_id).spec.retry, on=())
    for queue_id, attempts, attempt_id in rows:
        flow = CallFlow(f"a{attempt_id}", FlowConfig())
        flow.outcome = Outcome.FAILED
        flow.detail = "interrupted: the dialer stopped during the call"
        record_outcome(
            conn,
            audit,
            attempt_id=int(attempt_id),
            queue_id=int(queue_id),
            attempts=int(attempts),
            flow=flow,
            retry=retry,
            at=at,
        )
    return len(rows)
