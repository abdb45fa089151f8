"""What a new user meets in the first hour: help that works as printed, errors that say
what is wrong, output that machines can read, and nothing destroyed by a slip."""

from __future__ import annotations

import json
import re
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from lexdial.bootstrap import mark_sandbox, open_store
from lexdial.config import load_settings
from lexdial.entrypoints.cli import build_parser, main

NUMBER = "+1 614 555 0101"
FIRM = "Hartwell & Ruiz LLP"


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    for name in ("LEXDIAL_DATA_DIR", "LEXDIAL_DATABASE_URL", "LEXDIAL_MASTER_KEY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("LEXDIAL_SETTINGS", raising=False)
    assert main(["init", "--firm", FIRM]) == 0
    return tmp_path


def _sandbox() -> None:
    """Mark the new store a sandbox, so that a simulated run dials it in place (on a live
    store it would be a rehearsal on a throw-away copy, which no lease or report sees)."""
    store = open_store(load_settings())
    mark_sandbox(store)
    store.db.dispose()


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def _contact(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, _ = run(
        capsys,
        *("contact", "add", "--number", NUMBER, "--line-type", "wireless"),
        *("--country", "US", "--state", "OH", "--relationship", "current_client"),
    )
    assert code == 0


def _help_example() -> str:
    """The campaign file printed by 'lexdial campaign --help', exactly as shown."""
    text = build_parser()._subparsers._group_actions[0].choices["campaign"].format_help()  # type: ignore[union-attr]
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("  name = "))
    end = next(i for i, line in enumerate(lines) if line.startswith("  delay_minutes"))
    return "\n".join(lines[start : end + 1]) + "\n"


def test_the_campaign_help_example_passes_the_lint_as_printed(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _contact(capsys)
    (home / "reminders.toml").write_text(_help_example())
    assert run(capsys, "campaign", "create", "reminders.toml")[0] == 0
    assert run(capsys, "campaign", "add", "1", "--all")[0] == 0
    code, out, _ = run(capsys, "campaign", "lint", "1")
    assert (code, out) == (0, "no problems found\n")


def test_the_campaign_help_example_passes_the_lint_for_a_prospect_on_a_landline(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A reminder to someone who is not a client may be telemarketing: its message must
    offer the opt-out within 2 seconds of naming the firm (47 CFR 64.1200(b)(2)); the
    printed example did not, so a new user's first campaign of imported prospects failed."""
    code, _, _ = run(
        capsys,
        *("contact", "add", "--number", NUMBER, "--line-type", "landline"),
        *("--country", "US", "--state", "OH"),
    )
    assert code == 0
    (home / "reminders.toml").write_text(_help_example())
    assert run(capsys, "campaign", "create", "reminders.toml")[0] == 0
    assert run(capsys, "campaign", "add", "1", "--all")[0] == 0
    code, out, _ = run(capsys, "campaign", "lint", "1")
    assert (code, out) == (0, "no problems found\n")


def test_a_file_that_is_neither_json_nor_toml_reports_both_parsers_first_error(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (home / "bad.json").write_text('{"name": "x",\n "purpose": }\n')
    code, _, err = run(capsys, "campaign", "create", "bad.json")
    assert code == 2
    assert "as JSON: Expecting value at line 2" in err and "as TOML:" in err


def test_a_draft_campaign_can_be_edited_and_a_started_one_cannot(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _contact(capsys)
    (home / "reminders.toml").write_text(_help_example())
    run(capsys, "campaign", "create", "reminders.toml")
    (home / "edited.toml").write_text(_help_example().replace("Court-date", "Hearing"))
    code, out, _ = run(capsys, "campaign", "edit", "1", "edited.toml", "--json")
    assert code == 0 and json.loads(out) == {"campaign": 1, "status": "draft"}
    with sqlite3.connect(home / "data" / "lexdial.sqlite3") as db:
        assert db.execute("select name from campaigns").fetchall() == [("Hearing reminders",)]
    run(capsys, "campaign", "add", "1", "--all")
    assert run(capsys, "campaign", "start", "1")[0] == 0
    code, _, err = run(capsys, "campaign", "edit", "1", "reminders.toml")
    assert code == 5 and "only a draft can be edited" in err


def test_campaign_lint_prints_its_problems_once(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _contact(capsys)
    anonymous = _help_example().replace("Hartwell and Ruiz", "your attorney's office")
    (home / "reminders.toml").write_text(anonymous)
    run(capsys, "campaign", "create", "reminders.toml")
    run(capsys, "campaign", "add", "1", "--all")
    code, out, err = run(capsys, "campaign", "lint", "1")
    assert code == 5 and out == ""
    problems = [line for line in err.splitlines() if line.startswith("  - ")]
    assert problems and len(problems) == len(set(problems))
    assert all((out + err).count(p) == 1 for p in problems)
    code, out, err = run(capsys, "campaign", "lint", "1", "--json")
    assert code == 5 and json.loads(out)["problems"] and "  - " not in err


def test_a_given_at_without_an_offset_says_it_lacks_one_rather_than_that_it_is_missing(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _contact(capsys)
    code, _, err = run(
        capsys,
        *("consent", "add", NUMBER, "--kind", "express", "--scope", "reminder"),
        *("--seller", FIRM, "--given-at", "2026-06-01T12:00:00", "--method", "letter"),
        *("--disclosure", "We may call you.", "--disclosure-version", "v1"),
        *("--captured-by", "intake:jdoe"),
    )
    assert code == 2 and "has no offset" in err and "is required" not in err


def test_consent_show_gives_every_time_with_its_zone(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _contact(capsys)
    run(
        capsys,
        *("consent", "add", NUMBER, "--kind", "express", "--scope", "reminder"),
        *("--seller", FIRM, "--given-at", "2026-06-01T08:00:00-04:00", "--method", "letter"),
        *("--disclosure", "We may call you.", "--disclosure-version", "v1"),
        *("--captured-by", "intake:jdoe"),
    )
    run(capsys, "consent", "revoke", "1", "--channel", "sms", "--at", "2026-07-01T12:30:00Z")
    out = run(capsys, "consent", "show", NUMBER)[1]
    assert "given 2026-06-01 12:00 UTC" in out and "REVOKED 2026-07-01 12:30 UTC" in out
    stamps = re.findall(r"\d{4}-\d\d-\d\d[ T]\d\d:\d\d(?::\d\d)?(?P<after>.{0,4})", out)
    assert stamps and all(after.startswith(" UTC") for after in stamps)


@pytest.mark.parametrize(
    ("argv", "allowed"),
    [
        (("gate", "1", "--purpose", "sales"), "marketing"),
        (("gate", "1", "--technology", "robot"), "prerecorded"),
        (("contact", "add", "--number", NUMBER, "--relationship", "friend"), "former_client"),
    ],
)
def test_options_with_a_fixed_vocabulary_name_their_allowed_values(
    home: Path, capsys: pytest.CaptureFixture[str], argv: tuple[str, ...], allowed: str
) -> None:
    code, _, err = run(capsys, *argv)
    assert code == 2 and allowed in err and "invalid choice" in err


def test_evidence_privacy_export_and_users_add_answer_in_json(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _contact(capsys)
    code, out, _ = run(
        capsys, "users", "add", "ana@firm.test", "--name", "Ana", "--role", "agent", "--json"
    )
    assert code == 0 and json.loads(out) == {"user_id": 1, "role": "agent"}
    code, out, _ = run(capsys, "evidence", NUMBER, "--out", "bundle.json", "--json")
    assert code == 0 and json.loads(out)["out"] == "bundle.json"
    assert json.loads((home / "bundle.json").read_text())["consents"] == []
    code, out, _ = run(capsys, "privacy", "export", NUMBER, "--out", "dsar", "--json")
    assert code == 0 and json.loads(out)["files"] == ["dsar/export.json", "dsar/export.csv"]


def test_an_export_refuses_to_replace_an_earlier_one_unless_forced(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _contact(capsys)
    assert run(capsys, "privacy", "export", NUMBER, "--out", "dsar")[0] == 0
    first = (home / "dsar" / "export.json").read_text()
    (home / "dsar" / "export.json").write_text("the earlier person's export")
    code, _, err = run(capsys, "privacy", "export", NUMBER, "--out", "dsar")
    assert code == 2 and "already exists" in err and "--force" in err
    assert (home / "dsar" / "export.json").read_text() == "the earlier person's export"
    assert run(capsys, "privacy", "export", NUMBER, "--out", "dsar", "--force")[0] == 0
    assert (home / "dsar" / "export.json").read_text() == first
    assert run(capsys, "evidence", NUMBER, "--out", "dsar/export.json")[0] == 2


def test_privacy_erase_asks_first_and_without_yes_in_a_script_erases_nothing(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _contact(capsys)
    code, _, err = run(capsys, "privacy", "erase", NUMBER)  # stdin is not a terminal here
    assert code == 2 and "--yes" in err
    assert "1 consents" not in err
    code, out, _ = run(capsys, "consent", "show", NUMBER, "--json")
    assert code == 0  # the contact is still there: show would refuse an erased number
    code, out, _ = run(capsys, "privacy", "erase", NUMBER, "--yes", "--json")
    assert code == 0 and json.loads(out) == {"contact_id": 1, "erased": True}


def test_a_run_refused_by_a_live_lease_says_when_it_expires_and_how_to_take_over(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _sandbox()
    _contact(capsys)
    (home / "reminders.toml").write_text(_help_example())
    run(capsys, "campaign", "create", "reminders.toml")
    run(capsys, "campaign", "add", "1", "--all")
    run(capsys, "campaign", "start", "1")
    until = datetime.now(UTC) + timedelta(seconds=45)
    with sqlite3.connect(home / "data" / "lexdial.sqlite3") as db:  # a killed dialler's lease
        db.execute(
            "update campaigns set lease_owner = 'dialer-killed', lease_until = ? where id = 1",
            (until.replace(tzinfo=None).isoformat(sep=" "),),
        )
    code, _, err = run(capsys, "campaign", "run", "1", "--timescale", "0.001")
    assert code == 5
    assert f"until {until:%Y-%m-%d %H:%M}" in err and " s from now" in err
    assert "run this again after" in err and "lexdial campaign pause 1" in err


def test_demo_attempts_cuts_no_word_and_gives_its_times_with_their_zone(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, _ = run(capsys, "demo", "--attempts")
    assert code == 0
    rows = [line for line in out.splitlines() if re.match(r"^\s*\d+  ", line)]
    titles = [row[4:51].strip().removesuffix("...") for row in rows]
    samples = json.loads(
        (Path(__file__).parents[2] / "src/lexdial/samples/attempts.json").read_text()
    )
    for title, sample in zip(titles, samples, strict=True):
        assert sample["title"].startswith(title)
        rest = sample["title"][len(title) :]
        assert rest == "" or rest[0] == " ", (title, sample["title"])  # cut between words
    deferred = [row for row in rows if " defer " in row]
    assert deferred and all(re.search(r"\d\d:\d\d UTC ", row) for row in deferred)


def test_explain_describes_the_firms_own_rules_instead_of_repeating_their_id(
    capsys: pytest.CaptureFixture[str],
) -> None:
    examples = Path(__file__).parents[2] / "examples"
    code, out, _ = run(capsys, "explain", str(examples / "attempt.json"))
    assert code == 0
    lines = out.splitlines()
    at = next(i for i, line in enumerate(lines) if line.strip() == "pass  firm.calling-hours")
    assert lines[at + 1].strip().startswith("Firm policy: every call only 08:00-21:00")
    for i, line in enumerate(lines[:-1]):  # no rule is described by its own id
        if line.strip().startswith(("pass  ", "FAIL  ")):
            assert lines[i + 1].strip() != line.strip().split()[1]


def test_a_campaign_report_gives_the_next_due_time_with_its_zone(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _sandbox()
    _contact(capsys)
    consent = run(
        capsys,
        *("consent", "add", NUMBER, "--kind", "express", "--scope", "reminder"),
        *("--seller", FIRM, "--given-at", "2026-06-01T12:00:00Z", "--method", "letter"),
        *("--disclosure", "We may call you.", "--disclosure-version", "v1"),
        *("--captured-by", "intake:jdoe", "--at", "2026-06-01T12:00:00Z"),
    )
    assert consent[0] == 0
    (home / "reminders.toml").write_text(_help_example())
    run(capsys, "campaign", "create", "reminders.toml")
    run(capsys, "campaign", "add", "1", "--all")
    run(capsys, "campaign", "start", "1")
    # 23:00 in Ohio: the gate defers the reminder to 08:00 there (13:00 UTC)
    at = ("--at", "2027-01-06T04:00:00Z")
    code, out, err = run(capsys, "campaign", "run", "1", *at, "--timescale", "0.001")
    assert code == 0, err
    assert "next due 2027-01-06 13:00 UTC" in out
    report = json.loads(run(capsys, "campaign", "report", "1", "--json", *at)[1])
    assert report["next_due"] == "2027-01-06T13:00:00+00:00"


def test_the_gate_says_an_explanation_shared_by_several_codes_once(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _contact(capsys)
    run(
        capsys,
        *("consent", "add", NUMBER, "--kind", "express", "--scope", "reminder"),
        *("--seller", FIRM, "--given-at", "2026-06-01T12:00:00Z", "--method", "letter"),
        *("--disclosure", "We may call you.", "--disclosure-version", "v1"),
        *("--captured-by", "intake:jdoe"),
    )
    code, out, _ = run(
        capsys,
        *("gate", "1", "--purpose", "marketing", "--technology", "prerecorded"),
        *("--at", "2027-01-06T16:00:00Z"),
    )
    assert code == 0 and out.startswith("attempt #1: DENY")
    reasons = out.splitlines()[1:]
    assert len(reasons) == len({line.split(": ", 1)[1] for line in reasons})  # no repeats
    assert any(line.startswith("  CONSENT_SCOPE: ") for line in reasons)
    assert "  WRITTEN_CONSENT_REQUIRED: The same failure as CONSENT_SCOPE" in "\n".join(reasons)
    code, out, _ = run(
        capsys,
        *("gate", "1", "--purpose", "marketing", "--technology", "prerecorded"),
        *("--at", "2027-01-06T16:00:00Z", "--json"),
    )
    assert {"CONSENT_SCOPE", "WRITTEN_CONSENT_REQUIRED"} <= {
        r["code"] for r in json.loads(out)["reasons"]
    }  # the record keeps every code
