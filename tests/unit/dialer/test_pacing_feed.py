"""The pacer's ceiling comes from the rule pack, so a pack update moves pacer and gate together."""

from __future__ import annotations

import math
from types import SimpleNamespace

import pytest

from lexdial.domain.call import CallFlow, FlowConfig, Outcome
from lexdial.domain.pacing import PacingState, PredictivePacer
from lexdial.rules.model import RulePack
from lexdial.service.pacing_feed import MIN_SAMPLES, SAMPLES, PacingFeed, abandonment_limit


def test_the_bundled_pack_sets_the_3_percent_ceiling(engine: object) -> None:
    assert abandonment_limit(engine) == 0.03  # type: ignore[arg-type]


def test_the_lowest_abandonment_rule_of_a_pack_is_the_ceiling() -> None:
    rules = [
        SimpleNamespace(kind="abandonment", params={"max_rate": 0.03}),
        SimpleNamespace(kind="abandonment", params={"max_rate": 0.02}),
        SimpleNamespace(kind="ring_timeout", params={"min_seconds": 15}),
    ]
    engine = SimpleNamespace(pack=RulePack(version="test", rules=tuple(rules)))  # type: ignore[arg-type]
    assert abandonment_limit(engine) == 0.02  # type: ignore[arg-type]
    state = PacingFeed(target=0.02).state(now_s=0, agents_free=1, max_lines=1, lines_in_flight=0)
    assert state.target == 0.02


# --- the measured timings (answer delay, AMD decision, connect wait) -------------------------


def _state(feed: PacingFeed) -> PacingState:
    return feed.state(now_s=0.0, agents_free=1, max_lines=1, lines_in_flight=0)


def test_until_enough_timings_are_measured_the_pacer_gets_the_cautious_defaults() -> None:
    feed = PacingFeed()
    for _ in range(MIN_SAMPLES - 1):
        feed.on_amd(4.0)
        feed.on_connect_wait(0.0)
    s, default = _state(feed), PacingState(now_s=0.0, agents_free=1, max_lines=1)
    assert (s.amd_s, s.connect_wait_s, s.answer_delay_s) == (
        default.amd_s,
        default.connect_wait_s,
        default.answer_delay_s,
    )


def test_the_pacer_gets_the_short_end_of_the_amd_times_and_the_long_end_of_the_waits() -> None:
    feed = PacingFeed()
    for i in range(100):  # 0.01 .. 1.00 s and 2.01 .. 3.00 s
        feed.on_connect_wait((i + 1) / 100)
        feed.on_amd(2.0 + (i + 1) / 100)
    s = _state(feed)
    assert s.amd_s == pytest.approx(2.10)  # 10th percentile: an agent needed sooner
    assert s.connect_wait_s == pytest.approx(0.90)  # 90th: less slack in the flow's wait


def test_only_the_latest_timings_count_so_a_change_mid_run_moves_the_pacer() -> None:
    feed = PacingFeed()
    for _ in range(SAMPLES):
        feed.on_amd(1.2)
    for _ in range(SAMPLES):
        feed.on_amd(3.0)
    assert _state(feed).amd_s == 3.0


def test_the_answer_delay_is_measured_on_live_answers_only() -> None:
    feed = PacingFeed()
    for i in range(20):
        feed.on_outcome(_flow(answered_at=6.0 + i, live=True))
        feed.on_outcome(_flow(answered_at=1.0, live=False))  # machines answer fast: not counted
    assert _state(feed).answer_delay_s == 7.0


@pytest.mark.parametrize("bad", [-0.1, math.nan, math.inf], ids=["negative", "nan", "infinite"])
@pytest.mark.parametrize("method", ["on_amd", "on_connect_wait"])
def test_a_timing_that_is_no_duration_is_left_out_without_stopping_the_dialler(
    method: str, bad: float
) -> None:
    feed = PacingFeed()
    assert getattr(feed, method)(bad) is False
    assert not feed.amd_times and not feed.connect_waits
    assert getattr(feed, method)(0.0) is True  # zero is a duration


def test_the_feed_keeps_the_dialler_s_calls_working() -> None:
    feed = PacingFeed(wrap_up_s=30.0)
    feed.on_bridge("user:1", 10.0)
    assert len(_state(feed).busy_free_in_s) == 1
    feed.on_wrap_up("user:1", 40.0)
    feed.on_free("user:1")
    assert _state(feed).busy_free_in_s == ()


@pytest.mark.parametrize(
    ("wrap_started", "free_in"),
    [
        (75.0, 5.0),  # 25 s into a 30 s wrap-up: free in 5 s
        (100.0, 30.0),  # just started
        (40.0, 60.0 + 30.0),  # longer ago than a wrap-up lasts: another clock, the cautious rule
        (130.0, 60.0 + 30.0),  # in the future: another clock
    ],
    ids=["nearly-done", "just-started", "stale", "future"],
)
def test_an_agent_in_wrap_up_is_expected_free_when_it_ends_and_never_on_a_wrong_clock(
    wrap_started: float, free_in: float
) -> None:
    feed = PacingFeed(wrap_up_s=30.0)  # no talk measured yet: 120 s, so half a call is 60 s
    feed.on_bridge("user:1", wrap_started - 200.0)
    feed.on_wrap_up("user:1", wrap_started)
    s = feed.state(now_s=100.0, agents_free=0, max_lines=5, lines_in_flight=0)
    assert s.busy_free_in_s == pytest.approx((free_in,))


def test_a_longer_measured_amd_time_lets_the_pacer_dial_for_agents_finishing_wrap_up() -> None:
    lines = []
    for amd in (1.2, 2.5, 4.0):
        feed = PacingFeed(wrap_up_s=30.0, live0=2000)  # earlier runs: room under the line
        for i in range(100):  # 30 % live, answered 6 s after the dial
            feed.on_outcome(_flow(answered_at=6.0, live=i % 10 < 3))
        for _ in range(MIN_SAMPLES):
            feed.on_amd(amd)
            feed.on_connect_wait(0.1)
        for agent in range(5):  # 20 s into a 30 s wrap-up: 10 s left
            feed.on_bridge(f"user:{agent}", 0.0)
            feed.on_wrap_up(f"user:{agent}", 80.0)
        state = feed.state(now_s=100.0, agents_free=0, max_lines=50, lines_in_flight=0)
        assert state.horizon_s == pytest.approx(6.0 + amd + 0.6)
        lines.append(PredictivePacer().lines_to_dial(state).lines)
    assert lines == sorted(lines) and lines[-1] > lines[0]


def _flow(*, answered_at: float, live: bool) -> CallFlow:
    flow = CallFlow(call_id="c", config=FlowConfig())
    flow.answered_at, flow.ended_at = answered_at, answered_at + 30.0
    flow.live_answered, flow.outcome = live, Outcome.HUMAN if live else Outcome.MACHINE
    return flow
