"""Every example in every ``--help`` epilogue runs as printed, from a clean folder holding
``examples/``'s files, and does what the help says. The examples are collected from the
parser, so a new one fails here until it is given an order and a check."""

from __future__ import annotations

import argparse
import io
import json
import re
import shlex
import shutil
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from lexdial.entrypoints.cli import build_parser, main

ROOT = Path(__file__).resolve().parents[2]
Check = Callable[[str, Path], bool]


def _parsers(p: argparse.ArgumentParser) -> Iterator[argparse.ArgumentParser]:
    yield p
    for action in p._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in dict.fromkeys(action.choices.values()):
                yield from _parsers(sub)


def help_examples() -> set[str]:
    """Each epilogue's example commands: a line (or 'example: ...') starting with
    'lexdial ', up to the first run of two spaces; a trailing '\\' joins the next line."""
    found: set[str] = set()
    for parser in _parsers(build_parser()):
        lines = (parser.epilog or "").splitlines()
        for i, raw in enumerate(lines):
            line = raw.strip().removeprefix("example: ").removeprefix("examples: ")
            if not line.startswith(("lexdial ", "cat ")):
                continue
            if line.endswith("\\"):
                line = line[:-1].strip() + " " + lines[i + 1].strip()
            found.add(re.split(r"\s{2,}", line)[0].strip())
    return found


def _json(out: str) -> object:
    return json.loads(out)


