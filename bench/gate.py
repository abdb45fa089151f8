"""Benchmark of the durable dial-time gate: gates per second and latency, per store.

What is measured
    One durable gate is what the dialler does per contact before any dial: open a write
    transaction (``Store.unit_of_work``), lock the contact's row, build the contract-v1
    request from the store (contact, number, consents, suppression, reassigned check,
    61 days of history), decide, record the attempt with its decision, append the
    hash-chained audit entry (``SqlAudit``), commit. Timed per gate (p50, p99) and as a
    rate over the whole pass, in one process and one thread, on:
      - SQLite, the embedded file store (WAL, ``BEGIN IMMEDIATE``), in a temporary directory,
        twice: ``synchronous=FULL`` (the default: a commit is fsynced) and ``NORMAL`` (the
        durability trade of ``database.make_engine``'s rule 2: fsync at checkpoints only);
      - PostgreSQL at ``--pg-url`` (default the test server), in a fresh database created
        for the run and dropped after it (other users of the server are not touched).

Against what
    The engine alone, in the same run, on the same requests: each gate's request is built
    just before that gate (untimed, from the same state), then
    ``Engine.decide(parse_request(raw), digest=request_digest(raw))`` is timed on them.
    The ratio gate / engine says how many decisions one durable gate costs (the storage
    overhead), which is steadier across machines than raw milliseconds. Issue 15 item 6
    asks for p99 < 5 ms and >= 1 000 gates/s on PostgreSQL, >= 2 000 gates/s on SQLite.
    The floor, in the same run on the same database: a bare INSERT of one attempt-sized row
    and its COMMIT, as a rate (what the disk and the server allow one writer at best); the
    ratio floor / gate says how far above that floor a gate is.

The data
    ``--contacts`` contacts (default 200) of firm 1, each with one Ohio number and an
    express consent to reminders; ``--n`` gates (default 2 000) of prerecorded reminders
    go round the contacts at instants one minute apart from a weekday 11:00 New York time,
    so each contact's history grows as in a campaign (later gates see earlier calls and
    some are deferred or denied by the frequency caps: the verdict mix is printed).

Group commit (``--concurrency 1,8,32``)
    After the sequential pass, on the same store, the next ``--n`` gates are submitted by
    C concurrent callers (coroutines, as the dialler's gate tasks) through the dialler's
    ``StoreThread`` and ``GateBatcher`` (``service.gate_batch``): the gates waiting
    together run in one transaction (no savepoint: a failure rolls the batch back and
    its gates run alone), their audit entries appended in one write, one commit. Timed
    per gate from submit to its committed answer (p50, p99), as a rate over the pass,
    with the mean batch size and the ratio to the floor
    (gate rate / floor rate: above 1 only because commits are shared). C = 1 is the
    batcher with nothing to batch (its overhead against the sequential pass).

Paced (``--rate 500,1000``)
    Closed-loop callers say nothing of a gate's latency at a given rate: C callers at R
    gates/s wait C/R on average whatever the store does (Little's law: 16 callers at
    1 000/s are 16 ms each). So the next ``--n`` gates also arrive at R per second, open
    loop (Poisson arrivals drawn beforehand, each submitted at its instant through the
    same ``StoreThread`` and ``GateBatcher`` whether or not earlier ones have answered),
    and each is timed from its submit to its committed answer: p50, p99 and the maximum at
    that rate (and, apart, how late the loop submitted it: a timer's rounding to the
    millisecond is the benchmark's, not the store's), the rate achieved (below R when the
    process cannot keep up, and then the queue, and every latency, grows for the whole
    pass), the mean batch size and the CPU per gate. Issue 15's "p99 < 5 ms and >= 1 000
    gates/s in one worker process" is this pass at R = 1 000.

Scaling (``--workers 1,2,4``)
    The same gates shared among that many processes on one PostgreSQL database, each with
    its own connection, all appending to the one audit chain: total gates/s per count,
    one gate at a time per process and then with the largest ``--concurrency`` callers
    per process through its batcher.

Run: ``python bench/gate.py [--n 2000] [--contacts 200] [--pg-url URL | --no-pg]
[--no-normal] [--concurrency 1,8,32] [--rate 500,1000] [--workers 1,2,4]``. Exit status is 0
whatever the figures (this is a benchmark, not a test).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, insert, text

from lexdial.adapters.audit.sql import SqlAudit
from lexdial.adapters.crypto import Keyring
from lexdial.adapters.db import tables as t
from lexdial.adapters.db.database import make_engine, migrate
from lexdial.adapters.db.uow import SqlUnitOfWork, transactions
from lexdial.adapters.geodata import load_geography
from lexdial.adapters.rulepack import load_pack
from lexdial.domain.digest import request_digest
from lexdial.domain.request_parse import parse_request
from lexdial.rules.context import Policy
from lexdial.rules.engine import Engine as RulesEngine
from lexdial.service.consent import ConsentEvidence, NewConsent, record_consent
from lexdial.service.contacts import NewContact, add_contact
from lexdial.service.fakes import ListAudit, MemoryRegistry
from lexdial.service.gate import CallPlan, GateResult, gate
from lexdial.service.gate_batch import GateBatcher, GateCall
from lexdial.service.gate_request import build_request
from lexdial.service.store_thread import StoreThread
from lexdial.service.users import OPERATOR

START = datetime(2026, 12, 2, 16, 0, tzinfo=UTC)  # Wed 11:00 in New York
FIRM = "Hartwell & Ruiz LLP"
PLAN = CallPlan(purpose="reminder", technology="prerecorded")
PG_URL = os.environ.get("LEXDIAL_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def _seed(engine: Engine, cipher: Keyring, n: int) -> list[int]:
    migrate(engine)
    ids = []
    with engine.begin() as conn:
        uow = SqlUnitOfWork(conn)
        conn.execute(insert(t.firms).values(id=1, name=FIRM, created_at=START))
        if engine.dialect.name == "postgresql":  # an explicit id does not move the sequence
            conn.execute(text("SELECT setval(pg_get_serial_sequence('firms', 'id'), 1)"))
        for i in range(n):
            number = f"+1 614 555 {i:04d}"
            contact = NewContact(
                numbers=((number, "wireless"),),
                relationship="current_client",
                address={"country": "US", "state": "OH"},
            )
            ids.append(
                add_contact(uow, cipher, 1, contact, START, audit=ListAudit(), caller=OPERATOR)
            )
            consent = NewConsent(
                number=number, kind="express", scope=["reminder"], sellers=[FIRM],
                given_at=START - timedelta(days=9),
                evidence=ConsentEvidence("engagement letter", "I agree.", "v1", "staff"),
            )  # fmt: skip
            record_consent(uow, cipher, ListAudit(), 1, consent, OPERATOR, START)
    return ids


def _registry() -> MemoryRegistry:
    return MemoryRegistry(
        lists={"us-national": set()}, snapshots={"us-national": date(2026, 11, 25)}
    )


def _run(
    begin: Callable[[], AbstractContextManager[SqlUnitOfWork]],
    rules: RulesEngine,
    cipher: Keyring,
    ids: list[int],
    n: int,
) -> tuple[list[float], Counter[str], list[dict[str, Any]]]:
    """Gate ``n`` times; per-gate seconds, the verdicts, and the request each gate judged
    (built, untimed, just before its gate from the same state, for the baseline)."""
    audit, registry = SqlAudit(), _registry()
    laps: list[float] = []
    verdicts: Counter[str] = Counter()
    requests = []
    cpu = 0.0
    for i in range(n):
        at, contact = START + timedelta(minutes=i), ids[i % len(ids)]
        with begin() as uow:
            raw, _, _ = build_request(
                uow, cipher, registry, firm_id=1, contact_id=contact, at=at,
                campaign_id=None, plan=PLAN,
            )  # fmt: skip
        requests.append(raw)
        t0, c0 = time.perf_counter(), time.process_time()
        with begin() as uow:
            result = gate(
                uow, rules, cipher, audit, registry, firm_id=1, contact_id=contact, at=at,
                plan=PLAN,
            )  # fmt: skip
        laps.append(time.perf_counter() - t0)
        cpu += time.process_time() - c0
        verdicts[result.decision.verdict] += 1
    verdicts["_cpu_us"] = round(cpu / n * 1e6)  # this process's CPU per gate (steadier)
    return laps, verdicts, requests


def _engine_alone(rules: RulesEngine, requests: list[dict[str, Any]]) -> list[float]:
    laps = []
    for raw in requests:
        t0 = time.perf_counter()
        rules.decide(parse_request(raw), digest=request_digest(raw))
        laps.append(time.perf_counter() - t0)
    return laps


def _pct(laps: list[float], q: float) -> float:
    return (
        statistics.quantiles(laps, n=100, method="inclusive")[int(q) - 1]
        if len(laps) > 1
        else laps[0]
    )


def _report(name: str, laps: list[float], base: list[float], verdicts: Counter[str]) -> None:
    rate, base_rate = len(laps) / sum(laps), len(base) / sum(base)
    p50, p99 = _pct(laps, 50), _pct(laps, 99)
    b50, b99 = _pct(base, 50), _pct(base, 99)
    cpu = verdicts.pop("_cpu_us", 0)
    mix = ", ".join(f"{v} {c}" for v, c in sorted(verdicts.items()))
    ms = "p50 {:6.2f} ms  p99 {:6.2f} ms"
    print(f"{name:<11} gate   {rate:8.0f} /s  {ms.format(p50 * 1e3, p99 * 1e3)}  ({mix})")
    print(f"{'':<11} client CPU per gate {cpu / 1e3:.2f} ms (the rest is waiting: disk, server)")
    print(f"{'':<11} engine {base_rate:8.0f} /s  {ms.format(b50 * 1e3, b99 * 1e3)}")
    ratios = f"{base_rate / rate:5.1f}x mean, {p50 / b50:5.1f}x p50, {p99 / b99:5.1f}x p99"
    print(f"{'':<11} gate/engine: {ratios}")


def _gate_calls(
    rules: RulesEngine, cipher: Keyring
) -> Callable[[int, datetime], GateCall[GateResult]]:
    """Makes each gate's job as the dialler submits it: a ``GateCall`` (contact and
    instant known before it runs), which a batch reads ahead for (gate_batch rule 6)."""
    registry = _registry()

    def job(contact: int, at: datetime) -> GateCall[GateResult]:
        def run(uow: Any, audit: Any) -> GateResult:
            return gate(uow, rules, cipher, audit, registry, firm_id=1, contact_id=contact,
                        at=at, plan=PLAN)  # fmt: skip

        return GateCall(contact, at, run)

    return job


def _batched(
    begin: Callable[[], AbstractContextManager[SqlUnitOfWork]],
    rules: RulesEngine,
    cipher: Keyring,
    gates: list[tuple[int, datetime]],
    concurrency: int,
) -> tuple[list[float], float, float, GateBatcher]:
    """``gates`` (contact, instant) submitted by ``concurrency`` callers through one
    ``StoreThread`` and its ``GateBatcher``: per-gate seconds (submit to committed answer),
    the wall seconds of the pass, this process's CPU seconds, and the batcher."""
    batcher = GateBatcher(begin, SqlAudit())
    job = _gate_calls(rules, cipher)
    laps: list[float] = []

    async def main() -> float:
        store = StoreThread(batcher=batcher)
        todo = iter(gates)  # shared: each gate is submitted once, by whichever caller is free

        async def caller() -> None:
            for contact, at in todo:
                t0 = time.perf_counter()
                await store.batched(job(contact, at))
                laps.append(time.perf_counter() - t0)

        t0 = time.perf_counter()
        await asyncio.gather(*(caller() for _ in range(concurrency)))
        wall = time.perf_counter() - t0
        store.close()
        return wall

    c0 = time.process_time()
    wall = asyncio.run(main())
    return laps, wall, time.process_time() - c0, batcher


