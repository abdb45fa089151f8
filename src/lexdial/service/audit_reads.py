"""Which audit entries a firm's people may read.

Why: the audit trail is one hash chain per store (its status and head are facts about the
store), but its entries name other firms' consents, calls, users and opt-outs. A firm reads
the entries whose subject is one of its own rows, found through the table the subject
names, plus the loads of the national and state registries every firm relies on.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
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