#: every example, in the order it runs (ids refer to what earlier lines made), and its check
ORDER: list[tuple[str, Check]] = [
    ("lexdial init --firm 'Hartwell & Ruiz LLP'", lambda o, h: (h / "lexdial.toml").is_file()),
    ("lexdial decide attempt.json", lambda o, h: _json(o)["verdict"] == "defer"),  # type: ignore[index]
    ("cat batch.jsonl | lexdial decide -", lambda o, h: o.count('"verdict"') == 3),
    ("lexdial explain attempt.json", lambda o, h: "DEFER" in o),
    ("lexdial rules -j US-FL", lambda o, h: "us-fl." in o),
    ("lexdial rules --diff reviewed-pack bundled", lambda o, h: "No rule changed." in o),
    ("lexdial demo --attempts", lambda o, h: "deny:" in o and "allow:" in o),
    (
        "lexdial demo --seed 3 --no-serve --dir demo-3",
        lambda o, h: "campaign stopped at 2026-12-01 21:00 UTC" in o and (h / "demo-3").is_dir(),
    ),
    (
        "lexdial contact add --number '+1 614 555 0101' --line-type wireless --state OH",
        lambda o, h: o == "contact #1 added\n",
    ),
    (
        "lexdial contact edit 1 --state OH --zip 43215",
        lambda o, h: o == "contact #1 corrected: address.zip\n",
    ),
    (
        "lexdial consent add '+1 614 555 0101' --kind express --scope reminder --seller "
        "'Hartwell & Ruiz LLP' --given-at 2026-06-01T12:00:00Z --method 'engagement letter' "
        "--disclosure-file letter.txt --disclosure-version v3 --captured-by intake:jdoe "
        "--document-ref DMS-4471",
        lambda o, h: o.startswith("consent #1 recorded"),
    ),
    ("lexdial consent show '+1 614 555 0101'", lambda o, h: "in force" in o),
    (
        "lexdial gate 1 --purpose reminder --technology prerecorded",
        lambda o, h: o.startswith("attempt #1: "),
    ),
    (
        "lexdial reassigned record '+1 614 555 0101' --result no --checked-on 2026-11-30",
        lambda o, h: "recorded" in o,
    ),
    (
        "lexdial evidence '+1 614 555 0101' --out bundle.json",
        lambda o, h: (h / "bundle.json").is_file(),
    ),
    (
        "lexdial report evidence '+1 614 555 0101' --json",
        lambda o, h: (
            (h / "evidence-contact-1.pdf").is_file() and (h / "evidence-contact-1.json").is_file()
        ),
    ),
    ("lexdial audit verify", lambda o, h: o.startswith("audit trail intact")),
    (
        "lexdial users add ana@firm.example --name 'Ana Diaz' --role agent",
        lambda o, h: o == "user #1 added with role agent\n",
    ),
    (
        "lexdial users attest 1 --course 'TCPA/DNC 2026' --on 2026-11-20",
        lambda o, h: "attestation #1" in o,
    ),
    ("lexdial users token 1 --name 'CRM sync'", lambda o, h: "ldk_" in o),
    ("lexdial users revoke-token 1", lambda o, h: o == "token #1 revoked\n"),
    ("lexdial users password 1", lambda o, h: o == "password set for user #1\n"),
    (
        "lexdial users endpoint add 1 --sip sip:1001@pbx.example.com",
        lambda o, h: o == "endpoint #1 (sip) added for user #1\n",
    ),
    (
        "lexdial users endpoint add 1 --browser",
        lambda o, h: o == "endpoint #2 (browser) added for user #1\n",
    ),
    (
        "lexdial users endpoint add 1 --twilio-client ana.diaz",
        lambda o, h: o == "endpoint #3 (twilio_client) added for user #1\n",
    ),
    ("lexdial users endpoint remove 2", lambda o, h: o.startswith("endpoint #2 (browser) removed")),
    (
        "lexdial users endpoint list 1",
        lambda o, h: "sip:1001@pbx.example.com" in o and "browser" not in o,
    ),
    ("lexdial campaign create reminders.toml", lambda o, h: o == "campaign #1 created (draft)\n"),
    ("lexdial campaign edit 1 reminders.toml", lambda o, h: o == "campaign #1 updated (draft)\n"),
    ("lexdial campaign add 1 --all", lambda o, h: o == "1 contact(s) added to campaign #1\n"),
    ("lexdial campaign lint 1", lambda o, h: o == "no problems found\n"),
    ("lexdial campaign start 1", lambda o, h: o == "campaign #1 is running\n"),
    ("lexdial campaign pause 1", lambda o, h: o == "campaign #1 is paused\n"),
    ("lexdial campaign resume 1", lambda o, h: o == "campaign #1 is running\n"),
    ("lexdial campaign run 1", lambda o, h: "Campaign #1 report" in o),
    ("lexdial campaign run 1 --timescale 0.01", lambda o, h: "Campaign #1 report" in o),
    (
        "lexdial campaign remove-contact 1 1",
        lambda o, h: o.startswith("contact #1 taken off campaign #1 (it was pending"),
    ),
    ("lexdial campaign report 1 --json", lambda o, h: _json(o)["campaign"] == 1),  # type: ignore[index]
    ("lexdial campaign stop 1", lambda o, h: o == "campaign #1 is stopped\n"),
    ("lexdial report campaign 1", lambda o, h: (h / "campaign-1-report.pdf").is_file()),
    ("lexdial report campaign 1 -o audit/c1.pdf", lambda o, h: (h / "audit/c1.pdf").is_file()),
    (
        "lexdial report campaign 1 -o audit/campaign-1.pdf",
        lambda o, h: (h / "audit/campaign-1.pdf").is_file(),
    ),
    ("lexdial report policy", lambda o, h: (h / "dnc-policy.pdf").is_file()),
    ("lexdial report policy -o dnc-policy.pdf", lambda o, h: (h / "dnc-policy.pdf").is_file()),
    ("lexdial report roster", lambda o, h: (h / "training-roster.pdf").is_file()),
    (
        "lexdial registry load ftc/ --list us-national --snapshot-date 2026-11-30",
        lambda o, h: "2" in o,
    ),
    (
        "lexdial registry load add:adds.txt del:dels.txt --changes --list us-national "
        "--snapshot-date 2026-12-07",
        lambda o, h: "us-national" in o,
    ),
    (
        "lexdial registry load tps.txt --list uk-tps --snapshot-date 2026-12-01",
        lambda o, h: "uk-tps" in o,
    ),
    ("lexdial registry status", lambda o, h: "us-national" in o and "uk-tps" in o),
    ("lexdial registry status --json --data-dir data", lambda o, h: "uk-tps" in o),
    ("lexdial scrub contacts.csv", lambda o, h: (h / "contacts.verdicts.csv").is_file()),
    (
        "lexdial scrub leads.csv --column mobile --list us-national --out leads-checked.csv",
        lambda o, h: (h / "leads-checked.csv").is_file(),
    ),
    ("lexdial scrub uk-leads.csv --list uk-tps --json", lambda o, h: isinstance(_json(o), dict)),
    ("lexdial import clients.csv --preview", lambda o, h: "columns -> fields" in o),
    (
        "lexdial import crm-export.csv --map number='Cell #' --map seller=Firm",
        lambda o, h: "1" in o,
    ),
    ("lexdial consent revoke 1 --channel sms --evidence STOP", lambda o, h: "revoked" in o),
    ("lexdial optout '+1 614 555 0101' --channel staff", lambda o, h: "opt-out honoured" in o),
    (
        "lexdial privacy export '+1 614 555 0101' --out dsar/",
        lambda o, h: (h / "dsar/export.csv").is_file(),
    ),
    ("lexdial privacy object '+1 614 555 0101'", lambda o, h: "objection" in o),
    ("lexdial privacy purge --dry-run", lambda o, h: o.startswith("purge would delete")),
    ("lexdial keys rotate", lambda o, h: o.startswith("keys rotated")),
    (
        "lexdial contact prefs --number '+1 614 555 0101' --inconvenient 'mon-fri 09:00-17:00'",
        lambda o, h: "1 inconvenient time range(s)" in o,
    ),
    (
        "lexdial contact prefs --number '+1 614 555 0101' --workplace-number yes "
        "--no-calls-at-work yes",
        lambda o, h: "workplace number: True; no calls at work: True" in o,
    ),
    (
        "lexdial debt facts ACME-4471 --cease-requested-at 2026-11-30T10:00:00Z",
        lambda o, h: "cease requested at 2026-11-30" in o,
    ),
    ("lexdial debt facts ACME-4471 --time-barred yes", lambda o, h: "time-barred: True" in o),
    ("lexdial privacy erase '+1 614 555 0101' --yes", lambda o, h: "erased" in o),
    # (for desk)
    (
        "lexdial dispositions add paid_in_full --label 'Paid in full'",
        lambda o, h: o == "disposition 'paid_in_full' (Paid in full) added\n",
    ),
    ("lexdial dispositions retire left_message", lambda o, h: "'left_message' retired" in o),
    (
        "lexdial dispositions list --all",
        lambda o, h: "paid_in_full" in o and "[retired]" in o and "asked_not_to_call" in o,
    ),
]
#: examples that a test cannot run in sequence here, and where they are tested instead
NOT_RUN = {
    "lexdial init --firm 'Hartwell & Ruiz LLP' --data-dir store --key-file keys/lexdial.json": (
        "a second store: test_init_cli.py::test_the_key_file_can_be_kept_apart_from_the_data_folder"
    ),
    "lexdial serve": "serves until stopped: test_serve_cli.py starts it",
    "lexdial serve --port 8000": "serves until stopped: test_serve_cli.py starts it",
    "lexdial demo": "a whole demo with its dashboard: test_campaign_cli.py runs it",
    "lexdial telephony check": (
        "needs a trunk: tests/integration/telephony/test_sip_trunk_sipp.py checks one (SIPp)"
    ),
    # (for celery)
    "lexdial worker --concurrency 4": (
        "runs until stopped, needs PostgreSQL and a broker: "
        "tests/integration/distributed/test_cluster.py starts it"
    ),
    "lexdial sandbox": "a new store only: tests/integration/distributed/test_sandbox_cli.py",
    # (for dist-clock)
    "lexdial sandbox --start 2026-03-04T15:00Z": (
        "a new store only: tests/integration/distributed/test_sandbox_clock.py"
    ),
}


