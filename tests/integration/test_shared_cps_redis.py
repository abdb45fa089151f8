"""Two processes' dialers on one trunk share its CPS through Redis (issue 15, item 3)."""

from __future__ import annotations

import os
import uuid

import pytest

from lexdial.bootstrap.dialer import shared_cps

pytestmark = pytest.mark.integration

REDIS_URL = os.environ.get("LEXDIAL_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def test_two_redis_clients_on_one_trunk_share_its_calls_per_second() -> None:
    redis = pytest.importorskip("redis")
    from lexdial.adapters.limits_redis import RedisLimits

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1.0).ping()
    except Exception as exc:
        pytest.skip(f"no Redis at {REDIS_URL}: {exc}")
    trunk = f"sip:test-{uuid.uuid4().hex[:8]}"
    one, two = RedisLimits.connect(REDIS_URL), RedisLimits.connect(REDIS_URL)
    assert shared_cps(one, trunk, 4, lambda: 50.0)() == 0.0
    assert shared_cps(two, trunk, 4, lambda: 50.0)() == pytest.approx(0.25)
    assert shared_cps(two, trunk, 4, lambda: 50.25)() == 0.0
