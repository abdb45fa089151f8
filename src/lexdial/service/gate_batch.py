"""Group commit for the durable gate: the gates waiting at one moment share ONE
transaction and ONE commit (issue 15 item 6: one commit per gate caps PostgreSQL at its
INSERT+COMMIT floor, about 2 000/s, far below what the gates' CPU allows).

Rule 1: a batch runs its jobs in the order given, each inside a savepoint of the one
transaction, so a job that fails rolls back alone; jobs later in the batch see what the
earlier ones wrote (the same contact twice: the second gate sees the first's attempt).
Rule 2: nothing of a batch is answered before its commit: ``run_batch`` returns the
outcomes only after the transaction committed, so a decision is stored before its dial
exactly as with one transaction per gate.
Rule 3: the audit entries a batch's jobs record are kept aside (``BufferedAudit``) and
appended at the end of the transaction in one write (one lock of the chain's head, one
head read, N chained hashes, one multi-row insert). Every job therefore takes its
contact-row locks before the batch takes the audit lock — the order an opt-out takes them
(contact, then audit) — and the chain holds the lock once per batch, not once per gate.
The entries are made by ``AuditLog.record_many``: the same hashes, the same verification.
Rule 4: a job that raises a ``LexdialError`` (a refusal of the use case) gets it; any other
error (a deadlock with another process's batch, a busy database, a lost connection) is not
the job's answer: the batch stops there, commits the jobs before it, and that job and the
ones after it run again alone, one by one in order, each in a transaction of its own; only
that run's error is a job's answer. If the end of the batch fails
(the audit append or the commit), nothing of it committed and every job runs alone, one
by one, in order. So two processes' batches that lock contacts in opposite orders cannot
hang: PostgreSQL breaks the deadlock, the victim's job retries alone.
Rule 5: a unit of work without savepoints (``Savepoints``) runs every job alone.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar, runtime_checkable

from lexdial.domain.audit_chain import AuditItem
from lexdial.errors import LexdialError
from lexdial.service.ports import Audit, record_all

if TYPE_CHECKING:
    from lexdial.service.storage import UnitOfWork

_T = TypeVar("_T")

#: one gate's work inside a transaction: the unit of work and the audit to record with
GateJob = Callable[["UnitOfWork", Audit], _T]
#: opens one write transaction (``Store.unit_of_work``)
Transactions = Callable[[], AbstractContextManager["UnitOfWork"]]
#: jobs per batch: PostgreSQL keeps 64 subtransactions per transaction in shared memory;
#: a 65th (each savepoint that writes is one) would slow every other session's snapshots
BATCH_CAP = 64


@runtime_checkable
class Savepoints(Protocol):
    """A unit of work that can nest: ``savepoint()`` rolls back only its block on an error."""

    def savepoint(self) -> AbstractContextManager[object]: ...


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


#: a job that must run again alone (rule 4)
_AGAIN: Outcome[Any] = Outcome()


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
        except Exception:  # the end of the batch failed: nothing of it committed (rule 4)
            return [self.run_alone(job) for job in jobs]
        if outcomes is None:
            return [self.run_alone(job) for job in jobs]
        self.batches += 1
        pairs = zip(jobs, outcomes, strict=True)
        return [self.run_alone(job) if o is _AGAIN else o for job, o in pairs]

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
        outcomes: list[Outcome[_T]] = []
        with self.transactions() as uow:
            if not isinstance(uow, Savepoints):
                return None  # rule 5 (nothing was written: the empty transaction ends)
            buffer = BufferedAudit()
            for job in jobs:
                mark = len(buffer.items)
                try:
                    with uow.savepoint():
                        value = job(uow, buffer)
                except LexdialError as exc:
                    del buffer.items[mark:]
                    outcomes.append(Outcome(error=exc))
                except Exception:
                    # the store failed (rule 4): this job and the rest run alone after the
                    # commit of those before it, which releases their locks at once (a
                    # deadlocked peer goes on, instead of deadlocking on the next job too)
                    del buffer.items[mark:]
                    outcomes.extend([_AGAIN] * (len(jobs) - len(outcomes)))
                    break
                else:
                    outcomes.append(Outcome(value))
            if buffer.items:
                record_all(self.audit, uow, buffer.items)  # rule 3: contacts, then the chain
        return outcomes