def _paced(
    begin: Callable[[], AbstractContextManager[SqlUnitOfWork]],
    rules: RulesEngine,
    cipher: Keyring,
    gates: list[tuple[int, datetime]],
    rate: float,
    seed: int = 15,
) -> tuple[list[float], list[float], float, float, GateBatcher]:
    """``gates`` arriving at ``rate`` per second (an open loop: Poisson arrivals on a fixed
    schedule drawn beforehand, as contacts become due in a busy campaign, each submitted
    at its instant whether or not earlier ones have answered), through one ``StoreThread``
    and its ``GateBatcher``: per-gate seconds from its submit to its committed answer, how
    late each was submitted (the loop's timers wake in whole milliseconds, and the loop
    shares the process with the store thread), the wall seconds, this process's CPU
    seconds and the batcher."""
    import random

    batcher = GateBatcher(begin, SqlAudit())
    job = _gate_calls(rules, cipher)
    draw = random.Random(seed)
    arrivals, t = [], 0.0
    for _ in gates:
        t += draw.expovariate(rate)
        arrivals.append(t)
    laps: list[float] = []
    late: list[float] = []  # how late the loop submitted each gate (its timers, its work)

    async def main() -> float:
        store = StoreThread(batcher=batcher)
        loop = asyncio.get_running_loop()

        async def one(due: float, contact: int, at: datetime) -> None:
            submitted = loop.time()
            late.append(submitted - due)
            await store.batched(job(contact, at))
            laps.append(loop.time() - submitted)

        t0 = loop.time()
        tasks = []
        for offset, (contact, at) in zip(arrivals, gates, strict=True):
            due = t0 + offset
            if due > loop.time():
                await asyncio.sleep(due - loop.time())
            tasks.append(asyncio.ensure_future(one(due, contact, at)))
        await asyncio.gather(*tasks)
        wall = loop.time() - t0
        store.close()
        return wall

    c0 = time.process_time()
    wall = asyncio.run(main())
    return laps, late, wall, time.process_time() - c0, batcher


