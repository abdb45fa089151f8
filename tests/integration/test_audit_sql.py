"""The audit chain stored in SQL: facts and their entries commit together, and
`verify` detects an edited, deleted or reordered row on both backends."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, delete, select, update

from lexdial.adapters.audit.sql import SqlAudit, SqlAuditStore
from lexdial.adapters.db import tables as t
from lexdial.adapters.db.uow import SqlUnitOfWork
from lexdial.domain.audit_chain import verify
from lexdial.errors import RequestError
from lexdial.service.consent import revoke_consent
from lexdial.service.users import OPERATOR as STAFF

pytestmark = pytest.mark.integration

NOW = datetime(2026, 12, 2, 16, 0, tzinfo=UTC)


def _fill(store: Engine, n: int = 5) -> None:
    audit = SqlAudit()
    for i in range(n):
        with store.begin() as conn:
            audit.record(
                SqlUnitOfWork(conn),
                at=NOW + timedelta(minutes=i),
                actor="staff:1",
                action="user.action",
                subject=f"contact:{i}",
                data={"i": i, "number": "+14105550146"},
                personal=["number"],
            )


def _verify(store: Engine) -> tuple[bool, int | None]:
    with store.connect() as conn:
        result = verify(SqlAuditStore(conn))
    return result.ok, result.bad_seq


def test_an_intact_stored_chain_verifies_and_holds_no_number_in_clear(store: Engine) -> None:
    _fill(store)
    assert _verify(store) == (True, None)
    with store.connect() as conn:
        rows = conn.execute(select(t.audit_log.c.data)).scalars().all()
    assert all("5550146" not in r for r in rows)


def test_an_entry_rolls_back_with_the_fact_it_records(store: Engine) -> None:
    with store.begin() as conn, pytest.raises(RequestError):
        revoke_consent(
            SqlUnitOfWork(conn), _cipher(), SqlAudit(), 1, 42, "sms", NOW, None, STAFF, NOW
        )
    with store.connect() as conn:
        assert conn.execute(select(t.audit_log)).first() is None


def _cipher():  # type: ignore[no-untyped-def]
    from lexdial.service.fakes import Reversible

    return Reversible()


@pytest.mark.parametrize(
    ("tamper", "bad_seq"),
    [
        pytest.param(
            lambda c: c.execute(
                update(t.audit_log).where(t.audit_log.c.seq == 3).values(data='{"i":99}')
            ),
            3,
            id="an-edited-entry",
        ),
        pytest.param(
            lambda c: c.execute(
                update(t.audit_log).where(t.audit_log.c.seq == 2).values(actor="someone-else")
            ),
            2,
            id="an-edited-actor",
        ),
        pytest.param(
            lambda c: c.execute(delete(t.audit_log).where(t.audit_log.c.seq == 3)),
            3,
            id="a-deleted-entry",
        ),
    ],
)
def test_tampering_with_a_stored_entry_is_detected(store: Engine, tamper, bad_seq: int) -> None:  # type: ignore[no-untyped-def]
    _fill(store)
    with store.begin() as conn:
        tamper(conn)
    ok, seq = _verify(store)
    assert not ok
    assert seq == bad_seq


def test_reordering_two_stored_entries_is_detected(store: Engine) -> None:
    _fill(store)
    with store.begin() as conn:
        rows = {r["seq"]: dict(r) for r in conn.execute(select(t.audit_log)).mappings()}
        conn.execute(delete(t.audit_log).where(t.audit_log.c.seq.in_([2, 3])))
        for old, new in ((2, 3), (3, 2)):
            row = rows[old]
            row["seq"] = new
            conn.execute(t.audit_log.insert().values(**row))
    ok, seq = _verify(store)
    assert not ok and seq == 2


def test_a_batch_of_entries_appended_in_one_write_reads_back_exactly_and_verifies(
    store: Engine,
) -> None:
    from lexdial.domain.audit_chain import AuditItem, AuditLog

    at = datetime(2026, 12, 2, 16, 0, 0, 123456, tzinfo=UTC)
    items = [
        AuditItem(at + timedelta(microseconds=i), "system", "decision.recorded",
                  f"attempt:{i}", {"i": i, "note": "Loi n° 2020-901 — « é »", "none": None,
                                   "who": {"name": "Zoë"}}, ("who.name",) if i % 2 else ())
        for i in range(8)
    ]  # fmt: skip
    with store.begin() as conn:
        made = AuditLog(SqlAuditStore(conn)).record_many(items)
    with store.connect() as conn:
        stored = list(SqlAuditStore(conn).iter_entries())[-8:]
    assert stored == made
    assert _verify(store) == (True, None)