@pytest.fixture
def clean(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in ("LEXDIAL_DATA_DIR", "LEXDIAL_DATABASE_URL", "LEXDIAL_MASTER_KEY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("LEXDIAL_SETTINGS", raising=False)
    monkeypatch.setenv("LEXDIAL_PASSWORD", "correct horse battery staple")
    home = tmp_path / "work"
    shutil.copytree(ROOT / "examples", home)
    shutil.copytree(ROOT / "src" / "lexdial" / "rules" / "pack", home / "reviewed-pack")
    monkeypatch.chdir(home)
    return home


def test_every_help_example_is_run_here_or_named_with_where_it_is_tested() -> None:
    assert help_examples() == {line for line, _ in ORDER} | set(NOT_RUN)


def test_every_help_example_runs_as_printed_and_does_what_the_help_says(
    clean: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for line, check in ORDER:
        words = shlex.split(line)
        stdin = ""
        if words[0] == "cat":
            stdin = (clean / words[1]).read_text("utf-8")
            words = words[words.index("|") + 1 :]
        old, sys.stdin = sys.stdin, io.StringIO(stdin)
        try:
            code = main(words[1:])
        finally:
            sys.stdin = old
        out = capsys.readouterr()
        assert code == 0, f"{line}\n{out.err}"
        assert check(out.out, clean), f"{line}\nstdout: {out.out}\nstderr: {out.err}"
