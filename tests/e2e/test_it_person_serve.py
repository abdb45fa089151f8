"""``lexdial serve`` on a port already taken: named before anything starts (exit 2)."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest

from lexdial.entrypoints.cli import main


@pytest.fixture
def store_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    for name in [k for k in os.environ if k.startswith("LEXDIAL_")]:
        monkeypatch.delenv(name)
    assert main(["init", "--firm", "Hartwell & Ruiz LLP"]) == 0
    return tmp_path


def test_serve_on_a_port_another_process_listens_on_names_the_port_and_never_says_serving(
    store_folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        capsys.readouterr()
        code = main(["serve", "--port", str(port)])
    out = capsys.readouterr()
    assert code == 2
    assert f"--port: 127.0.0.1:{port} is in use by another process" in out.err
    assert "serving on" not in out.out and "unexpected" not in out.err


def test_serve_on_a_port_out_of_range_is_refused_naming_the_option(
    store_folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    assert main(["serve", "--port", "70000"]) == 2
    assert "--port: must be from 1 to 65535" in capsys.readouterr().err
