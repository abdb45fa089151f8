"""A trunk's channels counted across every process dialling on it (issue 15, item 3).

Rule 1: ``Channels`` (the port) is a counting semaphore with a lease per holder: a holder
takes one of ``limit`` channels for ``lease_s`` seconds and renews it while its call is up;
an expired holder is dropped by the next ``acquire``, so the channels of a process killed
without a word come back by themselves one lease later. Time is the caller's (the wall
clock: every process sharing the count must read the same one), as in ``service.limits``.
Rule 2: ``TrunkLines`` is one dialler's side: ``take`` a channel before the call is gated
(so the gate's decision is followed by the dial at once, never by a wait for a line),
``bind`` it to the attempt the gate allowed just before the dial, and it comes back when
the call driver lets the call go (``ended``: every end, the watchdog's and the stop's
included), or at once (``give_back``) when the gate did not allow the call. A channel
taken and neither bound nor given back (the gate raised) is kept and used by the next
``take``. A renewer task renews every channel held, every ``lease_s / 3``.
Rule 3: ``take`` never waits longer than ``wait_s``: a dialler whose trunk is full goes
back to its loop (pauses, clicks and the campaign's lease are looked at there) and asks
again on its next turn. A Redis that does not answer counts as a full trunk (no dial over
a limit nobody can count; the calls up go on). Redis is never asked on the loop's thread.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import time
import uuid
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Protocol, TypeVar, runtime_checkable

log = logging.getLogger(__name__)

_T = TypeVar("_T")

#: wall seconds a channel is held without renewal: a killed process's come back after it
LINE_LEASE_S = 30.0
#: wall seconds between two asks while the trunk is full (inside one ``take``)
POLL_S = 0.02


@runtime_checkable
class Channels(Protocol):
    """Counting semaphores with leased holders, by key (see rule 1)."""

    def acquire(self, key: str, holder: str, limit: int, lease_s: float, now: float) -> bool:
        """Drop ``key``'s expired holders, then give ``holder`` one of ``limit`` channels
        until ``now + lease_s``: True if it holds one (already held: renewed)."""
        ...

    def renew(self, key: str, holders: Sequence[str], lease_s: float, now: float) -> list[str]:
        """Extend the holders still holding to ``now + lease_s``; returns those that no
        longer hold a channel (their lease ran out and another holder took it)."""
        ...

    def release(self, key: str, holder: str) -> None:
        """Give ``holder``'s channel back (nothing if it holds none)."""
        ...

    def held(self, key: str, now: float) -> int:
        """How many channels of ``key`` are held at ``now`` (expired holders not counted)."""
        ...