def _report_paced(
    rate: float, laps: list[float], late: list[float], wall: float, cpu: float, b: GateBatcher
) -> None:
    n = len(laps)
    p50, p99 = _pct(laps, 50) * 1e3, _pct(laps, 99) * 1e3
    size = (n - b.alone) / b.batches if b.batches else 1.0
    print(
        f"{'':<11} paced {rate:5.0f}/s {n / wall:7.0f} /s"
        f"  p50 {p50:6.2f} ms  p99 {p99:6.2f} ms  max {max(laps) * 1e3:6.1f} ms"
        f"  batch {size:4.1f}  CPU/gate {cpu / n * 1e3:.2f} ms"
    )
    l50, l99 = _pct(late, 50) * 1e3, _pct(late, 99) * 1e3
    print(f"{'':<11}   (submitted late by p50 {l50:.2f} ms, p99 {l99:.2f} ms: the loop's timers)")


def _report_batched(
    name: str, c: int, laps: list[float], wall: float, cpu: float, b: GateBatcher, floor: float
) -> None:
    rate, n = len(laps) / wall, len(laps)
    p50, p99 = _pct(laps, 50) * 1e3, _pct(laps, 99) * 1e3
    size = (n - b.alone) / b.batches if b.batches else 1.0
    print(
        f"{'':<11} batch C={c:<3} {rate:7.0f} /s  p50 {p50:6.2f} ms  p99 {p99:6.2f} ms"
        f"  batch {size:4.1f}  CPU/gate {cpu / n * 1e3:.2f} ms  gate/floor {rate / floor:4.2f}x"
    )


