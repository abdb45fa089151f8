"""An agent's transfer to a number on the in-memory unit of work: only a number the firm
lists in ``[desk] transfer_numbers`` may be rung, and not even a listed one while it is on
the firm's do-not-call list, erased, or one of the firm's contacts'; a transfer to another
agent is unchanged; the audit names the listed line it went to."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from lexdial.domain.states import AgentState
from lexdial.errors import RequestError
from lexdial.service import desk_line_requests
from lexdial.service.fakes import ListAudit, Reversible
from lexdial.service.fakes.uow import MemoryUnitOfWork
from lexdial.service.repos.desk import DeskSession
from lexdial.service.users import Caller

FIRM, CAMPAIGN = 1, 7
NOW = datetime(2026, 12, 2, 16, 0, tzinfo=UTC)
CIPHER = Reversible()
RECEPTION = "+16145550100"  # the firm's listed line
LISTED = (RECEPTION, "+16145550111")


def _seat(uow: MemoryUnitOfWork, email: str, state: AgentState, attempt: int | None) -> Caller:
    user_id = uow.users.add(FIRM, email, "name", "agent", NOW)
    uow.desk.save(DeskSession(user_id, FIRM, CAMPAIGN, state, None, NOW, attempt_id=attempt))
    return Caller.user(user_id)


@pytest.fixture
def uow() -> MemoryUnitOfWork:
    return MemoryUnitOfWork()


@pytest.fixture
def agent(uow: MemoryUnitOfWork) -> Caller:
    """An agent on call #42."""
    return _seat(uow, "a@firm.test", AgentState.ON_CALL, 42)


def _transfer(
    uow: MemoryUnitOfWork, agent: Caller, target: str, allowed: tuple[str, ...] = LISTED
) -> tuple[str | None, ListAudit]:
    audit = ListAudit()
    s = desk_line_requests.transfer(uow, CIPHER, audit, agent, target, False, NOW, allowed=allowed)
    return s.line_request, audit


def _refusal(
    uow: MemoryUnitOfWork, agent: Caller, target: str, allowed: tuple[str, ...] = LISTED
) -> str:
    with pytest.raises(RequestError) as e:
        _transfer(uow, agent, target, allowed)
    assert e.value.field == "target"
    after = uow.desk.session(FIRM, agent.user_id or 0)
    assert after is not None and after.line_request is None  # nothing asked of the line
    return str(e.value)


def test_a_listed_number_is_transferred_to_and_the_audit_names_it(
    uow: MemoryUnitOfWork, agent: Caller
) -> None:
    request, audit = _transfer(uow, agent, "+1 (614) 555-0100")
    assert request == f"transfer:cold:{RECEPTION}"
    [entry] = audit.entries
    assert entry["action"] == "desk.transfer_requested"
    assert entry["data"] == {"attempt_id": 42, "warm": False, "target": RECEPTION}


@pytest.mark.parametrize(
    ("target", "allowed"),
    [
        pytest.param("+16145550199", LISTED, id="a valid number the firm does not list"),
        pytest.param(RECEPTION, (), id="any number when the firm lists none (the default)"),
    ],
)
def test_a_number_the_firm_does_not_list_is_refused_naming_the_setting(
    uow: MemoryUnitOfWork, agent: Caller, target: str, allowed: tuple[str, ...]
) -> None:
    message = _refusal(uow, agent, target, allowed)
    assert "[desk] transfer_numbers" in message and "user:ID" in message


def test_a_listed_number_on_the_firms_do_not_call_list_is_refused(
    uow: MemoryUnitOfWork, agent: Caller
) -> None:
    bidx = CIPHER.blind_index(RECEPTION, kind="number")
    uow.suppression.add_dnc_entry(FIRM, bidx, NOW, "staff", None)
    assert "do-not-call" in _refusal(uow, agent, RECEPTION)


def test_a_listed_number_that_is_a_contacts_is_refused(
    uow: MemoryUnitOfWork, agent: Caller
) -> None:
    contact = uow.contacts.add({"firm_id": FIRM})
    bidx = CIPHER.blind_index(RECEPTION, kind="number")
    uow.contacts.add_number({"firm_id": FIRM, "contact_id": contact, "number_bidx": bidx})
    assert "person's number" in _refusal(uow, agent, RECEPTION)


def test_a_listed_number_of_an_erased_person_is_refused(
    uow: MemoryUnitOfWork, agent: Caller
) -> None:
    bidx = CIPHER.blind_index(RECEPTION, kind="number")
    uow.suppression.erasure_tombstones.add((FIRM, bidx))
    assert "person's number" in _refusal(uow, agent, RECEPTION)


def test_another_firms_records_do_not_block_a_listed_number(
    uow: MemoryUnitOfWork, agent: Caller
) -> None:
    bidx = CIPHER.blind_index(RECEPTION, kind="number")
    uow.suppression.add_dnc_entry(FIRM + 1, bidx, NOW, "staff", None)
    contact = uow.contacts.add({"firm_id": FIRM + 1})
    uow.contacts.add_number({"firm_id": FIRM + 1, "contact_id": contact, "number_bidx": bidx})
    assert _transfer(uow, agent, RECEPTION)[0] == f"transfer:cold:{RECEPTION}"


def test_a_transfer_to_a_ready_agent_needs_no_listed_number(
    uow: MemoryUnitOfWork, agent: Caller
) -> None:
    other = _seat(uow, "b@firm.test", AgentState.READY, None)
    request, audit = _transfer(uow, agent, f"user:{other.user_id}", allowed=())
    assert request == f"transfer:cold:user:{other.user_id}"
    assert audit.entries[0]["data"]["target"] == f"user:{other.user_id}"


@pytest.mark.parametrize("target", ["nonsense", "+1", "614 555 0100", "user:x"])
def test_a_target_that_is_neither_an_agent_nor_a_number_is_refused(
    uow: MemoryUnitOfWork, agent: Caller, target: str
) -> None:
    _refusal(uow, agent, target)
