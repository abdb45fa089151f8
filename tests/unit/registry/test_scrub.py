"""Scrubbing a contacts CSV: reading numbers as people write them, the verdict file (one
row per contact, numbers masked) and the summary with the snapshot's age.
"""

from __future__ import annotations

import csv
import re
from datetime import UTC, date, datetime
from pathlib import Path

import numpy as np
import pytest

from lexdial.adapters.registry.index import RegistryIndex, open_index
from lexdial.adapters.registry.loader import load_full
from lexdial.adapters.registry.scrub import REASONS, pick_column, scrub_csv, to_e164
from lexdial.domain.csv_cells import FORMULA_STARTS, safe_cell
from lexdial.errors import RequestError

NOW = datetime(2026, 12, 1, tzinfo=UTC)
LISTED_US = "4105550146\n2125550199\n"
LISTED_UK = "02079460000\n"


def registry(tmp_path: Path, name: str = "us-national", text: str = LISTED_US) -> RegistryIndex:
    (tmp_path / "list.txt").write_text(text)
    load_full(
        tmp_path / "reg",
        name,
        [tmp_path / "list.txt"],
        snapshot_on=date(2026, 11, 1),
        loaded_at=NOW,
    )
    return open_index(tmp_path / "reg" / name)


@pytest.mark.parametrize(
    ("raw", "number", "why"),
    [
        ("4105550146", 14105550146, ""),
        ("14105550146", 14105550146, ""),
        ("+14105550146", 14105550146, ""),
        (" 4105550146 ", 14105550146, ""),
        ("(410) 555-0146", 14105550146, ""),
        ("+1 410-555-0146", 14105550146, ""),
        ("410.555.0146", 14105550146, ""),
        ("1-410-555-0146", 14105550146, ""),
        ("410 555 0146 ext. 12", 14105550146, ""),  # read by parse_number
        ("", 0, "unreadable"),
        ("n/a", 0, "unreadable"),
        ("+44 20 7946 0000", 0, "not a US number"),
        ("1105550146", 0, "invalid number"),  # area code starting 1
        ("4100550146", 0, "invalid number"),  # exchange starting 0
        ("24105550146", 0, "invalid number"),  # 11 digits not starting with 1
    ],
)
def test_us_contacts_are_read_as_people_write_them(raw: str, number: int, why: str) -> None:
    numbers, reasons = to_e164([raw], "US")
    assert (int(numbers[0]), REASONS[reasons[0]]) == (number, why)


@pytest.mark.parametrize(
    ("raw", "number", "why"),
    [
        ("020 7946 0000", 442079460000, ""),
        ("+44 20 7946 0000", 442079460000, ""),
        ("07911 123456", 447911123456, ""),
        ("07700 900123", 0, "invalid number"),  # Ofcom's range for drama: never assigned
        ("+1 410 555 0146", 0, "not a UK number"),
        ("020 7946 000", 0, "invalid number"),
        ("hello", 0, "unreadable"),
    ],
)
def test_uk_contacts_are_read_with_the_uk_as_default_region(
    raw: str, number: int, why: str
) -> None:
    numbers, reasons = to_e164([raw], "GB")
    assert (int(numbers[0]), REASONS[reasons[0]]) == (number, why)


def test_the_bulk_path_and_the_row_by_row_path_agree_on_many_numbers() -> None:
    rng = np.random.default_rng(5)
    digits = [str(n) for n in rng.integers(2_000_000_000, 9_999_999_999, 3000).tolist()]
    written = [d if i % 3 else f"({d[:3]}) {d[3:6]} {d[6:]} x1" for i, d in enumerate(digits)]
    numbers, reasons = to_e164(written, "US")
    for d, n, r in zip(digits, numbers.tolist(), reasons.tolist(), strict=True):
        usable = d[0] >= "2" and d[3] >= "2"
        assert (n, r) == ((10**10 + int(d), 0) if usable else (0, 4))


@pytest.mark.parametrize(
    ("header", "wanted", "column"),
    [
        (["id", "name", "Phone"], None, 2),
        (["id", "Telephone", "mobile"], None, 1),
        (["case number", "number"], None, 1),  # an exact name, not 'case number'
        (["Mobile", "Home phone"], None, 0),
        (["id", "Home phone"], "home phone", 1),
    ],
)
def test_the_number_column_is_found_by_name(
    header: list[str], wanted: str | None, column: int
) -> None:
    assert pick_column(header, wanted, "c.csv") == column


def test_a_missing_number_column_lists_the_columns_there_are() -> None:
    with pytest.raises(RequestError) as err:
        pick_column(["id", "name", "email"], None, "c.csv")
    assert err.value.field == "--column"
    assert "c.csv" in err.value.message and "id, name, email" in err.value.message