def _floor(engine: Engine, n: int) -> list[float]:
    """Seconds per bare INSERT + COMMIT of one row shaped like an attempt, on ``engine``."""
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE bench_floor (id INTEGER PRIMARY KEY, body TEXT)"))
    row = {"body": "x" * 600}  # about an attempt's decision JSON
    laps = []
    for i in range(n):
        t0 = time.perf_counter()
        with engine.begin() as conn:
            conn.execute(
                text("INSERT INTO bench_floor (id, body) VALUES (:id, :body)"), {"id": i, **row}
            )
        laps.append(time.perf_counter() - t0)
    return laps


def _worker(
    url: str,
    key: bytes,
    rules: RulesEngine,
    ids: list[int],
    n: int,
    w: int,
    workers: int,
    concurrency: int,
    start: Any,
    done: Any,
) -> None:
    """One gating process of the scaling run: its share of the gates, its own connection;
    one at a time (``concurrency`` 0) or by that many callers through its batcher."""
    engine = make_engine(url)
    begin, cipher = transactions(engine), Keyring.from_master_key(key)
    audit, registry = SqlAudit(), _registry()
    mine = [i for i in range(n) if i % workers == w]
    with begin() as uow:  # connect and warm the statement caches before the clock starts
        gate(uow, rules, cipher, audit, registry, firm_id=1, contact_id=ids[w],
             at=START - timedelta(days=1, minutes=w), plan=PLAN)  # fmt: skip
    start.wait()
    if concurrency:
        gates = [(ids[i % len(ids)], START + timedelta(minutes=i)) for i in mine]
        _batched(begin, rules, cipher, gates, concurrency)
    else:
        for i in mine:
            with begin() as uow:
                gate(uow, rules, cipher, audit, registry, firm_id=1,
                     contact_id=ids[i % len(ids)], at=START + timedelta(minutes=i),
                     plan=PLAN)  # fmt: skip
    engine.dispose()
    done.put(len(mine))


