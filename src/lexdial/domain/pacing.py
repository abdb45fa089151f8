"""Dialer pacing: how many lines to dial now, and the abandonment rate that costs.

The 3 % rule. 47 CFR 64.1200(a)(7) (TCPA) and 16 CFR 310.4(b)(4) (TSR safe harbor): abandoned
calls may be at most 3 % of the calls answered by a live person, measured over a 30-day period
for a single calling campaign; a call is abandoned when it is not connected to a live sales
representative within 2 seconds of the called person's completed greeting.

Pure: no clock, no I/O, no randomness. Time and measurements come in as arguments, so the
dialer and the simulation in ``bench/pacing.py`` drive the very same code. The limiter and
the windows keep state, but only what they were told; every time must be given in order
(a time earlier than the latest seen is read as the latest seen).
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, field
from typing import Literal, NamedTuple, Protocol

from lexdial.domain.call import AGENT_WAIT_S

DAY_S = 86_400.0
WINDOW_S = 30 * DAY_S
#: 47 CFR 64.1200(a)(7), 16 CFR 310.4(b)(4)(i): abandoned / live-answered, per campaign, 30 days
TARGET = 0.03
#: a live answer not connected to an agent within this many seconds is abandoned
ABANDON_AFTER_S = 2.0
#: the shortest answer-to-verdict time of a person: answering-machine detection needs 1.1 s
#: of silence after the greeting (``amd.AmdConfig.after_greeting_silence_s``)
AMD_MIN_S = 1.1

Mode = Literal["predictive", "progressive"]


class CpsLimiter:
    """At most ``cps`` call starts in any half-open window of ``window_s`` seconds.

    A token bucket whose tokens each come back exactly ``window_s`` after they were spent. A
    bucket refilled at ``cps`` per second would admit up to ``2 * cps`` in some one-second
    windows (a full bucket emptied right after a refill); carriers count per window.
    """

    def __init__(self, cps: int, window_s: float = 1.0) -> None:
        if cps < 1 or window_s <= 0:
            raise ValueError("cps must be >= 1 and window_s > 0")
        self.cps = cps
        self.window_s = window_s
        self._spent: deque[float] = deque()
        self._last = -math.inf

    def _expire(self, now_s: float) -> float:
        now = max(now_s, self._last)
        self._last = now
        spent, window = self._spent, self.window_s
        # same sum as next_slot, so a retry at next_slot() always finds its token
        while spent and spent[0] + window <= now:
            spent.popleft()
        return now

    def tokens(self, now_s: float) -> int:
        """Call starts allowed at ``now_s``."""
        self._expire(now_s)
        return self.cps - len(self._spent)

    def take(self, now_s: float) -> bool:
        """Spend one token for a call started at ``now_s``; False (nothing spent) when none."""
        now = self._expire(now_s)
        if len(self._spent) >= self.cps:
            return False
        self._spent.append(now)
        return True

    def next_slot(self, now_s: float) -> float:
        """The earliest time, not before ``now_s``, at which ``take`` will succeed."""
        now = self._expire(now_s)
        return now if len(self._spent) < self.cps else self._spent[0] + self.window_s


def broadcast_lines(*, channels_free: int, cps_tokens: int, queued: int) -> int:
    """Lines to start for a broadcast (prerecorded, no agents): bounded by the free channels,
    the carrier's calls-per-second tokens and the numbers still queued."""
    return max(0, min(channels_free, cps_tokens, queued))


