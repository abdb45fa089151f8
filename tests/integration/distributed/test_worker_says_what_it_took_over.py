"""A dial worker says on stderr which campaign it took and what a stopped worker left.

Whoever restarts a worker after a crash (the IT person, or systemd) reads there that the
campaign was taken over and how many calls the dead worker had up, now closed as failed
(interrupted, never retried) -- the same number the store holds. Real processes:
PostgreSQL, Redis and ``lexdial worker`` (``conftest.Cluster``).
"""

from __future__ import annotations

import re
import time

import pytest
from tests.integration.distributed.conftest import Cluster, start
from tests.integration.distributed.test_cluster import _interrupted

pytestmark = pytest.mark.integration


def test_a_worker_taking_over_a_killed_workers_campaign_says_so_with_the_calls_it_closed(
    cluster: Cluster,
) -> None:
    n = 600
    cid, _ = cluster.campaign(n, channels=200)
    cluster.worker("w1", "--concurrency", "1")
    start(cluster.store, cid)
    deadline = time.monotonic() + 60
    while cluster.counts(cid).get("done", 0) < 100:  # dialling, mid-campaign
        assert time.monotonic() < deadline, cluster.log("w1")
        time.sleep(0.1)
    assert f"lexdial worker: campaign {cid}: dialling here (lease taken)\n" in cluster.log("w1")
    cluster.kill("w1")  # SIGKILL mid-call: its lease runs out, its calls stay "dialing"
    up = cluster.counts(cid).get("dialing", 0)
    assert up > 0  # really mid-call
    cluster.worker("w2")  # the worker restarted
    cluster.wait_done(cid, timeout=120)
    closed = _interrupted(cluster, cid)
    assert closed == up
    log = cluster.log("w2")
    said = re.search(
        rf"lexdial worker: campaign {cid}: dialling here \(lease taken\); (\d+) call\(s\) a "
        r"stopped process left open closed as failed \(interrupted: never retried",
        log,
    )
    assert said is not None, log
    assert int(said.group(1)) == closed
    deadline = time.monotonic() + 30  # the run ends when nothing is left to dial
    while f"campaign {cid}: stopped dialling here" not in cluster.log("w2"):
        assert time.monotonic() < deadline, cluster.log("w2")
        time.sleep(0.2)
    cluster.assert_no_errors()
