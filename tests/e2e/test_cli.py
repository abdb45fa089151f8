"""The ``lexdial`` command line, end to end.

``decide`` is run both ways: through the installed console script in a subprocess (the
real exit status, real stdin) and through ``lexdial.entrypoints.cli.main`` in-process.
The other commands run in-process, except ``demo`` and one exit-status check, which go
through the console script too. Every run happens in an empty directory with
``LEXDIAL_SETTINGS`` unset, so the protective default policy and the bundled pack apply,
which is what the ``engine`` fixture decides with: CLI output must equal the API's.
"""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
import yaml

from conftest import build, pec
from lexdial.adapters.rulepack import load_pack
from lexdial.api import decide as api_decide
from lexdial.entrypoints.cli import main
from lexdial.rules.engine import Engine

CONSOLE_SCRIPT = Path(sys.executable).parent / "lexdial"
EXAMPLES = Path(__file__).resolve().parents[2].parent / "shared" / "compliance" / "examples"


@dataclass(frozen=True)
class Result:
    code: int
    out: str
    err: str

    @property
    def err_lines(self) -> list[str]:
        return [line for line in self.err.splitlines() if line.strip()]


Run = Callable[..., Result]


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty working directory without settings (no lexdial.toml, no LEXDIAL_SETTINGS)."""
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.delenv("LEXDIAL_SETTINGS", raising=False)
    monkeypatch.chdir(work)
    return work


def run_console_script(args: list[str], stdin: str | None, cwd: Path) -> Result:
    assert CONSOLE_SCRIPT.is_file(), f"console script not installed at {CONSOLE_SCRIPT}"
    env = {k: v for k, v in os.environ.items() if k != "LEXDIAL_SETTINGS"}
    done = subprocess.run(
        [str(CONSOLE_SCRIPT), *args],
        input=stdin if stdin is not None else "",
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        timeout=120,
        check=False,
    )
    return Result(done.returncode, done.stdout, done.stderr)


@pytest.fixture
def in_process(
    workdir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Run:
    def run(*args: str, stdin: str | None = None) -> Result:
        capsys.readouterr()
        monkeypatch.setattr(sys, "stdin", io.StringIO(stdin or ""))
        code = main(list(args))
        captured = capsys.readouterr()
        return Result(code, captured.out, captured.err)

    return run


@pytest.fixture
def console(workdir: Path) -> Run:
    def run(*args: str, stdin: str | None = None) -> Result:
        return run_console_script(list(args), stdin, workdir)

    return run


@pytest.fixture(params=["console-script", "main"])
def cli(request: pytest.FixtureRequest, workdir: Path) -> Run:
    """``lexdial`` run through the console script, then through ``main`` in-process."""
    return request.getfixturevalue("console" if request.param == "console-script" else "in_process")


@pytest.fixture
def expected(engine: Engine) -> Callable[[dict[str, Any]], dict[str, Any]]:
    def wire(request: dict[str, Any]) -> dict[str, Any]:
        return api_decide(request, engine=engine).to_json()

    return wire


NUMBER = "+1 614 555 0173"
ALLOW = build(number=NUMBER)
# 21:30 in Ohio: an automated reminder waits for the firm's 08:00 (a person's own call to a
# current client is outside the firm window's default scope, contract v1.1)
DEFER = build(number=NUMBER, at="2026-12-03T02:30:00Z", technology="autodialed")
DENY = build(number=NUMBER, technology="prerecorded", line_type="wireless")  # no consent
BATCH = [DEFER, ALLOW, DENY, build(number=NUMBER, consents=[pec()], technology="prerecorded")]


def write_json(path: Path, data: Any) -> str:
    path.write_text(json.dumps(data), "utf-8")
    return str(path)


def one_line_error(result: Result) -> str:
    assert result.code == 2, result
    assert result.out == "", "nothing may be printed (nothing is half-decided)"
    assert len(result.err_lines) == 1, result.err
    line = result.err_lines[0]
    assert NUMBER not in line and "6145550173" not in re.sub(r"\D", "", line)
    return line


# --- decide -----------------------------------------------------------------------------


def test_decide_on_a_file_with_one_object_prints_one_json_decision(
    cli: Run, workdir: Path, expected: Callable[[dict[str, Any]], dict[str, Any]]
) -> None:
    result = cli("decide", write_json(workdir / "attempt.json", DEFER))
    assert (result.code, result.err) == (0, "")
    decision = json.loads(result.out)
    assert isinstance(decision, dict)
    assert decision == expected(DEFER)
    assert decision["verdict"] == "defer"
    assert decision["earliest_allowed_at"] == "2026-12-03T13:00:00Z"


def test_decide_compact_prints_the_same_decision_on_one_line(
    cli: Run, workdir: Path, expected: Callable[[dict[str, Any]], dict[str, Any]]
) -> None:
    result = cli("decide", "--compact", write_json(workdir / "attempt.json", ALLOW))
    assert result.code == 0
    assert len(result.out.strip().splitlines()) == 1
    assert json.loads(result.out) == expected(ALLOW)


def test_decide_on_a_json_array_from_stdin_prints_one_decision_per_request_in_order(
    cli: Run, expected: Callable[[dict[str, Any]], dict[str, Any]]
) -> None:
    result = cli("decide", "-", stdin=json.dumps(BATCH))
    assert (result.code, result.err) == (0, "")
    decisions = json.loads(result.out)
    assert isinstance(decisions, list)
    assert decisions == [expected(r) for r in BATCH]
    assert [d["verdict"] for d in decisions] == ["defer", "allow", "deny", "allow"]


def test_decide_on_json_lines_from_stdin_prints_one_decision_line_per_request_in_order(
    cli: Run, expected: Callable[[dict[str, Any]], dict[str, Any]]
) -> None:
    text = "\n".join(json.dumps(r) for r in BATCH) + "\n"
    result = cli("decide", "-", stdin=text)
    assert (result.code, result.err) == (0, "")
    lines = result.out.strip().splitlines()
    assert [json.loads(line) for line in lines] == [expected(r) for r in BATCH]


def test_decide_accepts_a_worked_example_envelope_file(cli: Run, workdir: Path) -> None:
    source = EXAMPLES / "06-florida-8pm-cutoff.json"
    assert source.is_file(), f"missing worked example {source}"
    example = json.loads(source.read_text("utf-8"))
    assert {"title", "request", "expected"} <= set(example)
    target = workdir / source.name
    shutil.copyfile(source, target)

    result = cli("decide", str(target))
    assert result.code == 0, result.err
    decision = json.loads(result.out)
    assert decision["verdict"] == example["expected"]["verdict"]
    assert decision["earliest_allowed_at"] == example["expected"]["earliest_allowed_at"]
    assert sorted(r["code"] for r in decision["reasons"]) == sorted(example["expected"]["codes"])


def test_decide_accepts_an_array_of_worked_example_envelopes(
    in_process: Run, expected: Callable[[dict[str, Any]], dict[str, Any]]
) -> None:
    envelopes = [{"title": "late", "request": DEFER, "expected": {}}, ALLOW]
    result = in_process("decide", "-", stdin=json.dumps(envelopes))
    assert result.code == 0, result.err
    assert json.loads(result.out) == [expected(DEFER), expected(ALLOW)]


def test_a_bad_request_exits_2_with_one_stderr_line_naming_the_field(
    cli: Run, workdir: Path
) -> None:
    bad = build(number=NUMBER, consents=[{**pec(), "scop": ["reminder"]}])
    line = one_line_error(cli("decide", write_json(workdir / "bad.json", bad)))
    assert "consents[0].scop" in line


@pytest.mark.parametrize(
    ("shape", "where"),
    [
        pytest.param("array", "[2]", id="json-array"),
        pytest.param("lines", "line 3", id="json-lines"),
    ],
)
def test_a_bad_request_in_a_batch_names_its_position_and_field_and_decides_nothing(
    cli: Run, shape: str, where: str
) -> None:
    items = [ALLOW, DEFER, build(number=NUMBER, purpose="sales"), DENY]
    text = json.dumps(items) if shape == "array" else "\n".join(json.dumps(i) for i in items)
    line = one_line_error(cli("decide", "-", stdin=text))
    assert where in line
    assert "purpose" in line


def test_an_unreadable_number_in_a_batch_names_its_position_and_the_number_field(
    in_process: Run,
) -> None:
    items = [ALLOW, build(number="abc"), DENY]
    line = one_line_error(in_process("decide", "-", stdin=json.dumps(items)))
    assert "number" in line
    assert "[1]" in line, f"the batch position is missing: {line!r}"


@pytest.mark.parametrize(
    ("stdin", "args"),
    [
        pytest.param("{not json", ("decide", "-"), id="invalid-json"),
        pytest.param("", ("decide", "-"), id="empty-input"),
        pytest.param("42", ("decide", "-"), id="json-scalar"),
        pytest.param(None, ("decide", "no-such-file.json"), id="missing-file"),
        pytest.param(None, (), id="no-command"),
        pytest.param(None, ("decide",), id="no-source"),
        pytest.param(None, ("dial", "x.json"), id="unknown-command"),
    ],
)
def test_unusable_input_or_usage_exits_2_with_one_stderr_line(
    in_process: Run, stdin: str | None, args: tuple[str, ...]
) -> None:
    one_line_error(in_process(*args, stdin=stdin))


# --- explain ----------------------------------------------------------------------------

PANHANDLE = build(
    at="2026-12-03T01:30:00Z",  # Wed 20:30 in New York, 19:30 in Chicago
    number="+1 850 555 0142",  # Florida panhandle: Eastern and Central
    address=None,
    purpose="marketing",
)


def squeeze(text: str) -> str:
    return re.sub(r"\s+", "", text)


def test_explain_prints_the_verdict_every_candidate_zone_and_every_rule_with_its_citation(
    in_process: Run, workdir: Path, engine: Engine
) -> None:
    decision = api_decide(PANHANDLE, engine=engine)
    assert decision.verdict == "defer"
    assert set(decision.time_zones) == {"America/Chicago", "America/New_York"}

    result = in_process("explain", write_json(workdir / "attempt.json", PANHANDLE))
    assert (result.code, result.err) == (0, "")
    out = result.out
    assert "VERDICT: DEFER until 2026-12-03 14:00 UTC" in out
    assert "Wed 2026-12-02 20:30 America/New_York" in out
    assert "Wed 2026-12-02 19:30 America/Chicago" in out
    assert re.search(r"^\s+FAIL\s+us-fl\.calling-hours\s+\[STATE_CALLING_HOURS\]", out, re.M)
    assert re.search(r"^\s+pass\s+us\.tcpa\.calling-hours\s*$", out, re.M)
    checks = decision.checks
    assert any(c.passed for c in checks) and any(not c.passed for c in checks)
    for c in checks:
        word = "pass" if c.passed else "FAIL"
        assert re.search(rf"^\s+{word}\s+{re.escape(c.rule)}\b", out, re.M), c.rule
        assert squeeze(f"Citation: {c.citation}") in squeeze(out), c.rule
    assert "5550142" not in re.sub(r"\D", "", out), "explain masks the number"


def test_explain_of_a_batch_explains_each_request(in_process: Run) -> None:
    result = in_process("explain", "-", stdin=json.dumps([ALLOW, DENY]))
    assert result.code == 0, result.err
    assert result.out.count("VERDICT: ") == 2
    assert "VERDICT: ALLOW" in result.out
    assert "VERDICT: DENY" in result.out


def test_explain_of_a_bad_request_exits_2_naming_the_field(in_process: Run) -> None:
    bad = build(number=NUMBER, at="2026-12-02")
    line = one_line_error(in_process("explain", "-", stdin=json.dumps(bad)))
    assert line.startswith("error: at: ")


# --- rules ------------------------------------------------------------------------------

RULE_LINE = re.compile(r"^(\S+)  \[([^\]]+)\]  (\d{4}-\d{2}-\d{2}) \.\. (\S+)  \((\w+)\)$", re.M)


def test_rules_lists_every_rule_with_its_citation_and_effective_dates(in_process: Run) -> None:
    pack = load_pack()
    result = in_process("rules")
    assert (result.code, result.err) == (0, "")
    listed = {m.group(1): m.groups() for m in RULE_LINE.finditer(result.out)}
    assert set(listed) == {r.id for r in pack.rules}
    for r in pack.rules:
        until = r.effective_to.isoformat() if r.effective_to else "open"
        assert listed[r.id][1:] == (r.jurisdiction, r.effective_from.isoformat(), until, r.code)
        assert squeeze(f"Citation: {r.citation}") in squeeze(result.out), r.id
    assert pack.version in result.out


def test_rules_for_one_jurisdiction_lists_only_that_jurisdictions_rules(in_process: Run) -> None:
    florida = {r.id for r in load_pack().rules if r.jurisdiction == "US-FL"}
    assert florida
    result = in_process("rules", "-j", "US-FL")
    assert result.code == 0, result.err
    listed = [m.groups() for m in RULE_LINE.finditer(result.out)]
    assert {g[0] for g in listed} == florida
    assert {g[1] for g in listed} == {"US-FL"}


def test_rules_as_json_gives_the_version_and_every_rule(in_process: Run) -> None:
    pack = load_pack()
    result = in_process("rules", "--json", "-j", "US-TX")
    assert result.code == 0, result.err
    data = json.loads(result.out)
    assert data["version"] == pack.version
    assert [r["id"] for r in data["rules"]] == [
        r.id for r in pack.rules if r.jurisdiction == "US-TX"
    ]
    for row in data["rules"]:
        assert row["citation"] and row["effective_from"]


@pytest.mark.parametrize("jurisdiction", ["US-ZZ", "us-fl", "Florida"])
def test_rules_for_an_unknown_jurisdiction_exits_2(in_process: Run, jurisdiction: str) -> None:
    line = one_line_error(in_process("rules", "-j", jurisdiction))
    assert "jurisdiction" in line


def test_the_console_script_exits_2_for_an_unknown_jurisdiction(console: Run) -> None:
    line = one_line_error(console("rules", "-j", "US-ZZ"))
    assert "jurisdiction" in line


# --- rules --diff -----------------------------------------------------------------------

CHANGED, REMOVED, ADDED = "us-fl.frequency", "us-fl.automated-pewc", "us-fl.test-quiet-sunday"


def copy_bundled_pack(target: Path) -> Path:
    with resources.as_file(resources.files("lexdial").joinpath("rules", "pack")) as bundled:
        shutil.copytree(bundled, target)
    assert (target / "pack.yaml").is_file()
    return target


@pytest.fixture
def edited_pack(tmp_path: Path) -> Iterator[Path]:
    """The bundled pack with one rule's params changed, one deleted, one added, version bumped."""
    pack = copy_bundled_pack(tmp_path / "edited-pack")
    meta = yaml.safe_load((pack / "pack.yaml").read_text("utf-8"))
    meta["version"] = "9999.12.0"
    (pack / "pack.yaml").write_text(yaml.safe_dump(meta, sort_keys=False), "utf-8")

    florida = pack / "us-states" / "fl.yaml"
    doc = yaml.safe_load(florida.read_text("utf-8"))
    ids = [r["id"] for r in doc["rules"]]
    assert CHANGED in ids and REMOVED in ids and ADDED not in ids
    for rule in doc["rules"]:
        if rule["id"] == CHANGED:
            assert rule["params"]["max"] == 3
            rule["params"]["max"] = 2
    doc["rules"] = [r for r in doc["rules"] if r["id"] != REMOVED]
    doc["rules"].append(
        {
            "id": ADDED,
            "kind": "day_ban",
            "code": "DAY_RESTRICTED",
            "summary": "Test rule: no sales calls on Sundays",
            "citation": "Test citation 1.2.3",
            "effective_from": date(2027, 1, 1),
            "purposes": ["marketing"],
            "params": {"weekdays": ["sun"]},
        }
    )
    florida.write_text(yaml.safe_dump(doc, sort_keys=False), "utf-8")
    yield pack


