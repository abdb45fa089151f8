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
from typing import TYPE_CHECKING

from lexdial.errors import ConfigError
from lexdial.service.ports import Audit

if TYPE_CHECKING:
    from lexdial.service.storage import UnitOfWork


def resolve_firm(
    uow: UnitOfWork, audit: Audit, *, name: str, firm_id: int | None, at: datetime, actor: str
) -> int:
    """The id of the firm the settings name (see module rules), renaming it if need be."""
    rows = uow.firms.names()
    if firm_id is not None:
        if firm_id not in rows:
            raise ConfigError(f"[firm] id = {firm_id}: no such firm in this store ({_list(rows)})")
        if rows[firm_id] != name:
            _rename(uow, audit, firm_id, rows, name, at, actor)
        return firm_id
    named = [i for i, n in rows.items() if n == name]
    if named:
        return named[0]
    if not rows:
        return add_firm(uow, audit, name, at, actor)
    if len(rows) == 1:
        (only,) = rows
        _rename(uow, audit, only, rows, name, at, actor)
        return only
    raise ConfigError(
        f"[firm] name = {name!r} matches no firm of this store, which holds several "
        f"({_list(rows)}); name the one to act for with [firm] id"
    )


def add_firm(uow: UnitOfWork, audit: Audit, name: str, at: datetime, actor: str) -> int:
    """A new firm row (audited)."""
    firm_id = uow.firms.add(name, at)
    audit.record(
        uow, at=at, actor=actor, action="firm.created", subject=f"firm:{firm_id}",
        data={"name": name},
    )  # fmt: skip
    return firm_id


def _rename(
    uow: UnitOfWork,
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
    uow.firms.rename(firm_id, name)
    audit.record(
        uow, at=at, actor=actor, action="firm.renamed", subject=f"firm:{firm_id}",
        data={"from": rows[firm_id], "to": name},
    )  # fmt: skip


def _list(rows: dict[int, str]) -> str:
    return ", ".join(f"#{i} {n!r}" for i, n in sorted(rows.items())) or "none"
