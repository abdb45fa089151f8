"""The simulated carrier: the embedded default, for the demo and for tests.

Rule 1: it is a real adapter — the same Protocol, the same events, the same illegal-event
checks downstream — that just has no wires. Each call's fate (busy, no answer, person,
machine, presses the key, hangs up early) is drawn from its own ``random.Random`` seeded by
(seed, call id), so a campaign replays identically however calls interleave.
Rule 2: time runs ``1 / timescale`` times faster than the wall clock; event times are
reported on the carrier's timeline, as a real carrier's would be.
Rule 3: agents' legs are simulated too: ``agent_login`` rings the agent's (pretend) phone
and reports AGENT_UP after ``agent_ring_s``; ``bridge`` needs that leg up and idle, reports
BRIDGED after ``bridge_s`` and the far end hangs up after the agent's talk time; a leg
carries one call at a time (an agent with no leg is a rehearsal's static agent). An agent
listed in ``refuse_agents`` never answers (AGENT_DOWN).
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

from lexdial.domain import telephony as tel
from lexdial.errors import TelephonyError


@dataclass(frozen=True, slots=True)
class SimProfile:
    """How the simulated public behaves; rates are shares of all calls placed."""

    human: float = 0.50
    machine: float = 0.25
    busy: float = 0.05
    failed: float = 0.02  # the rest ring out unanswered
    #: of people who hear a message, the share who press the opt-out key
    opt_out: float = 0.10
    #: of people who hear a message, the share who hang up before it ends
    hang_up_early: float = 0.05
    ring_s: tuple[float, float] = (4.0, 18.0)  # uniform seconds until answered
    greeting_s: tuple[float, float] = (1.0, 2.5)  # a person's "Hello?" until AMD decides
    machine_greeting_s: tuple[float, float] = (6.0, 15.0)
    agent_talk_s: tuple[float, float] = (60.0, 300.0)
    #: seconds an agent's phone rings before the leg is up; seconds for a bridge to join
    agent_ring_s: float = 1.0
    bridge_s: float = 0.1


@dataclass(slots=True)
class _Call:
    dial: tel.Dial
    rng: random.Random
    started: float
    fate: str
    timers: list[asyncio.TimerHandle] = field(default_factory=list)
    ended: bool = False


class SimulatedCarrier:
    """An in-process carrier with seeded behaviour; see the module's rules."""

    def __init__(
        self,
        profile: SimProfile | None = None,
        *,
        seed: int = 0,
        channels: int = 1000,
        cps: float = 1000.0,
        timescale: float = 0.01,
        fates: dict[str, str] | None = None,
        refuse_agents: frozenset[str] = frozenset(),
    ) -> None:
        self.profile = profile or SimProfile()
        self.seed = seed
        self.channels = channels
        self.cps = cps
        self.timescale = timescale
        #: call_id -> fate for scripted calls (tests, demo): busy | no_answer | failed |
        #: human | human_opt_out | human_hangs_up | machine
        self.fates = dict(fates or {})
        self._calls: dict[str, _Call] = {}
        self._queue: asyncio.Queue[tel.CallEvent | None] = asyncio.Queue()
        self._loop: asyncio.AbstractEventLoop | None = None
        self.peak_concurrent = 0
        self.refuse_agents = refuse_agents
        #: agent -> the call on their leg ("" idle); absent: no leg up
        self.legs: dict[str, str] = {}
        self._leg_timers: dict[str, asyncio.TimerHandle] = {}
        #: what was asked of the agents' side, in order (for tests and the demo's log)
        self.agent_log: list[tuple[str, str]] = []

    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()

    async def close(self) -> None:
        for call in self._calls.values():
            self._cancel(call)
        for handle in self._leg_timers.values():
            handle.cancel()
        self._leg_timers.clear()
        self.legs.clear()
        self._calls.clear()
        await self._queue.put(None)

    @property
    def active(self) -> int:
        return len(self._calls)

    async def dial(self, dial: tel.Dial) -> None:
        if self._loop is None:
            raise TelephonyError("the simulated carrier was not started")
        if len(self._calls) >= self.channels:
            raise TelephonyError("all channels are busy")
        if dial.call_id in self._calls:
            raise TelephonyError(f"call {dial.call_id} is already up")
        rng = random.Random(f"{self.seed}:{dial.call_id}")
        fate = self.fates.get(dial.call_id) or self._draw(rng)
        call = _Call(dial, rng, self._loop.time(), fate)
        self._calls[dial.call_id] = call
        self.peak_concurrent = max(self.peak_concurrent, len(self._calls))
        p = self.profile
        ring = rng.uniform(*p.ring_s)
        if fate == "busy":
            self._at(call, rng.uniform(0.3, 1.5), tel.BUSY, end=True)
        elif fate == "failed":
            self._at(call, rng.uniform(0.1, 0.5), tel.FAILED, end=True, detail="503")
        elif fate == "no_answer" or ring > dial.ring_timeout_s:
            self._at(call, 0.5, tel.RINGING)
            self._at(call, dial.ring_timeout_s, tel.NO_ANSWER, end=True)
        else:
            self._at(call, 0.5, tel.RINGING)
            self._at(call, ring, tel.ANSWERED)
            if fate == "machine":
                greeting = ring + rng.uniform(*p.machine_greeting_s)
                self._at(call, ring + 3.0, tel.MACHINE)
                self._at(call, greeting, tel.BEEP)
            else:
                self._at(call, ring + rng.uniform(*p.greeting_s), tel.HUMAN)

    def _draw(self, rng: random.Random) -> str:
        p, x = self.profile, rng.random()
        for fate, share in (
            ("human", p.human),
            ("machine", p.machine),
            ("busy", p.busy),
            ("failed", p.failed),
        ):
            if x < share:
                if fate != "human":
                    return fate
                y = rng.random()
                if y < p.opt_out:
                    return "human_opt_out"
                return "human_hangs_up" if y < p.opt_out + p.hang_up_early else "human"
            x -= share
        return "no_answer"

    async def play(self, call_id: str, prompt: str) -> None:
        call = self._live(call_id)
        spec = call.dial.prompts.get(prompt)
        if spec is None:
            raise TelephonyError(f"call {call_id}: no prompt {prompt!r} was given with the dial")
        now = self._now(call)
        listens = prompt in (tel.MESSAGE, tel.SAFE_HARBOR)
        if listens and call.fate == "human_opt_out":
            # people press the key once they have heard the offer: late in the message
            press = now + spec.seconds * call.rng.uniform(0.5, 0.95)
            self._at(call, press, tel.DIGIT, digit=call.dial.opt_out_key)
            call.fate = "human"  # one press is enough
            return
        if listens and call.fate == "human_hangs_up":
            self._at(call, now + spec.seconds * call.rng.uniform(0.2, 0.8), tel.HANGUP, end=True)
            return
        self._at(call, now + spec.seconds, tel.PLAYED, prompt=prompt)

    async def bridge(self, call_id: str, agent: str) -> None:
        call = self._live(call_id)
        # an agent without a leg is a rehearsal's static agent (no desk): always reachable
        if self.legs.get(agent, "") != "":
            raise TelephonyError(f"agent {agent}'s leg is on another call")
        if agent in self.legs:
            self.legs[agent] = call_id
        self.agent_log.append(("bridge", agent))
        now = self._now(call)
        self._at(call, now + self.profile.bridge_s, tel.BRIDGED, detail=agent)
        talk = call.rng.uniform(*self.profile.agent_talk_s)
        self._at(call, now + talk, tel.HANGUP, end=True, detail="far end")

    async def agent_login(self, leg: tel.AgentLeg) -> None:
        """Ring the agent's pretend phone: AGENT_UP after ``agent_ring_s`` (rule 3)."""
        if self._loop is None:
            raise TelephonyError("the simulated carrier was not started")
        if leg.agent in self.legs or leg.agent in self._leg_timers:
            raise TelephonyError(f"agent {leg.agent} already has a leg")
        self.agent_log.append(("login", leg.agent))
        refused = leg.agent in self.refuse_agents
        kind = tel.AGENT_DOWN if refused else tel.AGENT_UP

        def answer() -> None:
            self._leg_timers.pop(leg.agent, None)
            if not refused:
                self.legs[leg.agent] = ""
            self._queue.put_nowait(tel.CallEvent("", kind, 0.0, detail=leg.agent))

        delay = self.profile.agent_ring_s * self.timescale
        self._leg_timers[leg.agent] = self._loop.call_later(delay, answer)

    async def agent_logout(self, agent: str) -> None:
        """Close the agent's leg (AGENT_DOWN); a call on it goes on without them."""
        self.agent_log.append(("logout", agent))
        pending = self._leg_timers.pop(agent, None)
        if pending is not None:
            pending.cancel()
        elif self.legs.pop(agent, None) is None:
            return  # no leg: nothing to close
        self._queue.put_nowait(tel.CallEvent("", tel.AGENT_DOWN, 0.0, detail=agent))

    async def transfer(self, call_id: str, target: str, *, warm: bool) -> None:
        """Hand the call on: TRANSFERRED; a cold transfer leaves us (the call ends for us)."""
        call = self._live(call_id)
        how = "warm" if warm else "cold"
        self.agent_log.append(("transfer", f"{how}:{target}"))
        for agent, on in self.legs.items():
            if on == call_id:
                self.legs[agent] = ""  # the first agent's leg is free again
        now = self._now(call)
        if not warm and not target.startswith("user:"):
            self._cancel(call)
            self._at(call, now + 0.1, tel.TRANSFERRED, end=True, detail=f"{how}:{target}")
            return
        self._at(call, now + 0.1, tel.TRANSFERRED, detail=f"{how}:{target}")
        if target in self.legs:
            self.legs[target] = call_id
        self._at(call, now + 0.1 + self.profile.bridge_s, tel.BRIDGED, detail=target)

    async def hangup(self, call_id: str) -> None:
        call = self._live(call_id)
        self._cancel(call)
        self._at(call, self._now(call) + 0.2, tel.HANGUP, end=True, detail="near end")

    async def events(self) -> AsyncIterator[tel.CallEvent]:
        while True:
            event = await self._queue.get()
            if event is None:
                return
            yield event

    def _live(self, call_id: str) -> _Call:
        call = self._calls.get(call_id)
        if call is None or call.ended:
            raise TelephonyError(f"call {call_id} is not up")
        return call

    def _now(self, call: _Call) -> float:
        assert self._loop is not None
        return (self._loop.time() - call.started) / self.timescale

    def _free_legs(self, call_id: str) -> None:
        for agent, on in self.legs.items():
            if on == call_id:
                self.legs[agent] = ""

    def _cancel(self, call: _Call) -> None:
        for handle in call.timers:
            handle.cancel()
        call.timers.clear()

    def _at(
        self,
        call: _Call,
        t: float,
        kind: str,
        *,
        end: bool = False,
        digit: str | None = None,
        prompt: str | None = None,
        detail: str | None = None,
    ) -> None:
        assert self._loop is not None
        event = tel.CallEvent(call.dial.call_id, kind, round(t, 3), digit, prompt, detail)

        def fire() -> None:
            if call.ended:
                return
            if end:
                call.ended = True
                self._cancel(call)
                self._calls.pop(call.dial.call_id, None)
                self._free_legs(call.dial.call_id)
            elif kind == tel.DIGIT:  # the key stops the message: its end is never reported
                self._cancel(call)
            self._queue.put_nowait(event)

        call.timers.append(self._loop.call_at(call.started + t * self.timescale, fire))