def test_rules_diff_shows_the_changed_removed_and_added_rule_and_the_new_version(
    in_process: Run, edited_pack: Path
) -> None:
    result = in_process("rules", "--diff", "bundled", str(edited_pack))
    assert (result.code, result.err) == (0, "")
    out = result.out
    assert f"Rule pack {load_pack().version} -> 9999.12.0" in out
    assert re.search(rf"^\+ added\s+{re.escape(ADDED)}\s+\[US-FL\] from 2027-01-01", out, re.M)
    assert re.search(rf"^- removed\s+{re.escape(REMOVED)}\s+\[US-FL\]", out, re.M)
    assert re.search(rf"^~ changed\s+{re.escape(CHANGED)}\s*$", out, re.M)
    assert re.search(r"^\s+params: .*'max': 3.* -> .*'max': 2", out, re.M)
    assert len(re.findall(r"^[+~-] ", out, re.M)) == 3, "only the three edits are reported"


def test_rules_diff_as_json_reports_exactly_the_three_edits(
    in_process: Run, edited_pack: Path
) -> None:
    result = in_process("rules", "--diff", "bundled", str(edited_pack), "--json")
    assert result.code == 0, result.err
    diff = json.loads(result.out)
    assert (diff["old_version"], diff["new_version"]) == (load_pack().version, "9999.12.0")
    assert [r["id"] for r in diff["added"]] == [ADDED]
    assert [r["id"] for r in diff["removed"]] == [REMOVED]
    assert [r["id"] for r in diff["changed"]] == [CHANGED]
    changes = diff["changed"][0]["changes"]
    assert set(changes) == {"params"}
    assert (changes["params"]["old"]["max"], changes["params"]["new"]["max"]) == (3, 2)


