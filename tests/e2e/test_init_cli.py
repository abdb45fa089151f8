"""``lexdial init`` makes the store explicitly; every other command names the store it
uses and refuses to make one, so a command run from the wrong folder starts nothing."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from lexdial.entrypoints.cli import main

FIRM = "Hartwell & Ruiz LLP"


@pytest.fixture
def empty(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    for name in ("LEXDIAL_DATA_DIR", "LEXDIAL_DATABASE_URL", "LEXDIAL_MASTER_KEY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("LEXDIAL_SETTINGS", raising=False)
    return tmp_path


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_a_store_command_in_a_folder_without_a_store_refuses_names_init_and_creates_nothing(
    empty: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, "contact", "add", "--number", "+1 614 555 0101")
    assert code == 3 and out == ""
    assert "no lexdial store at" in err and "lexdial init --firm" in err
    assert str(empty / "data") in err  # says where it looked
    assert list(empty.iterdir()) == []  # no data folder, no key file, no database


def test_init_creates_settings_data_folder_key_file_and_database_and_says_where(
    empty: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, "init", "--firm", FIRM, "--json")
    assert code == 0
    made = json.loads(out)
    assert made["firm"] == FIRM and made["settings_written"] is True
    assert made["database"] == str(empty / "data" / "lexdial.sqlite3")
    assert made["key_file"] == str(empty / "data" / "keys.json")
    assert stat.S_IMODE(Path(made["key_file"]).stat().st_mode) == 0o600
    assert Path(made["database"]).is_file()
    assert 'name = "Hartwell & Ruiz LLP"' in (empty / "lexdial.toml").read_text()


def test_the_human_summary_of_init_names_every_path_it_created(
    empty: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, "init", "--firm", FIRM)
    assert code == 0
    for path in ("lexdial.toml", "data", "data/lexdial.sqlite3", "data/keys.json"):
        assert f"{empty / path}\n" in out or f"{empty / path} (" in out
    assert "Back up the key file" in out


def test_init_without_a_firm_name_names_the_option_and_writes_nothing(
    empty: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(capsys, "init")
    assert code == 2 and "--firm" in err
    assert list(empty.iterdir()) == []


def test_a_second_init_refuses_and_keeps_the_keys_of_the_first(
    empty: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run(capsys, "init", "--firm", FIRM)
    keys = (empty / "data" / "keys.json").read_bytes()
    code, _, err = run(capsys, "init")
    assert code == 3 and "already exists" in err
    assert (empty / "data" / "keys.json").read_bytes() == keys


def test_store_commands_say_on_stderr_which_store_and_firm_they_use(
    empty: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run(capsys, "init", "--firm", FIRM)
    code, out, err = run(capsys, "audit", "verify", "--json")
    assert code == 0 and json.loads(out)["ok"] is True  # stdout stays machine-readable
    assert f"store {empty / 'data' / 'lexdial.sqlite3'}" in err
    assert f'firm "{FIRM}"' in err and "lexdial.toml" in err


def test_a_store_whose_key_file_is_missing_is_refused_instead_of_given_new_keys(
    empty: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run(capsys, "init", "--firm", FIRM)
    (empty / "data" / "keys.json").unlink()
    code, _, err = run(capsys, "audit", "verify")
    assert code == 3 and "no key file" in err and "backup" in err
    assert not (empty / "data" / "keys.json").exists()


def test_the_key_file_can_be_kept_apart_from_the_data_folder(
    empty: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, _ = run(
        capsys, "init", "--firm", FIRM, "--data-dir", "store", "--key-file", "keys/lexdial.json"
    )
    assert code == 0
    assert (empty / "keys" / "lexdial.json").is_file()
    assert not (empty / "store" / "keys.json").exists()
    code, _, err = run(capsys, "contact", "add", "--number", "+1 614 555 0101")
    assert code == 0 and str(empty / "keys" / "lexdial.json") in err
