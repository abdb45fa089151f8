"""The demo runs on a virtual clock: the same seed gives the same report, the campaign ends
finished and explained, and the dashboard's clock stops with it."""

from __future__ import annotations

import http.cookiejar
import re
import socket
import urllib.parse
import urllib.request
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, select

from lexdial.adapters.db import tables as t
from lexdial.adapters.db.uow import SqlUnitOfWork
from lexdial.config import Settings
from lexdial.entrypoints.demo_campaign import Serve, run_demo
from lexdial.entrypoints.render import campaign_report
from lexdial.rules.context import Policy
from lexdial.service.campaigns import OPEN, campaign_status

#: a seed whose run leaves a contact waiting on a retry after the demo's end
STOPPED_SEED = 3


def _demo(where: Path, seed: int | None = None, **kw: Any) -> dict[str, Any]:
    report = run_demo(where, Settings(policy=Policy()), seed=seed, **kw)
    return {k: v for k, v in report.items() if k != "data_dir"}


def _status(where: Path) -> str:
    engine = create_engine(f"sqlite:///{where / 'lexdial.sqlite3'}")
    try:
        with engine.connect() as conn:
            return campaign_status(SqlUnitOfWork(conn), 1)
    finally:
        engine.dispose()


@pytest.fixture(scope="module")
def stopped(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    return _demo(tmp_path_factory.mktemp("demo") / "one", STOPPED_SEED)


def test_the_demo_run_twice_with_the_same_seed_gives_the_same_report(
    stopped: dict[str, Any], tmp_path: Path
) -> None:
    again = _demo(tmp_path / "two", STOPPED_SEED)
    assert again == stopped  # every count, outcome, per-reason list, the end and its why
    assert campaign_report({**again, "data_dir": "x"}) == campaign_report(
        {**stopped, "data_dir": "x"}
    )


def test_a_campaign_left_waiting_at_the_demos_end_is_stopped_and_the_report_says_why(
    stopped: dict[str, Any], tmp_path: Path
) -> None:
    ended = stopped["ended"]
    assert ended["status"] == "stopped" and ended["cancelled"] >= 1
    assert "still waiting" in ended["why"] and "cancelled, not dialled" in ended["why"]
    assert not any(stopped["queue"].get(k) for k in OPEN) and stopped["still_deferred"] == 0
    assert "campaign stopped at 2026-12-01 21:00 UTC" in campaign_report(
        {**stopped, "data_dir": "x"}
    )


def test_a_demo_that_dials_everyone_leaves_its_campaign_completed_not_running(
    tmp_path: Path,
) -> None:
    report = _demo(tmp_path / "d")
    assert report["ended"]["status"] == "completed"
    assert _status(tmp_path / "d") == "completed"
    assert not any(report["queue"].get(k) for k in OPEN)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _log_in(base: str, email: str, password: str) -> urllib.request.OpenerDirector:
    opener = urllib.request.build_opener(
        urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
    )
    with opener.open(f"{base}/login", timeout=10) as res:
        page = res.read().decode()
    csrf = re.search(r'name="login_csrf" value="([^"]+)"', page)
    assert csrf is not None
    form = {"email": email, "password": password, "login_csrf": csrf.group(1)}
    with opener.open(f"{base}/login", urllib.parse.urlencode(form).encode(), timeout=10) as res:
        assert res.status == 200
    return opener


def test_the_dashboards_clock_stops_when_the_demos_campaign_ends_and_shows_it_finished(
    tmp_path: Path,
) -> None:
    lines: list[str] = []
    pages: list[str] = []

    def log_in_twice(report: dict[str, Any]) -> None:  # the dashboard is still up here
        found = re.search(r"(http://\S+)/ +\(log in as (\S+) / (\S+),", "\n".join(lines))
        assert found is not None, lines
        for _ in range(2):
            opener = _log_in(found.group(1), found.group(2), found.group(3))
        with opener.open(f"{found.group(1)}/campaigns/1", timeout=10) as res:
            pages.append(res.read().decode())

    serve = Serve(port=_free_port(), linger=False, announce=lines.append)
    report = _demo(tmp_path / "d", serve=serve, on_report=log_in_twice)
    engine = create_engine(f"sqlite:///{tmp_path / 'd' / 'lexdial.sqlite3'}")
    with engine.connect() as conn:
        stamps = conn.execute(
            select(t.audit_log.c.at).where(t.audit_log.c.action == "user.logged_in")
        ).all()
    engine.dispose()
    ended = datetime.fromisoformat(report["ended"]["at"]).replace(tzinfo=None)
    assert [at.replace(tzinfo=None) for (at,) in stamps] == [ended, ended]
    # and the dashboard shows the campaign finished, not "running ... Pause and resume"
    assert "Finished: every contact on the list has been dealt with." in pages[0]
    assert "Pause and resume" not in pages[0]
