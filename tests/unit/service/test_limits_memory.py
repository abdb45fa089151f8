"""The in-memory ``Limits`` (the embedded default): token buckets and sliding windows
behave as the pages and the log-in throttle always counted, in one process."""

from __future__ import annotations

from lexdial.bootstrap import open_limits
from lexdial.entrypoints.api import login_throttle as lt
from lexdial.entrypoints.api.login_throttle import LoginThrottle
from lexdial.service.limits import MemoryLimits
from lexdial.service.public_codes import PageLimits, RateLimiter


def test_a_bucket_gives_its_capacity_at_once_then_says_how_long_to_wait() -> None:
    limits = MemoryLimits()
    assert [limits.take("k", 3, 60.0, 100.0) for _ in range(3)] == [0.0, 0.0, 0.0]
    assert limits.take("k", 3, 60.0, 100.0) == 60.0
    assert limits.take("k", 3, 60.0, 130.0) == 30.0  # half a token has come back


def test_a_bucket_refills_one_token_per_period_and_never_beyond_capacity() -> None:
    limits = MemoryLimits()
    for _ in range(2):
        limits.take("k", 2, 10.0, 0.0)
    assert limits.take("k", 2, 10.0, 10.0) == 0.0
    assert limits.take("k", 2, 10.0, 10.0) > 0.0
    assert [limits.take("k", 2, 10.0, 1000.0) for _ in range(3)][2] > 0.0  # capped at 2


def test_buckets_of_different_keys_are_independent() -> None:
    limits = MemoryLimits()
    assert limits.take("a", 1, 60.0, 0.0) == 0.0
    assert limits.take("b", 1, 60.0, 0.0) == 0.0
    assert limits.take("a", 1, 60.0, 0.0) > 0.0


def test_a_window_counts_the_events_of_its_last_seconds_only() -> None:
    limits = MemoryLimits()
    for at in (0.0, 10.0, 20.0):
        limits.note("k", 30.0, at)
    assert limits.recent("k", 30.0, 25.0) == 3
    assert limits.recent("k", 30.0, 35.0) == 2  # the event at 0 s has left the window
    assert limits.recent("other", 30.0, 35.0) == 0


def test_memory_stays_bounded_by_forgetting_the_least_recent_keys() -> None:
    limits = MemoryLimits(max_keys=10)
    for n in range(50):
        limits.take(f"b{n}", 1, 60.0, 0.0)
        limits.note(f"w{n}", 60.0, 0.0)
    assert limits.take("b49", 1, 60.0, 0.0) > 0.0  # recent keys are remembered
    assert limits.take("b0", 1, 60.0, 0.0) == 0.0  # the oldest were forgotten
    assert limits.recent("w49", 60.0, 0.0) == 1


def test_rate_limiters_sharing_one_limits_keep_their_buckets_apart() -> None:
    pages = PageLimits.over(MemoryLimits())
    assert all(pages.code_ip.allow("ip:1", 0.0) for _ in range(5))
    assert not pages.code_ip.allow("ip:1", 0.0)
    assert pages.check_ip.allow("ip:1", 0.0)  # same key, another limiter
    assert RateLimiter(1, 60).wait("x", 0.0) == 0.0


def test_the_log_in_throttle_counts_in_the_limits_it_is_given() -> None:
    limits, at = MemoryLimits(), [1000.0]
    one = LoginThrottle(clock=lambda: at[0], limits=limits)
    two = LoginThrottle(clock=lambda: at[0], limits=limits)  # another process, same counts
    for n in range(lt.PAIR_LIMIT):
        (one if n % 2 else two).failed("10.0.0.1", "a@firm.test", None)
    assert one.refusal("10.0.0.1", "A@firm.test", None) is not None
    assert two.refusal("10.0.0.1", "a@firm.test", None) is not None
    assert two.refusal("10.0.0.2", "a@firm.test", None) is None
    at[0] += lt.WINDOW_S + 1
    assert one.refusal("10.0.0.1", "a@firm.test", None) is None


def test_an_account_under_attack_allows_one_unknown_try_a_minute() -> None:
    at = [0.0]
    throttle = LoginThrottle(clock=lambda: at[0])
    for n in range(lt.ACCOUNT_LIMIT):
        throttle.failed(f"10.0.1.{n}", "a@firm.test", None)
    assert throttle.refusal("10.0.2.1", "a@firm.test", None) is None
    assert throttle.refusal("10.0.2.2", "a@firm.test", None) is not None
    at[0] += lt.BACKOFF_S - 1
    assert throttle.refusal("10.0.2.3", "a@firm.test", None) is not None
    at[0] += 1
    assert throttle.refusal("10.0.2.4", "a@firm.test", None) is None
    assert throttle.refusal("10.0.2.5", "a@firm.test", "device-1") is None  # known browser


def test_without_a_redis_url_the_limits_are_kept_in_memory() -> None:
    assert isinstance(open_limits(environ={}), MemoryLimits)
