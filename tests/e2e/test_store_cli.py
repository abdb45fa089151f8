"""The evidence store from the command line, end to end on the default SQLite store with
real encryption: a contact, a consent, the gate, an opt-out, the audit trail, evidence,
privacy rights and key rotation — and no number or name in clear on disk or in output."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from lexdial.entrypoints.cli import main

NUMBER = "+1 614 555 0101"
DIGITS = "6145550101"
NAME = "Dana Quillfeather"
#: one consent with its evidence, as the command line records it
CONSENT = (
    "consent",
    "add",
    NUMBER,
    "--kind",
    "express",
    "--scope",
    "reminder,notification",
    "--seller",
    "Hartwell & Ruiz LLP",
    "--given-at",
    "2026-06-01T12:00:00Z",
    "--method",
    "engagement letter",
    "--disclosure",
    "You agree we may call you...",
    "--disclosure-version",
    "v3",
    "--captured-by",
    "intake:jdoe",
    "--document-ref",
    "DMS-1",
)


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


def _setup(capsys: pytest.CaptureFixture[str]) -> list[str]:
    outputs = []
    for argv in (
        (
            "contact",
            "add",
            "--number",
            NUMBER,
            "--name",
            NAME,
            "--line-type",
            "wireless",
            "--country",
            "US",
            "--state",
            "OH",
            "--relationship",
            "current_client",
        ),
        (*CONSENT, "--at", "2026-11-01T12:00:00Z"),
    ):
        code, out, err = run(capsys, *argv)
        assert code == 0, err
        outputs.append(out + err)
    return outputs


def test_a_consented_reminder_passes_the_gate_and_an_opt_out_stops_the_next_call(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    printed = _setup(capsys)
    code, out, err = run(
        capsys,
        "gate",
        "1",
        "--purpose",
        "reminder",
        "--technology",
        "prerecorded",
        "--at",
        "2026-12-02T16:00:00Z",
    )
    assert code == 0 and "ALLOW" in out, out + err
    printed.append(out)
    code, out, _ = run(
        capsys, "optout", NUMBER, "--channel", "staff", "--at", "2026-12-02T16:05:00Z"
    )
    assert code == 0 and "1 consent(s) revoked" in out
    printed.append(out)
    code, out, _ = run(
        capsys,
        "gate",
        "1",
        "--purpose",
        "reminder",
        "--technology",
        "prerecorded",
        "--at",
        "2026-12-02T16:06:00Z",
        "--json",
    )
    decision = json.loads(out)
    assert decision["verdict"] == "deny"
    assert {"INTERNAL_DNC", "CONSENT_REVOKED"} <= {r["code"] for r in decision["reasons"]}
    code, out, _ = run(capsys, "audit", "verify")
    assert code == 0 and "intact" in out
    printed.append(out)
    code, out, _ = run(capsys, "consent", "show", NUMBER)
    assert "REVOKED" in out
    printed.append(out)
    assert not any(DIGITS in text or NAME in text for text in printed)


def test_the_evidence_bundle_holds_consents_decisions_opt_outs_and_chain_proofs(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _setup(capsys)
    run(
        capsys,
        "gate",
        "1",
        "--purpose",
        "reminder",
        "--technology",
        "prerecorded",
        "--at",
        "2026-12-02T16:00:00Z",
    )
    run(capsys, "optout", NUMBER, "--channel", "sms", "--evidence", "STOP")
    code, _out, err = run(capsys, "evidence", NUMBER, "--out", str(home / "bundle.json"))
    assert code == 0, err
    bundle = json.loads((home / "bundle.json").read_text())
    assert bundle["consents"][0]["disclosure_text"] == "You agree we may call you..."
    assert bundle["decisions"][0]["decision"]["rulepack"]
    assert bundle["opt_outs"][0]["channel"] == "sms"
    assert bundle["chain"]["intact"] is True
    assert all(len(e["hash"]) == 64 for e in bundle["audit_entries"])


def test_nothing_personal_is_stored_in_clear_even_after_a_key_rotation(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _setup(capsys)
    run(
        capsys,
        "gate",
        "1",
        "--purpose",
        "reminder",
        "--technology",
        "prerecorded",
        "--at",
        "2026-12-02T16:00:00Z",
    )
    code, out, err = run(capsys, "keys", "rotate")
    assert code == 0 and "re-encrypted" in out, err
    code, out, _ = run(capsys, "consent", "show", NUMBER)  # still readable after rotation
    assert code == 0 and "#1" in out
    data_dir = home / "data"
    raw = b"".join(p.read_bytes() for p in data_dir.glob("lexdial.sqlite3*"))
    for needle in (DIGITS, NAME, "Quillfeather", "614 555"):
        assert needle.encode() not in raw, needle
    key_file = data_dir / "keys.json"
    assert key_file.stat().st_mode & 0o777 == 0o600


def test_privacy_export_gives_everything_and_erase_leaves_only_a_tombstone(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _setup(capsys)
    code, _, err = run(capsys, "privacy", "export", NUMBER, "--out", str(home / "dsar"))
    assert code == 0, err
    export = json.loads((home / "dsar" / "export.json").read_text())
    assert export["contact"]["name"] == NAME
    assert export["numbers"][0]["number"] == "+16145550101"
    assert "consents" in (home / "dsar" / "export.csv").read_text()
    code, _, err = run(capsys, "privacy", "erase", NUMBER, "--yes")
    assert code == 0, err
    code, _, err = run(capsys, "contact", "add", "--number", NUMBER)
    assert code == 2 and "erased" in err
    con = sqlite3.connect(home / "data" / "lexdial.sqlite3")
    assert con.execute("select name_enc, address_enc from contacts").fetchall() == [(None, None)]
    assert con.execute("select count(*) from erasure_tombstones").fetchone() == (1,)


@pytest.mark.parametrize(
    ("argv", "field"),
    [
        pytest.param(("optout", "12", "--channel", "staff"), "number", id="not-a-number"),
        pytest.param(("optout", NUMBER, "--channel", "pigeon"), "channel", id="a-bad-channel"),
        pytest.param(
            ("gate", "42", "--purpose", "reminder", "--technology", "manual"),
            "contact_id",
            id="an-unknown-contact",
        ),
    ],
)
def test_bad_input_is_one_clear_error_line_with_status_2(
    home: Path, capsys: pytest.CaptureFixture[str], argv: tuple[str, ...], field: str
) -> None:
    _setup(capsys)
    code, _out, err = run(capsys, *argv)
    assert code == 2
    notice, error = err.splitlines()  # which store was used, then the one error line
    assert notice.startswith("lexdial: store ") and error.startswith("error:") and field in error
    assert DIGITS not in err


@pytest.mark.parametrize(
    ("argv", "field"),
    [
        pytest.param(
            ("consent", "revoke", "99", "--channel", "sms"),
            "consent_id",
            id="revoking-an-unknown-consent",
        ),
        pytest.param(("consent", "show", "+1 614 555 0199"), "number", id="an-unknown-number"),
    ],
)
def test_a_record_that_does_not_exist_is_one_clear_error_line_with_status_7(
    home: Path, capsys: pytest.CaptureFixture[str], argv: tuple[str, ...], field: str
) -> None:
    _setup(capsys)
    code, _out, err = run(capsys, *argv)
    assert code == 7  # NotFoundError
    notice, error = err.splitlines()  # which store was used, then the one error line
    assert notice.startswith("lexdial: store ") and error.startswith("error:") and field in error
    assert DIGITS not in err


def test_a_duplicate_consent_is_refused_and_nothing_is_half_written(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _setup(capsys)
    code, _, err = run(capsys, *CONSENT)
    assert code == 2 and "duplicate" in err
    con = sqlite3.connect(home / "data" / "lexdial.sqlite3")
    assert con.execute("select count(*) from consents").fetchone() == (1,)


def test_acting_as_an_auditor_a_write_is_refused_with_status_4(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _setup(capsys)
    code, _out, err = run(
        capsys, "users", "add", "aud@firm.example", "--name", "Al Auditor", "--role", "auditor"
    )
    assert code == 0, err
    code, _, err = run(capsys, "--user", "1", "optout", NUMBER, "--channel", "staff")
    assert code == 4 and "auditor" in err
    code, _out, _ = run(capsys, "--user", "1", "consent", "show", NUMBER)
    assert code == 0


def test_an_rnd_answer_reaches_the_gate_and_an_objection_is_on_record(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _setup(capsys)
    code, _, err = run(
        capsys, "reassigned", "record", NUMBER, "--result", "yes", "--checked-on", "2026-11-30"
    )
    assert code == 0, err
    code, out, _ = run(
        capsys,
        "gate",
        "1",
        "--purpose",
        "reminder",
        "--technology",
        "prerecorded",
        "--at",
        "2026-12-02T16:00:00Z",
        "--json",
    )
    assert "REASSIGNED_NUMBER" in {r["code"] for r in json.loads(out)["reasons"]}
    code, _, err = run(capsys, "privacy", "object", NUMBER, "--at", "2026-12-01T00:00:00Z")
    assert code == 0, err
    run(capsys, "privacy", "export", NUMBER, "--out", str(home / "dsar"))
    export = json.loads((home / "dsar" / "export.json").read_text())
    assert export["contact"]["objected_at"].startswith("2026-12-01")


def test_an_irish_contact_with_a_gdpr_objection_gets_no_marketing_call(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(
        capsys,
        "contact",
        "add",
        "--number",
        "+353 85 000 0164",
        "--relationship",
        "former_client",
        "--lawful-basis",
        "marketing=legitimate_interests,reminder=contract",
    )
    assert code == 0, err
    # S.I. No. 336/2011 reg. 13: a marketing call to an Irish mobile needs prior consent
    irish_consent = [*CONSENT]
    irish_consent[2], irish_consent[6] = "+353 85 000 0164", "marketing"
    code, _, err = run(capsys, *irish_consent)
    assert code == 0, err
    code, out, _ = run(
        capsys,
        "gate",
        "1",
        "--purpose",
        "marketing",
        "--technology",
        "manual",
        "--at",
        "2026-12-02T11:00:00Z",
        "--json",
    )
    assert json.loads(out)["verdict"] == "allow", out
    run(capsys, "privacy", "object", "+353 85 000 0164", "--at", "2026-12-02T10:00:00Z")
    code, out, _ = run(
        capsys,
        "gate",
        "1",
        "--purpose",
        "marketing",
        "--technology",
        "manual",
        "--at",
        "2026-12-02T11:00:00Z",
        "--json",
    )
    reasons = {r["code"] for r in json.loads(out)["reasons"]}
    assert reasons == {"GDPR_OBJECTION"}


def test_a_bad_lawful_basis_is_refused_naming_the_field(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(
        capsys, "contact", "add", "--number", "+353 85 000 0164", "--lawful-basis", "marketing=whim"
    )
    assert code == 2 and "lawful_basis" in err


def test_the_gate_reads_the_loaded_national_registry_and_its_snapshot_date(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(
        capsys,
        "contact",
        "add",
        "--number",
        NUMBER,
        "--relationship",
        "prospect",
        "--country",
        "US",
        "--state",
        "OH",
    )
    assert code == 0, err
    ftc = home / "614.txt"
    ftc.write_text("6145550100\n6145550101\n6145550102\n")
    code, _, err = run(
        capsys,
        "registry",
        "load",
        str(ftc),
        "--list",
        "us-national",
        "--snapshot-date",
        "2026-11-28",
    )
    assert code == 0, err
    code, out, _ = run(
        capsys,
        "gate",
        "1",
        "--purpose",
        "marketing",
        "--technology",
        "manual",
        "--at",
        "2026-12-02T16:00:00Z",
        "--json",
    )
    decision = json.loads(out)
    assert {r["code"] for r in decision["reasons"]} == {"NATIONAL_DNC"}
    code, out, _ = run(
        capsys,
        "gate",
        "1",
        "--purpose",
        "marketing",
        "--technology",
        "manual",
        "--at",
        "2027-01-05T16:00:00Z",
        "--json",
    )
    assert "REGISTRY_STALE" in {r["code"] for r in json.loads(out)["reasons"]}
    con = sqlite3.connect(home / "data" / "lexdial.sqlite3")
    rows = con.execute("select list_name, snapshot_on, count from registry_snapshots").fetchall()
    assert rows == [("us-national", "2026-11-28", 3)]
    actions = [r[0] for r in con.execute("select action from audit_log order by seq")]
    assert "registry.loaded" in actions
