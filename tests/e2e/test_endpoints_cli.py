"""Agents' endpoints from the command line: added, listed and removed by the operator (an
admin), refused with the field named, audited by id and kind only."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from tests.e2e.test_store_cli import home, run

__all__ = ["home"]  # the fixture, shared with the store CLI tests


def _actions(home: Path) -> list[tuple[str, str, str]]:
    with sqlite3.connect(home / "data" / "lexdial.sqlite3") as db:
        rows = db.execute("SELECT action, subject, data FROM audit_log ORDER BY seq").fetchall()
    return [r for r in rows if r[0].startswith("user.endpoint")]


def test_the_operator_adds_lists_and_removes_an_agents_endpoints(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(capsys, "users", "add", "ana@firm.test", "--name", "Ana", "--role", "agent")
    assert code == 0, err
    code, out, err = run(capsys, "users", "endpoint", "add", "1", "--sip",
                         "sip:1001@pbx.example.com")  # fmt: skip
    assert code == 0 and out == "endpoint #1 (sip) added for user #1\n", err
    code, out, err = run(capsys, "users", "endpoint", "add", "1", "--browser", "--json")
    assert code == 0 and json.loads(out)["kind"] == "browser", err
    code, out, err = run(capsys, "users", "endpoint", "list", "1", "--json")
    assert code == 0, err
    assert [e["kind"] for e in json.loads(out)] == ["sip", "browser"]
    code, out, err = run(capsys, "users", "endpoint", "remove", "1")
    assert code == 0 and out == "endpoint #1 (sip) removed from user #1\n", err
    actions = _actions(home)
    assert [(a, s) for a, s, _ in actions] == [
        ("user.endpoint_added", "user:1"),
        ("user.endpoint_added", "user:1"),
        ("user.endpoint_removed", "user:1"),
    ]
    assert not any("pbx.example.com" in d for _, _, d in actions)


def test_a_bad_address_an_unknown_user_and_a_non_admin_are_refused(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(capsys, "users", "add", "ana@firm.test", "--name", "Ana", "--role", "agent")
    assert code == 0, err
    code, _, err = run(capsys, "users", "endpoint", "add", "1", "--sip", "sip:10 01@pbx")
    assert code != 0 and "address" in err and "Traceback" not in err
    code, _, err = run(capsys, "users", "endpoint", "add", "7", "--browser")
    assert code != 0 and "user #7" in err and "Traceback" not in err
    code, _, err = run(capsys, "--user", "1", "users", "endpoint", "add", "1", "--browser")
    assert code == 4 and "users.write" in err
    assert _actions(home) == []