@dataclass(slots=True)
class TrunkLines:
    """One dialler's use of its trunk's shared channels (rule 2)."""

    channels: Channels
    #: the trunk's key (``channels:<carrier>:<trunk>``, beside the CPS bucket's)
    key: str
    #: the trunk's channels, for every process together
    limit: int
    lease_s: float = LINE_LEASE_S
    #: the wall clock shared by every process on the trunk
    now: Callable[[], float] = time.time
    #: attempt id -> holder, for the calls placed on a channel
    _bound: dict[int, str] = field(default_factory=dict)
    #: channels taken and not yet bound to a call, one per contact whose gate is pending
    #: (gates run concurrently and share a commit: ``gate_batch``) (rule 2)
    _spares: list[str] = field(default_factory=list)
    _pool: ThreadPoolExecutor | None = None
    _renewer: asyncio.Task[None] | None = None
    _releases: set[asyncio.Task[None]] = field(default_factory=set)
    #: Redis did not answer the last take: said once per outage, not at every turn
    _down: bool = False

    @property
    def holding(self) -> int:
        """Channels this dialler holds now (bound to calls, and a spare one)."""
        return len(self._bound) + len(self._spares)

    async def take(self, wait_s: float = 1.0) -> bool:
        """Hold one more channel, for a contact about to be gated: True when acquired;
        False if none came free within ``wait_s`` wall seconds (rule 3). Each True is
        followed by exactly one ``bind`` or ``give_back``."""
        holder, loop = uuid.uuid4().hex, asyncio.get_running_loop()
        deadline = loop.time() + wait_s
        while True:
            try:
                got = await self._run(lambda: self._acquire(holder))
            except Exception as exc:  # Redis away: no channel, so no dial (rule 3)
                self._warn(f"trunk channels cannot be counted ({type(exc).__name__}): no dial")
                self._release_soon(holder)  # a timed-out script may have taken it after all
                await asyncio.sleep(max(0.0, deadline - loop.time()))
                return False
            self._down = False
            if got:
                self._spares.append(holder)
                if self._renewer is None or self._renewer.done():
                    self._renewer = loop.create_task(self._renew_forever())
                return True
            if loop.time() + POLL_S > deadline:
                return False
            await asyncio.sleep(POLL_S)

    def bind(self, attempt_id: int) -> None:
        """A spare channel carries ``attempt_id``'s call (dialled right after)."""
        if not self._spares:  # the dialler's bug, never a dial over the limit
            raise RuntimeError("a call is being placed without a channel taken for it")
        self._bound[attempt_id] = self._spares.pop()

    def give_back(self) -> None:
        """The gate did not allow the call a spare channel was taken for: free it."""
        if self._spares:
            self._release_soon(self._spares.pop())

    def ended(self, attempt_id: int) -> None:
        """The call driver let ``attempt_id``'s call go: its channel comes back."""
        holder = self._bound.pop(attempt_id, None)
        if holder is not None:
            self._release_soon(holder)

    async def close(self) -> None:
        """The run is over: every channel still held comes back; the renewer stops."""
        for attempt_id in list(self._bound):
            self.ended(attempt_id)
        while self._spares:
            self.give_back()
        if self._renewer is not None:
            self._renewer.cancel()
            await asyncio.gather(self._renewer, return_exceptions=True)
            self._renewer = None
        if self._releases:
            await asyncio.gather(*self._releases, return_exceptions=True)
        if self._pool is not None:
            self._pool.shutdown(wait=False)
            self._pool = None

    async def _run(self, work: Callable[[], _T]) -> _T:
        # one thread of our own: off the loop, and a release is sent before a later take
        if self._pool is None:
            self._pool = ThreadPoolExecutor(1, thread_name_prefix="lexdial-lines")
        return await asyncio.get_running_loop().run_in_executor(self._pool, work)

    def _warn(self, message: str) -> None:
        if not self._down:
            log.warning("%s", message)
        self._down = True

    def _acquire(self, holder: str) -> bool:
        return self.channels.acquire(self.key, holder, self.limit, self.lease_s, self.now())

    def _release_soon(self, holder: str) -> None:
        async def release() -> None:
            try:
                await self._run(lambda: self.channels.release(self.key, holder))
            except Exception as exc:  # the lease frees it anyway: say so, go on
                log.warning("trunk channel not given back (%s): free after its lease", exc)

        task = asyncio.get_running_loop().create_task(release())
        self._releases.add(task)
        task.add_done_callback(self._releases.discard)

    async def _renew_forever(self) -> None:
        while True:
            await asyncio.sleep(self.lease_s / 3)
            await self._renew_once()

    async def _renew_once(self) -> None:
        holders = [*self._bound.values(), *self._spares]
        if not holders:
            return
        try:
            lost = await self._run(
                lambda: self.channels.renew(self.key, holders, self.lease_s, self.now())
            )
        except Exception as exc:  # Redis away for a moment: the next renewal tries again
            log.warning("trunk channels not renewed (%s)", exc)
            return
        for holder in lost:
            # held past its lease (a stalled process): take it again if the trunk has room
            again = await self._run(functools.partial(self._acquire, holder))
            if not again:
                log.error("a call is up without its trunk channel (lease lost, trunk full)")
