"""The distributed mode as deployed: `lexdial worker` and `lexdial serve` processes over one
PostgreSQL database and a Redis broker (processes started with subprocess).

- two workers and two API processes dial a 5 000-contact campaign: nobody dialled twice,
  no call outside its window, the audit chain verifies;
- a worker SIGKILLed mid-campaign while holding the campaign's lease: another worker takes
  over when the lease runs out, the interrupted calls are closed as failed (never retried),
  nothing lost, nothing duplicated;
- an opt-out storm through both API processes while the workers dial: no attempt is allowed
  for a number after its opt-out answered 200.
"""

from __future__ import annotations

import json
import os
import random
import threading
import time
import urllib.request
from collections import Counter
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from tests.integration.distributed.conftest import Cluster, attempts, start

from lexdial.service import contacts

pytestmark = pytest.mark.integration

#: the CI sizes; scripts/reliability.sh runs them larger (LEXDIAL_DIST_LONG=1)
LONG = os.environ.get("LEXDIAL_DIST_LONG") == "1"
BIG = 20_000 if LONG else 5_000
STORM = 5_000 if LONG else 1_000


def _post(
    base: str, path: str, token: str, body: dict[str, Any] | None = None, wait: float = 30
) -> Any:
    req = urllib.request.Request(
        base + path,
        data=json.dumps(body or {}).encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(req, timeout=wait) as r:
        assert r.status in (200, 201), r.status
        return json.loads(r.read())


def _once_each_inside_window(cluster: Cluster, cid: int, n: int) -> list[Any]:
    rows = attempts(cluster.store, cid)
    per_contact = Counter(r.contact_id for r in rows)
    assert len(per_contact) == n
    assert max(per_contact.values()) == 1, "a contact was gated twice"
    zone = ZoneInfo(cluster.zone[2])
    now = cluster.clock()
    for r in rows:
        # on the sandbox's clock (the one every worker dials by), not the wall clock
        assert cluster.started <= r.at <= now, (r, cluster.started, now)
        local = r.at.astimezone(zone)
        assert "08:30" <= f"{local:%H:%M}" < "20:30", r
    with cluster.store.reading() as uow:
        assert uow.reports.verify_audit().ok
    return rows


def test_two_workers_and_two_api_processes_dial_a_big_campaign_once_per_contact(
    cluster: Cluster,
) -> None:
    cid, _ = cluster.campaign(BIG, channels=1000)
    cluster.worker("w1")
    cluster.worker("w2")
    api1 = cluster.serve("api1", 18731)
    cluster.serve("api2", 18732)
    t0 = time.monotonic()  # the start includes the campaign's lint over every contact
    assert _post(api1, f"/v1/campaigns/{cid}/start", cluster.token, wait=300)["status"] == "running"
    counts = cluster.wait_done(cid, timeout=1800 if LONG else 480)
    took = time.monotonic() - t0
    rows = _once_each_inside_window(cluster, cid, BIG)
    assert counts.get("done", 0) + counts.get("blocked", 0) == BIG, counts
    assert all(r.verdict == "allow" for r in rows)
    cluster.assert_no_errors()
    print(f"\n{BIG} contacts dialled in {took:.1f} s ({BIG / took:.0f} calls/s)")


def test_a_killed_lease_holder_is_replaced_and_nothing_is_lost_or_dialled_twice(
    cluster: Cluster,
) -> None:
    n = 1_500
    cid, _ = cluster.campaign(n, channels=200)
    cluster.worker("w1", "--concurrency", "1")
    start(cluster.store, cid)
    deadline = time.monotonic() + 60
    while cluster.counts(cid).get("done", 0) < 200:  # dialling, mid-campaign
        assert time.monotonic() < deadline, cluster.log("w1")
        time.sleep(0.1)
    cluster.worker("w2")  # standing by: the lease is held, its supervisor enqueues nothing
    time.sleep(1.0)
    cluster.kill("w1")  # SIGKILL the holder mid-call: its lease is left to run out
    left = cluster.counts(cid)
    assert left.get("pending", 0) > 0, left  # really mid-campaign
    cluster.worker("w1b")  # the killed worker restarted
    counts = cluster.wait_done(cid, timeout=120)
    rows = _once_each_inside_window(cluster, cid, n)
    assert counts.get("done", 0) == n, counts
    interrupted = _interrupted(cluster, cid)
    # the calls up when w1 died are closed as failed, never retried (not dialled twice)
    assert interrupted == left.get("dialing", 0)
    assert len(rows) == n
    cluster.assert_no_errors()


def test_an_opt_out_storm_through_both_api_processes_stops_every_later_dial(
    cluster: Cluster,
) -> None:
    n = max(4_000, STORM + 2_000)
    cid, numbers = cluster.campaign(n, channels=300)
    cluster.worker("w1")
    cluster.worker("w2")
    apis = [cluster.serve("api1", 18741), cluster.serve("api2", 18742)]
    answered: dict[str, datetime] = {}
    lock = threading.Lock()
    taken: set[int] = set()

    def front() -> int:  # contacts are dialled in the order they were listed (by id)
        c = cluster.counts(cid)
        return c.get("done", 0) + c.get("dialing", 0) + c.get("cancelled", 0)

    def storm(count: int, seed: int) -> None:
        r = random.Random(seed)
        for k in range(count):
            if k % 10 == 0:
                ahead = front()
            with lock:  # a number just ahead of the dialling front: a real race
                free = [i for i in range(ahead, min(n, ahead + 30)) if i not in taken]
                i = r.choice(free) if free else r.choice([j for j in range(n) if j not in taken])
                taken.add(i)
            num = numbers[i]
            time.sleep(r.uniform(0, 0.05))  # about the dialling's pace, at random instants
            _post(r.choice(apis), "/v1/optouts", cluster.token, {"number": num, "channel": "api"})
            at = cluster.clock()  # the 200 came back: the opt-out committed before this
            with lock:
                answered[num] = at

    _post(apis[0], f"/v1/campaigns/{cid}/start", cluster.token, wait=300)
    while front() < 20:  # the workers are dialling
        time.sleep(0.2)
    threads = [threading.Thread(target=storm, args=(STORM // 4, i)) for i in range(4)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(600)
    chosen = list(answered)
    assert len(answered) == STORM
    cluster.wait_done(cid, timeout=1800 if LONG else 480)  # a loaded CI machine is slow
    s = cluster.store
    index = {contacts.number_index(s.cipher, num): num for num in chosen}
    rows = attempts(s, cid)
    late = [
        r
        for r in rows
        if r.number_bidx in index and r.verdict == "allow" and r.at > answered[index[r.number_bidx]]
    ]
    assert late == [], f"{len(late)} attempts allowed after the number's opt-out committed"
    raced = sum(1 for r in rows if r.number_bidx in index)
    cancelled = cluster.counts(cid).get("cancelled", 0)
    print(f"\nopt-outs: {STORM}; dialled before theirs: {raced}; cancelled: {cancelled}")
    assert cancelled > 0 and raced > 0  # the storm really raced the dialling
    cluster.assert_no_errors()  # no deadlock between an opt-out and a gate
    with s.reading() as uow:
        assert uow.reports.verify_audit().ok


def _interrupted(cluster: Cluster, cid: int) -> int:
    from sqlalchemy import func, select

    from lexdial.adapters.db import tables as t

    a, o = t.call_attempts.c, t.call_outcomes.c
    with cluster.store.db.connect() as conn:
        return int(
            conn.execute(
                select(func.count())
                .select_from(t.call_outcomes.join(t.call_attempts, a.id == o.attempt_id))
                .where(a.campaign_id == cid, o.detail.like("interrupted%"))
            ).scalar_one()
        )


def test_a_campaign_started_through_the_api_reaches_a_worker_over_rabbitmq(
    cluster: Cluster,
) -> None:
    """RabbitMQ as the broker; the worker's supervisor is off, so only the API's message
    (serve → broker → worker) can start the dialling."""
    import re
    import socket
    from pathlib import Path

    amqp = os.environ.get("LEXDIAL_TEST_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672//")
    try:
        socket.create_connection(("127.0.0.1", 5672), timeout=2).close()
    except OSError as exc:
        if os.environ.get("CI"):
            pytest.fail(f"RabbitMQ not reachable ({exc})")
        pytest.skip(f"RabbitMQ not reachable ({exc})")
    path = Path(cluster.env["LEXDIAL_SETTINGS"])
    settings = path.read_text("utf-8")
    path.write_text(re.sub(r'broker_url = "[^"]*"', f'broker_url = "{amqp}"', settings), "utf-8")
    queue = re.search(r'queue = "([^"]*)"', settings).group(1)  # type: ignore[union-attr]
    n = 300
    cid, _ = cluster.campaign(n)
    try:
        cluster.worker("w1", "--no-supervisor")
        api = cluster.serve("api1", 18751)
        assert _post(api, f"/v1/campaigns/{cid}/start", cluster.token, wait=120)["status"] == (
            "running"
        )
        counts = cluster.wait_done(cid, timeout=180)
        assert counts.get("done", 0) == n, counts
        _once_each_inside_window(cluster, cid, n)
        cluster.assert_no_errors()
    finally:
        cluster.stop_all()
        from kombu import Connection

        with Connection(amqp) as conn:
            conn.default_channel.queue_delete(queue)
