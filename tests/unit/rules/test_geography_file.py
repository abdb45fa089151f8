"""The shipped geography file is the ``zipcodes`` dataset, pre-digested.

Every start reads ``adapters/geography.json`` instead of the dataset (seconds). These
tests hold the file to the dataset it names: it must be exactly what
``scripts/build_geography.py`` writes from the installed dataset, and both paths must give
the same state and zone for every ZIP and the same home state and zones for every area
code. After upgrading ``zipcodes``, run the script and commit the file.
"""

from __future__ import annotations

import importlib.metadata
import json
import subprocess
import sys
from functools import cache
from importlib import resources
from pathlib import Path

import pytest

from lexdial.adapters.geodata import FORMAT, GEOGRAPHY_FILE, load_geography
from lexdial.adapters.geodata_build import DATASET, build_text, geography_from_dataset
from lexdial.errors import ConfigError
from lexdial.rules.timezones import Geography

ROOT = Path(__file__).resolve().parents[3]


def shipped_text() -> str:
    return resources.files("lexdial.adapters").joinpath(GEOGRAPHY_FILE).read_text("utf-8")


@cache
def from_dataset() -> Geography:
    return geography_from_dataset()


def test_the_file_names_its_format_and_the_installed_dataset_version() -> None:
    doc = json.loads(shipped_text())
    assert doc["format"] == FORMAT
    assert doc["source"] == {
        "dataset": DATASET,
        "version": importlib.metadata.version(DATASET),
    }, "the installed zipcodes differs from the file's: run scripts/build_geography.py"


def test_the_shipped_file_is_exactly_what_the_build_script_writes_from_the_dataset() -> None:
    assert shipped_text() == build_text(), "stale file: run scripts/build_geography.py"


def test_every_zip_has_the_same_state_and_zone_from_the_file_as_from_the_dataset() -> None:
    assert len(load_geography().zips) > 40_000
    assert load_geography().zips == from_dataset().zips


def test_every_area_code_has_the_same_home_state_and_zones_from_the_file_as_from_the_dataset() -> (
    None
):
    assert load_geography().area_states == from_dataset().area_states
    assert load_geography().area_zones == from_dataset().area_zones


def test_the_whole_geography_from_the_file_equals_the_one_from_the_dataset() -> None:
    assert load_geography() == from_dataset()


def test_the_build_script_check_mode_passes_on_the_committed_file() -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "build_geography.py"), "--check"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "up to date" in done.stdout


def test_a_file_of_another_format_is_refused_not_misread(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    doc = json.loads(shipped_text())
    doc["format"] = "lexdial-geography/999"
    (tmp_path / GEOGRAPHY_FILE).write_text(json.dumps(doc), "utf-8")

    class Folder:
        @staticmethod
        def files(_package: str) -> Path:
            return tmp_path

    monkeypatch.setattr("lexdial.adapters.geodata.resources", Folder)
    load_geography.cache_clear()
    try:
        with pytest.raises(ConfigError, match="lexdial-geography/999"):
            load_geography()
    finally:
        load_geography.cache_clear()


@pytest.mark.parametrize(
    "key",
    ["", "0", "3360", "336021", "00000", "00500", "99999", "ZZZZZ", "33602-1234", 33602],
)
def test_a_zip_look_up_finds_nothing_for_a_code_not_in_the_file(key: object) -> None:
    zips = load_geography().zips
    assert zips.get(key) is None  # type: ignore[call-overload]
    assert key not in zips


def test_the_first_and_last_zip_of_the_file_are_found_like_any_other() -> None:
    dataset = from_dataset().zips
    first, last = min(dataset), max(dataset)
    assert load_geography().zips[first] == dataset[first]
    assert load_geography().zips[last] == dataset[last]
    assert list(load_geography().zips) == sorted(dataset)
