"""The campaign dialer: the run loop that schedules, gates and dials one campaign.

Rule 1: a number is dialled only after the gate allowed it and that decision committed
(``dial_gate``); the dial happens at the contact's earliest allowed instant, never
earlier, and inside the campaign's own schedule in every candidate zone of the recipient.
One dialler holds a campaign at a time (a lease in the store, ``dialer_lease``), and each
contact is claimed in the gate's transaction, so no one is rung twice at once.
Rule 2: no more lines than the channels, the carrier's calls per second (``dial_starts``)
and (live modes) the agents or the predictive pacer allow; a call, once placed, is the
``CallDriver``'s (``call_driver``: commands, timers, watchdog, opt-out, outcome).
Rule 3: a crash loses nothing acknowledged: queue state is in the database, and a contact
left "dialing" by a dead process is closed as failed (interrupted) on the next run —
counted toward the caps and never retried automatically.
Rule 4: a failing carrier slows the run down (``carrier_faults``: half the lines, and a
wait before each call start in ``dial_starts``, doubling per consecutive carrier fault)
and, at the campaign's ``pacing.max_carrier_failures`` faults in a row, pauses the
campaign (``carrier_pause``); the calls still up end normally, and the run ends saying why.
Rule 6 (issue 12): with ``desk=True`` the agents are the campaign's desk seats
(``desk_seats``: legs opened and closed, the pool kept to the seats READY with their leg
up, every turn); without, a static pool of ``agents`` with an automatic wrap-up (the
simulated rehearsal and the demo). The wait for an agent is the rule pack's
(``agent_connect``), not a constant.
Rule 7 (issue 12, preview and manual): a preview campaign at the desk never dials on its
own (the rehearsal without a desk dials it like progressive, with its static agents): the
desk seats are offered contacts (``desk_seats`` rule 6) and a contact is dialled only when
its agent clicks Call (``dial_starts`` rule 3: gated, then dialled with that agent
reserved). The run goes on while a seat holds an offer or a click.
Rule 5: the store is never touched on the event loop's thread: every transaction (lease,
recovery, due contacts, gate, pause, outcomes, opt-outs) runs whole on the run's
``StoreThread`` and is awaited — the gate's decision commits before the dial. The
contacts whose call starts come together are gated together and share one commit
(``dial_starts`` rule 2); their dials then go one after another, each seeing a stop
committed during the one before (``dial_gate`` rule 2).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from lexdial.domain.agents import AgentPool
from lexdial.domain.call import State, agent_wait_for
from lexdial.domain.campaign_spec import LIVE, CampaignSpec
from lexdial.domain.carrier_faults import CarrierBackoff
from lexdial.domain.pacing import CpsLimiter, Pacer, PredictivePacer
from lexdial.domain.prompts import build_prompts
from lexdial.errors import CampaignError, TelephonyError
from lexdial.rules.engine import Engine
from lexdial.service.agent_connect import agent_connect_limit
from lexdial.service.call_driver import CallDriver, Transactions
from lexdial.service.campaigns import drop_lease, load_campaign, take_lease
from lexdial.service.carrier_pause import pause_for_carrier
from lexdial.service.channels import TrunkLines  # (for shared-channels)
from lexdial.service.desk_seats import DeskSeats
from lexdial.service.dial_gate import DialGate
from lexdial.service.dial_starts import DialStarts
from lexdial.service.dialer_lease import LEASE_S, lease_held_message
from lexdial.service.dialer_queue import QueueItem, due_contacts, recover
from lexdial.service.dialer_stats import RunStats
from lexdial.service.gate_batch import GateBatcher
from lexdial.service.pacing_feed import PacingFeed, abandonment_limit
from lexdial.service.ports import Audit, Cipher, Registry, Telephony
from lexdial.service.store_thread import StoreThread

#: ``RunStats`` is what ``Dialer.run`` returns: callers import it from here
__all__ = ["Dialer", "RunStats"]

#: call states in which the call may still need an agent (the pacer's "lines in flight")
_UNRESOLVED = frozenset({State.DIALING, State.RINGING, State.ANSWERED, State.CONNECTING})


@dataclass(slots=True)
class Dialer:
    """Runs one campaign until nothing is due before ``until`` and no call is up."""

    #: one store transaction per call (``Store.unit_of_work``); no engine, no SQL here
    transactions: Transactions
    engine: Engine
    cipher: Cipher
    audit: Audit
    registry: Registry
    firm_id: int
    telephony: Telephony
    clock: Callable[[], datetime]
    agents: tuple[str, ...] = ()
    wrap_up_s: float = 30.0
    on_progress: Callable[[RunStats, int], None] | None = None
    pacer: Pacer = field(default_factory=PredictivePacer)
    wall: Callable[[], datetime] = lambda: datetime.now(UTC)
    stats: RunStats = field(default_factory=RunStats)
    #: run store transactions on a worker thread (rule 5); False only on a virtual-time
    #: loop (the demo), whose clock would jump ahead while waiting for the thread
    offload: bool = True
    #: the trunk's calls per second shared with every process dialling on it (Redis):
    #: takes one call start, returns 0.0 or the wall seconds to wait; None: this run only
    cps_gate: Callable[[], float] | None = None
    #: agents from the desk's seats (rule 6) instead of a static pool: the seats of
    #: ``agents`` (those allowed to take calls), as the desk makes them ready
    desk: bool = False
    #: a browser endpoint's SIP address for a user id (bootstrap, helper "webrtc")
    browser_address: Callable[[int], str] | None = None
    #: the carrier needs no agent endpoint (simulated): desk seats without one get a leg
    endpointless: bool = False
    _owner: str = field(default_factory=lambda: f"dialer-{uuid.uuid4().hex[:12]}")
    _spec: CampaignSpec | None = None
    #: wall seconds the campaign's lease lasts (renewed every turn); short in tests
    lease_s: float = LEASE_S
    # (for shared-channels) the trunk's channels shared with every process dialling on it
    # (Redis, ``service.channels``); None: this run's own bound only
    lines: TrunkLines | None = None

    async def run(self, campaign_id: int, until: datetime) -> RunStats:
        """Dial the campaign; returns when nothing more is due before ``until``."""
        # the gates waiting together share one commit (``gate_batch``; rule 5)
        store = StoreThread(self.offload, GateBatcher(self.transactions, self.audit))
        try:
            return await self._run(store, campaign_id, until)
        finally:
            store.close()

    async def _run(self, store: StoreThread, campaign_id: int, until: datetime) -> RunStats:
        # the clocks are read on the loop (a simulated clock may follow the loop's time);
        # the closures below run on the store thread with the instants they are given
        def begin(wall: datetime, now: datetime) -> tuple[CampaignSpec, int, int]:
            with self.transactions() as uow:
                if not take_lease(uow, campaign_id, self._owner, wall, self.lease_s):
                    raise CampaignError(lease_held_message(uow, campaign_id, wall))
                spec = load_campaign(uow, self.firm_id, campaign_id).spec
                self.stats.recovered = recover(uow, self.audit, campaign_id, now, spec.retry)
                ab0, live0 = uow.attempts.abandonment_30d(campaign_id, now)
                return spec, ab0, live0

        def turn(wall: datetime) -> str:
            with self.transactions() as uow:
                if not take_lease(uow, campaign_id, self._owner, wall, self.lease_s):
                    raise CampaignError(f"campaign #{campaign_id}: lease lost")
                return uow.attempts.campaign_status(campaign_id)

        def due(now: datetime, room: int) -> tuple[list[QueueItem], datetime | None]:
            with self.transactions() as uow:
                return due_contacts(uow, campaign_id, now, room, spec.retry)

        def release() -> None:
            with self.transactions() as uow:
                drop_lease(uow, campaign_id, self._owner)

        spec, ab0, live0 = await store.run(functools.partial(begin, self.wall(), self.clock()))
        self._spec = spec
        feed = PacingFeed(
            target=abandonment_limit(self.engine),
            abandoned0=ab0,
            live0=live0,
            wrap_up_s=self.wrap_up_s,
        )
        calls = CallDriver(
            self.transactions,
            self.cipher,
            self.audit,
            self.firm_id,
            self.telephony,
            self.clock,
            self.stats,
            feed,
            spec,
            build_prompts(spec),
            self.wrap_up_s,
            store=store,
            agent_wait_s=agent_wait_for(agent_connect_limit(self.engine)),
        )
        seats: DeskSeats | None = None
        if spec.mode in LIVE:
            calls.pool = AgentPool(() if self.desk else self.agents, calls.assigned)
            if self.desk:
                seats = calls.desk = DeskSeats(
                    self.transactions, store, self.audit, self.firm_id, campaign_id,
                    self.telephony, calls.pool, self.clock, spec.caller_id or "",
                    self.browser_address, self.endpointless, frozenset(self.agents),
                    feed.on_free, preview=spec.mode == "preview", retry=spec.retry,
                    cipher=self.cipher,
                )  # fmt: skip
        calls.backoff = CarrierBackoff(limit=spec.pacing.max_carrier_failures)
        if self.lines is not None:  # (for shared-channels) every end gives its channel back
            calls.on_detach = self.lines.ended
        limiter = CpsLimiter(max(1, int(self.telephony.cps)))
        # this run's: one dial at a time, its lock on this run's loop (``dial_gate`` rule 2)
        gate = DialGate(self.engine, self.cipher, self.registry, self.firm_id, self.clock,
                        self.stats, self.lines)  # fmt: skip
        starts = DialStarts(self.telephony, gate, self.cps_gate, self.lines)
        await self.telephony.start()
        forward = asyncio.create_task(calls.forward())
        pump = asyncio.create_task(calls.pump())
        try:
            while True:
                if forward.done() or pump.done():  # a dead task would leave calls unheard
                    raise TelephonyError("the carrier's event stream stopped")
                if calls.backoff.tripped and self.stats.paused is None:
                    await pause_for_carrier(
                        store, self.transactions, self.audit, self.firm_id, campaign_id,
                        calls.backoff.reason, self.stats, self.clock,
                    )  # fmt: skip
                status = await store.run(functools.partial(turn, self.wall()))
                clicks = await seats.turn() if seats is not None else []
                if status != "running" or self.stats.halted or self.stats.paused:
                    for click in clicks:  # not dialled: the seat is told so
                        assert seats is not None
                        seats.not_placed(click.agent, click.item, None)
                    if not calls.calls:
                        break
                else:
                    for click in clicks:
                        assert seats is not None
                        await starts.click(store, campaign_id, click, limiter, calls, seats)
                    offering = seats is not None and seats.preview
                    room = 0 if offering else self._room(calls)
                    items, nxt = await store.run(functools.partial(due, self.clock(), room))
                    await starts.attempts(store, campaign_id, items, limiter, calls)
                    held = seats is not None and seats.holding
                    idle = not items and not calls.calls and not held
                    if idle and (nxt is None or nxt > until):
                        break
                if self.on_progress is not None:
                    self.on_progress(self.stats, len(calls.calls))
                calls.wake.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(calls.wake.wait(), 0.05)
        finally:
            await calls.abort_all("dialer stopped")  # shutdown mid-call: keep what is known
            if self.lines is not None:  # (for shared-channels)
                await self.lines.close()
            if seats is not None:
                await seats.close()
            await self.telephony.close()
            await forward
            calls.inbox.put_nowait(None)
            await pump
            await store.run(release)
        return self.stats

    def _room(self, calls: CallDriver) -> int:
        """How many contacts may be gated now: free lines, limited by agents or the pacer."""
        spec = calls.spec
        lines = min(spec.channels, self.telephony.channels)
        free = calls.backoff.room(lines, len(calls.calls))  # all lines while the carrier works
        pool = calls.pool
        if pool is None:  # broadcast: channels (and, in ``dial_starts``, the CPS limit)
            return free
        in_flight = sum(1 for c in calls.calls.values() if c.flow.state in _UNRESOLVED)
        if spec.mode != "predictive":  # preview/progressive: one line per free agent
            return max(0, min(free, pool.free - in_flight))
        now_s = asyncio.get_running_loop().time() / self.telephony.timescale
        state = calls.feed.state(
            now_s=now_s, agents_free=pool.free, max_lines=free, lines_in_flight=in_flight
        )
        decision = self.pacer.lines_to_dial(state)
        self.stats.pacing_modes[decision.mode] = self.stats.pacing_modes.get(decision.mode, 0) + 1
        return decision.lines
