"""The campaign dialer: scheduler, gate, carrier and call flows in one asyncio loop.

Rule 1: a number is dialled only after the gate allowed it and that decision committed;
the dial happens at the contact's earliest allowed instant, never earlier, and inside the
campaign's own schedule in every candidate zone of the recipient. One dialler holds a
campaign at a time (a lease in the store), and each contact is claimed in the gate's
transaction, so no one is rung twice at once.
Rule 2: a key press that asks for the opt-out is honoured by ``optout.opt_out`` (same lock
as the gate, every channel) before the confirmation plays; if the store cannot take it,
dialling stops rather than go on calling people whose opt-out is not on record.
Rule 3: a crash loses nothing acknowledged: queue state is in the database, a contact left
"dialing" by a dead process is closed as failed (interrupted) on the next run — counted
toward the caps and never retried automatically — and every call has a watchdog, so a
carrier that goes silent cannot keep a call (or the run) open forever.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from lexdial.domain import telephony as tel
from lexdial.domain.call import CallFlow, Command, FlowConfig, Outcome, State
from lexdial.domain.pacing import CpsLimiter, Pacer, PredictivePacer
from lexdial.errors import CallStateError, CampaignError, TelephonyError
from lexdial.rules.engine import Engine
from lexdial.service.agents import AgentPool
from lexdial.service.campaign_spec import LIVE, CampaignSpec
from lexdial.service.campaigns import drop_lease, lease_until, load_campaign, take_lease
from lexdial.service.dialer_queue import QueueItem, admit, due_contacts, recover
from lexdial.service.optout import opt_out
from lexdial.service.outcomes import record_outcome
from lexdial.service.pacing_feed import PacingFeed, abandonment_limit
from lexdial.service.ports import Audit, Cipher, Registry, Telephony
from lexdial.service.prompts import build_prompts
from lexdial.service.users import SYSTEM

if TYPE_CHECKING:
    from lexdial.service.storage import UnitOfWork

#: opens one transaction of the store (bootstrap: ``Store.unit_of_work``)
Transactions = Callable[[], AbstractContextManager["UnitOfWork"]]

log = logging.getLogger(__name__)
#: call states in which the call may still need an agent (the pacer's "lines in flight")
_UNRESOLVED = frozenset({State.DIALING, State.RINGING, State.ANSWERED, State.CONNECTING})
#: wall seconds a lease lasts; renewed every turn of the loop
LEASE_S = 60.0
#: carrier seconds a bridged call may last before the watchdog assumes the carrier lost it
TALK_CAP_S = 4 * 3600.0
#: wall seconds the watchdog waits beyond a call's longest plausible life
WATCHDOG_GRACE_S = 10.0
#: store writes are retried this often (SQLite may be briefly locked by another writer)
WRITE_TRIES = 5


@dataclass(slots=True)
class RunStats:
    """What one run of the dialer did (the report adds what the database holds)."""

    gated: int = 0
    #: contacts whose queue entry is closed (done or blocked) during this run
    finished: int = 0
    dialled: int = 0
    denied: int = 0
    deferred: int = 0
    rescheduled: int = 0
    opt_outs: int = 0
    carrier_errors: int = 0
    recovered: int = 0
    aborted: int = 0
    outcomes: dict[str, int] = field(default_factory=dict)
    peak_in_flight: int = 0
    #: how often the predictive pacer chose each mode (progressive = it held back)
    pacing_modes: dict[str, int] = field(default_factory=dict)
    #: why dialling stopped early, if it did
    halted: str | None = None


@dataclass(slots=True)
class _Live:
    """A call in progress: its flow, its queue entry, and what the dialer must remember."""

    flow: CallFlow
    item: QueueItem
    attempt_id: int
    number: str  # E.164; personal data: never logged
    started: float  # loop time of the dial
    agent: str | None = None
    watchdog: asyncio.TimerHandle | None = None


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
    _calls: dict[str, _Live] = field(default_factory=dict)
    _pool: AgentPool | None = None
    _feed: PacingFeed = field(default_factory=PacingFeed)
    _wake: asyncio.Event = field(default_factory=asyncio.Event)
    _inbox: asyncio.Queue[tel.CallEvent | None] = field(default_factory=asyncio.Queue)
    _owner: str = field(default_factory=lambda: f"dialer-{uuid.uuid4().hex[:12]}")
    _spec: CampaignSpec | None = None

    async def run(self, campaign_id: int, until: datetime) -> RunStats:
        """Dial the campaign; returns when nothing more is due before ``until``."""
        with self.transactions() as uow:
            if not take_lease(uow, campaign_id, self._owner, self.wall(), LEASE_S):
                raise CampaignError(lease_held_message(uow, campaign_id, self.wall()))
            spec = load_campaign(uow, self.firm_id, campaign_id).spec
            self.stats.recovered = recover(uow, self.audit, campaign_id, self.clock(), spec.retry)
            ab0, live0 = uow.attempts.abandonment_30d(campaign_id, self.clock())
            self._spec = spec
        self._feed = PacingFeed(
            target=abandonment_limit(self.engine),
            abandoned0=ab0,
            live0=live0,
            wrap_up_s=self.wrap_up_s,
        )
        prompts = build_prompts(spec)
        if spec.mode in LIVE:
            self._pool = AgentPool(self.agents, self._assigned)
        limiter = CpsLimiter(max(1, int(self.telephony.cps)))
        await self.telephony.start()
        forward = asyncio.create_task(self._forward())
        pump = asyncio.create_task(self._pump())
        try:
            while True:
                if forward.done() or pump.done():  # a dead task would leave calls unheard
                    raise TelephonyError("the carrier's event stream stopped")
                with self.transactions() as uow:
                    if not take_lease(uow, campaign_id, self._owner, self.wall(), LEASE_S):
                        raise CampaignError(f"campaign #{campaign_id}: lease lost")
                    status = uow.attempts.campaign_status(campaign_id)
                if status != "running" or self.stats.halted:
                    if not self._calls:
                        break
                else:
                    with self.transactions() as uow:
                        due, nxt = due_contacts(
                            uow, campaign_id, self.clock(), self._room(spec), spec.retry
                        )
                    for item in due:
                        if not await self._attempt(campaign_id, spec, prompts, item, limiter):
                            break
                    if not due and not self._calls and (nxt is None or nxt > until):
                        break
                self._report()
                self._wake.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), 0.05)
        finally:
            for live in list(self._calls.values()):  # shutdown mid-call: keep what is known
                self._abort(live, "dialer stopped")
            await self.telephony.close()
            await forward
            self._inbox.put_nowait(None)
            await pump
            with self.transactions() as uow:
                drop_lease(uow, campaign_id, self._owner)
        return self.stats

    def _room(self, spec: CampaignSpec) -> int:
        free = max(0, min(spec.channels, self.telephony.channels) - len(self._calls))
        if self._pool is None:  # broadcast: channels (and, in _attempt, the CPS limit)
            return free
        in_flight = sum(1 for c in self._calls.values() if c.flow.state in _UNRESOLVED)
        if spec.mode != "predictive":  # preview/progressive: one line per free agent
            return max(0, min(free, self._pool.free - in_flight))
        now_s = asyncio.get_running_loop().time() / self.telephony.timescale
        state = self._feed.state(
            now_s=now_s, agents_free=self._pool.free, max_lines=free, lines_in_flight=in_flight
        )
        decision = self.pacer.lines_to_dial(state)
        self.stats.pacing_modes[decision.mode] = self.stats.pacing_modes.get(decision.mode, 0) + 1
        return decision.lines

    async def _attempt(
        self,
        campaign_id: int,
        spec: CampaignSpec,
        prompts: dict[str, tel.Prompt],
        item: QueueItem,
        limiter: CpsLimiter,
    ) -> bool:
        """Gate and (if allowed) dial one contact; False when the batch must stop."""
        loop = asyncio.get_running_loop()
        while not limiter.take(loop.time() / self.telephony.timescale):
            wait = limiter.next_slot(loop.time() / self.telephony.timescale)
            await asyncio.sleep(max(0.001, wait * self.telephony.timescale - loop.time()))
        with self.transactions() as uow:
            admitted = admit(
                uow,
                self.engine,
                self.cipher,
                self.audit,
                self.registry,
                firm_id=self.firm_id,
                campaign_id=campaign_id,
                spec=spec,
                item=item,
                at=self.clock(),
            )
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
        call_id = f"a{admitted.attempt_id}"
        config = FlowConfig(
            live_agents=spec.mode in LIVE,
            opt_out_key=spec.opt_out_key,
            leave_voicemail=spec.leave_voicemail,
        )
        live = _Live(
            CallFlow(call_id, config), item, admitted.attempt_id, admitted.number, loop.time()
        )
        self._calls[call_id] = live
        self.stats.dialled += 1
        self.stats.peak_in_flight = max(self.stats.peak_in_flight, len(self._calls))
        longest = max((p.seconds for p in prompts.values()), default=0.0)
        cap = spec.ring_timeout_s + 60 + 3 * longest + (TALK_CAP_S if spec.mode in LIVE else 0)
        # plus wall-clock grace: a loop busy with the store must not look like a lost carrier
        delay = cap * self.telephony.timescale + WATCHDOG_GRACE_S
        live.watchdog = loop.call_later(delay, self._lost, call_id)
        dial = tel.Dial(
            call_id=call_id,
            to=admitted.number,
            caller_id=spec.caller_id or "",
            ring_timeout_s=spec.ring_timeout_s,
            prompts=prompts,
            opt_out_key=spec.opt_out_key,
        )
        try:
            await self.telephony.dial(dial)
        except Exception as exc:  # any adapter failure is a failed call, never a lost one
            log.warning("call %s: the carrier refused the dial (%s)", call_id, type(exc).__name__)
            self._inbox.put_nowait(tel.CallEvent(call_id, tel.FAILED, 0.0, detail="refused"))
        return True

    async def _forward(self) -> None:
        async for event in self.telephony.events():
            self._inbox.put_nowait(event)

    async def _pump(self) -> None:
        """One consumer for carrier events and the dialer's own (timers, agents): in order."""
        while (event := await self._inbox.get()) is not None:
            try:
                await self._handle(event)
            except Exception:  # one bad call must not silence every other call
                log.exception("call %s: event %s could not be handled", event.call_id, event.kind)

    def _t(self, live: _Live) -> float:
        """Now on this call's carrier timeline (seconds since its dial)."""
        return (asyncio.get_running_loop().time() - live.started) / self.telephony.timescale

    async def _handle(self, event: tel.CallEvent) -> None:
        live = self._calls.get(event.call_id)
        if live is None:
            if event.kind == tel.AGENT and event.detail and self._pool is not None:
                self._pool.release(event.detail)  # assigned to a call that has just ended
            return  # a late event for a closed call (a timer, a duplicate): nothing to do
        try:
            commands = live.flow.handle(event)
        except CallStateError as exc:
            self.stats.carrier_errors += 1
            log.error("%s", exc)
            return
        for cmd in commands:
            await self._do(live, cmd)
        if live.flow.done:
            self._finish(live)

    async def _do(self, live: _Live, cmd: Command) -> None:
        call_id = live.flow.call_id
        try:
            if cmd.action == "play":
                await self.telephony.play(call_id, str(cmd.arg))
            elif cmd.action == "hangup":
                await self.telephony.hangup(call_id)
            elif cmd.action == "bridge":
                live.agent = cmd.arg
                self._feed.on_bridge(str(cmd.arg), self._t(live))
                await self.telephony.bridge(call_id, str(cmd.arg))
            elif cmd.action == "opt_out":
                self._opt_out(live, str(cmd.arg))
            elif cmd.action == "timer":
                self._timer(live, str(cmd.arg), float(cmd.seconds or 0))
            elif cmd.action in ("find_agent", "cancel_agent", "release_agent"):
                self._agents(cmd, call_id)
            else:
                raise CallStateError(call_id, live.flow.state, cmd.action, "unknown command")
        except TelephonyError as exc:
            log.warning("call %s: %s failed (%s)", call_id, cmd.action, type(exc).__name__)
            if cmd.action == "bridge":  # no agent reached the person: abandoned, say so
                live.flow.abandoned, live.flow.agent = True, None
            if cmd.action in ("hangup", "bridge"):  # the call is gone or going: close it
                self._inbox.put_nowait(
                    tel.CallEvent(call_id, tel.HANGUP, self._t(live), detail=f"{cmd.action} failed")
                )

    def _agents(self, cmd: Command, call_id: str) -> None:
        if self._pool is None:
            return
        if cmd.action == "find_agent":
            self._pool.request(call_id)
        elif cmd.action == "cancel_agent":
            self._pool.cancel(call_id)
        else:
            self._release(str(cmd.arg))

    def _opt_out(self, live: _Live, digit: str) -> None:
        why = f"key {digit} pressed during attempt {live.attempt_id}"
        error: Exception | None = None
        for _ in range(WRITE_TRIES):
            try:
                with self.transactions() as uow:
                    opt_out(
                        uow,
                        self.cipher,
                        self.audit,
                        self.firm_id,
                        live.number,
                        "key_press",
                        why,
                        SYSTEM,
                        self.clock(),
                    )
                self.stats.opt_outs += 1
                return
            except Exception as exc:  # retried: SQLite may be locked by another writer
                error = exc
        # the opt-out is not on record: calling anyone else now would risk calling people
        # whose opt-out is equally lost; stop dialling and say why
        self.stats.halted = f"an opt-out could not be recorded ({type(error).__name__})"
        log.critical("call %s: %s; dialling halted", live.flow.call_id, self.stats.halted)

    def _timer(self, live: _Live, name: str, seconds: float) -> None:
        loop, call_id = asyncio.get_running_loop(), live.flow.call_id

        def fire() -> None:
            self._inbox.put_nowait(tel.CallEvent(call_id, tel.TIMEOUT, self._t(live), prompt=name))

        loop.call_later(seconds * self.telephony.timescale, fire)

    def _lost(self, call_id: str) -> None:
        """The watchdog: the carrier said nothing to end this call in time."""
        live = self._calls.get(call_id)
        if live is not None:
            self.stats.aborted += 1
            self._abort(live, "watchdog: no end reported by the carrier")

    def _abort(self, live: _Live, why: str) -> None:
        live.flow.abort(self._t(live), why)
        self._finish(live)

    def _assigned(self, call_id: str, agent: str) -> None:
        live = self._calls.get(call_id)
        t = self._t(live) if live is not None else 0.0
        self._inbox.put_nowait(tel.CallEvent(call_id, tel.AGENT, t, detail=agent))

    def _release(self, agent: str) -> None:
        self._feed.on_free(agent)
        if self._pool is not None:
            self._pool.release(agent)

    def _finish(self, live: _Live) -> None:
        flow = live.flow
        if live.watchdog is not None:
            live.watchdog.cancel()
        retry = live.item.retry
        status, error = "done", None
        for _ in range(WRITE_TRIES):
            try:
                with self.transactions() as uow:
                    status = record_outcome(
                        uow,
                        self.audit,
                        attempt_id=live.attempt_id,
                        queue_id=live.item.queue_id,
                        attempts=live.item.attempts + 1,
                        flow=flow,
                        retry=retry,
                        at=self.clock(),
                        agent_id=_user_id(live.agent),
                    )
                error = None
                break
            except Exception as exc:  # retried: SQLite may be locked by another writer
                error = exc
        self._calls.pop(flow.call_id, None)
        if error is not None:
            # the row stays "dialing": the next run closes it as interrupted (never retried)
            log.critical("call %s: outcome not recorded (%s)", flow.call_id, type(error).__name__)
            self.stats.halted = "an outcome could not be recorded"
        outcome = flow.outcome or Outcome.FAILED
        self._feed.on_outcome(flow)
        self.stats.finished += status == "done"
        self.stats.outcomes[outcome.value] = self.stats.outcomes.get(outcome.value, 0) + 1
        if live.agent is not None and self._pool is not None:
            agent, loop = live.agent, asyncio.get_running_loop()
            self._feed.on_wrap_up(agent, self._t(live))
            loop.call_later(self.wrap_up_s * self.telephony.timescale, self._release, agent)
        self._wake.set()

    def _report(self) -> None:
        if self.on_progress is not None:
            self.on_progress(self.stats, len(self._calls))


def _user_id(agent: str | None) -> int | None:
    """Agents seated from the store are labelled ``user:ID``; simulated ones have no id."""
    if agent and agent.startswith("user:") and agent[5:].isdigit():
        return int(agent[5:])
    return None