class AbandonmentWindow:
    """One campaign's live-answered calls and how many were abandoned, as the rule counts them.

    ``counts``/``rate``: the rolling window (an event exactly ``window_s`` old is out: 29 d
    23 h 59 m in, 30 d out). ``period_counts``: the current one of the successive 30-day
    periods from ``start_s`` that 47 CFR 64.1200(a)(7) names for campaigns longer than 30 days
    (a final partial period is judged on its own, so its first calls weigh heavily).
    """

    def __init__(self, window_s: float = WINDOW_S, *, start_s: float = 0.0) -> None:
        self.window_s = window_s
        self.start_s = start_s
        self._events: deque[tuple[float, bool]] = deque()
        self._live = self._abandoned = 0
        self._period = self._p_live = self._p_abandoned = 0
        self._last = -math.inf

    def _expire(self, now_s: float) -> float:
        now = self._last = max(now_s, self._last)
        events, window = self._events, self.window_s
        while events and events[0][0] + window <= now:
            self._abandoned -= events.popleft()[1]
            self._live -= 1
        return now

    def _period_of(self, t: float) -> int:
        return int((t - self.start_s) // self.window_s)

    def record(self, at_s: float, *, abandoned: bool) -> None:
        """One call answered by a live person at ``at_s``; ``abandoned`` if no agent took it."""
        now = self._expire(at_s)
        self._events.append((now, abandoned))
        self._live += 1
        self._abandoned += abandoned
        if (period := self._period_of(now)) != self._period:
            self._period, self._p_live, self._p_abandoned = period, 0, 0
        self._p_live += 1
        self._p_abandoned += abandoned

    def counts(self, now_s: float) -> tuple[int, int]:
        """(abandoned, live answered) in the rolling window ending at ``now_s``."""
        self._expire(now_s)
        return self._abandoned, self._live

    def rate(self, now_s: float) -> float:
        """Abandoned / live answered over the rolling window (0.0 before any live answer)."""
        abandoned, live = self.counts(now_s)
        return abandoned / live if live else 0.0

    def period_counts(self, now_s: float) -> tuple[int, int]:
        """(abandoned, live answered) since the start of the 30-day period holding ``now_s``."""
        now = self._expire(now_s)
        if self._period_of(now) != self._period:
            return 0, 0
        return self._p_abandoned, self._p_live

    def binding_counts(self, now_s: float, line: float) -> tuple[int, int]:
        """The counts, rolling or period, with the fewer abandons left before ``line``."""
        rolling, period = self.counts(now_s), self.period_counts(now_s)
        return min(rolling, period, key=lambda c: line * c[1] - c[0])


@dataclass(frozen=True, slots=True, kw_only=True)
class PacingState:
    """What a pacer sees at ``now_s``. Defaults are the cautious ones (they force progressive).

    ``busy_free_in_s``: per busy agent (talking or wrapping up), the dialer's expected seconds
    until free. ``in_flight_live``: expected live answers still to come from the
    ``lines_in_flight`` (a line that has rung a while is less likely live); None: each counts
    as a fresh dial. ``dials``/``live_answers``: the answer-rate sample (recent resolved dials
    and how many a live person answered). ``answer_delay_s``: a low percentile of the seconds
    from dial to live answer. ``amd_s``: a low percentile of the seconds from the answer to
    the answering-machine verdict (the end of the greeting, where the 2 s rule starts).
    ``agent_wait_s``: how long the call flow holds a person for an agent after the verdict
    (``call.AGENT_WAIT_S``: 2 s less the detector's silence). ``connect_wait_s``: a high
    percentile of the seconds from the verdict to BRIDGED, the part of that wait the bridge
    itself uses.
    ``abandoned``/``live_answered``: the campaign's 30-day counts (``AbandonmentWindow``).
    ``max_lines``: what channels and CPS tokens allow right now.
    """

    now_s: float
    agents_free: int
    max_lines: int
    busy_free_in_s: tuple[float, ...] = ()
    lines_in_flight: int = 0
    in_flight_live: float | None = None
    dials: int = 0
    live_answers: int = 0
    answer_delay_s: float = 5.0
    amd_s: float = AMD_MIN_S
    agent_wait_s: float = AGENT_WAIT_S
    connect_wait_s: float = AGENT_WAIT_S
    abandoned: int = 0
    live_answered: int = 0
    target: float = TARGET
    margin: float = 0.005

    def __post_init__(self) -> None:
        counts = (
            self.agents_free,
            self.max_lines,
            self.lines_in_flight,
            self.dials,
            self.abandoned,
            self.answer_delay_s,
            self.amd_s,
            self.agent_wait_s,
            self.connect_wait_s,
            self.in_flight_live or 0,
        )
        if min(counts) < 0 or self.live_answers > self.dials or self.live_answers < 0:
            raise ValueError("PacingState: negative count or time, or live_answers > dials")
        if self.abandoned > self.live_answered or not 0 < self.target - self.margin < 1:
            raise ValueError("PacingState: abandoned > live_answered, or line outside (0, 1)")

    @property
    def line(self) -> float:
        """The rate the pacer must stay under: target minus the safety margin."""
        return self.target - self.margin

    @property
    def horizon_s(self) -> float:
        """Seconds from a dial by which an agent must be free to take its live answer: the
        answer, the verdict, then what is left of the flow's wait once the bridge is made."""
        slack = max(0.0, self.agent_wait_s - self.connect_wait_s)
        return self.answer_delay_s + self.amd_s + slack

    @property
    def progressive_lines(self) -> int:
        """1:1: one line per free agent not already waiting on a line in flight."""
        return max(0, min(self.agents_free - self.lines_in_flight, self.max_lines))


class PacingDecision(NamedTuple):
    """How many lines to dial now, the rule that chose it, and why (for logs and reports)."""

    lines: int
    mode: Mode
    reason: str


class Pacer(Protocol):
    """Anything that turns a ``PacingState`` into a ``PacingDecision``."""

    def lines_to_dial(self, state: PacingState) -> PacingDecision: ...


class ProgressivePacer:
    """1:1: a line only for an agent free now; a live answer always finds its agent."""

    def lines_to_dial(self, state: PacingState) -> PacingDecision:
        return PacingDecision(state.progressive_lines, "progressive", "1:1")


@dataclass(slots=True, kw_only=True)
class FixedRatioPacer:
    """The classic baseline: ``ratio`` lines per free agent, stepped down when the abandonment
    rate over the last ``every_live`` live answers is above ``threshold`` and up otherwise. It
    reacts after the fact, so it overshoots 3 % at times; it exists to be compared against."""

    ratio: float = 1.0
    step: float = 0.1
    lo: float = 1.0
    hi: float = 4.0
    threshold: float = TARGET
    every_live: int = 100
    _mark: tuple[int, int] = field(default=(0, 0), init=False, repr=False)  # at the last step

    def lines_to_dial(self, state: PacingState) -> PacingDecision:
        abandoned, live = state.abandoned - self._mark[0], state.live_answered - self._mark[1]
        if abandoned < 0 or live < 0:  # events left the window: restart the count
            self._mark = (state.abandoned, state.live_answered)
        elif live >= self.every_live:
            up = abandoned / live <= self.threshold
            self.ratio = min(self.hi, max(self.lo, self.ratio + (self.step if up else -self.step)))
            self._mark = (state.abandoned, state.live_answered)
        want = math.floor(self.ratio * state.agents_free + 0.5) - state.lines_in_flight
        lines = max(0, min(want, state.max_lines))
        return PacingDecision(lines, "predictive", f"ratio {self.ratio:.1f}")


def answer_rate_upper(live: int, dials: int, z: float) -> float:
    """Wilson upper bound of the live-answer rate: small samples err towards more answers."""
    if dials == 0:
        return 1.0
    p, z2 = live / dials, z * z / dials
    centre, half = p + z2 / 2, z * math.sqrt(p * (1 - p) / dials + z2 / (4 * dials))
    return min(1.0, (centre + half) / (1 + z2))


def _free_within(horizon: float, mean: float, shape: int) -> float:
    """P(T <= horizon) for T ~ Erlang(shape) with the given mean: the chance a busy agent
    expected free in ``mean`` seconds is free within ``horizon``."""
    if mean <= 0:
        return 1.0
    x = shape * horizon / mean
    term = total = 1.0
    for i in range(1, shape):
        term *= x / i
        total += term
    return max(0.0, 1.0 - math.exp(-x) * total)


@dataclass(frozen=True, slots=True, kw_only=True)
class PredictivePacer:
    """Overdials only as far as the 3 % rule (47 CFR 64.1200(a)(7)) allows, with a margin.

    Live answers X among the ``n`` new lines (each live with ``p``, the upper confidence bound
    of the measured rate) and those in flight are taken as Binomial with their mean rate
    (Hoeffding: the expected overflow errs high). Agents able to take them: those free now
    plus Y, the busy agents free within ``PacingState.horizon_s`` (agent i with chance q_i, an
    Erlang(``free_shape``) time with the dialer's expected value). The horizon is the call
    flow's, not a generic 2 s: a live answer needs its agent at the answer delay plus the
    AMD decision time (the verdict marks the end of the greeting, where the rule's 2 s
    start), plus what is left of the flow's wait for an agent (``call.AGENT_WAIT_S``) after
    the measured connect wait; a longer AMD time lets more busy agents count, so more lines.
    Abandons of the wave: (X - free - Y)^+. The largest ``n`` is kept whose expected abandons
    stay under ``line`` times the expected live answers and whose chance of taking the 30-day
    rate over ``line`` is at most ``risk``. Progressive (1:1) during warm-up and whenever one
    more abandon would cross the line: never after crossing it.
    """

    min_live_answers: int = 30
    risk: float = 0.001
    z: float = 1.28  # one-sided 90 % bound on the answer rate
    max_lines_per_agent: float = 5.0
    free_shape: int = 3

    def lines_to_dial(self, state: PacingState) -> PacingDecision:
        base, free, flight = state.progressive_lines, state.agents_free, state.lines_in_flight
        ab, live, line = state.abandoned, state.live_answered, state.line
        if state.live_answers < self.min_live_answers:
            why = f"warm-up: {state.live_answers} of {self.min_live_answers} live answers"
            return PacingDecision(base, "progressive", why)
        if ab + 1 > line * (live + 1) + 1e-9:  # 1e-9: 0.03 - 0.005 is not 0.025 in floats
            why = f"one more abandon: {(ab + 1) / (live + 1):.2%} > line {line:.2%}"
            return PacingDecision(base, "progressive", why)
        agents = free + len(state.busy_free_in_s)
        cap = min(state.max_lines, int(self.max_lines_per_agent * agents) - flight)
        if cap <= base:
            return PacingDecision(base, "predictive", "at the lines cap")
        p = answer_rate_upper(state.live_answers, state.dials, self.z)
        horizon = state.horizon_s
        dist, soon = [1.0], 0.0  # Y, busy agents free in time: Poisson-binomial over the q_i
        for r in state.busy_free_in_s:
            q = _free_within(horizon, r, self.free_shape)
            if q < 1e-3:  # left out: as if still busy, which errs towards fewer lines
                continue
            soon += q
            dist = [a * (1 - q) + b * q for a, b in zip([*dist, 0.0], [0.0, *dist], strict=True)]
            while len(dist) > 1 and dist[-1] < 1e-12:  # fold the far tail onto fewer agents
                dist[-2] += dist.pop()
        top = flight + cap  # most live answers to consider
        cdf, over, acc = [], [0.0], 0.0  # cdf[j] = P(Y <= j); over[j] = E[(j - Y)^+]
        for j in range(top + 1):
            acc = min(1.0, acc + dist[j]) if j < len(dist) else 1.0
            cdf.append(acc)
            over.append(over[-1] + acc)
        n = base
        # lines that have rung a while are less likely live: the dialer's estimate, if any
        pending = flight * p if state.in_flight_live is None else min(state.in_flight_live, flight)
        for m in range(flight + base + 1, top + 1):
            expected, tail = 0.0, 0.0
            pm = (pending + (m - flight) * p) / m
            for x in range(free + 1, m + 1):
                px = math.comb(m, x) * pm**x * (1 - pm) ** (m - x)
                expected += px * over[x - free]
                # (ab + x - free - y) / (live + x) > line: y at most `short` crosses the line
                short = math.ceil(x + ab - line * (live + x)) - 1 - free
                tail += px * (cdf[short] if short >= 0 else 0.0)
            if expected > line * m * pm or tail > self.risk:
                break
            n = m - flight
        return PacingDecision(n, "predictive", f"{free} free + {soon:.1f} soon, p<={p:.2f}")
