"""The call driver on the in-memory unit of work and a scripted carrier: no database.

What matters: a placed call always ends with its outcome stored — when the carrier refuses
the dial, and when the carrier goes silent (the watchdog closes it) — and an event for a
call already closed changes nothing.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import nullcontext
from datetime import UTC, datetime

import pytest

from lexdial.domain import telephony as tel
from lexdial.domain.campaign_spec import CampaignSpec, Message
from lexdial.domain.prompts import build_prompts
from lexdial.errors import TelephonyError
from lexdial.rules.engine import Engine
from lexdial.service import call_driver
from lexdial.service.call_driver import CallDriver
from lexdial.service.contacts import NUMBER_CTX
from lexdial.service.dialer_queue import QueueItem
from lexdial.service.dialer_stats import RunStats
from lexdial.service.fakes import ListAudit, MemoryRegistry, Reversible
from lexdial.service.fakes.uow import MemoryUnitOfWork
from lexdial.service.gate import CallPlan, gate
from lexdial.service.pacing_feed import PacingFeed
from lexdial.service.repos.calls import GateCampaign, GateContact, GateNumber

FIRM, CONTACT, CAMPAIGN = 1, 10, 7
NOON_NY = datetime(2026, 12, 2, 16, 0, tzinfo=UTC)  # Wed 11:00 in New York
CIPHER = Reversible()
SPEC = CampaignSpec(
    name="reminders", purpose="reminder", mode="broadcast", caller_id="+16145550000",
    message=Message(text="Your appointment is tomorrow."),
)  # fmt: skip


class ScriptedCarrier:
    """A Telephony that accepts (or refuses) every dial and reports only what it is told."""

    channels, cps, timescale = 4, 10.0, 0.0001

    def __init__(self, *, refuse: bool = False) -> None:
        self.refuse = refuse
        self.dialled: list[tel.Dial] = []
        self._events: asyncio.Queue[tel.CallEvent | None] = asyncio.Queue()

    async def start(self) -> None:
        return None

    async def close(self) -> None:
        self._events.put_nowait(None)

    async def dial(self, dial: tel.Dial) -> None:
        if self.refuse:
            raise TelephonyError("trunk down")
        self.dialled.append(dial)

    async def play(self, call_id: str, prompt: str) -> None:
        return None

    async def bridge(self, call_id: str, agent: str) -> None:
        return None

    async def agent_login(self, leg: tel.AgentLeg) -> None:
        return None

    async def agent_logout(self, agent: str) -> None:
        return None

    async def transfer(self, call_id: str, target: str, *, warm: bool) -> None:
        return None

    async def hangup(self, call_id: str) -> None:
        return None

    async def events(self) -> AsyncIterator[tel.CallEvent]:
        while (event := await self._events.get()) is not None:
            yield event


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
    store.campaigns[CAMPAIGN] = GateCampaign(
        firm_id=FIRM, purpose="reminder", technology="prerecorded", mode="broadcast"
    )
    store.statuses[CAMPAIGN] = "running"
    return uow


def _drive(uow: MemoryUnitOfWork, engine: Engine, carrier: ScriptedCarrier) -> CallDriver:
    """Gate one manual call, place it, and wait until the driver has closed it."""
    allowed = gate(
        uow, engine, CIPHER, ListAudit(), MemoryRegistry(),
        firm_id=FIRM, contact_id=CONTACT, at=NOON_NY, plan=CallPlan("debt_collection", "manual"),
    )  # fmt: skip
    assert allowed.decision.verdict == "allow"
    item = QueueItem(uow.attempts.add_to_queue(CAMPAIGN, CONTACT), CONTACT, 0, SPEC.retry)

    async def go() -> CallDriver:
        driver = CallDriver(
            lambda: nullcontext(uow), CIPHER, ListAudit(), FIRM, carrier, lambda: NOON_NY,
            RunStats(), PacingFeed(), SPEC, build_prompts(SPEC),
        )  # fmt: skip
        pump = asyncio.create_task(driver.pump())
        await driver.place(item, allowed.attempt_id, allowed.number)
        await asyncio.wait_for(driver.wake.wait(), 5.0)
        driver.inbox.put_nowait(None)
        await pump
        return driver

    return asyncio.run(go())


def test_a_dial_the_carrier_refuses_ends_as_a_failed_call_with_its_outcome_stored(
    uow: MemoryUnitOfWork, engine: Engine
) -> None:
    driver = _drive(uow, engine, ScriptedCarrier(refuse=True))
    assert driver.stats.dialled == 1 and driver.stats.outcomes == {"failed": 1}
    assert driver.calls == {} and driver.stats.halted is None
    [outcome] = uow.attempts.outcomes.values()
    assert outcome.outcome == "failed"


def test_a_call_the_carrier_never_ends_is_closed_by_the_watchdog(
    uow: MemoryUnitOfWork, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(call_driver, "WATCHDOG_GRACE_S", 0.0)
    carrier = ScriptedCarrier()
    driver = _drive(uow, engine, carrier)
    assert [d.to for d in carrier.dialled] == ["+16145550101"]
    assert driver.stats.aborted == 1 and driver.calls == {}
    [outcome] = uow.attempts.outcomes.values()
    assert "watchdog" in (outcome.detail or "")


def test_an_event_for_a_call_already_closed_changes_nothing(
    uow: MemoryUnitOfWork, engine: Engine
) -> None:
    driver = _drive(uow, engine, ScriptedCarrier(refuse=True))
    before = (dict(driver.stats.outcomes), driver.stats.carrier_errors)

    async def late() -> None:
        pump = asyncio.create_task(driver.pump())
        driver.inbox.put_nowait(tel.CallEvent("a999", tel.HANGUP, 1.0))
        driver.inbox.put_nowait(None)
        await pump

    asyncio.run(late())
    assert (dict(driver.stats.outcomes), driver.stats.carrier_errors) == before


def test_the_pacing_feed_gets_each_calls_amd_time_and_agent_wait() -> None:
    from dataclasses import replace as _replace

    from lexdial.domain.agents import AgentPool
    from lexdial.domain.call import CallFlow, FlowConfig
    from lexdial.service.call_driver import LiveCall

    feed = PacingFeed()
    spec = _replace(SPEC, mode="predictive")

    async def go() -> None:
        driver = CallDriver(
            lambda: nullcontext(MemoryUnitOfWork()), CIPHER, ListAudit(), FIRM,
            ScriptedCarrier(), lambda: NOON_NY, RunStats(), feed, spec, build_prompts(SPEC),
        )  # fmt: skip
        driver.pool = AgentPool(("user:5",), driver.assigned)
        item = QueueItem(1, CONTACT, 0, SPEC.retry)
        flow = CallFlow("a1", FlowConfig(live_agents=True))
        driver.calls["a1"] = LiveCall(flow, item, 1, "+16145550101", 0.0)
        for kind, t in ((tel.ANSWERED, 5.0), (tel.HUMAN, 7.25)):
            await driver._handle(tel.CallEvent("a1", kind, t))
        agent_event = driver.inbox.get_nowait()  # the pool matched user:5
        await driver._handle(agent_event)
        await driver._handle(tel.CallEvent("a1", tel.BRIDGED, 7.75, detail="user:5"))

    asyncio.run(go())
    assert list(feed.amd_times)[-1] == pytest.approx(2.25)
    assert list(feed.connect_waits)[-1] == pytest.approx(0.5)
