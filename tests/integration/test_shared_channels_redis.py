"""A trunk's channels shared through a real Redis (127.0.0.1:6379, or
``LEXDIAL_TEST_REDIS_URL``): separate clients stand for separate processes; every test
uses its own key prefix (issue 15, item 3)."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator

import pytest
from tests.integration.test_limits_redis import redis_or_skip

from lexdial.adapters.limits_redis import RedisChannels, RedisLimits
from lexdial.service.channels import TrunkLines

pytestmark = pytest.mark.integration


@pytest.fixture
def prefix() -> Iterator[str]:
    """This test's own key prefix (deleted afterwards)."""
    url, name = redis_or_skip(), f"lexdial-test:{uuid.uuid4().hex}:"
    yield name
    client = RedisLimits.connect(url).client
    for key in client.scan_iter(f"{name}*"):
        client.delete(key)


def _client(prefix: str) -> RedisChannels:
    """A new connection to the test Redis: one "process"."""
    return RedisChannels(RedisLimits.connect(redis_or_skip()).client, prefix)


def test_clients_racing_for_n_channels_never_hold_more_than_n(prefix: str) -> None:
    limit, rounds = 3, 150
    lock, inside, peak, denied, held = threading.Lock(), [0], [0], [0], [0]

    def worker(n: int) -> None:
        channels = _client(prefix)  # a connection of its own
        for r in range(rounds):
            holder = f"w{n}:{r}"
            if not channels.acquire("channels:sip:main", holder, limit, 30.0, time.time()):
                with lock:
                    denied[0] += 1
                continue
            with lock:  # counted only between the acquire's answer and the release
                inside[0] += 1
                peak[0] = max(peak[0], inside[0])
                held[0] += 1
            time.sleep(0.0005)
            with lock:
                inside[0] -= 1
            channels.release("channels:sip:main", holder)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert peak[0] <= limit
    assert denied[0] > 0 and held[0] > 0  # they did race, and the channels were used
    assert _client(prefix).held("channels:sip:main", time.time()) == 0


def test_a_holder_that_dies_without_release_frees_its_channel_after_the_lease(
    prefix: str,
) -> None:
    dead, alive = _client(prefix), _client(prefix)
    assert dead.acquire("channels:t", "killed", 1, 30.0, 1000.0)  # then SIGKILL: no release
    assert not alive.acquire("channels:t", "next", 1, 30.0, 1029.0)
    assert alive.acquire("channels:t", "next", 1, 30.0, 1030.0)  # reaped on acquire
    assert dead.renew("channels:t", ["killed"], 30.0, 1031.0) == ["killed"]
    assert alive.held("channels:t", 1031.0) == 1  # the renewal did not put it back


def test_the_key_expires_once_no_lease_in_it_can_matter(prefix: str) -> None:
    channels = _client(prefix)
    channels.acquire("channels:t", "h", 1, 30.0, time.time())
    ttl = channels.client.ttl(prefix + "channels:t")
    assert 0 < int(ttl) <= 31


def test_renewal_keeps_a_long_calls_channel_on_the_real_clock(prefix: str) -> None:
    async def go() -> None:
        lines = TrunkLines(_client(prefix), "channels:t", 1, lease_s=0.6)
        other = _client(prefix)
        assert await lines.take()
        lines.bind(1)
        await asyncio.sleep(1.5)  # two and a half leases: held only because it is renewed
        assert not other.acquire("channels:t", "other", 1, 0.6, time.time())
        lines.ended(1)
        await lines.close()
        assert other.acquire("channels:t", "other", 1, 0.6, time.time())

    asyncio.run(go())


def test_without_renewal_the_same_channel_is_lost_on_the_real_clock(prefix: str) -> None:
    holder, other = _client(prefix), _client(prefix)
    assert holder.acquire("channels:t", "quiet", 1, 0.6, time.time())
    time.sleep(0.8)
    assert other.acquire("channels:t", "other", 1, 0.6, time.time())


#: a dialling process holding one channel for a call that never ends (until SIGKILL)
_HOLDER = """
import asyncio, sys
from lexdial.adapters.limits_redis import RedisChannels, RedisLimits
from lexdial.service.channels import TrunkLines

async def main() -> None:
    client = RedisLimits.connect(sys.argv[1]).client
    lines = TrunkLines(RedisChannels(client, sys.argv[2]), "channels:t", 1, lease_s=3.0)
    assert await lines.take()
    lines.bind(1)
    print("held", flush=True)
    await asyncio.sleep(3600)

asyncio.run(main())
"""


def test_a_killed_processs_channel_is_renewed_while_it_lives_and_back_after_its_lease(
    prefix: str,
) -> None:
    other = _client(prefix)
    argv = [sys.executable, "-c", _HOLDER, redis_or_skip(), prefix]
    with subprocess.Popen(argv, stdout=subprocess.PIPE) as proc:
        try:
            assert proc.stdout is not None and proc.stdout.readline().strip() == b"held"
            time.sleep(4.0)  # past its first lease: still held because the process renews it
            assert not other.acquire("channels:t", "next", 1, 3.0, time.time())
        finally:
            proc.send_signal(signal.SIGKILL)  # no release, no goodbye
            proc.wait()
    assert not other.acquire("channels:t", "next", 1, 3.0, time.time())  # the lease runs on
    deadline = time.monotonic() + 6.0
    while not other.acquire("channels:t", "next", 1, 3.0, time.time()):
        assert time.monotonic() < deadline, "the killed process's channel never came back"
        time.sleep(0.1)


def test_a_dialler_on_a_real_carrier_with_redis_counts_its_trunks_channels_there(
    prefix: str,
) -> None:
    from types import SimpleNamespace

    from lexdial.bootstrap.dialer import make_dialer

    trunk = f"main-{uuid.uuid4().hex[:8]}"  # the default prefix: a trunk of this test's own
    settings = SimpleNamespace(telephony=SimpleNamespace(carrier="sip", trunk=trunk))
    store = SimpleNamespace(
        unit_of_work=None, rules=None, cipher=None, audit=None, registry=None, firm_id=1,
        settings=settings,
    )  # fmt: skip
    carrier = SimpleNamespace(cps=5.0, channels=30)  # the trunk's settings
    env = {"LEXDIAL_REDIS_URL": redis_or_skip()}
    lines = make_dialer(store, carrier, lambda: None, environ=env).lines  # type: ignore[arg-type]
    assert lines is not None and lines.limit == 30
    assert lines.key == f"channels:sip:{trunk}"  # beside the trunk's CPS bucket, cps:sip:…

    async def go() -> int:
        assert await lines.take()
        held = _client("lexdial:limits:").held(lines.key, time.time())
        await lines.close()
        return held

    assert asyncio.run(go()) == 1  # held in the shared Redis, under lexdial:limits:
    assert _client("lexdial:limits:").held(lines.key, time.time()) == 0
