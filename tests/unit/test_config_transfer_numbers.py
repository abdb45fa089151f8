"""``[desk] transfer_numbers``: the firm's lines an agent may transfer a call to, read as
E.164; none by default; a bad entry is refused naming the key and the entry."""

from __future__ import annotations

from pathlib import Path

import pytest

from lexdial.config import Settings, load_settings
from lexdial.errors import ConfigError


def _load(tmp_path: Path, text: str) -> Settings:
    path = tmp_path / "lexdial.toml"
    path.write_text(text)
    return load_settings(path, {})


def test_no_number_may_be_transferred_to_unless_the_firm_lists_it(tmp_path: Path) -> None:
    assert _load(tmp_path, "").desk.transfer_numbers == ()
    assert _load(tmp_path, "[desk]\nwebrtc = false\n").desk.transfer_numbers == ()


def test_listed_numbers_are_kept_as_e164_once_each(tmp_path: Path) -> None:
    text = '[desk]\ntransfer_numbers = ["+1 614 555 0100", "+44 20 7946 0958", "+16145550100"]\n'
    assert _load(tmp_path, text).desk.transfer_numbers == ("+16145550100", "+442079460958")


@pytest.mark.parametrize(
    ("value", "named"),
    [
        pytest.param('"+1 614 555 0100"', "must be a list", id="a single string"),
        pytest.param('["614 555 0100"]', "'614 555 0100'", id="no country code"),
        pytest.param('["+1 555"]', "'+1 555'", id="too short"),
        pytest.param('["reception"]', "'reception'", id="a name"),
        pytest.param("[16145550100]", "16145550100", id="a number, not a string"),
        pytest.param('[""]', "''", id="empty"),
    ],
)
def test_a_bad_transfer_number_is_refused_naming_the_key_and_entry(
    tmp_path: Path, value: str, named: str
) -> None:
    with pytest.raises(ConfigError) as e:
        _load(tmp_path, f"[desk]\ntransfer_numbers = {value}\n")
    assert "desk.transfer_numbers" in str(e.value) and named in str(e.value)
