"""The store and every export are the owner's alone (0600 files, 0700 folders), and a data
directory anyone may write to is refused with the command that fixes it."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from lexdial.bootstrap import open_store
from lexdial.config import Settings
from lexdial.entrypoints.cli import main
from lexdial.errors import ConfigError
from lexdial.rules.context import Policy


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def loose_umask() -> object:
    """The usual 022 umask, under which files were created 0644."""
    old = os.umask(0o022)
    yield None
    os.umask(old)


def test_a_new_store_is_a_0700_folder_of_0600_files(tmp_path: Path, loose_umask: object) -> None:
    root = tmp_path / "data"
    store = open_store(
        Settings(policy=Policy(), firm_name="F"), {"LEXDIAL_DATA_DIR": str(root)}, create=True
    )
    store.db.dispose()
    assert _mode(root) == 0o700
    files = [p for p in root.iterdir() if p.is_file()]
    assert any(p.name.endswith(".sqlite3") for p in files)
    assert {p.name: _mode(p) for p in files} == {p.name: 0o600 for p in files}


def test_an_existing_store_file_others_can_read_is_tightened(
    tmp_path: Path, loose_umask: object
) -> None:
    root = tmp_path / "data"
    root.mkdir(mode=0o700)
    (root / "lexdial.sqlite3").touch(mode=0o644)
    open_store(
        Settings(policy=Policy(), firm_name="F"), {"LEXDIAL_DATA_DIR": str(root)}, create=True
    )
    assert _mode(root / "lexdial.sqlite3") == 0o600


def test_a_world_writable_data_directory_is_refused_with_the_fix(tmp_path: Path) -> None:
    root = tmp_path / "data"
    root.mkdir()
    root.chmod(0o777)
    with pytest.raises(ConfigError) as caught:
        open_store(
            Settings(policy=Policy(), firm_name="F"), {"LEXDIAL_DATA_DIR": str(root)}, create=True
        )
    assert "writable by every user" in str(caught.value)
    assert f"chmod 700 {root}" in str(caught.value)
    assert list(root.iterdir()) == []  # nothing was created in it


def test_exports_and_reports_are_written_0600(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    loose_umask: object,
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("LEXDIAL_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("LEXDIAL_DATABASE_URL", raising=False)
    monkeypatch.delenv("LEXDIAL_MASTER_KEY", raising=False)
    number = "+1 614 555 0101"
    assert main(["init", "--firm", "Hartwell & Ruiz LLP"]) == 0
    assert main(["contact", "add", "--number", number, "--name", "Dana Client"]) == 0
    assert main(["evidence", number, "--out", "out/bundle.json"]) == 0
    assert main(["privacy", "export", number, "--out", "out/export"]) == 0
    assert main(["report", "policy", "-o", "out/policy.pdf"]) == 0
    out = tmp_path / "out"
    written = [out / "bundle.json", out / "export" / "export.json", out / "export" / "export.csv",
               out / "policy.pdf"]  # fmt: skip
    assert {str(p): _mode(p) for p in written} == {str(p): 0o600 for p in written}
    assert _mode(out / "export") == 0o700
    capsys.readouterr()


def test_the_cli_refuses_a_world_writable_data_directory_in_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    root = tmp_path / "data"
    root.mkdir()
    root.chmod(0o777)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("LEXDIAL_DATA_DIR", str(root))
    monkeypatch.delenv("LEXDIAL_DATABASE_URL", raising=False)
    assert main(["audit", "verify"]) == 3
    err = capsys.readouterr().err
    assert err.startswith("error: data directory") and len(err.strip().splitlines()) == 1


def test_a_store_on_a_read_only_mount_says_it_cannot_be_written_not_created(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import errno

    from lexdial.adapters import private_files

    store = tmp_path / "lexdial.sqlite3"
    store.write_bytes(b"")

    def read_only(*_: object) -> int:  # what a read-only mount answers, even to root
        raise OSError(errno.EROFS, os.strerror(errno.EROFS))

    monkeypatch.setattr(private_files.os, "open", read_only)
    with pytest.raises(ConfigError) as err:
        private_files.private_file(store)
    assert "cannot be written (Read-only file system)" in str(err.value)
    assert "make the data folder writable" in str(err.value)
