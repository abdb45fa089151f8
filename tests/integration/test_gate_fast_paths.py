"""The gate's fast paths (issue 15 item 6) keep their guarantees on both backends: the
remembered audit head never forks the chain, and the one-statement contact read answers
what the separate reads answered."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import Engine, insert, select, text

from lexdial.adapters.audit.sql import SqlAudit, SqlAuditStore
from lexdial.adapters.db import database
from lexdial.adapters.db import tables as t
from lexdial.adapters.db.database import make_engine
from lexdial.adapters.db.repos.calls import SqlAttemptRepository
from lexdial.adapters.db.uow import SqlUnitOfWork
from lexdial.domain.audit_chain import verify
from lexdial.service.repos.calls import NewAttempt

from .conftest import drop_backend

pytestmark = pytest.mark.integration

NOW = datetime(2026, 12, 2, 16, 0, tzinfo=UTC)


def _record(store: Engine, i: int) -> None:
    with store.begin() as conn:
        SqlAudit().record(
            SqlUnitOfWork(conn), at=NOW + timedelta(minutes=i), actor="system",
            action="user.action", subject=f"contact:{i}", data={"i": i},
        )  # fmt: skip


def _chain(store: Engine) -> tuple[bool, list[int]]:
    with store.connect() as conn:
        ok = verify(SqlAuditStore(conn)).ok
        seqs = list(conn.execute(select(t.audit_log.c.seq).order_by(t.audit_log.c.seq)).scalars())
    return ok, seqs


def test_an_entry_another_writer_appended_is_chained_onto_not_forked(store: Engine) -> None:
    before = len(_chain(store)[1])
    other = make_engine(store.url.render_as_string(hide_password=False))
    try:
        _record(store, 0)
        _record(other, 1)  # the first engine's remembered head is now stale
        _record(store, 2)
        _record(store, 3)
    finally:
        other.dispose()
    assert _chain(store) == (True, list(range(1, before + 5)))


def test_an_append_that_rolled_back_is_not_taken_for_the_head(store: Engine) -> None:
    before = len(_chain(store)[1])
    _record(store, 0)
    with store.connect() as conn, conn.begin() as tx:
        SqlAudit().record(SqlUnitOfWork(conn), at=NOW, actor="system", action="user.action",
                          subject="contact:9", data={})  # fmt: skip
        tx.rollback()
    _record(store, 1)
    assert _chain(store) == (True, list(range(1, before + 3)))


def _contact(conn: object, bidx: str | None) -> int:
    c = conn.execute(  # type: ignore[attr-defined]
        insert(t.contacts).values(firm_id=1, relationship="none", created_at=NOW)
    ).inserted_primary_key[0]
    if bidx is not None:
        conn.execute(  # type: ignore[attr-defined]
            insert(t.contact_numbers).values(
                contact_id=c, firm_id=1, number_enc="enc", number_bidx=bidx, created_at=NOW
            )
        )
    return int(c)


def test_the_one_statement_contact_read_answers_like_the_separate_reads(store: Engine) -> None:
    with store.begin() as conn:
        plain, listed, gone, bare = (_contact(conn, b) for b in ("b1", "b2", "b3", None))
        conn.execute(insert(t.dnc_entries).values(firm_id=1, number_bidx="b2", at=NOW,
                                                  channel="staff", created_at=NOW))  # fmt: skip
        conn.execute(insert(t.dnc_tombstones).values(firm_id=1, number_bidx="b3", first_at=NOW,
                                                     purged_at=NOW))  # fmt: skip
        for on, result in ((date(2026, 11, 1), "no"), (date(2026, 11, 20), "yes")):
            row = {"firm_id": 1, "number_bidx": "b1", "result": result, "checked_on": on}
            conn.execute(insert(t.reassigned_checks).values(**row, created_at=NOW))
        for i, kind in enumerate(("express", "written")):
            consent = conn.execute(insert(t.consents).values(
                contact_id=plain, firm_id=1, number_bidx="b1", kind=kind, scope=["reminder"],
                technologies=None if i else ["prerecorded"], sellers=["H&R"], given_at=NOW,
                method="staff", disclosure_version="v1", disclosure_sha256="d" * 64,
                captured_by="staff:1", evidence_sha256=f"{i}" * 64, created_at=NOW,
            )).inserted_primary_key[0]  # fmt: skip
        conn.execute(insert(t.revocations).values(consent_id=consent, at=NOW, channel="sms",
                                                  created_at=NOW))  # fmt: skip
    with store.begin() as conn:
        separate = SqlAttemptRepository(conn).consents_for(1, "b1")
    assert [(c.kind, c.revoked_at is not None) for c in separate] == [
        ("express", False),
        ("written", True),
    ]
    with store.begin() as conn:
        repo = SqlAttemptRepository(conn)
        assert repo.contact_for_gate(plain) is not None
        assert repo.consents_for(1, "b1") == separate
        number = repo.number_for_gate(plain)
        assert number is not None and number.number_bidx == "b1"
        assert repo.firm_name(1) == "Hartwell & Ruiz LLP"
        assert repo.internally_suppressed(1, "b1") is False
        check = repo.last_reassigned_check(1, "b1")
        assert check is not None and (check.result, check.checked_on) == ("yes", date(2026, 11, 20))
        # each fact is served once: a later read in the same transaction sees a new entry
        conn.execute(insert(t.dnc_entries).values(firm_id=1, number_bidx="b1", at=NOW,
                                                  channel="staff", created_at=NOW))  # fmt: skip
        assert repo.internally_suppressed(1, "b1") is True
        for contact, bidx, expected in ((listed, "b2", True), (gone, "b3", True)):
            assert repo.contact_for_gate(contact) is not None
            assert repo.consents_for(1, bidx) == []
            assert repo.internally_suppressed(1, bidx) is expected
            assert repo.last_reassigned_check(1, bidx) is None
        assert repo.contact_for_gate(bare) is not None
        assert repo.number_for_gate(bare) is None
        assert repo.contact_for_gate(10_000) is None
        assert repo.number_for_gate(10_000) is None


def test_a_pooled_connection_the_server_dropped_is_replaced_before_use(
    store: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    if store.dialect.name != "postgresql":
        pytest.skip("SQLite has no server to lose")
    monkeypatch.setattr(database, "PING_AFTER_IDLE_S", 0.0)  # every connection counts as idle
    with store.connect() as conn:
        pid = conn.exec_driver_sql("SELECT pg_backend_pid()").scalar_one()
    drop_backend(store, pid)
    with store.connect() as conn:  # the pooled connection is dead: the ping replaces it
        assert conn.exec_driver_sql("SELECT pg_backend_pid()").scalar_one() != pid


def test_the_decision_stored_as_orjson_text_reads_back_as_the_same_json(store: Engine) -> None:
    decision = {
        "decision_id": "d-1", "verdict": "deny", "earliest_allowed_at": None,
        "reasons": [{"code": "QUIET_HOURS", "citation": "Loi n° 2020-901 — art. 1", "rules": []}],
        "notes": [], "input_digest": "ab" * 32,
    }  # fmt: skip
    with store.begin() as conn:
        contact = _contact(conn, "b1")
        attempt = SqlAttemptRepository(conn).record(
            NewAttempt(
                firm_id=1, contact_id=contact, campaign_id=None, number_bidx="b1", at=NOW,
                purpose="reminder", technology="prerecorded", subject=None, debt_ref=None,
                status="denied", decision_id="d-1", verdict="deny", earliest_allowed_at=None,
                rulepack="2026.11", decision=decision, created_at=NOW,
            )
        )  # fmt: skip
    with store.connect() as conn:
        a = t.call_attempts.c
        stored = conn.execute(select(a.decision).where(a.id == attempt)).scalar_one()
        if store.dialect.name == "postgresql":  # a JSON value to the server, not a string
            typeof = text("SELECT json_typeof(decision) FROM call_attempts WHERE id = :i")
            kind = conn.execute(typeof, {"i": attempt}).scalar_one()
            assert kind == "object"
    assert stored == decision
