"""Calls placed per second, embedded (SQLite, one process) vs distributed (PostgreSQL, two
Celery dial workers over Redis), in the same run; the top costs of a dial worker from a
profile; and an opt-out's latency through the API while the workers dial (its effect —
the do-not-call entry and every queued attempt cancelled — commits before the 200).

Both modes dial the same sandbox campaign on the simulated carrier (calls 50 times faster
than life), so the figure is the dialler's own cost: gates, the queue, outcomes.

    PYTHONPATH=src python bench/distributed.py                 # 1 000 contacts
    PYTHONPATH=src python bench/distributed.py --contacts 5000

Needs PostgreSQL (``$LEXDIAL_TEST_PG_URL``, default 127.0.0.1:5432/test) and Redis
(``$LEXDIAL_TEST_BROKER_URL``, default db 15), like ``tests/integration/distributed``,
whose cluster helpers it reuses.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import pstats
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the tests' cluster helpers

from sqlalchemy import create_engine, func, select, text
from tests.integration.conftest import PG_ADMIN
from tests.integration.distributed.conftest import (
    ZONE,
    Cluster,
    make_store,
    start,
    start_instant,
    write_settings,
)
from tests.integration.distributed.test_cluster import _post

from lexdial.adapters.db import tables as t
from lexdial.bootstrap import Store, init_store, mark_sandbox
from lexdial.bootstrap.distributed import run_campaign
from lexdial.bootstrap.sandbox_clock import store_clock
from lexdial.config import load_settings

SCALE = 0.02


def rate(store: Store, cid: int, wall_s: float) -> float:
    """Attempts gated per wall second of the run (the attempts' own instants are the sandbox
    clock's, which a rehearsal may run faster than the wall: not a measure of speed)."""
    a = t.call_attempts.c
    with store.db.connect() as conn:
        n = conn.execute(select(func.count()).where(a.campaign_id == cid)).scalar_one()
    return float(n) / max(wall_s, 1e-3)


def sandboxed(store: Store) -> tuple[Callable[[], datetime], datetime]:
    """Make ``store`` a sandbox whose clock starts inside the campaign's calling window
    (as the distributed tests do), so the benchmark runs at any hour of the real day."""
    started = start_instant(datetime.now(UTC).date())
    mark_sandbox(store, started)
    return store_clock(store), started


@contextmanager
def pg_database() -> Iterator[str]:
    import uuid

    name = f"lexdial_bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield f"{PG_ADMIN.rsplit('/', 1)[0]}/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def embedded(root: Path, n: int, zone: tuple[str, str, str]) -> float:
    root.mkdir()
    path = write_settings(root, "unused")
    env = {"LEXDIAL_SETTINGS": str(path), "LEXDIAL_DATA_DIR": str(root / "data")}
    store = init_store(load_settings(path, env), env)
    clock, started = sandboxed(store)
    cluster = Cluster(root, env, store, "", zone, clock=clock, started=started)
    cid, _ = cluster.campaign(n, channels=1000)
    start(store, cid)
    t0 = time.perf_counter()
    run_campaign(store, cid, timescale=SCALE)
    return rate(store, cid, time.perf_counter() - t0)


def profile(root: Path, n: int, zone: tuple[str, str, str]) -> list[str]:
    """The three functions a dial worker spends most of its own time in (PostgreSQL)."""
    with pg_database() as url:
        store, _ = make_store(root, url, "unused")
        clock, started = sandboxed(store)
        cluster = Cluster(root, {}, store, "", zone, clock=clock, started=started)
        cid, _ = cluster.campaign(n, channels=1000)
        start(store, cid)
        # the store's transactions on the loop's thread (offload=False): cProfile sees one
        # thread only, and the worker's costs are in those transactions
        from lexdial.bootstrap import make_dialer, open_telephony

        dialer = make_dialer(store, open_telephony(store.settings, timescale=SCALE),
                             clock, offload=False)  # fmt: skip
        prof = cProfile.Profile()
        prof.enable()
        asyncio.run(dialer.run(cid, until=clock() + timedelta(hours=1)))
        prof.disable()
        store.db.dispose()
    stats = pstats.Stats(prof).sort_stats("tottime")
    waiting = ("poll", "select", "_run_once", "sleep")  # the loop idling, not a cost
    costs = [kv for kv in stats.stats.items() if not any(w in kv[0][2] for w in waiting)]  # type: ignore[attr-defined]
    rows = sorted(costs, key=lambda kv: kv[1][2], reverse=True)[:3]  # type: ignore[attr-defined]
    total = sum(v[2] for _, v in costs)
    return [f"{fn[2]} ({Path(fn[0]).name}:{fn[1]}): {v[2] / total:.0%} busy" for fn, v in rows]


def distributed(root: Path, n: int, zone: tuple[str, str, str]) -> tuple[float, list[float]]:
    import uuid

    from lexdial.service.auth import issue_token
    from lexdial.service.users import OPERATOR, add_user

    with pg_database() as url:
        store, env = make_store(root, url, f"lexdial-bench-{uuid.uuid4().hex[:8]}")
        env = {**env, "PYTHONPATH": str(Path(__file__).resolve().parents[1] / "src")}
        env.pop("LEXDIAL_BROKER_URL", None)
        clock, started = sandboxed(store)
        now = clock()
        with store.unit_of_work() as uow:
            uid = add_user(uow, store.cipher, store.firm_id, "a@firm.test", "A", "admin", now,
                           audit=store.audit, caller=OPERATOR)  # fmt: skip
            token = issue_token(uow, store.audit, uid, "bench", OPERATOR, now).token
        cluster = Cluster(root, env, store, token, zone, clock=clock, started=started)
        cid, numbers = cluster.campaign(n, channels=1000)
        try:
            cluster.worker("w1")
            cluster.worker("w2")
            api = cluster.serve("api", 18791)
            t0 = time.perf_counter()
            _post(api, f"/v1/campaigns/{cid}/start", token, wait=600)
            latencies = []
            for num in numbers[n // 2 :: max(1, n // 200)]:  # opt-outs while dialling
                sent = time.perf_counter()  # not t0: the rate is timed from the start
                _post(api, "/v1/optouts", token, {"number": num, "channel": "api"})
                latencies.append(time.perf_counter() - sent)
            cluster.wait_done(cid, timeout=3600)
            return rate(store, cid, time.perf_counter() - t0), latencies
        finally:
            cluster.stop_all()
            store.db.dispose()


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--contacts", type=int, default=1000)
    args = p.parse_args()
    zone = ZONE
    with tempfile.TemporaryDirectory(prefix="lexdial-bench-") as tmp:
        root = Path(tmp)
        emb = embedded(root / "embedded", args.contacts, zone)
        dist, lat = distributed(root / "distributed", args.contacts, zone)
        top = profile(root / "profile", min(args.contacts, 500), zone)
    lat.sort()
    p99 = lat[min(len(lat) - 1, int(0.99 * len(lat)))]
    print(f"contacts: {args.contacts} (zone {zone[2]}, simulated calls {1 / SCALE:.0f}x)")
    print(f"embedded (SQLite, 1 process):       {emb:8.1f} calls/s")
    print(f"distributed (PostgreSQL, 2 workers): {dist:8.1f} calls/s  ({dist / emb:.2f}x)")
    print(f"opt-out via the API while dialling: p50 {statistics.median(lat) * 1000:.0f} ms, "
          f"p99 {p99 * 1000:.0f} ms over {len(lat)} (effect committed before the 200)")  # fmt: skip
    print("a dial worker's top costs (own time):")
    for line in top:
        print(f"  {line}")


if __name__ == "__main__":
    main()
