"""Retention never un-suppresses a number: legal minimums refused at load, tombstones kept."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tests.e2e.test_store_cli import NUMBER, _setup, home, run

__all__ = ["home"]  # the fixture, shared with the store CLI tests

GATE = ("gate", "1", "--purpose", "reminder", "--technology", "prerecorded", "--json")


def _codes(capsys: pytest.CaptureFixture[str], at: str) -> set[str]:
    code, out, err = run(capsys, *GATE, "--at", at)
    assert code == 0, err
    decision = json.loads(out)
    assert decision["verdict"] == "deny"
    return {r["code"] for r in decision["reasons"]}


def test_a_one_day_dnc_retention_is_refused_naming_the_setting_and_the_minimum(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _setup(capsys)
    code, _, err = run(
        capsys, "optout", NUMBER, "--channel", "staff", "--at", "2026-11-02T16:00:00Z"
    )
    assert code == 0, err
    (home / "lexdial.toml").write_text(
        '[firm]\nname = "Hartwell & Ruiz LLP"\n[retention]\ndnc_entries = 1\n'
    )
    code, out, err = run(capsys, "privacy", "purge", "--at", "2026-12-02T16:00:00Z")
    assert code == 3
    assert "retention.dnc_entries" in err and "1827 days" in err and "64.1200(d)(6)" in err
    assert "Traceback" not in out + err
    (home / "lexdial.toml").write_text('[firm]\nname = "Hartwell & Ruiz LLP"\n')
    assert "INTERNAL_DNC" in _codes(capsys, "2026-12-02T16:05:00Z")


def test_an_opt_out_purged_after_its_retention_still_suppresses_the_number(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _setup(capsys)
    code, _, err = run(
        capsys, "optout", NUMBER, "--channel", "staff", "--at", "2026-11-02T16:00:00Z"
    )
    assert code == 0, err
    code, out, err = run(capsys, "privacy", "purge", "--at", "2037-12-02T16:00:00Z", "--json")
    assert code == 0, err
    assert json.loads(out)["dnc_entries"] == 1  # the entry itself is gone
    assert "INTERNAL_DNC" in _codes(capsys, "2037-12-02T16:05:00Z")
