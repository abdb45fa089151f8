"""Every shell line of the README runs as written, in order, from a clean folder (a copy of
``examples/`` beside the repository's ``src/``), and does what its comment says — so the
README cannot drift from the product again.

Lines run in-process through ``main`` (the console script ``.venv/bin/lexdial`` calls the
same function); ``cat FILE | .venv/bin/lexdial ...`` feeds FILE on standard input.
"""

from __future__ import annotations

import io
import json
import re
import shlex
import shutil
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from lexdial.entrypoints.cli import main

ROOT = Path(__file__).resolve().parents[2]
COMMAND = ".venv/bin/lexdial"


@dataclass(frozen=True)
class Ran:
    code: int
    out: str
    err: str
    home: Path


def _verdicts(out: str) -> list[str]:
    return [json.loads(line)["verdict"] for line in out.splitlines()]


#: what each line's comment promises, keyed by the comment; a README line whose comment is
#: not here fails the test, so a new example must come with its check
PROMISES: dict[str, Callable[[Ran], bool]] = {
    "lexdial.toml, data/, data/keys.json": lambda r: (
        "created a new store" in r.out
        and (r.home / "lexdial.toml").is_file()
        and (r.home / "data" / "keys.json").is_file()
    ),
    "one JSON object -> one JSON decision": lambda r: json.loads(r.out)["verdict"] == "defer",
    "JSON Lines -> allow, defer, deny": lambda r: _verdicts(r.out) == ["allow", "defer", "deny"],
    "the same decision, for a person": lambda r: "DEFER" in r.out and "Florida" in r.out,
    "the rule pack (ids, citations, dates)": lambda r: "us-fl." in r.out,
    "a copy vs the shipped pack": lambda r: "No rule changed." in r.out,
    "deny INVALID_NUMBER (exit 0)": lambda r: (
        r.code == 0 and json.loads(r.out)["reasons"][0]["code"] == "INVALID_NUMBER"
    ),
    'error naming "number" (exit 2)': lambda r: (
        r.code == 2 and r.out == "" and r.err.startswith("error: number:")
    ),
    "contact #1": lambda r: r.out == "contact #1 added\n",
    "corrected, checked as at entry": lambda r: r.out == "contact #1 corrected: address.zip\n",
    "consent #1": lambda r: r.out.startswith("consent #1 recorded"),
    "decide + record before any dial: ALLOW": lambda r: r.out == "attempt #1: ALLOW\n",
    "in force, with its evidence": lambda r: "in force" in r.out and "sha256" in r.out,
    "hash chain intact": lambda r: r.out.startswith("audit trail intact"),
    "what a lawyer needs in a suit": lambda r: (
        json.loads((r.home / "bundle.json").read_text())["consents"] != []
    ),
    "dsar/export.json and .csv": lambda r: (
        (r.home / "dsar" / "export.json").is_file() and (r.home / "dsar" / "export.csv").is_file()
    ),
    "user #1": lambda r: r.out == "user #1 added with role agent\n",
    "trained": lambda r: r.out == "training attestation #1 recorded for user #1\n",
    "endpoint #1: the desk's softphone": lambda r: (
        r.out == "endpoint #1 (browser) added for user #1\n"
    ),
    "re-encrypts every value": lambda r: r.out.startswith("keys rotated:"),
    "campaign #1 (draft); JSON works too": lambda r: r.out == "campaign #1 created (draft)\n",
    "a draft can be changed": lambda r: r.out == "campaign #1 updated (draft)\n",
    "or --contacts 1,2,5-9": lambda r: r.out == "1 contact(s) added to campaign #1\n",
    "every problem at once; exit 5 if any": lambda r: r.out == "no problems found\n",
    "runs the lint; refuses with the list": lambda r: r.out == "campaign #1 is running\n",
    "paused: nothing is dialled": lambda r: r.out == "campaign #1 is paused\n",
    "running again (the lint runs again)": lambda r: r.out == "campaign #1 is running\n",
    "simulated carrier: a rehearsal, report": lambda r: (
        "Campaign #1 report" in r.out and "rehearsal on the simulated carrier" in r.err
    ),
    "the live store's record: a rehearsal adds nothing": lambda r: (
        json.loads(r.out)["campaign"] == 1 and json.loads(r.out)["dialled"] == 0
    ),
    "contact #1 off campaign #1 before their call": lambda r: r.out.startswith(
        "contact #1 taken off campaign #1 (it was pending"
    ),
    "every channel, at once": lambda r: "opt-out honoured" in r.out,
    # (for dist-clock) a sandbox on a simulated clock, in a second store of its own
    "a new store beside the firm's": lambda r: (
        "created a new store" in r.out and (r.home / "sandbox.toml").is_file()
    ),
    "its clock starts then, in real time": lambda r: (
        "its clock starts at 2026-03-04 15:00 UTC" in r.out
        and (r.home / "sandbox" / "SANDBOX").is_file()
    ),
}
#: lines not run here, and why
NOT_RUN = {
    "bash scripts/demo.sh": "the demo has its own tests (test_demo_reproducible.py)",
    "bash scripts/test.sh": "it runs this very suite",
}


