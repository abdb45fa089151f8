"""Hostile input for the command line's readers: decision requests (``decide``), import
files, the settings file and campaign files, and hostile argument values.

For every generated input: the command ends with one of its documented exit statuses,
never a traceback (any exception escaping ``main`` fails the test), output is encodable as
a terminal would encode it (strict UTF-8), a refusal names the field, row or setting it is
about, and a refused write leaves the store exactly as it was.
"""

from __future__ import annotations

import contextlib
import io
import itertools
import json
import re
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lexdial.entrypoints.cli import main
from lexdial.service import imports

from . import sizes
from .fuzz_inputs import (
    NASTY,
    csv_files,
    json_bytes,
    json_values,
    mutated,
    nasty_text,
    settings_files,
)

FIRM = "Hartwell & Ruiz LLP"
REQUEST = {
    "at": "2026-12-02T16:00:00Z",
    "number": "+1 614 555 0101",
    "line_type": "landline",
    "address": {"country": "US", "state": "OH", "time_zone": "America/New_York"},
    "purpose": "reminder",
    "technology": "manual",
    "relationship": {"type": "current_client"},
    "consents": [{"id": "c1", "kind": "express", "given_at": "2026-06-01T12:00:00Z",
                  "scope": ["reminder"], "seller": FIRM}],
    "suppression": {"national_dnc": False, "internal_dnc": False,
                    "registry_synced_on": "2026-11-25"},
    "history": [{"at": "2026-11-30T16:00:00Z", "outcome": "conversation"}],
    "firm": {"name": FIRM},
}  # fmt: skip
CAMPAIGN = {
    "name": "Court-date reminders",
    "purpose": "reminder",
    "mode": "broadcast",
    "caller_id": "+16145550199",
    "message": {"text": "Hello, this is Hartwell and Ruiz with a reminder. Call us at "
                "614-555-0199. To stop these calls, press 9.",
                "voicemail_text": "Hello, this is Hartwell and Ruiz. Call 614-555-0199."},
    "schedule": {"days": ["mon", "tue"], "start": "09:00", "end": "17:00"},
    "retry": {"max_attempts": 2, "delay_minutes": 30},
}  # fmt: skip
GOOD_ROW = {
    "number": "+1 614 555 0101", "name": "Dana Q", "state": "OH", "line_type": "wireless",
    "relationship": "current_client", "consent_kind": "express",
    "consent_scope": "reminder,notification", "consent_given_at": "2026-06-01T12:00:00Z",
    "consent_method": "engagement letter", "disclosure_text": "You agree we may call you.",
    "disclosure_version": "v3", "captured_by": "intake", "document_ref": "DMS-1",
    "seller": FIRM,
}  # fmt: skip
TABLES = ("contacts", "contact_numbers", "consents", "campaigns", "campaign_contacts",
          "dnc_entries", "revocations", "audit_log", "call_attempts")  # fmt: skip
