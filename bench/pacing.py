"""Discrete-event simulation of dialer pacing: agent occupancy against 30-day abandonment.

What is compared
    Three pacers from ``lexdial.domain.pacing`` drive the same simulated call centre:
    ``ProgressivePacer`` (1:1, never abandons), ``FixedRatioPacer`` (the classic ratio dialer:
    lines per free agent stepped up or down by 0.1 after each 100 live answers, as their
    abandonment rate is under or over ``--ratio-threshold``, by default the predictive
    pacer's own line: 3 % less the same ``--margin``, so both aim at the same rate) and
    ``PredictivePacer`` (binomial model of live answers against free and soon-free agents,
    under the 3 % rule with a ``--margin`` of 0.5 points). A fourth, the ORACLE, is no pacer
    a dialer could run: it knows each dial's fate (live or not, when its verdict comes, how
    long its talk and wrap-up last) and when every agent will be free, and dials a live call
    only when an agent will take it in time, as early as that allows; every other fate it
    dials at once (it only occupies a line). It never abandons, so it is the occupancy a
    dialer could reach on these calls; each pacer's occupancy is reported as a ratio to it.
    The rule: abandoned calls at most 3 % of the calls answered by a live person over 30
    days per campaign, a call being abandoned when no agent takes it within 2 s of the
    greeting (47 CFR 64.1200(a)(7), 16 CFR 310.4(b)(4)).

The call centre
    ``--agents`` agents log in for ``--shift-hours`` a day, Monday to Friday (22 working days
    span 30 calendar days, one full 30-day window). Each dial is answered by a live person
    (``--p-live``), by a machine (``--p-machine``) or not at all (released after
    ``--no-answer-after`` s). Answered calls ring for a lognormal time (mean ``--ring-mean``);
    talk and wrap-up times are lognormal (means ``--talk-mean``, ``--wrap-mean``).

    Answering-machine detection as the product has it (``adapters/telephony/amd.py``): the
    first word comes 0.2-1.2 s after the answer; a person's greeting (lognormal, mean
    ``--greeting-mean``) is judged "person" after ``--amd-silence`` (1.1 s) of silence; a
    machine is judged when its greeting has run ``--machine-verdict`` (5 s) from its first
    word, or earlier when a short greeting's beep ends (uniform 2.5-5 s). With the defaults
    the median decision is about 3.1 s from the answer, as ``bench/amd.py`` measured.
    A machine is then dropped (not an abandon). The 2-second rule as ``domain/call.py``
    applies it: after the "person" verdict (the end of the greeting) the flow waits
    ``AGENT_WAIT_S`` (0.7 s) for an agent, then plays the safe-harbor message and the call is
    abandoned; the agent's bridge then takes ``--bridge`` s. Dialing stops
    ``--no-answer-after`` s before the shift ends; agents leave when done. Every dial start
    takes a carrier CPS token (``CpsLimiter``) and a channel.

    The dialer side is honest: the pacers see only what a dialer knows (measured answer rate
    over the last 2 000 dials, 10th percentile of the last 400 answer delays, the AMD
    decision times and connect waits as ``PacingFeed`` gives them (``percentile``), expected
    time to free each busy agent from the elapsed time and the last 1 000 talk and wrap-up times,
    expected live answers from lines in flight from how long they have rung), never the
    drawn durations. The k-th dial has the same fate under every pacer, the oracle included
    (common random numbers: ring, verdict time, talk and wrap-up drawn per dial), so
    differences come from pacing, not luck.

Figures
    occupancy = (talk + wrap-up) / logged-in time, and its ratio to the oracle's;
    conversations and dials per agent-hour;
    dials beyond 1:1 (placed while lines in flight already matched the free agents); the
    rolling 30-day abandonment rate at the end, the rate of the current successive 30-day
    period (the rule's own measure past 30 days), the highest rolling rate seen after any
    live answer (from the first one: a campaign could stop at any time), the highest daily
    rate, and the simulation's wall time.

Run: ``python bench/pacing.py [--days 5] [--agents 20] [--seed 7] ...``; ``--days 22`` is a
full month. Exit status is 0 whatever the figures: this is a benchmark, not a test.
"""

