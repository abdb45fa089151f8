"""Preview offers, the Call at the click and manual click-to-call on the in-memory unit of
work: the dialler's side of issue 12, item 2 (no database, no carrier but a scripted one).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import TypeVar

import pytest

from lexdial.domain import telephony as tel
from lexdial.domain.agents import AgentPool
from lexdial.domain.call import CallFlow, FlowConfig, Outcome, State
from lexdial.domain.campaign_spec import CampaignSpec, Message
from lexdial.domain.prompts import build_prompts
from lexdial.domain.states import AgentState
from lexdial.errors import CallStateError
from lexdial.rules.engine import Engine
from lexdial.service.call_driver import CallDriver
from lexdial.service.contacts import NUMBER_CTX
from lexdial.service.desk_seats import DeskSeats
from lexdial.service.dialer_queue import (
    OFFERED,
    OFFERED_ONLY,
    QueueItem,
    admit,
    offer_next,
    recover,
)
from lexdial.service.dialer_stats import RunStats
from lexdial.service.fakes import ListAudit, MemoryRegistry, Reversible
from lexdial.service.fakes.uow import MemoryUnitOfWork
from lexdial.service.outcomes import record_outcome
from lexdial.service.pacing_feed import PacingFeed
from lexdial.service.repos.calls import GateCampaign, GateContact, GateNumber
from lexdial.service.repos.desk import DeskSession

T = TypeVar("T")
FIRM, CAMPAIGN = 1, 7
NOON_NY = datetime(2026, 12, 2, 16, 0, tzinfo=UTC)  # Wed 11:00 in New York
CIPHER = Reversible()
SPEC = CampaignSpec(
    name="reminders", purpose="reminder", mode="preview", caller_id="+16145550000",
    message=Message(text="Your appointment is tomorrow."),
)  # fmt: skip
#: contacts 10..12 on landlines (a live call needs no prior consent), 20 on a mobile with
#: no consent (an autodialled call to it is denied)
LANDLINES, MOBILE = (10, 11, 12), 20


class InlineStore:
    async def run(self, work: Callable[[], T]) -> T:
        return work()


class Phone:
    """A Telephony that accepts every command and reports only what the test feeds it."""

    channels, cps, timescale = 4, 10.0, 0.0001

    def __init__(self) -> None:
        self.dialled: list[tel.Dial] = []
        self.bridged: list[tuple[str, str]] = []

    async def dial(self, dial: tel.Dial) -> None:
        self.dialled.append(dial)

    async def bridge(self, call_id: str, agent: str) -> None:
        self.bridged.append((call_id, agent))

    async def play(self, call_id: str, prompt: str) -> None:
        return None

    async def hangup(self, call_id: str) -> None:
        return None

    async def agent_login(self, leg: tel.AgentLeg) -> None:
        return None

    async def agent_logout(self, agent: str) -> None:
        return None

    async def transfer(self, call_id: str, target: str, *, warm: bool) -> None:
        return None

    async def events(self) -> AsyncIterator[tel.CallEvent]:
        if False:  # pragma: no cover - nothing to report
            yield tel.CallEvent("", tel.HANGUP, 0.0)


@pytest.fixture
def uow() -> MemoryUnitOfWork:
    uow = MemoryUnitOfWork()
    store = uow.attempts
    store.firms[FIRM] = "Hartwell & Ruiz LLP"
    address = {"country": "US", "state": "OH", "time_zone": "America/New_York"}
    for contact in (*LANDLINES, MOBILE):
        store.contacts[contact] = GateContact(
            firm_id=FIRM, relationship="current_client",
            address_enc=CIPHER.encrypt(json.dumps(address), context="contacts.address"),
        )  # fmt: skip
        kind = "wireless" if contact == MOBILE else "landline"
        number = CIPHER.encrypt(f"+161455501{contact:02d}", context=NUMBER_CTX)
        store.numbers[contact] = GateNumber(number, f"bidx-{contact}", kind)
    store.campaigns[CAMPAIGN] = GateCampaign(
        firm_id=FIRM,
        purpose="reminder",
        technology="autodialed",
        mode="preview",
        caller_id="+16145550000",
    )
    store.statuses[CAMPAIGN] = "running"
    for contact in (*LANDLINES, MOBILE):
        store.add_to_queue(CAMPAIGN, contact)
    return uow


def _seat(
    uow: MemoryUnitOfWork,
    user_id: int,
    state: str = "ready",
    reason: str | None = None,
    **kw: object,
) -> None:
    kw.setdefault("leg_up", True)
    uow.desk.save(DeskSession(user_id, FIRM, CAMPAIGN, state, reason, NOON_NY, **kw))  # type: ignore[arg-type]


def _desk(uow: MemoryUnitOfWork, *, preview: bool = True) -> DeskSeats:
    @contextmanager
    def tx() -> Iterator[MemoryUnitOfWork]:
        yield uow

    return DeskSeats(
        tx, InlineStore(), ListAudit(), FIRM, CAMPAIGN, Phone(),  # type: ignore[arg-type]
        AgentPool((), lambda call, agent: None), lambda: NOON_NY, endpointless=True,
        preview=preview, retry=SPEC.retry,
    )  # fmt: skip


def _up(seats: DeskSeats, *users: int) -> None:
    for user in users:
        seats.legs[f"user:{user}"] = "up"


async def _settle(seats: DeskSeats) -> None:
    await asyncio.sleep(0)
    if seats._writes:
        await asyncio.gather(*seats._writes)


def _offered(uow: MemoryUnitOfWork) -> dict[int, int]:
    """contact -> queue id of the rows held "offered"."""
    return {q["contact_id"]: i for i, q in uow.attempts.queue.items() if q["status"] == OFFERED}


# --- offers


def test_each_ready_seat_is_offered_one_contact_and_no_two_seats_get_the_same(
    uow: MemoryUnitOfWork,
) -> None:
    _seat(uow, 3)
    _seat(uow, 4)
    _seat(uow, 5, state=AgentState.PAUSED.value)  # paused: offered nothing
    seats = _desk(uow)
    _up(seats, 3, 4, 5)

    async def go() -> None:
        await seats.turn()
        await seats.turn()  # a second turn offers nothing more to a seat already showing one

    asyncio.run(go())
    shown = {u: uow.desk.session(FIRM, u) for u in (3, 4, 5)}
    three, four, five = (shown[u] for u in (3, 4, 5))
    assert three is not None and four is not None and five is not None
    assert three.state == four.state == AgentState.PREVIEW.value
    assert three.preview_contact_id != four.preview_contact_id
    assert set(_offered(uow)) == {three.preview_contact_id, four.preview_contact_id}
    assert five.preview_contact_id is None and five.state == AgentState.PAUSED.value


def test_an_offered_contact_is_not_due_and_cannot_be_offered_to_a_second_seat(
    uow: MemoryUnitOfWork,
) -> None:
    _seat(uow, 3)
    _seat(uow, 4)
    first = offer_next(
        uow, firm_id=FIRM, campaign_id=CAMPAIGN, user_id=3, now=NOON_NY, retry=SPEC.retry
    )
    assert first is not None and first.queue_id is not None
    # the row is out of what is due: no other seat and no automatic dial can take it
    assert not uow.attempts.offer(first.queue_id, ("pending", "deferred", "retry"))
    due = uow.attempts.due(CAMPAIGN, NOON_NY, 10, ("pending", "deferred", "retry"))
    assert first.contact_id not in {r.contact_id for r in due.rows}
    second = offer_next(
        uow, firm_id=FIRM, campaign_id=CAMPAIGN, user_id=4, now=NOON_NY, retry=SPEC.retry
    )
    assert second is not None and second.contact_id != first.contact_id
    # a seat that already shows an offer, or whose leg is down, is offered nothing
    _seat(uow, 6, leg_up=False)
    none = [
        offer_next(uow, firm_id=FIRM, campaign_id=CAMPAIGN, user_id=u, now=NOON_NY,
                   retry=SPEC.retry)
        for u in (3, 6)
    ]  # fmt: skip
    assert none == [None, None]


def test_a_skipped_offer_goes_back_an_hour_later_and_the_next_contact_is_offered(
    uow: MemoryUnitOfWork,
) -> None:
    _seat(uow, 3)
    seats = _desk(uow)
    _up(seats, 3)

    async def go() -> tuple[int | None, int | None]:
        await seats.turn()
        s = uow.desk.session(FIRM, 3)
        assert s is not None
        first = s.preview_contact_id
        # the desk's preview_skip: READY, nothing offered
        uow.desk.save(replace(s, state=AgentState.READY.value, preview_contact_id=None))
        await seats.turn()  # takes the offer back
        await seats.turn()  # offers the next
        s = uow.desk.session(FIRM, 3)
        assert s is not None
        return first, s.preview_contact_id

    first, second = asyncio.run(go())
    assert first is not None and second is not None and second != first
    row = next(q for q in uow.attempts.queue.values() if q["contact_id"] == first)
    assert row["status"] == "pending" and row["next_at"] == NOON_NY + timedelta(hours=1)


def test_a_new_run_puts_the_offers_of_a_stopped_one_back_in_the_queue(
    uow: MemoryUnitOfWork,
) -> None:
    _seat(uow, 3)
    offer_next(uow, firm_id=FIRM, campaign_id=CAMPAIGN, user_id=3, now=NOON_NY, retry=SPEC.retry)
    assert len(_offered(uow)) == 1
    recover(uow, ListAudit(), CAMPAIGN, NOON_NY, SPEC.retry)
    assert _offered(uow) == {}
    seats = _desk(uow)  # the new run's seats: the seat's stale offer is withdrawn
    _up(seats, 3)

    async def go() -> None:
        await seats.turn()
        await _settle(seats)

    asyncio.run(go())
    s = uow.desk.session(FIRM, 3)
    assert s is not None and s.state == AgentState.READY.value and s.preview_contact_id is None


# --- the Call


def _clicked(uow: MemoryUnitOfWork, seats: DeskSeats, user: int) -> QueueItem:
    """Offer a contact to ``user`` and click Call on it; the click the dialler gets."""

    async def go() -> QueueItem:
        await seats.turn()
        s = uow.desk.session(FIRM, user)
        assert s is not None and s.preview_contact_id is not None
        uow.desk.save(replace(s, dial_contact_id=s.preview_contact_id))  # preview_call
        clicks = await seats.turn()
        assert [c.agent for c in clicks] == [f"user:{user}"]
        assert await seats.turn() == []  # handed over once
        return clicks[0].item

    return asyncio.run(go())


def test_a_call_is_gated_recorded_and_dialled_with_its_agent_joined_at_the_answer(
    uow: MemoryUnitOfWork, engine: Engine
) -> None:
    _seat(uow, 3)
    seats = _desk(uow)
    _up(seats, 3)
    item = _clicked(uow, seats, 3)
    assert item.queue_id is not None and item.contact_id in LANDLINES
    admitted = admit(
        uow, engine, CIPHER, ListAudit(), MemoryRegistry(), firm_id=FIRM, campaign_id=CAMPAIGN,
        spec=SPEC, item=item, at=NOON_NY, statuses=OFFERED_ONLY,
    )  # fmt: skip
    assert admitted.verdict == "allow" and admitted.attempt_id is not None
    assert uow.attempts.attempts[admitted.attempt_id].contact_id == item.contact_id
    assert uow.attempts.queue[item.queue_id]["status"] == "dialing"
    phone = Phone()
    driver = CallDriver(
        lambda: nullcontext(uow), CIPHER, ListAudit(), FIRM, phone, lambda: NOON_NY,  # type: ignore[arg-type]
        RunStats(), PacingFeed(), SPEC, build_prompts(SPEC), pool=seats.pool, desk=seats,
    )  # fmt: skip
    call = f"a{admitted.attempt_id}"

    async def go() -> None:
        assert admitted.attempt_id is not None and admitted.number is not None
        await driver.place(item, admitted.attempt_id, admitted.number, agent="user:3")
        assert driver.pool is not None and driver.pool.busy == {"user:3": call}  # reserved
        for kind in (tel.RINGING, tel.ANSWERED):
            await driver._handle(tel.CallEvent(call, kind, 1.0))
        assert phone.bridged == [(call, "user:3")]  # at the answer, no detection awaited
        await driver._handle(tel.CallEvent(call, tel.HUMAN, 1.5))  # a late verdict: ignored
        await driver._handle(tel.CallEvent(call, tel.BRIDGED, 1.2, detail="user:3"))
        await driver._handle(tel.CallEvent(call, tel.HANGUP, 30.0, detail="far end"))
        await asyncio.gather(*driver._finishing)
        await _settle(seats)

    asyncio.run(go())
    assert phone.dialled[0].detect_machine is False
    assert uow.attempts.outcomes[admitted.attempt_id].outcome == "bridged"
    assert uow.attempts.outcomes[admitted.attempt_id].agent_id == 3
    s = uow.desk.session(FIRM, 3)  # the screen popped, then the call ended: wrap-up
    assert s is not None and s.state == AgentState.WRAP_UP.value
    assert s.attempt_id == admitted.attempt_id and s.dial_contact_id is None
    assert driver.stats.carrier_errors == 0


def test_a_denied_call_puts_the_seat_back_to_ready_with_the_decisions_attempt(
    uow: MemoryUnitOfWork, engine: Engine
) -> None:
    for contact in LANDLINES:  # only the mobile is left to offer
        uow.attempts.queue[contact - 9]["status"] = "done"
    _seat(uow, 3)
    seats = _desk(uow)
    _up(seats, 3)
    item = _clicked(uow, seats, 3)
    assert item.contact_id == MOBILE and item.queue_id is not None
    admitted = admit(
        uow, engine, CIPHER, ListAudit(), MemoryRegistry(), firm_id=FIRM, campaign_id=CAMPAIGN,
        spec=SPEC, item=item, at=NOON_NY, statuses=OFFERED_ONLY,
    )  # fmt: skip
    assert admitted.verdict == "deny" and admitted.attempt_id is not None
    assert uow.attempts.queue[item.queue_id]["status"] == "blocked"
    attempt = admitted.attempt_id

    async def refused() -> None:
        seats.not_placed("user:3", item, attempt)
        await _settle(seats)

    asyncio.run(refused())
    s = uow.desk.session(FIRM, 3)
    assert s is not None and s.state == AgentState.READY.value
    assert s.attempt_id == admitted.attempt_id  # the desk shows the decision
    assert s.dial_contact_id is None and s.preview_contact_id is None


def test_a_reserved_call_never_answered_frees_its_seat(
    uow: MemoryUnitOfWork, engine: Engine
) -> None:
    _seat(uow, 3)
    seats = _desk(uow)
    _up(seats, 3)
    item = _clicked(uow, seats, 3)
    admitted = admit(
        uow, engine, CIPHER, ListAudit(), MemoryRegistry(), firm_id=FIRM, campaign_id=CAMPAIGN,
        spec=SPEC, item=item, at=NOON_NY, statuses=OFFERED_ONLY,
    )  # fmt: skip
    driver = CallDriver(
        lambda: nullcontext(uow), CIPHER, ListAudit(), FIRM, Phone(), lambda: NOON_NY,  # type: ignore[arg-type]
        RunStats(), PacingFeed(), SPEC, build_prompts(SPEC), pool=seats.pool, desk=seats,
    )  # fmt: skip

    async def go() -> None:
        assert admitted.attempt_id is not None and admitted.number is not None
        await driver.place(item, admitted.attempt_id, admitted.number, agent="user:3")
        call = f"a{admitted.attempt_id}"
        await driver._handle(tel.CallEvent(call, tel.NO_ANSWER, 20.0))
        await asyncio.gather(*driver._finishing)
        await _settle(seats)

    asyncio.run(go())
    assert admitted.attempt_id is not None
    assert uow.attempts.outcomes[admitted.attempt_id].outcome == "no_answer"
    s = uow.desk.session(FIRM, 3)
    assert s is not None and s.state == AgentState.READY.value
    assert s.attempt_id == admitted.attempt_id and s.dial_contact_id is None
    assert seats.pool.busy == {}


# --- manual click-to-call


def test_a_manual_call_is_gated_with_the_campaign_and_its_outcome_stored_without_a_queue_row(
    uow: MemoryUnitOfWork, engine: Engine
) -> None:
    uow.attempts.contacts[30] = uow.attempts.contacts[10]  # a client not in the queue
    uow.attempts.numbers[30] = GateNumber(
        CIPHER.encrypt("+16145550130", context=NUMBER_CTX), "bidx-30", "landline"
    )
    _seat(uow, 4, state=AgentState.PAUSED.value, reason="manual call", dial_contact_id=30,
          dial_manual=True)  # fmt: skip
    seats = _desk(uow)
    _up(seats, 4)
    clicks = asyncio.run(seats.turn())
    assert len(clicks) == 1 and clicks[0].manual and clicks[0].item.queue_id is None
    queue_before = {i: dict(q) for i, q in uow.attempts.queue.items()}
    admitted = admit(
        uow, engine, CIPHER, ListAudit(), MemoryRegistry(), firm_id=FIRM, campaign_id=CAMPAIGN,
        spec=SPEC, item=clicks[0].item, at=NOON_NY,
    )  # fmt: skip
    assert admitted.verdict == "allow" and admitted.attempt_id is not None
    attempt = uow.attempts.attempts[admitted.attempt_id]
    assert attempt.campaign_id == CAMPAIGN and attempt.purpose == "reminder"
    flow = CallFlow("m", FlowConfig(True, reserved_agent="user:4"))
    flow.outcome = Outcome.BRIDGED
    status = record_outcome(
        uow, ListAudit(), attempt_id=admitted.attempt_id, queue_id=None, attempts=1, flow=flow,
        retry=SPEC.retry, at=NOON_NY, agent_id=4,
    )  # fmt: skip
    assert status == "done" and uow.attempts.outcomes[admitted.attempt_id].agent_id == 4
    assert uow.attempts.queue == queue_before  # nothing in the queue moved
    with pytest.raises(ValueError):  # still one outcome per attempt
        record_outcome(
            uow, ListAudit(), attempt_id=admitted.attempt_id, queue_id=None, attempts=1,
            flow=flow, retry=SPEC.retry, at=NOON_NY,
        )  # fmt: skip


def test_a_denied_manual_call_leaves_the_seat_paused_with_the_decisions_attempt(
    uow: MemoryUnitOfWork, engine: Engine
) -> None:
    _seat(uow, 4, state=AgentState.PAUSED.value, reason="manual call", dial_contact_id=MOBILE,
          dial_manual=True)  # fmt: skip
    seats = _desk(uow, preview=False)  # manual calls are taken in any desk campaign
    _up(seats, 4)
    (click,) = asyncio.run(seats.turn())
    admitted = admit(
        uow, engine, CIPHER, ListAudit(), MemoryRegistry(), firm_id=FIRM, campaign_id=CAMPAIGN,
        spec=SPEC, item=click.item, at=NOON_NY,
    )  # fmt: skip
    assert admitted.verdict == "deny" and not admitted.closed
    assert uow.attempts.queue[4]["status"] == "pending"  # the queued entry is not touched
    attempt = admitted.attempt_id

    async def refused() -> None:
        seats.not_placed(click.agent, click.item, attempt)
        await _settle(seats)

    asyncio.run(refused())
    s = uow.desk.session(FIRM, 4)
    assert s is not None and s.state == AgentState.PAUSED.value and s.reason == "manual call"
    assert s.attempt_id == admitted.attempt_id and s.dial_contact_id is None
    assert not s.dial_manual


# --- the flow of a reserved call


def test_a_reserved_call_not_joined_within_the_limit_from_the_answer_is_abandoned() -> None:
    flow = CallFlow("a1", FlowConfig(True, reserved_agent="user:3"))
    flow.handle(tel.CallEvent("a1", tel.ANSWERED, 5.0))
    assert flow.state is State.CONNECTING and flow.agent == "user:3"
    assert flow.config.reserved_wait_s == 2.0  # the whole legal limit, from the answer
    cmds = flow.handle(tel.CallEvent("a1", tel.TIMEOUT, 7.0, prompt="agent"))
    assert flow.abandoned and flow.live_answered and flow.state is State.SAFE_HARBOR
    assert [c.action for c in cmds][-1] == "play"


def test_a_detection_verdict_while_connecting_is_still_refused_on_an_ordinary_call() -> None:
    flow = CallFlow("a1", FlowConfig(True))
    flow.handle(tel.CallEvent("a1", tel.ANSWERED, 5.0))
    flow.handle(tel.CallEvent("a1", tel.HUMAN, 6.0))
    with pytest.raises(CallStateError):
        flow.handle(tel.CallEvent("a1", tel.HUMAN, 6.1))
    assert flow.state is State.CONNECTING


def test_a_call_never_gated_because_the_run_stops_gives_the_offered_contact_back(
    uow: MemoryUnitOfWork,
) -> None:
    _seat(uow, 3)
    seats = _desk(uow)
    _up(seats, 3)
    item = _clicked(uow, seats, 3)
    assert item.queue_id is not None

    async def stopping() -> None:
        seats.not_placed("user:3", item, None)
        await _settle(seats)

    asyncio.run(stopping())
    row = uow.attempts.queue[item.queue_id]
    assert row["status"] == "pending" and row["next_at"] is None  # due again at once
    s = uow.desk.session(FIRM, 3)
    assert s is not None and s.state == AgentState.READY.value and s.dial_contact_id is None
    assert uow.attempts.attempts == {}  # nothing was gated: nothing recorded


def test_a_manual_call_a_stopped_dialler_left_open_is_closed_as_failed_on_the_next_run(
    uow: MemoryUnitOfWork, engine: Engine
) -> None:
    manual = QueueItem(None, 10, 0, SPEC.retry)
    admitted = admit(
        uow, engine, CIPHER, ListAudit(), MemoryRegistry(), firm_id=FIRM, campaign_id=CAMPAIGN,
        spec=SPEC, item=manual, at=NOON_NY,
    )  # fmt: skip
    assert admitted.verdict == "allow" and admitted.attempt_id is not None
    # the process died during the call: no outcome; the next run closes it, once
    assert recover(uow, ListAudit(), CAMPAIGN, NOON_NY, SPEC.retry) == 1
    outcome = uow.attempts.outcomes[admitted.attempt_id]
    assert outcome.outcome == "failed" and "interrupted" in (outcome.detail or "")
    assert recover(uow, ListAudit(), CAMPAIGN, NOON_NY, SPEC.retry) == 0
