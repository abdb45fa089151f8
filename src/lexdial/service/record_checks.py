"""The store-wide record check (``record_sweep``) on demand, its last result kept.

Why: comparing every record with the audit trail reads the whole store (minutes at a
million numbers). The web Audit page and ``/v1/audit/verify`` used to run it on every
request, so reloading a page could load the server. They now show the last completed
check (when, by whom, at which audit head, what it found) and run a new one only when an
admin or compliance user asks (``audit.check``). ``lexdial audit verify`` still runs it
every time.

Rule 1: one check at a time per firm, across every process serving the firm: the claim
is a row in the store, not process memory. A second request while one runs is told so
(``start`` returns None) and starts nothing.
Rule 2: a claim lapses at ``running_until`` (a process that died mid-check must not block
checks for ever); a running check renews it as it goes where the database lets it.
Rule 2b: a check that did not finish (its process was killed, or it failed) is not
forgotten: its claim stays in the row, lapsed, and the faces say whose check stopped and
when it had started, until the next check is claimed.
Rule 3: the result kept is the firm's own problems (table, id, field: never a number or a
name) and a count of other firms' problems, as the faces show them.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from lexdial.service.record_sweep import RecordsCheck
from lexdial.service.repos.record_checks import Claim, StoredCheck
from lexdial.service.users import Caller, authorize

if TYPE_CHECKING:
    from lexdial.service.storage import UnitOfWork

#: how long a claim holds without being renewed (rule 2)
LEASE = timedelta(minutes=15)
#: how often a running check renews its claim, at most
RENEW_EVERY = timedelta(minutes=1)


@dataclass(frozen=True, slots=True)
class RecordCheckStatus:
    """What the faces show: the last completed check and the one running now, if any."""

    last: StoredCheck | None  #: None: no check completed yet
    running_by: str | None = None
    running_since: datetime | None = None
    #: when a running check's claim lapses if its process is gone (rule 2)
    running_until: datetime | None = None
    #: the latest check that did not finish: who asked and when it started (rule 2b)
    stopped_by: str | None = None
    stopped_since: datetime | None = None

    @property
    def ok(self) -> bool | None:
        """The last check found nothing (None: there was none)."""
        if self.last is None:
            return None
        return not self.last.problems and not self.last.other_problems

    def to_json(self) -> dict[str, Any]:
        last = self.last
        return {
            "ok": self.ok,
            "checked_at": last.finished_at if last else None,
            "started_at": last.started_at if last else None,
            "checked_by": last.by if last else None,
            "head_seq": last.head_seq if last else None,
            "numbers_checked": last.numbers if last else 0,
            "problems": list(last.problems) if last else [],
            "other_firms_problems": last.other_problems if last else 0,
            "running": None
            if self.running_by is None
            else {"by": self.running_by, "since": self.running_since, "until": self.running_until},
            "stopped": None
            if self.stopped_by is None
            else {"by": self.stopped_by, "since": self.stopped_since},
        }


def status(uow: UnitOfWork, firm_id: int, at: datetime) -> RecordCheckStatus:
    """The firm's last completed check and the check running at ``at`` (a lapsed claim is
    not running: its process is gone, so it is the check that stopped, rule 2b)."""
    row = uow.record_checks.stored(firm_id)
    if row is None:
        return RecordCheckStatus(None)
    last = row if row.finished_at is not None else None
    if row.running_by is None or row.running_until is None:
        return RecordCheckStatus(last)
    if row.running_until > at:
        return RecordCheckStatus(last, row.running_by, row.running_since, row.running_until)
    return RecordCheckStatus(last, stopped_by=row.running_by, stopped_since=row.running_since)


def start(uow: UnitOfWork, caller: Caller, firm_id: int, at: datetime) -> Claim | None:
    """Claim the firm's check for ``caller`` (admin or compliance); None when one is
    running already (rule 1). Run it with ``finish`` (or ``release`` if it fails)."""
    actor = authorize(uow, caller, "audit.check", firm_id)
    claim = Claim(actor, secrets.token_hex(16))
    return claim if uow.record_checks.claim(firm_id, claim, at, at + LEASE) else None


def renew(uow: UnitOfWork, firm_id: int, claim: Claim, at: datetime) -> bool:
    """Keep a running check's claim for another ``LEASE`` from ``at`` (rule 2)."""
    return uow.record_checks.renew(firm_id, claim.token, at + LEASE)


def finish(
    uow: UnitOfWork,
    firm_id: int,
    claim: Claim,
    started_at: datetime,
    at: datetime,
    head_seq: int,
    found: RecordsCheck,
) -> StoredCheck:
    """Keep what the check found as the firm's last check (rule 3); its claim ends."""
    mine = [p.to_json() for p in found.problems if p.firm_id == firm_id]
    result = StoredCheck(
        firm_id=firm_id,
        by=claim.by,
        started_at=started_at,
        finished_at=at,
        head_seq=head_seq,
        numbers=found.numbers,
        problems=tuple(mine),
        other_problems=len(found.problems) - len(mine),
    )
    uow.record_checks.finish(firm_id, claim, result)
    return result


def release(uow: UnitOfWork, firm_id: int, claim: Claim) -> None:
    """Drop a claim whose check never began: nothing is reported about it."""
    uow.record_checks.release(firm_id, claim.token)


def give_up(uow: UnitOfWork, firm_id: int, claim: Claim, at: datetime) -> None:
    """End a check that failed: its claim lapses at ``at`` (another can start at once) and
    the faces say it stopped (rule 2b); the last completed check stays."""
    uow.record_checks.renew(firm_id, claim.token, at)
