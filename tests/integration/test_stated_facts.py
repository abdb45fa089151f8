"""Contract v1.1 facts through the store (SQLite and PostgreSQL): what a person said about
inconvenient times and calls at work, a debt's cease request and time-barred flag — stored,
validated naming the field, audited, and read by the dial-time gate."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine, func, select

from lexdial.adapters.audit.sql import SqlAudit
from lexdial.adapters.db import tables as t
from lexdial.adapters.db.uow import SqlUnitOfWork
from lexdial.domain.decision import Decision
from lexdial.errors import RequestError
from lexdial.rules.engine import Engine as RulesEngine
from lexdial.service.contacts import NewContact, add_contact
from lexdial.service.fakes import ListAudit, MemoryRegistry, Reversible
from lexdial.service.gate import CallPlan, gate
from lexdial.service.stated_facts import debt_facts, record_debt_facts, set_preferences
from lexdial.service.users import OPERATOR as STAFF

pytestmark = pytest.mark.integration

NOW = datetime(2026, 12, 2, 16, 0, tzinfo=UTC)  # Wed 11:00 in Columbus, Ohio
NUMBER = "+1 614 555 0101"
WORKDAYS = {"days": ["mon", "tue", "wed", "thu", "fri"], "from": "09:00", "to": "17:00"}


def _contact(store: Engine, cipher: Reversible) -> int:
    with store.begin() as conn:
        return add_contact(
            SqlUnitOfWork(conn),
            cipher,
            1,
            NewContact(
                numbers=((NUMBER, "landline"),),
                address={"country": "US", "state": "OH", "time_zone": "America/New_York"},
                relationship="none",
            ),
            NOW,
            audit=ListAudit(),
            caller=STAFF,
        )


def _gate(
    store: Engine, rules: RulesEngine, cipher: Reversible, contact: int, **plan: str
) -> Decision:
    with store.begin() as conn:
        return gate(
            SqlUnitOfWork(conn),
            rules,
            cipher,
            ListAudit(),
            MemoryRegistry(),
            firm_id=1,
            contact_id=contact,
            at=NOW,
            plan=CallPlan(**plan),  # type: ignore[arg-type]
        ).decision


def test_stated_times_and_workplace_facts_are_stored_merged_audited_and_gated(
    store: Engine, rules: RulesEngine
) -> None:
    cipher, audit = Reversible(), ListAudit()
    contact = _contact(store, cipher)
    collect = {"purpose": "debt_collection", "technology": "manual", "debt_id": "ACME-4471"}
    assert _gate(store, rules, cipher, contact, **collect).verdict == "allow"

    with store.begin() as conn:
        set_preferences(SqlUnitOfWork(conn), cipher, audit, 1, NUMBER,
                        {"inconvenient_times": [WORKDAYS]}, STAFF, NOW)  # fmt: skip
        stored = set_preferences(SqlUnitOfWork(conn), cipher, audit, 1, NUMBER,
                                 {"workplace_number": True, "no_calls_at_work": True},
                                 STAFF, NOW)  # fmt: skip
    assert stored == {"inconvenient_times": [WORKDAYS], "workplace_number": True,
                      "no_calls_at_work": True}  # fmt: skip
    assert [e["action"] for e in audit.entries] == ["contact.preferences"] * 2

    d = _gate(store, rules, cipher, contact, **collect)
    assert d.verdict == "deny"
    assert {"INCONVENIENT_TIME", "WORKPLACE_CALLS_BARRED"} <= set(d.codes)

    with store.begin() as conn:  # null removes a fact; the others stay
        stored = set_preferences(SqlUnitOfWork(conn), cipher, audit, 1, NUMBER,
                                 {"no_calls_at_work": None}, STAFF, NOW)  # fmt: skip
    assert "no_calls_at_work" not in stored and stored["inconvenient_times"] == [WORKDAYS]


def test_a_bad_stated_time_is_refused_naming_the_field_and_nothing_is_stored(
    store: Engine,
) -> None:
    cipher, audit = Reversible(), ListAudit()
    contact = _contact(store, cipher)
    bad = {"inconvenient_times": [{"days": ["funday"], "from": "09:00", "to": "17:00"}]}
    with pytest.raises(RequestError) as err, store.begin() as conn:
        set_preferences(SqlUnitOfWork(conn), cipher, audit, 1, NUMBER, bad, STAFF, NOW)
    assert err.value.field == "preferences.inconvenient_times[0].days[0]"
    with store.connect() as conn:
        prefs = conn.execute(
            select(t.contacts.c.preferences).where(t.contacts.c.id == contact)
        ).scalar_one()
    assert prefs is None and audit.entries == []


def test_a_cease_request_and_a_time_barred_debt_are_stored_and_gated(
    store: Engine, rules: RulesEngine
) -> None:
    cipher, audit = Reversible(), ListAudit()
    contact = _contact(store, cipher)
    collect = {"purpose": "debt_collection", "technology": "manual", "debt_id": "ACME-4471"}
    with store.begin() as conn:
        record_debt_facts(
            SqlUnitOfWork(conn), audit, 1, "ACME-4471", {"time_barred": True}, STAFF, NOW
        )
        cease = {"cease_requested_at": "2026-11-30T10:00:00Z"}
        facts = record_debt_facts(SqlUnitOfWork(conn), audit, 1, "ACME-4471", cease, STAFF, NOW)
        rows = conn.execute(select(func.count()).select_from(t.debt_facts)).scalar_one()
    assert facts == {"cease_requested_at": "2026-11-30T10:00:00+00:00", "time_barred": True}
    assert rows == 1  # one row per debt, updated
    d = _gate(store, rules, cipher, contact, **collect)
    assert d.verdict == "deny" and "CEASE_COMMUNICATION" in d.codes
    # another debt of the same person is not touched by this debt's request
    other = _gate(store, rules, cipher, contact, purpose="debt_collection",
                  technology="manual", debt_id="OTHER-1")  # fmt: skip
    assert "CEASE_COMMUNICATION" not in other.codes
    with store.begin() as conn:
        with pytest.raises(RequestError) as err:
            record_debt_facts(
                SqlUnitOfWork(conn), audit, 1, "ACME-4471", {"time_barred": "yes"}, STAFF, NOW
            )
        assert err.value.field == "debt.time_barred"
        assert debt_facts(SqlUnitOfWork(conn), 1, "NOPE") is None


def test_a_debt_reference_with_any_characters_is_recorded_on_the_hash_chained_trail(
    store: Engine,
) -> None:
    # found by the API fuzzer: the reference went into the audit subject, which allows
    # only <kind>:<id>, so a reference with a space or a slash was a 500
    with store.begin() as conn:
        record_debt_facts(
            SqlUnitOfWork(conn), SqlAudit(), 1, "ACME 4471/b", {"time_barred": True}, STAFF, NOW
        )
        entry = conn.execute(
            select(t.audit_log.c.subject).where(t.audit_log.c.action == "debt.facts")
        ).scalar_one()
        assert debt_facts(SqlUnitOfWork(conn), 1, "ACME 4471/b") == {"time_barred": True}
    assert entry == "debt:1"
