"""An asyncio event loop on a virtual clock: the demo's discrete-event simulation.

Rule 1: ``loop.time()`` is virtual. When nothing is ready to run, the loop does not wait
for the wall clock: it jumps straight to its next timer. So every timer (the simulated
carrier's call events, the dialler's timers, ``asyncio.sleep``, ``wait_for``) fires in
the order of its virtual instant, whatever the machine's speed or load: the same inputs
give the same run.
Rule 2: ``pace`` only throttles (virtual seconds may not run ahead of ``pace`` wall
seconds each, so a person can watch); it never changes what happens or in which order.
Real I/O is still served (polled without waiting before each jump), but nothing in a
simulation may depend on it.
"""

from __future__ import annotations

import asyncio
import selectors
import time
from datetime import datetime, timedelta
from typing import Any


class _JumpingSelector(selectors.DefaultSelector):
    """A selector that, asked to wait, advances the virtual clock instead."""

    def __init__(self, pace: float) -> None:
        super().__init__()
        self.now = 0.0
        self.pace = pace
        self._wall0 = time.monotonic()

    def select(self, timeout: float | None = None) -> list[tuple[selectors.SelectorKey, int]]:
        ready = super().select(0)
        if ready or timeout == 0:
            return ready
        if timeout is None:  # no timer at all: only real I/O can wake the loop
            return super().select(None)
        self.now += timeout
        if self.pace > 0:
            ahead = self.now * self.pace - (time.monotonic() - self._wall0)
            if ahead > 0:
                time.sleep(ahead)
        return []


class VirtualTimeLoop(asyncio.SelectorEventLoop):
    """A selector event loop whose ``time()`` is virtual (see the module's rules)."""

    def __init__(self, pace: float = 0.0) -> None:
        self._jumper = _JumpingSelector(pace)
        super().__init__(self._jumper)

    def time(self) -> float:
        return self._jumper.now


class SimulatedClock:
    """The simulated date and time: ``start`` plus the loop's virtual seconds divided by
    ``timescale`` (the carrier's loop seconds per simulated second) — until ``stop``.

    It may be read from other threads (the demo's dashboard); once stopped it stays put.
    """

    def __init__(self, start: datetime, timescale: float) -> None:
        self.start, self.timescale = start, timescale
        self._loop: Any = None
        self._stopped: datetime | None = None

    def attach(self, loop: asyncio.AbstractEventLoop | WallSeconds) -> None:
        """Follow ``loop``'s clock (its time 0 is ``start``): a virtual-time loop, or the
        wall clock since an instant (``WallSeconds``, a sandbox's clock)."""
        self._loop = loop

    def __call__(self) -> datetime:
        if self._stopped is not None:
            return self._stopped
        seconds = self._loop.time() / self.timescale if self._loop is not None else 0.0
        return self.start + timedelta(seconds=seconds)

    def stop(self, at: datetime) -> None:
        """Stop the clock at ``at``: from now on it always reads ``at``."""
        self._stopped = at

    @property
    def stopped(self) -> bool:
        return self._stopped is not None


class WallSeconds:
    """A timer for ``SimulatedClock.attach``: wall seconds since ``anchor``, so the clock
    runs in real time from its start (a sandbox's recorded clock; rates and timeouts stay
    real). The Unix clock, not a monotonic one: every process on the store must read the
    same instant, and a monotonic clock's zero is each process's own.  # (for dist-clock)
    """

    def __init__(self, anchor: datetime) -> None:
        self._anchor = anchor.timestamp()

    def time(self) -> float:
        return time.time() - self._anchor
