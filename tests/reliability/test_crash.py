"""The crash campaign: SIGKILL at random points of a running campaign, a stream of
opt-outs, an import, a registry load and a key rotation, on SQLite and PostgreSQL.

After every kill the work is restarted (as an operator would) and the store is checked:
nothing acknowledged is lost, no call is placed twice, the audit chain verifies and every
stored secret still decrypts. The killed processes are real ``lexdial`` commands, or (for
the campaign and the opt-outs) ``crash_child.py`` over the same services and wiring.
Sizes come from ``sizes.py`` (short in CI, long with ``LEXDIAL_RELIABILITY=long``).
"""

from __future__ import annotations

import contextlib
import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import Connection, Engine, func, select

from lexdial.adapters.audit.sql import SqlAuditStore
from lexdial.adapters.crypto import Keyring, default_key_path, load_keyring
from lexdial.adapters.db import tables as t
from lexdial.adapters.db.database import database_url, make_engine
from lexdial.adapters.registry_port import IndexRegistry
from lexdial.domain.audit_chain import verify
from lexdial.service.contacts import number_index
from lexdial.service.keys import ENCRYPTED

from . import sizes
from .crash_child import number

pytestmark = pytest.mark.integration

CHILD = Path(__file__).with_name("crash_child.py")
LEXDIAL = [sys.executable, "-c", "from lexdial.entrypoints.cli import run; run()"]
BACKENDS = pytest.mark.parametrize("backend", ["sqlite", "postgresql"], indirect=True)
#: a child that has not finished by then is hung, which is a failure of its own
HANG_S = 300.0


def _spawn(argv: list[str], env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        argv, env=env, cwd=env["RELIABILITY_HOME"], stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True, start_new_session=True,
    )  # fmt: skip


def _finish(proc: subprocess.Popen[str]) -> tuple[int, str, str]:
    out, err = proc.communicate(timeout=HANG_S)
    return proc.returncode, out, err


def _ok(argv: list[str], env: dict[str, str]) -> str:
    code, out, err = _finish(_spawn(argv, env))
    assert code == 0, err
    assert "Traceback" not in err
    return out


class Killer:
    """Kills a child at a random instant inside the time such a run has been seen to take,
    so the kills spread over its whole life (start-up, writing, committing)."""

    def __init__(self, name: str, rng: random.Random, longest: float = 3.0) -> None:
        self.name, self.rng, self.longest = name, rng, longest
        self.kills = 0

    def run(
        self,
        proc: subprocess.Popen[str],
        after_ready: bool = False,
        armed: Callable[[], bool] | None = None,
    ) -> bool:
        """True if the child was killed; False if it finished first (it must succeed).
        ``armed``: the clock starts only once it is true (or the child has ended)."""
        t0 = time.monotonic()
        if after_ready:  # the child says when its store is open; kill after that
            assert proc.stdout is not None
            line = proc.stdout.readline()
            assert line.strip() == "ready", (line, proc.stderr.read() if proc.stderr else "")
        while armed is not None and proc.poll() is None and not armed():
            if time.monotonic() - t0 > HANG_S:
                raise AssertionError(f"{self.name}: nothing happened in {HANG_S} s")
            time.sleep(0.005)
        delay = self.rng.uniform(0.05, self.longest)
        try:
            proc.wait(timeout=delay)
        except subprocess.TimeoutExpired:
            os.kill(proc.pid, signal.SIGKILL)
            proc.communicate(timeout=HANG_S)
            self.kills += 1
            sizes.add(f"kills: {self.name}")
            return True
        # it finished before the kill: future kills aim inside the time it took
        self.longest = max(0.1, time.monotonic() - t0)
        return False


@contextlib.contextmanager
def _db(env: dict[str, str]) -> Iterator[tuple[Connection, Keyring]]:
    root = Path(env["LEXDIAL_DATA_DIR"])
    engine: Engine = make_engine(database_url(root, env))
    try:
        with engine.connect() as conn:
            yield conn, load_keyring(default_key_path(root), env)
    finally:
        engine.dispose()