def _scaling(name: str, url: str, rules: RulesEngine, args: argparse.Namespace) -> None:
    """Gates/s with 1, 2, 4... processes on one database (every gate appends to the one
    audit chain under its lock): how the durable gate scales with dial workers."""
    import multiprocessing as mp

    ctx = mp.get_context("fork")  # the workers share the loaded rule pack
    batched = max(args.concurrency, default=0)
    for concurrency in (0, batched) if batched > 1 else (0,):
        how = f"{concurrency} callers each, batched" if concurrency else "one gate at a time"
        for workers in args.workers:
            engine = make_engine(url)
            key = os.urandom(32)
            ids = _seed(engine, Keyring.from_master_key(key), args.contacts)
            engine.dispose()
            start, done = ctx.Barrier(workers + 1), ctx.Queue()
            procs = [
                ctx.Process(
                    target=_worker,
                    args=(url, key, rules, ids, args.n, w, workers, concurrency, start, done),
                )
                for w in range(workers)
            ]
            for p in procs:
                p.start()
            start.wait()
            t0 = time.perf_counter()
            total = sum(done.get(timeout=600) for _ in procs)
            wall = time.perf_counter() - t0
            for p in procs:
                p.join()
            print(
                f"{name:<11} {workers} worker(s), {how}: {total / wall:8.0f} gates/s"
                f" ({total} gates)"
            )
            _reset(url)


def _reset(url: str) -> None:
    """Empty the scaling run's database for the next worker count."""
    engine = create_engine(url)
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    engine.dispose()


