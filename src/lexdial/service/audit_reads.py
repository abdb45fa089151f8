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
from typing import Any

from sqlalchemy import Column, Connection, select

from lexdial.adapters.db import tables as t

#: subject kind -> (the table's id column, its firm column)
_OWNED: dict[str, tuple[Column[Any], Column[Any]]] = {
    "attempt": (t.call_attempts.c.id, t.call_attempts.c.firm_id),
    "campaign": (t.campaigns.c.id, t.campaigns.c.firm_id),
    "consent": (t.consents.c.id, t.consents.c.firm_id),
    "contact": (t.contacts.c.id, t.contacts.c.firm_id),
    "dnc": (t.dnc_entries.c.id, t.dnc_entries.c.firm_id),
    "firm": (t.firms.c.id, t.firms.c.id),
    "review": (t.review_items.c.id, t.review_items.c.firm_id),
    "rnd": (t.reassigned_checks.c.id, t.reassigned_checks.c.firm_id),
    "user": (t.users.c.id, t.users.c.firm_id),
}


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

    @property
    def ok(self) -> bool:
        """Intact: the chain holds and no checkpoint line was tampered with."""
        return self.chain_ok and not self.checkpoint_problems

    @property
    def head(self) -> str:
        """The head as an anchor to keep outside the database (``SEQ:HASH``)."""
        return f"{self.head_seq}:{self.head_hash}"

    def to_json(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "count": self.count,
            "head": {"seq": self.head_seq, "hash": self.head_hash},
            "bad_seq": self.bad_seq,
            "problem": self.problem,
            "detail": self.detail,
            "checkpoints": self.checkpoints,
            "checkpoint_problems": list(self.checkpoint_problems),
        }


#: facts every firm of the store shares (a registry list is national, not a firm's)
_SHARED = frozenset({"registry"})
_PAGE = 500


def firm_entries(conn: Connection, firm_id: int, limit: int = 25) -> list[dict[str, Any]]:
    """The latest ``limit`` audit entries the firm may read, newest first."""
    a = t.audit_log.c
    out: list[dict[str, Any]] = []
    before: int | None = None
    while len(out) < limit:
        query = select(a.seq, a.at, a.actor, a.action, a.subject).order_by(a.seq.desc())
        if before is not None:
            query = query.where(a.seq < before)
        rows = [dict(r) for r in conn.execute(query.limit(_PAGE)).mappings()]
        if not rows:
            break
        mine = _owned(conn, firm_id, (str(r["subject"]) for r in rows))
        out += [r for r in rows if r["subject"] in mine][: limit - len(out)]
        before = int(rows[-1]["seq"])
    return out


def _owned(conn: Connection, firm_id: int, subjects: Iterable[str]) -> set[str]:
    wanted: dict[str, set[int]] = defaultdict(set)
    mine: set[str] = set()
    for subject in subjects:
        kind, _, ident = subject.partition(":")
        if kind in _SHARED:
            mine.add(subject)
        elif (kind in _OWNED and ident.isdigit()) or (kind == "token" and ident.isdigit()):
            wanted[kind].add(int(ident))
    for kind, ids in wanted.items():
        if kind == "token":  # a token is its user's, and so their firm's
            k = t.api_tokens.c
            query = (
                select(k.id)
                .join(t.users, t.users.c.id == k.user_id)
                .where(k.id.in_(ids), t.users.c.firm_id == firm_id)
            )
        else:
            id_col, firm_col = _OWNED[kind]
            query = select(id_col).where(id_col.in_(ids), firm_col == firm_id)
        mine.update(f"{kind}:{i}" for i in conn.execute(query).scalars())
    return mine
