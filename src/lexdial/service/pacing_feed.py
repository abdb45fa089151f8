"""What the predictive pacer measures during a run, turned into a ``PacingState``.

Rule: the 30-day counts start from the store (the campaign's earlier runs count) and grow
with this run's outcomes; a busy agent is expected free no sooner than half a mean call
plus the wrap-up, because talk times have a long tail (an agent already past the mean is
not "about to be free"). An agent in wrap-up is free when the wrap-up ends (the dialer
releases them ``wrap_up_s`` after the call), so that agent is expected free in what is
left of it; a wrap-up time on another clock than ``state``'s (one that reads as longer than
the wrap-up itself) falls back to the long-tail rule rather than to "free now".
Rule: the timings that say when a live answer needs its agent are measured, not assumed: the
answer delay (dial to a live answer, from each outcome), the AMD time (answer to verdict,
``on_amd``) and the connect wait (person verdict to BRIDGED, ``on_connect_wait``). The pacer
is given the short end of the first two (an agent needed sooner: fewer lines) and the long
end of the last (less slack left in the flow's wait); until ``MIN_SAMPLES`` are in, it gets
``PacingState``'s cautious defaults. Only the latest ``SAMPLES`` of each are kept, so a
carrier or a detector that changes mid-run moves the pacer.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, field

from lexdial.domain.call import CallFlow, Outcome
from lexdial.domain.pacing import TARGET, PacingState
from lexdial.rules.engine import Engine

#: assumed mean talk time until the campaign has bridged calls of its own to measure
DEFAULT_TALK_S = 120.0
#: timings kept per kind (the latest), and how many before they replace the defaults
SAMPLES = 200
MIN_SAMPLES = 10
#: percentiles given to the pacer: the short end of the delays, the long end of the wait
LOW, HIGH = 0.10, 0.90


def _samples() -> deque[float]:
    return deque(maxlen=SAMPLES)


def percentile(values: deque[float], q: float) -> float | None:
    """The nearest-rank ``q`` percentile, or None while fewer than ``MIN_SAMPLES``."""
    if len(values) < MIN_SAMPLES:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))]


def _keep(samples: deque[float], seconds: float) -> bool:
    # a negative or non-finite time (a carrier clock that stepped back) is no measure: left
    # out rather than raised, so one odd event never stops a campaign's dialling
    if not math.isfinite(seconds) or seconds < 0:
        return False
    samples.append(float(seconds))
    return True


def abandonment_limit(engine: Engine) -> float:
    """The abandonment ceiling the pacer must stay under: the rule pack's (the lowest, if
    several rules set one), so a pack update moves the pacer with the gate."""
    try:
        return engine.pack.abandonment_limit()
    except LookupError:  # a pack without the rule (tests, other countries): the pacer's own
        return TARGET


@dataclass(slots=True)
class PacingFeed:
    #: the 30-day abandonment ceiling (from the rule pack: ``abandonment_limit``)
    target: float = TARGET
    abandoned0: int = 0
    live0: int = 0
    wrap_up_s: float = 30.0
    resolved: int = 0
    live_answers: int = 0
    abandoned: int = 0
    talk_s: float = 0.0
    bridged: int = 0
    #: agent -> carrier second their call started (or their wrap-up, when it ended)
    busy_since: dict[str, float] = field(default_factory=dict)
    #: agent -> carrier second their wrap-up started
    wrapping: dict[str, float] = field(default_factory=dict)
    #: dial -> live answer, answer -> AMD verdict, person verdict -> BRIDGED (seconds)
    answer_delays: deque[float] = field(default_factory=_samples)
    amd_times: deque[float] = field(default_factory=_samples)
    connect_waits: deque[float] = field(default_factory=_samples)

    def on_outcome(self, flow: CallFlow) -> None:
        self.resolved += 1
        self.live_answers += flow.live_answered
        self.abandoned += flow.abandoned
        if flow.live_answered and flow.answered_at is not None:
            self.answer_delays.append(max(0.0, flow.answered_at))
        if flow.outcome is Outcome.BRIDGED and flow.talk_s is not None:
            self.talk_s += flow.talk_s
            self.bridged += 1

    @property
    def mean_talk_s(self) -> float:
        return self.talk_s / self.bridged if self.bridged else DEFAULT_TALK_S

    def on_amd(self, seconds: float) -> bool:
        """One call's answering-machine decision time: seconds from the answer to the verdict
        (the end of the greeting, where the 2 s rule starts). False: not a duration, not kept."""
        return _keep(self.amd_times, seconds)

    def on_connect_wait(self, seconds: float) -> bool:
        """How long one person waited for an agent: seconds from the person verdict to
        BRIDGED (a call abandoned at the flow's deadline is not a connect wait). False: not a
        duration, not kept."""
        return _keep(self.connect_waits, seconds)

    def on_bridge(self, agent: str, now_s: float) -> None:
        self.busy_since[agent] = now_s
        self.wrapping.pop(agent, None)

    def on_wrap_up(self, agent: str, now_s: float) -> None:
        """The agent's call ended: only the wrap-up is left."""
        self.busy_since[agent] = now_s - self.mean_talk_s
        self.wrapping[agent] = now_s

    def on_free(self, agent: str) -> None:
        self.busy_since.pop(agent, None)
        self.wrapping.pop(agent, None)

    def _free_in(self, agent: str, since: float, now_s: float) -> float:
        wrap_up = self.wrap_up_s
        if (started := self.wrapping.get(agent)) is not None and 0 <= now_s - started <= wrap_up:
            return wrap_up - (now_s - started)
        talk = self.mean_talk_s
        return max(talk / 2, talk - (now_s - since)) + wrap_up

    def state(
        self, *, now_s: float, agents_free: int, max_lines: int, lines_in_flight: int
    ) -> PacingState:
        busy = tuple(self._free_in(a, since, now_s) for a, since in self.busy_since.items())
        measured = {
            "answer_delay_s": percentile(self.answer_delays, LOW),
            "amd_s": percentile(self.amd_times, LOW),
            "connect_wait_s": percentile(self.connect_waits, HIGH),
        }
        return PacingState(
            **{k: v for k, v in measured.items() if v is not None},  # None: the default
            now_s=now_s,
            agents_free=agents_free,
            max_lines=max_lines,
            busy_free_in_s=busy,
            lines_in_flight=lines_in_flight,
            dials=self.resolved,
            live_answers=self.live_answers,
            abandoned=self.abandoned0 + self.abandoned,
            live_answered=self.live0 + self.live_answers,
            target=self.target,
        )
