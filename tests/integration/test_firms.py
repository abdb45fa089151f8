"""Firms that share a store cannot see each other: every service, as another firm's user.

The first four tests are the regressions of issue 9, verbatim: after a second firm row
existed, firm 2's ``consent show`` listed firm 1's consents, its duplicate check refused on
firm 1's consent, its gate ALLOWed on firm 1's consent and its opt-out revoked firm 1's
consents. Firm 1 is the fixture's firm; firm 2 is added here with a contact on the same number.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, insert

from lexdial.adapters.db import tables as t
from lexdial.rules.engine import Engine as RulesEngine
from lexdial.service.consent import (
    ConsentEvidence,
    NewConsent,
    consents_for,
    record_consent,
)
from lexdial.service.contacts import NewContact, add_contact
from lexdial.service.fakes import ListAudit, MemoryRegistry, Reversible
from lexdial.service.gate import CallPlan, gate
from lexdial.service.optout import opt_out
from lexdial.service.users import Caller, add_user

pytestmark = pytest.mark.integration

NOW = datetime(2026, 12, 2, 16, 0, tzinfo=UTC)  # Wed 11:00 in New York
NUMBER = "+1 614 555 0101"
EVIDENCE = ConsentEvidence(
    method="signed engagement letter",
    disclosure_text="I agree that Hartwell & Ruiz LLP may call me with reminders...",
    disclosure_version="engagement-2026-01",
    captured_by="intake:jdoe",
    document_ref="DMS-4471",
)
CIPHER = Reversible()
FIRM2 = "Other Firm PLLC"
SELLERS = ["Hartwell & Ruiz LLP", FIRM2]
REMINDER = CallPlan(purpose="reminder", technology="prerecorded")


def _firm2(store: Engine) -> int:
    with store.begin() as conn:
        return t.new_id(conn.execute(insert(t.firms).values(name=FIRM2, created_at=NOW)))


def _contact(store: Engine, firm_id: int) -> int:
    with store.begin() as conn:
        return add_contact(
            conn,
            CIPHER,
            firm_id,
            NewContact(
                numbers=((NUMBER, "wireless"),),
                name="Dana Client",
                address={"country": "US", "state": "OH", "time_zone": "America/New_York"},
                relationship="current_client",
            ),
            NOW,
        )


def _user(store: Engine, firm_id: int, role: str = "compliance") -> Caller:
    with store.begin() as conn:
        uid = add_user(conn, CIPHER, firm_id, f"{role}{firm_id}@firm.example", "P", role, NOW)
    return Caller.user(uid)


def _consent(store: Engine, firm_id: int, caller: Caller) -> int:
    # both firms named as sellers: only the firm scoping keeps firm 1's record from firm 2
    new = NewConsent(NUMBER, "express", ["reminder"], SELLERS, NOW - timedelta(days=30), EVIDENCE)
    with store.begin() as conn:
        return record_consent(conn, CIPHER, ListAudit(), firm_id, new, caller, NOW)


@pytest.fixture
def two_firms(store: Engine) -> tuple[Engine, int, Caller, Caller, int, int]:
    """Firm 1 with a consented contact; firm 2 with a contact on the same number."""
    firm2 = _firm2(store)
    user1, user2 = _user(store, 1), _user(store, firm2)
    contact1 = _contact(store, 1)
    _consent(store, 1, user1)
    contact2 = _contact(store, firm2)
    return store, firm2, user1, user2, contact1, contact2


Firms = tuple[Engine, int, Caller, Caller, int, int]


def _gate(store: Engine, rules: RulesEngine, firm_id: int, contact: int, caller: Caller) -> str:
    with store.begin() as conn:
        result = gate(conn, rules, CIPHER, ListAudit(), MemoryRegistry(), firm_id=firm_id,
                      contact_id=contact, at=NOW, plan=REMINDER, caller=caller)  # fmt: skip
    return result.decision.verdict


def test_firm_2s_consent_show_does_not_list_firm_1s_consents(two_firms: Firms) -> None:
    store, firm2, *_ = two_firms
    with store.connect() as conn:
        assert consents_for(conn, CIPHER, firm2, NUMBER) == []
        assert len(consents_for(conn, CIPHER, 1, NUMBER)) == 1


def test_firm_2s_duplicate_check_does_not_refuse_on_firm_1s_consent(two_firms: Firms) -> None:
    store, firm2, _, user2, *_ = two_firms
    mine = _consent(store, firm2, user2)  # the same evidence, given to firm 2 as well
    with store.connect() as conn:
        assert [c["id"] for c in consents_for(conn, CIPHER, firm2, NUMBER)] == [mine]


def test_firm_2s_gate_does_not_allow_on_firm_1s_consent(
    two_firms: Firms, rules: RulesEngine
) -> None:
    store, firm2, user1, user2, contact1, contact2 = two_firms
    assert _gate(store, rules, firm2, contact2, user2) == "deny"
    assert _gate(store, rules, 1, contact1, user1) == "allow"


def test_firm_2s_opt_out_does_not_revoke_firm_1s_consents(
    two_firms: Firms, rules: RulesEngine
) -> None:
    store, firm2, user1, user2, contact1, _ = two_firms
    with store.begin() as conn:
        done = opt_out(conn, CIPHER, ListAudit(), firm2, NUMBER, "staff", None, user2, NOW)
    assert done.consents_revoked == 0
    with store.connect() as conn:
        assert consents_for(conn, CIPHER, 1, NUMBER)[0]["revoked_at"] is None
    assert _gate(store, rules, 1, contact1, user1) == "allow"
