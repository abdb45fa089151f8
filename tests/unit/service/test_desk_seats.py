"""The dialler keeps agents' legs and its pool in step with the desk's seats (issue 12)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime
from typing import TypeVar

import pytest

from lexdial.domain import telephony as tel
from lexdial.domain.agents import AgentPool
from lexdial.domain.states import AgentState
from lexdial.errors import TelephonyError
from lexdial.service.desk_seats import DeskSeats
from lexdial.service.fakes import ListAudit, Reversible
from lexdial.service.fakes.uow import MemoryUnitOfWork
from lexdial.service.repos.desk import DeskSession

T = TypeVar("T")
AT = datetime(2026, 12, 2, 15, 0, tzinfo=UTC)
FIRM, CAMPAIGN = 1, 7
CIPHER = Reversible()


class InlineStore:
    async def run(self, work: Callable[[], T]) -> T:
        return work()


class LegPhone:
    """Records what the dialler asks of agents' legs; refuses the agents it is told to."""

    def __init__(self, refuse: frozenset[str] = frozenset()) -> None:
        self.calls: list[tuple[str, object]] = []
        self.refuse = refuse

    async def agent_login(self, leg: tel.AgentLeg) -> None:
        self.calls.append(("login", leg))
        if leg.agent in self.refuse:
            raise TelephonyError("486 busy here")

    async def agent_logout(self, agent: str) -> None:
        self.calls.append(("logout", agent))

    async def hangup(self, call_id: str) -> None:
        self.calls.append(("hangup", call_id))

    async def transfer(self, call_id: str, target: str, *, warm: bool) -> None:
        self.calls.append(("transfer", (call_id, target, warm)))


def _seats(
    uow: MemoryUnitOfWork, phone: LegPhone, **kw: object
) -> tuple[DeskSeats, AgentPool, list[tuple[str, str]]]:
    matches: list[tuple[str, str]] = []
    pool = AgentPool((), lambda call, agent: matches.append((call, agent)))

    @contextmanager
    def tx() -> Iterator[MemoryUnitOfWork]:
        yield uow

    seats = DeskSeats(
        tx, InlineStore(), ListAudit(), FIRM, CAMPAIGN, phone,  # type: ignore[arg-type]
        pool, lambda: AT, "+16145550199", **kw,  # type: ignore[arg-type]
    )  # fmt: skip
    return seats, pool, matches


def _seat(uow: MemoryUnitOfWork, user_id: int, state: str = "ready", **kw: object) -> None:
    uow.desk.save(DeskSession(user_id, FIRM, CAMPAIGN, state, None, AT, **kw))  # type: ignore[arg-type]


@pytest.fixture
def uow() -> MemoryUnitOfWork:
    return MemoryUnitOfWork()


def test_a_seat_with_a_sip_endpoint_gets_a_leg_and_agent_up_seats_it_in_the_pool(
    uow: MemoryUnitOfWork,
) -> None:
    ep = uow.users.add_endpoint(3, "sip", "sip:ana@pbx.example", AT)
    _seat(uow, 3, endpoint_id=ep)
    phone = LegPhone()
    seats, pool, _ = _seats(uow, phone)

    async def go() -> None:
        await seats.turn()
        assert pool.free == 0  # the leg is not up yet: not in the pool
        seats.on_leg(tel.CallEvent("", tel.AGENT_UP, 0.0, detail="user:3"))
        await seats.turn()
        await seats.close()

    asyncio.run(go())
    login = phone.calls[0]
    assert login == ("login", tel.AgentLeg("user:3", "sip", "sip:ana@pbx.example", "+16145550199"))
    session = uow.desk.session(FIRM, 3)
    assert session is not None and session.leg_up is False  # closed again by close()
    assert ("logout", "user:3") in phone.calls


def test_agent_up_is_written_to_the_seat(uow: MemoryUnitOfWork) -> None:
    _seat(uow, 3)
    seats, pool, _ = _seats(uow, LegPhone(), endpointless=True)

    async def go() -> None:
        await seats.turn()
        seats.on_leg(tel.CallEvent("", tel.AGENT_UP, 0.0, detail="user:3"))
        await asyncio.sleep(0)
        await asyncio.gather(*seats._writes)
        await seats.turn()

    asyncio.run(go())
    session = uow.desk.session(FIRM, 3)
    assert session is not None and session.leg_up is True
    assert pool.free == 1


