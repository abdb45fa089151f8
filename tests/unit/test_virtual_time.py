"""The demo's virtual clock: timers fire in virtual order without waiting for the wall
clock, and a stopped simulated clock keeps its instant."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from lexdial.adapters.virtual_time import SimulatedClock, VirtualTimeLoop

START = datetime(2026, 12, 1, 15, tzinfo=UTC)


def test_a_virtual_loop_jumps_to_each_timer_in_the_order_of_its_virtual_instant() -> None:
    seen: list[tuple[str, float]] = []

    async def main() -> float:
        loop = asyncio.get_running_loop()
        for name, delay in (("c", 7200.0), ("a", 60.0), ("b", 3600.0)):
            loop.call_later(delay, lambda n=name: seen.append((n, loop.time())))
        await asyncio.sleep(86_400)  # a simulated day: no wall-clock wait
        return loop.time()

    with asyncio.Runner(loop_factory=VirtualTimeLoop) as runner:
        end = runner.run(main())
    assert seen == [("a", 60.0), ("b", 3600.0), ("c", 7200.0)]
    assert end == 86_400.0


def test_the_simulated_clock_follows_the_loop_until_stopped_then_keeps_its_instant() -> None:
    clock = SimulatedClock(START, timescale=0.0005)

    async def main() -> datetime:
        clock.attach(asyncio.get_running_loop())
        await asyncio.sleep(1.8)  # 1.8 loop seconds = 3600 simulated seconds
        return clock()

    with asyncio.Runner(loop_factory=VirtualTimeLoop) as runner:
        assert runner.run(main()) == START + timedelta(hours=1)
    clock.stop(START + timedelta(hours=6))
    assert clock() == clock() == START + timedelta(hours=6) and clock.stopped
