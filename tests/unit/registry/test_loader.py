"""Loading registry text files: what is tolerated, what is refused (naming file and line,
never the number), change lists, the UK TPS, and that a failed load changes nothing.

Every expected number is written out by hand as E.164 digits.
"""

from __future__ import annotations

import hashlib
import json
import zipfile
from datetime import UTC, date, datetime
from pathlib import Path

import numpy as np
import pytest

from lexdial.adapters.registry import loader
from lexdial.adapters.registry.index import open_index
from lexdial.adapters.registry.loader import apply_changes, load_full
from lexdial.errors import RequestError

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
DAY = date(2026, 11, 30)


def load(root: Path, *files: Path, name: str = "us-national", on: date = DAY) -> list[int]:
    load_full(root, name, list(files), snapshot_on=on, loaded_at=NOW)
    return open_index(root / name).numbers().tolist()


def write(path: Path, text: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode() if isinstance(text, str) else text)
    return path


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("4105550146\n2125550199\n", [12125550199, 14105550146]),
        ("4105550146\r\n2125550199\r\n", [12125550199, 14105550146]),
        ("  4105550146 \n\t2125550199\t\n", [12125550199, 14105550146]),
        ("4105550146\n\n\n2125550199\n\n", [12125550199, 14105550146]),
        ("4105550146\n2125550199", [12125550199, 14105550146]),  # no final newline
        ("PhoneNumber\n4105550146\n", [14105550146]),  # a header line
        ("\ufeff4105550146\n", [14105550146]),  # a byte-order mark
        ("\ufeffphone\r\n4105550146\r\n", [14105550146]),
        ("4105550146\n4105550146\n2125550199\n", [12125550199, 14105550146]),  # duplicates
        ("9995550100\n2015550100\n", [12015550100, 19995550100]),  # any order
        ("", []),
    ],
)
def test_the_ftc_text_format_and_its_usual_variations_load(
    tmp_path: Path, text: str, expected: list[int]
) -> None:
    assert load(tmp_path / "reg", write(tmp_path / "201.txt", text)) == expected


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("4105550146\n410555014\n", 2),  # 9 digits
        ("4105550146\n41055501466\n", 2),  # 11 digits
        ("4105550146\n14105550146\n", 2),  # a country code
        ("1105550146\n", 1),  # area code starting 1
        ("4100550146\n", 1),  # exchange starting 0
        ("4105550146\n410-555-0146\n", 2),
        ("4105550146\n+14105550146\n", 2),
        ("4105550146\n4105550146,A\n", 2),
        ("4105550146\n2125550199\nphone\n", 3),  # a header is only allowed on line 1
        ("4105550146\n410555 0146\n", 2),
        ("4105550146\n" * 3 + "41O5550146\n", 4),  # letter O
        ("\n\n4105550146\n\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\n", 4),
        ("4105550146\n" + "4" * 200, 2),  # a line without end
    ],
)
def test_a_malformed_line_is_named_by_file_and_line_and_never_echoed(
    tmp_path: Path, text: str, line: int
) -> None:
    path = write(tmp_path / "410.txt", text)
    with pytest.raises(RequestError) as err:
        load(tmp_path / "reg", path)
    assert err.value.field == f"{path}:{line}"
    assert "nothing was loaded" in err.value.message
    assert "555" not in str(err.value)


@pytest.mark.parametrize("chunk", [16, 64, 1 << 20])
@pytest.mark.parametrize("crlf", [False, True])
def test_chunk_boundaries_change_neither_numbers_nor_line_numbers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, chunk: int, crlf: bool
) -> None:
    monkeypatch.setattr(loader, "CHUNK", chunk)
    end = "\r\n" if crlf else "\n"
    numbers = [f"{n}" for n in range(4105550100, 4105550400, 3)]
    good = write(tmp_path / "ok.txt", "phone" + end + end.join(numbers) + end)
    assert load(tmp_path / "reg", good) == [10**10 + int(n) for n in numbers]
    numbers[77] = "4105550"
    bad = write(tmp_path / "bad.txt", "phone" + end + end.join(numbers) + end)
    with pytest.raises(RequestError) as err:
        load(tmp_path / "reg", bad)
    assert err.value.field == f"{bad}:79"  # header line + 78 numbers


