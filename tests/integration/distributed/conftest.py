"""A cluster on one machine: one PostgreSQL database per test (created, dropped after),
Redis db 15 as the broker with a queue of the test's own, `lexdial worker` and `lexdial
serve` processes started with subprocess, over a sandbox store (the simulated carrier may
dial it: its mark is in the database).

The sandbox runs on a simulated clock (``mark_sandbox(store, start)``, as `lexdial sandbox
--start` does) from 10:00 today in the contacts' zone, real time elapsing from there: every
process on the store dials and decides by it, so the tests exercise the same at any hour of
the real day. The campaign's own schedule is 08:30-20:30 every day, and the checks "no call
outside its window" are judged against that same clock (the instants the store records).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import create_engine, func, select, text
from tests.integration.conftest import PG_ADMIN, _pg_available

from lexdial.adapters.db import tables as t
from lexdial.bootstrap import Store, init_store, mark_sandbox
from lexdial.bootstrap.sandbox_clock import store_clock, wall_clock
from lexdial.config import load_settings
from lexdial.service import imports
from lexdial.service.auth import issue_token
from lexdial.service.campaign_lint import lint_campaign
from lexdial.service.campaigns import add_contacts, create_campaign, set_status
from lexdial.service.users import OPERATOR, add_user

pytestmark = pytest.mark.integration

SRC = Path(__file__).resolve().parents[3] / "src"
FIRM = "Hartwell & Ruiz LLP"
BROKER = os.environ.get("LEXDIAL_TEST_BROKER_URL", "redis://127.0.0.1:6379/15")
#: (area code, state, zone) of the contacts
ZONE = ("312", "IL", "America/Chicago")
#: the campaign's own schedule (the law's window is wider: 08:00-21:00)
SCHEDULE = {"days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"],
            "start": "08:30", "end": "20:30"}  # fmt: skip
CONSENT = 'express,"reminder",2026-06-01T12:00:00Z,letter,You agree.,v3,intake,' + f'"{FIRM}"'
HEADER = ("Phone,Name,State,Consent kind,Consent scope,Consent given at,Consent method,"
          "Disclosure text,Disclosure version,Captured by,Seller")  # fmt: skip
TEXT = (
    "Hello, this is Hartwell and Ruiz with a reminder of your appointment on Friday. "
    "Please call us at 614-555-0199. To stop these calls, press 9 now."
)


def start_instant(today: date) -> datetime:
    """The sandbox clock's start: 10:00 on ``today`` in the contacts' zone, inside the
    schedule (08:30-20:30) with hours to spare for the longest test."""
    local = datetime.combine(today, dtime(10, 0), tzinfo=ZoneInfo(ZONE[2]))
    return local.astimezone(UTC)


def number(area: str, i: int) -> str:
    return f"+1{area}{200 + i // 10_000:03d}{i % 10_000:04d}"


@dataclass
class Cluster:
    root: Path
    env: dict[str, str]
    store: Store
    token: str
    zone: tuple[str, str, str]
    #: the store's clock (its sandbox's simulated one, or the wall clock for a live store)
    clock: Callable[[], datetime] = wall_clock
    #: when the store's clock started (its first instant)
    started: datetime = field(default_factory=lambda: datetime.now(UTC))
    procs: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    #: other databases a test made, dropped with the cluster
    cleanup: list[str] = field(default_factory=list)

    def _start(self, name: str, args: list[str]) -> subprocess.Popen[bytes]:
        with (self.root / f"{name}.log").open("ab") as log:  # the child keeps its own copy
            proc = subprocess.Popen(
                [sys.executable, "-m", "lexdial", *args],
                env=self.env, cwd=self.root, stdout=log, stderr=subprocess.STDOUT,
            )  # fmt: skip
        self.procs[name] = proc
        return proc

    def worker(self, name: str, *extra: str) -> subprocess.Popen[bytes]:
        args = ["worker", "--concurrency", "2", "--simulated-timescale", "0.02", *extra]
        return self._start(name, args)

    def serve(self, name: str, port: int) -> str:
        self._start(name, ["serve", "--port", str(port)])
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"{base}/health", timeout=2) as r:
                    if r.status == 200:
                        return base
            except (urllib.error.URLError, OSError):
                pass
            if self.procs[name].poll() is not None:
                raise AssertionError(self.log(name))
            time.sleep(0.3)
        raise AssertionError(f"{name} did not answer: {self.log(name)}")

    def log(self, name: str) -> str:
        return (self.root / f"{name}.log").read_text(errors="replace")[-4000:]

    def assert_no_errors(self) -> None:
        """No process logged a traceback or a failed task (a deadlock, a crash)."""
        for log in self.root.glob("*.log"):
            text = log.read_text(errors="replace")
            for bad in ("Traceback", "raised unexpected", "Deadlock"):
                assert bad not in text, f"{log.name}: {text[-3000:]}"

    def kill(self, name: str, sig: int = signal.SIGKILL) -> None:
        proc = self.procs.pop(name)
        proc.send_signal(sig)
        proc.wait(30)

    def stop_all(self) -> None:
        for name in list(self.procs):
            proc = self.procs.pop(name)
            if proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(20)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait(10)

    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def campaign(self, n: int, *, channels: int = 500) -> tuple[int, list[str]]:
        """A draft campaign of ``n`` consented contacts in the test's zone; its numbers."""
        area, state, _ = self.zone
        numbers = [number(area, i) for i in range(n)]
        rows = [f"{num},Client {i},{state},{CONSENT}" for i, num in enumerate(numbers)]
        table = imports.read_csv(("\n".join([HEADER, *rows]) + "\n").encode())
        mapping = imports.resolve_mapping(table.headers, {})
        now = self.clock()
        s = self.store
        with s.unit_of_work() as uow:
            imports.import_rows(uow, s.cipher, s.audit, s.firm_id, table, mapping, OPERATOR,
                                now - timedelta(days=2))  # fmt: skip
        with s.db.connect() as conn:
            ids = [int(r[0]) for r in conn.execute(
                select(t.contacts.c.id).where(t.contacts.c.firm_id == s.firm_id))]  # fmt: skip
        spec = {
            "name": f"Reminders {uuid.uuid4().hex[:6]}",
            "purpose": "reminder",
            "mode": "broadcast",
            "caller_id": "+16145550199",
            "message": {"text": TEXT},
            "channels": channels,
            "schedule": SCHEDULE,
            "retry": {"max_attempts": 1, "delay_minutes": 30},
        }
        with s.unit_of_work() as uow:
            cid = create_campaign(uow, s.audit, s.firm_id, spec, OPERATOR, now)
            listed = set(uow.campaigns.listed_contacts(cid))
            add_contacts(uow, s.audit, s.firm_id, cid, sorted(set(ids) - listed), OPERATOR, now)
        return cid, numbers

    def counts(self, cid: int) -> dict[str, int]:
        q = t.campaign_contacts.c
        with self.store.db.connect() as conn:
            rows = conn.execute(
                select(q.status, func.count()).where(q.campaign_id == cid).group_by(q.status)
            ).all()
        return {str(r[0]): int(r[1]) for r in rows}

    def wait_done(self, cid: int, timeout: float) -> dict[str, int]:
        """Wait until no contact of the campaign is open or dialling; the queue's counts."""
        deadline = time.monotonic() + timeout
        while True:
            counts = self.counts(cid)
            busy = sum(counts.get(k, 0) for k in ("pending", "retry", "dialing"))
            if not busy:
                return counts
            if time.monotonic() > deadline:
                raise AssertionError(f"campaign {cid} not done: {counts}")
            time.sleep(0.5)


