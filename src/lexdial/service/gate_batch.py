"""Group commit for the durable gate: the gates waiting at one moment share ONE
transaction and ONE commit (issue 15 item 6: one commit per gate caps PostgreSQL at its
INSERT+COMMIT floor, about 2 000/s, far below what the gates' CPU allows).

Rule 1: a batch runs its jobs in the order given in the one transaction, so jobs later in
the batch see what the earlier ones wrote (the same contact twice: the second gate sees
the first's attempt).
Rule 2: nothing of a batch is answered before its commit: ``run_batch`` returns the
outcomes only after the transaction committed, so a decision is stored before its dial
exactly as with one transaction per gate.
Rule 3: the audit entries a batch's jobs record are kept aside (``BufferedAudit``) and
appended at the end of the transaction in one write (one lock of the chain's head, one
head read, N chained hashes, one multi-row insert). Every job therefore takes its
contact-row locks before the batch takes the audit lock — the order an opt-out takes them
(contact, then audit) — and the chain holds the lock once per batch, not once per gate.
The entries are made by ``AuditLog.record_many``: the same hashes, the same verification.
Rule 4: a batch is optimistic: no savepoint per job (two round trips each, a third of a
gate's statements on PostgreSQL). If any job raises — a refusal of the use case
(``LexdialError``: gates answer refusals as values, so this is rare), a deadlock with
another process's batch, a busy database, a lost connection — or the end of the batch
fails (the audit append, the commit), the whole transaction rolls back, nothing of it
committed, and every job of the batch runs again alone, one by one in order, each in a
transaction of its own; only that run's value or error is a job's answer. So a failing
job leaves no trace and never takes another's writes with it, and two processes'
batches that lock contacts in opposite orders cannot hang: PostgreSQL breaks the
deadlock, the victim's batch rolls back (releasing its locks) and retries alone.
Rule 5: only a unit of work that can nest (``Savepoints``: the SQL one, whose rollback
undoes every statement of the transaction) is batched; any other runs every job alone.
Rule 6: a run of consecutive jobs that are gates (``GateCall``: contact and instant known
before they run) first takes all their contacts' row locks in one statement and reads all
their facts in another (``gate_request.read_ahead``); each gate is then served its
contact's facts from that read instead of two round trips of its own. The read ahead is
dropped when the run ends, before any other job: only gates run between the read and its
use, and a gate writes nothing another contact's gate reads (its attempt is its own
contact's history; a second gate of the same contact reads again).
Rule 7: a batch's jobs and its audit append run ``pipelined`` (where the store can: on
PostgreSQL, writes whose answers nobody reads go to the server without waiting, and are
answered at the next read or at the block's end). That is safe only because of rule 4: an
error reported late, at a later statement, fails the batch, nothing of it commits, and the
job that caused it is found when every job runs alone, unpipelined.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import datetime
from itertools import groupby
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar, runtime_checkable

from lexdial.domain.audit_chain import AuditItem
from lexdial.service.gate_request import read_ahead
from lexdial.service.ports import Audit, record_all

if TYPE_CHECKING:
    from lexdial.service.storage import UnitOfWork

_T = TypeVar("_T")

#: one gate's work inside a transaction: the unit of work and the audit to record with
GateJob = Callable[["UnitOfWork", Audit], _T]
#: opens one write transaction (``Store.unit_of_work``)
Transactions = Callable[[], AbstractContextManager["UnitOfWork"]]
#: jobs per batch: bounds how long a batch holds its contacts' row locks, what one failing
#: job makes run again alone (rule 4), and how long the store thread is busy with one batch
#: (under 1 ms a gate), which the call flow's next write (an agent's assignment, inside the
#: 2 s rule) may have to wait for. Sixteen since the batch's writes are pipelined (rule 7):
#: its fixed costs (locks and facts in one round trip, the audit append, the commit) shared
#: by twice the gates; bench/gate.py gives the figures against eight (README, Benchmarks)
BATCH_CAP = 16


@runtime_checkable
class Savepoints(Protocol):
    """A unit of work that can nest (``savepoint()``): a transactional store, whose rollback
    undoes every write of the transaction; the mark of what ``GateBatcher`` batches."""

    def savepoint(self) -> AbstractContextManager[object]: ...

    def pipelined(self) -> AbstractContextManager[None]: ...


@dataclass(frozen=True, slots=True)
class GateCall(Generic[_T]):
    """A job that gates ``contact_id`` at ``at`` (and may write that contact's queue row):
    what rule 6 reads ahead for. ``at`` is the instant the job gates at; a job whose own
    instant differs is still judged right (its window falls outside the read, which is
    then not used), only slower."""

    contact_id: int
    at: datetime
    job: GateJob[_T]

    def __call__(self, uow: UnitOfWork, audit: Audit) -> _T:
        return self.job(uow, audit)


@dataclass(slots=True)
class BufferedAudit:
    """The ``Audit`` a batch's jobs record with: entries wait here for the batch's end."""

    items: list[AuditItem] = field(default_factory=list)

    def record(
        self,
        uow: UnitOfWork,
        *,
        at: datetime,
        actor: str,
        action: str,
        subject: str,
        data: dict[str, Any],
        personal: Sequence[str] = (),
    ) -> None:
        # a copy: the entry is made at the batch's end, from the data as it is now
        self.items.append(AuditItem(at, actor, action, subject, dict(data), tuple(personal)))


@dataclass(frozen=True, slots=True)
class Outcome(Generic[_T]):
    """A job's answer: its value, or the exception it raised."""

    value: _T | None = None
    error: BaseException | None = None

    def get(self) -> _T:
        if self.error is not None:
            raise self.error
        return self.value  # type: ignore[return-value]


@dataclass(slots=True)
class GateBatcher:
    """Runs batches of gate jobs over ``transactions``, appending audit through ``audit``."""

    transactions: Transactions
    audit: Audit
    cap: int = BATCH_CAP
    #: batches committed and jobs run alone since made (the bench and tests read them)
    batches: int = 0
    alone: int = 0

    def run_batch(self, jobs: Sequence[GateJob[_T]]) -> list[Outcome[_T]]:
        """Every job's outcome, in order, once committed (rules 1-5)."""
        if len(jobs) == 1:
            return [self.run_alone(jobs[0])]
        try:
            outcomes = self._together(jobs)
        except Exception:  # a job or the end of the batch failed: nothing committed (rule 4)
            outcomes = None
        if outcomes is None:
            return [self.run_alone(job) for job in jobs]
        self.batches += 1
        return outcomes

    def run_alone(self, job: GateJob[_T]) -> Outcome[_T]:
        """``job`` in a transaction of its own, recording its audit entry directly."""
        self.alone += 1
        try:
            with self.transactions() as uow:
                value = job(uow, self.audit)
        except Exception as exc:
            return Outcome(error=exc)
        return Outcome(value)

    def _together(self, jobs: Sequence[GateJob[_T]]) -> list[Outcome[_T]] | None:
        with self.transactions() as uow:
            if not isinstance(uow, Savepoints):
                return None  # rule 5 (nothing was written: the empty transaction ends)
            # an exception leaves the blocks: the transaction rolls back whole (rule 4)
            with uow.pipelined():  # rule 7
                return self._jobs_of(uow, jobs)

    def _jobs_of(self, uow: UnitOfWork, jobs: Sequence[GateJob[_T]]) -> list[Outcome[_T]]:
        """The batch's jobs in ``uow``, in order, then its audit entries (rules 1, 3, 6)."""
        buffer = BufferedAudit()
        outcomes: list[Outcome[_T]] = []
        for gates, run in groupby(jobs, key=lambda job: isinstance(job, GateCall)):
            group = list(run)
            calls = [(g.contact_id, g.at) for g in group if isinstance(g, GateCall)]
            if not (gates and len(calls) > 1):
                outcomes += [Outcome(job(uow, buffer)) for job in group]
                continue
            read_ahead(uow, calls)  # rule 6
            try:
                outcomes += [Outcome(job(uow, buffer)) for job in group]
            finally:
                uow.attempts.drop_prefetched()
        if buffer.items:
            record_all(self.audit, uow, buffer.items)  # rule 3: contacts, then the chain
        return outcomes
