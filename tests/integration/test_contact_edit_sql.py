"""Correcting a contact and taking one off a campaign on SQLite and PostgreSQL: an address
stored before addresses were checked (state "ZZ"), which the gate cannot judge, is mended by
an edit and then judged with the edited address; a removal cancels the place and its queued
attempts, keeps the calls already made, and refuses a call in progress."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import Engine, select, update

from lexdial.adapters.audit.sql import SqlAudit
from lexdial.adapters.crypto import Keyring
from lexdial.adapters.db import tables as t
from lexdial.adapters.db.uow import SqlUnitOfWork
from lexdial.domain.states import AttemptStatus, QueueStatus
from lexdial.errors import CampaignError, NotFoundError, RequestError
from lexdial.rules.engine import Engine as RulesEngine
from lexdial.service.campaigns import add_contacts, create_campaign
from lexdial.service.contacts import NewContact, add_contact
from lexdial.service.contacts_campaign import REMOVED, remove_from_campaign
from lexdial.service.contacts_edit import edit_contact
from lexdial.service.gate import CallPlan, gate
from lexdial.service.users import OPERATOR

from .test_gate_one_read import START, _registry

pytestmark = pytest.mark.integration

PLAN = CallPlan("reminder", "manual")
SPEC: dict[str, Any] = {
    "name": "Reminders",
    "purpose": "reminder",
    "mode": "broadcast",
    "caller_id": "+16145550199",
    "message": {
        "text": "Hello, this is Hartwell and Ruiz with a reminder. Please call us at "
        "614-555-0199. To stop these calls, press 9 now."
    },
}


def _contact(store: Engine, cipher: Keyring, number: str = "+16145550101") -> int:
    new = NewContact(numbers=((number, "wireless"),), name="Dana Client", address={"state": "OH"})
    with store.begin() as conn:
        return add_contact(
            SqlUnitOfWork(conn), cipher, 1, new, START, audit=SqlAudit(), caller=OPERATOR
        )


def _gate(store: Engine, rules: RulesEngine, cipher: Keyring, contact: int, **kw: Any) -> Any:
    with store.begin() as conn:
        return gate(
            SqlUnitOfWork(conn), rules, cipher, SqlAudit(), _registry(),
            firm_id=1, contact_id=contact, at=START, plan=PLAN, **kw,
        )  # fmt: skip


def test_an_address_the_gate_cannot_judge_is_mended_by_an_edit_and_then_judged(
    store: Engine, rules: RulesEngine
) -> None:
    cipher = Keyring.from_master_key(b"e" * 32)
    contact = _contact(store, cipher)
    bad = cipher.encrypt(json.dumps({"state": "ZZ", "zip": "123"}), context="contacts.address")
    with store.begin() as conn:  # as a store written before addresses were checked holds it
        conn.execute(update(t.contacts).where(t.contacts.c.id == contact).values(address_enc=bad))
    with pytest.raises(RequestError) as err:
        _gate(store, rules, cipher, contact)
    assert err.value.field.startswith("address.")

    with store.begin() as conn:
        changed = edit_contact(
            SqlUnitOfWork(conn), cipher, 1, contact, {"address": {"state": "CA", "zip": "90012"}},
            START, audit=SqlAudit(), caller=OPERATOR,
        )  # fmt: skip
    assert changed == ["address.state", "address.zip"]

    # the gate reads the edited address: Los Angeles joins the area code's New York
    decision = _gate(store, rules, cipher, contact).decision
    assert "America/Los_Angeles" in decision.time_zones
    assert "America/New_York" in decision.time_zones
    with store.connect() as conn:
        stored = conn.execute(
            select(t.contacts.c.address_enc).where(t.contacts.c.id == contact)
        ).scalar_one()
        entry = conn.execute(
            select(t.audit_log.c.data).where(t.audit_log.c.action == "contact.edited")
        ).scalar_one()
    assert "90012" not in stored and "90012" not in json.dumps(entry)
    assert json.loads(cipher.decrypt(stored, context="contacts.address")) == {
        "state": "CA",
        "zip": "90012",
    }


def test_an_edit_of_another_firms_contact_is_not_found_and_a_line_type_is_stored(
    store: Engine,
) -> None:
    cipher = Keyring.from_master_key(b"e" * 32)
    contact = _contact(store, cipher)
    with store.begin() as conn:
        uow = SqlUnitOfWork(conn)
        with pytest.raises(NotFoundError):
            edit_contact(uow, cipher, 2, contact, {"name": "X"}, START,
                         audit=SqlAudit(), caller=OPERATOR)  # fmt: skip
        edit_contact(uow, cipher, 1, contact, {"line_type": "landline"}, START,
                     audit=SqlAudit(), caller=OPERATOR)  # fmt: skip
    with store.connect() as conn:
        line = conn.execute(
            select(t.contact_numbers.c.line_type).where(t.contact_numbers.c.contact_id == contact)
        ).scalar_one()
    assert line == "landline"


def test_a_removal_cancels_the_place_and_queued_attempts_and_keeps_the_calls_made(
    store: Engine, rules: RulesEngine
) -> None:
    cipher = Keyring.from_master_key(b"e" * 32)
    first, second = _contact(store, cipher), _contact(store, cipher, "+16145550102")
    with store.begin() as conn:
        uow = SqlUnitOfWork(conn)
        campaign = create_campaign(uow, SqlAudit(), 1, SPEC, OPERATOR, START)
        add_contacts(uow, SqlAudit(), 1, campaign, [first, second], OPERATOR, START)
    made = _gate(store, rules, cipher, first, campaign_id=campaign).attempt_id
    queued = _gate(store, rules, cipher, first, campaign_id=campaign).attempt_id
    other = _gate(store, rules, cipher, second, campaign_id=campaign).attempt_id
    a, q = t.call_attempts.c, t.campaign_contacts.c
    with store.begin() as conn:
        conn.execute(update(t.call_attempts).where(a.id == made).values(status="completed"))
        conn.execute(
            update(t.call_attempts).where(a.id.in_([queued, other])).values(status="queued")
        )
        conn.execute(update(t.campaign_contacts).where(q.contact_id == second)
                     .values(status=QueueStatus.DIALING))  # fmt: skip

    with store.begin() as conn:
        done = remove_from_campaign(
            SqlUnitOfWork(conn), SqlAudit(), 1, campaign, first, START, caller=OPERATOR
        )
    with store.begin() as conn, pytest.raises(CampaignError, match="call in progress"):
        remove_from_campaign(
            SqlUnitOfWork(conn), SqlAudit(), 1, campaign, second, START, caller=OPERATOR
        )

    assert done.cancelled and done.was == QueueStatus.PENDING
    with store.connect() as conn:
        places = {
            r[0]: r[1]
            for r in conn.execute(select(q.contact_id, q.status).where(q.campaign_id == campaign))
        }
        codes = conn.execute(select(q.codes).where(q.contact_id == first)).scalar_one()
        statuses = {r[0]: r[1] for r in conn.execute(select(a.id, a.status))}
        removed = conn.execute(
            select(t.audit_log.c.data).where(t.audit_log.c.action == "campaign.contact_removed")
        ).scalar_one()
    assert places == {first: QueueStatus.CANCELLED, second: QueueStatus.DIALING}
    assert codes == [REMOVED]
    assert statuses == {
        made: AttemptStatus.COMPLETED,  # the history of calls made stays
        queued: AttemptStatus.CANCELLED,
        other: AttemptStatus.QUEUED,  # the call in progress was not touched
    }
    assert (json.loads(removed) if isinstance(removed, str) else removed)["contact"] == first