def readme_lines() -> list[str]:
    """The README's shell lines, continuation lines joined, in order."""
    text = (ROOT / "README.md").read_text("utf-8")
    blocks = re.findall(r"```sh\n(.*?)```", text, re.S)
    return [
        line.strip()
        for block in blocks
        for line in block.replace("\\\n", " ").splitlines()
        if line.strip()
    ]


def run_line(line: str, home: Path, capsys: pytest.CaptureFixture[str]) -> Ran:
    words = shlex.split(line, comments=True)
    stdin = None
    if words[0] == "cat":
        bar = words.index("|")
        stdin = (home / words[1]).read_text("utf-8")
        words = words[bar + 1 :]
    assert words[0] == COMMAND, f"the README spells the command one way only: {line}"
    old = sys.stdin
    sys.stdin = io.StringIO(stdin or "")
    try:
        code = main(words[1:])
    finally:
        sys.stdin = old
    out = capsys.readouterr()
    return Ran(code, out.out, out.err, home)


@pytest.fixture
def clean(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A folder like the repository after 'bash scripts/demo.sh', with no store yet."""
    for name in ("LEXDIAL_DATA_DIR", "LEXDIAL_DATABASE_URL", "LEXDIAL_MASTER_KEY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("LEXDIAL_SETTINGS", raising=False)
    shutil.copytree(ROOT / "examples", tmp_path / "examples")
    (tmp_path / "src").symlink_to(ROOT / "src")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_every_shell_line_of_the_readme_runs_as_written_and_does_what_it_says(
    clean: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lines = readme_lines()
    assert len(lines) >= 25
    for line in lines:
        if any(line.startswith(skip) for skip in NOT_RUN):
            continue
        comment = line.split("  # ", 1)[1].strip() if "  # " in line else ""
        assert comment in PROMISES, f"README line with no check here: {line}"
        ran = run_line(line, clean, capsys)
        expected_code = 2 if "(exit 2)" in comment else 0
        assert ran.code == expected_code, f"{line}\n{ran.err}"
        assert PROMISES[comment](ran), f"{line}\nstdout: {ran.out}\nstderr: {ran.err}"


def test_the_readme_spells_the_command_one_way_and_it_is_the_venvs_console_script() -> None:
    text = (ROOT / "README.md").read_text("utf-8")
    blocks = "\n".join(re.findall(r"```sh\n(.*?)```", text, re.S))
    assert "python3 -m lexdial" not in blocks
    assert not re.search(r"^\s*lexdial ", blocks, re.M)  # bare lexdial is not on the PATH
    scripts = (ROOT / "pyproject.toml").read_text("utf-8")
    assert re.search(r'^lexdial = "lexdial\.entrypoints\.cli:run"', scripts, re.M)
