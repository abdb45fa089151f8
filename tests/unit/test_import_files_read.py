"""Reading contact files as Excel, Outlook and practice-management exports write them:
Windows-1252 and UTF-16 text, title rows above the column names, files that are not
spreadsheets at all, and the damage a spreadsheet does to numbers and dates."""

from __future__ import annotations

import pytest

from lexdial.errors import RequestError
from lexdial.service.imports import read_table, resolve_mapping, validate

HEADER = "Phone,Name,Consent Type,Scope,Consent Date,Method,Disclosure,Version,Captured By,Seller"
CONSENT = "express,reminder,{at},letter,You agree,v3,intake:jdoe,Hartwell & Ruiz LLP"


def _row(number: str, name: str = "Ana", at: str = "2026-06-01T12:00:00Z") -> str:
    return f"{number},{name},{CONSENT.format(at=at)}"


def _problems(text: str) -> list[tuple[int, str, str]]:
    table = read_table(text.encode(), "a.csv")
    return [(e.row, e.field, e.why) for e in validate(table, resolve_mapping(table.headers))]


def test_a_windows_1252_file_is_read_as_such_and_says_so() -> None:
    data = f"{HEADER}\r\n{_row('614-555-0110', 'José Muñoz “Pepe”')}\r\n".encode("cp1252")
    table = read_table(data, "outlook.csv")
    assert table.encoding == "Windows-1252"
    assert table.rows[0][1][1] == "José Muñoz “Pepe”"


def test_utf8_with_a_stray_byte_is_refused_naming_the_line_not_guessed() -> None:
    data = f"{HEADER}\n{_row('614-555-0110', 'José')}\n".encode() + b"614-555-0111,Bo\xe9\n"
    with pytest.raises(RequestError, match=r"line 3 .* holds UTF-8 too"):
        read_table(data, "a.csv")


def test_a_utf16_file_with_its_bom_is_read() -> None:
    text = f"\ufeff{HEADER}\r\n{_row('614-555-0110', 'Zoë')}\r\n".replace(",", "\t")
    table = read_table(text.encode("utf-16-le"), "unicode.txt")
    assert table.encoding == "UTF-16"
    assert table.headers[0] == "Phone" and table.rows[0][1][1] == "Zoë"


