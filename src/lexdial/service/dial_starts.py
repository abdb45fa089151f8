"""The starts of a run's calls: each contact waits for its call start (carrier backoff,
CPS, a trunk channel), then goes to the gate and, allowed, to its dial (``dial_gate``).

Rule 1: no more call starts than the carrier's calls per second (this run's, and with
``cps_gate`` the trunk's, shared by every dialling process) and (for shared-channels) the
trunk's channels allow; a failing carrier slows the starts down (``carrier_faults``: a
wait that doubles per consecutive carrier fault) and, once it tripped, nothing more starts.
Rule 2: the contacts whose call starts come together (the CPS limiter's burst, free lines)
are gated together: each start is taken in turn, then its gate and dial go on in a task,
so their gates wait together on the store thread and share one commit (``gate_batch``).
Rule 3 (issue 12, preview and manual): an agent's click is gated like any attempt
(recorded, committed before the dial) and, allowed, dialled with that agent reserved and
joined at the answer; refused, the seat gets the attempt back. Without a free line it
waits for the next turn.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass

from lexdial.domain.pacing import CpsLimiter
from lexdial.errors import LexdialError
from lexdial.service.call_driver import CallDriver
from lexdial.service.channels import TrunkLines  # (for shared-channels)
from lexdial.service.desk_seats import Click, DeskSeats
from lexdial.service.dial_gate import DialGate
from lexdial.service.dialer_queue import OFFERED_ONLY, Admitted, QueueItem
from lexdial.service.ports import Telephony
from lexdial.service.store_thread import StoreThread

log = logging.getLogger(__name__)


@dataclass(slots=True)
class DialStarts:
    """Takes the call starts of one run and hands each contact to ``gate``."""

    telephony: Telephony
    gate: DialGate
    #: the trunk's calls per second shared with every process dialling on it (Redis):
    #: takes one call start, returns 0.0 or the wall seconds to wait; None: this run only
    cps_gate: Callable[[], float] | None = None
    # (for shared-channels) the trunk's channels shared with every process dialling on it;
    # None: this run's own bound only
    lines: TrunkLines | None = None

    async def click(
        self,
        store: StoreThread,
        campaign_id: int,
        click: Click,
        limiter: CpsLimiter,
        calls: CallDriver,
        seats: DeskSeats,
    ) -> None:
        """An agent's Call (rule 3): gated and dialled with the agent reserved, or the seat
        told why not. Without a free line it waits for the next turn."""
        lines = min(calls.spec.channels, self.telephony.channels)
        if calls.backoff.room(lines, len(calls.calls)) <= 0:
            seats.release_click(click.agent, click)  # (for shared-channels) keep its offer
            return
        if self.lines is not None and not await self.lines.take(wait_s=0.0):
            seats.release_click(click.agent, click)  # (for shared-channels) the trunk is full
            return
        statuses = OFFERED_ONLY if click.item.queue_id is not None else ()
        answers: list[Admitted] = []
        try:
            await self._attempt(
                store, campaign_id, click.item, limiter, calls, agent=click.agent,
                statuses=statuses, seen=answers.append, channel_taken=True,
            )  # fmt: skip
        except LexdialError as exc:  # e.g. the contact has no number: the seat says so
            log.warning("agent %s: call not placed (%s)", click.agent, type(exc).__name__)
        admitted = answers[0] if answers else None
        if admitted is None or admitted.verdict != "allow":
            attempt = admitted.attempt_id if admitted is not None else None
            seats.not_placed(click.agent, click.item, attempt)

    async def attempts(
        self,
        store: StoreThread,
        campaign_id: int,
        items: list[QueueItem],
        limiter: CpsLimiter,
        calls: CallDriver,
    ) -> None:
        """Gate and dial ``items``: each waits for its call start (CPS, carrier backoff) in
        turn, as one at a time would, but its gate and dial then go on in a task of their
        own, so the gates whose starts came together are pending together and share a
        commit (rule 2). A halt or a tripped carrier stops the starts; what is already
        started finishes (a halted campaign's gates refuse in their own transaction)."""
        tasks: list[asyncio.Task[bool]] = []
        try:
            for item in items:
                if any(t.done() and (t.exception() or not t.result()) for t in tasks):
                    break
                if not await self._pace(store, limiter, calls):
                    break
                tasks.append(
                    asyncio.create_task(self.gate.gate_and_place(store, campaign_id, item, calls))
                )
        finally:
            answers = await asyncio.gather(*tasks, return_exceptions=True)
        for answer in answers:
            if isinstance(answer, BaseException):
                raise answer

    async def _attempt(
        self,
        store: StoreThread,
        campaign_id: int,
        item: QueueItem,
        limiter: CpsLimiter,
        calls: CallDriver,
        *,
        agent: str | None = None,
        statuses: tuple[str, ...] | None = None,
        seen: Callable[[Admitted], None] | None = None,
        channel_taken: bool = False,
    ) -> bool:
        """Gate and (if allowed) dial one contact; False when the batch must stop.
        ``agent``: the agent who asked for the call (rule 3); ``seen`` gets the gate's
        answer; ``channel_taken``: the caller already holds the trunk channel for it."""
        if not await self._pace(store, limiter, calls, take_channel=not channel_taken):
            if channel_taken and self.lines is not None:  # (for shared-channels)
                self.lines.give_back()
            return False
        return await self.gate.gate_and_place(
            store, campaign_id, item, calls, agent=agent, statuses=statuses, seen=seen
        )

    async def _pace(
        self, store: StoreThread, limiter: CpsLimiter, calls: CallDriver, *,
        take_channel: bool = True,
    ) -> bool:  # fmt: skip
        """Wait for the next call start (carrier backoff, this run's and the trunk's CPS);
        False when the carrier tripped and nothing more may start."""
        loop, scale, backoff = asyncio.get_running_loop(), self.telephony.timescale, calls.backoff
        while not backoff.tripped and (pause := backoff.wait_s(loop.time() / scale)) > 0:
            await asyncio.sleep(max(0.001, pause * scale))  # the carrier is failing: slow down
        if backoff.tripped:
            return False
        if take_channel and self.lines is not None and not await self.lines.take():
            return False  # every channel of the trunk is up: the next turn asks again
        while not limiter.take(loop.time() / self.telephony.timescale):
            wait = limiter.next_slot(loop.time() / self.telephony.timescale)
            await asyncio.sleep(max(0.001, wait * self.telephony.timescale - loop.time()))
        if self.cps_gate is not None:  # the trunk's CPS, shared across processes (rule 1)
            while (shared := await store.run(self.cps_gate)) > 0:
                await asyncio.sleep(shared)
        return True
