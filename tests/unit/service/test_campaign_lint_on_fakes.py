"""The campaign lint's own refusals (what the engine cannot see), on the in-memory unit of
work: every problem is listed at once, before any contact's dial is judged."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, cast

from lexdial.rules.engine import Engine
from lexdial.service.campaign_lint import lint_campaign
from lexdial.service.campaigns import create_campaign
from lexdial.service.fakes import ListAudit, MemoryRegistry, Reversible
from lexdial.service.fakes.uow import MemoryUnitOfWork
from lexdial.service.users import OPERATOR

NOW = datetime(2026, 12, 1, 15, 0, tzinfo=UTC)


def _lint(spec: dict[str, Any]) -> list[str]:
    uow = MemoryUnitOfWork()
    uow.campaigns.firms[1] = "Hartwell & Ruiz LLP"
    cid = create_campaign(uow, ListAudit(), 1, spec, OPERATOR, NOW)
    # no contact on the list: the engine is never asked, only the lint's own checks run
    engine = cast(Engine, None)
    return lint_campaign(
        uow, engine, Reversible(), MemoryRegistry(), firm_id=1, campaign_id=cid, at=NOW
    )


def test_a_campaign_without_contacts_cannot_start() -> None:
    spec = {"name": "R", "purpose": "reminder", "mode": "broadcast", "message": {"text": "Hi"}}
    assert _lint(spec) == ["contacts: the campaign has no contacts"]


def test_a_caller_id_that_is_not_a_number_to_call_back_is_refused_with_the_rest() -> None:
    spec = {
        "name": "R",
        "purpose": "reminder",
        "mode": "broadcast",
        "caller_id": "+1555",
        "message": {"text": "Hi"},
    }
    assert _lint(spec) == [
        "caller_id: is not a valid telephone number to call back",
        "contacts: the campaign has no contacts",
    ]


def test_a_withheld_caller_id_is_left_to_the_engine() -> None:
    spec = {
        "name": "R",
        "purpose": "reminder",
        "mode": "broadcast",
        "caller_id": "withheld",
        "message": {"text": "Hi"},
    }
    assert _lint(spec) == ["contacts: the campaign has no contacts"]


def test_a_listed_contact_whose_stored_address_the_gate_cannot_read_is_named() -> None:
    import json

    from lexdial.service.repos.calls import GateCampaign, GateContact, GateNumber

    uow = MemoryUnitOfWork()
    uow.campaigns.firms[1] = uow.attempts.firms[1] = "Hartwell & Ruiz LLP"
    spec = {"name": "R", "purpose": "reminder", "mode": "broadcast", "message": {"text": "Hi"}}
    cid = create_campaign(uow, ListAudit(), 1, spec, OPERATOR, NOW)
    uow.attempts.campaigns[cid] = GateCampaign(1, "reminder", "prerecorded", "broadcast")
    cipher = Reversible()
    # stored the way an older lexdial stored it, before add_contact checked addresses
    address = cipher.encrypt(json.dumps({"state": "ZZ"}), context="contacts.address")
    uow.attempts.contacts[7] = GateContact(firm_id=1, relationship="none", address_enc=address)
    number = cipher.encrypt("+16145550101", context="contact_numbers.number")
    uow.attempts.numbers[7] = GateNumber(number, cipher.blind_index("+16145550101", kind="number"))
    uow.campaigns.list_contacts(cid, [7], "pending")

    problems = lint_campaign(
        uow, cast(Engine, None), cipher, MemoryRegistry(), firm_id=1, campaign_id=cid, at=NOW
    )

    assert problems == [
        "contact #7: its stored address.state is not a US state or territory code (it was "
        "stored before addresses were checked on entry), so no call to this person can be judged"
    ]
