"""`lexdial sandbox` on PostgreSQL: a new store becomes a sandbox (the mark in its audit
trail); a store holding evidence is refused with exit 1 and a sentence, nothing marked."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.integration.distributed.conftest import make_store
from tests.integration.distributed.test_lease_and_sandbox import _add_evidence

from lexdial.bootstrap import is_sandbox
from lexdial.entrypoints.cli import main

pytestmark = pytest.mark.integration


def _env(monkeypatch: pytest.MonkeyPatch, env: dict[str, str]) -> None:
    for key in ("LEXDIAL_SETTINGS", "LEXDIAL_DATABASE_URL"):
        monkeypatch.setenv(key, env[key])
    monkeypatch.delenv("LEXDIAL_DATA_DIR", raising=False)
    monkeypatch.delenv("LEXDIAL_BROKER_URL", raising=False)


def test_lexdial_sandbox_marks_a_new_postgresql_store(
    tmp_path: Path, pg_db: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    store, env = make_store(tmp_path, pg_db, "q")
    _env(monkeypatch, env)
    try:
        assert main(["sandbox", "--json"]) == 0
        assert '"sandbox": true' in capsys.readouterr().out
        assert is_sandbox(store)
    finally:
        store.db.dispose()


def test_lexdial_sandbox_refuses_a_store_holding_evidence(
    tmp_path: Path, pg_db: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    store, env = make_store(tmp_path, pg_db, "q")
    _env(monkeypatch, env)
    try:
        _add_evidence(store)
        code = main(["sandbox"])
        err = capsys.readouterr().err
        assert code != 0 and "holds evidence" in err and "Traceback" not in err
        assert not is_sandbox(store)
    finally:
        store.db.dispose()
