"""How fast a CSV import of contacts with consents goes, beside a bare executemany.

Writes a CSV of N rows (a contact and one consent each, US wireless numbers), imports it
with ``service.imports.import_rows`` into a fresh SQLite store (encryption, blind indexes,
duplicate and tombstone checks, audit entries: everything the command does, in one
transaction), and times it beside the floor: one ``executemany`` of the same rows' plain
cells into a bare SQLite table. Reports rows/s for both and the ratio.

    python bench/imports.py                  # 10 000 and 100 000 rows
    python bench/imports.py --rows 20000
"""

from __future__ import annotations

import argparse
import csv
import io
import sqlite3
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from lexdial.bootstrap import open_store
from lexdial.config import Settings
from lexdial.rules.context import Policy
from lexdial.service import imports
from lexdial.service.users import OPERATOR

NOW = datetime(2026, 12, 2, 15, 0, tzinfo=UTC)
HEADER = ["Phone", "Name", "State", "Line type", "Relationship", "Consent kind",
          "Consent scope", "Consent given at", "Consent method", "Disclosure text",
          "Disclosure version", "Captured by", "Seller"]  # fmt: skip


def make_csv(n: int) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(HEADER)
    for i in range(n):
        area = 200 + (i // 8_000_000) * 11 + 14  # 214, 225, ...: valid area codes
        w.writerow([f"+1 {area} {(i // 10_000) % 800 + 200:03d} {i % 10_000:04d}",
                    f"Client {i}", "TX", "wireless", "current_client", "express",
                    "reminder,notification", "2026-06-01T12:00:00Z", "engagement letter",
                    "You agree that Hartwell & Ruiz LLP may call you about your matter.",
                    "v3", "intake:bench", "Hartwell & Ruiz LLP"])  # fmt: skip
    return buf.getvalue().encode()


def lexdial_import(data: bytes, where: Path) -> tuple[float, float]:
    store = open_store(Settings(policy=Policy(), firm_name="Bench"),
                       {"LEXDIAL_DATA_DIR": str(where)}, now=NOW, create=True)  # fmt: skip
    table = imports.read_table(data, "bench.csv")
    mapping = imports.resolve_mapping(table.headers, {})
    start, cpu = time.perf_counter(), time.process_time()
    with store.db.begin() as conn:
        report = imports.import_rows(conn, store.cipher, store.audit, store.firm_id, table,
                                     mapping, OPERATOR, NOW)  # fmt: skip
    took, cpu = time.perf_counter() - start, time.process_time() - cpu
    assert not report.errors and report.created == len(table.rows), report
    store.db.dispose()
    return took, cpu


def bare_executemany(data: bytes, where: Path) -> float:
    rows = list(csv.reader(io.StringIO(data.decode(), newline="")))[1:]
    db = sqlite3.connect(where / "bare.sqlite3")
    db.execute(f"CREATE TABLE t ({', '.join(f'c{i} TEXT' for i in range(len(HEADER)))})")
    start = time.perf_counter()
    with db:
        db.executemany(f"INSERT INTO t VALUES ({', '.join('?' * len(HEADER))})", rows)
    took = time.perf_counter() - start
    db.close()
    return took


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--rows", type=int, action="append", help="rows (repeatable)")
    sizes = p.parse_args().rows or [10_000, 100_000]
    # wall seconds decide the ratio; CPU seconds show what a quiet machine would take
    print(f"{'rows':>8} {'lexdial s':>10} {'cpu s':>7} {'rows/s':>9} {'bare s':>8} "
          f"{'rows/s':>11} {'ratio':>7}")  # fmt: skip
    for n in sizes:
        data = make_csv(n)
        with tempfile.TemporaryDirectory() as tmp:
            ours, cpu = lexdial_import(data, Path(tmp) / "store")
            bare = bare_executemany(data, Path(tmp))
        print(f"{n:>8,} {ours:>10.2f} {cpu:>7.2f} {n / ours:>9,.0f} {bare:>8.3f} "
              f"{n / bare:>11,.0f} {ours / bare:>6.0f}x", flush=True)  # fmt: skip


if __name__ == "__main__":
    main()
