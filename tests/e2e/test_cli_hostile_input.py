"""Hostile or careless input on the command line is one clear error line naming the field
and a non-zero exit status: never a traceback, never a report of nothing that reads as
"all is well"."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from lexdial.entrypoints.cli import main

CONSOLE_SCRIPT = Path(sys.executable).parent / "lexdial"
ATTEMPT = '{"at": "2026-12-01T15:15:00Z", "number": "+16145550101", "purpose": "reminder", '


def _decide(stdin: bytes, cwd: Path) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [str(CONSOLE_SCRIPT), "decide", "-"],
        input=stdin,
        capture_output=True,
        cwd=cwd,
        env={"PATH": "/usr/bin:/bin", "PYTHONIOENCODING": "utf-8"},
        timeout=120,
    )


@pytest.mark.parametrize(
    ("stdin", "field"),
    [
        (b"[" * 100_000 + b"]" * 100_000, ""),
        (ATTEMPT.encode() + b'"technology": "manual", "x": ' + b"[" * 3000 + b"]" * 3000 + b"}",
         ""),
        (ATTEMPT.encode() + b'"technology": "\\ud800"}', "technology"),
        (ATTEMPT.encode() + b'"technology": "manual", "\\udcff": 1}', ""),
    ],
    ids=["brackets", "nested-field", "lone-surrogate-value", "lone-surrogate-key"],
)  # fmt: skip
def test_decide_from_stdin_refuses_hostile_json_without_a_traceback(
    tmp_path: Path, stdin: bytes, field: str
) -> None:
    done = _decide(stdin, tmp_path)
    err = done.stderr.decode("utf-8", "replace")
    assert done.returncode == 2, err
    assert "Traceback" not in err and done.stdout == b""
    assert err.startswith(f"error: {field}") and len(err.strip().splitlines()) == 1


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("LEXDIAL_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("LEXDIAL_DATABASE_URL", raising=False)
    monkeypatch.delenv("LEXDIAL_MASTER_KEY", raising=False)
    (tmp_path / "lexdial.toml").write_text('[firm]\nname = "Hartwell & Ruiz LLP"\n')
    assert main(["init"]) == 0  # the store is made explicitly, never by a command
    return tmp_path


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """The command's exit status, output and errors (without the line naming the store)."""
    code = main(list(argv))
    out = capsys.readouterr()
    err = "".join(
        line for line in out.err.splitlines(True) if not line.startswith("lexdial: store")
    )
    return code, out.out, err


def _contact(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = _run(capsys, "contact", "add", "--number", "+1 614 555 0101",
                        "--name", "Dana Client", "--country", "US", "--state", "OH")  # fmt: skip
    assert code == 0, err


def test_a_missing_disclosure_file_is_an_error_naming_the_option(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _contact(capsys)
    code, out, err = _run(
        capsys, "consent", "add", "+1 614 555 0101", "--kind", "express", "--scope", "reminder",
        "--seller", "Hartwell & Ruiz LLP", "--given-at", "2026-06-01T12:00:00Z", "--method",
        "letter", "--disclosure-file", str(home / "nowhere.txt"), "--disclosure-version", "v1",
        "--captured-by", "intake:jdoe",
    )  # fmt: skip
    assert code == 2 and out == ""
    assert err.startswith("error: --disclosure-file:") and "no such file" in err


def test_an_unwritable_out_is_an_error_naming_the_option(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _contact(capsys)
    blocker = home / "a-file"
    blocker.write_text("not a folder")
    for argv in (
        ("evidence", "+1 614 555 0101", "--out", str(blocker / "bundle.json")),
        ("privacy", "export", "+1 614 555 0101", "--out", str(blocker / "export")),
        ("report", "policy", "-o", str(blocker / "policy.pdf")),
    ):
        code, _, err = _run(capsys, *argv)
        assert code == 2, (argv, err)
        assert err.startswith(("error: --out:", "error: --output:")), err
        assert "Traceback" not in err


def test_a_report_on_a_campaign_that_does_not_exist_is_not_found(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = _run(capsys, "campaign", "report", "99")
    assert code == 7 and out == ""  # NotFoundError's exit status
    assert err.strip() == "error: campaign: no campaign #99 in this firm"
