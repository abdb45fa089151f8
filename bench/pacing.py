"""Discrete-event simulation of dialer pacing: agent occupancy against 30-day abandonment.

What is compared
    Three pacers from ``lexdial.domain.pacing`` drive the same simulated call centre:
    ``ProgressivePacer`` (1:1, never abandons), ``FixedRatioPacer`` (the classic ratio dialer:
    lines per free agent stepped up or down by 0.1 after each 100 live answers, as their
    abandonment rate is under or over ``--ratio-threshold``) and ``PredictivePacer``
    (binomial model of live answers against free and soon-free agents, under the 3 % rule
    with a ``--margin`` of 0.5 points). The rule: abandoned calls at most 3 % of the calls
    answered by a live person over 30 days per campaign, a call being abandoned when no agent
    takes it within 2 s of the greeting (47 CFR 64.1200(a)(7), 16 CFR 310.4(b)(4)).

The call centre
    ``--agents`` agents log in for ``--shift-hours`` a day, Monday to Friday (22 working days
    span 30 calendar days, one full 30-day window). Each dial is answered by a live person
    (``--p-live``), by a machine (``--p-machine``; dropped after ``--amd`` s of answering-
    machine detection, not an abandon) or not at all (released after ``--no-answer-after``
    s). Answered calls ring for a lognormal time (mean ``--ring-mean``); talk and wrap-up
    times are lognormal (means ``--talk-mean``, ``--wrap-mean``). A live answer with no free
    agent waits up to 2 s for one (an agent finishing wrap-up), then is abandoned (safe-harbor
    message). Dialing stops ``--no-answer-after`` s before the shift ends; agents leave when
    done. Every dial start takes a carrier CPS token (``CpsLimiter``) and a channel.

    The dialer side is honest: the pacers see only what a dialer knows (measured answer rate
    over the last 2 000 dials, 10th percentile of the last 400 answer delays, expected time
    to free each busy agent from the elapsed time and the last 1 000 talk and wrap-up times,
    expected live answers from lines in flight from how long they have rung), never the
    drawn durations. The k-th dial has the same fate under every pacer (common random
    numbers), so differences come from pacing, not luck.

Figures
    occupancy = (talk + wrap-up) / logged-in time; conversations and dials per agent-hour;
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

from lexdial.domain.pacing import (
    ABANDON_AFTER_S,
    DAY_S,
    TARGET,
    AbandonmentWindow,
    CpsLimiter,
    FixedRatioPacer,
    Pacer,
    PacingState,
    PredictivePacer,
    ProgressivePacer,
)

# event kinds, in the heap as (time, seq, kind, payload)
NO_ANSWER, LIVE, MACHINE, WAIT_OVER, TALK_END, WRAP_END, STOP_DIALING, RETRY = range(8)
IDLE, TALKING, WRAPPING = range(3)
SHIFT_START_H = 9.0
RATE_SAMPLE = 2_000  # dials in the answer-rate measurement
DELAY_SAMPLE = 400  # live answer delays kept for the percentile


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
    amd: float
    talk_mean: float
    talk_sigma: float
    wrap_mean: float
    wrap_sigma: float
    cps: int
    channels: int
    margin: float
    ratio_threshold: float
    seed: int


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


def lognormal(r: random.Random, mean: float, sigma: float) -> float:
    """A lognormal draw with the given mean (not the median)."""
    return r.lognormvariate(math.log(mean) - sigma * sigma / 2, sigma)


class CallCentre:
    """One simulated month (or ``days``) of one pacer."""

    def __init__(self, s: Settings, name: str, pacer: Pacer) -> None:
        self.s, self.pacer, self.res = s, pacer, Result(name)
        self.calls = random.Random(s.seed)  # fate of the k-th dial: same under every pacer
        self.works = random.Random(s.seed + 1)  # wrap-up of the k-th conversation
        self.cps = CpsLimiter(s.cps)
        self.talks, self.wraps = Residual(s.talk_mean), Residual(s.wrap_mean)
        self.window = AbandonmentWindow()
        self.sample: deque[int] = deque()  # last dials: 0 no answer, 1 machine, 2 live
        self.sample_live = self.sample_answered = 0
        self.delays: deque[float] = deque(maxlen=DELAY_SAMPLE)
        self.ordered: list[float] = []  # self.delays sorted, refreshed now and then
        self.delay_p10 = s.ring_mean / 2
        # lines in flight: id -> (dialled at, answered at (a machine, in AMD) or inf, talk ms)
        self.lines: dict[int, tuple[float, float, int]] = {}
        self.heap: list[tuple[float, int, int, int]] = []
        self.seq = 0
        self.now = 0.0
        self.status = [IDLE] * s.agents
        self.since = [0.0] * s.agents
        self.last_free = [0.0] * s.agents
        self.idle = list(range(s.agents))
        self.waiting: dict[int, int] = {}  # live answers waiting for an agent: id -> talk ms
        self.channels_busy = 0
        self.dialing = self.retry_pending = False
        self.day_live = self.day_abandoned = 0

    def push(self, at: float, kind: int, payload: int = 0) -> None:
        self.seq += 1
        heapq.heappush(self.heap, (at, self.seq, kind, payload))

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
        self.push(end - s.no_answer_after, STOP_DIALING)
        self.decide()
        handlers = (self.on_no_answer, self.on_live, self.on_machine, self.on_wait_over,
                    self.on_talk_end, self.on_wrap_end, self.on_stop, self.on_retry)  # fmt: skip
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
        return PacingState(
            now_s=now, agents_free=len(self.idle), max_lines=max_lines, busy_free_in_s=busy,
            lines_in_flight=len(self.lines), in_flight_live=self.in_flight_live(),
            dials=len(self.sample), live_answers=self.sample_live, answer_delay_s=self.delay_p10,
            abandoned=abandoned, live_answered=live, margin=s.margin,
        )  # fmt: skip

    def in_flight_live(self) -> float | None:
        """Expected live answers still to come from the lines in flight: a line unanswered
        after ringing ``age`` s is live with p_live S(age) / (p_answer S(age) + p_none), S the
        measured survival of answer delays; a line answered and still in AMD is a machine."""
        n, ordered, now = len(self.sample), self.ordered, self.now
        if n == 0 or not ordered:
            return None
        p_live, p_answer = self.sample_live / n, self.sample_answered / n
        total = 0.0
        for dialled, answered, _ in self.lines.values():
            age = now - dialled
            if answered <= now or age >= self.s.no_answer_after:
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
        s, r = self.s, self.calls
        self.res.dials += 1
        self.channels_busy += 1
        fate, ring = r.random(), lognormal(r, s.ring_mean, 0.5)
        talk = int(lognormal(r, s.talk_mean, s.talk_sigma) * 1000)  # drawn always: aligned
        line, answered = self.seq + 1, math.inf  # the id of the event pushed below
        if fate < s.p_live and ring < s.no_answer_after:
            self.push(self.now + ring, LIVE, line)
        elif fate < s.p_live + s.p_machine and ring < s.no_answer_after:
            answered = self.now + ring
            self.push(answered + s.amd, MACHINE, line)
        else:
            self.push(self.now + s.no_answer_after, NO_ANSWER, line)
        self.lines[line] = (self.now, answered, talk)

    def resolved(self, line: int, outcome: int) -> tuple[float, float, int]:
        dialled, answered, talk = self.lines.pop(line)
        self.sample.append(outcome)
        self.sample_live += outcome == 2
        self.sample_answered += outcome > 0
        if len(self.sample) > RATE_SAMPLE:
            old = self.sample.popleft()
            self.sample_live -= old == 2
            self.sample_answered -= old > 0
        if outcome == 2:
            self.delays.append(self.now - dialled)
        elif outcome == 1:
            self.delays.append(answered - dialled)
        return dialled, answered, talk

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
        talk_ms = self.resolved(line, 2)[2]
        if self.res.dials % 50 == 0 or len(self.ordered) < 50:
            self.ordered = sorted(self.delays)
            self.delay_p10 = self.ordered[len(self.ordered) // 10]
        if self.idle:
            self.connect(self.idle.pop(), talk_ms)
        else:
            self.waiting[line] = talk_ms
            self.push(self.now + ABANDON_AFTER_S, WAIT_OVER, line)

    def on_wait_over(self, call: int) -> None:
        if call in self.waiting:
            del self.waiting[call]
            self.channels_busy -= 1
            self.record(True)

    def connect(self, agent: int, talk_ms: int) -> None:
        self.record(False)
        talk = talk_ms / 1000
        self.status[agent], self.since[agent] = TALKING, self.now
        self.res.busy_s += talk
        self.push(self.now + talk, TALK_END, agent)

    def on_talk_end(self, agent: int) -> None:
        self.channels_busy -= 1
        self.talks.add(self.now - self.since[agent])
        wrap = lognormal(self.works, self.s.wrap_mean, self.s.wrap_sigma)
        self.status[agent], self.since[agent] = WRAPPING, self.now
        self.res.busy_s += wrap
        self.push(self.now + wrap, WRAP_END, agent)

    def on_wrap_end(self, agent: int) -> None:
        self.status[agent] = IDLE
        self.wraps.add(self.now - self.since[agent])
        self.last_free[agent] = max(self.last_free[agent], self.now)
        if self.waiting:
            call = next(iter(self.waiting))
            self.connect(agent, self.waiting.pop(call))
        else:
            self.idle.append(agent)

    def on_stop(self, _: int) -> None:
        self.dialing = False

    def on_retry(self, _: int) -> None:
        self.retry_pending = False


# --- report ---------------------------------------------------------------------------------


def pct(x: float) -> str:
    return f"{x:.2%}"


def print_table(results: list[Result]) -> None:
    base = next(r for r in results if r.name == "progressive")
    rows: list[tuple[str, list[str]]] = [
        ("dials", [f"{r.dials:,}" for r in results]),
        ("  dials beyond 1:1", [pct(r.overdials / max(1, r.dials)) for r in results]),
        ("dials per agent-hour", [f"{r.dials / r.agent_hours:.1f}" for r in results]),
        ("live answers", [f"{r.live:,}" for r in results]),
        ("conversations per agent-hour",
         [f"{(r.live - r.abandoned) / r.agent_hours:.2f}" for r in results]),
        ("  vs progressive",
         [f"{(r.live - r.abandoned) / max(1, base.live - base.abandoned):.2f}x" for r in results]),
        ("abandoned (no agent in 2 s)", [f"{r.abandoned:,}" for r in results]),
        ("30-day abandonment at end", [pct(r.rate_30d) for r in results]),
        ("  current 30-day period", [pct(r.rate_period) for r in results]),
        ("  highest 30-day rate seen", [pct(r.max_rolling) for r in results]),
        ("  highest daily rate", [pct(r.max_daily) for r in results]),
        ("  ever above 3 %?", ["YES" if r.max_rolling > TARGET else "no" for r in results]),
        ("agent occupancy (talk+wrap)", [pct(r.occupancy) for r in results]),
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
        "pacing, agent occupancy against the 3 %% 30-day abandonment rule.",
    )
    a = ap.add_argument
    a("--days", type=int, default=5, help="working days, Mon-Fri (22 = a month; default 5)")
    a("--agents", type=int, default=20, help="agents logged in (default 20)")
    a("--shift-hours", type=float, default=8.0, help="hours per day (default 8)")
    a("--p-live", type=float, default=0.30, help="dials answered by a person (default 0.30)")
    a("--p-machine", type=float, default=0.15, help="dials answered by a machine (0.15)")
    a("--ring-mean", type=float, default=12.0, help="mean ring s before an answer (12)")
    a("--no-answer-after", type=float, default=30.0, help="ring s before giving up (30)")
    a("--amd", type=float, default=3.0, help="answering-machine detection s (3)")
    a("--talk-mean", type=float, default=180.0, help="mean talk s, lognormal (180)")
    a("--talk-sigma", type=float, default=0.8, help="talk lognormal sigma (0.8)")
    a("--wrap-mean", type=float, default=30.0, help="mean wrap-up s, lognormal (30)")
    a("--wrap-sigma", type=float, default=0.4, help="wrap-up lognormal sigma (0.4)")
    a("--cps", type=int, default=10, help="carrier calls per second (default 10)")
    a("--channels", type=int, default=0, help="trunk channels (default 5 per agent)")
    a("--margin", type=float, default=0.005, help="predictive safety margin (0.005)")
    a("--ratio-threshold", type=float, default=TARGET,
      help="recent abandonment above which fixed-ratio steps down (0.03)")  # fmt: skip
    a("--seed", type=int, default=7, help="random seed (default 7)")
    args = ap.parse_args(argv)
    if args.days < 1 or args.agents < 1 or not 0 < args.p_live + args.p_machine <= 1:
        ap.error("--days and --agents must be >= 1; 0 < p-live + p-machine <= 1")
    s = Settings(
        agents=args.agents, days=args.days, shift_hours=args.shift_hours, p_live=args.p_live,
        p_machine=args.p_machine, ring_mean=args.ring_mean,
        no_answer_after=args.no_answer_after, amd=args.amd, talk_mean=args.talk_mean,
        talk_sigma=args.talk_sigma, wrap_mean=args.wrap_mean, wrap_sigma=args.wrap_sigma,
        cps=args.cps, channels=args.channels or 5 * args.agents, margin=args.margin,
        ratio_threshold=args.ratio_threshold, seed=args.seed,
    )  # fmt: skip
    print(
        f"lexdial pacing simulation: {s.agents} agents, {s.days} working day(s) of "
        f"{s.shift_hours:g} h (Mon-Fri), seed {s.seed}; Python {sys.version.split()[0]}"
    )
    print(
        f"answers: live {s.p_live:.0%}, machine {s.p_machine:.0%} (dropped after "
        f"{s.amd:g} s AMD), none {1 - s.p_live - s.p_machine:.0%} (released after "
        f"{s.no_answer_after:g} s); ring lognormal mean {s.ring_mean:g} s"
    )
    print(f"talk lognormal mean {s.talk_mean:g} s (sigma {s.talk_sigma:g}), wrap-up mean "
          f"{s.wrap_mean:g} s (sigma {s.wrap_sigma:g}); {s.cps} CPS, {s.channels} channels; "
          f"rule: <= {TARGET:.0%} abandoned (2 s), predictive line "
          f"{TARGET - s.margin:.1%}\n")  # fmt: skip
    pacers: list[tuple[str, Pacer]] = [
        ("progressive", ProgressivePacer()),
        ("fixed-ratio", FixedRatioPacer(threshold=s.ratio_threshold)),
        ("predictive", PredictivePacer()),
    ]
    results = [CallCentre(s, name, pacer).run() for name, pacer in pacers]
    print_table(results)
    pred, prog = results[2], results[0]
    gain = pred.occupancy - prog.occupancy
    print(f"\npredictive vs progressive: occupancy {pct(pred.occupancy)} vs "
          f"{pct(prog.occupancy)} ({gain * 100:+.1f} points, x{pred.occupancy / prog.occupancy:.2f}"
          f"), 30-day abandonment {pct(pred.rate_30d)} (highest {pct(pred.max_rolling)}; "
          f"limit {TARGET:.0%})")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
