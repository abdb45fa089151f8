"""Recording what a call came to, and what the dialer does with the contact next.

Rule 1: an outcome is written once per attempt, in one transaction with the attempt's
status, the contact's queue state and an audit entry; the flags (live-answered,
abandoned, opted out) are what the abandonment rate and the report count.
Rule 2: a contact whose call ended without reaching anyone is retried only for the
outcomes the campaign names, at most ``max_attempts`` times, after ``delay_minutes``.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import Connection, insert, update

from lexdial.adapters.db import tables as t
from lexdial.domain.call import CallFlow
from lexdial.service.campaign_spec import Retry
from lexdial.service.ports import Audit
from lexdial.service.users import SYSTEM


def record_outcome(
    conn: Connection,
    audit: Audit,
    *,
    attempt_id: int,
    queue_id: int,
    attempts: int,
    flow: CallFlow,
    retry: Retry,
    at: datetime,
    agent_id: int | None = None,
) -> str:
    """Store ``flow``'s outcome; returns the contact's new queue status (done | retry)."""
    at = at.astimezone(UTC)
    assert flow.outcome is not None
    outcome = flow.outcome.value
    conn.execute(
        insert(t.call_outcomes).values(
            attempt_id=attempt_id,
            outcome=outcome,
            at=at,
            ring_s=flow.ring_s,
            talk_s=flow.talk_s,
            created_at=at,
            live_answered=flow.live_answered,
            abandoned=flow.abandoned,
            opted_out=flow.opted_out,
            agent_id=agent_id,
            detail=(flow.detail or "")[:200] or None,
        )
    )
    conn.execute(
        update(t.call_attempts).where(t.call_attempts.c.id == attempt_id).values(status="completed")
    )
    again = outcome in retry.on and attempts < retry.max_attempts and not flow.opted_out
    status = "retry" if again else "done"
    conn.execute(
        update(t.campaign_contacts)
        .where(t.campaign_contacts.c.id == queue_id, t.campaign_contacts.c.status == "dialing")
        .values(
            status=status,
            last_outcome=outcome,
            next_at=at + timedelta(minutes=retry.delay_minutes) if again else None,
        )
    )
    audit.record(
        conn,
        at=at,
        actor=SYSTEM.label,
        action="call.outcome",
        subject=f"attempt:{attempt_id}",
        data={
            "outcome": outcome,
            "live_answered": flow.live_answered,
            "abandoned": flow.abandoned,
            "opted_out": flow.opted_out,
            "ring_s": flow.ring_s,
            "talk_s": flow.talk_s,
            "next": status,
        },
    )
    return status
