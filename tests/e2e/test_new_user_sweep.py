"""A new user's mistakes on the command line: Ctrl-C in the middle of an import, a file
with a problem on every row, an Excel export in Windows-1252 with a title above its column
names. One clear message and a status, never a traceback or a crash report, and nothing
half-written."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from lexdial.entrypoints import cli

HEADER = "Phone,Name,Consent Type,Scope,Consent Date,Method,Disclosure,Version,Captured By,Seller"
CONSENT = "express,reminder,{at},letter,You agree,v3,intake:jdoe,Hartwell & Ruiz LLP"
SRC = str(Path(cli.__file__).resolve().parents[2])


def _rows(n: int, at: str = "2026-06-01T12:00:00Z") -> str:
    areas = (212, 312, 415, 617, 713, 646)
    lines = [
        f"+1 {areas[i // 9000]} 555 {1000 + i % 9000:04d},P{i},{CONSENT.format(at=at)}"
        for i in range(n)
    ]
    return HEADER + "\n" + "\n".join(lines) + "\n"


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    for name in ("LEXDIAL_DATA_DIR", "LEXDIAL_DATABASE_URL", "LEXDIAL_MASTER_KEY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("LEXDIAL_SETTINGS", raising=False)
    assert cli.main(["init", "--firm", "Hartwell & Ruiz LLP"]) == 0
    return tmp_path


def _contacts(home: Path) -> int:
    con = sqlite3.connect(home / "data" / "lexdial.sqlite3")
    try:
        return int(con.execute("select count(*) from contacts").fetchone()[0])
    finally:
        con.close()


def test_ctrl_c_in_the_middle_of_an_import_says_so_and_writes_nothing(home: Path) -> None:
    (home / "big.csv").write_text(_rows(40_000))
    # a shell's background job ignores SIGINT; the child gets the default handler back
    launch = (
        "import signal, runpy, sys; signal.signal(signal.SIGINT, signal.default_int_handler);"
        "sys.argv = ['lexdial', 'import', 'big.csv']; runpy.run_module('lexdial', "
        "run_name='__main__')"
    )
    env = {**os.environ, "PYTHONPATH": SRC, "TMPDIR": str(home)}
    with subprocess.Popen(
        [sys.executable, "-c", launch], cwd=home, env=env, stderr=subprocess.PIPE, text=True
    ) as proc:
        assert proc.stderr is not None
        seen = []
        for line in proc.stderr:  # the interrupt comes while the people are being written
            seen.append(line)
            if line.startswith("Importing big.csv"):
                proc.send_signal(signal.SIGINT)
                break
        err = "".join(seen) + proc.stderr.read()
        assert proc.wait(timeout=60) == cli.INTERRUPTED, err
    assert "error: interrupted (Ctrl-C)" in err
    assert "Traceback" not in err and "unexpected" not in err
    assert not list(home.glob("lexdial-error-*"))  # no crash report for a Ctrl-C
    assert _contacts(home) == 0
    assert cli.main(["audit", "verify"]) == 0


def test_an_error_raised_while_a_ctrl_c_is_cleaned_up_is_the_interrupt_not_a_bug(
    home: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def broken_cleanup(args: object) -> None:
        try:
            raise KeyboardInterrupt
        except KeyboardInterrupt:
            raise RuntimeError("cannot roll back a broken connection") from None

    monkeypatch.setitem(cli.COMMANDS, "rules", broken_cleanup)
    assert cli.main(["rules"]) == cli.INTERRUPTED
    assert "interrupted" in capsys.readouterr().err

    def bug(args: object) -> None:
        raise RuntimeError("a real bug")

    monkeypatch.setitem(cli.COMMANDS, "rules", bug)
    monkeypatch.setenv("TMPDIR", str(home))
    assert cli.main(["rules"]) == 1  # a bug is still reported as one


def test_a_problem_on_every_row_lists_the_first_hundred_and_counts_the_rest(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (home / "dates.csv").write_text(_rows(250, at="6/1/2026"))
    assert cli.main(["import", "dates.csv"]) == 2
    err = capsys.readouterr().err
    assert "250 problem(s); nothing was imported" in err
    assert err.count("consent_given_at: is a date written with slashes") == 100
    assert "... and 150 more (--json lists every problem)" in err
    assert cli.main(["import", "dates.csv", "--json"]) == 2
    assert capsys.readouterr().out.count('"field": "consent_given_at"') == 250
    assert _contacts(home) == 0


def test_an_excel_export_with_a_title_row_in_windows_1252_imports_and_says_how_it_was_read(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    at = "2026-06-01T12:00:00Z"
    row = f"+1 614 555 0110,José Muñoz,{CONSENT.format(at=at)}"
    text = f"Contacts report,,\r\n\r\n{HEADER}\r\n{row}\r\n"
    (home / "outlook.csv").write_bytes(text.encode("cp1252"))
    assert cli.main(["import", "outlook.csv"]) == 0
    err = capsys.readouterr().err
    assert "read as Windows-1252" in err
    assert "the column names are on row 3" in err
    assert _contacts(home) == 1


def test_a_training_dated_after_today_is_refused_naming_the_option(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["users", "add", "ana@firm.example", "--name", "Ana", "--role", "agent"]) == 0
    from datetime import UTC, datetime, timedelta

    today = datetime.now(UTC).date()
    attest = ["users", "attest", "1", "--course", "TCPA", "--on"]
    capsys.readouterr()
    later = str(today + timedelta(days=36 * 365))  # a mistyped year
    assert cli.main([*attest, later]) == 2
    assert f"error: --on: {later} is after today" in capsys.readouterr().err
    # tomorrow in UTC may be today in the firm's time zone
    assert cli.main([*attest, str(today + timedelta(days=1))]) == 0


def test_a_privacy_export_to_a_file_name_is_refused_before_anything_is_written(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["contact", "add", "--number", "+1 614 555 0101"]) == 0
    capsys.readouterr()
    assert cli.main(["privacy", "export", "+1 614 555 0101", "--out", "ana.json"]) == 2
    assert "error: --out: ana.json names a file; give a folder" in capsys.readouterr().err
    assert not (home / "ana.json").exists()
    assert cli.main(["privacy", "export", "+1 614 555 0101", "--out", "ana"]) == 0
    assert (home / "ana" / "export.json").is_file()


def test_init_with_a_key_file_that_is_a_folder_is_refused_and_writes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    for name in ("LEXDIAL_DATA_DIR", "LEXDIAL_DATABASE_URL", "LEXDIAL_MASTER_KEY",
                 "LEXDIAL_SETTINGS"):  # fmt: skip
        monkeypatch.delenv(name, raising=False)
    (tmp_path / "keys").mkdir()
    assert cli.main(["init", "--firm", "Hartwell & Ruiz LLP", "--key-file", "keys"]) == 2
    assert "error: --key-file: keys is a folder; name the file" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keys"]
