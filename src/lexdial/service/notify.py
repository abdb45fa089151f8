"""Outgoing events as a projection of the audit trail.

Rule: the events a firm's systems subscribe to (an opt-out honoured, a call's outcome) are
exactly audit entries; wrapping the ``Audit`` port queues them in the outbox in the same
transaction, so an event is sent if and only if what it reports was committed — and no
service needs to know whether webhooks are configured.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from lexdial.service import outbox
from lexdial.service.ports import Audit, AuditItem, record_all
from lexdial.service.storage import UnitOfWork

#: audit action -> outgoing event (the payload is the entry's data plus its subject id)
PUBLISHED = {"optout.honoured": "optout.honoured", "call.outcome": "call.outcome"}


class NotifyingAudit:
    """An ``Audit`` that also queues the published actions for the firm's webhook, through
    the unit of work it is given. ``wrap`` makes one of a bare connection, for the services
    that still pass one (issue 10: bootstrap passes the SQL unit of work's class)."""

    def __init__(self, inner: Audit, wrap: Callable[[Any], UnitOfWork] | None = None) -> None:
        self.inner = inner
        self.wrap = wrap

    def record(
        self,
        uow: Any,
        *,
        at: datetime,
        actor: str,
        action: str,
        subject: str,
        data: dict[str, Any],
        personal: Sequence[str] = (),
    ) -> None:
        self.inner.record(
            uow, at=at, actor=actor, action=action, subject=subject, data=data, personal=personal
        )
        self._publish(uow, at, action, subject, data, personal)

    def record_many(self, uow: Any, items: Sequence[AuditItem]) -> None:
        record_all(self.inner, uow, items)
        for it in items:
            self._publish(uow, it.at, it.action, it.subject, dict(it.data), it.personal)

    def _unit_of_work(self, target: Any) -> UnitOfWork:
        if hasattr(target, "outbox") or self.wrap is None:
            uow: UnitOfWork = target
            return uow
        return self.wrap(target)

    def _publish(
        self,
        target: Any,
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
            outbox.enqueue(self._unit_of_work(target), event, {**payload, kind: int(ident)}, at)
