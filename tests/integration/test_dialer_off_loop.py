"""The dialler never runs SQL on its event loop's thread (issue 15, item 5)."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, event, func, select
from tests.integration.test_dialer import START, _campaign, _people, _start

from lexdial.adapters.audit.sql import SqlAudit
from lexdial.adapters.db import tables as t
from lexdial.adapters.db.uow import transactions
from lexdial.adapters.telephony.simulated import SimProfile, SimulatedCarrier
from lexdial.rules.engine import Engine as RulesEngine
from lexdial.service.dialer import Dialer, RunStats
from lexdial.service.fakes import MemoryRegistry, Reversible

pytestmark = pytest.mark.integration


def _run_watching(
    store: Engine,
    rules: RulesEngine,
    cipher: Reversible,
    cid: int,
    offload: bool,
    cps_gate: Callable[[], float] | None = None,
) -> tuple[RunStats, int, set[int]]:
    """Run the campaign; the loop thread's id and the ids of every thread that ran SQL."""
    threads: set[int] = set()

    def seen(*_args: Any) -> None:
        threads.add(threading.get_ident())

    carrier = SimulatedCarrier(SimProfile(opt_out=0.3), seed=5, timescale=0.0005)

    async def go() -> tuple[RunStats, int]:
        loop = asyncio.get_running_loop()
        t0 = loop.time()

        def clock() -> datetime:
            return START + timedelta(seconds=(loop.time() - t0) / carrier.timescale)

        dialer = Dialer(
            transactions=transactions(store),
            engine=rules,
            cipher=cipher,
            audit=SqlAudit(),
            registry=MemoryRegistry(),
            firm_id=1,
            telephony=carrier,
            clock=clock,
            offload=offload,
            cps_gate=cps_gate,
        )
        stats = await dialer.run(cid, until=START + timedelta(hours=3))
        return stats, threading.get_ident()

    event.listen(store, "before_cursor_execute", seen)
    try:
        stats, loop_thread = asyncio.run(go())
    finally:
        event.remove(store, "before_cursor_execute", seen)
    return stats, loop_thread, threads


def test_no_sql_runs_on_the_event_loop_thread_during_a_campaign(
    store: Engine, rules: RulesEngine
) -> None:
    cipher = Reversible()
    cid = _campaign(store, _people(store, cipher, 10))
    _start(store, rules, cipher, cid)
    stats, loop_thread, threads = _run_watching(store, rules, cipher, cid, offload=True)
    assert threads, "the run executed no SQL at all"
    assert loop_thread not in threads
    # the work was done: every contact closed, opt-outs on key presses recorded
    assert stats.dialled > 0 and stats.opt_outs > 0
    with store.connect() as conn:
        outcomes = conn.execute(select(func.count()).select_from(t.call_outcomes)).scalar_one()
        left = conn.execute(
            select(func.count()).where(
                t.campaign_contacts.c.campaign_id == cid,
                t.campaign_contacts.c.status == "dialing",
            )
        ).scalar_one()
    assert outcomes == stats.dialled  # one outcome per attempt
    assert left == 0  # no call left open


def test_a_dialler_told_not_to_offload_runs_its_sql_on_the_loop_as_the_demo_needs(
    store: Engine, rules: RulesEngine
) -> None:
    cipher = Reversible()
    cid = _campaign(store, _people(store, cipher, 3))
    _start(store, rules, cipher, cid)
    stats, loop_thread, threads = _run_watching(store, rules, cipher, cid, offload=False)
    assert threads == {loop_thread}
    assert stats.dialled > 0


def test_a_shared_cps_gate_is_asked_before_every_gate_and_off_the_loop(
    store: Engine, rules: RulesEngine
) -> None:
    cipher = Reversible()
    cid = _campaign(store, _people(store, cipher, 4))
    _start(store, rules, cipher, cid)
    asked: list[int] = []
    waits = iter([0.01, 0.0] * 100)  # every other call: the trunk is busy, wait

    def gate() -> float:
        asked.append(threading.get_ident())
        return next(waits)

    stats, loop_thread, _ = _run_watching(store, rules, cipher, cid, True, gate)
    assert stats.gated > 0
    assert len(asked) == 2 * stats.gated  # one start taken per gate, after each wait
    assert loop_thread not in asked
