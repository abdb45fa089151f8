"""``lexdial contact prefs`` and ``lexdial debt facts`` end to end on the default SQLite
store: what a person said is stored and the gate (``lexdial gate --debt``) reads it; bad
input is one line naming the field, exit status 2, no traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

from lexdial.entrypoints.cli import main
from lexdial.entrypoints.cli_stated import parse_range
from lexdial.errors import RequestError

NUMBER = "+1 614 555 0101"
AT = "2026-12-02T16:00:00Z"  # Wed 11:00 in Columbus, Ohio


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("LEXDIAL_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("LEXDIAL_DATABASE_URL", raising=False)
    monkeypatch.delenv("LEXDIAL_MASTER_KEY", raising=False)
    (tmp_path / "lexdial.toml").write_text('[firm]\nname = "Hartwell & Ruiz LLP"\n')
    assert main(["init"]) == 0  # the store is made explicitly, never by a command
    return tmp_path


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """Exit status, output and errors, without the line naming the store."""
    code = main(list(argv))
    out = capsys.readouterr()
    lines = out.err.splitlines(True)
    return code, out.out, "".join(x for x in lines if not x.startswith("lexdial: store"))


@pytest.mark.parametrize(
    ("text", "want"),
    [
        ("mon-fri 09:00-17:00",
         {"from": "09:00", "to": "17:00", "days": ["mon", "tue", "wed", "thu", "fri"]}),
        ("21:00-08:00", {"from": "21:00", "to": "08:00"}),
        ("sat,sun 10:00-12:00", {"from": "10:00", "to": "12:00", "days": ["sat", "sun"]}),
        ("fri-mon 18:00-20:00",
         {"from": "18:00", "to": "20:00", "days": ["fri", "sat", "sun", "mon"]}),
    ],
)  # fmt: skip
def test_a_stated_range_is_written_as_a_person_says_it(text: str, want: dict[str, object]) -> None:
    assert parse_range(text) == want


def test_a_range_with_an_unknown_day_names_the_option() -> None:
    with pytest.raises(RequestError) as err:
        parse_range("weekdays 09:00-17:00")
    assert err.value.field == "--inconvenient"


def test_stated_facts_are_recorded_and_the_gate_honours_them(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    add = ("contact", "add", "--number", NUMBER, "--line-type", "landline", "--state", "OH")
    code, out, err = run(capsys, *add, "--time-zone", "America/New_York")
    assert code == 0, err
    code, out, err = run(capsys, "contact", "prefs", "--number", NUMBER,
                         "--inconvenient", "mon-fri 09:00-17:00")  # fmt: skip
    assert code == 0, err
    assert "1 inconvenient time range" in out and "6145550101" not in out
    code, out, err = run(capsys, "debt", "facts", "ACME-4471",
                         "--cease-requested-at", "2026-11-30T10:00:00Z")  # fmt: skip
    assert code == 0, err
    code, out, err = run(capsys, "gate", "1", "--purpose", "debt_collection", "--technology",
                         "manual", "--debt", "ACME-4471", "--at", AT)  # fmt: skip
    assert code == 0, err
    assert "DENY" in out and "CEASE_COMMUNICATION" in out and "INCONVENIENT_TIME" in out


def test_bad_stated_facts_are_one_line_naming_the_field(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run(capsys, "contact", "add", "--number", NUMBER, "--state", "OH")
    code, _, err = run(capsys, "contact", "prefs", "--number", NUMBER,
                         "--inconvenient", "mon-fri 25:00-17:00")  # fmt: skip
    assert code == 2
    assert err.strip().count("\n") == 0 and "preferences.inconvenient_times[0].from" in err
    assert "Traceback" not in err
    code, _, err = run(capsys, "debt", "facts", "ACME-4471", "--cease-requested-at", "soon")
    assert code == 2 and "debt.cease_requested_at" in err
