"""The campaign's queue in the database: what is due, and what the gate made of it.

Rule 1: ``admit`` runs in the caller's transaction: the gate records the decision, then
the contact's queue row records what follows from it (blocked with the reasons, deferred
to the earliest allowed instant, or dialling) — all or nothing.
Rule 2: an allowed call outside the campaign's own schedule is not dialled: the attempt is
marked ``rescheduled`` (it does not count toward caps: no call was placed) and the contact
waits for the first minute inside the schedule in every candidate zone.
Rule 3 (preview): a contact is offered to one agent at a time: ``offer_next`` moves its
queue row to "offered" (out of what is due) in the same transaction as the seat shows it,
and only for a seat that may take it; the agent's Call gates it from "offered"
(``admit(..., statuses=OFFERED_ONLY)``); a skipped offer goes back due ``SKIP_DELAY``
later; a new run puts every offer of a stopped one back in the queue.
Rule 4 (manual): a manual click-to-call has no queue row (``QueueItem.queue_id`` None):
it is gated and recorded with the campaign like any attempt, and nothing in the queue
moves.
Rule 5 (group commit): gates committed together are dialled one after the other; a stop
or pause that committed during an earlier dial is seen before the next one
(``confirm_dial``), which is then not placed and goes back to the queue.
Rule 6: a decision judges the instant it was made for, so a dial that would start long
after it (``GATE_FRESH``: a slow carrier API ahead of it), or outside the campaign's
schedule at the instant it starts (``still_scheduled``: a gate moments before the
schedule's end), is not placed: its attempt is marked rescheduled and the contact is due
again at once, to be judged afresh (``confirm_dial(..., expired=True)``).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from lexdial.domain.call import CallFlow, FlowConfig, Outcome
from lexdial.domain.campaign_spec import CampaignSpec, Retry
from lexdial.domain.decision import Decision
from lexdial.domain.schedule import inside, next_inside
from lexdial.domain.states import UNDIALLED_QUEUE, AttemptStatus, CampaignStatus
from lexdial.rules.engine import Engine
from lexdial.service import desk_line
from lexdial.service.campaigns import OPEN
from lexdial.service.gate import gate
from lexdial.service.outcomes import record_outcome
from lexdial.service.ports import Audit, Cipher, Registry

if TYPE_CHECKING:
    from lexdial.service.storage import UnitOfWork

#: the queue's own code for "allowed, but outside the campaign's schedule"
SCHEDULE_CODE = "CAMPAIGN_SCHEDULE"
#: the queue's code for "allowed, but the campaign stopped or paused before the dial"
NOT_RUNNING_CODE = "CAMPAIGN_NOT_RUNNING"
#: the queue status of a contact shown to one agent in preview (rule 3)
OFFERED = "offered"
OFFERED_ONLY = (OFFERED,)
#: how long a contact an agent skipped waits before it is offered again
SKIP_DELAY = timedelta(hours=1)
#: the queue's code for "allowed, but the dial would have started too long after the
#: decision, or outside the schedule" (rule 6)
EXPIRED_CODE = "GATE_EXPIRED"
#: how long after its decision an allowed dial may still start (rule 6). A gate's commit
#: and the dials ahead of it take milliseconds; seconds mean a carrier API stalled ahead of
#: it. Ten seconds of staleness cannot carry a call out of a calling window, because the
#: schedule is checked again at the dial's own instant (``still_scheduled``); it bounds
#: how old the facts behind the decision (an opt-out, a do-not-call entry) may be
GATE_FRESH = timedelta(seconds=10)


@dataclass(frozen=True, slots=True)
class QueueItem:
    #: None: a manual click-to-call, which has no row in the campaign's queue (rule 4)
    queue_id: int | None
    contact_id: int
    attempts: int
    retry: Retry


@dataclass(frozen=True, slots=True)
class Admitted:
    #: allow | deny | defer | skip (outside the campaign schedule) | halt (the campaign is
    #: no longer running) | gone (the contact left the queue meanwhile) | expired (allowed,
    #: but not dialled: the decision no longer held at the dial's instant, rule 6)
    verdict: str
    attempt_id: int | None
    number: str | None = None  # E.164, only when allowed: personal data, never logged
    closed: bool = False  # the contact's queue entry is closed (blocked)
    #: the time zones the decision judged the call in (when allowed: rule 6 checks the
    #: schedule in them again at the dial's instant)
    zones: tuple[str, ...] = ()


def due_contacts(
    uow: UnitOfWork, campaign_id: int, now: datetime, limit: int, retry: Retry
) -> tuple[list[QueueItem], datetime | None]:
    """Up to ``limit`` contacts due at ``now``, and when the next one is due: ``now`` itself
    when more are due than ``limit`` allowed (no free line or agent yet)."""
    now = now.astimezone(UTC)
    batch = uow.attempts.due(campaign_id, now, limit, OPEN)
    nxt = now if batch.waiting > len(batch.rows) else batch.next_at
    items = [QueueItem(r.queue_id, r.contact_id, r.attempts, retry) for r in batch.rows]
    return items, nxt


def admit(
    uow: UnitOfWork,
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
    statuses: tuple[str, ...] = OPEN,
) -> Admitted:
    """Gate one queued contact and move its queue row accordingly (see Rule 1, 2); the row
    must have one of ``statuses`` (preview: ``OFFERED_ONLY``). A manual call (no row) is
    gated and recorded the same way, and no queue row moves (rule 4)."""
    queue = uow.attempts
    if queue.campaign_status(campaign_id) != CampaignStatus.RUNNING:
        return Admitted("halt", None)  # paused or stopped since the batch was fetched
    # the contact's row lock first, as an opt-out takes it (then cancels the queue rows):
    # claiming the queue row first would invert the order and deadlock on PostgreSQL
    uow.contacts.lock(item.contact_id)
    qid = item.queue_id
    if qid is not None and not queue.claim(qid, statuses):
        return Admitted("gone", None)  # an opt-out or a stop took it since the batch was fetched
    s = spec.schedule

    def scheduled(d: Decision) -> bool:
        # no zone to judge the schedule by: fail closed (blocked), never dial blind
        return bool(d.time_zones) and inside(d.time_zones, at, s.days, s.start, s.end)

    def settle(d: Decision) -> AttemptStatus:
        # what an allowed attempt becomes, recorded in its INSERT (``gate`` rule 3)
        return AttemptStatus.DIALLED if scheduled(d) else AttemptStatus.RESCHEDULED

    result = gate(
        uow,
        engine,
        cipher,
        audit,
        registry,
        firm_id=firm_id,
        contact_id=item.contact_id,
        at=at,
        campaign_id=campaign_id,
        settle=settle,
    )
    d = result.decision
    if d.verdict == "deny":
        if qid is not None:
            queue.block(qid, codes=d.codes, attempt_id=result.attempt_id)
        return Admitted("deny", result.attempt_id, closed=qid is not None)
    if d.verdict == "defer":
        if qid is not None:
            queue.defer(
                qid, until=d.earliest_allowed_at, codes=d.codes, attempt_id=result.attempt_id
            )
        return Admitted("defer", result.attempt_id)
    zones = d.time_zones
    if not scheduled(d):  # recorded as rescheduled (rule 2)
        nxt = next_inside(zones, at, s.days, s.start, s.end) if zones else None
        if qid is None:
            pass  # a manual call: nothing queued to move (the agent may call later)
        elif nxt:
            queue.defer(qid, until=nxt, codes=[SCHEDULE_CODE], attempt_id=result.attempt_id)
        else:
            queue.block(
                qid, codes=[SCHEDULE_CODE], attempt_id=result.attempt_id, clear_next_at=True
            )
        return Admitted("skip", result.attempt_id, closed=qid is not None and nxt is None)
    # recorded as dialled (``gate`` rule 3)
    if qid is not None:
        queue.start_dialing(qid, attempts=item.attempts + 1, attempt_id=result.attempt_id)
    return Admitted("allow", result.attempt_id, result.number, zones=tuple(zones))


def still_scheduled(
    spec: CampaignSpec, admitted: Admitted, gated_at: datetime, now: datetime, timescale: float
) -> bool:
    """Whether an allowed dial may start at ``now`` (rule 6): soon enough after its
    decision at ``gated_at``, and inside the schedule in every zone the decision judged.
    ``timescale``: the carrier's wall seconds per second of the run's clock (1 on a real
    one); freshness is judged in wall time, since what it guards against (a stalled
    carrier API) happens in wall time, while a simulated run's clock runs faster."""
    s = spec.schedule
    fresh = timedelta(0) <= (now - gated_at) * timescale <= GATE_FRESH
    return fresh and bool(admitted.zones) and inside(admitted.zones, now, s.days, s.start, s.end)


