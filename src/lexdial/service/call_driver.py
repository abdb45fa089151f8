"""The calls in progress: each one driven from its dial to its stored outcome.

Rule 1: one consumer (``pump``) feeds the carrier's events and the driver's own (timers,
agent matches, failed commands), in order, to each call's transition table and carries out
the commands it returns; an event the table refuses is a carrier error and changes nothing.
Rule 2: a key press that asks for the opt-out is honoured by ``optout.opt_out`` (same lock
as the gate, every channel) before the confirmation plays; if the store cannot take it,
the run is halted rather than go on calling people whose opt-out is not on record.
Rule 3: every call has a watchdog, so a carrier that goes silent cannot keep a call (or the
run) open forever; an outcome the store cannot take leaves the queue row "dialing" (the
next run closes it as failed, never retried) and halts the run.
Rule 4: a call the carrier could not place (``carrier_faults.carrier_fault``: refused, 5xx,
timed out, unreachable, lost by the carrier) counts toward ``backoff``; any call it placed
resets it. The dialler reads ``backoff`` to slow down and, at the limit, to pause.
Rule 5: no store transaction runs on the event loop's thread: each one runs whole (open,
work, commit) on the dialler's ``StoreThread`` (``store_thread``), one at a time and in the
order asked (gates asked for together share one, ``gate_batch``), while the loop goes on
serving the carrier; the caller awaits its commit before going on (the
gate before the dial, the opt-out before the confirmation plays).
Rule 6 (issue 12): with a desk (``desk``), an agent's leg events (call_id "") go to it;
the BRIDGE command goes to the carrier first and the seat's screen pop is written after, in
the background; an agent whose call ended (or who was assigned but not bridged in time)
goes to wrap-up on the desk and back to the pool only when the desk makes them READY.
Without a desk (the rehearsal, the demo) the agent is free again after ``wrap_up_s``.
Rule 8 (preview, manual): a call placed for the agent who asked for it (``place(...,
agent=)``) keeps that agent out of the pool and joins them at the answer, without
detection (``FlowConfig.reserved_agent``); if the agent was never joined, the seat is
told (``DeskSeats.not_placed``) once the outcome is stored.
Rule 7: an ended call's outcome is written in its own task, not in the pump: the store
thread may be busy with gates, and other calls' events (an agent's BRIDGED racing the
2-second deadline) must not wait for it. The pump's end and ``abort_all`` wait for them.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from lexdial.domain import telephony as tel
from lexdial.domain.agents import AgentPool
from lexdial.domain.call import AGENT_WAIT_S, CallFlow, Command, FlowConfig, Outcome, State
from lexdial.domain.campaign_spec import LIVE, CampaignSpec
from lexdial.domain.carrier_faults import CarrierBackoff, carrier_fault
from lexdial.errors import CallStateError, TelephonyError
from lexdial.service.desk_seats import DeskSeats
from lexdial.service.dialer_queue import QueueItem
from lexdial.service.dialer_stats import RunStats
from lexdial.service.optout import opt_out
from lexdial.service.outcomes import record_outcome
from lexdial.service.pacing_feed import PacingFeed
from lexdial.service.ports import Audit, Cipher, Telephony
from lexdial.service.store_thread import StoreThread
from lexdial.service.users import SYSTEM

if TYPE_CHECKING:
    from lexdial.service.storage import UnitOfWork

#: opens one transaction of the store (bootstrap: ``Store.unit_of_work``)
Transactions = Callable[[], AbstractContextManager["UnitOfWork"]]

log = logging.getLogger(__name__)
#: carrier seconds a bridged call may last before the watchdog assumes the carrier lost it
TALK_CAP_S = 4 * 3600.0
#: wall seconds the watchdog waits beyond a call's longest plausible life
WATCHDOG_GRACE_S = 10.0
#: store writes are retried this often (SQLite may be briefly locked by another writer)
WRITE_TRIES = 5
#: the call states in which a FAILED event means the carrier never placed the call
_UNPLACED = frozenset({State.DIALING, State.RINGING})


@dataclass(slots=True)
class LiveCall:
    """A call in progress: its flow, its queue entry, and what the driver must remember."""

    flow: CallFlow
    item: QueueItem
    attempt_id: int
    number: str  # E.164; personal data: never logged
    started: float  # loop time of the dial
    agent: str | None = None
    watchdog: asyncio.TimerHandle | None = None
    #: why the carrier failed this call (rule 4); None: the carrier did its part
    fault: str | None = None
    #: the agent who asked for this call (rule 8)
    reserved: str | None = None


@dataclass(slots=True)
class CallDriver:
    """Places the calls the gate allowed and drives each until its outcome is stored."""

    #: one store transaction per write (``Store.unit_of_work``)
    transactions: Transactions
    cipher: Cipher
    audit: Audit
    firm_id: int
    telephony: Telephony
    clock: Callable[[], datetime]
    stats: RunStats
    feed: PacingFeed
    #: the campaign being dialled and the prompts its calls play
    spec: CampaignSpec
    prompts: dict[str, tel.Prompt]
    wrap_up_s: float = 30.0
    #: the agents of a live-agent campaign (None: broadcast, no agents)
    pool: AgentPool | None = None
    #: the desk's seats (rule 6); None: a static pool with automatic wrap-up
    desk: DeskSeats | None = None
    #: seconds after the HUMAN verdict by which BRIDGED must come (from the rule pack)
    agent_wait_s: float = AGENT_WAIT_S
    calls: dict[str, LiveCall] = field(default_factory=dict)
    #: set whenever a call ends: the run loop may have room for another
    wake: asyncio.Event = field(default_factory=asyncio.Event)
    inbox: asyncio.Queue[tel.CallEvent | None] = field(default_factory=asyncio.Queue)
    #: consecutive carrier faults of this run (rule 4)
    backoff: CarrierBackoff = field(default_factory=CarrierBackoff)
    #: where the store transactions run (rule 5)
    store: StoreThread = field(default_factory=StoreThread)
    #: the watchdogs' aborts in progress (awaited by ``abort_all``)
    _aborts: set[asyncio.Task[None]] = field(default_factory=set)
    #: outcome writes in progress (rule 7; awaited by ``abort_all`` and at the pump's end)
    _finishing: set[asyncio.Task[None]] = field(default_factory=set)
    #: (for shared-channels) told the attempt id of every call let go (its channel is free)
    on_detach: Callable[[int], None] | None = None

    async def place(
        self, item: QueueItem, attempt_id: int, number: str, *, agent: str | None = None
    ) -> None:
        """Dial an allowed attempt, under a watchdog; a refused dial ends as a failed call.
        ``agent``: the agent who asked for the call, joined at the answer (rule 8)."""
        loop, spec, prompts = asyncio.get_running_loop(), self.spec, self.prompts
        call_id = f"a{attempt_id}"
        config = FlowConfig(
            spec.mode in LIVE or agent is not None, spec.opt_out_key, spec.leave_voicemail,
            self.agent_wait_s, reserved_agent=agent,
        )  # fmt: skip
        live = LiveCall(CallFlow(call_id, config), item, attempt_id, number, loop.time())
        live.reserved = agent
        if agent is not None and self.pool is not None:
            # on this call from the dial: out of the pool, and the desk's hang-up finds it
            self.pool.remove(agent)
            self.pool.busy[agent] = call_id
        self.calls[call_id] = live
        self.stats.dialled += 1
        self.stats.peak_in_flight = max(self.stats.peak_in_flight, len(self.calls))
        longest = max((p.seconds for p in prompts.values()), default=0.0)
        cap = spec.ring_timeout_s + 60 + 3 * longest + (TALK_CAP_S if spec.mode in LIVE else 0)
        # plus wall-clock grace: a loop busy with the store must not look like a lost carrier
        delay = cap * self.telephony.timescale + WATCHDOG_GRACE_S
        live.watchdog = loop.call_later(delay, self._lost, call_id)
        dial = tel.Dial(
            call_id=call_id,
            to=number,
            caller_id=spec.caller_id or "",
            ring_timeout_s=spec.ring_timeout_s,
            prompts=prompts,
            opt_out_key=spec.opt_out_key,
            detect_machine=agent is None,  # the agent hears who answers (rule 8)
        )
        try:
            await self.telephony.dial(dial)
        except Exception as exc:  # any adapter failure is a failed call, never a lost one
            log.warning("call %s: the carrier refused the dial (%s)", call_id, type(exc).__name__)
            # our own messages name no number; another library's might: its type only
            text = str(exc) if isinstance(exc, TelephonyError) else type(exc).__name__
            live.fault = f"dial refused: {carrier_fault(text) or text}"[:120]
            self.inbox.put_nowait(tel.CallEvent(call_id, tel.FAILED, 0.0, detail="refused"))

    async def forward(self) -> None:
        """Copy the carrier's events into the inbox, until the carrier closes."""
        async for event in self.telephony.events():
            self.inbox.put_nowait(event)

    async def pump(self) -> None:
        """One consumer for carrier events and the driver's own (timers, agents): in order."""
        while (event := await self.inbox.get()) is not None:
            try:
                await self._handle(event)
            except Exception:  # one bad call must not silence every other call
                log.exception("call %s: event %s could not be handled", event.call_id, event.kind)
        if self._finishing:  # the outcomes of the calls that ended last
            await asyncio.gather(*self._finishing, return_exceptions=True)

    async def abort_all(self, why: str) -> None:
        """Close every call still up with what is known (the run is stopping)."""
        for live in list(self.calls.values()):
            await self._abort(live, why)
        if self._aborts or self._finishing:
            await asyncio.gather(*self._aborts, *self._finishing, return_exceptions=True)

    def assigned(self, call_id: str, agent: str) -> None:
        """``AgentPool`` callback: an agent was matched to ``call_id`` (queued as an event)."""
        live = self.calls.get(call_id)
        t = self._t(live) if live is not None else 0.0
        self.inbox.put_nowait(tel.CallEvent(call_id, tel.AGENT, t, detail=agent))

    def _now_s(self) -> float:
        """Now on the run's carrier clock: the clock the pacer's ``feed.state(now_s=...)``
        reads (an agent's busy time is measured on it, not on one call's timeline)."""
        return asyncio.get_running_loop().time() / self.telephony.timescale

    def _t(self, live: LiveCall) -> float:
        """Now on this call's carrier timeline (seconds since its dial)."""
        return (asyncio.get_running_loop().time() - live.started) / self.telephony.timescale

    async def _handle(self, event: tel.CallEvent) -> None:
        if event.kind in tel.AGENT_LEG_KINDS:  # about an agent's leg, not a call (rule 6)
            if self.desk is not None:
                self.desk.on_leg(event)
            return
        live = self.calls.get(event.call_id)
        if live is None:
            if event.kind == tel.AGENT and event.detail and self.pool is not None:
                self.pool.release(event.detail)  # assigned to a call that has just ended
            return  # a late event for a closed call (a timer, a duplicate): nothing to do
        if event.kind == tel.FAILED and live.flow.state in _UNPLACED and live.fault is None:
            live.fault = carrier_fault(event.detail)
        before = live.flow.state
        try:
            commands = live.flow.handle(event)
        except CallStateError as exc:
            self.stats.carrier_errors += 1
            log.error("%s", exc)
            return
        self._timings(live, before, event)
        for cmd in commands:
            await self._do(live, cmd)
        if event.kind == tel.TRANSFERRED and live.agent not in (None, live.flow.agent):
            old, live.agent = str(live.agent), live.flow.agent  # handed to another agent
            self._done_with(old, live)
        if live.flow.done and self._detach(live):
            # the outcome is written off the pump: the next call's events (a BRIDGED racing
            # its 2-second deadline) must not wait behind this call's store write (rule 7)
            task = asyncio.get_running_loop().create_task(self._record(live))
            self._finishing.add(task)
            task.add_done_callback(self._finishing.discard)

    def _timings(self, live: LiveCall, before: State, event: tel.CallEvent) -> None:
        """The pacer's real timings: answer to AMD verdict, person to BRIDGED."""
        flow = live.flow
        verdict = before is State.ANSWERED and event.kind in (tel.HUMAN, tel.MACHINE)
        if verdict and flow.answered_at is not None:
            self.feed.on_amd(event.t - flow.answered_at)
        joined = before is State.CONNECTING and flow.state is State.BRIDGED
        if joined and flow.human_at is not None:
            self.feed.on_connect_wait(event.t - flow.human_at)

    async def _do(self, live: LiveCall, cmd: Command) -> None:
        call_id = live.flow.call_id
        try:
            if cmd.action == "play":
                await self.telephony.play(call_id, str(cmd.arg))
            elif cmd.action == "hangup":
                await self.telephony.hangup(call_id)
            elif cmd.action == "bridge":
                live.agent = agent = str(cmd.arg)
                self.feed.on_bridge(agent, self._now_s())
                await self.telephony.bridge(call_id, agent)
                if self.desk is not None:  # after the command: the 2 s are the person's
                    self.desk.assigned(agent, live.attempt_id)
            elif cmd.action == "opt_out":
                await self._opt_out(live, str(cmd.arg))
            elif cmd.action == "timer":
                self._timer(live, str(cmd.arg), float(cmd.seconds or 0))
            elif cmd.action in ("find_agent", "cancel_agent", "release_agent"):
                self._agents(cmd, live)
            else:
                raise CallStateError(call_id, live.flow.state, cmd.action, "unknown command")
        except TelephonyError as exc:
            log.warning("call %s: %s failed (%s)", call_id, cmd.action, type(exc).__name__)
            if cmd.action == "bridge":  # no agent reached the person: abandoned, say so
                live.flow.abandoned, live.flow.agent = True, None
            if cmd.action in ("hangup", "bridge"):  # the call is gone or going: close it
                self.inbox.put_nowait(
                    tel.CallEvent(call_id, tel.HANGUP, self._t(live), detail=f"{cmd.action} failed")
                )

    def _agents(self, cmd: Command, live: LiveCall) -> None:
        if self.pool is None:
            return
        call_id = live.flow.call_id
        if cmd.action == "find_agent":
            self.pool.request(call_id)
        elif cmd.action == "cancel_agent":
            self.pool.cancel(call_id)
        elif cmd.arg is not None and cmd.arg == live.agent:
            # bridged for, then given up (deadline passed): their call is over (rule 6)
            live.agent = None
            self._done_with(cmd.arg, live)
        else:
            self._release(str(cmd.arg))  # matched, never bridged: free at once

    async def _write(self, work: Callable[[UnitOfWork], None]) -> Exception | None:
        """Run ``work`` in one transaction on the store thread, retried (SQLite may be
        locked by another writer)."""

        def attempt() -> Exception | None:
            try:
                with self.transactions() as uow:
                    work(uow)
                return None
            except Exception as exc:
                return exc

        error: Exception | None = None
        for _ in range(WRITE_TRIES):
            error = await self.store.run(attempt)
            if error is None:
                return None
        return error

    async def _opt_out(self, live: LiveCall, digit: str) -> None:
        why = f"key {digit} pressed during attempt {live.attempt_id}"
        firm, number, at = self.firm_id, live.number, self.clock()  # the clock: on the loop

        def write(uow: UnitOfWork) -> None:
            opt_out(uow, self.cipher, self.audit, firm, number, "key_press", why, SYSTEM, at)

        error = await self._write(write)
        if error is None:
            self.stats.opt_outs += 1
            return
        # the opt-out is not on record: calling anyone else now would risk calling people
        # whose opt-out is equally lost; stop dialling and say why
        self.stats.halted = f"an opt-out could not be recorded ({type(error).__name__})"
        log.critical("call %s: %s; dialling halted", live.flow.call_id, self.stats.halted)

    def _timer(self, live: LiveCall, name: str, seconds: float) -> None:
        loop, call_id = asyncio.get_running_loop(), live.flow.call_id

        def fire() -> None:
            self.inbox.put_nowait(tel.CallEvent(call_id, tel.TIMEOUT, self._t(live), prompt=name))

        loop.call_later(seconds * self.telephony.timescale, fire)

    def _lost(self, call_id: str) -> None:
        """The watchdog: the carrier said nothing to end this call in time."""
        live = self.calls.get(call_id)
        if live is not None:
            self.stats.aborted += 1
            live.fault = live.fault or "call lost: the carrier never reported its end"
            task = asyncio.get_running_loop().create_task(
                self._abort(live, "watchdog: no end reported by the carrier")
            )
            self._aborts.add(task)
            task.add_done_callback(self._aborts.discard)

    async def _abort(self, live: LiveCall, why: str) -> None:
        if self.calls.get(live.flow.call_id) is not live:
            return  # already closed (its outcome is stored or being stored)
        live.flow.abort(self._t(live), why)
        await self._finish(live)

    def _release(self, agent: str) -> None:
        self.feed.on_free(agent)
        if self.pool is not None:
            self.pool.release(agent)

    async def _finish(self, live: LiveCall) -> None:
        if self._detach(live):
            await self._record(live)

    def _detach(self, live: LiveCall) -> bool:
        """Take an ended call off the books before its write: late events find no call.
        False if another path closed it already (one outcome per attempt)."""
        if self.calls.get(live.flow.call_id) is not live:
            return False
        self.calls.pop(live.flow.call_id)
        if live.watchdog is not None:
            live.watchdog.cancel()
        if self.on_detach is not None:  # (for shared-channels)
            self.on_detach(live.attempt_id)
        return True

    async def _record(self, live: LiveCall) -> None:
        """Store the outcome of a detached call; then free its line and its agent."""
        flow = live.flow
        status, at = "done", self.clock()  # the clock is read on the loop

        def write(uow: UnitOfWork) -> None:
            nonlocal status
            status = record_outcome(
                uow,
                self.audit,
                attempt_id=live.attempt_id,
                queue_id=live.item.queue_id,
                attempts=live.item.attempts + 1,
                flow=flow,
                retry=live.item.retry,
                at=at,
                agent_id=_user_id(live.agent),
            )

        error = await self._write(write)
        if error is not None:
            # the row stays "dialing": the next run closes it as interrupted (never retried)
            log.critical("call %s: outcome not recorded (%s)", flow.call_id, type(error).__name__)
            self.stats.halted = "an outcome could not be recorded"
        outcome = flow.outcome or Outcome.FAILED
        if live.fault is not None:
            self.stats.carrier_failures += 1
            now_s = asyncio.get_running_loop().time() / self.telephony.timescale
            self.backoff.failed(now_s, live.fault)
        else:
            self.backoff.placed()
        self.feed.on_outcome(flow)
        self.stats.finished += status == "done"
        self.stats.outcomes[outcome.value] = self.stats.outcomes.get(outcome.value, 0) + 1
        if live.agent is not None:
            self._done_with(live.agent, live)
        if live.reserved is not None and flow.bridged_at is None and self.desk is not None:
            # never joined (unanswered, refused, bridge failed): the seat is free again
            self.desk.not_placed(live.reserved, live.item, live.attempt_id)
        elif live.reserved is not None and self.pool is not None and live.agent is None:
            self.pool.retire(live.reserved)
        self.wake.set()

    def _done_with(self, agent: str, live: LiveCall) -> None:
        """The agent's part in ``live`` is over: wrap-up (rule 6)."""
        if self.pool is None:
            return
        self.feed.on_wrap_up(agent, self._now_s())
        if self.desk is not None:
            self.desk.ended(agent, live.attempt_id)
            return
        loop = asyncio.get_running_loop()
        loop.call_later(self.wrap_up_s * self.telephony.timescale, self._release, agent)


def _user_id(agent: str | None) -> int | None:
    """Agents seated from the store are labelled ``user:ID``; simulated ones have no id."""
    if agent and agent.startswith("user:") and agent[5:].isdigit():
        return int(agent[5:])
    return None
