"""The evidence reports from a real store: a campaign run over the simulated carrier on
SQLite (and PostgreSQL when reachable), its report data checked against the database, and
the PDFs read back with pypdf."""

from __future__ import annotations

import asyncio
import io
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader
from sqlalchemy import func, insert, select
from sqlalchemy import text as sql

from lexdial.adapters.audit.sql import SqlAudit, SqlAuditStore
from lexdial.adapters.db import tables as t
from lexdial.adapters.db.database import make_engine
from lexdial.adapters.db.uow import SqlUnitOfWork, transactions
from lexdial.adapters.telephony.simulated import SimProfile, SimulatedCarrier
from lexdial.bootstrap import Store, init_store
from lexdial.config import Settings
from lexdial.domain.audit_chain import verify
from lexdial.rules.context import Policy
from lexdial.service import evidence
from lexdial.service.campaigns import add_contacts, create_campaign, set_status
from lexdial.service.consent import ConsentEvidence, NewConsent, record_consent
from lexdial.service.contacts import NewContact, add_contact
from lexdial.service.dialer import Dialer, RunStats
from lexdial.service.fakes import ListAudit, MemoryRegistry
from lexdial.service.report_data import campaign_data, dnc_policy_data, roster_data
from lexdial.service.report_pdf import campaign_pdf, dnc_policy_pdf, evidence_pdf, roster_pdf
from lexdial.service.users import OPERATOR, add_user, attest_training

pytestmark = pytest.mark.integration

START = datetime(2026, 12, 2, 15, 0, tzinfo=UTC)  # Wed 10:00 in New York
END = START + timedelta(hours=6)
FIRM = "Hartwell & Ruiz LLP"
TEXT = (
    "Hello, this is Hartwell and Ruiz with a reminder of your appointment on Friday. "
    "Please call us at 614-555-0199. To stop these calls, press 9 now."
)
SPEC: dict[str, Any] = {
    "name": "Reminders",
    "purpose": "reminder",
    "mode": "broadcast",
    "caller_id": "+16145550199",
    "message": {"text": TEXT},
    "retry": {"max_attempts": 2, "delay_minutes": 30},
}
EVIDENCE = ConsentEvidence(
    method="signed engagement letter",
    disclosure_text="I agree that Hartwell & Ruiz LLP may call me with reminders.",
    disclosure_version="2026-01",
    captured_by="intake",
    document_ref="DMS-1",
)


def _campaign_data(store: Store, campaign_id: int, at: datetime) -> dict[str, Any]:
    with store.reading() as uow:
        return campaign_data(
            uow,
            store.rules,
            store.cipher,
            store.registry,
            firm_id=store.firm_id,
            campaign_id=campaign_id,
            at=at,
        )


