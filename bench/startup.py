"""Start-up benchmark of the ``lexdial`` command: wall time of whole processes.

What is measured
    The wall time from spawning a process to its exit, for commands a person types:
    ``lexdial --help`` (the parser only), ``lexdial decide`` of one request (the engine:
    rule pack, geography file, one decision), ``lexdial rules -j US-FL`` (the pack, no
    store) and ``lexdial audit verify`` on an existing SQLite store (the store: SQLAlchemy,
    the migrations check, the keys). Each command's output is checked (exit status 0; the
    decision is the expected one), so a broken command cannot look fast.

Against what
    ``python -c pass`` with the same interpreter: the cost of starting Python at all on
    this machine. The ratio to it is steadier than seconds on a shared machine.

How
    The commands run in rounds, one of each per round in turn, so that a burst of load
    from other processes hits all of them alike; the best of ``--repeat`` rounds is the
    figure (the least disturbed), the median is shown beside it. The store is created,
    migrated and warmed by one untimed run before the rounds; the processes run in a
    scratch directory with no settings file and no ``LEXDIAL_*`` variables.

    .venv/bin/python bench/startup.py [--repeat 15]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REQUEST = {
    "at": "2026-12-11T01:15:00Z",
    "number": "+1 813 555 0123",
    "line_type": "wireless",
    "address": {"country": "US", "state": "FL"},
    "purpose": "marketing",
    "technology": "manual",
    "relationship": {"type": "former_client", "last_transaction_on": "2026-03-01"},
    "suppression": {"national_dnc": False, "registry_synced_on": "2026-12-01"},
}


def lexdial_command() -> list[str]:
    """The installed console script beside this interpreter, else ``python -m lexdial``."""
    script = Path(sys.executable).with_name("lexdial")
    return [str(script)] if script.is_file() else [sys.executable, "-m", "lexdial"]


def run_once(argv: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, str]:
    start = time.perf_counter()
    done = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed ({done.returncode}): {done.stderr.strip()}")
    return elapsed, done.stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=15, help="rounds (default 15)")
    parser.add_argument(
        "--source",
        type=Path,
        help="run `python -m lexdial` from this src/ directory instead of the installed "
        "command (to compare with another checkout, e.g. one made with git archive)",
    )
    args = parser.parse_args()

    lexdial = lexdial_command() if args.source is None else [sys.executable, "-m", "lexdial"]
    with tempfile.TemporaryDirectory(prefix="lexdial-startup-") as tmp:
        root = Path(tmp)
        (root / "attempt.json").write_text(json.dumps(REQUEST), "utf-8")
        env = {k: v for k, v in os.environ.items() if not k.startswith("LEXDIAL_")}
        if args.source is not None:
            env["PYTHONPATH"] = str(args.source.resolve())
        store_env = {**env, "LEXDIAL_DATA_DIR": str(root / "data")}
        cases: list[tuple[str, list[str], dict[str, str], str]] = [
            ("python -c pass", [sys.executable, "-c", "pass"], env, ""),
            ("lexdial --help", [*lexdial, "--help"], env, "usage: lexdial"),
            ("lexdial decide (one request)", [*lexdial, "decide", "attempt.json"], env, "defer"),
            ("lexdial rules -j US-FL (no store)", [*lexdial, "rules", "-j", "US-FL"], env, "US-FL"),
            (
                "lexdial audit verify (SQLite store)",
                [*lexdial, "audit", "verify"],
                store_env,
                "intact",
            ),
        ]
        # untimed: a store is never made implicitly, so make one (as a firm would, once)
        run_once([*lexdial, "init", "--firm", "Bench & Co LLP"], root, store_env)
        # untimed: writes the .pyc files, warms the disk cache
        for _name, argv, case_env, expect in cases:
            _elapsed, out = run_once(argv, root, case_env)
            if expect not in out:
                raise SystemExit(f"{' '.join(argv)}: {expect!r} not in its output")
        times: dict[str, list[float]] = {name: [] for name, *_ in cases}
        for _round in range(args.repeat):
            for name, argv, case_env, _expect in cases:
                times[name].append(run_once(argv, root, case_env)[0])

    floor = min(times["python -c pass"])
    print(f"best of {args.repeat} rounds; ratio = best / best of `python -c pass`")
    print(f"{'command':38} {'best':>8} {'median':>8} {'ratio':>7}")
    for name, values in times.items():
        best, median = min(values), statistics.median(values)
        print(f"{name:38} {best:7.3f}s {median:7.3f}s {best / floor:6.1f}x")


if __name__ == "__main__":
    main()
