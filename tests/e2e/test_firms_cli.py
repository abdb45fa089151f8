"""The command line acts for the store's configured firm: a second firm of the same store
(named in the settings) sees, matches, allows and revokes nothing of the first (issue 9's
four scenarios, verbatim, through the commands people type)."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from lexdial.entrypoints.cli import main

NUMBER = "+1 614 555 0101"
CONSENT = ("consent", "add", NUMBER, "--kind", "express", "--scope", "reminder",
           "--seller", "Hartwell & Ruiz LLP", "--given-at", "2026-06-01T12:00:00Z",
           "--method", "engagement letter", "--disclosure", "You agree we may call you...",
           "--disclosure-version", "v3", "--captured-by", "intake:jdoe",
           "--document-ref", "DMS-1")  # fmt: skip
FIRM1 = '[firm]\nname = "Hartwell & Ruiz LLP"\n'
FIRM2 = '[firm]\nname = "Other Firm PLLC"\n'
AT = ("--at", "2026-12-02T16:00:00Z")
GATE = ("gate", "--purpose", "reminder", "--technology", "prerecorded", *AT, "--json")
#: both firms named as sellers: only the firm scoping keeps firm 1's consent from firm 2
TWO_SELLERS = (*CONSENT, "--seller", "Other Firm PLLC", *AT)
CONTACT = ("contact", "add", "--number", NUMBER, "--line-type", "wireless", "--country", "US",
           "--state", "OH", "--relationship", "current_client")  # fmt: skip


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("LEXDIAL_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("LEXDIAL_DATABASE_URL", raising=False)
    monkeypatch.delenv("LEXDIAL_MASTER_KEY", raising=False)
    (tmp_path / "lexdial.toml").write_text(FIRM1)
    assert main(["init"]) == 0  # the store is made explicitly, never by a command
    return tmp_path


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def _as(home: Path, settings: str) -> None:
    (home / "lexdial.toml").write_text(settings)


def _two_firms(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Firm 1 with a consented contact (#1); firm 2 in the same store with a contact (#2)
    on the same number. Firm 2 is added the way a second firm row came to exist."""
    for argv in ((*CONTACT, "--name", "Dana Quillfeather"), TWO_SELLERS):
        code, _, err = run(capsys, *argv)
        assert code == 0, err
    con = sqlite3.connect(home / "data" / "lexdial.sqlite3")
    with con:
        con.execute("insert into firms (name, created_at) values ('Other Firm PLLC', '2026-12-01')")
    con.close()
    _as(home, FIRM2)
    code, _, err = run(capsys, *CONTACT, "--name", "Robin Other")
    assert code == 0, err


def _consents(capsys: pytest.CaptureFixture[str]) -> list[dict[str, object]]:
    code, out, err = run(capsys, "consent", "show", NUMBER, "--json")
    assert code == 0, err
    shown: list[dict[str, object]] = json.loads(out)
    return shown


def test_firm_2s_consent_show_lists_none_of_firm_1s_consents(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _two_firms(home, capsys)
    assert _consents(capsys) == []
    _as(home, FIRM1)
    assert len(_consents(capsys)) == 1


def test_firm_2s_duplicate_check_does_not_refuse_on_firm_1s_consent(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _two_firms(home, capsys)
    code, _, err = run(capsys, *TWO_SELLERS)
    assert code == 0, err
    assert len(_consents(capsys)) == 1


def test_firm_2s_gate_does_not_allow_on_firm_1s_consent(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _two_firms(home, capsys)
    _, out, _ = run(capsys, GATE[0], "2", *GATE[1:])
    assert json.loads(out)["verdict"] == "deny"
    assert "NO_CONSENT" in {r["code"] for r in json.loads(out)["reasons"]}


def test_firm_2s_opt_out_does_not_revoke_firm_1s_consents(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _two_firms(home, capsys)
    code, out, err = run(capsys, "optout", NUMBER, "--channel", "staff", *AT)
    assert code == 0 and "0 consent(s) revoked" in out, out + err
    _as(home, FIRM1)
    assert _consents(capsys)[0]["revoked_at"] is None
    code, out, _ = run(capsys, GATE[0], "1", *GATE[1:])
    assert json.loads(out)["verdict"] == "allow"


def test_firm_2s_commands_reach_nothing_of_firm_1_by_its_ids(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _two_firms(home, capsys)
    _as(home, FIRM1)
    assert (
        run(capsys, "users", "add", "ana@one.example", "--name", "Ana", "--role", "admin")[0] == 0
    )
    _as(home, FIRM2)
    refused = [
        (GATE[0], "1", *GATE[1:]),  # firm 1's contact
        ("consent", "revoke", "1", "--channel", "staff"),  # firm 1's consent
        ("--user", "1", "consent", "show", NUMBER),  # firm 1's user acting in firm 2
        ("users", "attest", "1", "--course", "TCPA", "--on", "2026-12-01"),
        ("users", "token", "1"),
        ("campaign", "report", "1"),
    ]
    for argv in refused:
        code, out, err = run(capsys, *argv)
        # refused (4), or not found (7) as if firm 1's record did not exist; never 0
        assert code in (2, 4, 7), (argv, code, out, err)
        assert "Traceback" not in err and "Quillfeather" not in out + err
    _as(home, FIRM1)
    assert _consents(capsys)[0]["revoked_at"] is None