def _policy_data(store: Store, at: datetime) -> dict[str, Any]:
    with store.reading() as uow:
        return dnc_policy_data(
            uow, store.cipher, store.settings, store.rules, firm_id=store.firm_id, at=at
        )


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """A store as ``open_store`` builds it (SQLite file, or PostgreSQL when reachable)."""
    env = {"LEXDIAL_DATA_DIR": str(tmp_path / "data")}
    if request.param == "postgresql":
        env["LEXDIAL_DATABASE_URL"] = request.getfixturevalue("pg_url")
        engine = make_engine(env["LEXDIAL_DATABASE_URL"])
        with engine.begin() as conn:  # each test starts from an empty schema
            conn.execute(sql("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        engine.dispose()
    s = init_store(Settings(policy=Policy(), firm_name=FIRM), env, now=START - timedelta(days=41))
    yield s
    s.db.dispose()


def _number(i: int) -> str:
    return f"+1614555{1000 + i:04d}"


def _people(store: Store, n: int) -> list[int]:
    ids, audit, given = [], SqlAudit(), START - timedelta(days=40)
    with store.db.begin() as conn:
        for i in range(n):
            new = NewContact(numbers=((_number(i), "wireless"),), relationship="current_client",
                             address={"country": "US", "state": "OH"})  # fmt: skip
            ids.append(
                add_contact(
                    SqlUnitOfWork(conn),
                    store.cipher,
                    store.firm_id,
                    new,
                    given,
                    audit=ListAudit(),
                    caller=OPERATOR,
                )
            )
            consent = NewConsent(_number(i), "express", ["reminder"], [FIRM], given, EVIDENCE)
            record_consent(
                SqlUnitOfWork(conn), store.cipher, audit, store.firm_id, consent, OPERATOR, given
            )
    return ids


def _campaign(store: Store, ids: list[int], spec: dict[str, Any] | None = None) -> int:
    audit = SqlAudit()
    with store.db.begin() as conn:
        cid = create_campaign(
            SqlUnitOfWork(conn), audit, store.firm_id, spec or SPEC, OPERATOR, START
        )
        add_contacts(SqlUnitOfWork(conn), audit, store.firm_id, cid, ids, OPERATOR, START)
        set_status(SqlUnitOfWork(conn), audit, store.firm_id, cid, "start", OPERATOR, START)
    return cid


def _run(store: Store, cid: int, carrier: SimulatedCarrier, start: datetime) -> RunStats:
    async def go() -> RunStats:
        loop = asyncio.get_running_loop()
        t0 = loop.time()
        dialer = Dialer(
            transactions=transactions(store.db), engine=store.rules, cipher=store.cipher,
            audit=SqlAudit(),
            registry=MemoryRegistry(), firm_id=store.firm_id, telephony=carrier,
            clock=lambda: start + timedelta(seconds=(loop.time() - t0) / carrier.timescale),
        )  # fmt: skip
        return await dialer.run(cid, until=start + timedelta(hours=3))

    return asyncio.run(go())


def _text(pdf: bytes) -> str:
    assert pdf.startswith(b"%PDF-")
    return "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)


@pytest.fixture
def ran(store: Store) -> tuple[Store, int, list[int]]:
    """Campaign 1 dialled with opt-outs; campaign 2 to the same people later, so the gate
    meets every opt-out again; a register snapshot on file."""
    with store.db.begin() as conn:
        conn.execute(insert(t.registry_snapshots).values(
            list_name="us-national", snapshot_on=date(2026, 11, 25), count=250_000_000,
            manifest_sha256="ab" * 32, loaded_at=START - timedelta(days=6)))  # fmt: skip
    ids = _people(store, 12)
    cid = _campaign(store, ids)
    stats = _run(store, cid, SimulatedCarrier(SimProfile(opt_out=0.3), seed=3, timescale=0.0005),
                 START)  # fmt: skip
    assert stats.opt_outs > 0 and stats.carrier_errors == 0
    cid2 = _campaign(store, ids, {**SPEC, "name": "Again"})
    _run(store, cid2, SimulatedCarrier(seed=2, timescale=0.0005), START + timedelta(hours=4))
    return store, cid, ids


def test_the_campaign_report_data_agrees_with_the_store(ran: tuple[Store, int, list[int]]) -> None:
    store, cid, _ = ran
    data = _campaign_data(store, cid, END)
    a, o = t.call_attempts.c, t.call_outcomes.c
    with store.db.connect() as conn:
        placed = conn.execute(
            select(func.count()).where(a.campaign_id == cid, a.status.in_(("dialled", "completed")))
        ).scalar_one()
        decisions = conn.execute(select(func.count()).where(a.campaign_id == cid)).scalar_one()
        outcomes = dict(
            conn.execute(
                select(o.outcome, func.count())
                .select_from(t.call_outcomes.join(t.call_attempts, a.id == o.attempt_id))
                .where(a.campaign_id == cid)
                .group_by(o.outcome)
            ).all()
        )
        live = conn.execute(
            select(func.count())
            .select_from(t.call_outcomes.join(t.call_attempts, a.id == o.attempt_id))
            .where(a.campaign_id == cid, o.live_answered.is_(True))
        ).scalar_one()
        dnc = conn.execute(select(func.count()).select_from(t.dnc_entries)).scalar_one()
        head = verify(SqlAuditStore(conn)).head
    summary = data["summary"]
    assert summary["dialled"] == placed > 0 and summary["decisions"] == decisions
    assert summary["outcomes"] == outcomes
    assert data["rulepacks"] == {store.rules.pack.version: decisions}
    assert data["lint"] == []
    out = data["outside_window"]
    assert out["count"] == 0 and out["calls"] == [] and out["unverifiable"] == []
    assert out["checked"] == placed == sum(data["calls_by_local_hour"])
    assert all(n == 0 for h, n in enumerate(data["calls_by_local_hour"]) if not 8 <= h < 21)
    ab = data["abandonment"]
    assert len(ab["periods"]) == 1 and ab["periods"][0]["live"] == ab["rolling"]["live"] == live
    assert not ab["periods"][0]["complete"]  # the first 30 days are still running
    opt = data["opt_outs"]
    assert len(opt) == dnc == summary["opt_outs"] > 0
    for item in opt:
        assert item["channel"] == "key_press" and item["in_force_after_s"] == 0
        assert item["placed_after"] == [] and item["status"].startswith("honoured")
        assert item["time_to_honour_s"] is not None and item["time_to_honour_s"] > 0
        assert item["next_denial"]["attempt"] > 0 and item["contact"] is not None
    assert data["registry_snapshots"][0]["snapshot_on"] == "2026-11-25"
    assert data["audit"]["ok"] and data["audit"]["head_hash"] == head.hash
    assert data["audit"]["anchor"] == str(head)


def test_a_call_placed_at_22_local_is_reported_outside_the_window(store: Store) -> None:
    ids = _people(store, 1)
    cid = _campaign(store, ids)
    with store.db.begin() as conn:
        bidx = conn.execute(select(t.contact_numbers.c.number_bidx)).scalar_one()

        def placed(at: datetime, zones: list[str]) -> int:
            return t.new_id(conn.execute(insert(t.call_attempts).values(
                firm_id=store.firm_id, contact_id=ids[0], campaign_id=cid, number_bidx=bidx,
                at=at, purpose="reminder", technology="artificial_voice", status="completed",
                verdict="allow", rulepack="test",
                decision={"time_zones": zones, "at": at.strftime("%Y-%m-%dT%H:%M:%SZ")},
                created_at=at)))  # fmt: skip

        late = placed(datetime(2026, 12, 3, 3, 0, tzinfo=UTC), ["America/New_York"])  # 22:00
        fine = placed(datetime(2026, 12, 3, 1, 30, tzinfo=UTC), ["America/Chicago",
                                                                 "America/New_York"])  # fmt: skip
        # 20:30 in Chicago, 21:30 in New York: outside in one candidate zone is outside
        either = placed(datetime(2026, 12, 3, 2, 30, tzinfo=UTC), ["America/Chicago",
                                                                   "America/New_York"])  # fmt: skip
        blind = placed(datetime(2026, 12, 3, 2, 45, tzinfo=UTC), [])
    out = _campaign_data(store, cid, END)["outside_window"]
    assert {(h["attempt"], h["zone"], h["local"]) for h in out["calls"]} == {
        (late, "America/New_York", "2026-12-02 22:00"),
        (either, "America/New_York", "2026-12-02 21:30"),
    }
    assert (
        out["count"] == 2
        and out["checked"] == 4
        and fine not in {h["attempt"] for h in out["calls"]}
    )
    assert [u["attempt"] for u in out["unverifiable"]] == [blind]
    text = _text(campaign_pdf(_campaign_data(store, cid, END)))
    assert "Calls outside any window: 2 of 4 placed calls" in text
    assert "2026-12-02 22:00" in text


def test_the_pdfs_parse_and_state_the_key_figures(ran: tuple[Store, int, list[int]]) -> None:
    store, cid, _ = ran
    data = _campaign_data(store, cid, END)
    pdf = campaign_pdf(data)
    assert pdf == campaign_pdf(data)  # no clock inside: the same data, the same bytes
    text = _text(pdf)
    summary = data["summary"]
    for needle in (f"Campaign #{cid}: Reminders", FIRM, f"Calls placed {summary['dialled']}",
                   "Calls outside 08:00-21:00 local (must be 0) 0", data["audit"]["head_hash"],
                   store.rules.pack.version, "47 CFR 64.1200(a)(7)", "Page 1 of",
                   "Generated 2026-12-02 21:00:00 UTC", "2026-11-25", "key_press"):  # fmt: skip
        assert needle in text, needle
    for outcome, n in summary["outcomes"].items():
        assert f"{outcome} {n}" in text
    assert not any(_number(i)[2:] in text for i in range(12))  # no number of a person called

    policy = _text(dnc_policy_pdf(_policy_data(store, END)))
    for needle in ("47 CFR 64.1200(d)(1)", "Written do-not-call policy of Hartwell & Ruiz LLP",
                   "key_press", "STOP", "same database transaction", "3660 days",
                   "us.internal-dnc", "08:00 and 21:00"):  # fmt: skip
        assert needle in policy, needle

    with store.db.begin() as conn:
        uid = add_user(SqlUnitOfWork(conn),
                       store.cipher, store.firm_id, "ana@firm.test", "Ana Díaz", "agent",
                       START, audit=store.audit, caller=OPERATOR)  # fmt: skip
        attest_training(SqlUnitOfWork(conn),
                        uid, "TCPA/DNC 2026", date(2026, 1, 15), 365, START, OPERATOR,
                        audit=store.audit)  # fmt: skip
    with store.db.connect() as conn:
        roster = roster_data(SqlUnitOfWork(conn), store.cipher, firm_id=store.firm_id, at=END)
    assert roster["summary"]["agents_trained"] == 1
    text = _text(roster_pdf(roster))
    for needle in ("Ana Díaz", "ana@firm.test", "TCPA/DNC 2026", "2026-01-15", "2027-01-15",
                   "current"):  # fmt: skip
        assert needle in text, needle

    with store.db.connect() as conn:
        bundle = evidence.bundle(SqlUnitOfWork(conn), store.cipher, store.firm_id, _number(0))
    text = _text(evidence_pdf(bundle, firm=FIRM, generated_at="2026-12-02T21:00:00Z"))
    assert _number(0) in text and bundle["chain"]["head"] in text.replace("\n", "")
    assert "I agree that Hartwell & Ruiz LLP may call me with reminders." in text


def test_text_outside_latin_1_is_replaced_not_fatal(store: Store) -> None:
    cid = _campaign(store, _people(store, 1), {**SPEC, "name": "Rappels — 日本 ☎"})
    text = _text(campaign_pdf(_campaign_data(store, cid, START)))
    assert "Rappels - ?? ?" in text