def test_a_paused_seat_leaves_the_pool_and_a_logged_out_seat_loses_its_leg(
    uow: MemoryUnitOfWork,
) -> None:
    _seat(uow, 3)
    _seat(uow, 4)
    phone = LegPhone()
    seats, pool, _ = _seats(uow, phone, endpointless=True)

    async def go() -> None:
        await seats.turn()
        for agent in ("user:3", "user:4"):
            seats.on_leg(tel.CallEvent("", tel.AGENT_UP, 0.0, detail=agent))
        await seats.turn()
        assert pool.free == 2
        s3, s4 = uow.desk.session(FIRM, 3), uow.desk.session(FIRM, 4)
        assert s3 is not None and s4 is not None
        uow.desk.save(replace(s3, state=AgentState.PAUSED.value))
        uow.desk.save(replace(s4, state=AgentState.LOGGED_OUT.value))
        await seats.turn()

    asyncio.run(go())
    assert pool.free == 0
    assert ("logout", "user:4") in phone.calls and ("logout", "user:3") not in phone.calls


def test_someone_elses_endpoint_on_a_seat_is_never_dialled(uow: MemoryUnitOfWork) -> None:
    theirs = uow.users.add_endpoint(9, "sip", "sip:other@pbx.example", AT)
    _seat(uow, 3, endpoint_id=theirs)
    phone = LegPhone()
    seats, _, _ = _seats(uow, phone)
    asyncio.run(seats.turn())
    assert phone.calls == []


def test_a_browser_endpoint_uses_the_injected_address_and_without_one_gets_no_leg(
    uow: MemoryUnitOfWork,
) -> None:
    ep = uow.users.add_endpoint(3, "browser", None, AT)
    _seat(uow, 3, endpoint_id=ep)
    without = LegPhone()
    asyncio.run(_seats(uow, without)[0].turn())
    assert without.calls == []
    phone = LegPhone()
    seats, _, _ = _seats(uow, phone, browser_address=lambda uid: f"sip:desk-{uid}@lexdial")
    asyncio.run(seats.turn())
    assert phone.calls == [
        ("login", tel.AgentLeg("user:3", "sip", "sip:desk-3@lexdial", "+16145550199"))
    ]


def test_a_refused_leg_is_not_retried_at_once(uow: MemoryUnitOfWork) -> None:
    _seat(uow, 3)
    phone = LegPhone(refuse=frozenset({"user:3"}))
    seats, pool, _ = _seats(uow, phone, endpointless=True)

    async def go() -> None:
        await seats.turn()
        await seats.turn()

    asyncio.run(go())
    assert [c for c, _ in phone.calls] == ["login"] and pool.free == 0


def test_an_agent_whose_call_ended_waits_in_wrap_up_until_the_desk_says_ready(
    uow: MemoryUnitOfWork,
) -> None:
    _seat(uow, 3)
    seats, pool, matches = _seats(uow, LegPhone(), endpointless=True)

    async def go() -> None:
        await seats.turn()
        seats.on_leg(tel.CallEvent("", tel.AGENT_UP, 0.0, detail="user:3"))
        await seats.turn()
        pool.request("a1")
        seats.assigned("user:3", 41)
        await asyncio.sleep(0)
        await asyncio.gather(*seats._writes)
        on_call = uow.desk.session(FIRM, 3)
        assert on_call is not None and on_call.state == "on_call" and on_call.attempt_id == 41
        seats.ended("user:3", 41)
        await asyncio.sleep(0)
        await asyncio.gather(*seats._writes)
        await seats.turn()
        assert pool.free == 0  # wrap-up: not back yet
        s = uow.desk.session(FIRM, 3)
        assert s is not None and s.state == "wrap_up"
        uow.desk.save(replace(s, state="ready"))  # the desk stored a disposition
        await seats.turn()

    asyncio.run(go())
    assert matches == [("a1", "user:3")] and pool.free == 1


def test_a_seat_of_an_agent_the_run_may_not_seat_gets_no_leg(uow: MemoryUnitOfWork) -> None:
    _seat(uow, 3)
    _seat(uow, 4)
    phone = LegPhone()
    seats, _, _ = _seats(uow, phone, endpointless=True, eligible=frozenset({"user:4"}))
    asyncio.run(seats.turn())
    assert [leg.agent for _, leg in phone.calls] == ["user:4"]  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("request_", "expected"),
    [
        pytest.param("hangup", ("hangup", "a41"), id="hangup"),
        pytest.param(
            "transfer:cold:+12025550100", ("transfer", ("a41", "+12025550100", False)), id="cold"
        ),
        pytest.param("transfer:warm:user:9", ("transfer", ("a41", "user:9", True)), id="warm"),
    ],
)
def test_an_agents_line_request_is_carried_out_on_their_call_and_cleared(
    uow: MemoryUnitOfWork, request_: str, expected: tuple[str, object]
) -> None:
    phone = _line_request(uow, request_)
    assert phone.calls[-1] == expected
    s = uow.desk.session(FIRM, 3)
    assert s is not None and s.line_request is None


