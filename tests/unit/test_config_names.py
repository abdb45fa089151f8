"""A misspelt table or key in lexdial.toml is refused naming it and the setting it most
likely meant, never read as "not set" (the firm would run on defaults it changed)."""

from __future__ import annotations

from pathlib import Path

import pytest

from lexdial.config import load_settings
from lexdial.errors import ConfigError

FIRM = '[firm]\nname = "Hartwell & Ruiz LLP"\n'


@pytest.mark.parametrize(
    ("text", "message"),
    [
        pytest.param(FIRM + '[stor]\ndata_dir = "d"\n', r"\[stor\] is not a settings table "
                     r"\(did you mean 'store'\?\)", id="a-misspelt-table"),
        pytest.param(FIRM + '[store]\ndatadir = "d"\n', r"store\.datadir \(did you mean "
                     r"'data_dir'\?\); its settings: data_dir, key_file", id="a-misspelt-key"),
        pytest.param(FIRM + 'colour = "red"\n', r"firm\.colour; its settings: id, name",
                     id="an-unknown-firm-key"),
        pytest.param('name = "Hartwell & Ruiz LLP"\n', r"name = \.\.\. stands outside any "
                     "table", id="a-key-above-every-table"),
        pytest.param(FIRM + "[store]\ndata_dir = 7\n", r"store\.data_dir must be a path in "
                     "quotes", id="a-path-that-is-a-number"),
        pytest.param(FIRM + "[rules]\npack_dir = true\n", r"rules\.pack_dir must be a path",
                     id="a-pack-dir-that-is-a-flag"),
        pytest.param(FIRM + '[rules]\npack = "p"\n', r"rules\.pack \(did you mean 'pack_dir'",
                     id="a-misspelt-rules-key"),
        pytest.param('[policy]\nall_call_window = ["09:00", "20:00"]\n',
                     r"policy\.all_call_window \(did you mean 'all_calls_window'\?\)",
                     id="a-misspelt-policy-key"),
    ],
)  # fmt: skip
def test_a_misspelt_setting_is_refused_naming_it_and_the_nearest_known_one(
    tmp_path: Path, text: str, message: str
) -> None:
    path = tmp_path / "lexdial.toml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=message):
        load_settings(path)


def test_every_table_and_key_lexdial_init_writes_is_still_read(tmp_path: Path) -> None:
    path = tmp_path / "lexdial.toml"
    path.write_text(FIRM + '[store]\ndata_dir = "data"\nkey_file = "keys/k.json"\n')
    settings = load_settings(path)
    assert settings.data_dir == (tmp_path / "data").resolve()
    assert settings.key_file == (tmp_path / "keys" / "k.json").resolve()


def test_a_key_file_setting_that_names_a_folder_is_refused_with_the_file_to_name(
    tmp_path: Path,
) -> None:
    (tmp_path / "keys").mkdir()
    path = tmp_path / "lexdial.toml"
    path.write_text(FIRM + '[store]\nkey_file = "keys"\n')
    with pytest.raises(ConfigError, match=r'store\.key_file .* is a folder; .* "keys/keys\.json"'):
        load_settings(path)
