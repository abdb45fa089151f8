"""Which firm a store acts for, and renaming it.

Rule 1: a store normally holds one firm. Changing ``[firm] name`` in the settings renames
that firm's row (audited, old and new name): its contacts, consents, opt-outs and users stay
its own. It never creates a second, empty firm beside it, which would silently call people
without the first firm's opt-outs and show nobody the first firm's evidence.
Rule 2: when a store really holds several firms, the settings must say which one with
``[firm] id``; a name that matches none of them is refused, listing the firms, not guessed.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, insert, select, update

from lexdial.adapters.db import tables as t
from lexdial.errors import ConfigError
from lexdial.service.ports import Audit


def resolve_firm(
    conn: Connection, audit: Audit, *, name: str, firm_id: int | None, at: datetime, actor: str
) -> int:
    """The id of the firm the settings name (see module rules), renaming it if need be."""
    rows = {int(r[0]): str(r[1]) for r in conn.execute(select(t.firms.c.id, t.firms.c.name))}
    if firm_id is not None:
        if firm_id not in rows:
            raise ConfigError(f"[firm] id = {firm_id}: no such firm in this store ({_list(rows)})")
        if rows[firm_id] != name:
            _rename(conn, audit, firm_id, rows, name, at, actor)
        return firm_id
    named = [i for i, n in rows.items() if n == name]
    if named:
        return named[0]
    if not rows:
        return add_firm(conn, audit, name, at, actor)
    if len(rows) == 1:
        (only,) = rows
        _rename(conn, audit, only, rows, name, at, actor)
        return only
    raise ConfigError(
        f"[firm] name = {name!r} matches no firm of this store, which holds several "
        f"({_list(rows)}); name the one to act for with [firm] id"
    )


def add_firm(conn: Connection, audit: Audit, name: str, at: datetime, actor: str) -> int:
    """A new firm row (audited)."""
    firm_id = t.new_id(conn.execute(insert(t.firms).values(name=name, created_at=at)))
    audit.record(
        conn, at=at, actor=actor, action="firm.created", subject=f"firm:{firm_id}",
        data={"name": name},
    )  # fmt: skip
    return firm_id


def _rename(
    conn: Connection,
    audit: Audit,
    firm_id: int,
    rows: dict[int, str],
    name: str,
    at: datetime,
    actor: str,
) -> None:
    clash = [i for i, n in rows.items() if n == name and i != firm_id]
    if clash:
        raise ConfigError(
            f"[firm] name = {name!r} is already firm #{clash[0]} of this store; "
            f"[firm] id = {firm_id} cannot take it"
        )
    conn.execute(update(t.firms).where(t.firms.c.id == firm_id).values(name=name))
    audit.record(
        conn, at=at, actor=actor, action="firm.renamed", subject=f"firm:{firm_id}",
        data={"from": rows[firm_id], "to": name},
    )  # fmt: skip


def _list(rows: dict[int, str]) -> str:
    return ", ".join(f"#{i} {n!r}" for i, n in sorted(rows.items())) or "none"
