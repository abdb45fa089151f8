"""The gate of one contact whose call start came, then its dial: what a committed gate
becomes (a call placed, or a counter of what was not).

Rule 1: a number is dialled only after the gate allowed it and that decision committed
(``StoreThread.batched``: the gates waiting together share one commit, ``gate_batch``).
Rule 2: the dials go one after another (``_dialling``), and a stop or pause committed
during one is seen before the next (``dialer_queue.confirm_dial``), as when each gate
followed the dial before it: a gate that read the store while a dial was started or under
way has its campaign's status read again before its own dial.
Rule 3 (for shared-channels): the trunk channel taken for a contact is bound to its call,
or given back when the gate raises, refuses, or its dial is not placed.
Rule 4: an allowed dial starts only while its decision still holds: soon after it and
inside the campaign's schedule at the dial's own instant (``dialer_queue`` rule 6), read
on this run's clock once the dials ahead of it are done; else it is not placed and the
contact is judged again.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from lexdial.rules.engine import Engine
from lexdial.service.call_driver import CallDriver
from lexdial.service.channels import TrunkLines  # (for shared-channels)
from lexdial.service.dialer_queue import (
    NOT_RUNNING_CODE,
    Admitted,
    QueueItem,
    admit,
    confirm_dial,
    still_scheduled,
)
from lexdial.service.dialer_stats import RunStats
from lexdial.service.gate_batch import GateCall
from lexdial.service.ports import Audit, Cipher, Registry
from lexdial.service.store_thread import StoreThread

if TYPE_CHECKING:
    from lexdial.service.storage import UnitOfWork


@dataclass(slots=True)
class DialGate:
    """Gates and dials the contacts of one run, one dial at a time (rule 2)."""

    engine: Engine
    cipher: Cipher
    registry: Registry
    firm_id: int
    clock: Callable[[], datetime]
    stats: RunStats
    # (for shared-channels) the trunk's channels shared with every process dialling on it;
    # None: this run's own bound only
    lines: TrunkLines | None = None
    #: dials started by this run, and those of them not yet returned (``gate_and_place``)
    _dials: list[int] = field(default_factory=lambda: [0, 0], init=False)
    #: held from a committed gate's check to its dial's return: one dial at a time
    _dialling: asyncio.Lock = field(default_factory=asyncio.Lock, init=False)

    async def gate_and_place(
        self,
        store: StoreThread,
        campaign_id: int,
        item: QueueItem,
        calls: CallDriver,
        *,
        agent: str | None = None,
        statuses: tuple[str, ...] | None = None,
        seen: Callable[[Admitted], None] | None = None,
    ) -> bool:
        """The gate of one contact whose call start came, then its dial if allowed; False
        when no more may start (the campaign is no longer running)."""
        at = self.clock()
        dials: list[int] = []

        def gate(uow: UnitOfWork, audit: Audit) -> Admitted:
            # the dials started and not yet returned when this gate read the store: a stop
            # committed during one of them may be unknown to it (``confirm_dial``)
            dials[:] = self._dials
            return admit(
                uow,
                self.engine,
                self.cipher,
                audit,
                self.registry,
                firm_id=self.firm_id,
                campaign_id=campaign_id,
                spec=calls.spec,
                item=item,
                at=at,
                **({} if statuses is None else {"statuses": statuses}),
            )

        try:
            # committed before the dial (rule 1); a gate, so read ahead with its batch
            admitted = await store.batched(GateCall(item.contact_id, at, gate))
        except BaseException:
            if self.lines is not None:  # (for shared-channels) no call for its channel
                self.lines.give_back()
            raise
        # the dials go one after another, each checked after the one before it started
        async with self._dialling:
            return await self._place(store, campaign_id, item, calls, admitted, dials, at,
                                     agent, seen)  # fmt: skip

    async def _place(
        self,
        store: StoreThread,
        campaign_id: int,
        item: QueueItem,
        calls: CallDriver,
        admitted: Admitted,
        dials: list[int],
        at: datetime,
        agent: str | None,
        seen: Callable[[Admitted], None] | None,
    ) -> bool:
        """What follows a committed gate (under ``_dialling``): if a dial started or was
        under way since the gate read the store, the campaign must still be running
        (``confirm_dial``: a stop committed during an earlier dial is seen before this
        one); then the dial, if allowed."""
        allowed = admitted.attempt_id if admitted.verdict == "allow" else None
        # rule 4: the dials ahead of this one are done: its own instant is now
        expired = allowed is not None and not still_scheduled(
            calls.spec, admitted, at, self.clock(), calls.telephony.timescale
        )
        if allowed is not None and (expired or dials != [self._dials[0], 0]):
            still = functools.partial(confirm_dial, campaign_id=campaign_id, item=item,
                                      attempt_id=allowed, at=at, expired=expired)  # fmt: skip
            try:
                code = await store.batched(lambda uow, _audit: still(uow))
            except BaseException:
                if self.lines is not None:  # (for shared-channels) as when the gate raises
                    self.lines.give_back()
                raise
            if code is not None:
                # stopped meanwhile, or the decision no longer holds: recorded as not
                # placed (rescheduled); an expired one is judged again, the run goes on
                self.stats.gated += 1
                self.stats.rescheduled += 1
                verdict = "halt" if code == NOT_RUNNING_CODE else "expired"
                admitted = Admitted(verdict, allowed)
        placing = admitted.verdict == "allow" and bool(admitted.number)  # (for shared-channels)
        if self.lines is not None and not (placing and admitted.attempt_id is not None):
            self.lines.give_back()  # the channel taken for this contact carries no call
        if seen is not None:
            seen(admitted)
        if admitted.verdict == "halt":
            return False
        if admitted.verdict in ("gone", "expired"):
            return True
        self.stats.gated += 1
        if admitted.verdict != "allow" or admitted.attempt_id is None or not admitted.number:
            name = {"deny": "denied", "defer": "deferred", "skip": "rescheduled"}[admitted.verdict]
            setattr(self.stats, name, getattr(self.stats, name) + 1)
            self.stats.finished += admitted.closed
            return True
        if self.lines is not None:  # (for shared-channels) the channel carries this call
            self.lines.bind(admitted.attempt_id)
        self._dials[0] += 1
        self._dials[1] += 1
        try:
            await calls.place(item, admitted.attempt_id, admitted.number, agent=agent)
        finally:
            self._dials[1] -= 1
        return True
