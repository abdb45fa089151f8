"""Firms that share a store cannot see each other: every service, as another firm's user.

The first four tests are the regressions of issue 9, verbatim: after a second firm row
existed, firm 2's ``consent show`` listed firm 1's consents, its duplicate check refused on
firm 1's consent, its gate ALLOWed on firm 1's consent and its opt-out revoked firm 1's
consents. Firm 1 is the fixture's firm; firm 2 is added here with a contact on the same number.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Connection, Engine, insert, select

from lexdial.adapters.db import tables as t
from lexdial.adapters.db.uow import SqlUnitOfWork
from lexdial.errors import PermissionDeniedError, RequestError
from lexdial.rules.engine import Engine as RulesEngine
from lexdial.service.audit_reads import firm_entries
from lexdial.service.auth import issue_token, revoke_token, set_password
from lexdial.service.campaign_report import campaign_report
from lexdial.service.campaigns import add_contacts, create_campaign, set_status
from lexdial.service.consent import (
    ConsentEvidence,
    NewConsent,
    consents_for,
    record_consent,
    revoke_consent,
)
from lexdial.service.contacts import NewContact, add_contact
from lexdial.service.evidence import bundle
from lexdial.service.fakes import ListAudit, MemoryRegistry, Reversible
from lexdial.service.gate import CallPlan, gate
from lexdial.service.gate_request import build_request
from lexdial.service.optout import opt_out
from lexdial.service.privacy import (
    erase_person,
    export_person,
    record_objection,
    record_reassigned_check,
)
from lexdial.service.review import add_item, confirm, dismiss, open_items
from lexdial.service.stated_facts import record_debt_facts, set_preferences
from lexdial.service.users import (
    OPERATOR,
    SYSTEM,
    Caller,
    add_user,
    attest_training,
    trained_agents,
)

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
            SqlUnitOfWork(conn),
            CIPHER,
            firm_id,
            NewContact(
                numbers=((NUMBER, "wireless"),),
                name="Dana Client",
                address={"country": "US", "state": "OH", "time_zone": "America/New_York"},
                relationship="current_client",
            ),
            NOW,
            audit=ListAudit(),
            caller=OPERATOR,
        )


def _user(store: Engine, firm_id: int, role: str = "compliance") -> Caller:
    with store.begin() as conn:
        uid = add_user(SqlUnitOfWork(conn),
                       CIPHER, firm_id, f"{role}{firm_id}@firm.example", "P", role, NOW,
                       audit=ListAudit(), caller=OPERATOR)  # fmt: skip
    return Caller.user(uid)


def _consent(store: Engine, firm_id: int, caller: Caller) -> int:
    # both firms named as sellers: only the firm scoping keeps firm 1's record from firm 2
    new = NewConsent(NUMBER, "express", ["reminder"], SELLERS, NOW - timedelta(days=30), EVIDENCE)
    with store.begin() as conn:
        return record_consent(SqlUnitOfWork(conn), CIPHER, ListAudit(), firm_id, new, caller, NOW)


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
        result = gate(SqlUnitOfWork(conn), rules, CIPHER, ListAudit(), MemoryRegistry(),
                      firm_id=firm_id, contact_id=contact, at=NOW, plan=REMINDER,
                      caller=caller)  # fmt: skip
    return result.decision.verdict


def test_firm_2s_consent_show_does_not_list_firm_1s_consents(two_firms: Firms) -> None:
    store, firm2, *_ = two_firms
    with store.connect() as conn:
        assert consents_for(SqlUnitOfWork(conn), CIPHER, firm2, NUMBER) == []
        assert len(consents_for(SqlUnitOfWork(conn), CIPHER, 1, NUMBER)) == 1


def test_firm_2s_duplicate_check_does_not_refuse_on_firm_1s_consent(two_firms: Firms) -> None:
    store, firm2, _, user2, *_ = two_firms
    mine = _consent(store, firm2, user2)  # the same evidence, given to firm 2 as well
    with store.connect() as conn:
        assert [c["id"] for c in consents_for(SqlUnitOfWork(conn), CIPHER, firm2, NUMBER)] == [mine]


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
        done = opt_out(
            SqlUnitOfWork(conn), CIPHER, ListAudit(), firm2, NUMBER, "staff", None, user2, NOW
        )
    assert done.consents_revoked == 0
    with store.connect() as conn:
        assert consents_for(SqlUnitOfWork(conn), CIPHER, 1, NUMBER)[0]["revoked_at"] is None
    assert _gate(store, rules, 1, contact1, user1) == "allow"


CAMPAIGN = {
    "name": "One",
    "purpose": "reminder",
    "mode": "broadcast",
    "caller_id": "+16145550199",
    "message": {"text": "Hartwell & Ruiz LLP: Friday."},
}


def _firm1_state(conn: Connection) -> list[object]:
    """Firm 1's consents, revocations, opt-outs, campaigns and their lists, review items,
    users, tokens and training: what firm 2 must never change."""
    mine = select(t.consents.c.id).where(t.consents.c.firm_id == 1)
    queries = [
        select(t.consents).where(t.consents.c.firm_id == 1),
        select(t.revocations).where(t.revocations.c.consent_id.in_(mine)),
        select(t.dnc_entries).where(t.dnc_entries.c.firm_id == 1),
        select(t.campaigns).where(t.campaigns.c.firm_id == 1),
        select(t.campaign_contacts),
        select(t.review_items).where(t.review_items.c.firm_id == 1),
        select(t.users).where(t.users.c.firm_id == 1),
        select(t.api_tokens.c.id, t.api_tokens.c.revoked_at),
        select(t.training_attestations),
        select(t.contacts).where(t.contacts.c.firm_id == 1),
    ]
    return [sorted(map(repr, conn.execute(q))) for q in queries]


def test_every_service_as_another_firms_user_reaches_nothing_of_firm_1(
    two_firms: Firms, rules: RulesEngine
) -> None:
    store, firm2, user1, _, contact1, _ = two_firms
    admin2 = _user(store, firm2, "admin")
    audit = ListAudit()
    with store.begin() as conn:
        campaign1 = create_campaign(SqlUnitOfWork(conn), audit, 1, CAMPAIGN, user1, NOW)
        campaign2 = create_campaign(SqlUnitOfWork(conn), audit, firm2, CAMPAIGN, admin2, NOW)
        item1 = add_item(SqlUnitOfWork(conn), CIPHER, audit, 1, channel="email",
                         text="stop calling me",
                         number=NUMBER, contact_id=None, received_at=NOW, caller=SYSTEM,
                         at=NOW)  # fmt: skip
        agent1 = add_user(
            SqlUnitOfWork(conn),
            CIPHER,
            1,
            "agent1@firm.example",
            "A",
            "agent",
            NOW,
            audit=audit,
            caller=OPERATOR,
        )
        attest_training(
            SqlUnitOfWork(conn), agent1, "TCPA", NOW.date(), 365, NOW, OPERATOR, audit=audit
        )
        token1 = issue_token(SqlUnitOfWork(conn), audit, agent1, "t", OPERATOR, NOW).id
    assert user1.user_id is not None
    consent1 = 1
    with store.connect() as conn:
        before = _firm1_state(conn)
    # firm 2's user naming firm 1 as the firm: refused before anything is read
    as_firm1 = [
        lambda c: opt_out(c, CIPHER, audit, 1, NUMBER, "staff", None, admin2, NOW),
        lambda c: revoke_consent(c, CIPHER, audit, 1, consent1, "sms", NOW, None, admin2, NOW),
        lambda c: gate(c, rules, CIPHER, audit, MemoryRegistry(), firm_id=1,
                       contact_id=contact1, at=NOW, plan=REMINDER, caller=admin2),
        lambda c: add_contacts(c, audit, 1, campaign1, [contact1], admin2, NOW),
        lambda c: set_status(c, audit, 1, campaign1, "start", admin2, NOW),
        lambda c: confirm(c, CIPHER, audit, 1, item1, admin2, NOW),
        lambda c: dismiss(c, audit, 1, item1, "no", admin2, NOW),
        lambda c: open_items(c, CIPHER, 1, admin2, NOW),
        lambda c: erase_person(c, CIPHER, audit, 1, NUMBER, admin2, NOW),
        lambda c: record_objection(c, CIPHER, audit, 1, NUMBER, admin2, NOW),
        lambda c: set_preferences(c, CIPHER, audit, 1, NUMBER, {"workplace_number": True},
                                  admin2, NOW),
        lambda c: record_debt_facts(c, audit, 1, "ACME-4471", {"time_barred": True},
                                    admin2,
                                    NOW),
    ]  # fmt: skip
    # firm 2 acting for itself, naming firm 1's records by id: not found, like a missing one
    by_id = [
        lambda c: revoke_consent(c, CIPHER, audit, firm2, consent1, "sms", NOW, None, admin2, NOW),
        lambda c: gate(c, rules, CIPHER, audit, MemoryRegistry(), firm_id=firm2,
                       contact_id=contact1, at=NOW, plan=REMINDER, caller=admin2),
        lambda c: add_contacts(c, audit, firm2, campaign2, [contact1], admin2, NOW),
        lambda c: add_contacts(c, audit, firm2, campaign1, [], admin2, NOW),
        lambda c: set_status(c, audit, firm2, campaign1, "start", admin2, NOW),
        lambda c: campaign_report(c, firm2, campaign1, NOW),
        lambda c: confirm(c, CIPHER, audit, firm2, item1, admin2, NOW),
        lambda c: dismiss(c, audit, firm2, item1, "no", admin2, NOW),
        lambda c: set_password(c, audit, agent1, "a long new password", admin2, NOW),
        lambda c: issue_token(c, audit, agent1, "stolen", admin2, NOW),
        lambda c: revoke_token(c, audit, token1, admin2, NOW),
        lambda c: attest_training(c,
                                  agent1, "TCPA", NOW.date(), 365, NOW, admin2, audit=audit),
        lambda c: attest_training(c, agent1, "TCPA", NOW.date(), 365, NOW, OPERATOR,
                                  audit=audit, firm_id=firm2),
    ]  # fmt: skip
    for call in as_firm1 + by_id:
        with store.begin() as conn, pytest.raises((RequestError, PermissionDeniedError)):
            call(SqlUnitOfWork(conn))
    with store.connect() as conn:
        assert _firm1_state(conn) == before
        assert trained_agents(SqlUnitOfWork(conn), firm2, NOW.date()) == []
        assert trained_agents(SqlUnitOfWork(conn), 1, NOW.date()) == [agent1]
        assert open_items(SqlUnitOfWork(conn), CIPHER, firm2, admin2, NOW) == []
        assert bundle(SqlUnitOfWork(conn), CIPHER, firm2, NUMBER)["consents"] == []
        assert export_person(SqlUnitOfWork(conn), CIPHER, firm2, NUMBER)["consents"] == []
        seen2 = {e["subject"] for e in firm_entries(SqlUnitOfWork(conn), firm2, limit=1000)}
    assert not seen2 & {f"consent:{consent1}", f"contact:{contact1}", f"review:{item1}",
                        f"campaign:{campaign1}", f"user:{agent1}", f"token:{token1}"}  # fmt: skip


def test_a_reassigned_number_check_is_the_firm_that_asked_its(two_firms: Firms) -> None:
    store, firm2, user1, _, contact1, contact2 = two_firms
    with store.begin() as conn:
        record_reassigned_check(
            SqlUnitOfWork(conn), CIPHER, ListAudit(), 1, NUMBER, "no", NOW.date(), user1, NOW
        )
    with store.connect() as conn:
        mine, *_ = _request(conn, 1, contact1)
        theirs, *_ = _request(conn, firm2, contact2)
    assert mine["reassigned"]["result"] == "no"
    assert "reassigned" not in theirs  # firm 2 never asked: no safe harbor of firm 1's


def _request(conn: Connection, firm_id: int, contact: int) -> tuple[dict[str, Any], str, CallPlan]:
    return build_request(SqlUnitOfWork(conn), CIPHER, MemoryRegistry(), firm_id=firm_id,
                         contact_id=contact, at=NOW, campaign_id=None, plan=REMINDER)  # fmt: skip
