"""The reliability harnesses: sizes, figures and the two backends.

``LEXDIAL_RELIABILITY=long`` (set by ``scripts/reliability.sh --long``) runs every
harness at its large size; unset, the same code runs at the small size CI can afford.
Each harness records what it did (kills, fuzz cases, ...) with ``figures.add``; the
totals are printed at the end of the run and, with ``LEXDIAL_RELIABILITY_FIGURES=FILE``,
written there as JSON (RELIABILITY.md quotes them).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from .sizes import FIGURES

PG_ADMIN = os.environ.get(
    "LEXDIAL_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


def _pg_problem() -> str | None:
    try:
        eng = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
        with eng.connect() as conn:
            conn.execute(text("select 1"))
        eng.dispose()
    except Exception as exc:  # any connection failure means "not available"
        return type(exc).__name__
    return None


@pytest.fixture
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[dict[str, str]]:
    """Environment for a child ``lexdial`` process: its own data folder (keys, registry)
    and, for PostgreSQL, its own fresh database (dropped afterwards)."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("LEXDIAL_DATABASE_URL", "LEXDIAL_MASTER_KEY", "LEXDIAL_WEBHOOK_URL")
    }
    home = tmp_path / "home"
    home.mkdir()
    (home / "lexdial.toml").write_text('[firm]\nname = "Hartwell & Ruiz LLP"\n')
    env.update(LEXDIAL_DATA_DIR=str(home / "data"), LEXDIAL_SETTINGS=str(home / "lexdial.toml"))
    env["RELIABILITY_HOME"] = str(home)
    kind = getattr(request, "param", "sqlite")
    if kind == "sqlite":
        _init(env)
        yield env
        return
    problem = _pg_problem()
    if problem is not None:
        message = f"PostgreSQL not reachable at {PG_ADMIN} ({problem})"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    name = f"lexdial_rel_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    env["LEXDIAL_DATABASE_URL"] = f"{PG_ADMIN.rsplit('/', 1)[0]}/{name}"
    try:
        _init(env)
        yield env
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not FIGURES:
        return
    terminalreporter.section("reliability figures")
    for key in sorted(FIGURES):
        terminalreporter.write_line(f"{key}: {FIGURES[key]}")
    out = os.environ.get("LEXDIAL_RELIABILITY_FIGURES")
    if out:
        Path(out).write_text(json.dumps(dict(sorted(FIGURES.items())), indent=2) + "\n")


def _init(env: dict[str, str]) -> None:
    """Create the store as a firm would, with ``lexdial init`` (no command makes one)."""
    done = subprocess.run(
        [sys.executable, "-m", "lexdial", "init"],
        env=env,
        cwd=env["RELIABILITY_HOME"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
