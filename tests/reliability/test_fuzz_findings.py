"""What the fuzzers found, each pinned by the smallest input that showed it."""

from __future__ import annotations

from pathlib import Path

import pytest

from lexdial.config import load_settings
from lexdial.domain.request_parse import parse_request
from lexdial.entrypoints.cli import main
from lexdial.errors import ConfigError, RequestError
from lexdial.service.campaign_spec import parse_spec


@pytest.mark.parametrize(("key", "field"), [("", '""'), (" x", '" x"'), ("\ud800", '"\\ud800"')])
def test_an_unknown_field_with_an_empty_or_odd_name_is_still_named(key: str, field: str) -> None:
    with pytest.raises(RequestError) as caught:
        parse_request({key: 1})
    assert caught.value.field == field
    assert str(caught.value).startswith(field + ": unknown field")


@pytest.mark.parametrize("section", ["policy", "firm", "retention", "telephony", "rules", "store"])
def test_a_settings_section_that_is_not_a_table_is_refused_naming_it(
    tmp_path: Path, section: str
) -> None:
    path = tmp_path / "lexdial.toml"
    path.write_text(f"{section} = true\n")
    named = rf"lexdial.toml: {section} must be a \[{section}\] table"
    with pytest.raises(ConfigError, match=named):
        load_settings(path)


@pytest.mark.parametrize(("key", "field"), [("", '""'), ("\n", '"\\n"')])
def test_an_unknown_campaign_setting_with_an_empty_or_odd_name_is_still_named(
    key: str, field: str
) -> None:
    with pytest.raises(RequestError) as caught:
        parse_spec({"name": "R", "purpose": "reminder", "mode": "broadcast",
                    "message": {"text": "Hello."}, key: 1})  # fmt: skip
    assert caught.value.field == field


@pytest.mark.parametrize("anchor", [" ", "12", "x:y", "1:" + "g" * 64])
def test_a_malformed_audit_anchor_is_refused_naming_the_option(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], anchor: str
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("LEXDIAL_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("LEXDIAL_DATABASE_URL", raising=False)
    monkeypatch.delenv("LEXDIAL_MASTER_KEY", raising=False)
    assert main(["audit", "verify", "--anchor", anchor]) == 2
    assert capsys.readouterr().err.startswith("error: --anchor: an audit anchor is written")