def _check_chain_and_secrets(env: dict[str, str]) -> None:
    """The audit chain verifies and every encrypted value decrypts with the key on disk."""
    with _db(env) as (conn, keys):
        result = verify(SqlAuditStore(conn))
        assert result.ok, (result.bad_seq, result.problem, result.detail)
        for table, column, context in ENCRYPTED:
            col = t.metadata.tables[table].c[column]
            for token in conn.execute(select(col).where(col.is_not(None))).scalars():
                keys.decrypt(token, context=context)
                sizes.add("values decrypted after kills")


def _count(conn: Connection, table: t.Table) -> int:
    return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


# --- a running campaign ----------------------------------------------------------------


def _ledger(path: Path) -> list[tuple[int, str]]:
    if not path.exists():
        return []
    rows = []
    for line in path.read_text().splitlines():
        parts = line.split()
        if len(parts) == 3:  # the line is written whole before the call is placed
            rows.append((int(parts[0].removeprefix("a")), parts[1]))
    return rows


@BACKENDS
def test_a_campaign_killed_at_random_places_no_call_twice_and_loses_no_decision(
    backend: dict[str, str], tmp_path: Path
) -> None:
    rng = random.Random(os.environ.get("LEXDIAL_RELIABILITY_SEED", "campaign"))
    n = sizes.CAMPAIGN_CONTACTS
    ledger = tmp_path / "carrier-ledger.txt"
    base = time.time()
    # aimed at the dialling itself: each kill falls within 0.6 s after the run's first call
    killer = Killer("campaign", rng, longest=0.6)
    generation = 0
    # a campaign that finishes before enough kills fell is followed by a new one
    for first in range(0, n * sizes.KILLS * 2, n):
        if killer.kills >= sizes.KILLS:
            break
        cid = _ok([sys.executable, str(CHILD), "setup", str(n), str(first)], backend).strip()
        while True:
            generation += 1
            argv = [sys.executable, str(CHILD), "campaign", cid, str(ledger), str(base),
                    str(generation)]  # fmt: skip
            proc = _spawn(argv, backend)
            placed = len(_ledger(ledger))

            def dialling(placed: int = placed) -> bool:
                return len(_ledger(ledger)) > placed

            if killer.kills < sizes.KILLS and killer.run(proc, True, dialling):
                continue
            code, _out, err = _finish(proc)
            assert code == 0 and "Traceback" not in err, err
            break
    assert killer.kills == sizes.KILLS

    dials = _ledger(ledger)
    sizes.add("calls placed in killed campaigns", len(dials))
    attempts = [a for a, _ in dials]
    assert len(attempts) == len(set(attempts)), "an attempt was dialled twice"
    with _db(backend) as (conn, _):
        a, o, q = t.call_attempts.c, t.call_outcomes.c, t.campaign_contacts.c
        stored = {
            row.id: row
            for row in conn.execute(select(a.id, a.verdict, a.status, a.number_bidx, a.contact_id))
        }
        outcomes = {
            row.attempt_id: row for row in conn.execute(select(o.attempt_id, o.outcome, o.detail))
        }
        # the decision is committed before the dial: every call placed has its allow on record
        for attempt_id, _ in dials:
            assert attempt_id in stored, f"call a{attempt_id} placed with no decision stored"
            assert stored[attempt_id].verdict == "allow"
            assert stored[attempt_id].status in ("dialled", "completed")
            assert attempt_id in outcomes, f"call a{attempt_id} has no outcome"
        # every attempt recorded as dialled was placed at most once, and is closed
        dialled = [i for i, r in stored.items() if r.status in ("dialled", "completed")]
        assert all(stored[i].verdict == "allow" for i in dialled)
        assert all(i in outcomes for i in dialled)
        placed = Counter(attempts)
        never_placed = [i for i in dialled if placed[i] == 0]
        for i in never_placed:  # killed between the commit and the dial: closed, never retried
            assert outcomes[i].outcome == "failed" and "interrupted" in (outcomes[i].detail or "")
        sizes.add("attempts committed then killed before the dial", len(never_placed))
        interrupted = [i for i, r in outcomes.items() if "interrupted" in (r.detail or "")]
        sizes.add("calls cut by a kill, closed as interrupted", len(interrupted))
        # nobody is called more than the retry policy allows, and never again after an
        # interrupted call (it may have been answered)
        per_contact: dict[int, list[int]] = {}
        for i in sorted(dialled):
            per_contact.setdefault(stored[i].contact_id, []).append(i)
        for ids in per_contact.values():
            assert len(ids) <= 2
            for earlier in ids[:-1]:
                assert "interrupted" not in (outcomes[earlier].detail or ""), ids
        left = conn.execute(select(func.count()).where(q.status == "dialing")).scalar_one()
        assert left == 0
    _check_chain_and_secrets(backend)


