"""Dialer pacing: the CPS limit, the 30-day abandonment window and the pacers.

The rule the pacers answer to: abandoned calls at most 3 % of the calls answered by a live
person, per campaign, over 30 days; abandoned = not connected to an agent within 2 s of the
greeting (47 CFR 64.1200(a)(7), 16 CFR 310.4(b)(4)). Expected values are worked out by hand
or by brute force over the same events, never by the code under test; the last test runs
the pacers in a small seeded call centre written here (the full one is bench/pacing.py).
"""

from __future__ import annotations

import heapq
import itertools
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lexdial.domain.pacing import (
    ABANDON_AFTER_S,
    DAY_S,
    WINDOW_S,
    AbandonmentWindow,
    CpsLimiter,
    FixedRatioPacer,
    Pacer,
    PacingState,
    PredictivePacer,
    ProgressivePacer,
    answer_rate_upper,
    broadcast_lines,
)

MINUTE, HOUR = 60.0, 3600.0


def state(**facts: object) -> PacingState:
    """A campaign well past warm-up: 10 agents free, 30 % live answers, 0.2 % abandoned."""
    base: dict[str, object] = {
        "now_s": 1000.0, "agents_free": 10, "max_lines": 200, "dials": 2000,
        "live_answers": 600, "answer_delay_s": 6.0, "abandoned": 10, "live_answered": 5000,
    }  # fmt: skip
    return PacingState(**(base | facts))  # type: ignore[arg-type]


# --- the carrier's calls-per-second limit ---------------------------------------------------


@settings(max_examples=60, deadline=None)
@given(
    cps=st.integers(1, 8),
    gaps=st.lists(st.floats(0.0, 0.7, allow_nan=False), min_size=1, max_size=120),
)
def test_the_cps_limiter_never_admits_more_than_cps_calls_in_any_one_second_window(
    cps: int, gaps: list[float]
) -> None:
    limiter, now, started = CpsLimiter(cps), 0.0, []
    for gap in gaps:
        now += gap
        if limiter.take(now):
            started.append(now)
    # the fullest half-open window [a, a + 1) starts at a call start
    for a in started:
        assert sum(a <= t < a + 1.0 for t in started) <= cps


def test_the_cps_limiter_names_the_next_slot_and_a_call_there_succeeds() -> None:
    limiter = CpsLimiter(2)
    assert limiter.take(10.0) and limiter.take(10.3)
    assert limiter.tokens(10.5) == 0 and not limiter.take(10.5)
    assert limiter.next_slot(10.5) == 11.0
    assert limiter.take(11.0) and not limiter.take(11.0)
    assert limiter.next_slot(11.0) == pytest.approx(11.3)


@pytest.mark.parametrize(
    ("channels_free", "cps_tokens", "queued", "lines"),
    [(30, 10, 500, 10), (4, 10, 500, 4), (30, 10, 3, 3), (0, 10, 5, 0), (-2, 10, 5, 0)],
    ids=["cps-bound", "channel-bound", "queue-bound", "no-channel", "overbooked-channels"],
)
def test_broadcast_lines_are_bounded_by_channels_cps_and_queue(
    channels_free: int, cps_tokens: int, queued: int, lines: int
) -> None:
    assert broadcast_lines(channels_free=channels_free, cps_tokens=cps_tokens, queued=queued) == (
        lines
    )


# --- the 30-day abandonment window ----------------------------------------------------------


@pytest.mark.parametrize(
    ("age_s", "counted"),
    [
        (0.0, True),
        (29 * DAY_S + 23 * HOUR + 59 * MINUTE, True),
        (WINDOW_S - 1.0, True),
        (WINDOW_S, False),
        (WINDOW_S + 1.0, False),
    ],
    ids=["just-now", "29d23h59m", "30d-minus-1s", "30d-exactly", "30d-plus-1s"],
)
def test_the_abandonment_window_holds_an_event_for_exactly_30_days(
    age_s: float, counted: bool
) -> None:
    window = AbandonmentWindow()
    window.record(5000.0, abandoned=True)
    window.record(5000.0, abandoned=False)
    assert window.counts(5000.0 + age_s) == ((1, 2) if counted else (0, 0))
    assert window.rate(5000.0 + age_s) == (0.5 if counted else 0.0)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 10 * int(DAY_S)), st.booleans()), min_size=1, max_size=60),
    st.integers(0, 12 * int(DAY_S)),
)
def test_the_abandonment_window_counts_what_brute_force_counts(
    events: list[tuple[int, bool]], later: int
) -> None:
    window, span = AbandonmentWindow(window_s=3 * DAY_S), 3 * DAY_S
    events.sort()
    for at, abandoned in events:
        window.record(at, abandoned=abandoned)
    now = events[-1][0] + later
    inside = [abandoned for at, abandoned in events if now - span < at <= now]
    assert window.counts(now) == (sum(inside), len(inside))


