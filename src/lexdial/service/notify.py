"""Outgoing events as a projection of the audit trail.

Rule: the events a firm's systems subscribe to (an opt-out honoured, a call's outcome) are
exactly audit entries; wrapping the ``Audit`` port queues them in the outbox in the same
transaction, so an event is sent if and only if what it reports was committed — and no
service needs to know whether webhooks are configured.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection

from lexdial.adapters.audit.chain import AuditItem
from lexdial.service import outbox
from lexdial.service.ports import Audit, record_all

#: audit action -> outgoing event (the payload is the entry's data plus its subject id)
PUBLISHED = {"optout.honoured": "optout.honoured", "call.outcome": "call.outcome"}


class NotifyingAudit:
    """An ``Audit`` that also queues the published actions for the firm's webhook."""

    def __init__(self, inner: Audit) -> None:
        self.inner = inner

    def record(
        self,
        conn: Any,
        *,
        at: datetime,
        actor: str,
        action: str,
        subject: str,
        data: dict[str, Any],
        personal: Sequence[str] = (),
    ) -> None:
        self.inner.record(
            conn, at=at, actor=actor, action=action, subject=subject, data=data, personal=personal
        )
        self._publish(_connection(conn), at, action, subject, data, personal)

    def record_many(self, conn: Any, items: Sequence[AuditItem]) -> None:
        record_all(self.inner, conn, items)
        for it in items:
            self._publish(
                _connection(conn), it.at, it.action, it.subject, dict(it.data), it.personal
            )

    def _publish(
        self,
        conn: Connection,
        at: datetime,
        action: str,
        subject: str,
        data: dict[str, Any],
        personal: Sequence[str],
    ) -> None:
        event = PUBLISHED.get(action)
        if event is not None:
            kind, _, ident = subject.partition(":")
            payload = {k: v for k, v in data.items() if k not in personal}
            outbox.enqueue(conn, event, {**payload, kind: int(ident)}, at)


def _connection(target: Any) -> Connection:
    # transitional (issue 10): services pass a unit of work or, until they move, a connection
    if isinstance(target, Connection):
        return target
    conn: Connection = target.connection
    return conn