def test_a_file_without_a_header_row_does_not_echo_its_first_number() -> None:
    with pytest.raises(RequestError) as err:
        pick_column(["1", "Ann", "(410) 555-0146"], None, "c.csv")
    assert "555" not in str(err.value) and "Ann" in str(err.value)


def test_the_verdict_file_has_one_masked_row_per_contact(tmp_path: Path) -> None:
    index = registry(tmp_path)
    contacts = tmp_path / "contacts.csv"
    contacts.write_text(
        "id,name,phone\n"
        "1,Ann,4105550146\n"
        '2,"Bo, Jr.",(212) 555-0199\n'
        "3,Cy,+1 312 555 0100\n"
        "4,Di,unknown\n"
        "5,Ed,+44 20 7946 0000\n"
        "6,Flo\n"
    )
    summary = scrub_csv(contacts, tmp_path / "out.csv", index, today=date(2026, 12, 2))
    assert (tmp_path / "out.csv").read_text("utf-8").splitlines() == [
        "row,id,name,phone,verdict,list,snapshot_on,reason",
        "2,1,Ann,'+1410•••••46,listed,us-national,2026-11-01,",
        '3,2,"Bo, Jr.",\'+1212•••••99,listed,us-national,2026-11-01,',
        "4,3,Cy,'+1312•••••00,clear,us-national,2026-11-01,",
        "5,4,Di,,invalid,us-national,2026-11-01,unreadable",
        "6,5,Ed,,invalid,us-national,2026-11-01,not a US number",
        "7,6,Flo,,invalid,us-national,2026-11-01,unreadable",
    ]
    assert summary._replace(out="") == (
        "us-national",
        date(2026, 11, 1),
        31,
        31,
        False,
        "phone",
        6,
        2,
        1,
        3,
        "",
        ("phone",),
    )


@pytest.mark.parametrize(
    ("name", "text", "today", "age", "stale"),
    [
        ("us-national", LISTED_US, date(2026, 12, 2), 31, False),
        ("us-national", LISTED_US, date(2026, 12, 3), 32, True),
        ("us-state-TX", LISTED_US, date(2026, 12, 3), 32, True),
        ("uk-tps", LISTED_UK, date(2026, 11, 29), 28, False),
        ("uk-tps", LISTED_UK, date(2026, 11, 30), 29, True),
    ],
)
def test_the_summary_flags_a_stale_snapshot(
    tmp_path: Path, name: str, text: str, today: date, age: int, stale: bool
) -> None:
    index = registry(tmp_path, name, text)
    (tmp_path / "c.csv").write_text("phone\n020 7946 0000\n4105550146\n")
    summary = scrub_csv(tmp_path / "c.csv", tmp_path / "out.csv", index, today=today)
    assert (summary.age_days, summary.stale) == (age, stale)
    assert summary.listed == 1 and summary.invalid == 1


def test_no_whole_number_reaches_the_verdict_file(tmp_path: Path) -> None:
    index = registry(tmp_path)
    rng = np.random.default_rng(9)
    raw = [str(n) for n in rng.integers(2_000_000_000, 9_999_999_999, 500).tolist()]
    (tmp_path / "c.csv").write_text("phone\n" + "\n".join([*raw, "4105550146"]) + "\n")
    scrub_csv(tmp_path / "c.csv", tmp_path / "out.csv", index, today=date(2026, 11, 2))
    text = (tmp_path / "out.csv").read_text("utf-8")
    assert not re.search(r"\d{7}", text)
    shown = [line.split(",")[1] for line in text.splitlines()[1:]]
    assert all(re.fullmatch(r"'\+\d{4}•{5}\d{2}", s) for s in shown if s)
    assert len(shown) == 501


@pytest.mark.parametrize(
    ("content", "field"),
    [
        ("", "CONTACTS"),  # no header
        ("id,email\n1,a@b.c\n", "--column"),
        (b"phone\n\xff\xfe4105550146\n", "CONTACTS"),  # not UTF-8
    ],
)
def test_an_unusable_contacts_file_writes_nothing(
    tmp_path: Path, content: str | bytes, field: str
) -> None:
    index = registry(tmp_path)
    contacts = tmp_path / "c.csv"
    contacts.write_bytes(content.encode() if isinstance(content, str) else content)
    (tmp_path / "out.csv").write_text("previous run\n")
    with pytest.raises(RequestError) as err:
        scrub_csv(contacts, tmp_path / "out.csv", index, today=date(2026, 11, 2))
    assert err.value.field == field
    assert (tmp_path / "out.csv").read_text() == "previous run\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.csv", "list.txt", "out.csv", "reg"]