def test_each_successive_30_day_period_is_counted_on_its_own() -> None:
    window = AbandonmentWindow(start_s=0.0)
    for i in range(100):  # period 0: 100 live answers, 2 abandoned
        window.record(i * HOUR, abandoned=i < 2)
    window.record(WINDOW_S + HOUR, abandoned=True)  # period 1 opens with an abandon
    now = WINDOW_S + 2 * HOUR
    assert window.period_counts(now) == (1, 1)
    assert window.counts(now) == (1, 98)  # rolling: hours 0-2 have left (30 d old is out)
    # the new period has the less room under the line, so it is the one a pacer must see
    assert window.binding_counts(now, 0.025) == (1, 1)
    assert window.period_counts(2 * WINDOW_S) == (0, 0)


# --- the pacers -----------------------------------------------------------------------------


def test_the_progressive_pacer_dials_one_line_per_free_agent_not_already_waiting() -> None:
    pacer = ProgressivePacer()
    assert pacer.lines_to_dial(state(agents_free=10, lines_in_flight=3)).lines == 7
    assert pacer.lines_to_dial(state(agents_free=2, lines_in_flight=5)).lines == 0
    assert pacer.lines_to_dial(state(agents_free=10, max_lines=4)).lines == 4


@pytest.mark.parametrize("live_answers", [0, 1, 29], ids=["none", "one", "one-short"])
def test_the_predictive_pacer_is_progressive_during_warm_up(live_answers: int) -> None:
    decision = PredictivePacer().lines_to_dial(
        state(dials=100, live_answers=live_answers, lines_in_flight=4)
    )
    assert decision.mode == "progressive" and decision.lines == 6
    assert "warm-up" in decision.reason


@pytest.mark.parametrize(
    ("abandoned", "live_answered", "mode"),
    [
        # line = 3 % - 0.5 % = 2.5 %; the question: would one more abandon cross it?
        (24, 1000, "predictive"),  # 25 / 1001 = 2.497 %
        (25, 1000, "progressive"),  # 26 / 1001 = 2.597 %: one abandon short of the line
        (40, 1000, "progressive"),  # already over the line: never after
        (0, 38, "progressive"),  # 1 / 39 = 2.56 %: too few live answers to risk any
        (0, 39, "predictive"),  # 1 / 40 = 2.5 %: at the line is not over it
    ],
    ids=["room-for-one", "one-short", "over", "small-campaign", "small-campaign-at-line"],
)
def test_the_predictive_pacer_falls_back_to_progressive_before_crossing_the_line(
    abandoned: int, live_answered: int, mode: str
) -> None:
    s = state(abandoned=abandoned, live_answered=live_answered, lines_in_flight=2)
    decision = PredictivePacer().lines_to_dial(s)
    assert decision.mode == mode
    if mode == "progressive":
        assert decision.lines == s.progressive_lines == 8
    else:
        assert decision.lines > s.progressive_lines  # it does overdial when there is room


@pytest.mark.parametrize(
    ("live_answers", "lo", "hi"),
    [(2000, 10, 10), (1900, 10, 11), (600, 16, 33)],
    ids=["every-dial-live", "95-percent-live", "30-percent-live"],
)
def test_the_predictive_pacer_dials_about_one_line_per_agent_when_nearly_all_answer(
    live_answers: int, lo: int, hi: int
) -> None:
    # 30 %: more than 1:1 (pooling 10 agents) but not the naive 10 / 0.3 = 33 lines
    lines = PredictivePacer().lines_to_dial(state(live_answers=live_answers)).lines
    assert lo <= lines <= hi


def test_agents_about_to_finish_wrap_up_are_dialled_for_and_long_calls_are_not() -> None:
    pacer = PredictivePacer()
    alone = pacer.lines_to_dial(state(agents_free=0)).lines
    wrapping = pacer.lines_to_dial(state(agents_free=0, busy_free_in_s=(2.0,) * 5)).lines
    talking = pacer.lines_to_dial(state(agents_free=0, busy_free_in_s=(400.0,) * 5)).lines
    assert alone == talking == 0 and wrapping >= 5


