"""CSV cells from outside text never start a spreadsheet formula (OWASP CSV injection)."""

from __future__ import annotations

import csv
import io

import pytest

from lexdial.domain.csv_cells import SafeWriter, safe_cell


@pytest.mark.parametrize(
    "text",
    ['=HYPERLINK("http://evil.test","x")', "=cmd|' /C calc'!A0", "@SUM(1+1)*cmd", "+1+2",
     "-2+3", "\t=1", "\r=1"],
)  # fmt: skip
def test_a_cell_that_a_spreadsheet_would_run_is_written_with_a_leading_quote(text: str) -> None:
    buf = io.StringIO()
    SafeWriter(buf).writerow(["name", text])
    (row,) = list(csv.reader(io.StringIO(buf.getvalue(), newline="")))
    assert row == ["name", "'" + text]


@pytest.mark.parametrize("value", ["Dana Client", "O'Brien", "", 42, 1.5, None])
def test_ordinary_cells_and_numbers_are_written_unchanged(value: object) -> None:
    assert safe_cell(value) == value
