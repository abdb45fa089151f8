"""``lexdial import`` end to end on the default SQLite store with real encryption: a file
imports, the same file again adds nothing, a bad file changes nothing and names every bad
row (row, field, why), and no number appears in clear in the output or on disk."""

from __future__ import annotations

import csv
import io
import sqlite3
from pathlib import Path

import pytest
from openpyxl import Workbook

from lexdial.entrypoints import cli

HEADER = ("Phone,Client Name,State,Line Type,Relationship,Consent Type,Purposes,Consent Date,"
          "Method,Disclosure,Disclosure Version,Captured By,Document Ref,Seller")  # fmt: skip
CONSENT = ('express,"reminder,notification",2026-06-01T12:00:00Z,engagement letter,'
           "You agree we may call you.,v3,intake:jdoe,DMS-1,Hartwell & Ruiz LLP")  # fmt: skip
GOOD = "\n".join([
    HEADER,
    f"+1 614 555 0101,Dana Quillfeather,OH,wireless,current_client,{CONSENT}",
    f"614-555-0101,,,,,{CONSENT.replace('reminder,notification', 'marketing')}",
    "(614) 555-0102,Bo Brightwater,OH,landline,prospect,,,,,,,,,",
]) + "\n"  # fmt: skip
DIGITS = ("6145550101", "6145550102", "614 555", "555-01")
NAMES = ("Quillfeather", "Brightwater")


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("LEXDIAL_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("LEXDIAL_DATABASE_URL", raising=False)
    monkeypatch.delenv("LEXDIAL_MASTER_KEY", raising=False)
    (tmp_path / "lexdial.toml").write_text('[firm]\nname = "Hartwell & Ruiz LLP"\n')
    assert cli.main(["init"]) == 0  # the store is made explicitly, never by a command
    return tmp_path


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def _counts(home: Path) -> tuple[int, ...]:
    con = sqlite3.connect(home / "data" / "lexdial.sqlite3")
    try:
        return tuple(
            con.execute(f"select count(*) from {name}").fetchone()[0]
            for name in ("contacts", "contact_numbers", "consents")
        )
    finally:
        con.close()


def _assert_nothing_in_clear(home: Path, *texts: str) -> None:
    raw = b"".join(p.read_bytes() for p in (home / "data").glob("lexdial.sqlite3*"))
    for needle in (*DIGITS, *NAMES):
        assert needle.encode() not in raw, needle
        assert not any(needle in text for text in texts), needle


def test_a_file_imports_and_importing_it_again_adds_nothing(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (home / "clients.csv").write_text(GOOD)
    code, out, err = run(capsys, "import", "clients.csv")
    assert code == 0, err
    assert "2 contact(s) created, 0 already on file; 2 consent(s) added" in out
    assert "Importing clients.csv" in err  # the progress bar, on standard error
    assert _counts(home) == (2, 2, 2)
    code, out2, err2 = run(capsys, "import", "clients.csv", "--json")
    assert code == 0, err2
    assert '"created": 0' in out2 and '"existing": 2' in out2 and '"consents_existing": 2' in out2
    assert _counts(home) == (2, 2, 2)
    code, shown, _ = run(capsys, "consent", "show", "+1 614 555 0101")
    assert code == 0 and "scope=marketing" in shown and "scope=notification,reminder" in shown
    code, verified, _ = run(capsys, "audit", "verify")
    assert code == 0 and "intact" in verified
    _assert_nothing_in_clear(home, out, err, out2, err2)


def test_a_bad_file_changes_nothing_and_lists_every_bad_row(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = GOOD.replace("(614) 555-0102", "555-01").replace("DMS-1,Hartwell & Ruiz LLP", "DMS-1,")
    bad = bad.replace("2026-06-01T12:00:00Z", "2026-06-01", 1)
    bad += "+1 614 555 0101,Someone Else,OH,,,,,,,,,,,\n"
    (home / "bad.csv").write_text(bad)
    code, out, err = run(capsys, "import", "bad.csv")
    assert code == 2
    assert "nothing was imported" in err
    for line in (
        "row 2, consent_given_at: needs an offset",
        "row 2, seller: is empty",
        "row 3, seller: is empty",
        "row 4, number: is not a valid, dialable telephone number",
        "row 5, name: differs from row 2",
    ):
        assert line in err, err
    assert "Importing" not in err  # nothing was written, so no progress bar
    assert _counts(home) == (0, 0, 0)
    _assert_nothing_in_clear(home, out, err)


def test_the_preview_shows_the_mapping_masked_and_writes_nothing(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (home / "clients.csv").write_text(GOOD.replace("Phone,", "Cell #,", 1))
    code, out, err = run(capsys, "import", "clients.csv", "--preview", "--map", "number=Cell #")
    assert code == 0, err
    assert "'Cell #'" in out and "-> number" in out and "no problems found" in out
    assert "+1614•••••01" in out and "row 4:" in out
    assert _counts(home) == (0, 0, 0)
    _assert_nothing_in_clear(home, out, err)


def test_an_xlsx_file_imports_like_its_csv(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    book = Workbook()
    for cells in csv.reader(io.StringIO(GOOD)):
        book.active.append(cells)
    buffer = io.BytesIO()
    book.save(buffer)
    (home / "clients.xlsx").write_bytes(buffer.getvalue())
    code, out, err = run(capsys, "import", "clients.xlsx")
    assert code == 0, err
    assert "2 contact(s) created" in out
    (home / "clients.csv").write_text(GOOD)
    code, out, err = run(capsys, "import", "clients.csv")
    assert code == 0 and "0 contact(s) created, 2 already on file" in out, err
    assert "0 consent(s) added, 2 already on file" in out


def test_an_erased_persons_number_is_a_row_error(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(capsys, "contact", "add", "--number", "+1 614 555 0102")[0] == 0
    assert run(capsys, "privacy", "erase", "+1 614 555 0102", "--yes")[0] == 0
    (home / "clients.csv").write_text(GOOD)
    code, _, err = run(capsys, "import", "clients.csv")
    assert code == 2
    assert "row 4, number: belongs to a person whose data was erased" in err
    assert _counts(home)[2] == 0


@pytest.mark.parametrize(
    ("argv", "field"),
    [
        pytest.param(("import", "missing.csv"), "FILE", id="no-such-file"),
        pytest.param(
            ("import", "clients.csv", "--map", "colour=Phone"), "mapping.colour", id="unknown-field"
        ),
        pytest.param(("import", "clients.csv", "--map", "Phone"), "--map", id="bad-map"),
    ],
)
def test_bad_usage_is_one_clear_error_with_status_2(
    home: Path, capsys: pytest.CaptureFixture[str], argv: tuple[str, ...], field: str
) -> None:
    (home / "clients.csv").write_text(GOOD)
    code, _, err = run(capsys, *argv)
    assert code == 2 and err.count("\n") == 1 and field in err


def test_a_role_that_may_not_import_is_refused_with_status_4(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(capsys, "users", "add", "a@firm.example", "--name", "Al", "--role", "agent")
    assert code == 0, err
    (home / "clients.csv").write_text(GOOD)
    code, _, err = run(capsys, "--user", "1", "import", "clients.csv")
    assert code == 4
    assert _counts(home) == (0, 0, 0)