@pytest.mark.parametrize(
    ("facts", "horizon"),
    [
        # the flow's own deadline: answer, verdict, then AGENT_WAIT_S less the bridge's part
        ({"answer_delay_s": 6.0, "amd_s": 2.9, "connect_wait_s": 0.2}, 6.0 + 2.9 + 0.5),
        ({"answer_delay_s": 6.0, "amd_s": 1.1, "connect_wait_s": 0.0}, 6.0 + 1.1 + 0.7),
        ({"answer_delay_s": 6.0, "amd_s": 1.1, "connect_wait_s": 1.5}, 6.0 + 1.1),  # no slack
        ({"answer_delay_s": 6.0}, 6.0 + 1.1),  # unmeasured: shortest verdict, no slack
    ],
    ids=["measured", "instant-bridge", "slow-bridge", "defaults"],
)
def test_a_live_answer_needs_its_agent_at_answer_plus_verdict_plus_what_the_flow_leaves(
    facts: dict[str, float], horizon: float
) -> None:
    assert state(**facts).horizon_s == pytest.approx(horizon)


def test_a_longer_amd_decision_lets_the_pacer_dial_more_for_agents_about_to_free() -> None:
    # 5 agents all busy, each expected free in ~9 s: they count only if the call needs them late
    busy = {"agents_free": 0, "busy_free_in_s": (9.0,) * 5, "connect_wait_s": 0.0}
    lines = [
        PredictivePacer().lines_to_dial(state(**busy, amd_s=amd)).lines  # type: ignore[arg-type]
        for amd in (1.1, 2.0, 3.0, 4.5)
    ]
    assert lines == sorted(lines) and lines[-1] > lines[0]


def test_a_slower_bridge_leaves_less_of_the_wait_and_the_pacer_dials_fewer() -> None:
    busy = {"agents_free": 0, "busy_free_in_s": (8.5,) * 5, "amd_s": 2.0}
    fast = PredictivePacer().lines_to_dial(state(**busy, connect_wait_s=0.0)).lines  # type: ignore[arg-type]
    slow = PredictivePacer().lines_to_dial(state(**busy, connect_wait_s=0.7)).lines  # type: ignore[arg-type]
    assert slow < fast


def test_lines_that_have_rung_a_while_weigh_less_than_fresh_ones() -> None:
    pacer = PredictivePacer()
    fresh = pacer.lines_to_dial(state(lines_in_flight=12)).lines
    stale = pacer.lines_to_dial(state(lines_in_flight=12, in_flight_live=0.5)).lines
    assert stale > fresh


@pytest.mark.parametrize(
    ("abandoned_since", "ratio"),
    [(0, 1.1), (3, 1.1), (4, 0.9)],
    ids=["quiet", "at-threshold", "above-threshold"],
)
def test_the_fixed_ratio_pacer_steps_its_ratio_after_each_100_live_answers(
    abandoned_since: int, ratio: float
) -> None:
    pacer = FixedRatioPacer(ratio=1.0, lo=0.5)
    pacer.lines_to_dial(state(abandoned=0, live_answered=0))
    pacer.lines_to_dial(state(abandoned=abandoned_since, live_answered=100))
    assert pacer.ratio == pytest.approx(ratio)


def test_the_answer_rate_bound_is_above_the_measure_and_tightens_with_the_sample() -> None:
    small, large = answer_rate_upper(3, 10, 1.28), answer_rate_upper(300, 1000, 1.28)
    assert small > large > 0.3
    assert answer_rate_upper(0, 0, 1.28) == 1.0


@st.composite
def any_state(draw: st.DrawFn) -> PacingState:
    dials = draw(st.integers(0, 5000))
    live = draw(st.integers(0, 20_000))
    flight = draw(st.integers(0, 80))
    return PacingState(
        now_s=0.0,
        agents_free=draw(st.integers(0, 40)),
        max_lines=draw(st.integers(0, 60)),
        busy_free_in_s=tuple(draw(st.lists(st.floats(0, 900), max_size=30))),
        lines_in_flight=flight,
        in_flight_live=draw(st.none() | st.floats(0, flight)),
        dials=dials,
        live_answers=draw(st.integers(0, dials)),
        answer_delay_s=draw(st.floats(0, 40)),
        abandoned=draw(st.integers(0, live)),
        live_answered=live,
        margin=draw(st.sampled_from([0.0, 0.005, 0.01])),
    )


