"""SQL implementations of ``service.repos.views`` (read-only views the faces (CLI, API, web) show:
lists, directories, dashboards).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Select, select

from lexdial.adapters.db import tables as t
from lexdial.service.repos.views import AttemptView


def _attempts() -> Select[Any]:
    """Attempts × outcomes (an attempt has at most one outcome)."""
    a, o = t.call_attempts.c, t.call_outcomes.c
    return select(
        a.id,
        a.contact_id,
        a.campaign_id,
        a.at,
        a.purpose,
        a.technology,
        a.status,
        a.verdict,
        a.decision_id,
        a.earliest_allowed_at,
        a.rulepack,
        a.decision,
        o.outcome,
        o.ring_s,
        o.talk_s,
    ).select_from(t.call_attempts.outerjoin(t.call_outcomes, o.attempt_id == a.id))


class SqlViewRepository:
    """``ViewRepository`` over the evidence store."""

    __slots__ = ("conn",)

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def contact_attempts(self, contact_id: int) -> list[AttemptView]:
        a = t.call_attempts.c
        query = _attempts().where(a.contact_id == contact_id).order_by(a.at, a.id)
        return [AttemptView(**r) for r in self.conn.execute(query).mappings()]

    def campaign_attempts(self, campaign_id: int, limit: int, offset: int) -> list[AttemptView]:
        a = t.call_attempts.c
        query = (
            _attempts()
            .where(a.campaign_id == campaign_id)
            .order_by(a.id)
            .limit(limit)
            .offset(offset)
        )
        return [AttemptView(**r) for r in self.conn.execute(query).mappings()]