#: a refusal's line starts by naming what it is about: a field path, a row, an option,
#: a setting, or (for input that is not JSON/CSV at all) where the reading failed
NAMED = re.compile(
    r"^error: (?:"
    r"(?:row \d+|line \d+|\[\d+\])[.:\w]*|"  # a row, a line or an item of a batch
    r"\S+: |"  # a field path, an option (--at), FILE or the file's path
    r'[\w.\[\]]*"(?:[^"\\]|\\.)*"[\w.\[\]]*: |'  # a field with an odd name, quoted
    r"\S*lexdial\.toml: |\S*\.toml: |LEXDIAL_\w+ |"  # a settings file and its key
    r"(?:not valid JSON|input is empty|expected a JSON|campaign file)"
    r")"
)
#: an import's progress on stderr (``entrypoints/progress.py`` when not a terminal)
PROGRESS = re.compile(r"(?:Checking|Importing) \S+: \d+")
FUZZ = settings(
    max_examples=sizes.CLI_CASES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                           HealthCheck.data_too_large],
    database=None,
    # CI runs the same cases every time; the long run explores new ones
    derandomize=not sizes.LONG,
)  # fmt: skip
STORE_FUZZ = settings(FUZZ, max_examples=sizes.STORE_CASES)
_names = itertools.count()


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A store for the whole module (every example checks it is left as it was)."""
    root = tmp_path_factory.mktemp("fuzz-home")
    (root / "lexdial.toml").write_text(f'[firm]\nname = "{FIRM}"\n')
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(root)
        mp.setenv("LEXDIAL_DATA_DIR", str(root / "data"))
        for name in ("LEXDIAL_DATABASE_URL", "LEXDIAL_MASTER_KEY", "LEXDIAL_SETTINGS",
                     "LEXDIAL_WEBHOOK_URL"):  # fmt: skip
            mp.delenv(name, raising=False)
        assert cli("init")[0] == 0
        assert cli("contact", "add", "--number", "+1 614 555 0101", "--state", "OH")[0] == 0
        yield root


def cli(*argv: str) -> tuple[int, str, str]:
    """Run the command line as a terminal would: strict UTF-8 streams, exit status back."""
    out, err = io.BytesIO(), io.BytesIO()
    streams = io.TextIOWrapper(out, "utf-8"), io.TextIOWrapper(err, "utf-8")
    with contextlib.redirect_stdout(streams[0]), contextlib.redirect_stderr(streams[1]):
        try:
            code = main(list(argv))
        except SystemExit as exc:  # a command that exits with its own status (audit verify)
            code = int(exc.code or 0)
        for s in streams:
            s.flush()
    # the line naming the store opens every store command's errors, notes ("lexdial: ...")
    # and an import's progress lines may come before the error; the checks read the rest
    lines = err.getvalue().decode("utf-8").splitlines(True)
    rest = "".join(x for x in lines if not x.startswith("lexdial: ") and not PROGRESS.match(x))
    return code, out.getvalue().decode("utf-8"), rest


def counts(home: Path) -> dict[str, int]:
    con = sqlite3.connect(home / "data" / "lexdial.sqlite3")
    try:
        return {name: con.execute(f"select count(*) from {name}").fetchone()[0] for name in TABLES}
    finally:
        con.close()


def refused_by_name(code: int, err: str, allowed: set[int]) -> None:
    assert code in allowed, (code, err)
    assert "Traceback" not in err
    if code != 0:
        assert NAMED.match(err), err


def write(home: Path, suffix: str, data: bytes) -> Path:
    path = home / f"in-{next(_names)}{suffix}"
    path.write_bytes(data)
    return path


@FUZZ
@given(doc=mutated(REQUEST) | st.lists(mutated(REQUEST), max_size=3) | json_values)
def test_decide_answers_or_names_the_bad_field_for_any_json(home: Path, doc: Any) -> None:
    path = write(home, ".json", json_bytes(doc))
    code, out, err = cli("decide", str(path))
    refused_by_name(code, err, {0, 2})
    if code == 0:  # one decision per request, in order
        answers = json.loads(out)
        assert len(answers) == len(doc) if isinstance(doc, list) else "verdict" in answers
    sizes.add("fuzz cases: decide (JSON)")


@FUZZ
@given(data=st.binary(max_size=200) | st.sampled_from([b"{" * 5, b"\xff\xfe{}", b"[1,2"]))
def test_decide_names_the_problem_for_bytes_that_are_not_json(home: Path, data: bytes) -> None:
    code, _, err = cli("decide", str(write(home, ".json", data)))
    refused_by_name(code, err, {0, 2})
    sizes.add("fuzz cases: decide (bytes)")


@STORE_FUZZ
@given(data=csv_files(list(imports.FIELDS), GOOD_ROW))
def test_an_import_of_any_csv_is_whole_or_refused_naming_each_bad_row(
    home: Path, data: bytes
) -> None:
    before = counts(home)
    code, _, err = cli("import", str(write(home, ".csv", data)))
    refused_by_name(code, err, {0, 2})
    after = counts(home)
    if code != 0:
        assert after == before, "a refused import wrote something"
    sizes.add("fuzz cases: import (CSV)")


@FUZZ
@given(text=settings_files())
def test_any_settings_file_is_used_or_refused_naming_the_setting(home: Path, text: str) -> None:
    path = write(home, ".toml", text.encode("utf-8", "surrogatepass"))
    request = write(home, ".json", json_bytes(REQUEST))
    code, _, err = cli("--settings", str(path), "decide", str(request))
    refused_by_name(code, err, {0, 3})
    sizes.add("fuzz cases: settings (TOML)")


@STORE_FUZZ
@given(doc=mutated(CAMPAIGN), as_toml=st.booleans())
def test_any_campaign_file_is_created_or_refused_naming_the_field(
    home: Path, doc: Any, as_toml: bool
) -> None:
    from .fuzz_inputs import toml_value

    if as_toml and isinstance(doc, dict):
        body = "\n".join(f"{k} = {toml_value(v)}" for k, v in doc.items()).encode(
            "utf-8", "surrogatepass"
        )
    else:
        body = json_bytes(doc)
    before = counts(home)
    code, _, err = cli("campaign", "create", str(write(home, ".json", body)))
    refused_by_name(code, err, {0, 2})
    after = counts(home)
    if code != 0:
        assert after == before, "a refused campaign wrote something"
    else:
        assert after["campaigns"] == before["campaigns"] + 1
    sizes.add("fuzz cases: campaign file")


COMMANDS = [
    ("optout", "{}", "--channel", "{}"),
    ("consent", "show", "{}"),
    ("contact", "add", "--number", "{}", "--state", "{}", "--relationship", "{}"),
    ("gate", "1", "--purpose", "{}", "--technology", "{}", "--at", "{}"),
    ("campaign", "add", "1", "--contacts", "{}"),
    ("audit", "verify", "--anchor", "{}"),
    ("privacy", "object", "{}"),
    ("registry", "status", "--today", "{}"),
    ("rules", "-j", "{}"),
]


@STORE_FUZZ
@given(
    template=st.sampled_from(COMMANDS),
    values=st.lists(st.sampled_from([s for s in NASTY if s]) | nasty_text, min_size=4),
)
def test_hostile_argument_values_are_refused_naming_the_option(
    home: Path, template: tuple[str, ...], values: list[str]
) -> None:
    argv, it = [], iter(values)
    for part in template:
        argv.append(next(it) if part == "{}" else part)
    if any(a.startswith("-") for a in argv if a not in template):
        argv = [a for a in argv if a]  # argparse reads a leading '-' as an option: fine too
    before = counts(home)
    code, _, err = cli(*argv)
    refused_by_name(code, err, {0, 2, 4, 5})
    if code != 0 and argv[0] in ("contact", "campaign", "privacy"):
        assert counts(home) == before, f"refused {argv[0]} wrote something"
    sizes.add("fuzz cases: CLI arguments")


def test_a_strict_terminal_is_what_the_fuzzers_write_to(home: Path) -> None:
    """The harness itself: a lone surrogate on a strict UTF-8 stream is an error, so a
    command that printed one would fail the fuzz tests above (they cannot pass blindly)."""
    with pytest.raises(UnicodeEncodeError):
        stream = io.TextIOWrapper(io.BytesIO(), "utf-8")
        stream.write("\ud800")
        stream.flush()
    assert not NAMED.match("error: something went wrong")
    assert NAMED.match("error: row 3.number: is not a telephone number")
    assert NAMED.match('error: message."a b\\"c": is not a campaign setting')