# --- opt-outs --------------------------------------------------------------------------


@BACKENDS
def test_every_acknowledged_opt_out_survives_a_kill(backend: dict[str, str]) -> None:
    rng = random.Random(os.environ.get("LEXDIAL_RELIABILITY_SEED", "optouts"))
    _ok([sys.executable, str(CHILD), "setup", "4"], backend)  # a few are also contacts
    acked: list[int] = []
    for _ in range(sizes.KILLS):
        offset = acked[-1] + 1 if acked else 0
        proc = _spawn([sys.executable, str(CHILD), "optouts", "100000", str(offset)], backend)
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "ready", proc.stderr and proc.stderr.read()
        timer = threading.Timer(rng.uniform(0.05, 1.5), os.kill, (proc.pid, signal.SIGKILL))
        timer.start()
        # every whole line is a commit that returned before the kill
        acked += [int(line.split()[1]) for line in proc.stdout if line.endswith("\n")]
        timer.join()
        proc.communicate(timeout=HANG_S)
        assert proc.returncode == -signal.SIGKILL
        sizes.add("kills: opt-out stream")
        with _db(backend) as (conn, keys):
            on_file = set(conn.execute(select(t.dnc_entries.c.number_bidx)).scalars())
        for i in acked:
            assert number_index(keys, number(i)) in on_file, f"acknowledged opt-out {i} lost"
    assert acked, "no opt-out was acknowledged before the kills"
    sizes.add("acknowledged opt-outs checked after kills", len(acked))
    _check_chain_and_secrets(backend)


# --- an import -------------------------------------------------------------------------

IMPORT_HEADER = (
    "number,name,state,line_type,relationship,consent_kind,consent_scope,consent_given_at,"
    "consent_method,disclosure_text,disclosure_version,captured_by,document_ref,seller"
)


def _import_file(path: Path, first: int, rows: int) -> None:
    consent = ('express,"reminder,notification",2026-06-01T12:00:00Z,engagement letter,'
               "You agree we may call you.,v3,intake,DMS-1,Hartwell & Ruiz LLP")  # fmt: skip
    lines = [IMPORT_HEADER] + [
        f"+1 614 7{(first + i) // 10000 % 100:02d} {(first + i) % 10000:04d},Client {first + i},"
        f"OH,wireless,current_client,{consent}"
        for i in range(rows)
    ]
    path.write_text("\n".join(lines) + "\n")


@BACKENDS
def test_an_import_killed_at_random_is_all_or_nothing(
    backend: dict[str, str], tmp_path: Path
) -> None:
    rng = random.Random(os.environ.get("LEXDIAL_RELIABILITY_SEED", "import"))
    rows = sizes.IMPORT_ROWS
    _ok([*LEXDIAL, "audit", "verify"], backend)  # the store exists (migrated) before the kills
    killer = Killer("import", rng, longest=8.0)
    expected = 0
    for batch in range(sizes.KILLS * 3):
        if killer.kills >= sizes.KILLS:
            break
        csv = tmp_path / f"clients-{batch}.csv"
        _import_file(csv, batch * rows, rows)
        proc = _spawn([*LEXDIAL, "import", str(csv)], backend)
        killed = killer.run(proc)
        if not killed:
            code, _out, err = _finish(proc)
            assert code == 0 and "Traceback" not in err, err
        with _db(backend) as (conn, _):
            contacts, consents = _count(conn, t.contacts), _count(conn, t.consents)
        if killed:
            assert (contacts, consents) in ((expected, expected), (expected + rows,) * 2), (
                "a killed import left part of its rows"
            )
            # the operator runs it again: it completes, and adds nothing twice
            _ok([*LEXDIAL, "import", str(csv)], backend)
        expected += rows
        with _db(backend) as (conn, _):
            assert (_count(conn, t.contacts), _count(conn, t.consents)) == (expected, expected)
        sizes.add("rows imported across kills", rows)
    assert killer.kills == sizes.KILLS
    _check_chain_and_secrets(backend)


