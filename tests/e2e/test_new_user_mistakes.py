"""A new user's and an IT person's first hour, second pass: mistakes in contact files and
on the command line that were accepted in silence or answered with a field path the user
never typed. Each is refused (or accepted) with one message naming the row, the column or
the option, and nothing is half-written."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from lexdial.entrypoints.cli import main

FIRM = "Hartwell & Ruiz LLP"


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    for name in ("LEXDIAL_DATA_DIR", "LEXDIAL_DATABASE_URL", "LEXDIAL_MASTER_KEY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("LEXDIAL_SETTINGS", raising=False)
    assert main(["init", "--firm", FIRM]) == 0
    return tmp_path


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def _contacts(home: Path) -> int:
    con = sqlite3.connect(home / "data" / "lexdial.sqlite3")
    try:
        return int(con.execute("select count(*) from contacts").fetchone()[0])
    finally:
        con.close()


def test_a_contact_with_a_state_that_does_not_exist_is_refused_naming_the_option(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # stored, it made every campaign holding the person refuse to start ("address.state")
    code, _, err = run(capsys, "contact", "add", "--number", "+1 614 555 0101", "--state", "ZZ")
    assert code == 2
    assert "error: --state: is not a US state or territory code" in err
    assert _contacts(home) == 0


def test_an_imported_row_with_a_state_that_does_not_exist_is_refused_and_nothing_imported(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (home / "c.csv").write_text(
        "Phone,Name,State\n+1 614 555 0101,Dana,OH\n+1 614 555 0102,Eli,ZZ\n"
    )
    code, _, err = run(capsys, "import", "c.csv")
    assert code == 2
    assert "row 3, state: is not a US state or territory code" in err
    assert _contacts(home) == 0


def test_a_misspelt_column_name_is_refused_with_the_map_that_reads_it_or_drops_it(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # imported, every name would be missing, and importing the file again mends nothing
    (home / "c.csv").write_text("Phone,Nmae,Email\n+1 614 555 0101,Dana Client,d@example.com\n")
    code, _, err = run(capsys, "import", "c.csv")
    assert code == 2
    assert "column 'Nmae' looks like the name column misspelt" in err
    assert "--map name='Nmae' reads it, --map name= imports without it" in err
    assert _contacts(home) == 0

    code, out, err = run(capsys, "import", "c.csv", "--map", "name=Nmae")
    assert code == 0 and "1 contact(s) created" in out
    assert "column(s) not imported: 'Email'" in err  # said, since nobody asked for it


def test_a_file_without_a_telephone_column_names_the_column_that_may_be_it(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (home / "c.csv").write_text("Telefon,Name\n+1 614 555 0101,Dana\n")
    code, _, err = run(capsys, "import", "c.csv")
    assert code == 2
    assert "holds the telephone number; map one; column 'Telefon' may be it: " in err
    assert "--map number='Telefon'" in err


def test_a_file_with_only_its_column_names_is_refused_not_reported_as_done(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (home / "c.csv").write_text("Phone,Name\n\n")
    code, out, err = run(capsys, "import", "c.csv")
    assert (code, out) == (2, "")
    assert "error: file: has no rows below the column names (row 1); nothing to import" in err


@pytest.mark.parametrize(
    "argv",
    [("import", "exports"), ("decide", "exports"), ("campaign", "create", "exports")],
    ids=["import", "decide", "campaign-create"],
)
def test_a_folder_given_for_a_file_is_named_as_a_folder(
    home: Path, capsys: pytest.CaptureFixture[str], argv: tuple[str, ...]
) -> None:
    (home / "exports").mkdir()
    code, _, err = run(capsys, *argv)
    assert code == 2
    assert "exports: is a folder, not a" in err and "no such file" not in err


def test_a_full_disk_is_one_line_with_exit_3_and_no_crash_report(
    home: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import sqlite3

    (home / "c.csv").write_text("Phone,Name\n+1 614 555 0101,Dana\n")
    monkeypatch.setenv("TMPDIR", str(home))
    monkeypatch.setattr("tempfile.tempdir", None)
    # what SQLite answers when the data folder's disk fills up while the import commits
    from lexdial.service import import_write

    def full(*_: object, **__: object) -> None:
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(import_write, "write", full)
    code, _, err = run(capsys, "import", "c.csv")
    assert code == 3
    assert "error: the disk holding the store is full (database or disk is full)" in err
    assert "unexpected" not in err and not list(home.glob("lexdial-error-*"))
    assert _contacts(home) == 0
