"""In-memory fakes of ``service.repos.calls`` for unit tests of the services."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from lexdial.domain.states import QueueStatus
from lexdial.service.repos.calls import (
    DebtFacts,
    DueBatch,
    GateCampaign,
    GateConsent,
    GateContact,
    GateNumber,
    HistoryWindow,
    Interrupted,
    NewAttempt,
    NewOutcome,
    PastCall,
    QueueRow,
    ReassignedCheck,
)

_NOT_SET = datetime.min.replace(tzinfo=UTC)


@dataclass
class MemoryAttemptRepository:
    """``AttemptRepository`` kept in dicts and lists; no database. A test fills the gate's
    facts (``contacts``, ``numbers``, ``campaigns``, ...) and the queue (``add_to_queue``)."""

    contacts: dict[int, GateContact] = field(default_factory=dict)
    numbers: dict[int, GateNumber] = field(default_factory=dict)
    firms: dict[int, str] = field(default_factory=dict)
    campaigns: dict[int, GateCampaign] = field(default_factory=dict)
    statuses: dict[int, str] = field(default_factory=dict)
    consents: dict[tuple[int, str], list[GateConsent]] = field(default_factory=dict)
    suppressed: set[tuple[int, str]] = field(default_factory=set)
    reassigned: dict[tuple[int, str], ReassignedCheck] = field(default_factory=dict)
    debts: dict[tuple[int, str], DebtFacts] = field(default_factory=dict)
    attempts: dict[int, NewAttempt] = field(default_factory=dict)
    outcomes: dict[int, NewOutcome] = field(default_factory=dict)
    #: queue id -> campaign_id, contact_id, status, attempts, next_at, codes,
    #: last_attempt_id, last_outcome
    queue: dict[int, dict[str, Any]] = field(default_factory=dict)

    def add_to_queue(
        self, campaign_id: int, contact_id: int, *, status: str = QueueStatus.PENDING, **values: Any
    ) -> int:
        queue_id = len(self.queue) + 1
        self.queue[queue_id] = {
            "campaign_id": campaign_id, "contact_id": contact_id, "status": status,
            "attempts": 0, "next_at": None, "codes": None, "last_attempt_id": None,
            "last_outcome": None, **values,
        }  # fmt: skip
        return queue_id

    # --- what the gate reads
    def prefetch_for_gates(self, contact_ids: Collection[int], history: HistoryWindow) -> None:
        pass  # in memory every read is as cheap as a read ahead: nothing to keep

    def drop_prefetched(self) -> None:
        pass

    def contact_for_gate(
        self, contact_id: int, history: HistoryWindow | None = None
    ) -> GateContact | None:
        return self.contacts.get(contact_id)  # in memory, ``history`` reads nothing sooner

    def number_for_gate(self, contact_id: int) -> GateNumber | None:
        return self.numbers.get(contact_id)

    def firm_name(self, firm_id: int) -> str:
        return self.firms[firm_id]

    def campaign_for_gate(self, campaign_id: int) -> GateCampaign | None:
        return self.campaigns.get(campaign_id)

    def consents_for(self, firm_id: int, number_bidx: str) -> list[GateConsent]:
        return list(self.consents.get((firm_id, number_bidx), []))

    def internally_suppressed(self, firm_id: int, number_bidx: str) -> bool:
        return (firm_id, number_bidx) in self.suppressed

    def last_reassigned_check(self, firm_id: int, number_bidx: str) -> ReassignedCheck | None:
        return self.reassigned.get((firm_id, number_bidx))

    def debt_facts(self, firm_id: int, debt_ref: str) -> DebtFacts | None:
        return self.debts.get((firm_id, debt_ref))

    def history(
        self, contact_id: int, since: datetime, until: datetime, statuses: Sequence[str]
    ) -> list[PastCall]:
        found = [
            (a.at, i, a)
            for i, a in self.attempts.items()
            if a.contact_id == contact_id and since <= a.at <= until and a.status in statuses
        ]
        return [
            PastCall(
                a.at,
                a.purpose,
                a.technology,
                a.subject,
                a.debt_ref,
                self.outcomes[i].outcome if i in self.outcomes else None,
            )
            for _, i, a in sorted(found, key=lambda f: (f[0], f[1]))
        ]

    def abandonment_30d(self, campaign_id: int, at: datetime) -> tuple[int, int]:
        since = at.astimezone(UTC) - timedelta(days=30)
        mine = [
            o
            for o in self.outcomes.values()
            if self.attempts[o.attempt_id].campaign_id == campaign_id and o.at > since
        ]
        return sum(o.abandoned for o in mine), sum(o.live_answered for o in mine)

    # --- attempts and outcomes
    def record(self, attempt: NewAttempt) -> int:
        attempt_id = len(self.attempts) + 1
        self.attempts[attempt_id] = attempt
        return attempt_id

    def set_status(self, attempt_id: int, status: str) -> None:
        self.attempts[attempt_id] = replace(self.attempts[attempt_id], status=status)

    def record_outcome(self, outcome: NewOutcome) -> None:
        if outcome.attempt_id in self.outcomes:  # the table's unique constraint
            raise ValueError(f"attempt {outcome.attempt_id} already has an outcome")
        self.outcomes[outcome.attempt_id] = outcome

    # --- the campaign queue
    def campaign_status(self, campaign_id: int) -> str:
        return self.statuses[campaign_id]

    def due(self, campaign_id: int, now: datetime, limit: int, statuses: Sequence[str]) -> DueBatch:
        open_ = [
            (i, q)
            for i, q in self.queue.items()
            if q["campaign_id"] == campaign_id and q["status"] in statuses
        ]
        due = [(i, q) for i, q in open_ if q["next_at"] is None or q["next_at"] <= now]
        due.sort(key=lambda e: (e[1]["next_at"] is not None, e[1]["next_at"] or _NOT_SET, e[0]))
        later = [q["next_at"] for _, q in open_ if q["next_at"] is not None and q["next_at"] > now]
        rows = tuple(QueueRow(i, q["contact_id"], q["attempts"]) for i, q in due[: max(0, limit)])
        return DueBatch(rows, len(due), min(later, default=None))

    def claim(self, queue_id: int, statuses: Sequence[str]) -> bool:
        q = self.queue.get(queue_id)
        if q is None or q["status"] not in statuses:
            return False
        q["status"] = QueueStatus.DIALING
        return True

    def block(
        self, queue_id: int, *, codes: Sequence[str], attempt_id: int, clear_next_at: bool = False
    ) -> None:
        q = self.queue[queue_id]
        q.update(status=QueueStatus.BLOCKED, codes=list(codes), last_attempt_id=attempt_id)
        if clear_next_at:
            q["next_at"] = None

    def defer(
        self, queue_id: int, *, until: datetime | None, codes: Sequence[str], attempt_id: int
    ) -> None:
        self.queue[queue_id].update(
            status=QueueStatus.DEFERRED,
            next_at=until,
            codes=list(codes),
            last_attempt_id=attempt_id,
        )

    def start_dialing(self, queue_id: int, *, attempts: int, attempt_id: int) -> None:
        self.queue[queue_id].update(
            status=QueueStatus.DIALING, attempts=attempts, codes=None, last_attempt_id=attempt_id
        )

    def close_call(
        self, queue_id: int, *, status: str, outcome: str, next_at: datetime | None
    ) -> None:
        q = self.queue.get(queue_id)
        if q is not None and q["status"] == QueueStatus.DIALING:
            q.update(status=status, last_outcome=outcome, next_at=next_at)

    def interrupted(self, campaign_id: int) -> list[Interrupted]:
        return [
            Interrupted(i, q["attempts"], q["last_attempt_id"])
            for i, q in self.queue.items()
            if q["campaign_id"] == campaign_id
            and q["status"] == QueueStatus.DIALING
            and q["last_attempt_id"] is not None
        ]

    def requeue_unclaimed(self, campaign_id: int) -> None:
        for q in self.queue.values():
            if (
                q["campaign_id"] == campaign_id
                and q["status"] == QueueStatus.DIALING
                and q["last_attempt_id"] is None
            ):
                q["status"] = QueueStatus.PENDING

    # (for desk)
    def stored_attempt(self, attempt_id: int) -> NewAttempt | None:
        return self.attempts.get(attempt_id)

    # (for desk)
    def queue_callback(self, campaign_id: int, contact_id: int, due_at: datetime) -> bool:
        for q in self.queue.values():
            if q["campaign_id"] == campaign_id and q["contact_id"] == contact_id:
                if q["status"] == QueueStatus.CANCELLED:
                    return False
                q.update(status=QueueStatus.RETRY, next_at=due_at)
                return True
        self.add_to_queue(campaign_id, contact_id, status=QueueStatus.RETRY, next_at=due_at)
        return True

    # (for preview)
    def offer(self, queue_id: int, statuses: Sequence[str]) -> bool:
        q = self.queue.get(queue_id)
        if q is None or q["status"] not in statuses:
            return False
        q["status"] = "offered"
        return True

    # (for preview)
    def withdraw_offer(self, queue_id: int, next_at: datetime | None) -> bool:
        q = self.queue.get(queue_id)
        if q is None or q["status"] != "offered":
            return False
        q.update(status=QueueStatus.PENDING, next_at=next_at)
        return True

    # (for preview)
    def requeue_offered(self, campaign_id: int) -> int:
        rows = [
            q
            for q in self.queue.values()
            if q["campaign_id"] == campaign_id and q["status"] == "offered"
        ]
        for q in rows:
            q["status"] = QueueStatus.PENDING
        return len(rows)

    # (for preview)
    def dialled_without_outcome(self, campaign_id: int) -> list[int]:
        return sorted(
            i
            for i, a in self.attempts.items()
            if a.campaign_id == campaign_id and a.status == "dialled" and i not in self.outcomes
        )


class MemoryAuditLogRepository:
    """``AuditLogRepository`` kept in dicts and lists; no database."""

    # (for contracts)
    def __init__(self) -> None:
        #: the audit_log rows (``seq``, ``at``, ``actor``, ``action``, ``subject``) in seq order
        self.entries: list[dict[str, Any]] = []
        #: (subject kind, id) -> the firm whose row it names
        self.owners: dict[tuple[str, int], int] = {}

    # (for contracts)
    def entries_before(self, before: int | None, limit: int) -> list[dict[str, Any]]:
        rows = [e for e in reversed(self.entries) if before is None or e["seq"] < before]
        return [dict(e) for e in rows[:limit]]

    # (for contracts)
    def owned_ids(self, firm_id: int, kind: str, ids: Collection[int]) -> set[int]:
        return {i for i in ids if self.owners.get((kind, i)) == firm_id}
