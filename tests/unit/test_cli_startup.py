"""What starting a command loads: only what that command needs.

Start-up time is measured in bench/startup.py; these tests hold the property that makes it
short, without timing anything: `lexdial --help` builds the whole parser without the
engine, the database layer or any heavy library, and `lexdial decide` loads the engine but
not the store, the web app, numpy, PDFs or the phone-number geocoder's 40 MB.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from lexdial.domain.numbers import parse_number
from lexdial.entrypoints.cli import CORE, _command_word, build_parser

#: libraries no command needs just to show its help
HEAVY = (
    "sqlalchemy",
    "alembic",
    "psycopg",
    "numpy",
    "fastapi",
    "starlette",
    "uvicorn",
    "jinja2",
    "twilio",
    "fpdf",
    "openpyxl",
    "cryptography",
    "yaml",
    "phonenumbers",
    "holidays",
    "msgspec",
    "orjson",
    "asyncio",
)
#: what deciding one request needs none of (it does read YAML, numbers, holidays and JSON)
NOT_FOR_DECIDE = tuple(
    m for m in HEAVY if m not in ("yaml", "phonenumbers", "holidays", "msgspec", "orjson")
)
NOT_FOR_DECIDE_MODULES = ("phonenumbers.geocoder", "phonenumbers.geodata")

PROBE = """
import contextlib, io, json, sys
from lexdial.entrypoints.cli import main
out = io.StringIO()
with contextlib.redirect_stdout(out):
    try:
        status = main(sys.argv[1:])
    except SystemExit as exc:
        status = exc.code
print(json.dumps({"status": status, "out": out.getvalue(), "modules": sorted(sys.modules)}))
"""

REQUEST = {
    "at": "2026-12-11T01:15:00Z",
    "number": "+1 813 555 0123",
    "line_type": "wireless",
    "address": {"country": "US", "state": "FL", "zip": "33602"},
    "purpose": "marketing",
    "technology": "manual",
    "relationship": {"type": "former_client", "last_transaction_on": "2026-03-01"},
    "suppression": {"national_dnc": False, "registry_synced_on": "2026-12-01"},
}


def run_cli(args: list[str], cwd: Path) -> dict[str, object]:
    done = subprocess.run(
        [sys.executable, "-c", PROBE, *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    result: dict[str, object] = json.loads(done.stdout)
    return result


def top_level(modules: object) -> set[str]:
    assert isinstance(modules, list)
    return {m.split(".")[0] for m in modules}


def test_lexdial_help_lists_every_command_without_importing_any_heavy_library(
    tmp_path: Path,
) -> None:
    result = run_cli(["--help"], tmp_path)
    assert result["status"] == 0
    out = str(result["out"])
    for command in ("decide", "rules", "consent", "campaign", "serve", "import", "report"):
        assert command in out
    assert top_level(result["modules"]) & set(HEAVY) == set()


def test_lexdial_decide_loads_the_engine_but_not_the_store_web_pdf_or_geocoder(
    tmp_path: Path,
) -> None:
    (tmp_path / "attempt.json").write_text(json.dumps(REQUEST), "utf-8")
    result = run_cli(["decide", "attempt.json"], tmp_path)
    assert result["status"] == 0
    assert json.loads(str(result["out"]))["verdict"] == "defer"
    modules = result["modules"]
    assert isinstance(modules, list)
    assert "lexdial.rules.engine" in modules
    assert top_level(modules) & set(NOT_FOR_DECIDE) == set()
    assert set(modules) & set(NOT_FOR_DECIDE_MODULES) == set()
    assert not [m for m in modules if m.startswith(("lexdial.service", "lexdial.adapters.db"))]


def test_building_the_parser_in_process_imports_no_heavy_library() -> None:
    code = (
        "import sys\nfrom lexdial.entrypoints.cli import build_parser\nbuild_parser()\n"
        "print(' '.join(sorted(sys.modules)))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    )
    assert top_level(done.stdout.split()) & set(HEAVY) == set()


@pytest.mark.parametrize(
    ("argv", "word"),
    [
        pytest.param(["decide", "a.json"], "decide", id="the-command-first"),
        pytest.param(
            ["--settings", "s.toml", "rules", "-j", "US-FL"], "rules", id="after-settings"
        ),
        pytest.param(["--settings=s.toml", "--user", "3", "explain", "-"], "explain", id="both"),
        pytest.param(["consent", "show", "decide"], "consent", id="an-argument-is-not-a-command"),
        pytest.param(["--help", "decide"], None, id="help-before-the-command-shows-the-tree"),
        pytest.param(["-h"], None, id="short-help"),
        pytest.param(["--bogus", "decide"], None, id="an-unknown-option-first"),
        pytest.param(["--settings"], None, id="an-option-without-its-value"),
        pytest.param([], None, id="nothing"),
    ],
)
def test_the_command_word_is_the_first_word_that_is_not_a_global_option(
    argv: list[str], word: str | None
) -> None:
    assert _command_word(argv) == word


@pytest.mark.parametrize(
    "argv",
    [
        ["decide", "a.json", "--compact"],
        ["--settings", "s.toml", "decide", "-"],
        ["explain", "a.json"],
        ["rules", "-j", "US-FL", "--json"],
        ["rules", "--diff", "old", "bundled"],
        ["demo", "--attempts"],
        ["--user", "2", "demo", "--dir", "d", "--no-serve", "--no-linger"],
    ],
)
def test_a_core_command_reads_its_line_the_same_with_the_reduced_parser_as_with_the_whole_tree(
    argv: list[str],
) -> None:
    command = _command_word(argv)
    assert command in CORE
    assert build_parser(command).parse_args(argv) == build_parser().parse_args(argv)


@pytest.mark.parametrize(
    ("raw", "region"),
    [
        ("+1 813 555 0123", "US"),
        ("(850) 555-0100", "US"),
        ("+1 416 555 0100", "US"),
        ("+1 800 555 0100", "US"),
        ("+44 20 7946 0000", "US"),
        ("+33 1 23 45 67 89", "US"),
        ("+39 06 1234 5678", "US"),
        ("+49 30 123456", "US"),
        ("+353 85 000 0164", "US"),
        ("+1 999 555 0100", "US"),
    ],
)
def test_a_numbers_place_read_on_first_use_is_the_geocoders_description_of_it(
    raw: str, region: str
) -> None:
    import phonenumbers
    from phonenumbers import geocoder

    parsed = phonenumbers.parse(raw, region)
    number = parse_number(raw, region)
    want = (
        geocoder.description_for_number(parsed, "en")
        if phonenumbers.is_valid_number(parsed)
        else ""
    )
    assert number.place == want