def test_a_failed_load_leaves_the_current_snapshot_as_it_was(tmp_path: Path) -> None:
    root = tmp_path / "reg"
    load(root, write(tmp_path / "a.txt", "4105550146\n"))
    files = sorted(p.name for p in (root / "us-national").iterdir())
    manifest = (root / "us-national" / "manifest.json").read_text()
    with pytest.raises(RequestError):
        load(root, write(tmp_path / "b.txt", "2125550199\n21255501\n"), on=date(2026, 12, 7))
    assert sorted(p.name for p in (root / "us-national").iterdir()) == files
    assert (root / "us-national" / "manifest.json").read_text() == manifest
    assert open_index(root / "us-national").numbers().tolist() == [14105550146]


def test_a_dense_list_is_built_as_a_bitmap_and_a_failure_leaves_no_draft(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(loader, "_FORMATS", {**loader._FORMATS})
    us = loader._FORMATS["US"]
    loader._FORMATS["US"] = us._replace(domain=(14105550000, 64 * 100))  # a tiny "country"
    root, lines = tmp_path / "reg", [f"{4105550000 + i}" for i in range(0, 6400, 7)]
    assert load(root, write(tmp_path / "a.txt", "\n".join(lines))) == [
        10**10 + int(n) for n in lines
    ]
    index = open_index(root / "us-national")
    assert index.manifest.form == "bitmap" and len(index) == len(lines)
    with pytest.raises(RequestError):
        load(root, write(tmp_path / "b.txt", "\n".join([*lines[:-1], "4105"])))
    assert sorted(p.name for p in (root / "us-national").iterdir()) == sorted(
        [".lock", "manifest.json", index.manifest.file]
    )


def test_directories_and_zip_archives_are_read_file_by_file_with_their_sha256(
    tmp_path: Path,
) -> None:
    ftc = tmp_path / "ftc"
    write(ftc / "201.txt", "2015550100\n")
    write(ftc / "sub" / "212.txt", "2125550199\n")
    write(ftc / ".DS_Store", "junk")
    archive = tmp_path / "ftc.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("410.txt", "4105550146\n")
        z.writestr("__MACOSX/._410.txt", "junk")
    root = tmp_path / "reg"
    assert load(root, ftc, archive) == [12015550100, 12125550199, 14105550146]
    sources = open_index(root / "us-national").manifest.sources
    assert [s.name for s in sources] == [
        str(ftc / "201.txt"),
        str(ftc / "sub" / "212.txt"),
        f"{archive}!410.txt",
    ]
    assert sources[0].sha256 == hashlib.sha256(b"2015550100\n").hexdigest()
    assert [(s.bytes, s.numbers, s.role) for s in sources] == [(11, 1, "full")] * 3


@pytest.mark.parametrize(
    ("paths", "message"),
    [
        (["missing.txt"], "no such file"),
        (["empty-dir"], "no files found"),
        (["broken.zip"], "not a readable zip"),
    ],
)
def test_unusable_paths_are_request_errors(tmp_path: Path, paths: list[str], message: str) -> None:
    (tmp_path / "empty-dir").mkdir()
    write(tmp_path / "broken.zip", "not a zip")
    with pytest.raises(RequestError) as err:
        load(tmp_path / "reg", *(tmp_path / p for p in paths))
    assert message in err.value.message


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("02079460000\n", [442079460000]),  # London
        ("07700900123\r\n", [447700900123]),  # a mobile, CRLF
        ("0169772000\n", [44169772000]),  # a 10-digit national number
        ("TPS\n 01632960001 \n02079460000\n", [441632960001, 442079460000]),
    ],
)
def test_uk_tps_numbers_in_national_format_become_44_numbers(
    tmp_path: Path, text: str, expected: list[int]
) -> None:
    assert load(tmp_path / "reg", write(tmp_path / "tps.txt", text), name="uk-tps") == expected


@pytest.mark.parametrize(
    "text",
    ["2079460000\n", "00442079460000\n", "+442079460000\n", "020 7946 0000\n", "020794600\n"],
)
def test_uk_numbers_not_in_national_format_are_refused(tmp_path: Path, text: str) -> None:
    path = write(tmp_path / "tps.txt", text)
    with pytest.raises(RequestError) as err:
        load(tmp_path / "reg", path, name="uk-tps")
    assert err.value.field == f"{path}:1" and "national format" in err.value.message