@settings(max_examples=150, deadline=None)
@given(any_state())
def test_no_pacer_ever_dials_fewer_than_zero_lines_or_more_than_the_cap(s: PacingState) -> None:
    pacers: list[Pacer] = [PredictivePacer(), ProgressivePacer(), FixedRatioPacer(ratio=3.0)]
    for pacer in pacers:
        decision = pacer.lines_to_dial(s)
        assert 0 <= decision.lines <= s.max_lines
        assert decision.mode in ("predictive", "progressive")
        if decision.mode == "progressive":
            assert decision.lines == s.progressive_lines


@pytest.mark.parametrize(
    "facts",
    [{"agents_free": -1}, {"live_answers": 2001}, {"abandoned": 6000}, {"margin": 0.03}],
    ids=["negative-agents", "more-live-than-dials", "more-abandoned-than-live", "no-line"],
)
def test_an_impossible_state_is_refused(facts: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        state(**facts)


# --- a small call centre --------------------------------------------------------------------


def simulate(
    pacer: Pacer, *, seed: int, agents: int = 20, hours: float = 2.0
) -> tuple[float, float]:
    """(agent occupancy, highest 30-day abandonment rate seen) of ``hours`` of dialing.

    30 % live answers after 4-20 s of ringing, 15 % machines, the rest ring out at 30 s;
    talk is exponential (mean 180 s), wrap-up 30 s; a live answer waits 2 s for an agent.
    The dialer's estimate of a busy agent: 210 s while talking (memoryless), the rest of
    the wrap-up after.
    """
    rng, window, order = random.Random(seed), AbandonmentWindow(), itertools.count()
    heap: list[tuple[float, int, str, int]] = []
    idle, wrap_end = list(range(agents)), [-1.0] * agents  # -1: talking
    waiting: list[float] = []  # live answers waiting for an agent: their deadlines
    in_flight, busy_s, worst, now, end = 0, 0.0, 0.0, 0.0, hours * HOUR
    dials = live_answers = 0

    def record(abandoned: bool) -> None:
        nonlocal worst
        window.record(now, abandoned=abandoned)
        worst = max(worst, window.rate(now))

    def seat(agent: int) -> None:
        nonlocal busy_s
        talk = rng.expovariate(1 / 180)
        busy_s += talk + 30.0
        wrap_end[agent] = -1.0
        heapq.heappush(heap, (now + talk, next(order), "wrap", agent))

    while True:
        if now < end:
            busy = tuple(
                210.0 if wrap_end[a] < 0 else wrap_end[a] - now
                for a in range(agents)
                if a not in idle
            )
            ab, live = window.counts(now)
            s = PacingState(now_s=now, agents_free=len(idle), max_lines=50, busy_free_in_s=busy,
                            lines_in_flight=in_flight, dials=dials, live_answers=live_answers,
                            answer_delay_s=5.0, abandoned=ab, live_answered=live)  # fmt: skip
            for _ in range(pacer.lines_to_dial(s).lines):
                in_flight += 1
                fate, ring = rng.random(), rng.uniform(4.0, 20.0)
                kind = "live" if fate < 0.3 else "machine" if fate < 0.45 else "none"
                at = now + (30.0 if kind == "none" else ring)
                heapq.heappush(heap, (at, next(order), kind, 0))
        if not heap:
            return busy_s / (agents * max(now, end)), worst
        now, _, kind, agent = heapq.heappop(heap)
        if kind in ("live", "machine", "none"):
            in_flight, dials, live_answers = (
                in_flight - 1,
                dials + 1,
                live_answers + (kind == "live"),
            )
            if kind == "live" and idle:
                record(False)
                seat(idle.pop())
            elif kind == "live":
                waiting.append(now + ABANDON_AFTER_S)
                heapq.heappush(heap, (now + ABANDON_AFTER_S, next(order), "give-up", 0))
        elif kind == "give-up" and waiting and waiting[0] <= now:
            waiting.pop(0)
            record(True)
        elif kind == "wrap":
            wrap_end[agent] = now + 30.0
            heapq.heappush(heap, (now + 30.0, next(order), "free", agent))
        elif kind == "free":
            if waiting:
                waiting.pop(0)
                record(False)
                seat(agent)
            else:
                idle.append(agent)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_in_a_simulated_call_centre_predictive_beats_progressive_and_stays_under_3_percent(
    seed: int,
) -> None:
    progressive_occupancy, progressive_worst = simulate(ProgressivePacer(), seed=seed)
    predictive_occupancy, predictive_worst = simulate(PredictivePacer(), seed=seed)
    assert progressive_worst == 0.0
    assert predictive_worst <= 0.03
    assert predictive_occupancy > progressive_occupancy + 0.05
