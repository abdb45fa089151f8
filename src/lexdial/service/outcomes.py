"""Recording what a call came to, and what the dialer does with the contact next.

Rule 1: an outcome is written once per attempt, in one transaction with the attempt's
status, the contact's queue state and an audit entry; the flags (live-answered,
abandoned, opted out) are what the abandonment rate and the report count.
Rule 2: a contact whose call ended without reaching anyone is retried only for the
outcomes the campaign names, at most ``max_attempts`` times, after ``delay_minutes``.
Rule 3: a manual click-to-call has no queue row (``queue_id`` None): its outcome is
recorded the same way (still once per attempt) and no queue entry moves.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from lexdial.domain.call import CallFlow
from lexdial.domain.campaign_spec import Retry
from lexdial.domain.states import AttemptStatus, CampaignStatus, QueueStatus
from lexdial.service.ports import Audit
from lexdial.service.repos.calls import NewOutcome
from lexdial.service.users import SYSTEM

if TYPE_CHECKING:
    from lexdial.service.storage import UnitOfWork


def record_outcome(
    uow: UnitOfWork,
    audit: Audit,
    *,
    attempt_id: int,
    queue_id: int | None,
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
    uow.attempts.record_outcome(
        NewOutcome(
            attempt_id=attempt_id,
            outcome=outcome,
            at=at,
            ring_s=flow.ring_s,
            talk_s=flow.talk_s,
            live_answered=flow.live_answered,
            abandoned=flow.abandoned,
            opted_out=flow.opted_out,
            agent_id=agent_id,
            detail=(flow.detail or "")[:200] or None,
        )
    )
    uow.attempts.set_status(attempt_id, AttemptStatus.COMPLETED)
    again = outcome in retry.on and attempts < retry.max_attempts and not flow.opted_out
    again = again and queue_id is not None  # a manual call is never retried on its own
    if again and _stopped(uow, attempt_id):
        # the campaign was stopped while this call was up: a stop cancels every call still
        # to come, so this one is not queued again (a pause keeps it: resume dials it)
        again = False
    status = QueueStatus.RETRY if again else QueueStatus.DONE
    if queue_id is not None:
        uow.attempts.close_call(
            queue_id,
            status=status,
            outcome=outcome,
            next_at=at + timedelta(minutes=retry.delay_minutes) if again else None,
        )
    audit.record(
        uow,
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


def _stopped(uow: UnitOfWork, attempt_id: int) -> bool:
    """Whether ``attempt_id``'s campaign has been stopped (read only when a retry is due)."""
    stored = uow.attempts.stored_attempt(attempt_id)
    if stored is None or stored.campaign_id is None:
        return False
    return uow.attempts.campaign_status(stored.campaign_id) == CampaignStatus.STOPPED
