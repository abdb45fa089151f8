"""Transitional (issue 10, wave 1): moved services and services of other areas that still
speak SQLAlchemy connections, side by side while the areas move one by one.

Rule 1: ``as_uow`` lets a moved use case still be called with a bare connection by a
service of another area that has not moved yet (the dialler, the gate, campaign control);
``legacy_connection`` lets a moved use case call such a service. Each call site names the
other side; when it has moved, pass ``uow`` straight through and drop the call here. The
module goes with its last caller: it is the only place under ``service/`` that knows about
the SQL unit of work, and only lazily.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeAlias, cast

if TYPE_CHECKING:
    from sqlalchemy import Connection

    from lexdial.service.storage import UnitOfWork

    #: what a moved use case accepts while unmoved callers still pass a connection
    UnitOrConnection: TypeAlias = UnitOfWork | Connection


def as_uow(target: UnitOrConnection) -> UnitOfWork:
    """``target`` itself when it is a unit of work; a SQL one over it when a connection."""
    if hasattr(target, "campaigns"):
        return cast("UnitOfWork", target)
    from lexdial.adapters.db.uow import SqlUnitOfWork  # transitional (see the module)

    return SqlUnitOfWork(target)


def legacy_connection(uow: UnitOfWork) -> Any:
    """The connection under a SQL unit of work, for a callee that still takes one."""
    # only a unit of work is unwrapped: a SQLAlchemy Connection's own ``.connection`` is
    # the DBAPI connection, not something a service may use
    return getattr(uow, "connection", uow) if hasattr(uow, "campaigns") else uow
