"""A trunk's channels shared by every dialling process (issue 15, item 3), on the fake."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from typing import Any

import pytest
import redis

from lexdial.adapters.limits_redis import RedisLimits
from lexdial.bootstrap.dialer import make_dialer, shared_channels
from lexdial.service.channels import Channels, TrunkLines
from lexdial.service.fakes.channels import MemoryChannels
from lexdial.service.limits import MemoryLimits


def test_the_fake_keeps_the_channels_contract() -> None:
    assert isinstance(MemoryChannels(), Channels)


def test_no_more_holders_than_the_limit_hold_a_channel() -> None:
    fake = MemoryChannels()
    got = [fake.acquire("t", f"h{i}", 3, 30.0, 100.0) for i in range(5)]
    assert got == [True, True, True, False, False]
    assert fake.held("t", 100.0) == 3
    assert fake.acquire("t", "h0", 3, 30.0, 101.0)  # a holder asking again renews its own


def test_a_released_channel_goes_to_the_next_holder() -> None:
    fake = MemoryChannels()
    fake.acquire("t", "a", 1, 30.0, 0.0)
    assert not fake.acquire("t", "b", 1, 30.0, 1.0)
    fake.release("t", "a")
    assert fake.acquire("t", "b", 1, 30.0, 1.0)


def test_a_holder_that_stops_renewing_loses_its_channel_after_the_lease() -> None:
    fake = MemoryChannels()
    fake.acquire("t", "dead", 1, 30.0, 0.0)
    assert not fake.acquire("t", "b", 1, 30.0, 29.9)
    assert fake.acquire("t", "b", 1, 30.0, 30.0)
    assert fake.renew("t", ["dead", "b"], 30.0, 31.0) == ["dead"]  # told it lost it


def test_renewing_keeps_a_channel_past_its_first_lease() -> None:
    fake = MemoryChannels()
    fake.acquire("t", "long", 1, 30.0, 0.0)
    assert fake.renew("t", ["long"], 30.0, 25.0) == []
    assert not fake.acquire("t", "b", 1, 30.0, 50.0)


def test_another_trunk_has_its_own_channels() -> None:
    fake = MemoryChannels()
    assert fake.acquire("a", "x", 1, 30.0, 0.0) and fake.acquire("b", "y", 1, 30.0, 0.0)


def test_a_channel_taken_for_a_call_comes_back_when_the_call_ends() -> None:
    async def go() -> None:
        fake = MemoryChannels()
        one, two = TrunkLines(fake, "t", 1), TrunkLines(fake, "t", 1)
        assert await one.take()
        one.bind(7)
        assert not await two.take(wait_s=0.05)  # the trunk is full: no dial
        one.ended(7)
        assert await two.take(wait_s=1.0)
        await one.close()
        await two.close()
        assert fake.held("t", 0.0) == 0

    asyncio.run(go())


def test_a_take_waits_for_a_channel_another_process_gives_back() -> None:
    async def go() -> None:
        fake = MemoryChannels()
        fake.acquire("t", "other", 1, 30.0, 0.0)
        lines = TrunkLines(fake, "t", 1, now=lambda: 1.0)
        loop = asyncio.get_running_loop()
        loop.call_later(0.1, fake.release, "t", "other")
        assert await lines.take(wait_s=5.0)
        await lines.close()

    asyncio.run(go())


def test_each_pending_gate_holds_its_own_channel_and_one_not_used_is_given_back() -> None:
    async def go() -> None:
        fake = MemoryChannels()
        lines = TrunkLines(fake, "t", 2)
        # two contacts gated at once (group commit): one channel each, never shared
        assert await lines.take() and await lines.take()
        assert lines.holding == 2 and fake.held("t", 0.0) == 2
        assert not await lines.take(wait_s=0.0)  # the trunk is full
        lines.bind(7)  # the first gate allowed its call
        lines.give_back()  # the second did not
        await asyncio.sleep(0.05)
        assert lines.holding == 1 and fake.held("t", 0.0) == 1
        await lines.close()
        assert fake.held("t", 0.0) == 0

    asyncio.run(go())


def test_a_call_is_never_bound_without_a_channel_taken() -> None:
    lines = TrunkLines(MemoryChannels(), "t", 1)
    with pytest.raises(RuntimeError):
        lines.bind(1)


def test_closing_gives_back_every_channel_of_the_run() -> None:
    async def go() -> None:
        fake = MemoryChannels()
        lines = TrunkLines(fake, "t", 5)
        for attempt in (1, 2, 3):
            assert await lines.take()
            lines.bind(attempt)
        assert await lines.take()  # and a spare one
        assert fake.held("t", 0.0) == 4
        await lines.close()
        assert fake.held("t", 0.0) == 0 and lines.holding == 0

    asyncio.run(go())


def test_the_renewer_keeps_a_long_calls_channel() -> None:
    async def go() -> None:
        fake, now = MemoryChannels(), [0.0]
        lines = TrunkLines(fake, "t", 1, lease_s=0.06, now=lambda: now[0])
        assert await lines.take()
        lines.bind(1)
        now[0] = 0.05
        await asyncio.sleep(0.3)  # several renewals (every lease / 3) at 0.05
        now[0] = 0.1  # past the first lease: held only if renewed
        assert fake.held("t", now[0]) == 1
        await lines.close()

    asyncio.run(go())


def _store() -> Any:
    telephony = SimpleNamespace(carrier="sip", trunk="main")
    return SimpleNamespace(
        unit_of_work=None, rules=None, cipher=None, audit=None, registry=None, firm_id=1,
        settings=SimpleNamespace(telephony=telephony),
    )  # fmt: skip


def test_channels_are_shared_only_through_redis_beside_the_cps_bucket() -> None:
    assert shared_channels(MemoryLimits(), "sip:main", 30) is None
    # a client that has not connected yet: nothing is asked of Redis here
    limits = RedisLimits(redis.Redis(host="127.0.0.1", port=1), "p:")
    lines = shared_channels(limits, "sip:main", 30)
    assert lines is not None and lines.key == "channels:sip:main" and lines.limit == 30


def test_the_embedded_dialler_keeps_its_own_bound(monkeypatch: Any) -> None:
    import lexdial.bootstrap.limits as limits_module

    monkeypatch.setattr(limits_module, "open_limits", lambda **_: MemoryLimits())
    carrier = SimpleNamespace(cps=10.0, channels=30)
    env = {"LEXDIAL_REDIS_URL": "redis://127.0.0.1:6379/15"}
    clock = lambda: None  # noqa: E731
    assert make_dialer(_store(), carrier, clock, environ={}).lines is None  # type: ignore[arg-type]
    # memory limits (one process): no channels shared, today's per-run bound
    assert make_dialer(_store(), carrier, clock, environ=env).lines is None  # type: ignore[arg-type]


class _Away(MemoryChannels):
    """A Redis that stopped answering."""

    def acquire(self, key: str, holder: str, limit: int, lease_s: float, now: float) -> bool:
        raise ConnectionError("Redis is away")


def test_a_redis_that_does_not_answer_is_a_full_trunk_not_a_dial_or_a_crash() -> None:
    async def go() -> None:
        lines = TrunkLines(_Away(), "t", 5)
        assert not await lines.take(wait_s=0.05)
        assert lines.holding == 0
        await lines.close()

    asyncio.run(go())
