"""Repository ports for call attempts and outcomes (the dial queue), and the audit log table the
hash chain lives in.

The gate builds its decision request from what ``AttemptRepository`` reads for it (the
contact, its number, the campaign, consents, suppression, history): one repository per use
case, so the gate's reads stay together and a unit test fills one fake.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Protocol


@dataclass(frozen=True, slots=True)
class GateContact:
    """The contact facts the decision request needs (personal ones still encrypted)."""

    firm_id: int
    relationship: str
    address_enc: str | None = None
    last_transaction_on: date | None = None
    inquiry_on: date | None = None
    subscriber: str | None = None
    matter_type: str | None = None
    preferences: dict[str, Any] | None = None
    objected_at: datetime | None = None
    erased_at: datetime | None = None
    lawful_basis: Any = None


@dataclass(frozen=True, slots=True)
class GateNumber:
    """The number a call goes to: the primary one, else the first recorded."""

    number_enc: str
    number_bidx: str
    line_type: str | None = None


@dataclass(frozen=True, slots=True)
class GateCampaign:
    firm_id: int
    purpose: str
    technology: str
    mode: str
    subject: str | None = None
    ring_timeout_s: float = 20.0
    caller_id: str | None = None
    safe_harbor_message: bool = False
    script: dict[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class GateConsent:
    """One consent of the firm for the number (one row per revocation, as joined)."""

    id: int
    kind: str
    given_at: datetime
    scope: Sequence[str]
    sellers: Sequence[str]
    method: str
    technologies: Sequence[str] | None = None
    revoked_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class ReassignedCheck:
    result: str
    checked_on: date


@dataclass(frozen=True, slots=True)
class DebtFacts:
    cease_requested_at: datetime | None = None
    time_barred: bool | None = None


#: (since, until, statuses): the call history ``contact_for_gate`` may read with the contact
HistoryWindow = tuple[datetime, datetime, Sequence[str]]


@dataclass(frozen=True, slots=True)
class PastCall:
    """An earlier attempt to the contact, with its outcome if one was recorded."""

    at: datetime
    purpose: str
    technology: str
    subject: str | None = None
    debt_ref: str | None = None
    outcome: str | None = None


@dataclass(frozen=True, slots=True)
class NewAttempt:
    """An attempt and the decision it was made under, stored before any dial."""

    firm_id: int
    contact_id: int
    campaign_id: int | None
    number_bidx: str
    at: datetime
    purpose: str
    technology: str
    subject: str | None
    debt_ref: str | None
    status: str
    decision_id: str
    verdict: str
    earliest_allowed_at: datetime | None
    rulepack: str
    decision: dict[str, Any]
    created_at: datetime
    #: the request judged, canonical JSON encrypted under ``REQUEST_CTX`` (None: not kept)
    request_enc: str | None = None


@dataclass(frozen=True, slots=True)
class NewOutcome:
    attempt_id: int
    outcome: str
    at: datetime
    ring_s: float | None
    talk_s: float | None
    live_answered: bool
    abandoned: bool
    opted_out: bool
    agent_id: int | None
    detail: str | None


@dataclass(frozen=True, slots=True)
class QueueRow:
    queue_id: int
    contact_id: int
    attempts: int


@dataclass(frozen=True, slots=True)
class DueBatch:
    """Contacts due now (at most the limit asked), how many are due in all, and the
    earliest later ``next_at`` of an open entry (UTC-aware; None when there is none)."""

    rows: tuple[QueueRow, ...]
    waiting: int
    next_at: datetime | None


@dataclass(frozen=True, slots=True)
class Interrupted:
    """A queue entry left "dialing" after its attempt was gated."""

    queue_id: int
    attempts: int
    attempt_id: int


class AttemptRepository(Protocol):
    """Call attempts, their outcomes, the campaign queue, and what the gate reads."""

    # --- what the gate reads to build the decision request
    def prefetch_for_gates(self, contact_ids: Collection[int], history: HistoryWindow) -> None:
        """Read ahead, in one go, what ``contact_for_gate`` with a window inside ``history``
        would read for each of these contacts (a batch of gates, whose row locks are held):
        each contact's facts are served once, to its next such call; a repository may
        ignore this (then every call reads for itself)."""
        ...

    def drop_prefetched(self) -> None:
        """Forget what ``prefetch_for_gates`` read and was not served (the batch's gates
        are done: a later read must see the writes since)."""
        ...

    def contact_for_gate(
        self, contact_id: int, history: HistoryWindow | None = None
    ) -> GateContact | None:
        """The contact's gate facts; given ``history``, the repository may read that window
        of calls in the same round trip, for the ``history`` call that follows."""
        ...

    def number_for_gate(self, contact_id: int) -> GateNumber | None: ...

    def firm_name(self, firm_id: int) -> str: ...

    def campaign_for_gate(self, campaign_id: int) -> GateCampaign | None: ...

    def consents_for(self, firm_id: int, number_bidx: str) -> list[GateConsent]: ...

    def internally_suppressed(self, firm_id: int, number_bidx: str) -> bool:
        """On the firm's do-not-call list, or purged from it after retention (tombstone)."""
        ...

    def last_reassigned_check(self, firm_id: int, number_bidx: str) -> ReassignedCheck | None: ...

    def debt_facts(self, firm_id: int, debt_ref: str) -> DebtFacts | None: ...

    def history(
        self, contact_id: int, since: datetime, until: datetime, statuses: Sequence[str]
    ) -> list[PastCall]:
        """Attempts to the contact in [since, until] with one of ``statuses``, oldest first."""
        ...

    def abandonment_30d(self, campaign_id: int, at: datetime) -> tuple[int, int]:
        """(abandoned, live-answered) outcomes of the campaign in the 30 days before ``at``."""
        ...

    # --- attempts and outcomes
    def record(self, attempt: NewAttempt) -> int: ...

    def set_status(self, attempt_id: int, status: str) -> None: ...

    def record_outcome(self, outcome: NewOutcome) -> None: ...

    # --- the campaign queue
    def campaign_status(self, campaign_id: int) -> str: ...

    def due(
        self, campaign_id: int, now: datetime, limit: int, statuses: Sequence[str]
    ) -> DueBatch: ...

    def claim(self, queue_id: int, statuses: Sequence[str]) -> bool:
        """Mark the entry "dialing" if it still has one of ``statuses``; False if not."""
        ...

    def block(
        self, queue_id: int, *, codes: Sequence[str], attempt_id: int, clear_next_at: bool = False
    ) -> None: ...

    def defer(
        self, queue_id: int, *, until: datetime | None, codes: Sequence[str], attempt_id: int
    ) -> None: ...

    def start_dialing(self, queue_id: int, *, attempts: int, attempt_id: int) -> None: ...

    def close_call(
        self, queue_id: int, *, status: str, outcome: str, next_at: datetime | None
    ) -> None:
        """The call of a "dialing" entry ended: ``status`` (done | retry) from now on."""
        ...

    def interrupted(self, campaign_id: int) -> list[Interrupted]: ...

    def requeue_unclaimed(self, campaign_id: int) -> None:
        """Entries claimed ("dialing") but never gated go back to "pending"."""
        ...

    # (for desk)
    def stored_attempt(self, attempt_id: int) -> NewAttempt | None:
        """One attempt as it was recorded, its status now (None: no such attempt)."""
        ...

    # (for desk)
    def queue_callback(self, campaign_id: int, contact_id: int, due_at: datetime) -> bool:
        """Make the contact due again in the campaign's queue at ``due_at`` (status retry),
        adding its entry if it has none; False when the entry is cancelled (an opt-out or a
        stop cancelled it: a callback must not revive it)."""
        ...

    # (for preview) a contact offered to an agent in preview is held "offered"
    def offer(self, queue_id: int, statuses: Sequence[str]) -> bool:
        """Mark the entry "offered" (shown to one agent, not dialled) if it still has one of
        ``statuses``; False if not (another seat or an opt-out took it)."""
        ...

    # (for preview)
    def withdraw_offer(self, queue_id: int, next_at: datetime | None) -> bool:
        """An "offered" entry goes back to "pending", due at ``next_at``; False if it is no
        longer offered."""
        ...

    # (for preview)
    def requeue_offered(self, campaign_id: int) -> int:
        """Every "offered" entry of the campaign goes back to "pending" (a new run: no seat
        shows the offers of a stopped process); returns how many."""
        ...

    # (for preview) a manual call has no queue row: its interruption is found by its attempt
    def dialled_without_outcome(self, campaign_id: int) -> list[int]:
        """Ids of the campaign's attempts marked "dialled" that have no outcome, ascending."""
        ...


class AuditLogRepository(Protocol):
    """Storage for the use cases of this area. Methods are added as services move here."""

    # (for contracts)
    def entries_before(self, before: int | None, limit: int) -> list[dict[str, Any]]:
        """Up to ``limit`` entries' ``seq``, ``at``, ``actor``, ``action`` and ``subject``,
        newest first, with a seq below ``before`` (None: from the newest)."""
        ...

    # (for contracts)
    def owned_ids(self, firm_id: int, kind: str, ids: Collection[int]) -> set[int]:
        """Which of ``ids`` name rows of the firm, for a subject kind of
        ``service.audit_reads.OWNED_KINDS`` ("contact", "attempt", "token", ...)."""
        ...