def _bench(name: str, engine: Engine, rules: RulesEngine, args: argparse.Namespace) -> None:
    cipher = Keyring.from_master_key(os.urandom(32))
    ids = _seed(engine, cipher, args.contacts)
    begin = transactions(engine)
    _run(begin, rules, cipher, ids, min(50, args.n))  # warm-up: caches, plans, connection pool
    laps, verdicts, requests = _run(begin, rules, cipher, ids, args.n)
    _engine_alone(rules, requests[:50])
    _report(name, laps, _engine_alone(rules, requests), verdicts)
    floor = _floor(engine, min(args.n, 500))
    rate, floor_rate = len(laps) / sum(laps), len(floor) / sum(floor)
    fp50, fp99 = _pct(floor, 50) * 1e3, _pct(floor, 99) * 1e3
    print(
        f"{'':<11} floor  {floor_rate:8.0f} /s  p50 {fp50:6.2f} ms  p99 {fp99:6.2f} ms"
        f"  (INSERT+COMMIT; floor/gate {floor_rate / rate:4.1f}x)"
    )
    offset = args.n  # the batched passes go on from where the sequential one ended
    for c in args.concurrency:
        gates = [
            (ids[i % len(ids)], START + timedelta(minutes=i))
            for i in range(offset, offset + args.n)
        ]
        offset += args.n
        laps_b, wall, cpu, batcher = _batched(begin, rules, cipher, gates, c)
        _report_batched(name, c, laps_b, wall, cpu, batcher, floor_rate)
    for r in args.rate:
        gates = [
            (ids[i % len(ids)], START + timedelta(minutes=i))
            for i in range(offset, offset + args.n)
        ]
        offset += args.n
        laps_p, late, wall, cpu, batcher = _paced(begin, rules, cipher, gates, r)
        _report_paced(r, laps_p, late, wall, cpu, batcher)


@contextmanager
def _pg_database(url: str) -> Iterator[str]:
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    name = f"lexdial_bench_{uuid.uuid4().hex[:10]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield f"{url.rsplit('/', 1)[0]}/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=2000, help="timed gates per store")
    ap.add_argument("--contacts", type=int, default=200)
    ap.add_argument("--pg-url", default=PG_URL, help="an admin URL; a fresh database is made")
    ap.add_argument("--no-pg", action="store_true", help="SQLite only")
    ap.add_argument("--no-normal", action="store_true", help="SQLite with synchronous=FULL only")
    ap.add_argument(
        "--workers", type=lambda v: [int(x) for x in v.split(",")], default=[],
        help="also gate from this many processes on PostgreSQL, e.g. 1,2,4",
    )  # fmt: skip
    ap.add_argument(
        "--concurrency", type=lambda v: [int(x) for x in v.split(",") if x], default=[1, 8, 32],
        help="batched passes: this many concurrent callers each ('' for none)",
    )  # fmt: skip
    ap.add_argument(
        "--rate", type=lambda v: [float(x) for x in v.split(",") if x], default=[500, 1000],
        help="paced passes: gates arriving at this many per second ('' for none)",
    )  # fmt: skip
    args = ap.parse_args(argv)
    rules = RulesEngine(pack=load_pack(), geo=load_geography(), policy=Policy())
    print(f"{args.n} durable gates over {args.contacts} contacts, one process, one thread")
    for sync in ("FULL", "NORMAL") if not args.no_normal else ("FULL",):
        with tempfile.TemporaryDirectory(prefix="lexdial-bench-gate-") as tmp:
            path = Path(tmp) / "store.sqlite3"
            url = f"sqlite:///{path}"
            engine = (
                make_engine(url, sqlite_synchronous=sync) if sync != "FULL" else make_engine(url)
            )
            try:
                _bench(f"sqlite/{sync.lower()}", engine, rules, args)
            finally:
                engine.dispose()
    if not args.no_pg:
        with _pg_database(args.pg_url) as url:
            engine = make_engine(url)
            try:
                _bench("postgresql", engine, rules, args)
            finally:
                engine.dispose()
        if args.workers:
            with _pg_database(args.pg_url) as url:
                _scaling("postgresql", url, rules, args)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
