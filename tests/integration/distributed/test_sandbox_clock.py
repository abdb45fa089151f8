"""A sandbox's simulated clock (`lexdial sandbox --start`): recorded in the store when it is
made, read the same by every process that opens it, running in real time from its start;
refused on a live store, on a store that is already a sandbox, and with a real carrier."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from tests.integration.distributed.conftest import make_store
from tests.integration.distributed.test_sandbox_cli import _env

from lexdial.bootstrap import init_store, mark_sandbox, open_store
from lexdial.bootstrap.sandbox_clock import store_clock, wall_clock
from lexdial.config import load_settings
from lexdial.entrypoints.cli import main
from lexdial.errors import ConfigError

pytestmark = pytest.mark.integration

START = datetime(2026, 3, 4, 15, 0, tzinfo=UTC)


def test_lexdial_sandbox_start_gives_every_process_on_the_store_the_same_running_clock(
    tmp_path: Path, pg_db: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    store, env = make_store(tmp_path, pg_db, "q")
    _env(monkeypatch, env)
    try:
        assert main(["sandbox", "--start", "2026-03-04T10:00-05:00", "--json"]) == 0
        assert '"clock_start": "2026-03-04T15:00:00Z"' in capsys.readouterr().out
        other = open_store(load_settings(Path(env["LEXDIAL_SETTINGS"]), env), env)
        try:
            first, second = store_clock(store), store_clock(other)  # two openers of one store
            a = first()
            assert START <= a < START + timedelta(minutes=1)
            time.sleep(0.3)
            b, c = second(), first()
            assert timedelta(seconds=0.25) <= b - a <= c - a < timedelta(seconds=5)  # real time
        finally:
            other.db.dispose()
    finally:
        store.db.dispose()


def test_a_live_store_and_a_sandbox_without_start_run_on_the_wall_clock(
    tmp_path: Path, pg_db: str
) -> None:
    store, _ = make_store(tmp_path, pg_db, "q")
    try:
        assert store_clock(store) is wall_clock
        mark_sandbox(store)
        assert store_clock(store) is wall_clock
        with pytest.raises(ConfigError, match=r"already a sandbox.*sandbox --start"):
            mark_sandbox(store, START)  # a clock set later would jump under its records
    finally:
        store.db.dispose()


def test_a_store_that_is_no_longer_a_sandbox_refuses_its_recorded_clock(tmp_path: Path) -> None:
    path = tmp_path / "lexdial.toml"
    path.write_text('[firm]\nname = "Hartwell & Ruiz LLP"\n', "utf-8")
    env = {"LEXDIAL_DATA_DIR": str(tmp_path / "data")}
    store = init_store(load_settings(path, env), env)
    try:
        mark_sandbox(store, START)
        assert store_clock(store)() >= START
        (store.data_dir / "SANDBOX").unlink()  # a SQLite sandbox made live by hand
        with pytest.raises(ConfigError, match=r"sandbox --start .* not a sandbox"):
            store_clock(store)
    finally:
        store.db.dispose()


def test_a_simulated_clock_is_refused_for_a_carrier_that_can_ring_a_real_phone(
    tmp_path: Path, pg_db: str
) -> None:
    store, _ = make_store(tmp_path, pg_db, "q")
    try:
        mark_sandbox(store, START)
        real = {"LEXDIAL_TWILIO_API_URL": "https://api.twilio.com"}
        for carrier, env in (("twilio", {}), ("sip", {}), ("twilio", real)):
            with pytest.raises(ConfigError, match=rf"telephony\.carrier '{carrier}'"):
                store_clock(store, carrier, env)
        stand_in = {"LEXDIAL_TWILIO_API_URL": "http://127.0.0.1:8765"}  # no phone behind it
        assert store_clock(store, "twilio", stand_in)() >= START
    finally:
        store.db.dispose()


def test_lexdial_sandbox_start_without_an_offset_is_refused_naming_the_option(
    tmp_path: Path, pg_db: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    store, env = make_store(tmp_path, pg_db, "q")
    _env(monkeypatch, env)
    try:
        assert main(["sandbox", "--start", "2026-03-04T15:00"]) != 0
        err = capsys.readouterr().err
        assert "--start" in err and "offset" in err and "Traceback" not in err
        assert store_clock(store) is wall_clock
    finally:
        store.db.dispose()