def test_rules_diff_the_other_way_round_swaps_added_and_removed(
    in_process: Run, edited_pack: Path
) -> None:
    result = in_process("rules", "--diff", str(edited_pack), "bundled", "--json")
    assert result.code == 0, result.err
    diff = json.loads(result.out)
    assert [r["id"] for r in diff["added"]] == [REMOVED]
    assert [r["id"] for r in diff["removed"]] == [ADDED]


def test_rules_diff_of_an_unchanged_copy_reports_no_change(in_process: Run, tmp_path: Path) -> None:
    copy = copy_bundled_pack(tmp_path / "same-pack")
    result = in_process("rules", "--diff", "bundled", str(copy))
    assert result.code == 0, result.err
    assert "No rule changed." in result.out


def test_rules_diff_with_a_directory_that_is_not_a_pack_exits_2(
    in_process: Run, tmp_path: Path
) -> None:
    line = one_line_error(in_process("rules", "--diff", "bundled", str(tmp_path)))
    assert "--diff" in line


# --- demo -------------------------------------------------------------------------------


def test_demo_prints_a_table_with_every_sample_and_exits_0(console: Run, engine: Engine) -> None:
    text = resources.files("lexdial").joinpath("samples", "attempts.json").read_text("utf-8")
    samples = json.loads(text)
    assert samples

    result = console("demo", "--attempts")
    assert result.code == 0, result.err
    rows = [line for line in result.out.splitlines() if re.match(r"^\s*\d+  ", line)]
    assert len(rows) == len(samples)
    for i, (row, sample) in enumerate(zip(rows, samples, strict=True), start=1):
        verdict = api_decide(sample["request"], engine=engine).verdict
        assert row.split()[0] == str(i)
        assert textwrap.shorten(sample["title"], 46, placeholder="...") in row
        assert f" {verdict} " in row, (sample["title"], row)
    counts = dict(re.findall(r"(allow|defer|deny): (\d+)", result.out))
    assert sum(int(v) for v in counts.values()) == len(samples)