from __future__ import annotations

import argparse
import bisect
import heapq
import math
import random
import sys
import time
from collections import deque
from dataclasses import dataclass, field
from typing import NamedTuple

from lexdial.domain.call import AGENT_WAIT_S
from lexdial.domain.pacing import (
    DAY_S,
    TARGET,
    AbandonmentWindow,
    CpsLimiter,
    FixedRatioPacer,
    Pacer,
    PacingDecision,
    PacingState,
    PredictivePacer,
    ProgressivePacer,
)
from lexdial.service.pacing_feed import HIGH, LOW, SAMPLES, percentile

# event kinds, in the heap as (time, seq, kind, payload)
NO_ANSWER, LIVE, MACHINE, WAIT_OVER, TALK_END, WRAP_END, STOP_DIALING, RETRY, WAKE = range(9)
IDLE, TALKING, WRAPPING = range(3)
NONE_, MACHINE_, LIVE_ = range(3)  # a dial's fate
SHIFT_START_H = 9.0
RATE_SAMPLE = 2_000  # dials in the answer-rate measurement
DELAY_SAMPLE = 400  # live answer delays kept for the percentile
FIRST_WORD_S = (0.2, 1.2)  # answer to the first word (bench/amd.py's clips)
BEEP_END_S = 2.5  # a short machine greeting's beep ends this soon after its first word


@dataclass(frozen=True, slots=True)
class Settings:
    """The simulated call centre (see the module docstring)."""

    agents: int
    days: int
    shift_hours: float
    p_live: float
    p_machine: float
    ring_mean: float
    no_answer_after: float
    greeting_mean: float
    amd_silence: float
    machine_verdict: float
    bridge: float
    talk_mean: float
    talk_sigma: float
    wrap_mean: float
    wrap_sigma: float
    cps: int
    channels: int
    margin: float
    ratio_threshold: float
    seed: int


class Fate(NamedTuple):
    """What the k-th dial will come to, the same under every pacer."""

    kind: int  # NONE_, MACHINE_ or LIVE_
    ring: float  # dial to answer (to release, for NONE_)
    verdict: float  # answer to the AMD verdict (0 for NONE_)
    talk: float
    wrap: float


@dataclass(slots=True)
class Result:
    """What one pacer achieved over the run."""

    name: str
    dials: int = 0
    overdials: int = 0  # dials beyond 1:1 (beyond progressive_lines at that moment)
    live: int = 0
    abandoned: int = 0
    machines: int = 0
    busy_s: float = 0.0
    logged_s: float = 0.0
    rate_30d: float = 0.0
    rate_period: float = 0.0  # the current successive 30-day period, as 64.1200(a)(7) counts
    max_rolling: float = 0.0
    max_daily: float = 0.0
    wall_s: float = 0.0
    daily: list[tuple[int, int]] = field(default_factory=list)

    @property
    def occupancy(self) -> float:
        return self.busy_s / self.logged_s if self.logged_s else 0.0

    @property
    def agent_hours(self) -> float:
        return self.logged_s / 3600


class Residual:
    """Expected time left of a task that has run ``elapsed`` s, from the durations of the
    last ``keep`` finished ones (mean residual life): a talk that has run long is expected
    to run on, which "mean minus elapsed" gets wrong for skewed durations."""

    def __init__(self, prior: float, keep: int = 1000) -> None:
        self.prior = prior
        self.recent: deque[float] = deque(maxlen=keep)
        self.ordered: list[float] = []
        self.tail_sums: list[float] = [0.0]  # tail_sums[i] = sum(ordered[i:])
        self.fresh = 0

    def add(self, duration: float) -> None:
        self.recent.append(duration)
        self.fresh += 1
        if self.fresh >= 100 or len(self.recent) < 100:  # re-sort now and then
            self.fresh = 0
            self.ordered = sorted(self.recent)
            sums = [0.0]
            for d in reversed(self.ordered):
                sums.append(sums[-1] + d)
            self.tail_sums = sums[::-1]

    def left(self, elapsed: float) -> float:
        n = len(self.ordered)
        i = bisect.bisect_right(self.ordered, elapsed)
        if n < 20 or i == n:  # no data, or longer than any seen: the prior
            return self.prior
        return (self.tail_sums[i] - (n - i) * elapsed) / (n - i)


