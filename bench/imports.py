"""How fast a CSV import of contacts with consents goes, beside a bare executemany.

Writes a CSV of N rows (a contact and one consent each, US wireless numbers), imports it
with ``service.imports.import_rows`` into a fresh SQLite store (encryption, blind indexes,
duplicate and tombstone checks, audit entries: everything the command does, in one
transaction), and times it beside the floor: one ``executemany`` of the same rows' plain
cells into a bare SQLite table. Reports wall and CPU seconds of the import, CPU per row,
CPU of reading the file, and the ratio of CPU to the bare executemany's CPU.

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


def lexdial_import(data: bytes, where: Path) -> tuple[float, float, float]:
    """Wall and CPU seconds of ``import_rows``, and CPU seconds of reading the file."""
    store = open_store(Settings(policy=Policy(), firm_name="Bench"),
                       {"LEXDIAL_DATA_DIR": str(where)}, now=NOW, create=True)  # fmt: skip
    read = time.process_time()
    table = imports.read_table(data, "bench.csv")
    mapping = imports.resolve_mapping(table.headers, {})
    read = time.process_time() - read
    start, cpu = time.perf_counter(), time.process_time()
    with store.unit_of_work() as uow:
        report = imports.import_rows(uow, store.cipher, store.audit, store.firm_id, table,
                                     mapping, OPERATOR, NOW)  # fmt: skip
    took, cpu = time.perf_counter() - start, time.process_time() - cpu
    assert not report.errors and report.created == len(table.rows), report
    store.db.dispose()
    return took, cpu, read


def bare_executemany(data: bytes, where: Path) -> tuple[float, float]:
    """Wall and CPU seconds of one plain executemany of the same cells."""
    rows = list(csv.reader(io.StringIO(data.decode(), newline="")))[1:]
    db = sqlite3.connect(where / "bare.sqlite3")
    db.execute(f"CREATE TABLE t ({', '.join(f'c{i} TEXT' for i in range(len(HEADER)))})")
    start, cpu = time.perf_counter(), time.process_time()
    with db:
        db.executemany(f"INSERT INTO t VALUES ({', '.join('?' * len(HEADER))})", rows)
    took, cpu = time.perf_counter() - start, time.process_time() - cpu
    db.close()
    return took, cpu


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--rows", type=int, action="append", help="rows (repeatable)")
    sizes = p.parse_args().rows or [10_000, 100_000]
    # this VM is shared: wall seconds are noisy, CPU seconds (process_time) much less so;
    # the ratio is CPU against the bare executemany measured in the same run
    print(f"{'rows':>8} {'wall s':>7} {'cpu s':>6} {'us/row':>7} {'read cpu':>8} "
          f"{'bare cpu':>8} {'ratio':>6}")  # fmt: skip
    for n in sizes:
        data = make_csv(n)
        with tempfile.TemporaryDirectory() as tmp:
            ours, cpu, read = lexdial_import(data, Path(tmp) / "store")
            _, bare = bare_executemany(data, Path(tmp))
        print(f"{n:>8,} {ours:>7.2f} {cpu:>6.2f} {1e6 * cpu / n:>7.0f} {read:>8.2f} "
              f"{bare:>8.3f} {cpu / bare:>5.0f}x", flush=True)  # fmt: skip


if __name__ == "__main__":
    main()