@pytest.fixture
def pg_db() -> Iterator[str]:
    """A PostgreSQL database of this test's own, dropped after it."""
    problem = _pg_available()
    if problem is not None:
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL not reachable at {PG_ADMIN} ({problem})")
        pytest.skip(f"PostgreSQL not reachable at {PG_ADMIN} ({problem})")
    name = f"lexdial_dist_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield f"{PG_ADMIN.rsplit('/', 1)[0]}/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def write_settings(root: Path, queue: str, *, lease_s: float = 5.0) -> Path:
    path = root / "lexdial.toml"
    path.write_text(
        f'[firm]\nname = "{FIRM}"\n\n[store]\ndata_dir = "data"\n\n'
        '[telephony]\ncarrier = "simulated"\ncps = 400\nchannels = 1000\n\n'
        f'[distributed]\nbroker_url = "{BROKER}"\nqueue = "{queue}"\n'
        f"lease_s = {lease_s}\nsupervise_s = 0.5\n",
        "utf-8",
    )
    return path


def make_store(root: Path, pg_db: str, queue: str) -> tuple[Store, dict[str, str]]:
    """A new store in ``pg_db`` (not a sandbox yet) and the environment its processes use."""
    root.mkdir(parents=True, exist_ok=True)
    settings_path = write_settings(root, queue)
    env = {
        **os.environ,
        "PYTHONPATH": str(SRC),
        "LEXDIAL_SETTINGS": str(settings_path),
        "LEXDIAL_DATABASE_URL": pg_db,
    }
    env.pop("LEXDIAL_DATA_DIR", None)
    env.pop("LEXDIAL_BROKER_URL", None)
    return init_store(load_settings(settings_path, env), env), env


