"""Users from the command line: only an admin creates them; who did it is on the trail."""

from __future__ import annotations

import getpass
import sqlite3
from pathlib import Path

import pytest
from tests.e2e.test_store_cli import home, run

__all__ = ["home"]  # the fixture, shared with the store CLI tests


def _audit(home: Path) -> list[tuple[str, str, str]]:
    with sqlite3.connect(home / "data" / "lexdial.sqlite3") as db:
        rows = db.execute("SELECT actor, action, subject FROM audit_log ORDER BY seq").fetchall()
    return [r for r in rows if r[1] != "firm.created"]  # written by `lexdial init`


def test_the_local_operator_creates_users_audited_by_login_and_others_are_refused(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(capsys, "users", "add", "cc@firm.test", "--name", "C C", "--role",
                         "compliance")  # fmt: skip
    assert code == 0, err
    code, _, err = run(capsys, "users", "attest", "1", "--course", "TCPA", "--on", "2026-11-01")
    assert code == 0, err
    code, _, err = run(capsys, "--user", "1", "users", "add", "x@firm.test", "--name", "X",
                       "--role", "admin")  # fmt: skip
    assert code == 4 and "users.write" in err and "Traceback" not in err
    actor = f"cli:operator:{getpass.getuser()}"
    assert _audit(home) == [
        (actor, "user.created", "user:1"),
        (actor, "training.attested", "user:1"),
    ]


def test_users_add_refuses_a_name_with_a_bidi_override_naming_the_field_and_adds_nobody(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    name = "Ana \u2067Diaz\u2069"
    code, out, err = run(capsys, "users", "add", "ana@firm.test", "--name", name, "--role",
                         "agent")  # fmt: skip
    assert code == 2 and "name" in err and "bidi" in err
    assert name not in err and "Traceback" not in err and out == ""
    assert _audit(home) == []
