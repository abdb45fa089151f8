"""Which audit entries a firm's people may read, and what a verification of the chain found.

Why: the audit trail is one hash chain per store (its status and head are facts about the
store), but its entries name other firms' consents, calls, users and opt-outs. A firm reads
the entries whose subject is one of its own rows, found through the table the subject
names, plus the loads of the national and state registries every firm relies on.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from lexdial.service.record_checks import RecordCheckStatus
from lexdial.service.record_sweep import NOTHING_CHECKED, RecordsCheck, StoreProblem

if TYPE_CHECKING:
    from lexdial.service.storage import UnitOfWork

#: subject kinds that name one firm's row (``AuditLogRepository.owned_ids`` finds whose);
#: a token is its user's, and so their firm's
OWNED_KINDS = frozenset(
    {"attempt", "campaign", "consent", "contact", "dnc", "firm", "review", "rnd", "user", "token"}
)


@dataclass(frozen=True, slots=True)
class AuditCheck:
    """What verifying the audit chain found, the one result every face shows (CLI, API,
    web page): the chain walked against every signed checkpoint (and an exported anchor),
    and the checkpoint file's own lines whose signature fails."""

    chain_ok: bool  #: every entry chains and every anchor/checkpoint entry is still held
    count: int  #: entries that chain correctly (all of them when intact)
    head_seq: int  #: the last entry that chains correctly (0 when none)
    head_hash: str
    bad_seq: int | None = None  #: the first entry out of place, when broken
    problem: str | None = None  #: edited, relinked, deleted, reordered, truncated, rewritten
    detail: str = ""
    checkpoints: int = 0  #: signed checkpoints whose entry the chain was checked against
    checkpoint_problems: tuple[str, ...] = ()  #: checkpoint lines whose signature fails
    #: every consent, decision, outcome and opt-out compared with its audit entries
    records: RecordsCheck = NOTHING_CHECKED
    #: instead of ``records`` (the API and the web pages): the last such comparison kept,
    #: and the one running now (``record_checks``)
    last_check: RecordCheckStatus | None = None

    @property
    def ok(self) -> bool:
        """Intact: the chain holds, no checkpoint line was tampered with and every record
        still says what its audit entries recorded (with ``last_check``: when the last
        comparison did; none yet leaves the chain's word)."""
        if self.last_check is not None:
            records_ok = self.last_check.ok is not False
        else:
            records_ok = self.records.ok
        return self.chain_ok and not self.checkpoint_problems and records_ok

    def record_problems(self, firm_id: int | None = None) -> list[StoreProblem]:
        """The records that disagree with the trail (``firm_id``: only that firm's)."""
        return [p for p in self.records.problems if firm_id is None or p.firm_id == firm_id]

    @property
    def head(self) -> str:
        """The head as an anchor to keep outside the database (``SEQ:HASH``)."""
        return f"{self.head_seq}:{self.head_hash}"

    def to_json(self, firm_id: int | None = None) -> dict[str, Any]:
        """``firm_id``: a firm's face names only its own records; the others are counted
        (the verdict is the store's, like the chain's). With ``last_check``, ``records`` is
        the last comparison kept (``RecordCheckStatus.to_json``: when, by whom, at which
        audit head, and the one running now)."""
        mine = self.record_problems(firm_id)
        if self.last_check is not None:
            records = self.last_check.to_json()
        else:
            records = {
                "ok": self.records.ok,
                "numbers_checked": self.records.numbers,
                "problems": [p.to_json() for p in mine],
                "other_firms_problems": len(self.records.problems) - len(mine),
            }
        return {
            "ok": self.ok,
            "count": self.count,
            "head": {"seq": self.head_seq, "hash": self.head_hash},
            "bad_seq": self.bad_seq,
            "problem": self.problem,
            "detail": self.detail,
            "checkpoints": self.checkpoints,
            "checkpoint_problems": list(self.checkpoint_problems),
            "records": records,
        }


#: facts every firm of the store shares (a registry list is national, not a firm's)
_SHARED = frozenset({"registry"})
_PAGE = 500


def firm_entries(uow: UnitOfWork, firm_id: int, limit: int = 25) -> list[dict[str, Any]]:
    """The latest ``limit`` audit entries the firm may read, newest first."""
    out: list[dict[str, Any]] = []
    before: int | None = None
    while len(out) < limit:
        rows = uow.audit_log.entries_before(before, _PAGE)
        if not rows:
            break
        mine = _owned(uow, firm_id, (str(r["subject"]) for r in rows))
        out += [r for r in rows if r["subject"] in mine][: limit - len(out)]
        before = int(rows[-1]["seq"])
    return out


def _owned(uow: UnitOfWork, firm_id: int, subjects: Iterable[str]) -> set[str]:
    wanted: dict[str, set[int]] = defaultdict(set)
    mine: set[str] = set()
    for subject in subjects:
        kind, _, ident = subject.partition(":")
        if kind in _SHARED:
            mine.add(subject)
        elif kind in OWNED_KINDS and ident.isdigit():
            wanted[kind].add(int(ident))
    for kind, ids in wanted.items():
        mine.update(f"{kind}:{i}" for i in uow.audit_log.owned_ids(firm_id, kind, ids))
    return mine


#: the audit action that makes a store a sandbox (``bootstrap.sandbox``: a database's mark,
#: and a SQLite sandbox's mark when it has its own clock)
SANDBOX_ACTION = "store.sandboxed"


def sandbox_marked(uow: UnitOfWork, firm_id: int) -> bool:
    """Whether the store's audit trail marks it a sandbox (made for the firm ``firm_id``):
    every record in it may be simulated, so no report of it may read as evidence. A SQLite
    sandbox marked only by its folder's ``SANDBOX`` file is known to bootstrap, not here:
    its faces say so (``simulated=``)."""
    entries = uow.reports.audit_entries_about([f"firm:{firm_id}"])
    return any(e.get("action") == SANDBOX_ACTION for e in entries)
