"""``lexdial registry load|status`` and ``lexdial scrub``, end to end.

The commands are registered with ``add_commands`` on a fresh parser and errors are
mapped to exit statuses the way ``lexdial.entrypoints.cli.main`` maps them, so these tests
see what a user sees: stdout, one stderr line per error, the exit status, the files.
Every run happens in an empty working directory.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from lexdial.entrypoints.cli import main
from lexdial.entrypoints.cli_registry import add_commands
from lexdial.errors import LexdialError

LISTED = ["4105550146", "2125550199"]
CLEAR = "3125550100"


@dataclass(frozen=True)
class Result:
    code: int
    out: str
    err: str


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="lexdial")
    add_commands(p.add_subparsers(dest="command", required=True))
    return p


@pytest.fixture
def run(capsys: pytest.CaptureFixture[str]) -> object:
    def go(*argv: str) -> Result:
        try:
            args = parser().parse_args(list(argv))
            args.func(args)
            code = 0
        except LexdialError as exc:
            print(f"error: {exc}", file=sys.stderr)
            code = exc.exit_code
        out, err = capsys.readouterr()
        for number in [*LISTED, CLEAR]:  # never a whole number, whatever the command
            assert number not in out + err
        return Result(code, out, err)

    return go


@pytest.fixture(autouse=True)
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("LEXDIAL_DATA_DIR", raising=False)
    monkeypatch.chdir(tmp_path)
    Path("ftc").mkdir()
    Path("ftc/410.txt").write_text(LISTED[0] + "\n")
    Path("ftc/212.txt").write_text(LISTED[1] + "\r\n")
    Path("contacts.csv").write_text(
        f"id,name,Phone\n1,Ann,{LISTED[0]}\n2,Bo,({LISTED[1][:3]}) {LISTED[1][3:]}\n"
        f"3,Cy,+1{CLEAR}\n4,Di,n/a\n"
    )
    assert main(["init", "--firm", "Hartwell & Ruiz LLP"]) == 0
    return tmp_path


def test_load_status_and_scrub_in_a_row(run: object) -> None:
    r = run("registry", "load", "ftc", "--list", "us-national", "--snapshot-date", "2026-11-01")
    assert r.code == 0
    assert (
        r.out.strip() == "us-national: 2 numbers, snapshot 2026-11-01 (2 file(s), stored as array)"
    )
    assert "Loading us-national" in r.err and "done in" in r.err
    assert Path("data/registry/us-national/manifest.json").is_file()

    r = run("registry", "status", "--today", "2026-12-02")
    assert r.out.splitlines()[1].split() == ["us-national", "2", "2026-11-01", "31", "31", "fresh"]

    r = run("scrub", "contacts.csv", "--today", "2026-12-02")
    assert r.code == 0
    assert r.out.splitlines() == [
        "Scrubbed 4 rows of contacts.csv (column 'Phone') against us-national, "
        "snapshot 2026-11-01 (31 days old)",
        "  listed              2",
        "  clear               1",
        "  invalid             1",
        "Verdicts: contacts.verdicts.csv (every column kept; masked: Phone)",
    ]
    rows = Path("contacts.verdicts.csv").read_text("utf-8").splitlines()
    assert rows[0] == "row,id,name,Phone,verdict,list,snapshot_on,reason"
    assert [row.split(",")[1:3] for row in rows[1:]] == [
        ["1", "Ann"],
        ["2", "Bo"],
        ["3", "Cy"],
        ["4", "Di"],
    ]
    assert [row.split(",")[4] for row in rows[1:]] == ["listed", "listed", "clear", "invalid"]


@pytest.mark.parametrize(
    ("today", "age", "stale", "status"),
    [("2026-12-02", 31, False, "fresh"), ("2026-12-03", 32, True, "STALE")],
)
def test_status_flags_a_snapshot_older_than_31_days(
    run: object, today: str, age: int, stale: bool, status: str
) -> None:
    run("registry", "load", "ftc", "--list", "us-national", "--snapshot-date", "2026-11-01")
    text = run("registry", "status", "--today", today).out
    assert text.splitlines()[1].split()[-1] == status
    data = json.loads(run("registry", "status", "--json", "--today", today).out)
    [row] = data["lists"]
    assert (row["list"], row["age_days"], row["max_age_days"], row["stale"]) == (
        "us-national",
        age,
        31,
        stale,
    )


def test_status_with_nothing_loaded_says_how_to_load(run: object) -> None:
    r = run("registry", "status")
    assert r.code == 0 and "lexdial registry load" in r.out
    assert json.loads(run("registry", "status", "--json").out)["lists"] == []


def test_load_and_scrub_give_json_for_scripts(run: object) -> None:
    r = run(
        "registry",
        "load",
        "ftc",
        "--list",
        "us-state-TX",
        "--snapshot-date",
        "2026-11-01",
        "--json",
    )
    manifest = json.loads(r.out)
    assert (manifest["list_name"], manifest["count"], manifest["kind"]) == (
        "us-state-TX",
        2,
        "full",
    )
    assert len(manifest["sources"][0]["sha256"]) == 64
    r = run(
        "scrub",
        "contacts.csv",
        "--list",
        "us-state-TX",
        "--out",
        "tx.csv",
        "--json",
        "--today",
        "2026-12-03",
    )
    summary = json.loads(r.out)
    assert (summary["listed"], summary["clear"], summary["invalid"]) == (2, 1, 1)
    assert (summary["stale"], summary["age_days"], summary["out"]) == (True, 32, "tx.csv")
    assert Path("tx.csv").is_file()


def test_a_malformed_line_fails_the_load_and_keeps_the_current_copy(run: object) -> None:
    run("registry", "load", "ftc", "--list", "us-national", "--snapshot-date", "2026-11-01")
    Path("new").mkdir()
    Path("new/201.txt").write_text("2015550100\n201555010\n")
    r = run("registry", "load", "new", "--list", "us-national", "--snapshot-date", "2026-11-30")
    assert r.code == 2
    assert r.err.splitlines()[-1] == (
        "error: new/201.txt:2: not a 10-digit US number (area code and exchange start 2-9); "
        "nothing was loaded"
    )
    data = json.loads(run("registry", "status", "--json").out)
    assert [(x["snapshot_on"], x["count"]) for x in data["lists"]] == [("2026-11-01", 2)]


@pytest.mark.parametrize(
    "paths",
    [
        ["add:plus.txt", "del:minus.txt"],
        ["additions.txt", "deletions.txt"],
    ],
)
def test_change_lists_are_applied_with_add_and_del(run: object, paths: list[str]) -> None:
    run("registry", "load", "ftc", "--list", "us-national", "--snapshot-date", "2026-11-01")
    for name, number in (("plus.txt", CLEAR), ("additions.txt", CLEAR)):
        Path(name).write_text(number + "\n")
    for name in ("minus.txt", "deletions.txt"):
        Path(name).write_text(LISTED[0] + "\n")
    r = run(
        "registry",
        "load",
        *paths,
        "--changes",
        "--list",
        "us-national",
        "--snapshot-date",
        "2026-11-08",
    )
    assert r.code == 0
    assert r.out.strip().endswith("; 1 added, 1 deleted")
    r = run("scrub", "contacts.csv", "--json", "--today", "2026-11-09")
    summary = json.loads(r.out)
    assert (summary["listed"], summary["clear"], summary["snapshot_on"]) == (2, 1, "2026-11-08")


def test_a_change_file_must_say_whether_it_adds_or_deletes(run: object) -> None:
    run("registry", "load", "ftc", "--list", "us-national", "--snapshot-date", "2026-11-01")
    Path("changes.txt").write_text(CLEAR + "\n")
    r = run(
        "registry",
        "load",
        "changes.txt",
        "--changes",
        "--list",
        "us-national",
        "--snapshot-date",
        "2026-11-08",
    )
    assert r.code == 2 and "add:FILE, del:FILE" in r.err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (
            ["registry", "load", "ftc", "--list", "us", "--snapshot-date", "2026-11-01"],
            "--list: must be us-national",
        ),
        (
            ["registry", "load", "ftc", "--list", "us-national", "--snapshot-date", "1/11/2026"],
            "--snapshot-date: is not a date",
        ),
        (
            ["registry", "load", "ftc", "--list", "us-national", "--snapshot-date", "2999-01-01"],
            "--snapshot-date: is in the future",
        ),
        (
            ["registry", "load", "nope", "--list", "us-national", "--snapshot-date", "2026-11-01"],
            "nope: no such file or directory",
        ),
        (["scrub", "contacts.csv", "--list", "uk-tps"], "uk-tps has not been loaded"),
        (["scrub", "missing.csv"], "missing.csv: cannot be read"),
        (["registry", "status", "--today", "tomorrow"], "--today: is not a date"),
    ],
)
def test_bad_input_is_one_error_line_and_exit_status_2(
    run: object, argv: list[str], message: str
) -> None:
    if argv[0] == "scrub" and "missing" in argv[1]:
        run("registry", "load", "ftc", "--list", "us-national", "--snapshot-date", "2026-11-01")
    r = run(*argv)
    assert r.code == 2
    assert message in r.err.splitlines()[-1]


def test_the_data_dir_comes_from_the_environment_when_not_given(
    run: object, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("LEXDIAL_DATA_DIR", str(tmp_path / "elsewhere"))
    assert main(["init"]) == 0
    run("registry", "load", "ftc", "--list", "uk-tps", "--snapshot-date", "2026-11-01")
    assert not Path("data/registry").exists()
    Path("tps.txt").write_text("02079460000\n")
    r = run("registry", "load", "tps.txt", "--list", "uk-tps", "--snapshot-date", "2026-11-01")
    assert r.code == 0
    assert (tmp_path / "elsewhere/registry/uk-tps/manifest.json").is_file()
    r = run(
        "registry", "status", "--data-dir", str(tmp_path / "elsewhere"), "--today", "2026-11-30"
    )
    assert r.out.splitlines()[1].split()[-3:] == ["29", "28", "STALE"]


def test_the_scrub_refuses_to_overwrite_its_input(run: object) -> None:
    run("registry", "load", "ftc", "--list", "us-national", "--snapshot-date", "2026-11-01")
    r = run("scrub", "contacts.csv", "--out", "contacts.csv")
    assert r.code == 2 and "--out" in r.err


@pytest.mark.parametrize(
    "argv", [["registry", "load"], ["registry", "status"], ["scrub"], ["registry"]]
)
def test_every_command_explains_itself_with_an_example(argv: list[str]) -> None:
    p = parser()
    action = next(a for a in p._actions if isinstance(a, argparse._SubParsersAction))
    node = action.choices[argv[0]]
    for word in argv[1:]:
        sub = next(a for a in node._actions if isinstance(a, argparse._SubParsersAction))
        node = sub.choices[word]
    text = node.format_help()
    assert "examples:" in text and f"lexdial {' '.join(argv)}" in text
    if argv != ["registry"]:
        assert "--data-dir" in text


def test_a_registry_is_loaded_where_the_settings_put_the_store(run: object, tmp_path: Path) -> None:
    # the gate reads the registry in the store's data folder; `registry load` writes there
    Path("lexdial.toml").write_text(f'[store]\ndata_dir = "{tmp_path / "kept"}"\n')
    assert main(["init"]) == 0
    Path("tps.txt").write_text("02079460000\n")
    r = run("registry", "load", "tps.txt", "--list", "uk-tps", "--snapshot-date", "2026-11-01")
    assert r.code == 0, r.err
    assert (tmp_path / "kept/registry/uk-tps/manifest.json").is_file()
    assert not Path("data/registry").exists()
