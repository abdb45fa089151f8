"""Campaigns from the command line on the default SQLite store: create, add, lint, start,
run over the simulated carrier, pause/stop, report — and the main job, ``lexdial demo``."""

from __future__ import annotations

import json
import re
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from lexdial.entrypoints.cli import main

NUMBER = "+1 614 555 0101"
DIGITS = "6145550101"
CAMPAIGN = {
    "name": "Court-date reminders",
    "purpose": "reminder",
    "mode": "broadcast",
    "caller_id": "+16145550199",
    "message": {
        "text": "Hello, this is Hartwell and Ruiz with a reminder of your court date. "
        "Call us at 614-555-0199. To stop these calls, press 9.",
        # the message names a court date: the voicemail must not (a shared machine may hear it)
        "voicemail_text": "Hello, this is Hartwell and Ruiz. Please call us at 614-555-0199.",
    },
    "schedule": {"days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"],
                 "start": "00:00", "end": "23:59"},
}  # fmt: skip


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("LEXDIAL_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("LEXDIAL_DATABASE_URL", raising=False)
    monkeypatch.delenv("LEXDIAL_MASTER_KEY", raising=False)
    (tmp_path / "lexdial.toml").write_text('[firm]\nname = "Hartwell & Ruiz LLP"\n')
    assert main(["init"]) == 0  # the store is made explicitly, never by a command
    return tmp_path


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def _contact_with_consent(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "contact", "add", "--number", NUMBER, "--line-type", "wireless",
                       "--state", "OH", "--relationship", "current_client")  # fmt: skip
    assert code == 0, err
    code, _, err = run(capsys, "consent", "add", NUMBER, "--kind", "express", "--scope",
                       "reminder", "--seller", "Hartwell & Ruiz LLP", "--given-at",
                       "2026-06-01T12:00:00Z", "--method", "engagement letter", "--disclosure",
                       "You agree we may call you with reminders.", "--disclosure-version",
                       "v3", "--captured-by", "intake", "--document-ref", "DMS-1")  # fmt: skip
    assert code == 0, err


def test_a_campaign_is_created_linted_started_run_and_reported(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _contact_with_consent(capsys)
    (home / "c.json").write_text(json.dumps(CAMPAIGN))
    assert run(capsys, "campaign", "create", "c.json", "--json")[1].count('"campaign": 1')
    assert run(capsys, "campaign", "add", "1", "--all")[0] == 0
    code, out, _ = run(capsys, "campaign", "lint", "1")
    assert (code, out.strip()) == (0, "no problems found")
    assert run(capsys, "campaign", "start", "1")[1].strip() == "campaign #1 is running"
    code, out, err = run(
        capsys,
        "campaign",
        "run",
        "1",
        "--timescale",
        "0.0005",
        "--minutes",
        "60",
        "--json",
        "--at",
        "2026-12-02T15:00:00Z",
    )
    assert code == 0, err
    report = json.loads(out)
    assert report["dialled"] >= 1 and report["audit_chain_ok"]
    assert sum(report["outcomes"].values()) == report["dialled"]
    code, out, _ = run(capsys, "campaign", "report", "1")
    assert code == 0 and "audit chain                 intact" in out
    assert DIGITS not in out and NUMBER not in out
    raw = (home / "data" / "lexdial.sqlite3").read_bytes()
    assert DIGITS.encode() not in raw


def test_a_campaign_that_fails_the_lint_is_refused_with_every_problem_and_exit_5(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _contact_with_consent(capsys)
    bad = {**CAMPAIGN, "ring_timeout_s": 10, "message": {"text": "Your court date is Friday."}}
    # and without a voicemail text the message itself would be left on a machine:
    (home / "c.json").write_text(json.dumps(bad))
    run(capsys, "campaign", "create", "c.json")
    run(capsys, "campaign", "add", "1", "--contacts", "1")
    code, _, err = run(capsys, "campaign", "start", "1")
    assert code == 5
    # a reminder campaign: the 15 s ring is the firm's policy, reported as such (v1.1)
    assert "FIRM_POLICY" in err and "policy.dialer_rules_all_purposes" in err
    assert "SCRIPT_NONCOMPLIANT" in err
    assert "does not identify the firm" in err and "callback number" in err
    assert "VOICEMAIL_DISCLOSURE" in err and "'court'" in err
    code, _, _ = run(capsys, "campaign", "pause", "1")
    assert code == 5  # still a draft: it never started


def test_a_bad_campaign_file_names_the_field_and_exits_2(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (home / "c.json").write_text(json.dumps({**CAMPAIGN, "schedule": {"start": "9am"}}))
    code, _, err = run(capsys, "campaign", "create", "c.json")
    assert code == 2 and "schedule.start" in err
    (home / "c.toml").write_text('name = "x"\npurpose = "reminder"\nmode = "broadcast"\n')
    code, _, err = run(capsys, "campaign", "create", "c.toml")
    assert code == 2 and "message" in err


def test_the_demo_refuses_to_empty_a_folder_that_is_not_its_own(tmp_path: Path) -> None:
    (tmp_path / "precious.txt").write_text("do not delete")
    code = main(["demo", "--dir", str(tmp_path), "--no-serve"])
    assert code == 2 and (tmp_path / "precious.txt").exists()


def test_the_main_job_runs_a_whole_campaign_and_prints_its_report(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "lexdial", "demo", "--dir", str(tmp_path / "d")],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "Dialling campaign" in result.stderr  # the progress bar
    assert re.search(r"dashboard: http://127\.0\.0\.1:\d+/ +\(log in as ", result.stderr)
    for line in ("calls dialled", "blocked contacts, by reason code", "call outcomes",
                 "opt-outs pressed", "abandonment (30 days)", "audit chain"):  # fmt: skip
        assert line in out
    for code in ("INTERNAL_DNC", "CONSENT_REVOKED", "CONSENT_SCOPE", "NO_CONSENT"):
        assert code in out
    pressed = re.search(r"opt-outs pressed\s+(\d+), honoured (\d+)", out)
    assert pressed and int(pressed[1]) > 0 and pressed[1] == pressed[2]
    assert "intact" in out
    assert not re.search(r"\b\d{3}555\d{4}\b", out + result.stderr)  # no number in clear
    db = sqlite3.connect(tmp_path / "d" / "lexdial.sqlite3")
    waiting = db.execute(
        "select count(*) from campaign_contacts where status in ('pending','deferred','retry')"
    ).fetchone()[0]
    shown = re.search(r"still waiting\s+(\d+)", out)
    assert shown and int(shown[1]) == waiting  # the report tells what is left (retries)
