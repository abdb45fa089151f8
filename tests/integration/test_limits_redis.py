"""Shared limits on a real Redis (127.0.0.1:6379, or ``LEXDIAL_TEST_REDIS_URL``): two
adapter instances stand for two processes; each test uses its own key prefix."""

from __future__ import annotations

import os
import threading
import uuid
from collections.abc import Iterator

import pytest
import redis

from lexdial.adapters.limits_redis import RedisLimits
from lexdial.bootstrap import open_limits
from lexdial.entrypoints.api import login_throttle as lt
from lexdial.entrypoints.api.login_throttle import LoginThrottle
from lexdial.errors import ConfigError
from lexdial.service.public_codes import PageLimits

REDIS_URL = os.environ.get("LEXDIAL_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def redis_or_skip() -> str:
    """The test Redis URL; skipped where none answers (a failure under CI)."""
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1.0).ping()
    except redis.RedisError as exc:
        if os.environ.get("CI"):
            raise
        pytest.skip(f"no Redis at {REDIS_URL}: {exc}")
    return REDIS_URL


@pytest.fixture
def pair() -> Iterator[tuple[RedisLimits, RedisLimits]]:
    """Two processes' limits over one Redis, under a prefix of this test's own."""
    url, prefix = redis_or_skip(), f"lexdial-test:{uuid.uuid4().hex}:"
    one, two = RedisLimits.connect(url, prefix), RedisLimits.connect(url, prefix)
    yield one, two
    for key in one.client.scan_iter(f"{prefix}*"):
        one.client.delete(key)


def test_two_processes_take_from_one_bucket(pair: tuple[RedisLimits, RedisLimits]) -> None:
    one, two = pair
    waits = [(one if n % 2 else two).take("ip:1", 5, 120.0, 1000.0) for n in range(6)]
    assert waits[:5] == [0.0] * 5
    assert waits[5] == pytest.approx(120.0)
    assert one.take("ip:1", 5, 120.0, 1060.0) == pytest.approx(60.0)
    assert two.take("ip:1", 5, 120.0, 1120.0) == 0.0  # one token back after 120 s


def test_racing_takes_never_share_the_last_token(pair: tuple[RedisLimits, RedisLimits]) -> None:
    one, two = pair
    taken: list[float] = []

    def grab(limits: RedisLimits) -> None:
        for _ in range(10):
            taken.append(limits.take("race", 7, 3600.0, 50.0))

    threads = [threading.Thread(target=grab, args=(x,)) for x in (one, two, one, two)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert sum(1 for w in taken if w == 0.0) == 7


def test_a_window_shared_by_two_processes(pair: tuple[RedisLimits, RedisLimits]) -> None:
    one, two = pair
    one.note("k", 30.0, 0.0)
    two.note("k", 30.0, 0.0)  # the same instant twice: two events, not one
    two.note("k", 30.0, 20.0)
    assert one.recent("k", 30.0, 25.0) == 3
    assert two.recent("k", 30.0, 31.0) == 1
    ttl = one.client.ttl(one.prefix + "k")
    assert isinstance(ttl, int) and 0 < ttl <= 31  # nothing is kept forever


def test_the_6th_code_request_is_refused_across_two_processes(
    pair: tuple[RedisLimits, RedisLimits],
) -> None:
    one, two = PageLimits.over(pair[0]), PageLimits.over(pair[1])
    allowed = [(one if n % 2 else two).code_ip.allow("ip:203.0.113.9", 5.0) for n in range(6)]
    assert allowed == [True] * 5 + [False]
    assert one.check_ip.allow("ip:203.0.113.9", 5.0)  # another limit, its own bucket


def test_the_log_in_throttle_is_shared_by_two_processes(
    pair: tuple[RedisLimits, RedisLimits],
) -> None:
    at = [1000.0]
    one = LoginThrottle(clock=lambda: at[0], limits=pair[0])
    two = LoginThrottle(clock=lambda: at[0], limits=pair[1])
    for n in range(lt.PAIR_LIMIT):
        assert (one if n % 2 else two).refusal("10.0.0.1", "a@firm.test", None) is None
        (one if n % 2 else two).failed("10.0.0.1", "a@firm.test", None)
    assert one.refusal("10.0.0.1", "a@firm.test", None) == (
        "Too many failed log-ins from here: wait 15 minutes."
    )
    assert two.refusal("10.0.0.1", "a@firm.test", None) is not None
    at[0] += lt.WINDOW_S + 1
    assert two.refusal("10.0.0.1", "a@firm.test", None) is None


def test_a_redis_url_opens_shared_limits() -> None:
    limits = open_limits(environ={"LEXDIAL_REDIS_URL": redis_or_skip()})
    assert isinstance(limits, RedisLimits)


def test_a_redis_that_does_not_answer_is_a_config_error_at_start() -> None:
    with pytest.raises(ConfigError, match=r"Redis .* not reachable .*\*\*\*@127\.0\.0\.1:1"):
        open_limits(environ={"LEXDIAL_REDIS_URL": "redis://:secret@127.0.0.1:1/0"})
    with pytest.raises(ConfigError, match="LEXDIAL_REDIS_URL"):
        open_limits("not a url")