# --- a registry load -------------------------------------------------------------------


def _registry_file(path: Path, first: int, count: int) -> None:
    with path.open("w") as fh:
        for i in range(count):
            fh.write(f"{2_025_000_000 + first + i}\n")


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)  # the lists live in files
def test_a_registry_load_killed_at_random_leaves_the_old_copy_or_the_new_one_whole(
    backend: dict[str, str], tmp_path: Path
) -> None:
    rng = random.Random(os.environ.get("LEXDIAL_RELIABILITY_SEED", "registry"))
    n = sizes.REGISTRY_NUMBERS
    copies = {"2026-11-01": tmp_path / "old.txt", "2026-11-28": tmp_path / "new.txt"}
    _registry_file(copies["2026-11-01"], 0, n)
    _registry_file(copies["2026-11-28"], n // 2, n)  # overlaps half of the old copy
    only_old, only_new = "+12025000000", f"+1{2_025_000_000 + n + n // 2 - 1}"

    def load(day: str) -> subprocess.Popen[str]:
        argv = [*LEXDIAL, "registry", "load", str(copies[day]), "--list", "us-national",
                "--snapshot-date", day]  # fmt: skip
        return _spawn(argv, backend)

    _finish(load("2026-11-01"))
    killer = Killer("registry load", rng, longest=4.0)
    current = "2026-11-01"
    for _ in range(sizes.KILLS * 4):
        if killer.kills >= sizes.KILLS:
            break
        other = "2026-11-28" if current == "2026-11-01" else "2026-11-01"
        proc = load(other)
        killed = killer.run(proc)
        if not killed:
            code, _, err = _finish(proc)
            assert code == 0 and "Traceback" not in err, err
        registry = IndexRegistry(Path(backend["LEXDIAL_DATA_DIR"]) / "registry")
        day = str(registry.snapshot_on("us-national"))
        assert day in (current, other)
        # the copy in place is one whole copy: its numbers agree with its date
        assert registry.listed(only_old, "us-national") is (day == "2026-11-01")
        assert registry.listed(only_new, "us-national") is (day == "2026-11-28")
        if killed:
            code, _, err = _finish(load(other))  # the operator loads it again
            assert code == 0 and "Traceback" not in err, err
        current = other
        sizes.add("registry numbers loaded across kills", n)
    assert killer.kills == sizes.KILLS


# --- a key rotation --------------------------------------------------------------------


@BACKENDS
def test_a_key_rotation_killed_at_random_leaves_every_value_readable(
    backend: dict[str, str],
) -> None:
    rng = random.Random(os.environ.get("LEXDIAL_RELIABILITY_SEED", "keys"))
    _ok([sys.executable, str(CHILD), "setup", str(sizes.CAMPAIGN_CONTACTS)], backend)
    killer = Killer("key rotation", rng, longest=4.0)
    for _ in range(sizes.KILLS * 4):
        if killer.kills >= sizes.KILLS:
            break
        proc = _spawn([*LEXDIAL, "keys", "rotate"], backend)
        killed = killer.run(proc)
        if not killed:
            code, out, err = _finish(proc)
            assert code == 0 and "keys rotated" in out, err
        _check_chain_and_secrets(backend)
    out = _ok([*LEXDIAL, "keys", "rotate"], backend)  # and it still rotates afterwards
    assert "keys rotated" in out
    with _db(backend) as (conn, keys):
        tokens = conn.execute(select(t.contact_numbers.c.number_enc)).scalars().all()
    assert tokens and all(tok.split(":")[1] == keys.current for tok in tokens)
    assert killer.kills == sizes.KILLS