@pytest.mark.parametrize("dense", [False, True])
def test_change_lists_add_and_delete_and_make_a_new_snapshot(tmp_path: Path, dense: bool) -> None:
    root = tmp_path / "reg"
    base = (
        [f"{4105550000 + i}" for i in range(0, 3000, 2)]  # a bitmap
        if dense
        else ["2015550100", "4105550146", "9895550100"]  # an array
    )
    load(root, write(tmp_path / "full.txt", "\n".join(base)))
    old = open_index(root / "us-national")
    adds = write(tmp_path / "adds.txt", "2125550199\n4105550146\n3125550100\n")
    dels = write(tmp_path / "dels.txt", f"{base[0]}\n3125550100\n7185550100\n")
    manifest = apply_changes(
        root, "us-national", [adds], [dels], snapshot_on=date(2026, 12, 7), loaded_at=NOW
    )
    index = open_index(root / "us-national")
    expected = sorted(
        ({10**10 + int(n) for n in base} - {10**10 + int(base[0])})
        | {12125550199, 14105550146, 13125550100}
    )
    assert index.numbers().tolist() == expected
    assert len(index) == len(expected) == manifest.count
    assert index.snapshot_on == date(2026, 12, 7)
    assert manifest.stats == {
        "added": 2,  # 212... and 312... (410... was listed already)
        "deleted": 1,  # base[0]; 312... is also added, so it stays (protective)
        "additions_already_listed": 1,
        "deletions_not_listed": 1,  # 718... was never listed
    }
    assert manifest.kind == "changes"
    assert manifest.based_on == {
        "snapshot_on": "2026-11-30",
        "count": len(old),
        "loaded_at": NOW.isoformat(),
    }
    assert [s.role for s in manifest.sources] == ["additions", "deletions"]


def test_change_lists_need_a_loaded_list_and_a_later_snapshot(tmp_path: Path) -> None:
    root, adds = tmp_path / "reg", write(tmp_path / "adds.txt", "2125550199\n")
    with pytest.raises(RequestError) as err:
        apply_changes(root, "us-national", [adds], [], snapshot_on=DAY, loaded_at=NOW)
    assert "has not been loaded" in err.value.message
    load(root, write(tmp_path / "full.txt", "4105550146\n"))
    with pytest.raises(RequestError) as err:
        apply_changes(root, "us-national", [adds], [], snapshot_on=date(2026, 11, 1), loaded_at=NOW)
    assert err.value.field == "--snapshot-date"
    with pytest.raises(RequestError):
        apply_changes(root, "us-national", [], [], snapshot_on=DAY, loaded_at=NOW)


def test_an_addition_outside_a_bitmap_widens_it(tmp_path: Path) -> None:
    root = tmp_path / "reg"
    load(root, write(tmp_path / "full.txt", "\n".join(str(4105550000 + i) for i in range(64))))
    assert open_index(root / "us-national").manifest.form == "bitmap"
    adds = write(tmp_path / "adds.txt", "4105540000\n4105560000\n")
    apply_changes(root, "us-national", [adds], [], snapshot_on=DAY, loaded_at=NOW)
    index = open_index(root / "us-national")
    assert {14105540000, 14105560000, 14105550063} <= set(index.numbers().tolist())
    assert len(index) == 66


def test_progress_is_reported_in_bytes_up_to_the_total(tmp_path: Path) -> None:
    seen: list[tuple[int, int | None]] = []
    files = [write(tmp_path / f"{n}.txt", "4105550146\n" * n) for n in (3, 5)]
    load_full(
        tmp_path / "reg",
        "us-national",
        files,
        snapshot_on=DAY,
        loaded_at=NOW,
        on_progress=lambda done, total: seen.append((done, total)),
    )
    assert seen[-1] == (88, 88)
    assert [done for done, _ in seen] == sorted(done for done, _ in seen)


def test_the_manifest_keeps_the_snapshot_date_the_load_time_and_duplicates(
    tmp_path: Path,
) -> None:
    load(tmp_path / "reg", write(tmp_path / "a.txt", "2015550100\n9895550100\n9895550100\n"))
    raw = json.loads((tmp_path / "reg" / "us-national" / "manifest.json").read_text())
    assert (raw["list_name"], raw["snapshot_on"], raw["loaded_at"]) == (
        "us-national",
        "2026-11-30",
        "2026-12-01T09:00:00+00:00",
    )
    assert raw["count"] == 2 and raw["stats"] == {"duplicates": 1}
    assert raw["form"] == "array"  # two numbers 8 G apart: an array is the smaller form
    stored = np.load(tmp_path / "reg" / "us-national" / raw["file"])
    assert stored.tolist() == [12015550100, 19895550100]
