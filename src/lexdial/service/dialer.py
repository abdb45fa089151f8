"""The campaign dialer: scheduler, gate, carrier and call flows in one asyncio loop.

Rule 1: a number is dialled only after the gate allowed it and that decision committed;
the dial happens at the contact's earliest allowed instant, never earlier, and inside the
campaign's own schedule in every candidate zone of the recipient.
Rule 2: a key press that asks for the opt-out is honoured by ``optout.opt_out`` (same lock
as the gate, every channel) before the confirmation plays.
Rule 3: a crash loses nothing acknowledged: queue state is in the database, and a contact
left "dialing" by a dead process is closed as failed (interrupted) on the next run, and
counted toward the caps — it may have rung.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Engine as SAEngine

from lexdial.domain import telephony as tel
from lexdial.domain.call import CallFlow, Command, FlowConfig, Outcome, State
from lexdial.domain.pacing import CpsLimiter, Pacer, PacingState, PredictivePacer
from lexdial.errors import CallStateError, TelephonyError
from lexdial.rules.engine import Engine
from lexdial.service.agents import AgentPool
from lexdial.service.campaign_spec import LIVE, CampaignSpec
from lexdial.service.campaigns import abandonment_30d, load_campaign
from lexdial.service.dialer_queue import QueueItem, admit, due_contacts, recover
from lexdial.service.optout import opt_out
from lexdial.service.outcomes import record_outcome
from lexdial.service.ports import Audit, Cipher, Registry, Telephony
from lexdial.service.prompts import build_prompts
from lexdial.service.users import SYSTEM

log = logging.getLogger(__name__)
#: call states in which the call may still need an agent (the pacer's "lines in flight")
_UNRESOLVED = frozenset({State.DIALING, State.RINGING, State.ANSWERED, State.CONNECTING})


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
    outcomes: dict[str, int] = field(default_factory=dict)
    peak_in_flight: int = 0
    #: how often the predictive pacer chose each mode (progressive = it held back)
    pacing_modes: dict[str, int] = field(default_factory=dict)


@dataclass(slots=True)
class _Live:
    flow: CallFlow
    item: QueueItem
    attempt_id: int
    number: str
    agent: str | None = None


@dataclass(slots=True)
class Dialer:
    """Runs one campaign until nothing is due before ``until`` and no call is up."""

    db: SAEngine
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
    stats: RunStats = field(default_factory=RunStats)
    _calls: dict[str, _Live] = field(default_factory=dict)
    _pool: AgentPool | None = None
    _wake: asyncio.Event = field(default_factory=asyncio.Event)
    _pending: list[tuple[_Live, list[Command]]] = field(default_factory=list)
    pacer: Pacer = field(default_factory=PredictivePacer)
    #: the pacer's measurements: this run's dials and answers, the campaign's 30-day counts
    _resolved: int = 0
    _live_answers: int = 0
    _run_abandoned: int = 0
    _abandoned0: int = 0
    _live0: int = 0
    _talk_s: float = 0.0
    _bridged: int = 0
    _busy_since: dict[str, float] = field(default_factory=dict)
    _inbox: asyncio.Queue[tel.CallEvent | None] = field(default_factory=asyncio.Queue)

    async def run(self, campaign_id: int, until: datetime) -> RunStats:
        with self.db.begin() as conn:
            self.stats.recovered = recover(conn, self.audit, campaign_id, self.clock())
            self._abandoned0, self._live0 = abandonment_30d(conn, campaign_id, self.clock())
            camp = load_campaign(conn, self.firm_id, campaign_id)
        spec = camp.spec
        prompts = build_prompts(spec)
        if spec.mode in LIVE:
            self._pool = AgentPool(self.agents, self._assigned)
        limiter = CpsLimiter(max(1, int(self.telephony.cps)))
        await self.telephony.start()
        forward = asyncio.create_task(self._forward())
        pump = asyncio.create_task(self._pump())
        try:
            while True:
                with self.db.connect() as conn:
                    status = load_campaign(conn, self.firm_id, campaign_id).status
                now = self.clock()
                if status != "running":
                    if not self._calls:
                        break
                else:
                    room = self._room(spec)
                    with self.db.begin() as conn:
                        due, nxt = due_contacts(conn, campaign_id, now, room)
                    for item in due:
                        await self._attempt(campaign_id, spec, prompts, item, limiter)
                    if not due and not self._calls and (nxt is None or nxt > until):
                        break
                self._report()
                self._wake.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), 0.05)
        finally:
            await self.telephony.close()
            await forward
            self._inbox.put_nowait(None)
            await pump
        return self.stats

    def _room(self, spec: CampaignSpec) -> int:
        free = max(0, min(spec.channels, self.telephony.channels) - len(self._calls))
        if self._pool is None:  # broadcast: channels (and, in _attempt, the CPS limit)
            return free
        in_flight = sum(1 for c in self._calls.values() if c.flow.state in _UNRESOLVED)
        if spec.mode != "predictive":  # preview/progressive: one line per free agent
            return max(0, min(free, self._pool.free - in_flight))
        loop = asyncio.get_running_loop()
        talk = self._talk_s / self._bridged if self._bridged else 120.0
        now = loop.time()
        # a call already longer than the mean is not "about to end": talk times have a long
        # tail, so never expect less than half a mean call plus the wrap-up
        busy = tuple(
            max(talk / 2, talk - (now - t) / self.telephony.timescale) + self.wrap_up_s
            for t in self._busy_since.values()
        )
        state = PacingState(
            now_s=now / self.telephony.timescale,
            agents_free=self._pool.free,
            max_lines=free,
            busy_free_in_s=busy,
            lines_in_flight=in_flight,
            dials=self._resolved,
            live_answers=self._live_answers,
            abandoned=self._abandoned0 + self._run_abandoned,
            live_answered=self._live0 + self._live_answers,
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
    ) -> None:
        loop = asyncio.get_running_loop()
        while not limiter.take(loop.time() / self.telephony.timescale):
            wait = limiter.next_slot(loop.time() / self.telephony.timescale)
            await asyncio.sleep(max(0.001, wait * self.telephony.timescale - loop.time()))
        now = self.clock()
        with self.db.begin() as conn:
            admitted = admit(
                conn,
                self.engine,
                self.cipher,
                self.audit,
                self.registry,
                firm_id=self.firm_id,
                campaign_id=campaign_id,
                spec=spec,
                item=item,
                at=now,
            )
        self.stats.gated += 1
        if admitted.verdict != "allow":
            counter = {"deny": "denied", "defer": "deferred", "skip": "rescheduled"}
            name = counter[admitted.verdict]
            setattr(self.stats, name, getattr(self.stats, name) + 1)
            self.stats.finished += admitted.closed
            return
        assert admitted.attempt_id is not None and admitted.number is not None
        call_id = f"a{admitted.attempt_id}"
        config = FlowConfig(
            live_agents=spec.mode in LIVE,
            opt_out_key=spec.opt_out_key,
            leave_voicemail=spec.leave_voicemail,
        )
        live = _Live(CallFlow(call_id, config), item, admitted.attempt_id, admitted.number)
        self._calls[call_id] = live
        self.stats.dialled += 1
        self.stats.peak_in_flight = max(self.stats.peak_in_flight, len(self._calls))
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
        except TelephonyError as exc:
            log.warning("call %s: the carrier refused the dial: %s", call_id, exc)
            self._inbox.put_nowait(tel.CallEvent(call_id, tel.FAILED, 0.0, detail="refused"))

    async def _forward(self) -> None:
        async for event in self.telephony.events():
            self._inbox.put_nowait(event)

    async def _pump(self) -> None:
        """One consumer for carrier events and the dialer's own (timers, agents): in order."""
        while (event := await self._inbox.get()) is not None:
            self._handle(event)
            await self._flush()

    def _handle(self, event: tel.CallEvent) -> None:
        live = self._calls.get(event.call_id)
        if live is None:
            return  # a late event for a call already closed (e.g. a timer): nothing to do
        try:
            commands = live.flow.handle(event)
        except CallStateError as exc:
            self.stats.carrier_errors += 1
            log.error("%s", exc)
            return
        self._pending.append((live, commands))
        if live.flow.done:
            self._finish(live)

    async def _flush(self) -> None:
        while self._pending:
            live, commands = self._pending.pop(0)
            for cmd in commands:
                await self._do(live, cmd)

    async def _do(self, live: _Live, cmd: Command) -> None:
        call_id = live.flow.call_id
        try:
            if cmd.action == "play":
                await self.telephony.play(call_id, str(cmd.arg))
            elif cmd.action == "hangup":
                await self.telephony.hangup(call_id)
            elif cmd.action == "bridge":
                live.agent = cmd.arg
                self._busy_since[str(cmd.arg)] = asyncio.get_running_loop().time()
                await self.telephony.bridge(call_id, str(cmd.arg))
            elif cmd.action == "opt_out":
                self._opt_out(live, str(cmd.arg))
            elif cmd.action == "timer":
                self._timer(call_id, str(cmd.arg), float(cmd.seconds or 0))
            elif cmd.action == "find_agent" and self._pool is not None:
                self._pool.request(call_id)
            elif cmd.action == "cancel_agent" and self._pool is not None:
                self._pool.cancel(call_id)
            elif cmd.action == "release_agent" and self._pool is not None:
                self._pool.release(str(cmd.arg))
        except TelephonyError as exc:
            # the call went away under us: its HANGUP event (or none) closes the flow
            log.warning("call %s: %s failed: %s", call_id, cmd.action, exc)

    def _opt_out(self, live: _Live, digit: str) -> None:
        with self.db.begin() as conn:
            opt_out(
                conn,
                self.cipher,
                self.audit,
                self.firm_id,
                live.number,
                "key_press",
                f"key {digit} pressed during attempt {live.attempt_id}",
                SYSTEM,
                self.clock(),
            )
        self.stats.opt_outs += 1

    def _timer(self, call_id: str, name: str, seconds: float) -> None:
        loop = asyncio.get_running_loop()
        live = self._calls[call_id]
        base = loop.time()

        def fire() -> None:
            t = (live.flow.human_at or 0.0) + (loop.time() - base) / self.telephony.timescale
            self._inbox.put_nowait(tel.CallEvent(call_id, tel.TIMEOUT, round(t, 3), prompt=name))

        loop.call_later(seconds * self.telephony.timescale, fire)

    def _assigned(self, call_id: str, agent: str) -> None:
        live = self._calls.get(call_id)
        if live is None:  # the call ended while queued: the agent goes straight back
            asyncio.get_running_loop().call_soon(self._pool_release, agent)
            return
        t = live.flow.human_at or 0.0
        self._inbox.put_nowait(tel.CallEvent(call_id, tel.AGENT, t, detail=agent))

    def _pool_release(self, agent: str) -> None:
        self._busy_since.pop(agent, None)
        if self._pool is not None:
            self._pool.release(agent)

    def _finish(self, live: _Live) -> None:
        flow = live.flow
        assert flow.outcome is not None
        self._calls.pop(flow.call_id, None)
        with self.db.begin() as conn:
            status = record_outcome(
                conn,
                self.audit,
                attempt_id=live.attempt_id,
                queue_id=live.item.queue_id,
                attempts=live.item.attempts + 1,
                flow=flow,
                retry=live.item.retry,
                at=self.clock(),
                agent_id=_user_id(live.agent),
            )
        key = flow.outcome.value
        self._resolved += 1
        self._live_answers += flow.live_answered
        self._run_abandoned += flow.abandoned
        if flow.outcome is Outcome.BRIDGED and flow.talk_s is not None:
            self._talk_s += flow.talk_s
            self._bridged += 1
        self.stats.finished += status == "done"
        self.stats.outcomes[key] = self.stats.outcomes.get(key, 0) + 1
        if flow.outcome is Outcome.BRIDGED and live.agent is not None and self._pool:
            agent = live.agent
            delay = self.wrap_up_s * self.telephony.timescale
            asyncio.get_running_loop().call_later(delay, self._pool_release, agent)
            self._busy_since[agent] = asyncio.get_running_loop().time() - (
                self._talk_s / max(self._bridged, 1) * self.telephony.timescale
            )
        self._wake.set()

    def _report(self) -> None:
        if self.on_progress is not None:
            self.on_progress(self.stats, len(self._calls))


def _user_id(agent: str | None) -> int | None:
    """Agents seated from the store are labelled ``user:ID``; simulated ones have no id."""
    if agent and agent.startswith("user:") and agent[5:].isdigit():
        return int(agent[5:])
    return None
