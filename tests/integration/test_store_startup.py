"""Opening a store builds only what the command needs.

A store already at the newest migration is recognised with one query (Alembic is not
loaded), and the rule engine is built on first use, so that `lexdial audit verify` or
`lexdial consent show` do not pay for what they never use. Nothing here is timed
(bench/startup.py measures); these tests hold the properties and that nothing is skipped
that must run: a new or older store still goes through Alembic.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from alembic.script import ScriptDirectory
from sqlalchemy import Engine

from lexdial.adapters.db.database import (
    alembic_config,
    current_revisions,
    head_revision,
    make_engine,
    migrate,
)
from lexdial.bootstrap import open_store
from lexdial.config import Settings
from lexdial.rules.context import Policy

PROBE = """
import contextlib, io, json, sys
from lexdial.adapters.geodata import load_geography
from lexdial.entrypoints.cli import main
with contextlib.redirect_stdout(io.StringIO()):
    status = main(sys.argv[1:])
print(json.dumps({
    "status": status,
    "alembic": "alembic" in sys.modules,
    "geographies": load_geography.cache_info().currsize,
}))
"""


def run_cli(args: list[str], data_dir: Path) -> dict[str, object]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LEXDIAL_")}
    env["LEXDIAL_DATA_DIR"] = str(data_dir)
    done = subprocess.run(
        [sys.executable, "-c", PROBE, *args],
        cwd=data_dir.parent,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    result: dict[str, object] = json.loads(done.stdout.splitlines()[-1])
    return result


def test_the_head_read_from_the_migration_files_is_alembics_head() -> None:
    assert head_revision() == ScriptDirectory.from_config(alembic_config()).get_current_head()


def test_a_new_store_is_migrated_to_the_head_and_a_second_migrate_changes_nothing(
    tmp_path: Path,
) -> None:
    engine: Engine = make_engine(f"sqlite:///{tmp_path / 'store.sqlite3'}")
    assert current_revisions(engine) == set()
    migrate(engine)
    assert current_revisions(engine) == {head_revision()}
    migrate(engine)
    assert current_revisions(engine) == {head_revision()}


def test_an_older_store_is_still_upgraded_by_alembic(tmp_path: Path) -> None:
    from alembic import command

    engine = make_engine(f"sqlite:///{tmp_path / 'store.sqlite3'}")
    cfg = alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0001")
    assert current_revisions(engine) == {"0001"}
    migrate(engine)
    assert current_revisions(engine) == {head_revision()}


def test_init_migrates_a_new_store_and_a_store_command_on_an_existing_one_loads_no_alembic(
    tmp_path: Path,
) -> None:
    data = tmp_path / "data"
    first = run_cli(["init", "--firm", "Hartwell & Ruiz LLP"], data)
    assert (first["status"], first["alembic"]) == (0, True)
    again = run_cli(["audit", "verify"], data)
    assert (again["status"], again["alembic"]) == (0, False)


def test_a_store_command_that_decides_nothing_builds_no_rule_engine(tmp_path: Path) -> None:
    data = tmp_path / "data"
    assert run_cli(["init", "--firm", "Hartwell & Ruiz LLP"], data)["status"] == 0
    result = run_cli(["audit", "verify"], data)
    assert (result["status"], result["geographies"]) == (0, 0)


def test_the_stores_engine_is_built_on_first_use_once(tmp_path: Path) -> None:
    store = open_store(
        Settings(policy=Policy()), environ={"LEXDIAL_DATA_DIR": str(tmp_path)}, create=True
    )
    first = store.rules
    assert first is store.rules
    assert first.pack.rules
