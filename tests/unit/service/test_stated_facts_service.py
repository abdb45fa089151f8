"""Stated preferences and debt facts on the in-memory unit of work: merged, never dropped,
validated by the contract's reader, audited, and written only for the caller's own firm."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from lexdial.errors import NotFoundError, PermissionDeniedError, RequestError
from lexdial.service import stated_facts
from lexdial.service.contacts import NewContact, add_contact
from lexdial.service.fakes import ListAudit, Reversible
from lexdial.service.fakes.uow import MemoryUnitOfWork
from lexdial.service.repos.views import ContactRow
from lexdial.service.stated_facts import (
    contact_stated_facts,
    debt_facts,
    record_debt_facts,
    set_contact_preferences,
    set_preferences,
)
from lexdial.service.users import OPERATOR, Caller

NOW = datetime(2026, 12, 2, 16, 0, tzinfo=UTC)
NUMBER = "+1 614 555 0101"
CIPHER = Reversible()
WORKDAYS = {"days": ["mon", "tue", "wed", "thu", "fri"], "from": "09:00", "to": "17:00"}
#: user id -> firm (what the users repository answers once users move onto the port)
USER_FIRMS = {7: 1, 8: 2}


def _contact(uow: MemoryUnitOfWork) -> int:
    new = NewContact(numbers=((NUMBER, None),))
    return add_contact(uow, CIPHER, 1, new, NOW, audit=ListAudit(), caller=OPERATOR)


@pytest.fixture
def asked(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, int | None]]:
    """``authorize`` as the users service answers it for USER_FIRMS: a user acts for their own
    firm only. Records what was asked."""
    calls: list[tuple[str, int | None]] = []

    def authorize(uow: object, caller: Caller, action: str, firm_id: int | None = None) -> str:
        calls.append((action, firm_id))
        if caller.user_id is not None and USER_FIRMS[caller.user_id] != firm_id:
            raise PermissionDeniedError(f"user #{caller.user_id} does not belong to this firm")
        return caller.label

    monkeypatch.setattr(stated_facts, "authorize", authorize)
    return calls


def test_preferences_are_merged_audited_and_a_null_removes_one() -> None:
    uow, audit = MemoryUnitOfWork(), ListAudit()
    cid = _contact(uow)

    set_preferences(uow, CIPHER, audit, 1, NUMBER, {"inconvenient_times": [WORKDAYS]}, OPERATOR,
                    NOW)  # fmt: skip
    set_preferences(uow, CIPHER, audit, 1, NUMBER, {"workplace_number": True}, OPERATOR, NOW)
    stored = set_preferences(uow, CIPHER, audit, 1, NUMBER, {"inconvenient_times": None},
                             OPERATOR, NOW)  # fmt: skip

    assert stored == {"workplace_number": True}
    assert uow.contacts.contacts[cid]["preferences"] == {"workplace_number": True}
    assert [(e["action"], e["subject"]) for e in audit.entries] == [
        ("contact.preferences", f"contact:{cid}")
    ] * 3
    assert audit.entries[-1]["data"] == {"set": {"inconvenient_times": None}}


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        pytest.param({"mood": "grumpy"}, "preferences.mood", id="unknown-field"),
        pytest.param(
            {"inconvenient_times": [{**WORKDAYS, "days": ["funday"]}]},
            "preferences.inconvenient_times[0].days[0]",
            id="contract-reader",
        ),
    ],
)
def test_a_bad_preference_is_refused_naming_the_field_and_nothing_is_stored(
    changes: dict[str, Any], field: str
) -> None:
    uow, audit = MemoryUnitOfWork(), ListAudit()
    cid = _contact(uow)

    with pytest.raises(RequestError) as err:
        set_preferences(uow, CIPHER, audit, 1, NUMBER, changes, OPERATOR, NOW)

    assert err.value.field == field
    assert uow.contacts.contacts[cid]["preferences"] is None and audit.entries == []


def test_nothing_is_recorded_for_an_erased_person() -> None:
    uow, audit = MemoryUnitOfWork(), ListAudit()
    uow.contacts.contacts[_contact(uow)]["erased_at"] = NOW

    with pytest.raises(RequestError, match="erased"):
        set_preferences(uow, CIPHER, audit, 1, NUMBER, {"workplace_number": True}, OPERATOR, NOW)

    assert audit.entries == []


def test_debt_facts_are_created_then_merged_and_read_back_in_the_contract_shape() -> None:
    uow, audit = MemoryUnitOfWork(), ListAudit()

    first = record_debt_facts(uow, audit, 1, " ACME-4471 ", {"time_barred": True}, OPERATOR, NOW)
    second = record_debt_facts(
        uow, audit, 1, "ACME-4471", {"cease_requested_at": "2026-11-30T15:00:00+00:00"},
        OPERATOR, NOW,
    )  # fmt: skip

    assert first == {"time_barred": True}
    assert second == {"cease_requested_at": "2026-11-30T15:00:00+00:00", "time_barred": True}
    assert debt_facts(uow, 1, "ACME-4471") == second and debt_facts(uow, 2, "ACME-4471") is None
    assert [e["subject"] for e in audit.entries] == ["debt:1", "debt:1"]
    assert audit.entries[0]["data"] == {"debt_ref": "ACME-4471", "time_barred": True}


def test_a_debt_fact_needs_a_reference_and_a_fact() -> None:
    uow, audit = MemoryUnitOfWork(), ListAudit()

    with pytest.raises(RequestError) as no_ref:
        record_debt_facts(uow, audit, 1, "  ", {"time_barred": True}, OPERATOR, NOW)
    with pytest.raises(RequestError) as no_fact:
        record_debt_facts(uow, audit, 1, "ACME-4471", {}, OPERATOR, NOW)

    assert (no_ref.value.field, no_fact.value.field) == ("debt_ref", "debt")
    assert uow.contacts.debts == {} and audit.entries == []


def test_a_user_writes_stated_facts_for_their_own_firm_only(
    asked: list[tuple[str, int | None]],
) -> None:
    uow, audit = MemoryUnitOfWork(), ListAudit()
    cid = _contact(uow)
    outsider, member = Caller.user(8), Caller.user(7)

    with pytest.raises(PermissionDeniedError):
        set_preferences(uow, CIPHER, audit, 1, NUMBER, {"workplace_number": True}, outsider, NOW)
    with pytest.raises(PermissionDeniedError):
        record_debt_facts(uow, audit, 1, "ACME-4471", {"time_barred": True}, outsider, NOW)

    assert uow.contacts.contacts[cid]["preferences"] is None and uow.contacts.debts == {}
    assert audit.entries == []
    set_preferences(uow, CIPHER, audit, 1, NUMBER, {"workplace_number": True}, member, NOW)
    record_debt_facts(uow, audit, 1, "ACME-4471", {"time_barred": True}, member, NOW)
    assert asked == [("consent.write", 1)] * 4
    assert [e["actor"] for e in audit.entries] == ["user:7", "user:7"]


def _on_the_page(uow: MemoryUnitOfWork, cid: int, firm_id: int = 1) -> None:
    """The contact as the views repository answers it (the contact page reads it there)."""
    row = ContactRow(cid, None, "none", None, None, None, None, None, NOW)
    uow.views.contact_rows.append((firm_id, row))


def test_the_contact_page_adds_a_stated_window_and_unticking_a_box_removes_that_fact() -> None:
    uow, audit = MemoryUnitOfWork(), ListAudit()
    cid = _contact(uow)
    _on_the_page(uow, cid)
    set_contact_preferences(uow, audit, 1, cid, {"workplace_number": True}, OPERATOR, NOW,
                            add_times=[WORKDAYS])  # fmt: skip
    evenings = {"from": "20:00", "to": "21:00"}
    stored = set_contact_preferences(uow, audit, 1, cid, {"workplace_number": None}, OPERATOR,
                                     NOW, add_times=[evenings])  # fmt: skip

    assert stored == {"inconvenient_times": [WORKDAYS, evenings]}
    assert audit.entries[-1]["data"] == {
        "set": {"inconvenient_times": [WORKDAYS, evenings], "workplace_number": None}
    }
    replaced = set_contact_preferences(uow, audit, 1, cid, {"inconvenient_times": None},
                                       OPERATOR, NOW, add_times=[evenings])  # fmt: skip
    assert replaced == {"inconvenient_times": [evenings]}


def test_a_bad_window_from_the_contact_page_names_the_field_and_stores_nothing() -> None:
    uow, audit = MemoryUnitOfWork(), ListAudit()
    cid = _contact(uow)
    _on_the_page(uow, cid)
    with pytest.raises(RequestError) as bad:
        set_contact_preferences(uow, audit, 1, cid, {}, OPERATOR, NOW,
                                add_times=[{"from": "09:00", "to": None}])  # fmt: skip
    assert bad.value.field == "preferences.inconvenient_times[0].to"
    assert uow.contacts.contacts[cid]["preferences"] is None and audit.entries == []


def test_another_firms_contact_is_not_found_from_the_contact_page() -> None:
    uow, audit = MemoryUnitOfWork(), ListAudit()
    cid = _contact(uow)
    _on_the_page(uow, cid, firm_id=2)
    with pytest.raises(NotFoundError):
        set_contact_preferences(uow, audit, 1, cid, {"workplace_number": True}, OPERATOR, NOW)
    with pytest.raises(NotFoundError):
        contact_stated_facts(uow, 1, cid)
    assert audit.entries == []


def test_the_page_lists_the_debts_the_calls_named_with_their_facts() -> None:
    uow, audit = MemoryUnitOfWork(), ListAudit()
    cid = _contact(uow)
    _on_the_page(uow, cid)
    uow.views.debt_refs[cid] = ["ACME-4471", "ACME-4471", "ACME-9"]
    record_debt_facts(uow, audit, 1, "ACME-4471", {"time_barred": True}, OPERATOR, NOW)
    set_preferences(uow, CIPHER, audit, 1, NUMBER, {"no_calls_at_work": True}, OPERATOR, NOW)

    facts = contact_stated_facts(uow, 1, cid, also=("NEW-1",))

    assert facts.preferences == {"no_calls_at_work": True}
    assert facts.debts == [("ACME-4471", {"time_barred": True}), ("ACME-9", {}), ("NEW-1", {})]
