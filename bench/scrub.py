"""Benchmark of the do-not-call registry: load from text, then scrub 1 M numbers.

What is measured
    1. Loading the national registry from the text files the FTC ships (one 10-digit
       number per line, one file per area code) with ``lexdial.adapters.registry.loader``:
       parse, check, build the index, write it and fsync it. Numbers per second (best of
       two loads, the second replacing the first; the text read once beforehand, so the
       loader is timed, not the disk) and the loader's peak RSS (it runs in a child
       process, so the figure is its own).
    2. Looking up the same ``--queries`` numbers (default 1 M, about a third of them
       listed, in random order) four ways over the same data:
       - ``RegistryIndex.contains``: what ``lexdial scrub`` does for a batch;
       - the floor: the bare numpy probe of the same memory-mapped index with nothing
         around it (for a bitmap, one byte gather and a shift; for an array,
         ``np.searchsorted``), the memory-latency limit of the structure;
       - ``np.searchsorted`` over a memory-mapped sorted uint64 array of the same numbers
         (what a plain sorted-array index costs);
       - an indexed SQL table (SQLite, ``number INTEGER PRIMARY KEY``, the rowid B-tree)
         queried with ``IN (...)`` batches of 10 000 parameters.
    3. The whole ``scrub`` of a 1 M-row contacts CSV (read, normalise, look up, write the
       verdict file), in a fresh process as ``lexdial scrub`` runs: its first lookup of
       the 1 M numbers (a new mapping of the index, so page faults included), the index
       pages that made resident, and the process's peak RSS.

The data
    ``--size`` numbers (default 250 M, the size of the real registry) spread evenly over
    711 area codes, exchanges 200-999, drawn without replacement with ``--seed``: about
    4 % of the possible numbers of each area code, as in the real registry. The text files
    are generated once with numpy and kept under ``--data-dir`` (default
    ``/tmp/lexdial-bench``; never in the repository): ``ftc-<size>-s<seed>/NPA.txt``.
    The index, the SQLite file and the contacts CSV are rebuilt on every run in
    ``run-<size>/``. Disk needed at 250 M: about 2.75 GB of text, 1 GB of index, 2 GB of
    reference array, 3 GB of SQLite.

The SQL table
    It is filled from the same text files, in area-code order (so every insert appends
    to the B-tree, SQLite's best case), with ``INSERT ... SELECT FROM json_each(?)`` over
    one file at a time, journal and sync off. If that takes longer than ``--sql-budget``
    seconds (default 180) loading stops after the current file and the table holds the
    first area codes only; the same 1 M numbers are still looked up in it. A smaller
    B-tree is only faster, so the ratio printed is then a lower bound.

How
    Each lookup is timed once ("first", the first use of the index in this process) and
    then as the best of ``--repeat`` runs (SQL: one warm-up, then one timed run). The
    results of ``contains``, the floor, the sorted array and SQL are checked against each
    other. The text and the index are in the page cache (just written): this measures
    the structures, not the disk.

Run: ``python bench/scrub.py [--size 250_000_000] [--queries 1_000_000] [--data-dir DIR]``.
Exit status is 0 whatever the figures: this is a benchmark, not a test.
"""

from __future__ import annotations

import argparse
import gc
import json
import multiprocessing as mp
import os
import resource
import shutil
import sqlite3
import sys
import time
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from lexdial.adapters.registry.index import Bitmap, RegistryIndex, open_index
from lexdial.adapters.registry.loader import load_full
from lexdial.adapters.registry.scrub import scrub_csv

