"""SQL implementation of ``service.repos.desk`` (agents' seats on the desk)."""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy import Connection, RowMapping, insert, select, update

from lexdial.adapters.db import tables as t
from lexdial.service.repos.desk import DeskSession

_FIELDS = (
    "firm_id", "campaign_id", "state", "reason", "since", "attempt_id", "preview_contact_id",
    "dial_contact_id", "leg_up", "endpoint_id", "version",
)  # fmt: skip


def _session(row: RowMapping) -> DeskSession:
    return DeskSession(user_id=row["user_id"], **{f: row[f] for f in _FIELDS})


class SqlDeskRepository:
    """``DeskRepository`` over the evidence store."""

    __slots__ = ("conn",)

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def session(self, firm_id: int, user_id: int, *, lock: bool = False) -> DeskSession | None:
        s = t.agent_sessions
        q = select(s).where(s.c.firm_id == firm_id, s.c.user_id == user_id)
        row = self.conn.execute(q.with_for_update() if lock else q).first()
        return None if row is None else _session(row._mapping)

    def save(self, session: DeskSession) -> DeskSession:
        s = t.agent_sessions
        saved = replace(session, version=session.version + 1)
        values = {f: getattr(saved, f) for f in _FIELDS}
        done = self.conn.execute(
            update(s).where(s.c.user_id == saved.user_id).values(**values)
        ).rowcount
        if not done:
            self.conn.execute(insert(s).values(user_id=saved.user_id, **values))
        return saved

    def for_campaign(self, firm_id: int, campaign_id: int) -> list[DeskSession]:
        s = t.agent_sessions
        rows = self.conn.execute(
            select(s)
            .where(s.c.firm_id == firm_id, s.c.campaign_id == campaign_id)
            .where(s.c.state != "logged_out")
            .order_by(s.c.user_id)
        )
        return [_session(r._mapping) for r in rows]
