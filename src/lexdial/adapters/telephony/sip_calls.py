"""The call table both SIP adapters keep: calls up, channel and CPS admission, events out.

Rule 1: a call holds its channel from ``admit`` (before any prompt is prepared) until
``drop``; ``channels`` bounds the calls up at once, and dials leave at most ``cps`` a
second (``pace``: one after the other, each waiting its turn).
Rule 2: events leave in the order they are emitted, timed from the call's ``started``;
``close`` ends ``events()``.
Rule 3: a call that ends before its answer ends the same way on both engines
(``refused``): BUSY on 486/600/603 (a declined call is busy to carriers too), NO_ANSWER
on 408/480/487 (timeouts, "temporarily unavailable", a cancelled ring), else FAILED.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from lexdial.domain import telephony as tel
from lexdial.errors import TelephonyError

log = logging.getLogger(__name__)

BUSY = frozenset({486, 600, 603})
UNANSWERED = frozenset({408, 480, 487})


def refused(code: int | None, reason: str = "") -> tuple[str, str]:
    """The event kind and detail of a call the far end ended before its answer (rule 3)."""
    if code in BUSY:
        return tel.BUSY, f"sip {code}"
    if code in UNANSWERED:
        return tel.NO_ANSWER, f"sip {code}"
    # errno texts ("Connection refused") hold no number; SIP reasons may
    return tel.FAILED, f"sip {code}" if code else reason[:60]


def ring_timeout(rang: bool) -> tuple[str, str]:
    """The event of a call whose ring timer ran out."""
    return tel.NO_ANSWER, "ring timeout" + ("" if rang else ", no ringing")


@dataclass(slots=True, eq=False)
class CallState:
    """What both engines know of a call; each adds its own line or leg."""

    dial: tel.Dial
    started: float = 0.0
    rang: bool = False
    answered: bool = False
    ended: bool = False
    hangup_requested: bool = False
    ring_timed_out: bool = False
    timers: dict[str, asyncio.TimerHandle] = field(default_factory=dict)
    amd: asyncio.Task[None] | None = None

    @property
    def call_id(self) -> str:
        """The dialler's id of the call."""
        return self.dial.call_id

    def cancel(self, *names: str) -> None:
        """Cancel the named timers; with no name every timer and the detection."""
        for name in names or tuple(self.timers):
            handle = self.timers.pop(name, None)
            if handle is not None:
                handle.cancel()
        if not names and self.amd is not None:
            self.amd.cancel()


C = TypeVar("C", bound=CallState)


class CallTable(Generic[C]):
    """The calls up, their admission and their events (see the module rules)."""

    def __init__(self, *, channels: int, cps: float, name: str) -> None:
        self.channels, self.cps, self.name = channels, cps, name
        self.calls: dict[str, C] = {}
        self.started = False
        self._queue: asyncio.Queue[tel.CallEvent | None] = asyncio.Queue()
        self._tasks: set[asyncio.Task[Any]] = set()
        self._next_dial_at = 0.0
        self._pace_lock = asyncio.Lock()
        #: calls whose events go to a handler instead of ``events()`` (a transfer's
        #: outbound leg, which the dialler never placed)
        self.taps: dict[str, Callable[[tel.CallEvent], None]] = {}

    def admit(self, call: C) -> None:
        """Take a channel for ``call`` or refuse it (rule 1)."""
        if not self.started:
            raise TelephonyError("the SIP adapter was not started")
        if call.call_id in self.calls:
            raise TelephonyError(f"call {call.call_id} is already up")
        if len(self.calls) >= self.channels:
            raise TelephonyError("all channels are busy")
        self.calls[call.call_id] = call

    def drop(self, call: C) -> None:
        """Free ``call``'s channel."""
        self.calls.pop(call.call_id, None)

    async def pace(self) -> None:
        """Wait for this dial's turn under ``cps`` (rule 1)."""
        loop = asyncio.get_running_loop()
        async with self._pace_lock:
            wait = self._next_dial_at - loop.time()
            if wait > 0:
                await asyncio.sleep(wait)
            self._next_dial_at = loop.time() + 1.0 / self.cps

    def emit(self, call: C, kind: str, **extra: Any) -> None:
        """Queue ``call``'s event ``kind`` (rule 2)."""
        t = round(asyncio.get_running_loop().time() - call.started, 3)
        event = tel.CallEvent(call.call_id, kind, t, **extra)
        tap = self.taps.get(call.call_id)
        if tap is not None:
            tap(event)
        else:
            self._queue.put_nowait(event)

    def put(self, event: tel.CallEvent) -> None:
        """Queue an event that belongs to no call of the table (an agent's leg)."""
        self._queue.put_nowait(event)

    def spawn(self, coro: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
        """Run ``coro`` in the background; ``close`` cancels it, a failure is logged."""
        task = asyncio.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)
        return task

    def cancel_tasks(self) -> None:
        """Cancel every background task."""
        for task in list(self._tasks):
            task.cancel()

    async def close(self) -> None:
        """End ``events()``."""
        self.started = False
        await self._queue.put(None)

    async def events(self) -> AsyncIterator[tel.CallEvent]:
        """Every event in the order emitted, until ``close``."""
        while True:
            event = await self._queue.get()
            if event is None:
                return
            yield event

    def _task_done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.warning("%s background task failed: %s", self.name, task.exception())
