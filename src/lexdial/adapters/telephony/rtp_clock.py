"""The media plane's one clock: a tick every 20 ms that pumps every leg (``rtp`` rule 2).

Rule 1: a tick that comes late (the loop was busy) asks for every frame it owes at once,
up to ``MAX_CATCH_UP`` frames; older frames are skipped and counted, so a busy moment
shows as jitter at the far end, not as loss, and the lateness is kept as the honest
figure (``late_ticks``, ``max_late_s``, ``busy_s``).
Rule 2: ``pump(frames)`` does one tick's work for every leg and says how many legs it
pumped; it must not raise (a leg's fault is the leg's).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable

from lexdial.adapters.telephony.rtp_codec import FRAME_S

MAX_CATCH_UP = 25  # frames (0.5 s) a late tick may send at once; older ones are skipped


class MediaClock:
    """One asyncio task ticking every ``FRAME_S`` (see the module rules)."""

    def __init__(self, pump: Callable[[int], int]) -> None:
        self._pump = pump
        self._task: asyncio.Task[None] | None = None
        self.ticks = self.late_ticks = self.skipped = 0
        self.max_late_s = self.busy_s = 0.0

    def ensure(self) -> None:
        """Start the clock if it is not running."""
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._run())

    async def close(self) -> None:
        """Stop the clock."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        t0, done = loop.time(), 0
        while True:
            now = loop.time()
            due = int((now - t0) / FRAME_S) + 1
            owed = due - done
            late = now - (t0 + done * FRAME_S)
            if owed > 1:
                self.late_ticks += 1
                self.max_late_s = max(self.max_late_s, late)
            skipped = max(0, owed - MAX_CATCH_UP)
            owed -= skipped
            done = due
            self.ticks += 1
            began = time.perf_counter()
            legs = self._pump(owed)
            self.skipped += skipped * legs
            self.busy_s += time.perf_counter() - began
            await asyncio.sleep(max(0.0, t0 + done * FRAME_S - loop.time()))
