"""SQL implementation of ``service.repos.record_checks`` (the last record check of each
firm and the claim of the running one).

Rule 1: a claim is one conditional UPDATE of the firm's row (made first if missing, by an
INSERT that does nothing when another process made it meanwhile): PostgreSQL's row lock,
or SQLite's write lock, makes two claims at once one claim.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from lexdial.adapters.db import tables as t
from lexdial.service.repos.record_checks import Claim, StoredCheck

_C = t.record_checks.c
_IDLE = {"running_by": None, "running_token": None, "running_since": None, "running_until": None}


class SqlRecordCheckRepository:
    """``RecordCheckRepository`` over the evidence store."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def stored(self, firm_id: int) -> StoredCheck | None:
        row = self.conn.execute(select(t.record_checks).where(_C.firm_id == firm_id)).first()
        if row is None:
            return None
        r = row._mapping
        return StoredCheck(
            firm_id=firm_id,
            running_by=r["running_by"],
            running_since=r["running_since"],
            running_until=r["running_until"],
            by=r["last_by"],
            started_at=r["last_started_at"],
            finished_at=r["last_finished_at"],
            head_seq=r["last_head_seq"],
            numbers=r["last_numbers"],
            problems=tuple(r["last_problems"] or ()),
            other_problems=int(r["last_other_problems"] or 0),
        )

    def claim(self, firm_id: int, claim: Claim, at: datetime, until: datetime) -> bool:
        insert = pg_insert if self.conn.dialect.name == "postgresql" else sqlite_insert
        self.conn.execute(insert(t.record_checks).values(firm_id=firm_id).on_conflict_do_nothing())
        taken = self.conn.execute(
            update(t.record_checks)
            .where(_C.firm_id == firm_id, or_(_C.running_by.is_(None), _C.running_until <= at))
            .values(
                running_by=claim.by, running_token=claim.token, running_since=at,
                running_until=until,
            )
        )  # fmt: skip
        return bool(taken.rowcount)

    def renew(self, firm_id: int, token: str, until: datetime) -> bool:
        done = self.conn.execute(
            update(t.record_checks)
            .where(_C.firm_id == firm_id, _C.running_token == token)
            .values(running_until=until)
        )
        return bool(done.rowcount)

    def finish(self, firm_id: int, claim: Claim, result: StoredCheck) -> None:
        self.conn.execute(
            update(t.record_checks)
            .where(_C.firm_id == firm_id)
            .values(
                last_by=result.by,
                last_started_at=result.started_at,
                last_finished_at=result.finished_at,
                last_head_seq=result.head_seq,
                last_numbers=result.numbers,
                last_problems=list(result.problems),
                last_other_problems=result.other_problems,
            )
        )
        self.release(firm_id, claim.token)

    def release(self, firm_id: int, token: str) -> None:
        self.conn.execute(
            update(t.record_checks)
            .where(_C.firm_id == firm_id, _C.running_token == token)
            .values(**_IDLE)
        )
