"""The campaign dialer: the run loop that schedules, gates and dials one campaign.

Rule 1: a number is dialled only after the gate allowed it and that decision committed;
the dial happens at the contact's earliest allowed instant, never earlier, and inside the
campaign's own schedule in every candidate zone of the recipient. One dialler holds a
campaign at a time (a lease in the store), and each contact is claimed in the gate's
transaction, so no one is rung twice at once.
Rule 2: no more lines than the channels, the carrier's calls per second (this run's, and
with ``cps_gate`` the trunk's, shared by every dialling process) and (live modes) the
agents or the predictive pacer allow; a call, once placed, is the ``CallDriver``'s
(``call_driver``: commands, timers, watchdog, opt-out, outcome).
Rule 3: a crash loses nothing acknowledged: queue state is in the database, and a contact
left "dialing" by a dead process is closed as failed (interrupted) on the next run —
counted toward the caps and never retried automatically.
Rule 4: a failing carrier slows the run down (``carrier_faults``: a wait that doubles and
half the lines per consecutive carrier fault) and, at the campaign's
``pacing.max_carrier_failures`` faults in a row, pauses the campaign through
``campaigns.set_status`` (audited, actor system) with the reason stored for the faces; the
calls still up end normally, each with its outcome, and the run ends saying why.
Rule 6 (issue 12): with ``desk=True`` the agents are the campaign's desk seats
(``desk_seats``: legs opened and closed, the pool kept to the seats READY with their leg
up, every turn); without, a static pool of ``agents`` with an automatic wrap-up (the
simulated rehearsal and the demo). The wait for an agent is the rule pack's
(``agent_connect_limit``), not a constant.
Rule 7 (issue 12, preview and manual): a preview campaign at the desk never dials on its
own (the rehearsal without a desk dials it like progressive, with its static agents): the
desk seats are offered contacts (``desk_seats`` rule 6) and a contact is dialled only when
its agent clicks Call. A click (preview, or a manual click-to-call in any desk campaign)
is gated like any attempt (recorded, committed before the dial) and, allowed, dialled with
that agent reserved and joined at the answer; refused, the seat gets the attempt back.
The run goes on while a seat holds an offer or a click.
Rule 5: the store is never touched on the event loop's thread: every transaction (lease,
recovery, due contacts, gate, pause, outcomes, opt-outs) runs whole on the run's
``StoreThread`` and is awaited — the gate's decision commits before the dial. The
contacts whose call starts come together (the CPS limiter's burst, free lines) are gated
together: each start is taken in turn, then its gate and dial go on in a task, so their
gates wait together on the store thread and share one commit (``gate_batch``). The dials
then go one after another, and a stop or pause committed during one is seen before the
next (``dialer_queue.confirm_dial``), as when each gate followed the dial before it.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from lexdial.domain.agents import AgentPool
from lexdial.domain.call import AGENT_DEADLINE_S, State, agent_wait_for
from lexdial.domain.campaign_spec import LIVE, CampaignSpec
from lexdial.domain.carrier_faults import CarrierBackoff
from lexdial.domain.pacing import CpsLimiter, Pacer, PredictivePacer
from lexdial.domain.prompts import build_prompts
from lexdial.errors import CampaignError, LexdialError, TelephonyError
from lexdial.rules.engine import Engine
from lexdial.service.call_driver import CallDriver, Transactions
from lexdial.service.campaigns import (
    drop_lease,
    lease_until,
    load_campaign,
    set_status,
    take_lease,
)
from lexdial.service.channels import TrunkLines  # (for shared-channels)
from lexdial.service.desk_seats import Click, DeskSeats
from lexdial.service.dialer_queue import (
    OFFERED_ONLY,
    Admitted,
    QueueItem,
    admit,
    confirm_dial,
    due_contacts,
    recover,
)
from lexdial.service.dialer_stats import RunStats
from lexdial.service.gate_batch import GateBatcher
from lexdial.service.pacing_feed import PacingFeed, abandonment_limit
from lexdial.service.ports import Audit, Cipher, Registry, Telephony
from lexdial.service.store_thread import StoreThread
from lexdial.service.users import SYSTEM

if TYPE_CHECKING:
    from lexdial.service.storage import UnitOfWork

log = logging.getLogger(__name__)

#: ``RunStats`` is what ``Dialer.run`` returns: callers import it from here
__all__ = ["LEASE_S", "Dialer", "RunStats", "lease_held_message"]

#: call states in which the call may still need an agent (the pacer's "lines in flight")
_UNRESOLVED = frozenset({State.DIALING, State.RINGING, State.ANSWERED, State.CONNECTING})
#: wall seconds a lease lasts; renewed every turn of the loop
LEASE_S = 60.0


def agent_connect_limit(engine: Engine) -> float:
    """Seconds from a person's greeting to a live agent, from the rule pack (the pack's
    shortest; the 2 s default for a pack without the rule)."""
    try:
        return engine.pack.agent_connect_limit()
    except LookupError:
        return AGENT_DEADLINE_S


def lease_held_message(uow: UnitOfWork, campaign_id: int, wall: datetime) -> str:
    """Why a run is refused, when it may go ahead, and how to take over without double
    dials (a second dialler while the first lives would ring people twice)."""
    until = lease_until(uow, campaign_id)
    left = max(0, int((until - wall).total_seconds()) + 1) if until else 0
    when = f"{until.astimezone(UTC):%Y-%m-%d %H:%M:%S} UTC" if until else "soon"
    return (
        f"campaign #{campaign_id} is being dialled by another process: its lease runs until "
        f"{when} ({left} s from now) and is renewed every few seconds while that process "
        f"lives. If that process was stopped or killed, run this again after {when}: the "
        "interrupted calls are then closed as failed and nobody is dialled twice. If it is "
        f"still running, pause it instead (lexdial campaign pause {campaign_id})."
    )


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
    #: dials started by this run, and those of them not yet returned (``_gate_and_place``)
    _dials: list[int] = field(default_factory=lambda: [0, 0])
    #: held from a committed gate's check to its dial's return: one dial at a time
    _dialling: asyncio.Lock = field(default_factory=asyncio.Lock)

    async def run(self, campaign_id: int, until: datetime) -> RunStats:
        """Dial the campaign; returns when nothing more is due before ``until``."""
        # the gates waiting together share one commit (``gate_batch``; rule 5)
        store = StoreThread(self.offload, GateBatcher(self.transactions, self.audit))
        self._dialling = asyncio.Lock()  # this run's loop's
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
                )  # fmt: skip
        calls.backoff = CarrierBackoff(limit=spec.pacing.max_carrier_failures)
        if self.lines is not None:  # (for shared-channels) every end gives its channel back
            calls.on_detach = self.lines.ended
        limiter = CpsLimiter(max(1, int(self.telephony.cps)))
        await self.telephony.start()
        forward = asyncio.create_task(calls.forward())
        pump = asyncio.create_task(calls.pump())
        try:
            while True:
                if forward.done() or pump.done():  # a dead task would leave calls unheard
                    raise TelephonyError("the carrier's event stream stopped")
                if calls.backoff.tripped and self.stats.paused is None:
                    await self._pause(store, campaign_id, calls.backoff.reason)
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
                        await self._click(store, campaign_id, click, limiter, calls, seats)
                    offering = seats is not None and seats.preview
                    room = 0 if offering else self._room(calls)
                    items, nxt = await store.run(functools.partial(due, self.clock(), room))
                    await self._attempts(store, campaign_id, items, limiter, calls)
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
        if pool is None:  # broadcast: channels (and, in _attempt, the CPS limit)
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

    async def _click(
        self,
        store: StoreThread,
        campaign_id: int,
        click: Click,
        limiter: CpsLimiter,
        calls: CallDriver,
        seats: DeskSeats,
    ) -> None:
        """An agent's Call (rule 7): gated and dialled with the agent reserved, or the seat
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

    async def _attempts(
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
        commit (rule 5). A halt or a tripped carrier stops the starts; what is already
        started finishes (a halted campaign's gates refuse in their own transaction)."""
        tasks: list[asyncio.Task[bool]] = []
        try:
            for item in items:
                if any(t.done() and (t.exception() or not t.result()) for t in tasks):
                    break
                if not await self._pace(store, limiter, calls):
                    break
                tasks.append(
                    asyncio.create_task(self._gate_and_place(store, campaign_id, item, calls))
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
        ``agent``: the agent who asked for the call (rule 7); ``seen`` gets the gate's
        answer; ``channel_taken``: the caller already holds the trunk channel for it."""
        if not await self._pace(store, limiter, calls, take_channel=not channel_taken):
            if channel_taken and self.lines is not None:  # (for shared-channels)
                self.lines.give_back()
            return False
        return await self._gate_and_place(
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
        if self.cps_gate is not None:  # the trunk's CPS, shared across processes (rule 2)
            while (shared := await store.run(self.cps_gate)) > 0:
                await asyncio.sleep(shared)
        return True

    async def _gate_and_place(
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
            admitted = await store.batched(gate)  # committed before the dial (rule 1)
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
        if allowed is not None and dials != [self._dials[0], 0]:
            still = functools.partial(confirm_dial, campaign_id=campaign_id, item=item,
                                      attempt_id=allowed, at=at)  # fmt: skip
            try:
                confirmed = await store.batched(lambda uow, _audit: still(uow))
            except BaseException:
                if self.lines is not None:  # (for shared-channels) as when the gate raises
                    self.lines.give_back()
                raise
            if not confirmed:
                # the campaign stopped meanwhile: recorded as not placed (rescheduled)
                self.stats.gated += 1
                self.stats.rescheduled += 1
                admitted = Admitted("halt", allowed)
        placing = admitted.verdict == "allow" and bool(admitted.number)  # (for shared-channels)
        if self.lines is not None and not (placing and admitted.attempt_id is not None):
            self.lines.give_back()  # the channel taken for this contact carries no call
        if seen is not None:
            seen(admitted)
        if admitted.verdict == "halt":
            return False
        if admitted.verdict == "gone":
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

    async def _pause(self, store: StoreThread, campaign_id: int, reason: str) -> None:
        """Too many carrier faults in a row: pause the campaign, saying why (rule 4)."""
        self.stats.paused = reason
        log.warning("campaign #%s: %s", campaign_id, reason)
        at = self.clock()

        def pause() -> None:
            with self.transactions() as uow:
                set_status(
                    uow, self.audit, self.firm_id, campaign_id, "pause", SYSTEM, at,
                    reason=reason,
                )  # fmt: skip

        try:
            await store.run(pause)
        except CampaignError:
            pass  # no longer running (a user paused or stopped it): dialling stops anyway
        except Exception as exc:  # the store failed: dialling stops all the same, say so
            self.stats.halted = f"the campaign could not be paused ({type(exc).__name__})"