TARGET_SQL_RATIO = 100
TARGET_FLOOR_RATIO = 3
TARGET_LOAD_PER_S = 20e6
NPAS = [n for n in range(201, 990) if n % 100 != 11 and n // 10 % 10 != 9]  # 711 codes
LOCAL = 8_000_000  # NXX 200-999 x 10 000 lines
SNAPSHOT = date(2026, 11, 30)
U64 = np.uint64

# --- data ----------------------------------------------------------------------------------


def generate(size: int, seed: int, root: Path) -> Path:
    """FTC-format text files of ``size`` numbers, one file per area code (cached)."""
    out = root / f"ftc-{size}-s{seed}"
    done = out / ".complete"  # hidden: the loader skips it
    if done.is_file():
        return out
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    t0 = time.perf_counter()
    per, extra = divmod(size, len(NPAS))
    for i, npa in enumerate(NPAS):
        rng = np.random.default_rng([seed, npa])
        k = per + (i < extra)
        local = np.sort(rng.choice(LOCAL, size=k, replace=False, shuffle=False))
        (out / f"{npa}.txt").write_bytes(_text(npa, local.astype(np.uint32) + 2_000_000))
    os.sync()  # the load must not compete with this write-back
    done.write_text(json.dumps({"size": size, "seed": seed, "area_codes": len(NPAS)}))
    print(f"generated {size:,} numbers in {time.perf_counter() - t0:.1f} s -> {out}")
    return out


def _text(npa: int, local: npt.NDArray[np.uint32]) -> bytes:
    """Lines ``NPA`` + 7 digits + newline, built as one byte matrix."""
    lines = np.empty((len(local), 11), dtype=np.uint8)
    lines[:, :3] = np.frombuffer(str(npa).encode(), dtype=np.uint8)
    lines[:, 10] = ord("\n")
    rest = local.copy()
    for col in range(9, 2, -1):
        lines[:, col] = (rest % 10).astype(np.uint8) + ord("0")
        rest //= 10
    return lines.tobytes()


def make_queries(text_dir: Path, n: int, seed: int) -> npt.NDArray[np.uint64]:
    """``n`` numbers in random order: a third read from the registry files, the rest drawn
    at random over the same area codes and exchanges (about 4 % of which are listed)."""
    rng = np.random.default_rng(seed + 1)
    listed = n // 3
    picks = []
    for npa in rng.choice(NPAS, size=50, replace=False):
        lines = np.fromfile(text_dir / f"{npa}.txt", dtype=np.uint8).reshape(-1, 11)
        rows = lines[rng.integers(0, len(lines), size=listed // 50 + 1), :10] - ord("0")
        picks.append(rows.astype(U64) @ (U64(10) ** np.arange(9, -1, -1, dtype=U64)))
    known = np.concatenate(picks)[:listed] + U64(10**10)
    npa = rng.choice(NPAS, size=n - listed).astype(U64)
    drawn = U64(10**10) + npa * U64(10**7) + U64(2_000_000)
    drawn += rng.integers(0, LOCAL, size=n - listed).astype(U64)
    queries = np.concatenate([known, drawn])
    rng.shuffle(queries)
    return queries


def write_contacts(path: Path, queries: npt.NDArray[np.uint64], seed: int) -> None:
    """A contacts export: mostly plain numbers, some formatted by hand, a few junk cells."""
    rng = np.random.default_rng(seed + 2)
    style = rng.choice(5, size=len(queries), p=[0.90, 0.05, 0.03, 0.015, 0.005])
    out = ["id,name,phone\n"]
    for i, (q, s) in enumerate(zip(queries.tolist(), style.tolist(), strict=True)):
        d = str(q)[1:]
        phone = (d, f"+1{d}", f"({d[:3]}) {d[3:6]}-{d[6:]}", f"1-{d[:3]}-{d[3:6]}-{d[6:]}", "n/a")
        out.append(f"{i},Contact {i},{phone[s]}\n")
    path.write_text("".join(out), encoding="utf-8")


# --- the steps -----------------------------------------------------------------------------


def _in_child(target: Callable[..., Any], *args: Any) -> Any:
    """Run ``target(*args, conn)`` in a fresh interpreter (spawned, so its peak RSS is its
    own, not inherited from this process) and return what it sends back."""
    parent, child = mp.Pipe()
    proc = mp.get_context("spawn").Process(target=target, args=(*args, child))
    proc.start()
    result = parent.recv()
    proc.join()
    if isinstance(result, BaseException):
        raise result
    return result


def _peak() -> int:
    """This process's peak RSS: VmHWM (getrusage's ru_maxrss would include the parent's
    RSS at the fork that preceded the exec)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def _load_child(text_dir: Path, root: Path, conn: Any) -> None:
    try:
        t0 = time.perf_counter()
        m = load_full(
            root, "us-national", [text_dir], snapshot_on=SNAPSHOT, loaded_at=datetime.now(UTC)
        )
        conn.send((time.perf_counter() - t0, m.count, m.form, m.file, _peak()))
    except BaseException as exc:
        conn.send(exc)
        raise


def load(text_dir: Path, root: Path) -> tuple[float, int, str, str, int]:
    """Seconds, count, form, file and peak RSS (bytes) of a load in a child process."""
    result: tuple[float, int, str, str, int] = _in_child(_load_child, text_dir, root)
    return result


def _scrub_child(index_dir: Path, queries: Path, contacts: Path, out: Path, conn: Any) -> None:
    """A scrub as ``lexdial scrub`` runs it: a fresh process opens the list, looks the
    numbers up (timed: page faults on a fresh mapping included), then scrubs the CSV."""
    try:
        q = np.load(queries)
        index = open_index(index_dir)
        base = rss()
        t0 = time.perf_counter()
        index.contains(q)
        cold = time.perf_counter() - t0
        grown = rss() - base
        t0 = time.perf_counter()
        summary = scrub_csv(contacts, out, index, today=SNAPSHOT)
        conn.send((cold, grown, time.perf_counter() - t0, summary, _peak()))
    except BaseException as exc:
        conn.send(exc)
        raise


def build_sql(text_dir: Path, db: Path, budget: float) -> tuple[int, float, int]:
    """Rows loaded, seconds, and the last area code loaded (files in area-code order)."""
    db.unlink(missing_ok=True)
    con = sqlite3.connect(db)
    con.execute("PRAGMA journal_mode=OFF")
    con.execute("PRAGMA synchronous=OFF")
    con.execute("CREATE TABLE dnc (number INTEGER PRIMARY KEY)")
    t0, last = time.perf_counter(), 0
    for npa in NPAS:
        body = (text_dir / f"{npa}.txt").read_bytes().rstrip(b"\n").replace(b"\n", b",")
        con.execute(
            "INSERT INTO dnc SELECT value + 10000000000 FROM json_each(?)",
            ("[" + body.decode() + "]",),
        )
        last = npa
        if time.perf_counter() - t0 > budget:
            break
    con.commit()
    seconds = time.perf_counter() - t0
    rows = con.execute("SELECT count(*) FROM dnc").fetchone()[0]
    con.close()
    return int(rows), seconds, last


def sql_lookup(db: Path, queries: list[int], batch: int = 10_000) -> set[int]:
    con = sqlite3.connect(db)
    con.execute("PRAGMA cache_size=-1000000")  # 1 GB of page cache: SQLite at its best
    found: set[int] = set()
    for start in range(0, len(queries), batch):
        part = queries[start : start + batch]
        sql = f"SELECT number FROM dnc WHERE number IN ({','.join('?' * len(part))})"
        found.update(row[0] for row in con.execute(sql, part))
    con.close()
    return found


def bare_bitmap(bitmap: Bitmap, q: npt.NDArray[np.uint64]) -> npt.NDArray[np.uint8]:
    """The floor: one byte gather and a shift per number, no range checks."""
    offset = q - U64(bitmap.base)
    return (bitmap.data[offset >> U64(3)] >> (offset & U64(7)).astype(np.uint8)) & np.uint8(1)


def bare_searchsorted(array: npt.NDArray[np.uint64], q: npt.NDArray[np.uint64]) -> Any:
    pos = np.searchsorted(array, q)
    np.minimum(pos, len(array) - 1, out=pos)
    return array[pos] == q


def timed(fn: Callable[[], object]) -> float:
    gc.collect()
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def first_and_best(fn: Callable[[], object], repeat: int) -> tuple[float, float]:
    first = timed(fn)
    return first, min([first] + [timed(fn) for _ in range(repeat)])


def rss() -> int:
    return int(Path("/proc/self/statm").read_text().split()[1]) * os.sysconf("SC_PAGE_SIZE")


# --- main ----------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--size", type=lambda s: int(s.replace("_", "")), default=250_000_000)
    ap.add_argument("--queries", type=lambda s: int(s.replace("_", "")), default=1_000_000)
    ap.add_argument("--data-dir", type=Path, default=Path("/tmp/lexdial-bench"))
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--sql-budget", type=float, default=180.0, help="seconds to fill SQLite")
    args = ap.parse_args(argv)
    root: Path = args.data_dir
    root.mkdir(parents=True, exist_ok=True)
    need = args.size * (11 + 8 + 8 + 12)
    free = shutil.disk_usage(root).free
    if free < need:
        print(f"warning: {free / 1e9:.1f} GB free under {root}, up to {need / 1e9:.1f} GB needed")

    text_dir = generate(args.size, args.seed, root)
    text_bytes = sum(p.stat().st_size for p in text_dir.glob("*.txt"))
    run = root / f"run-{args.size}"
    run.mkdir(exist_ok=True)

    print(f"loading {args.size:,} numbers ({text_bytes / 1e9:.2f} GB of text), twice...")
    for path in sorted(text_dir.glob("*.txt")):  # the text in the page cache: time the loader,
        path.read_bytes()  # not the disk
    shutil.rmtree(run / "registry", ignore_errors=True)
    loads = [load(text_dir, run / "registry") for _ in range(2)]  # the 2nd replaces the 1st
    first_load_s, file = loads[0][0], loads[-1][3]  # the file of the snapshot now current
    load_s, count, form, _, load_peak = min(loads)
    index = open_index(run / "registry" / "us-national")
    index_bytes = (run / "registry" / "us-national" / file).stat().st_size

    print(f"filling SQLite (budget {args.sql_budget:.0f} s)...")
    db = run / "dnc.sqlite"
    sql_rows, sql_s, last_npa = build_sql(text_dir, db, args.sql_budget)

    queries = make_queries(text_dir, args.queries, args.seed)
    q_list = queries.tolist()

    c_first, c_best = first_and_best(lambda: index.contains(queries), args.repeat)
    ours = index.contains(queries)
    if index.bitmap is not None:
        floor_label = "floor: bare bitmap probe"
        bitmap = index.bitmap
        f_first, f_best = first_and_best(lambda: bare_bitmap(bitmap, queries), args.repeat)
        floor_hits = bare_bitmap(bitmap, queries).astype(bool)
        reference = _reference_array(index, run)
    else:
        floor_label = "floor: bare np.searchsorted"
        reference = _reference_array(index, run)
        f_first, f_best = first_and_best(lambda: bare_searchsorted(reference, queries), 1)
        floor_hits = bare_searchsorted(reference, queries)
    s_first, s_best = first_and_best(lambda: bare_searchsorted(reference, queries), 1)
    sorted_hits = bare_searchsorted(reference, queries)
    sql_lookup(db, q_list)  # warm-up
    sql_time = timed(lambda: sql_lookup(db, q_list))
    sql_found = sql_lookup(db, q_list)

    covered = queries < U64(10**10 + (last_npa + 1) * 10**7)
    sql_hits = np.fromiter((q in sql_found for q in q_list), dtype=bool, count=len(q_list))
    agree = (
        np.array_equal(ours, floor_hits)
        and np.array_equal(ours, sorted_hits)
        and np.array_equal(ours[covered], sql_hits[covered])
    )

    contacts, verdicts = run / "contacts.csv", run / "verdicts.csv"
    write_contacts(contacts, queries, args.seed)
    np.save(run / "queries.npy", queries)
    index_dir = run / "registry" / "us-national"
    cold, grown, scrub_s, summary, scrub_peak = _in_child(
        _scrub_child, index_dir, run / "queries.npy", contacts, verdicts
    )

    n = len(queries)
    print()
    print(
        f"registry      {count:,} numbers over {len(NPAS)} area codes (synthetic), "
        f"{text_bytes / 1e9:.2f} GB of text"
    )
    print(f"index         {form}, {index_bytes / 1e9:.2f} GB on disk ({file})")
    print(
        f"load          {load_s:.1f} s = {count / load_s / 1e6:.1f} M numbers/s "
        f"(parse, check, index, write, fsync; best of 2, first {count / first_load_s / 1e6:.1f}"
        f" M/s); peak RSS {load_peak / 2**30:.2f} GiB"
    )
    sql_note = "all" if sql_rows == count else f"{sql_rows / count:.0%}, area codes 201-{last_npa}"
    print(
        f"SQLite        {sql_rows:,} rows ({sql_note}) in {sql_s:.0f} s = "
        f"{sql_rows / sql_s / 1e6:.2f} M rows/s, {db.stat().st_size / 1e9:.2f} GB"
    )
    print()
    print(f"lookup of {n:,} numbers ({int(ours.sum()):,} listed)")
    print(f"{'':38}{'first':>10}{'best':>10}{'ns/number':>11}{'/ floor':>9}{'SQL /':>9}")
    rows = [
        ("lexdial RegistryIndex.contains", c_first, c_best),
        (floor_label, f_first, f_best),
        ("np.searchsorted, sorted uint64 memmap", s_first, s_best),
        ("SQLite, IN batches of 10 000", sql_time, sql_time),
    ]
    for label, first, best in rows:
        print(
            f"{label:38}{first * 1e3:8.1f}ms{best * 1e3:8.1f}ms{best / n * 1e9:11.0f}"
            f"{best / f_best:8.1f}x{sql_time / best:8.1f}x"
        )
    print(f"results agree: {'yes' if agree else 'NO'}")
    print()
    print(
        f"scrub of a {n:,}-row contacts CSV, end to end: {scrub_s:.2f} s "
        f"(listed {summary.listed:,}, clear {summary.clear:,}, invalid {summary.invalid:,})"
    )
    print(
        f"a fresh scrub process: first lookup of the {n:,} numbers {cold * 1e3:.1f} ms "
        f"(index pages mapped on the way: +{grown / 2**20:.0f} MiB resident); "
        f"peak RSS {scrub_peak / 2**30:.2f} GiB with the CSV scrub"
    )
    print()
    print("targets")
    ratio_sql, ratio_floor, rate = sql_time / c_best, c_best / f_best, count / load_s
    partial = " (SQL table partial: a lower bound)" if sql_rows < count else ""
    _target(
        f"contains >= {TARGET_SQL_RATIO}x faster than SQL",
        f"{ratio_sql:.0f}x",
        ratio_sql >= TARGET_SQL_RATIO,
        partial,
    )
    _target(
        f"contains within {TARGET_FLOOR_RATIO}x of the floor",
        f"{ratio_floor:.2f}x",
        ratio_floor <= TARGET_FLOOR_RATIO,
    )
    _target("load from text >= 20 M numbers/s", f"{rate / 1e6:.1f} M/s", rate >= TARGET_LOAD_PER_S)
    return 0


def _reference_array(index: RegistryIndex, run: Path) -> npt.NDArray[np.uint64]:
    """The same numbers as a memory-mapped sorted uint64 array (the index's own, or
    written out from the bitmap)."""
    if index.array is not None:
        return index.array
    path = run / "sorted.npy"
    np.save(path, index.numbers())
    return np.load(path, mmap_mode="r")  # type: ignore[no-any-return]


def _target(label: str, shown: str, met: bool, note: str = "") -> None:
    print(f"  {label:42} {shown:>10}  {'met' if met else 'NOT met'}{note}")


if __name__ == "__main__":
    sys.exit(main())
