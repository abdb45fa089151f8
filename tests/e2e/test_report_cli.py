"""``lexdial report ...`` on the default SQLite store: a campaign is run from the command
line, then its report, the do-not-call policy, the roster and one person's evidence are
written as PDFs, read back with pypdf, and the caller's role is checked."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from pypdf import PdfReader

from lexdial.bootstrap import mark_sandbox, open_store
from lexdial.config import load_settings
from lexdial.entrypoints.cli import main

NUMBER = "+1 614 555 0101"
DIGITS = "6145550101"
FIRM = "Hartwell & Ruiz LLP"
CAMPAIGN = {
    "name": "Court-date reminders",
    "purpose": "reminder",
    "mode": "broadcast",
    "caller_id": "+16145550199",
    "message": {
        "text": "Hello, this is Hartwell and Ruiz with a reminder of your court date. "
        "Call us at 614-555-0199. To stop these calls, press 9.",
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
    (tmp_path / "lexdial.toml").write_text(f'[firm]\nname = "{FIRM}"\n')
    assert main(["init"]) == 0  # the store is made explicitly, never by a command
    return tmp_path


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def text(path: Path) -> str:
    return "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(path.read_bytes())).pages)


@pytest.fixture
def campaign(home: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    """One contact with consent, one trained agent, campaign #1 run on the simulated carrier
    into a sandbox store (a live store would only be rehearsed on a throw-away copy)."""
    mark_sandbox(open_store(load_settings(home / "lexdial.toml")))
    for argv in (
        ("contact", "add", "--number", NUMBER, "--line-type", "wireless", "--state", "OH",
         "--relationship", "current_client"),
        ("consent", "add", NUMBER, "--kind", "express", "--scope", "reminder", "--seller", FIRM,
         "--given-at", "2026-06-01T12:00:00Z", "--method", "engagement letter", "--disclosure",
         "You agree we may call you with reminders.", "--disclosure-version", "v3",
         "--captured-by", "intake", "--document-ref", "DMS-1"),
        ("users", "add", "ana@firm.test", "--name", "Ana Diaz", "--role", "agent"),
        ("users", "attest", "1", "--course", "TCPA/DNC 2026", "--on", "2026-11-20"),
        ("campaign", "create", "c.json"),
        ("campaign", "add", "1", "--all"),
        ("campaign", "start", "1"),
        ("campaign", "run", "1", "--timescale", "0.0005", "--minutes", "60", "--at",
         "2026-12-02T15:00:00Z"),
    ):  # fmt: skip
        if argv[1] == "create":
            (home / "c.json").write_text(json.dumps(CAMPAIGN))
        code, _, err = run(capsys, *argv)
        assert code == 0, (argv, err)
    return home


def test_the_campaign_report_is_written_in_the_current_directory_and_its_path_printed(
    campaign: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, "report", "campaign", "1", "--at", "2026-12-02T16:00:00Z")
    assert code == 0, err
    path = campaign / "campaign-1-report.pdf"
    assert out.strip() == str(path.resolve())
    body = text(path)
    for needle in ("Campaign #1: Court-date reminders", FIRM, "Calls placed 1",
                   "Calls outside 08:00-21:00 local (must be 0) 0", "Audit chain intact",
                   "Generated 2026-12-02 16:00:00 UTC", "47 CFR 64.1200(a)(7)"):  # fmt: skip
        assert needle in body, needle
    assert DIGITS not in body and DIGITS not in out


def test_policy_roster_and_evidence_are_written_where_asked(
    campaign: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, "report", "policy", "-o", "out/policy.pdf")
    assert code == 0, err
    assert out.strip() == str((campaign / "out" / "policy.pdf").resolve())
    policy = text(campaign / "out" / "policy.pdf")
    assert "47 CFR 64.1200(d)(1)" in policy and "key_press" in policy
    assert DIGITS not in policy

    code, _, err = run(capsys, "report", "roster")
    assert code == 0, err
    roster = text(campaign / "training-roster.pdf")
    assert "Ana Diaz" in roster and "2026-11-20" in roster and "current" in roster

    code, out, err = run(capsys, "report", "evidence", NUMBER, "--json")
    assert code == 0, err
    pdf, side = campaign / "evidence-contact-1.pdf", campaign / "evidence-contact-1.json"
    assert out.split() == [str(pdf.resolve()), str(side.resolve())]
    assert DIGITS not in out  # the number is in the files, not in the file names
    body = text(pdf)
    assert "+16145550101" in body and "You agree we may call you with reminders." in body
    bundle = json.loads(side.read_text())
    assert bundle["chain"]["head"] in body.replace("\n", "")


def test_the_callers_role_is_checked_and_errors_name_the_field(
    campaign: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(capsys, "--user", "1", "report", "campaign", "1")
    assert code == 4 and "audit.read" in err  # an agent may not read the audit trail
    assert not (campaign / "campaign-1-report.pdf").exists()
    assert run(capsys, "--user", "1", "report", "roster")[0] == 4
    assert run(capsys, "--user", "1", "report", "policy")[0] == 0  # on demand, to anyone
    code, _, err = run(capsys, "report", "campaign", "99")
    assert code == 7 and "campaign" in err  # not found


def test_the_help_shows_examples(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        main(["report", "--help"])
    assert done.value.code == 0
    out = capsys.readouterr().out
    assert "lexdial report campaign 1" in out and "lexdial report policy" in out
