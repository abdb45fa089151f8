"""SQL implementation of ``service.repos.desk`` (agents' seats on the desk)."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from sqlalchemy import Connection, RowMapping, delete, func, insert, select, update

from lexdial.adapters.db import tables as t
from lexdial.service.repos.desk import CallDisposition, DeskSession, DispositionCode

_FIELDS = (
    "firm_id", "campaign_id", "state", "reason", "since", "attempt_id", "preview_contact_id",
    "dial_contact_id", "leg_up", "endpoint_id", "version", "line_request", "dial_manual",
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

    # (for desk) the firm's disposition list and the dispositions recorded

    def disposition_codes(self, firm_id: int) -> list[DispositionCode]:
        d = t.disposition_codes
        rows = self.conn.execute(
            select(d).where(d.c.firm_id == firm_id).order_by(d.c.sort_order, d.c.code)
        )
        return [
            DispositionCode(
                firm_id=r.firm_id, code=r.code, label=r.label, is_callback=bool(r.is_callback),
                active=bool(r.active), sort_order=r.sort_order,
            )
            for r in rows
        ]  # fmt: skip

    def add_disposition_code(self, code: DispositionCode) -> None:
        self.conn.execute(
            insert(t.disposition_codes).values(
                firm_id=code.firm_id, code=code.code, label=code.label,
                is_callback=code.is_callback, active=code.active, sort_order=code.sort_order,
            )
        )  # fmt: skip

    def set_disposition_code_active(self, firm_id: int, code: str, active: bool) -> bool:
        d = t.disposition_codes
        done = self.conn.execute(
            update(d).where(d.c.firm_id == firm_id, d.c.code == code).values(active=active)
        ).rowcount
        return bool(done)

    def disposition(self, attempt_id: int) -> CallDisposition | None:
        d = t.call_dispositions
        r = self.conn.execute(select(d).where(d.c.attempt_id == attempt_id)).first()
        if r is None:
            return None
        return CallDisposition(
            attempt_id=r.attempt_id, firm_id=r.firm_id, user_id=r.user_id, code=r.code,
            notes_enc=r.notes_enc, callback_at=r.callback_at, created_at=r.created_at,
        )  # fmt: skip

    def add_disposition(self, disposition: CallDisposition) -> None:
        x = disposition
        self.conn.execute(
            insert(t.call_dispositions).values(
                attempt_id=x.attempt_id, firm_id=x.firm_id, user_id=x.user_id, code=x.code,
                notes_enc=x.notes_enc, callback_at=x.callback_at, created_at=x.created_at,
            )
        )  # fmt: skip

    def set_disposition_callback(self, attempt_id: int, callback_at: datetime) -> None:
        d = t.call_dispositions
        self.conn.execute(
            update(d).where(d.c.attempt_id == attempt_id).values(callback_at=callback_at)
        )

    def forget_attempts(self, attempt_ids: list[int]) -> None:
        if not attempt_ids:
            return
        d, s = t.call_dispositions, t.agent_sessions
        self.conn.execute(delete(d).where(d.c.attempt_id.in_(attempt_ids)))
        self.conn.execute(
            update(s)
            .where(s.c.attempt_id.in_(attempt_ids))
            .values(attempt_id=None, version=s.c.version + 1)
        )

    # (for desk) the contact directory's name tokens

    def set_name_tokens(self, firm_id: int, contact_id: int, tokens: list[str]) -> None:
        n = t.contact_name_tokens
        self.conn.execute(delete(n).where(n.c.contact_id == contact_id))
        if tokens:
            self.conn.execute(
                insert(n),
                [
                    {"firm_id": firm_id, "contact_id": contact_id, "token_bidx": tok}
                    for tok in sorted(set(tokens))
                ],
            )

    def add_name_tokens_many(self, rows: list[tuple[int, int, list[str]]]) -> None:
        values = [
            {"firm_id": f, "contact_id": c, "token_bidx": tok}
            for f, c, tokens in rows
            for tok in sorted(set(tokens))
        ]
        if values:
            self.conn.execute(insert(t.contact_name_tokens), values)

    def contacts_with_tokens(self, firm_id: int, tokens: list[str], limit: int) -> list[int]:
        wanted = sorted(set(tokens))
        if not wanted:
            return []
        n = t.contact_name_tokens
        q = (
            select(n.c.contact_id)
            .where(n.c.firm_id == firm_id, n.c.token_bidx.in_(wanted))
            .group_by(n.c.contact_id)
            .having(func.count(func.distinct(n.c.token_bidx)) == len(wanted))
            .order_by(n.c.contact_id)
            .limit(limit)
        )
        return [int(r[0]) for r in self.conn.execute(q)]

    def tokened_contacts(self, firm_id: int) -> set[int]:
        n = t.contact_name_tokens
        rows = self.conn.execute(select(n.c.contact_id).where(n.c.firm_id == firm_id).distinct())
        return {int(r[0]) for r in rows}