@pytest.mark.parametrize(
    ("data", "named"),
    [
        pytest.param(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj", "a PDF document", id="pdf"),
        pytest.param(b"\x1f\x8b\x08\x00rest", "a gzip archive", id="gzip"),
        pytest.param(b"Phone,Name\n\x00\x01\x02\x03", "a binary file", id="binary"),
    ],
)
def test_a_file_that_is_not_a_table_is_refused_saying_what_it_is(data: bytes, named: str) -> None:
    with pytest.raises(RequestError, match=f"is {named}, not a CSV or XLSX file"):
        read_table(data, "contacts.csv")


def test_title_rows_and_blank_lines_above_the_column_names_are_skipped() -> None:
    text = f"Contacts export\n,,,\nRun on 12/07/2026\n\n{HEADER}\n{_row('614-555-0117')}\n"
    table = read_table(text.encode(), "clio.csv")
    assert table.header_row == 5
    assert table.headers[0] == "Phone"
    assert [n for n, _ in table.rows] == [6]


def test_a_first_row_of_several_columns_stays_the_header_even_without_a_phone_column() -> None:
    # a later row naming a "Mobile" line type must never be taken for the column names
    text = "Contact,Who,Kind\n614-555-0100,Ann,Mobile phone\n"
    table = read_table(text.encode(), "a.csv")
    assert table.header_row == 1 and table.headers == ("Contact", "Who", "Kind")
    with pytest.raises(RequestError, match="row 1"):
        resolve_mapping(table.headers, header_row=table.header_row)
    assert resolve_mapping(table.headers, {"number": "Contact"})["number"] == "Contact"


def test_a_number_in_scientific_notation_is_refused_saying_how_to_keep_its_digits() -> None:
    [(row, field, why)] = _problems(f"{HEADER}\n{_row('6.14555E+09')}\n")
    assert (row, field) == (2, "number")
    assert "scientific notation" in why and "Text" in why


def test_a_number_exported_from_a_number_cell_with_a_zero_decimal_part_is_read() -> None:
    assert _problems(f"{HEADER}\n{_row('6145550122.0')}\n") == []


@pytest.mark.parametrize(
    "number", ["(614) 555-0120 ext 12", "614-555-0120 x12", "614-555-0120x12", "614 555 0120 #4"]
)
def test_a_number_with_an_extension_is_refused_not_dialled_without_it(number: str) -> None:
    quoted = f'"{number}"'
    [(_, field, why)] = _problems(f"{HEADER}\n{_row(quoted)}\n")
    assert field == "number" and "extension" in why


@pytest.mark.parametrize(
    ("at", "why"),
    [
        pytest.param("6/1/2026", "reads two ways", id="slashed"),
        pytest.param("06/01/2026 12:00 PM", "reads two ways", id="slashed-with-time"),
        pytest.param("46174", "Excel day number", id="excel-serial"),
        pytest.param("2026-06-01", "needs an offset", id="date-only"),
        pytest.param("June 1st", "not an ISO 8601", id="words"),
    ],
)
def test_a_consent_date_excel_wrote_is_refused_saying_what_it_looks_like(at: str, why: str) -> None:
    quoted = f'"{at}"'
    [(_, field, text)] = _problems(f"{HEADER}\n{_row('614-555-0130', at=quoted)}\n")
    assert field == "consent_given_at" and why in text and at not in text


def test_a_consent_dated_after_the_import_is_refused_and_one_within_the_clock_slack_is_not() -> (
    None
):
    from datetime import UTC, datetime

    from lexdial.service.fakes import Reversible
    from lexdial.service.fakes.uow import memory_uow
    from lexdial.service.imports import check

    text = f"{HEADER}\n{_row('614-555-0140', at='2062-06-01T12:00:00Z')}\n"
    text += f"{_row('614-555-0141', at='2026-12-07T12:30:00Z')}\n"
    table = read_table(text.encode(), "a.csv")
    mapping = resolve_mapping(table.headers)
    now = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
    errors = check(memory_uow(), Reversible(), 1, table, mapping, now)
    assert [(e.row, e.field) for e in errors] == [(2, "consent_given_at")]
    assert "after the import" in errors[0].why
    assert validate(table, mapping) == []  # without the instant, the file alone is fine


@pytest.mark.parametrize(
    ("members", "named"),
    [
        pytest.param(["word/document.xml"], "is a Word document, not a CSV", id="docx"),
        pytest.param(["clients.csv"], "is a zip archive, not an .xlsx workbook; unzip", id="zip"),
        pytest.param(["xl/workbook.xml"], "is not a readable .xlsx workbook", id="broken-xlsx"),
    ],
)
def test_a_zip_that_is_not_a_readable_workbook_is_named_for_what_it_is(
    members: list[str], named: str
) -> None:
    import io
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as archive:
        for member in members:
            archive.writestr(member, "<x/>")
    with pytest.raises(RequestError, match=named):
        read_table(buf.getvalue(), "contacts.xlsx")


def _with_formulas(saved: bool) -> bytes:
    """A workbook whose A3 and B3 are formulas; ``saved``: with the results Excel keeps
    beside them (written into the sheet's XML, as openpyxl itself keeps none)."""
    import io
    import zipfile

    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["Phone", "Name"])
    sheet.append(["+1 614 555 0101", "Dana"])
    sheet.append(['="+1 614 555 "&"0102"', "=B2"])
    raw = io.BytesIO()
    book.save(raw)
    if not saved:
        return raw.getvalue()
    out = io.BytesIO()
    with zipfile.ZipFile(raw) as src, zipfile.ZipFile(out, "w") as dst:
        for item in src.infolist():
            data = src.read(item)
            if item.filename == "xl/worksheets/sheet1.xml":
                for cell, value in ((b"A3", b"+1 614 555 0102"), (b"B3", b"Dana")):
                    start = data.index(b'<c r="' + cell + b'">')
                    end = data.index(b"<v />", start)
                    formula = data[start + len(cell) + 8 : end]
                    data = (
                        data[:start]
                        + b'<c r="'
                        + cell
                        + b'" t="str">'
                        + formula
                        + (b"<v>" + value + b"</v>")
                        + data[end + 5 :]
                    )
            dst.writestr(item, data)
    return out.getvalue()


def test_a_formula_saved_with_its_result_reads_as_the_result() -> None:
    table = read_table(_with_formulas(saved=True), "f.xlsx")
    assert table.rows[1] == (3, ("+1 614 555 0102", "Dana"))


def test_a_formula_without_its_saved_result_is_refused_naming_the_cell() -> None:
    with pytest.raises(RequestError) as err:
        read_table(_with_formulas(saved=False), "f.xlsx")
    assert err.value.field == "file"
    assert err.value.message.startswith("cell A3 and 1 more of the first sheet holds a formula")
