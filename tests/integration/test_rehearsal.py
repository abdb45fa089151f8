"""A rehearsal (``campaign run`` on the simulated carrier) leaves the live store untouched,
on SQLite and on PostgreSQL: every row of every table is the same before and after."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, text
from tests.e2e.test_campaign_cli import CAMPAIGN, NUMBER, _contact_with_consent, run

from lexdial.adapters.db import tables as t
from lexdial.adapters.db.database import make_engine
from lexdial.adapters.telephony.simulated import SimulatedCarrier
from lexdial.bootstrap import init_store, mark_sandbox, open_store
from lexdial.config import load_settings
from lexdial.entrypoints.api.runner import CampaignRunner
from lexdial.errors import ConfigError

pytestmark = pytest.mark.integration
START = "2026-12-02T15:00:00Z"


@pytest.fixture(params=["sqlite", "postgresql"])
def home(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("LEXDIAL_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("LEXDIAL_MASTER_KEY", raising=False)
    monkeypatch.delenv("LEXDIAL_WEBHOOK_URL", raising=False)
    if request.param == "sqlite":
        monkeypatch.delenv("LEXDIAL_DATABASE_URL", raising=False)
    else:
        url = request.getfixturevalue("pg_url")
        engine = make_engine(url)
        with engine.begin() as conn:  # each test starts from an empty schema
            conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        engine.dispose()
        monkeypatch.setenv("LEXDIAL_DATABASE_URL", url)
    (tmp_path / "lexdial.toml").write_text('[firm]\nname = "Hartwell & Ruiz LLP"\n')
    init_store(load_settings()).db.dispose()  # stores are created explicitly (lexdial init)
    return tmp_path


def _started_campaign(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _contact_with_consent(capsys)
    (home / "c.json").write_text(json.dumps(CAMPAIGN))
    for argv in (("campaign", "create", "c.json"), ("campaign", "add", "1", "--all"),
                 ("campaign", "start", "1", "--at", START)):  # fmt: skip
        code, _, err = run(capsys, *argv)
        assert code == 0, (argv, err)


def _rows() -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table of the live store, in key order."""
    store = open_store(load_settings())
    try:
        with store.db.connect() as conn:
            return {
                table.name: [
                    tuple(r)
                    for r in conn.execute(select(table).order_by(*table.primary_key.columns))
                ]
                for table in t.metadata.sorted_tables
            }
    finally:
        store.db.dispose()


def _sqlite_dump(home: Path) -> str | None:
    path = home / "data" / "lexdial.sqlite3"
    if not path.exists() or "LEXDIAL_DATABASE_URL" in __import__("os").environ:
        return None
    with sqlite3.connect(path) as db:
        return "\n".join(db.iterdump())


def test_a_rehearsal_dials_a_throw_away_copy_and_the_live_store_is_unchanged(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _started_campaign(home, capsys)
    before, dump_before = _rows(), _sqlite_dump(home)
    evidence_before = run(capsys, "evidence", NUMBER)[1]
    code, out, err = run(capsys, "campaign", "run", "1", "--json", "--at", START)
    assert code == 0, err
    report = json.loads(out)
    assert (
        report["rehearsal"] is True
        and report["dialled"] >= 1
        and sum(report["outcomes"].values()) == report["dialled"]
    )
    assert "rehearsal on the simulated carrier" in err and "throw-away copy" in err
    assert "--timescale 0.001, default" in err and "rehearsal over" in err
    after = _rows()
    assert after == before  # row for row: no attempt, outcome, opt-out or audit entry
    assert after["call_attempts"] == [] and after["call_outcomes"] == []
    assert _sqlite_dump(home) == dump_before  # on SQLite the whole dump, byte for byte
    assert run(capsys, "evidence", NUMBER)[1] == evidence_before  # what a court would see
    code, out, _ = run(capsys, "campaign", "report", "1", "--json", "--at", START)
    assert code == 0 and json.loads(out)["dialled"] == 0
    code, out, _ = run(capsys, "consent", "show", NUMBER)
    assert "REVOKED" not in out


def test_the_web_runner_refuses_the_simulated_carrier_on_a_live_store(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _started_campaign(home, capsys)
    store = open_store(load_settings())
    at = datetime(2026, 12, 2, 15, tzinfo=UTC)

    async def start() -> tuple[bool, set[int]]:
        runner = CampaignRunner(store, lambda: at, lambda: SimulatedCarrier(timescale=0.001))
        runner.start(1)
        running = runner.running(1)
        await runner.close()
        return running, runner.refused

    before = _rows()
    assert asyncio.run(start()) == (False, {1})
    assert _rows() == before
    store.db.dispose()


def test_a_sandbox_store_is_dialled_in_place(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    if "LEXDIAL_DATABASE_URL" in __import__("os").environ:
        pytest.skip("a PostgreSQL store is never a sandbox")
    store = open_store(load_settings())
    mark_sandbox(store)
    store.db.dispose()
    _started_campaign(home, capsys)
    code, out, err = run(capsys, "campaign", "run", "1", "--json", "--at", START)
    assert code == 0 and "sandbox store" in err, err
    code, out, _ = run(capsys, "campaign", "report", "1", "--json", "--at", START)
    assert json.loads(out)["dialled"] >= 1


def test_a_store_holding_evidence_cannot_be_made_a_sandbox(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _contact_with_consent(capsys)
    store = open_store(load_settings())
    with pytest.raises(ConfigError, match="holds evidence"):
        mark_sandbox(store)
    store.db.dispose()