class Timing:
    """One of ``PacingFeed``'s timing samples (the latest ``SAMPLES``) and its percentile,
    recomputed every 10 samples (sorting 200 values at every decision would be the run)."""

    def __init__(self, q: float) -> None:
        self.q, self.values, self.n = q, deque[float](maxlen=SAMPLES), 0
        self.value: float | None = None

    def add(self, seconds: float) -> None:
        self.values.append(seconds)
        self.n += 1
        if self.n % 10 == 0:
            self.value = percentile(self.values, self.q)


def lognormal(r: random.Random, mean: float, sigma: float) -> float:
    """A lognormal draw with the given mean (not the median)."""
    return r.lognormvariate(math.log(mean) - sigma * sigma / 2, sigma)


class CallCentre:
    """One simulated month (or ``days``) of one pacer."""

    def __init__(self, s: Settings, name: str, pacer: Pacer) -> None:
        self.s, self.pacer, self.res = s, pacer, Result(name)
        self.calls = random.Random(s.seed)  # fate of the k-th dial: same under every pacer
        self.fates: list[Fate] = []
        self.cps = CpsLimiter(s.cps)
        self.talks, self.wraps = Residual(s.talk_mean), Residual(s.wrap_mean)
        self.window = AbandonmentWindow()
        self.sample: deque[int] = deque()  # last dials: 0 no answer, 1 machine, 2 live
        self.sample_live = self.sample_answered = 0
        self.delays: deque[float] = deque(maxlen=DELAY_SAMPLE)
        self.ordered: list[float] = []  # self.delays sorted, refreshed now and then
        self.delay_p10 = s.ring_mean / 2
        self.amd, self.connect_wait = Timing(LOW), Timing(HIGH)  # as PacingFeed measures
        # lines in flight: id -> (dialled at, the dial's fate)
        self.lines: dict[int, tuple[float, Fate]] = {}
        self.heap: list[tuple[float, int, int, int]] = []
        self.seq = 0
        self.now = 0.0
        self.status = [IDLE] * s.agents
        self.since = [0.0] * s.agents
        self.busy_until = [0.0] * s.agents  # the truth, for the oracle only
        self.wrap_of = [0.0] * s.agents
        self.last_free = [0.0] * s.agents
        self.idle = list(range(s.agents))
        self.waiting: dict[int, tuple[float, Fate]] = {}  # people waiting: id -> (verdict at, fate)
        self.channels_busy = 0
        self.dialing = self.retry_pending = False
        self.wake_at = math.inf
        self.day_live = self.day_abandoned = 0
        if isinstance(pacer, OraclePacer):
            pacer.centre = self

    def fate(self, k: int) -> Fate:
        """The k-th dial's fate, drawn in dial order (every draw made, whatever the kind)."""
        s, r = self.s, self.calls
        while len(self.fates) <= k:
            kind, ring = r.random(), lognormal(r, s.ring_mean, 0.5)
            first_word, greeting = r.uniform(*FIRST_WORD_S), lognormal(r, s.greeting_mean, 0.5)
            machine_at = r.uniform(BEEP_END_S, s.machine_verdict)
            talk, wrap = (
                lognormal(r, s.talk_mean, s.talk_sigma),
                lognormal(r, s.wrap_mean, s.wrap_sigma),
            )
            if ring >= s.no_answer_after or kind >= s.p_live + s.p_machine:
                fate = Fate(NONE_, s.no_answer_after, 0.0, talk, wrap)
            elif kind < s.p_live:  # a greeting past the machine verdict: a talkative person
                verdict = first_word + min(greeting + s.amd_silence, s.machine_verdict)
                fate = Fate(LIVE_, ring, verdict, talk, wrap)
            else:
                fate = Fate(MACHINE_, ring, first_word + machine_at, talk, wrap)
            self.fates.append(fate)
        return self.fates[k]

    def push(self, at: float, kind: int, payload: int = 0) -> None:
        self.seq += 1
        heapq.heappush(self.heap, (at, self.seq, kind, payload))

    def wake(self, at: float) -> None:
        """Decide again at ``at`` (the oracle's dial for a live call it is holding back)."""
        if self.now < at < self.wake_at:
            self.wake_at = at
            self.push(at, WAKE)

    def run(self) -> Result:
        t0 = time.perf_counter()
        for day in range(self.s.days):
            self.run_day(day)
        self.res.rate_30d = self.window.rate(self.now)
        abandoned, live = self.window.period_counts(self.now)
        self.res.rate_period = abandoned / live if live else 0.0
        self.res.wall_s = time.perf_counter() - t0
        return self.res

    def run_day(self, day: int) -> None:
        s = self.s
        start = (day // 5 * 7 + day % 5) * DAY_S + SHIFT_START_H * 3600
        end = start + s.shift_hours * 3600
        self.now, self.dialing, self.day_live, self.day_abandoned = start, True, 0, 0
        self.last_free = [end] * s.agents
        self.busy_until = [start] * s.agents
        self.push(end - s.no_answer_after, STOP_DIALING)
        self.decide()
        handlers = (self.on_no_answer, self.on_live, self.on_machine, self.on_wait_over,
                    self.on_talk_end, self.on_wrap_end, self.on_stop, self.on_retry,
                    self.on_wake)  # fmt: skip
        while self.heap:
            self.now, _, kind, payload = heapq.heappop(self.heap)
            handlers[kind](payload)
            self.decide()
        self.res.logged_s += sum(self.last_free) - s.agents * start
        self.res.daily.append((self.day_abandoned, self.day_live))
        if self.day_live:
            self.res.max_daily = max(self.res.max_daily, self.day_abandoned / self.day_live)

    # --- the dialer -------------------------------------------------------------------------

    def state(self, max_lines: int) -> PacingState:
        s, now, status, since = self.s, self.now, self.status, self.since
        talk_left, wrap_left, wrap_mean = self.talks.left, self.wraps.left, self.wraps.left(0)
        busy = tuple(
            talk_left(now - since[a]) + wrap_mean
            if status[a] == TALKING
            else wrap_left(now - since[a])
            for a in range(s.agents)
            if status[a] != IDLE
        )
        abandoned, live = self.window.binding_counts(now, TARGET - s.margin)
        measured = {"amd_s": self.amd.value, "connect_wait_s": self.connect_wait.value}
        return PacingState(
            now_s=now, agents_free=len(self.idle), max_lines=max_lines, busy_free_in_s=busy,
            lines_in_flight=len(self.lines), in_flight_live=self.in_flight_live(),
            dials=len(self.sample), live_answers=self.sample_live, answer_delay_s=self.delay_p10,
            abandoned=abandoned, live_answered=live, margin=s.margin,
            **{k: v for k, v in measured.items() if v is not None},  # None: the cautious default
        )  # fmt: skip

    def in_flight_live(self) -> float | None:
        """Expected live answers still to come from the lines in flight: a line unanswered
        after ringing ``age`` s is live with p_live S(age) / (p_answer S(age) + p_none), S the
        measured survival of answer delays; a line answered and still in AMD is live with
        p_live / p_answer (the dialer knows it was answered, not yet by whom)."""
        n, ordered, now = len(self.sample), self.ordered, self.now
        if n == 0 or not ordered:
            return None
        p_live, p_answer = self.sample_live / n, self.sample_answered / n
        in_amd = p_live / p_answer if p_answer else 0.0
        total = 0.0
        for dialled, fate in self.lines.values():
            age = now - dialled
            if age >= self.s.no_answer_after:
                continue
            if fate.kind != NONE_ and dialled + fate.ring <= now:  # answered: in AMD
                total += in_amd
                continue
            surv = 1.0 - bisect.bisect_right(ordered, age) / len(ordered)
            if surv > 0:
                total += p_live * surv / (p_answer * surv + 1.0 - p_answer)
        return total

    def decide(self) -> None:
        if not self.dialing:
            return
        tokens = self.cps.tokens(self.now)
        max_lines = min(self.s.channels - self.channels_busy, tokens)
        state = self.state(max_lines)
        n = self.pacer.lines_to_dial(state).lines
        self.res.overdials += max(0, n - state.progressive_lines)
        for _ in range(n):
            self.cps.take(self.now)
            self.dial()
        if n == tokens and not self.retry_pending:  # held back by the CPS limit: ask again
            self.retry_pending = True
            self.push(self.cps.next_slot(self.now), RETRY)

    def dial(self) -> None:
        fate = self.fate(self.res.dials)
        self.res.dials += 1
        self.channels_busy += 1
        line = self.seq + 1  # the id of the event pushed below
        if fate.kind == LIVE_:
            self.push(self.now + fate.ring + fate.verdict, LIVE, line)
        elif fate.kind == MACHINE_:
            self.push(self.now + fate.ring + fate.verdict, MACHINE, line)
        else:
            self.push(self.now + fate.ring, NO_ANSWER, line)
        self.lines[line] = (self.now, fate)

    def resolved(self, line: int, outcome: int) -> Fate:
        fate = self.lines.pop(line)[1]
        self.sample.append(outcome)
        self.sample_live += outcome == 2
        self.sample_answered += outcome > 0
        if len(self.sample) > RATE_SAMPLE:
            old = self.sample.popleft()
            self.sample_live -= old == 2
            self.sample_answered -= old > 0
        if outcome > 0:  # the dialer saw the answer, then the verdict
            self.delays.append(fate.ring)
            self.amd.add(fate.verdict)
        return fate

    def record(self, abandoned: bool) -> None:
        self.window.record(self.now, abandoned=abandoned)
        self.res.live += 1
        self.res.abandoned += abandoned
        self.day_live += 1
        self.day_abandoned += abandoned
        self.res.max_rolling = max(self.res.max_rolling, self.window.rate(self.now))

    # --- events -----------------------------------------------------------------------------

    def on_no_answer(self, line: int) -> None:
        self.resolved(line, 0)
        self.channels_busy -= 1

    def on_machine(self, line: int) -> None:
        self.resolved(line, 1)
        self.channels_busy -= 1
        self.res.machines += 1

    def on_live(self, line: int) -> None:
        """The "person" verdict: the end of the greeting, where the 2 s rule starts."""
        fate = self.resolved(line, 2)
        if self.res.dials % 50 == 0 or len(self.ordered) < 50:
            self.ordered = sorted(self.delays)
            self.delay_p10 = self.ordered[len(self.ordered) // 10]
        if self.idle:
            self.connect(self.idle.pop(), self.now, fate)
        else:  # the flow holds the person AGENT_WAIT_S for an agent, then safe harbor
            self.waiting[line] = (self.now, fate)
            self.push(self.now + AGENT_WAIT_S, WAIT_OVER, line)

    def on_wait_over(self, call: int) -> None:
        if call in self.waiting:
            del self.waiting[call]
            self.channels_busy -= 1
            self.record(True)

    def connect(self, agent: int, verdict_at: float, fate: Fate) -> None:
        self.record(False)
        self.connect_wait.add(self.now - verdict_at + self.s.bridge)
        self.status[agent], self.since[agent] = TALKING, self.now
        self.busy_until[agent] = self.now + fate.talk + fate.wrap
        self.wrap_of[agent] = fate.wrap
        self.res.busy_s += fate.talk + fate.wrap
        self.push(self.now + fate.talk, TALK_END, agent)

    def on_talk_end(self, agent: int) -> None:
        self.channels_busy -= 1
        self.talks.add(self.now - self.since[agent])
        self.status[agent], self.since[agent] = WRAPPING, self.now
        self.push(self.now + self.wrap_of[agent], WRAP_END, agent)

    def on_wrap_end(self, agent: int) -> None:
        self.status[agent] = IDLE
        self.wraps.add(self.now - self.since[agent])
        self.last_free[agent] = max(self.last_free[agent], self.now)
        if self.waiting:
            call = next(iter(self.waiting))
            self.connect(agent, *self.waiting.pop(call))
        else:
            self.idle.append(agent)

    def on_stop(self, _: int) -> None:
        self.dialing = False

    def on_retry(self, _: int) -> None:
        self.retry_pending = False

    def on_wake(self, _: int) -> None:
        self.wake_at = math.inf


def serve(free_at: list[float], people: list[tuple[float, float]]) -> tuple[int, float]:
    """``people`` (verdict at, talk + wrap-up) served first come first served by agents free
    at ``free_at``, as the call centre serves them: how many wait past AGENT_WAIT_S, and
    when the first agent is free after them all."""
    heap, lost = sorted(free_at), 0  # a sorted list is a heap
    for verdict, busy in sorted(people):
        if heap and heap[0] < verdict + AGENT_WAIT_S:  # strict: a tie goes either way
            heapq.heapreplace(heap, max(heap[0], verdict) + busy)
        else:
            lost += 1
    return lost, heap[0] if heap else math.inf


@dataclass(slots=True)
class OraclePacer:
    """Knows every dial's fate and every agent's free time (see the module docstring)."""

    centre: CallCentre | None = None

    def lines_to_dial(self, state: PacingState) -> PacingDecision:
        c = self.centre
        assert c is not None, "the oracle reads the call centre it paces"
        now, first = c.now, c.res.dials
        free_at = [now if st == IDLE else c.busy_until[a] for a, st in enumerate(c.status)]
        people = [(v, f.talk + f.wrap) for v, f in c.waiting.values()]
        people += [
            (dialled + f.ring + f.verdict, f.talk + f.wrap)
            for dialled, f in c.lines.values()
            if f.kind == LIVE_
        ]
        (lost, next_free), n = serve(free_at, people), 0
        while n < state.max_lines:
            f = c.fate(first + n)
            if f.kind == LIVE_:
                verdict = now + f.ring + f.verdict
                trial = [*people, (verdict, f.talk + f.wrap)]
                if serve(free_at, trial)[0] > lost:  # no agent in time: dial it when there is
                    c.wake(now + max(0.05, next_free - verdict - AGENT_WAIT_S + 0.01))
                    break
                people = trial
                next_free = serve(free_at, people)[1]
            n += 1
        return PacingDecision(n, "predictive", "oracle")


# --- report ---------------------------------------------------------------------------------


def pct(x: float) -> str:
    return f"{x:.2%}"


def print_table(results: list[Result]) -> None:
    base = next(r for r in results if r.name == "progressive")
    oracle = next(r for r in results if r.name == "oracle")
    rows: list[tuple[str, list[str]]] = [
        ("dials", [f"{r.dials:,}" for r in results]),
        ("  dials beyond 1:1", [pct(r.overdials / max(1, r.dials)) for r in results]),
        ("dials per agent-hour", [f"{r.dials / r.agent_hours:.1f}" for r in results]),
        ("live answers", [f"{r.live:,}" for r in results]),
        ("conversations per agent-hour",
         [f"{(r.live - r.abandoned) / r.agent_hours:.2f}" for r in results]),
        ("  vs progressive",
         [f"{(r.live - r.abandoned) / max(1, base.live - base.abandoned):.2f}x" for r in results]),
        ("abandoned (no agent in time)", [f"{r.abandoned:,}" for r in results]),
        ("30-day abandonment at end", [pct(r.rate_30d) for r in results]),
        ("  current 30-day period", [pct(r.rate_period) for r in results]),
        ("  highest 30-day rate seen", [pct(r.max_rolling) for r in results]),
        ("  highest daily rate", [pct(r.max_daily) for r in results]),
        ("  ever above 3 %?", ["YES" if r.max_rolling > TARGET else "no" for r in results]),
        ("agent occupancy (talk+wrap)", [pct(r.occupancy) for r in results]),
        ("  vs the oracle", [f"{r.occupancy / oracle.occupancy:.3f}" for r in results]),
        ("agent-hours logged in", [f"{r.agent_hours:,.0f}" for r in results]),
        ("simulation wall time", [f"{r.wall_s:.1f} s" for r in results]),
    ]  # fmt: skip
    head = f"{'':<30}" + "".join(f"{r.name:>14}" for r in results)
    print(head)
    print("-" * len(head))
    for label, cells in rows:
        print(f"{label:<30}" + "".join(f"{c:>14}" for c in cells))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        description="Simulated month of dialing: predictive vs progressive vs fixed-ratio "
        "pacing against an oracle that knows each call's fate, agent occupancy against the "
        "3 %% 30-day abandonment rule.",
    )
    a = ap.add_argument
    a("--days", type=int, default=5, help="working days, Mon-Fri (22 = a month; default 5)")
    a("--agents", type=int, default=20, help="agents logged in (default 20)")
    a("--shift-hours", type=float, default=8.0, help="hours per day (default 8)")
    a("--p-live", type=float, default=0.30, help="dials answered by a person (default 0.30)")
    a("--p-machine", type=float, default=0.15, help="dials answered by a machine (0.15)")
    a("--ring-mean", type=float, default=12.0, help="mean ring s before an answer (12)")
    a("--no-answer-after", type=float, default=30.0, help="ring s before giving up (30)")
    a("--greeting-mean", type=float, default=1.0,
      help="a person's greeting s, lognormal mean (1.0)")  # fmt: skip
    a("--amd-silence", type=float, default=1.1,
      help="silence after a greeting before AMD says person (1.1, as amd.py)")  # fmt: skip
    a("--machine-verdict", type=float, default=5.0,
      help="latest machine verdict, s from its first word (5, as amd.py)")  # fmt: skip
    a("--bridge", type=float, default=0.05, help="s to bridge a found agent (0.05)")
    a("--talk-mean", type=float, default=180.0, help="mean talk s, lognormal (180)")
    a("--talk-sigma", type=float, default=0.8, help="talk lognormal sigma (0.8)")
    a("--wrap-mean", type=float, default=30.0, help="mean wrap-up s, lognormal (30)")
    a("--wrap-sigma", type=float, default=0.4, help="wrap-up lognormal sigma (0.4)")
    a("--cps", type=int, default=10, help="carrier calls per second (default 10)")
    a("--channels", type=int, default=0, help="trunk channels (default 5 per agent)")
    a("--margin", type=float, default=0.005, help="predictive safety margin (0.005)")
    a("--ratio-threshold", type=float, default=None,
      help="recent abandonment above which fixed-ratio steps down "
      "(default: the predictive line, 0.03 - margin)")  # fmt: skip
    a("--seed", type=int, default=7, help="random seed (default 7)")
    args = ap.parse_args(argv)
    if args.days < 1 or args.agents < 1 or not 0 < args.p_live + args.p_machine <= 1:
        ap.error("--days and --agents must be >= 1; 0 < p-live + p-machine <= 1")
    if min(args.greeting_mean, args.amd_silence, args.bridge) < 0 or not (
        args.machine_verdict >= BEEP_END_S
    ):
        ap.error(f"AMD times must be >= 0 and --machine-verdict >= {BEEP_END_S}")
    if not 0 <= args.margin < TARGET:
        ap.error(f"--margin must be in [0, {TARGET})")
    s = Settings(
        agents=args.agents, days=args.days, shift_hours=args.shift_hours, p_live=args.p_live,
        p_machine=args.p_machine, ring_mean=args.ring_mean,
        no_answer_after=args.no_answer_after, greeting_mean=args.greeting_mean,
        amd_silence=args.amd_silence, machine_verdict=args.machine_verdict,
        bridge=args.bridge, talk_mean=args.talk_mean,
        talk_sigma=args.talk_sigma, wrap_mean=args.wrap_mean, wrap_sigma=args.wrap_sigma,
        cps=args.cps, channels=args.channels or 5 * args.agents, margin=args.margin,
        ratio_threshold=(
            TARGET - args.margin if args.ratio_threshold is None else args.ratio_threshold
        ),
        seed=args.seed,
    )  # fmt: skip
    print(
        f"lexdial pacing simulation: {s.agents} agents, {s.days} working day(s) of "
        f"{s.shift_hours:g} h (Mon-Fri), seed {s.seed}; Python {sys.version.split()[0]}"
    )
    print(
        f"answers: live {s.p_live:.0%}, machine {s.p_machine:.0%}, none "
        f"{1 - s.p_live - s.p_machine:.0%} (released after {s.no_answer_after:g} s); ring "
        f"lognormal mean {s.ring_mean:g} s"
    )
    print(f"AMD: first word {FIRST_WORD_S[0]:g}-{FIRST_WORD_S[1]:g} s after the answer; person "
          f"after a greeting (mean {s.greeting_mean:g} s) + {s.amd_silence:g} s silence; "
          f"machine {BEEP_END_S:g}-{s.machine_verdict:g} s after its first word; median "
          f"decision {median_verdict(s):.2f} s")  # fmt: skip
    print(f"talk lognormal mean {s.talk_mean:g} s (sigma {s.talk_sigma:g}), wrap-up mean "
          f"{s.wrap_mean:g} s (sigma {s.wrap_sigma:g}); {s.cps} CPS, {s.channels} channels; "
          f"rule: <= {TARGET:.0%} abandoned (agent within {AGENT_WAIT_S:g} s of the person "
          f"verdict, bridge {s.bridge:g} s); predictive line and fixed-ratio threshold "
          f"{TARGET - s.margin:.1%} / {s.ratio_threshold:.1%}\n")  # fmt: skip
    results = run_all(s)
    print_table(results)
    prog, pred, oracle = results[0], results[2], results[3]
    gain = pred.occupancy - prog.occupancy
    print(f"\npredictive vs progressive: occupancy {pct(pred.occupancy)} vs "
          f"{pct(prog.occupancy)} ({gain * 100:+.1f} points, x{pred.occupancy / prog.occupancy:.2f}"
          f"), 30-day abandonment {pct(pred.rate_30d)} (highest {pct(pred.max_rolling)}; "
          f"limit {TARGET:.0%})")  # fmt: skip
    print("occupancy / oracle's: " + ", ".join(
        f"{r.name} {r.occupancy / oracle.occupancy:.3f}" for r in results))  # fmt: skip
    return 0


def run_all(s: Settings) -> list[Result]:
    """Progressive, fixed-ratio, predictive and the oracle on the same fates, in that order."""
    pacers: list[tuple[str, Pacer]] = [
        ("progressive", ProgressivePacer()),
        ("fixed-ratio", FixedRatioPacer(threshold=s.ratio_threshold)),
        ("predictive", PredictivePacer()),
        ("oracle", OraclePacer()),
    ]
    return [CallCentre(s, name, pacer).run() for name, pacer in pacers]


def median_verdict(s: Settings, dials: int = 20_000) -> float:
    """The median AMD decision time (answer to verdict) of the answered among the first
    ``dials`` fates: the figure bench/amd.py measures on its clips."""
    centre = CallCentre(s, "fates", ProgressivePacer())
    times = sorted(f.verdict for k in range(dials) if (f := centre.fate(k)).kind != NONE_)
    return times[len(times) // 2] if times else 0.0


if __name__ == "__main__":
    sys.exit(main())
