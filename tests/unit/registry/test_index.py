"""The on-disk index of one do-not-call list: its two forms, lookups, freshness, and the
atomic replacement of one snapshot by the next.

Expected values are worked out by hand or by a Python ``set`` over the same numbers,
never by the index itself.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import BinaryIO

import numpy as np
import pytest

from lexdial.adapters.registry import index as ix
from lexdial.adapters.registry.index import (
    Bitmap,
    Manifest,
    RegistryIndex,
    bitmap_numbers,
    check_list_name,
    commit,
    compact,
    freshness,
    list_names,
    locked,
    open_index,
)
from lexdial.errors import ConfigError, RequestError

U64 = np.uint64


def manifest(name: str = "us-national", count: int = 0, on: date = date(2026, 11, 30)) -> Manifest:
    return Manifest(name, on, "2026-12-01T00:00:00+00:00", count, "full", ())


def save(directory: Path, numbers: list[int], name: str = "us-national") -> Manifest:
    array = np.array(sorted(set(numbers)), dtype=U64)
    with locked(directory):
        return commit(directory, compact(array), manifest(name, len(array)))


@pytest.mark.parametrize(
    ("name", "snapshot", "today", "age", "limit", "stale"),
    [
        ("us-national", date(2026, 11, 1), date(2026, 12, 2), 31, 31, False),
        ("us-national", date(2026, 11, 1), date(2026, 12, 3), 32, 31, True),
        ("us-state-TX", date(2026, 11, 30), date(2026, 11, 30), 0, 31, False),
        ("uk-tps", date(2026, 11, 1), date(2026, 11, 29), 28, 28, False),
        ("uk-tps", date(2026, 11, 1), date(2026, 11, 30), 29, 28, True),
        ("uk-ctps", date(2026, 11, 1), date(2026, 11, 30), 29, 28, True),
        ("us-national", date(2026, 12, 3), date(2026, 12, 2), -1, 31, False),
        ("us-national", date(2026, 12, 4), date(2026, 12, 2), -2, 31, True),
    ],
)
def test_a_snapshot_is_stale_after_31_days_for_us_lists_and_28_for_the_tps(
    name: str, snapshot: date, today: date, age: int, limit: int, stale: bool
) -> None:
    assert freshness(name, snapshot, today) == (age, limit, stale)


@pytest.mark.parametrize("name", ["us-national", "us-state-TX", "us-state-PA", "uk-tps", "uk-ctps"])
def test_the_list_names_the_gate_reads_are_accepted(name: str) -> None:
    assert check_list_name(name) == name


@pytest.mark.parametrize("name", ["", "us", "us-state-tx", "us-state-TEX", "uk", "../etc", "x"])
def test_other_list_names_are_refused_naming_the_option(name: str) -> None:
    with pytest.raises(RequestError) as err:
        check_list_name(name)
    assert err.value.field == "--list"


@pytest.mark.parametrize(
    ("numbers", "form"),
    [
        ([], "array"),
        ([14105550146], "bitmap"),  # one number: one 64-bit word, no bigger than the array
        ([12015550100, 19895550100], "array"),  # two numbers 8 G apart: sparse
        (list(range(14105550000, 14105560000, 3)), "bitmap"),  # one in three: dense
        (list(range(14105550000, 14105550000 + 64 * 1000, 64)), "bitmap"),  # one a word
        (list(range(14105550000, 14105550000 + 65 * 1000, 65)), "array"),  # just sparser
    ],
)
def test_the_smaller_form_is_chosen(numbers: list[int], form: str) -> None:
    chosen = compact(np.array(numbers, dtype=U64))
    assert ("bitmap" if isinstance(chosen, Bitmap) else "array") == form


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("spread", [10_000, 100_000_000])  # dense (bitmap), sparse (array)
def test_lookups_agree_with_a_set_of_the_same_numbers(
    tmp_path: Path, seed: int, spread: int
) -> None:
    rng = np.random.default_rng(seed)
    listed = {int(x) for x in rng.integers(14105550000, 14105550000 + spread, 2_000)}
    save(tmp_path, list(listed))
    index = open_index(tmp_path)
    probes = np.concatenate(
        [
            np.array(sorted(listed), dtype=U64)[::3],
            rng.integers(14105550000 - 100, 14105550000 + spread + 100, 6_000).astype(U64),
            np.array([0, 1, 10**10, 2**64 - 1, 14105549999], dtype=U64),
        ]
    )
    expected = [int(p) in listed for p in probes.tolist()]
    assert index.contains(probes).tolist() == expected
    assert [int(p) in index for p in probes[:200].tolist()] == expected[:200]
    assert len(index) == len(listed)
    assert index.numbers().tolist() == sorted(listed)


@pytest.mark.parametrize("value", [-1, 2**64, "14105550146", 14105550146.0, None])
def test_only_unsigned_64_bit_integers_can_be_listed(tmp_path: Path, value: object) -> None:
    save(tmp_path, [14105550146])
    assert value not in open_index(tmp_path)


def test_a_bitmap_round_trips_to_the_same_sorted_numbers() -> None:
    numbers = np.array([14105550000, 14105550001, 14105550063, 14105550064, 14105550300], U64)
    bitmap = compact(numbers)
    assert isinstance(bitmap, Bitmap)
    assert bitmap.base % 64 == 0 and bitmap.bits % 64 == 0
    assert bitmap_numbers(bitmap).tolist() == numbers.tolist()


def test_an_empty_list_answers_no_to_everything(tmp_path: Path) -> None:
    save(tmp_path, [])
    index = open_index(tmp_path)
    assert len(index) == 0
    assert index.contains(np.array([14105550146], dtype=U64)).tolist() == [False]


def test_the_manifest_records_the_snapshot_and_the_file_it_names(tmp_path: Path) -> None:
    written = save(tmp_path, [14105550146, 12125550199])
    raw = json.loads((tmp_path / "manifest.json").read_text())
    assert raw["format"] == "lexdial-registry/1"
    assert raw["snapshot_on"] == "2026-11-30" and raw["count"] == 2
    assert (tmp_path / raw["file"]).is_file()
    assert open_index(tmp_path).manifest == written


def test_a_new_snapshot_replaces_the_old_one_and_its_file(tmp_path: Path) -> None:
    first = save(tmp_path, [14105550146])
    reader = open_index(tmp_path)  # a process that opened the list before the reload
    second = save(tmp_path, [12125550199, 12125550100])
    assert first.file != second.file
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [".lock", "manifest.json", second.file]
    )
    assert 12125550199 in open_index(tmp_path)
    assert 14105550146 in reader  # the old mapping stays valid until it is closed


@pytest.mark.parametrize("fail_on", ["data", "manifest"])
def test_a_failed_write_leaves_the_previous_snapshot_untouched(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fail_on: str
) -> None:
    before = save(tmp_path, [14105550146])
    files = sorted(p.name for p in tmp_path.iterdir())
    real = ix._write_atomic

    def half_then_fail(f: BinaryIO) -> None:
        f.write(b"partial")
        raise OSError("disk full")

    def failing(path: Path, written: list[Path], write: Callable[[BinaryIO], object]) -> None:
        failing_file = (path.name == "manifest.json") == (fail_on == "manifest")
        real(path, written, half_then_fail if failing_file else write)

    monkeypatch.setattr(ix, "_write_atomic", failing)
    with pytest.raises(OSError):
        save(tmp_path, [12125550199])
    monkeypatch.undo()
    assert sorted(p.name for p in tmp_path.iterdir()) == files
    assert open_index(tmp_path).manifest == before
    assert 14105550146 in open_index(tmp_path)


def test_a_list_never_loaded_is_a_request_error_naming_the_list(tmp_path: Path) -> None:
    with pytest.raises(RequestError) as err:
        RegistryIndex(tmp_path / "us-national")
    assert err.value.field == "--list" and "us-national" in err.value.message


@pytest.mark.parametrize(
    "damage",
    [
        lambda raw: {**raw, "format": "other/9"},
        lambda raw: {k: v for k, v in raw.items() if k != "count"},
        lambda raw: {**raw, "snapshot_on": "30/11/2026"},
        lambda raw: {**raw, "count": raw["count"] + 1},
        lambda raw: {**raw, "file": "../../elsewhere.npy"},
        lambda raw: {**raw, "file": "numbers-0a1b.npy"},  # no such file
    ],
)
def test_a_damaged_manifest_is_a_configuration_error(tmp_path: Path, damage: object) -> None:
    save(tmp_path, [12015550100, 19895550100])
    raw = json.loads((tmp_path / "manifest.json").read_text())
    (tmp_path / "manifest.json").write_text(json.dumps(damage(raw)))  # type: ignore[operator]
    with pytest.raises(ConfigError):
        open_index(tmp_path)


def test_only_directories_with_a_manifest_are_lists(tmp_path: Path) -> None:
    save(tmp_path / "uk-tps", [442079460000], "uk-tps")
    save(tmp_path / "us-national", [14105550146])
    (tmp_path / "scratch").mkdir()
    assert list_names(tmp_path) == ["uk-tps", "us-national"]
    assert list_names(tmp_path / "missing") == []
