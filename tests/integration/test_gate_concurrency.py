"""The gate and the opt-out serialise on the contact's row: once an opt-out has
committed, no later gate decision for that number can allow a call (PostgreSQL, threads)."""

from __future__ import annotations

import random
import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, insert, text

from lexdial.adapters.db import tables as t
from lexdial.adapters.db.database import make_engine, migrate
from lexdial.adapters.db.uow import SqlUnitOfWork
from lexdial.adapters.geodata import load_geography
from lexdial.adapters.rulepack import load_pack
from lexdial.rules.context import Policy
from lexdial.rules.engine import Engine as RulesEngine
from lexdial.service.consent import ConsentEvidence, NewConsent, record_consent
from lexdial.service.contacts import NewContact, add_contact
from lexdial.service.fakes import ListAudit, MemoryRegistry, Reversible
from lexdial.service.gate import CallPlan, gate
from lexdial.service.optout import opt_out
from lexdial.service.users import OPERATOR as STAFF
from lexdial.service.users import SYSTEM

pytestmark = pytest.mark.integration

NOW = datetime(2026, 12, 2, 16, 0, tzinfo=UTC)
PLAN = CallPlan(purpose="reminder", technology="prerecorded")


def _seed(engine: Engine, cipher: Reversible, n: int) -> list[int]:
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    migrate(engine)
    ids = []
    with engine.begin() as conn:
        conn.execute(insert(t.firms).values(id=1, name="Hartwell & Ruiz LLP", created_at=NOW))
        for i in range(n):
            number = f"+1 614 555 {i:04d}"
            ids.append(
                add_contact(
                    SqlUnitOfWork(conn),
                    cipher,
                    1,
                    NewContact(
                        numbers=((number, "wireless"),),
                        relationship="current_client",
                        address={"country": "US", "state": "OH"},
                    ),
                    NOW,
                    audit=ListAudit(),
                    caller=STAFF,
                )
            )
            record_consent(
                SqlUnitOfWork(conn),
                cipher,
                ListAudit(),
                1,
                NewConsent(
                    number=number,
                    kind="express",
                    scope=["reminder"],
                    sellers=["Hartwell & Ruiz LLP"],
                    given_at=NOW - timedelta(days=9),
                    evidence=ConsentEvidence(
                        "engagement letter", "I agree...", "v1", "staff", document_ref=f"DMS-{i}"
                    ),
                ),
                STAFF,
                NOW,
            )
    return ids


def test_no_call_is_allowed_after_an_opt_out_for_that_number_committed(pg_url: str) -> None:
    engine = make_engine(pg_url)
    try:
        cipher, rules = Reversible(), RulesEngine(load_pack(), load_geography(), Policy())
        contacts = _seed(engine, cipher, 6)
        rng = random.Random(11)
        violations: list[str] = []
        counts = {"allow_before": 0, "deny_after": 0}
        for round_no, contact in enumerate(contacts):
            opted = threading.Event()
            number = f"+1 614 555 {round_no:04d}"

            def dialer(contact: int = contact, opted: threading.Event = opted) -> None:
                for _ in range(40):
                    seen_before = opted.is_set()
                    with engine.begin() as conn:
                        verdict = gate(
                            SqlUnitOfWork(conn),
                            rules,
                            cipher,
                            ListAudit(),
                            MemoryRegistry(),
                            firm_id=1,
                            contact_id=contact,
                            at=NOW,
                            plan=PLAN,
                        ).decision.verdict
                    if seen_before and verdict == "allow":
                        violations.append(f"contact {contact}: allowed after the opt-out")
                    key = "allow_before" if verdict == "allow" else "deny_after"
                    counts[key] += 1

            def opt(number: str = number, opted: threading.Event = opted) -> None:
                time.sleep(rng.uniform(0.0, 0.05))
                with engine.begin() as conn:
                    opt_out(
                        SqlUnitOfWork(conn),
                        cipher,
                        ListAudit(),
                        1,
                        number,
                        "key_press",
                        None,
                        SYSTEM,
                        NOW,
                    )
                opted.set()  # set only once the opt-out's transaction has committed

            threads = [threading.Thread(target=dialer) for _ in range(3)] + [
                threading.Thread(target=opt)
            ]
            for th in threads:
                th.start()
            for th in threads:
                th.join(timeout=60)
    finally:
        engine.dispose()
    assert violations == []
    # the race really ran both ways: calls allowed before, denied after
    assert counts["allow_before"] > 0 and counts["deny_after"] > 0, counts