def _broker_ok() -> str | None:
    import redis

    try:
        redis.Redis.from_url(BROKER, socket_timeout=2).ping()
    except Exception as exc:
        return type(exc).__name__
    return None


@pytest.fixture
def cluster(tmp_path: Path, pg_db: str) -> Iterator[Cluster]:
    problem = _broker_ok()
    if problem is not None:
        if os.environ.get("CI"):
            pytest.fail(f"Redis not reachable at {BROKER} ({problem})")
        pytest.skip(f"Redis not reachable at {BROKER} ({problem})")
    queue = f"lexdial-test-{uuid.uuid4().hex[:8]}"
    store, env = make_store(tmp_path, pg_db, queue)
    started = start_instant(datetime.now(UTC).date())
    mark_sandbox(store, started)
    clock = store_clock(store)
    with store.unit_of_work() as uow:
        uid = add_user(uow, store.cipher, store.firm_id, "admin@firm.test", "Admin", "admin",
                       clock(), audit=store.audit, caller=OPERATOR)  # fmt: skip
        token = issue_token(uow, store.audit, uid, "tests", OPERATOR, clock()).token
    c = Cluster(tmp_path, env, store, token, ZONE, clock=clock, started=started)
    try:
        yield c
    finally:
        c.stop_all()
        store.db.dispose()
        admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            for name in c.cleanup:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
        import redis

        redis.Redis.from_url(BROKER).delete(queue)


def start(store: Store, cid: int) -> None:
    """Start the campaign as `lexdial campaign start` does (the lint, then the status), by
    the store's clock."""
    now = store_clock(store)()
    with store.reading() as uow:
        problems = lint_campaign(uow, store.rules, store.cipher, store.registry,
                                 firm_id=store.firm_id, campaign_id=cid, at=now)  # fmt: skip
    with store.unit_of_work() as uow:
        set_status(uow, store.audit, store.firm_id, cid, "start", OPERATOR, now, problems)


def attempts(store: Store, cid: int) -> list[Any]:
    a = t.call_attempts.c
    with store.db.connect() as conn:
        return list(
            conn.execute(
                select(a.id, a.contact_id, a.number_bidx, a.status, a.verdict, a.at)
                .where(a.campaign_id == cid)
                .order_by(a.id)
            ).all()
        )
