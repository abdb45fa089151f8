"""``lexdial contact edit`` and ``lexdial campaign remove-contact`` from a clean folder: a
contact stored with a state the gate cannot judge is named by the lint, mended by an edit,
and the lint then passes; refusals name the option typed and exit as other lookups do."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import update

from lexdial.adapters.db import tables as t
from lexdial.bootstrap import open_store
from lexdial.config import load_settings
from lexdial.entrypoints.cli import main

FIRM = "Hartwell & Ruiz LLP"
CAMPAIGN = """\
name = "Court-date reminders"
purpose = "reminder"
mode = "broadcast"
caller_id = "+16145550199"
[message]
text = \"\"\"Hello, this is Hartwell and Ruiz with a reminder of your court date. \\
Questions? Call us at 614-555-0199. To stop these calls, press 9.\"\"\"
voicemail_text = \"\"\"Hello, this is Hartwell and Ruiz with a reminder. \\
Please call us back at 614-555-0199.\"\"\"
"""


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    for name in ("LEXDIAL_DATA_DIR", "LEXDIAL_DATABASE_URL", "LEXDIAL_MASTER_KEY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("LEXDIAL_SETTINGS", raising=False)
    assert main(["init", "--firm", FIRM]) == 0
    return tmp_path


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def _store_address(contact_id: int, address: dict[str, str]) -> None:
    """Write an address straight into the table, as a store from before entry checks holds."""
    store = open_store(load_settings())
    token = store.cipher.encrypt(json.dumps(address), context="contacts.address")
    with store.db.begin() as conn:
        conn.execute(
            update(t.contacts).where(t.contacts.c.id == contact_id).values(address_enc=token)
        )
    store.db.dispose()


def test_a_state_the_lint_names_is_mended_by_an_edit_and_the_lint_then_passes(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (home / "c.toml").write_text(CAMPAIGN)
    assert run(capsys, "contact", "add", "--number", "+1 614 555 0101", "--state", "OH")[0] == 0
    _store_address(1, {"state": "ZZ", "zip": "43215"})
    assert run(capsys, "campaign", "create", "c.toml")[0] == 0
    assert run(capsys, "campaign", "add", "1", "--all")[0] == 0
    code, out, err = run(capsys, "campaign", "lint", "1")
    assert code == 5 and "contact #1: its stored address.state" in out + err

    code, out, err = run(capsys, "contact", "edit", "1", "--zip", "43004")
    assert code == 2 and "error: --state: is not a US state or territory code" in err

    code, out, _ = run(capsys, "contact", "edit", "1", "--state", "OH", "--line-type", "wireless")
    assert code == 0
    assert out == "contact #1 corrected: address.state, line_type[0]\n"
    assert run(capsys, "campaign", "lint", "1")[1] == "no problems found\n"
    code, out, _ = run(capsys, "contact", "edit", "1", "--state", "oh", "--json")
    assert code == 0 and json.loads(out) == {"contact_id": 1, "changed": ["address.state"]}


def test_a_wrong_edit_names_the_option_typed_and_a_missing_contact_exits_7(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(capsys, "contact", "add", "--number", "+1 614 555 0101")[0] == 0

    cases = [
        (("--number", "+1 614 555 0199"), 2, "error: --number: names the number whose"),
        (("--line-type", "pager"), 2, "error: --line-type: must be one of"),
        (("--matter-type", "tax"), 2, "error: --matter-type: must be one of"),
        (("--inquiry-on", "soon"), 2, "error: --inquiry-on: must be a date"),
        ((), 2, "give at least one option to change"),
    ]
    for options, status, message in cases:
        code, _, err = run(capsys, "contact", "edit", "1", *options)
        assert (code, message in err) == (status, True), (options, err)
        assert "Traceback" not in err

    code, _, err = run(capsys, "contact", "edit", "9", "--name", "Eli")
    assert code == 7 and "No contact #9" in err


def test_a_contact_is_taken_off_a_campaign_once_and_the_second_time_nothing_is_left(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (home / "c.toml").write_text(CAMPAIGN)
    assert run(capsys, "contact", "add", "--number", "+1 614 555 0101", "--state", "OH")[0] == 0
    assert run(capsys, "campaign", "create", "c.toml")[0] == 0
    assert run(capsys, "campaign", "add", "1", "--all")[0] == 0

    code, out, _ = run(capsys, "campaign", "remove-contact", "1", "1")
    assert code == 0 and out.startswith("contact #1 taken off campaign #1 (it was pending")
    code, out, _ = run(capsys, "campaign", "remove-contact", "1", "1", "--json")
    assert code == 0 and json.loads(out) == {
        "campaign_id": 1,
        "contact_id": 1,
        "was": "cancelled",
        "cancelled": False,
    }
    code, _, err = run(capsys, "campaign", "remove-contact", "2", "1")
    assert code == 7 and "no campaign #2" in err