def test_a_missing_contacts_file_is_a_request_error(tmp_path: Path) -> None:
    with pytest.raises(RequestError) as err:
        scrub_csv(tmp_path / "nope.csv", tmp_path / "o.csv", registry(tmp_path), today=NOW.date())
    assert err.value.field == "CONTACTS"


def test_progress_reaches_the_size_of_the_contacts_file(tmp_path: Path) -> None:
    index = registry(tmp_path)
    contacts = tmp_path / "c.csv"
    contacts.write_text("phone\n" + "4105550146\n" * 1000)
    seen: list[tuple[int, int | None]] = []
    scrub_csv(
        contacts,
        tmp_path / "o.csv",
        index,
        today=NOW.date(),
        on_progress=lambda d, t: seen.append((d, t)),
    )
    size = contacts.stat().st_size
    assert seen and seen[-1] == (size, size)


def _read_back(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.reader(f))


def test_the_verdict_file_keeps_every_column_and_masks_every_phone_column(
    tmp_path: Path,
) -> None:
    index = registry(tmp_path)
    (tmp_path / "c.csv").write_text(
        "case number,client,email,phone,Home Phone,other,fee\n"
        "C-1,Ann,ann@example.com,4105550146,(212) 555-0199,+1 312 555 0100,120.50\n"
        "C-2,Bo,bo@example.com,3125550100,,+44 20 7946 0000,80\n"
        "C-3,Cy,cy@example.com,2125550199,n/a,617-555-0123,99\n"
    )
    summary = scrub_csv(tmp_path / "c.csv", tmp_path / "o.csv", index, today=NOW.date())
    rows = _read_back(tmp_path / "o.csv")
    assert rows[0] == [
        "row", "case number", "client", "email", "phone", "Home Phone", "other", "fee",
        "verdict", "list", "snapshot_on", "reason",
    ]  # fmt: skip
    assert rows[1] == [
        "2", "C-1", "Ann", "ann@example.com", "'+1410•••••46", "'+1212•••••99",
        "'+1312•••••00", "120.50", "listed", "us-national", "2026-11-01", "",
    ]  # fmt: skip
    assert [r[5:7] for r in rows[2:]] == [["", ""], ["", "'+1617•••••23"]]
    assert summary.masked == ("phone", "Home Phone", "other")
    assert not re.search(r"\d{7}", (tmp_path / "o.csv").read_text("utf-8"))


def test_every_cell_written_is_escaped_as_safe_cell_escapes_it(tmp_path: Path) -> None:
    index = registry(tmp_path)
    hostile = ['=HYPERLINK("http://x")', "+1+2", "-2+3", "@SUM(A1)", "\tx", "plain, text"]
    lines = ["name,note,phone"] + [
        f'"{v.replace(chr(34), chr(34) * 2)}",ok,4105550146' for v in hostile
    ]
    (tmp_path / "c.csv").write_text("\n".join(lines) + "\n")
    scrub_csv(tmp_path / "c.csv", tmp_path / "o.csv", index, today=NOW.date())
    rows = _read_back(tmp_path / "o.csv")
    assert [r[1] for r in rows[1:]] == [safe_cell(v) for v in hostile]
    assert all(not c.startswith(FORMULA_STARTS) for r in rows for c in r)


def test_the_columns_the_scrub_adds_never_take_a_name_the_file_already_has(
    tmp_path: Path,
) -> None:
    index = registry(tmp_path)
    (tmp_path / "c.csv").write_text("phone,reason,row\n4105550146,court date,7\n")
    scrub_csv(tmp_path / "c.csv", tmp_path / "o.csv", index, today=NOW.date())
    rows = _read_back(tmp_path / "o.csv")
    assert rows[0] == [
        "scrub_row", "phone", "reason", "row", "verdict", "list", "snapshot_on", "scrub_reason",
    ]  # fmt: skip
    assert rows[1][:4] == ["2", "'+1410•••••46", "court date", "7"]


def test_rows_shorter_or_longer_than_the_header_keep_their_cells(tmp_path: Path) -> None:
    index = registry(tmp_path)
    (tmp_path / "c.csv").write_text("name,phone\nAnn\nBo,4105550146,extra\n")
    scrub_csv(tmp_path / "c.csv", tmp_path / "o.csv", index, today=NOW.date())
    rows = _read_back(tmp_path / "o.csv")
    assert rows[0][:4] == ["row", "name", "phone", ""]
    assert [r[:4] for r in rows[1:]] == [
        ["2", "Ann", "", ""],
        ["3", "Bo", "'+1410•••••46", "extra"],
    ]
