"""SQL implementations of ``service.repos.views`` (read-only views the faces (CLI, API, web) show:
lists, directories, dashboards).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Select, func, select

from lexdial.adapters.db import tables as t
from lexdial.service.repos.views import AttemptView, CampaignSummary, UserBadge


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

    def user_badge(self, user_id: int) -> UserBadge | None:
        u = t.users.c
        row = self.conn.execute(select(u.id, u.email, u.role).where(u.id == user_id)).first()
        return None if row is None else UserBadge(int(row[0]), str(row[1]), str(row[2]))

    def decision(self, firm_id: int, decision_id: str) -> AttemptView | None:
        a = t.call_attempts.c
        row = (
            self.conn.execute(  # another firm's decision is answered like an unknown one
                _attempts().where(a.decision_id == decision_id, a.firm_id == firm_id)
            )
            .mappings()
            .first()
        )
        return None if row is None else AttemptView(**row)

    def campaigns(self, firm_id: int) -> list[CampaignSummary]:
        c, q, a = t.campaigns.c, t.campaign_contacts.c, t.call_attempts.c
        rows = self.conn.execute(
            select(c.id, c.name, c.purpose, c.mode, c.status)
            .where(c.firm_id == firm_id)
            .order_by(c.id.desc())
        ).mappings()
        listed = list(rows)
        sizes = {
            int(k): int(n)
            for k, n in self.conn.execute(
                select(q.campaign_id, func.count()).group_by(q.campaign_id)
            )
        }
        placed = {
            int(k): int(n)
            for k, n in self.conn.execute(
                select(a.campaign_id, func.count())
                .where(a.status.in_(("dialled", "completed")))
                .group_by(a.campaign_id)
            )
        }
        return [
            CampaignSummary(**r, contacts=sizes.get(r["id"], 0), dialled=placed.get(r["id"], 0))
            for r in listed
        ]

    def firm_name(self, firm_id: int) -> str:
        f = t.firms.c
        return str(self.conn.execute(select(f.name).where(f.id == firm_id)).scalar_one())

    # (for cli)
    def live_contact_ids(self, firm_id: int) -> list[int]:
        c = t.contacts.c
        return [
            int(i)
            for i in self.conn.execute(
                select(c.id).where(c.firm_id == firm_id, c.erased_at.is_(None)).order_by(c.id)
            ).scalars()
        ]