def _line_request(
    uow: MemoryUnitOfWork, request_: str, audit: ListAudit | None = None, **kw: object
) -> LegPhone:
    """Seat user 3 on call a41 with ``request_`` on their line, and one turn to carry it."""
    _seat(uow, 3)
    phone = LegPhone()
    seats, pool, _ = _seats(uow, phone, endpointless=True, **{"cipher": CIPHER, **kw})
    if audit is not None:
        seats.audit = audit

    async def go() -> None:
        await seats.turn()
        seats.on_leg(tel.CallEvent("", tel.AGENT_UP, 0.0, detail="user:3"))
        await seats.turn()
        pool.request("a41")
        s = uow.desk.session(FIRM, 3)
        assert s is not None
        uow.desk.save(replace(s, state="on_call", line_request=request_))
        await seats.turn()
        await asyncio.sleep(0)
        await asyncio.gather(*seats._writes)

    asyncio.run(go())
    return phone


@pytest.mark.parametrize("since", ["dnc", "erased", "contact", "no-cipher"])
def test_a_transfer_to_a_number_the_records_forbid_since_the_click_is_not_placed(
    uow: MemoryUnitOfWork, since: str
) -> None:
    bidx = CIPHER.blind_index("+12025550100", kind="number")
    if since == "dnc":
        uow.suppression.add_dnc_entry(FIRM, bidx, AT, "staff", None)
    elif since == "erased":
        uow.suppression.erasure_tombstones.add((FIRM, bidx))
    elif since == "contact":
        contact = uow.contacts.add({"firm_id": FIRM})
        uow.contacts.add_number({"firm_id": FIRM, "contact_id": contact, "number_bidx": bidx})
    audit = ListAudit()
    kw = {"cipher": None} if since == "no-cipher" else {}
    phone = _line_request(uow, "transfer:cold:+12025550100", audit, **kw)
    assert not [c for c in phone.calls if c[0] == "transfer"]
    s = uow.desk.session(FIRM, 3)
    assert s is not None and s.line_request is None  # cleared: the agent may ask again
    refused = [e for e in audit.entries if e["action"] == "desk.transfer_refused"]
    if since == "no-cipher":
        assert refused == []  # nothing could be read, so nothing is claimed of the records
    else:
        assert [e["subject"] for e in refused] == ["user:3"]
        assert "+12025550100" not in str(refused)  # a person's number is never audited


def test_a_line_request_with_no_call_on_the_line_is_only_cleared(uow: MemoryUnitOfWork) -> None:
    _seat(uow, 3, line_request="hangup")
    phone = LegPhone()
    seats, _, _ = _seats(uow, phone, endpointless=True)

    async def go() -> None:
        await seats.turn()
        await asyncio.sleep(0)
        await asyncio.gather(*seats._writes)

    asyncio.run(go())
    assert [c for c, _ in phone.calls] == ["login"]
    s = uow.desk.session(FIRM, 3)
    assert s is not None and s.line_request is None


def test_a_leg_that_comes_up_after_its_seat_logged_out_is_hung_up_and_not_marked_up(
    uow: MemoryUnitOfWork,
) -> None:
    _seat(uow, 3)
    phone = LegPhone()
    seats, pool, _ = _seats(uow, phone, endpointless=True)

    async def go() -> None:
        await seats.turn()
        s = uow.desk.session(FIRM, 3)
        assert s is not None
        uow.desk.save(replace(s, state=AgentState.LOGGED_OUT.value))
        await seats.turn()  # logged out while the phone rang
        seats.on_leg(tel.CallEvent("", tel.AGENT_UP, 0.0, detail="user:3"))
        await asyncio.sleep(0)
        await asyncio.gather(*seats._writes)

    asyncio.run(go())
    assert [c for c, _ in phone.calls] == ["login", "logout", "logout"]
    s = uow.desk.session(FIRM, 3)
    assert s is not None and not s.leg_up and pool.free == 0


def test_a_softphone_address_that_cannot_be_made_gives_no_leg_and_no_crash(
    uow: MemoryUnitOfWork,
) -> None:
    ep = uow.users.add_endpoint(3, "browser", None, AT)
    _seat(uow, 3, endpoint_id=ep)
    phone = LegPhone()

    def broken(user_id: int) -> str:
        raise ValueError("desk.webrtc_sip binds every address")

    seats, _, _ = _seats(uow, phone, browser_address=broken)
    asyncio.run(seats.turn())
    assert phone.calls == []


def test_the_pacer_stops_expecting_an_agent_back_once_their_seat_is_ready_or_paused(
    uow: MemoryUnitOfWork,
) -> None:
    _seat(uow, 3)
    _seat(uow, 4, state="wrap_up")
    freed: list[str] = []
    seats, pool, _ = _seats(uow, LegPhone(), endpointless=True, on_free=freed.append)

    async def go() -> None:
        await seats.turn()
        for agent in ("user:3", "user:4"):
            seats.on_leg(tel.CallEvent("", tel.AGENT_UP, 0.0, detail=agent))
        await seats.turn()

    asyncio.run(go())
    # user:3 is ready and free; user:4 is in wrap-up: the pacer still expects them back
    assert "user:3" in freed and "user:4" not in freed and pool.free == 1