def confirm_dial(
    uow: UnitOfWork,
    campaign_id: int,
    item: QueueItem,
    attempt_id: int,
    at: datetime,
    *,
    expired: bool = False,
) -> str | None:
    """None when an attempt the gate allowed may still be dialled: the campaign still runs
    (rule 5) and the decision has not ``expired`` (rule 6). Else the code it is not
    dialled for: the attempt is marked rescheduled (no call placed: no cap counts it) and
    its queue row is due again at ``at`` with the attempts it had, as if never gated (a
    stopped campaign's row is then cancelled like the rest of its queue)."""
    status = uow.attempts.campaign_status(campaign_id)
    if status == CampaignStatus.RUNNING and not expired:
        return None
    code = NOT_RUNNING_CODE if status != CampaignStatus.RUNNING else EXPIRED_CODE
    uow.contacts.lock(item.contact_id)  # the opt-out's lock order (see ``admit``)
    uow.attempts.set_status(attempt_id, AttemptStatus.RESCHEDULED)
    qid = item.queue_id
    if qid is not None:
        # the gate counted this attempt on the row (start_dialing): put back the count it had
        uow.attempts.start_dialing(qid, attempts=item.attempts, attempt_id=attempt_id)
        uow.attempts.defer(qid, until=at.astimezone(UTC), codes=[code],
                           attempt_id=attempt_id)  # fmt: skip
        if status == CampaignStatus.STOPPED:
            uow.campaigns.cancel_queued(campaign_id, UNDIALLED_QUEUE)
    return code


