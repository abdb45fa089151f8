"""A failing carrier on the in-memory unit of work: no database.

What matters: the call driver counts the calls the carrier could not place (a refused dial,
a 503, a timeout) and not the callee's busy or no-answer, which reset the count; every such
call still gets its outcome; and a pause with a reason is stored, audited and cleared.
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
from lexdial.domain.carrier_faults import CarrierBackoff
from lexdial.domain.prompts import build_prompts
from lexdial.errors import TelephonyError
from lexdial.rules.engine import Engine
from lexdial.service.call_driver import CallDriver
from lexdial.service.campaigns import create_campaign, set_status, status_reason
from lexdial.service.contacts import NUMBER_CTX
from lexdial.service.dialer_queue import QueueItem
from lexdial.service.dialer_stats import RunStats
from lexdial.service.fakes import ListAudit, MemoryRegistry, Reversible
from lexdial.service.fakes.uow import MemoryUnitOfWork
from lexdial.service.gate import CallPlan, gate
from lexdial.service.pacing_feed import PacingFeed
from lexdial.service.repos.calls import GateCampaign, GateContact, GateNumber
from lexdial.service.users import OPERATOR, SYSTEM

FIRM, CAMPAIGN = 1, 7
NOON_NY = datetime(2026, 12, 2, 16, 0, tzinfo=UTC)  # Wed 11:00 in New York
CIPHER = Reversible()
SPEC = CampaignSpec(
    name="reminders", purpose="reminder", mode="broadcast", caller_id="+16145550000",
    message=Message(text="Your appointment is tomorrow."),
)  # fmt: skip
REFUSE = "refuse"  # the dial itself raises (Twilio 5xx, trunk unreachable)


class FailingCarrier:
    """Accepts every dial (or refuses it when told to) and reports only what a test sends."""

    channels, cps, timescale = 4, 10.0, 0.0001

    def __init__(self) -> None:
        self.refuse = False

    async def start(self) -> None:
        return None

    async def close(self) -> None:
        return None

    async def dial(self, dial: tel.Dial) -> None:
        if self.refuse:
            raise TelephonyError("Twilio dial failed: HTTP 503, error 20003")

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
        return
        yield  # pragma: no cover


def _uow(people: int) -> MemoryUnitOfWork:
    uow = MemoryUnitOfWork()
    store = uow.attempts
    store.firms[FIRM] = "Hartwell & Ruiz LLP"
    address = {"country": "US", "state": "OH", "time_zone": "America/New_York"}
    for contact in range(1, people + 1):
        store.contacts[contact] = GateContact(
            firm_id=FIRM,
            relationship="current_client",
            address_enc=CIPHER.encrypt(json.dumps(address), context="contacts.address"),
        )
        store.numbers[contact] = GateNumber(
            CIPHER.encrypt(f"+1614555{contact:04d}", context=NUMBER_CTX), f"bidx-{contact}",
            "landline",
        )  # fmt: skip
    store.campaigns[CAMPAIGN] = GateCampaign(
        firm_id=FIRM, purpose="reminder", technology="prerecorded", mode="broadcast"
    )
    store.statuses[CAMPAIGN] = "running"
    return uow


def _calls(engine: Engine, script: list[tuple[str, str | None]]) -> tuple[CallDriver, RunStats]:
    """Gate and place one call per line of ``script`` (an event kind and its detail, or
    REFUSE), one after the other, each ending before the next is dialled."""
    uow, carrier, stats = _uow(len(script)), FailingCarrier(), RunStats()

    async def go() -> CallDriver:
        driver = CallDriver(
            lambda: nullcontext(uow), CIPHER, ListAudit(), FIRM, carrier, lambda: NOON_NY,
            stats, PacingFeed(), SPEC, build_prompts(SPEC),
        )  # fmt: skip
        driver.backoff = CarrierBackoff(limit=3, base_s=0.0)
        pump = asyncio.create_task(driver.pump())
        for contact, (kind, detail) in enumerate(script, start=1):
            allowed = gate(
                uow, engine, CIPHER, ListAudit(), MemoryRegistry(), firm_id=FIRM,
                contact_id=contact, at=NOON_NY, plan=CallPlan("debt_collection", "manual"),
            )  # fmt: skip
            assert allowed.decision.verdict == "allow" and allowed.attempt_id is not None
            item = QueueItem(uow.attempts.add_to_queue(CAMPAIGN, contact), contact, 0, SPEC.retry)
            driver.wake.clear()
            carrier.refuse = kind == REFUSE
            await driver.place(item, allowed.attempt_id, allowed.number)
            if kind != REFUSE:
                driver.inbox.put_nowait(tel.CallEvent(f"a{allowed.attempt_id}", kind, 0.2,
                                                      detail=detail))  # fmt: skip
            await asyncio.wait_for(driver.wake.wait(), 5.0)
        driver.inbox.put_nowait(None)
        await pump
        return driver

    driver = asyncio.run(go())
    assert driver.calls == {} and len(uow.attempts.outcomes) == len(script)  # each has its own
    return driver, stats


def test_a_refused_dial_a_503_and_a_trunk_timeout_count_as_carrier_failures(
    engine: Engine,
) -> None:
    driver, stats = _calls(
        engine, [(REFUSE, None), (tel.FAILED, "sip 503"), (tel.FAILED, "sip 408")]
    )
    assert stats.carrier_failures == 3 and stats.outcomes == {"failed": 3}
    assert driver.backoff.streak == 3 and driver.backoff.tripped
    assert driver.backoff.last == "408 Request Timeout"
    assert "3 calls in a row" in driver.backoff.reason


def test_a_refused_dial_is_named_by_its_cause(engine: Engine) -> None:
    driver, _ = _calls(engine, [(REFUSE, None)])
    assert driver.backoff.last == "dial refused: 503 Service Unavailable"


def test_busy_and_no_answer_are_the_callees_and_reset_the_count(engine: Engine) -> None:
    driver, stats = _calls(
        engine,
        [(tel.FAILED, "sip 503"), (tel.FAILED, "sip 503"), (tel.BUSY, "sip 486"),
         (tel.FAILED, "sip 503"), (tel.NO_ANSWER, "sip 480")],
    )  # fmt: skip
    assert stats.carrier_failures == 3
    assert driver.backoff.streak == 0 and not driver.backoff.tripped


def test_a_number_the_network_does_not_know_is_not_a_carrier_failure(engine: Engine) -> None:
    driver, stats = _calls(engine, [(tel.FAILED, "sip 503"), (tel.FAILED, "sip 404")])
    assert stats.carrier_failures == 1 and stats.outcomes == {"failed": 2}
    assert driver.backoff.streak == 0


def _campaign() -> tuple[MemoryUnitOfWork, ListAudit, int]:
    uow, audit = MemoryUnitOfWork(), ListAudit()
    uow.campaigns.firms[FIRM] = "Hartwell & Ruiz LLP"
    data = {"name": "r", "purpose": "reminder", "mode": "broadcast", "message": {"text": "Hi."}}
    cid = create_campaign(uow, audit, FIRM, data, OPERATOR, NOON_NY)
    set_status(uow, audit, FIRM, cid, "start", OPERATOR, NOON_NY)
    return uow, audit, cid


def test_a_pause_for_a_failing_carrier_keeps_its_reason_and_audits_it() -> None:
    uow, audit, cid = _campaign()
    why = "carrier failing: 10 calls in a row failed at the carrier (503 Service Unavailable)"
    assert set_status(uow, audit, FIRM, cid, "pause", SYSTEM, NOON_NY, reason=why) == "paused"
    assert status_reason(uow, cid) == why
    entry = audit.entries[-1]
    assert (entry["action"], entry["actor"]) == ("campaign.pause", SYSTEM.label)
    assert entry["data"] == {"from": "running", "to": "paused", "reason": why}


def test_resuming_clears_the_reason_the_dialler_gave() -> None:
    uow, audit, cid = _campaign()
    set_status(uow, audit, FIRM, cid, "pause", SYSTEM, NOON_NY, reason="carrier failing: ...")
    set_status(uow, audit, FIRM, cid, "resume", OPERATOR, NOON_NY)
    assert status_reason(uow, cid) is None
    assert "reason" not in audit.entries[-1]["data"]


@pytest.mark.parametrize("length", [499, 5000])
def test_a_long_reason_is_kept_to_the_column_size(length: int) -> None:
    uow, audit, cid = _campaign()
    set_status(uow, audit, FIRM, cid, "pause", SYSTEM, NOON_NY, reason="x" * length)
    assert len(status_reason(uow, cid) or "") == min(length, 500)
