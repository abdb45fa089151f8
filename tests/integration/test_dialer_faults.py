"""The dialer when things go wrong: a second dialler, a stop mid-batch, a carrier that
refuses, fails to hang up or goes silent, and a store that cannot take an opt-out."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

import pytest
from sqlalchemy import Engine, func, select

from lexdial.adapters.audit.sql import SqlAudit
from lexdial.adapters.db import tables as t
from lexdial.adapters.db.uow import SqlUnitOfWork, transactions
from lexdial.adapters.telephony.simulated import SimProfile, SimulatedCarrier
from lexdial.domain import telephony as tel
from lexdial.errors import CampaignError, TelephonyError
from lexdial.rules.engine import Engine as RulesEngine
from lexdial.service import call_driver
from lexdial.service.campaigns import set_status, take_lease
from lexdial.service.dialer import Dialer, RunStats
from lexdial.service.fakes import MemoryRegistry, Reversible
from lexdial.service.users import OPERATOR

from .test_dialer import START, _campaign, _people, _start

pytestmark = pytest.mark.integration


def _dialer(store: Engine, rules: RulesEngine, cipher: Reversible, carrier: object,
            clock: object) -> Dialer:  # fmt: skip
    return Dialer(transactions=transactions(store), engine=rules, cipher=cipher, audit=SqlAudit(),
                  registry=MemoryRegistry(), firm_id=1, telephony=carrier,  # type: ignore[arg-type]
                  clock=clock)  # type: ignore[arg-type]  # fmt: skip


def _go(store: Engine, rules: RulesEngine, cipher: Reversible, cid: int, carrier: object,
        before: object = None) -> RunStats:  # fmt: skip
    async def go() -> RunStats:
        loop = asyncio.get_running_loop()
        t0 = loop.time()
        scale = carrier.timescale  # type: ignore[attr-defined]

        def clock() -> datetime:
            return START + timedelta(seconds=(loop.time() - t0) / scale)

        d = _dialer(store, rules, cipher, carrier, clock)
        if callable(before):
            before(d)
        return await d.run(cid, until=START + timedelta(hours=2))

    return asyncio.run(go())


def _outcomes(store: Engine) -> int:
    with store.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(t.call_outcomes)).scalar_one())


def test_a_second_dialler_cannot_take_a_campaign_another_one_holds(
    store: Engine, rules: RulesEngine
) -> None:
    cipher = Reversible()
    cid = _campaign(store, _people(store, cipher, 2))
    _start(store, rules, cipher, cid)
    with store.begin() as conn:
        assert take_lease(SqlUnitOfWork(conn), cid, "someone-else", datetime.now(START.tzinfo), 60)
    with pytest.raises(CampaignError, match="another process"):
        _go(store, rules, cipher, cid, SimulatedCarrier(seed=1, timescale=0.0005))
    assert _outcomes(store) == 0


class StoppingCarrier(SimulatedCarrier):
    """Stops the campaign (as a user would, from another window) on the first dial."""

    store: Engine
    cid: int

    async def dial(self, dial: tel.Dial) -> None:
        with self.store.begin() as conn:
            if conn.execute(select(t.campaigns.c.status)).scalar() == "running":
                set_status(SqlUnitOfWork(conn), SqlAudit(), 1, self.cid, "stop", OPERATOR, START)
        await super().dial(dial)


def test_a_stop_takes_effect_before_the_next_dial_of_the_same_batch(
    store: Engine, rules: RulesEngine
) -> None:
    cipher = Reversible()
    cid = _campaign(store, _people(store, cipher, 8))
    _start(store, rules, cipher, cid)
    carrier = StoppingCarrier(seed=1, timescale=0.0005)
    carrier.store, carrier.cid = store, cid
    stats = _go(store, rules, cipher, cid, carrier)
    assert stats.dialled == 1
    with store.connect() as conn:
        placed = conn.execute(
            select(func.count()).where(t.call_attempts.c.status.in_(("dialled", "completed")))
        ).scalar_one()
    assert placed == 1


class RefusingCarrier(SimulatedCarrier):
    async def dial(self, dial: tel.Dial) -> None:
        raise OSError("socket closed")


def test_a_carrier_that_raises_any_error_on_dial_gives_failed_calls_not_a_crash(
    store: Engine, rules: RulesEngine
) -> None:
    cipher = Reversible()
    cid = _campaign(store, _people(store, cipher, 3))
    _start(store, rules, cipher, cid)
    stats = _go(store, rules, cipher, cid, RefusingCarrier(seed=1, timescale=0.0005))
    assert stats.outcomes == {"failed": 3 * 2}  # each retried once (max_attempts 2)
    assert _outcomes(store) == 6


class NoHangupCarrier(SimulatedCarrier):
    async def hangup(self, call_id: str) -> None:
        raise TelephonyError("line gone")


def test_a_failed_hangup_still_closes_the_call_and_the_run_ends(
    store: Engine, rules: RulesEngine
) -> None:
    cipher = Reversible()
    cid = _campaign(store, _people(store, cipher, 3))
    _start(store, rules, cipher, cid)
    profile = SimProfile(human=1.0, opt_out=0.0, hang_up_early=0.0)
    stats = _go(store, rules, cipher, cid, NoHangupCarrier(profile, seed=1, timescale=0.0005))
    assert stats.outcomes == {"human": 3}


class SilentCarrier(SimulatedCarrier):
    """Answers, then never reports anything again (a carrier that lost the call)."""

    async def play(self, call_id: str, prompt: str) -> None:
        return None


def test_a_call_the_carrier_goes_silent_on_is_closed_by_the_watchdog(
    store: Engine, rules: RulesEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(call_driver, "WATCHDOG_GRACE_S", 0.0)
    cipher = Reversible()
    cid = _campaign(store, _people(store, cipher, 2))
    _start(store, rules, cipher, cid)
    profile = SimProfile(human=1.0)
    stats = _go(store, rules, cipher, cid, SilentCarrier(profile, seed=1, timescale=0.0005))
    assert stats.aborted == 2 and stats.outcomes == {"human": 2}
    with store.connect() as conn:
        details = set(conn.execute(select(t.call_outcomes.c.detail)).scalars())
    assert any("watchdog" in (d or "") for d in details)


def test_when_an_opt_out_cannot_be_recorded_dialling_stops(
    store: Engine, rules: RulesEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(call_driver, "opt_out", broken)
    cipher = Reversible()
    cid = _campaign(store, _people(store, cipher, 6))
    _start(store, rules, cipher, cid)
    profile = SimProfile(human=1.0, opt_out=1.0)
    carrier = SimulatedCarrier(profile, seed=1, channels=1, timescale=0.0005)
    stats = _go(store, rules, cipher, cid, carrier)
    assert stats.halted and "opt-out" in stats.halted
    assert stats.dialled == 1  # nobody else was called once the opt-out was lost
