"""The gate's v1 request, built from the in-memory unit of work: no database.

What matters: the request carries the facts the firm holds in the contract's own
vocabulary (a machine answer is "voicemail" history, a plain human answer has no outcome),
only calls placed count as history, and a contact or call the firm cannot speak for is
refused with the field named.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from lexdial.errors import RequestError
from lexdial.service.contacts import NUMBER_CTX
from lexdial.service.fakes import MemoryRegistry, Reversible
from lexdial.service.fakes.uow import MemoryUnitOfWork
from lexdial.service.gate_request import CallPlan, build_request
from lexdial.service.repos.calls import DebtFacts, GateContact, GateNumber, NewAttempt, NewOutcome

FIRM, CONTACT = 1, 10
NOON_NY = datetime(2026, 12, 2, 16, 0, tzinfo=UTC)
CIPHER = Reversible()
PLAN = CallPlan("debt_collection", "manual", debt_id="D-1")


@pytest.fixture
def uow() -> MemoryUnitOfWork:
    uow = MemoryUnitOfWork()
    store = uow.attempts
    store.firms[FIRM] = "Hartwell & Ruiz LLP"
    address = {"country": "US", "state": "OH", "time_zone": "America/New_York"}
    store.contacts[CONTACT] = GateContact(
        firm_id=FIRM,
        relationship="current_client",
        address_enc=CIPHER.encrypt(json.dumps(address), context="contacts.address"),
    )
    store.numbers[CONTACT] = GateNumber(
        CIPHER.encrypt("+16145550101", context=NUMBER_CTX), "bidx-10", "landline"
    )
    return uow


def _build(
    uow: MemoryUnitOfWork, *, firm_id: int = FIRM, plan: CallPlan | None = PLAN
) -> dict[str, Any]:
    raw, _, _ = build_request(
        uow, CIPHER, MemoryRegistry(),
        firm_id=firm_id, contact_id=CONTACT, at=NOON_NY, campaign_id=None, plan=plan,
    )  # fmt: skip
    return raw


def _past_call(uow: MemoryUnitOfWork, minutes_ago: int, status: str, outcome: str | None) -> None:
    at = NOON_NY - timedelta(minutes=minutes_ago)
    attempt_id = uow.attempts.record(
        NewAttempt(
            firm_id=FIRM, contact_id=CONTACT, campaign_id=None, number_bidx="bidx-10", at=at,
            purpose="debt_collection", technology="manual", subject=None, debt_ref="D-1",
            status=status, decision_id="d", verdict="allow", earliest_allowed_at=None,
            rulepack="test", decision={}, created_at=at,
        )
    )  # fmt: skip
    if outcome is not None:
        uow.attempts.record_outcome(
            NewOutcome(attempt_id, outcome, at, None, None, False, False, False, None, None)
        )


def test_a_manual_call_request_carries_the_plan_the_firm_the_number_and_the_debt_facts(
    uow: MemoryUnitOfWork,
) -> None:
    uow.attempts.debts[(FIRM, "D-1")] = DebtFacts(time_barred=True)
    raw = _build(uow)
    assert (raw["purpose"], raw["technology"]) == ("debt_collection", "manual")
    assert raw["firm"] == {"name": "Hartwell & Ruiz LLP"} and raw["number"] == "+16145550101"
    assert raw["address"]["state"] == "OH" and raw["line_type"] == "landline"
    assert raw["debt"] == {"id": "D-1", "time_barred": True}
    assert raw["suppression"]["internal_dnc"] is False and raw["history"] == []


def test_history_holds_only_calls_placed_with_outcomes_in_the_contracts_vocabulary(
    uow: MemoryUnitOfWork,
) -> None:
    _past_call(uow, 30, "completed", "machine")
    _past_call(uow, 20, "completed", "human")
    _past_call(uow, 10, "denied", None)
    history = _build(uow)["history"]
    assert [h.get("outcome") for h in history] == ["voicemail", None]
    assert all(h["debt_id"] == "D-1" for h in history)


@pytest.mark.parametrize(
    ("firm_id", "plan", "field"),
    [
        pytest.param(2, PLAN, "contact_id", id="another-firms-contact"),
        pytest.param(FIRM, None, "plan", id="no-campaign-and-no-plan"),
    ],
)
def test_a_request_the_firm_cannot_make_is_refused_with_the_field_named(
    uow: MemoryUnitOfWork, firm_id: int, plan: CallPlan | None, field: str
) -> None:
    with pytest.raises(RequestError) as refused:
        _build(uow, firm_id=firm_id, plan=plan)
    assert refused.value.field == field