def offer_next(
    uow: UnitOfWork,
    *,
    firm_id: int,
    campaign_id: int,
    user_id: int,
    now: datetime,
    retry: Retry,
) -> QueueItem | None:
    """Offer the next due contact to the agent's seat, if it may take one (rule 3): the
    queue row "offered" and the seat in PREVIEW, in this one transaction; None when the
    seat may not, the campaign is not running or nothing is due."""
    queue = uow.attempts
    if queue.campaign_status(campaign_id) != CampaignStatus.RUNNING:
        return None
    seat = desk_line.offerable(uow, firm_id, user_id, campaign_id)
    if seat is None:
        return None
    for row in queue.due(campaign_id, now.astimezone(UTC), 3, OPEN).rows:
        uow.contacts.lock(row.contact_id)  # the opt-out's lock order (see ``admit``)
        if queue.offer(row.queue_id, OPEN):
            desk_line.show_offer(uow, seat, row.contact_id, now.astimezone(UTC))
            return QueueItem(row.queue_id, row.contact_id, row.attempts, retry)
    return None


def withdraw_offer(uow: UnitOfWork, item: QueueItem, next_at: datetime | None) -> bool:
    """The offer of ``item`` ended without a Call: its row is due again at ``next_at``."""
    if item.queue_id is None:
        return False
    return uow.attempts.withdraw_offer(item.queue_id, next_at)


def recover(uow: UnitOfWork, audit: Audit, campaign_id: int, at: datetime, retry: Retry) -> int:
    """Close calls a stopped process left "dialing" as failed (interrupted); returns how many.
    ``retry`` is the campaign's; an interrupted call is never retried automatically."""
    rows = uow.attempts.interrupted(campaign_id)
    # a row claimed but never gated (a crash in between) simply goes back to the queue,
    # and so does a row offered to an agent by a stopped process (rule 3)
    uow.attempts.requeue_unclaimed(campaign_id)
    uow.attempts.requeue_offered(campaign_id)
    # an interrupted call may have been answered, even opted out: never retried automatically
    retry = replace(retry, on=())
    for row in rows:
        _interrupted(uow, audit, row.attempt_id, row.queue_id, row.attempts, retry, at)
    # then the manual calls (no queue row, rule 4): dialled, and no outcome after the above
    manual = uow.attempts.dialled_without_outcome(campaign_id)
    for attempt_id in manual:
        _interrupted(uow, audit, attempt_id, None, 1, retry, at)
    return len(rows) + len(manual)


def _interrupted(
    uow: UnitOfWork,
    audit: Audit,
    attempt_id: int,
    queue_id: int | None,
    attempts: int,
    retry: Retry,
    at: datetime,
) -> None:
    flow = CallFlow(f"a{attempt_id}", FlowConfig())
    flow.outcome = Outcome.FAILED
    flow.detail = "interrupted: the dialer stopped during the call"
    record_outcome(
        uow, audit, attempt_id=attempt_id, queue_id=queue_id, attempts=attempts, flow=flow,
        retry=retry, at=at,
    )  # fmt: skip
