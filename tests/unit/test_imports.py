"""Reading import files, guessing their columns and checking their rows — no store needed.

What matters: a CSV and the same sheet as XLSX read the same; every bad row is named by
the row number a person sees in the file (header = row 1), the field and why; and no
error repeats a cell's value (a number or a name).
"""

from __future__ import annotations

import io
from typing import Any

import pytest
from openpyxl import Workbook

from lexdial.errors import RequestError
from lexdial.service import imports
from lexdial.service.imports import RowError

HEADER = [
    "Phone", "Client Name", "State", "Zip", "Line Type", "Relationship", "Consent Type",
    "Purposes", "Consent Date", "Method", "Disclosure", "Disclosure Version", "Captured By",
    "Document Ref", "Seller",
]  # fmt: skip
CONSENT = [
    "express", "reminder,notification", "2026-06-01T12:00:00Z", "engagement letter",
    "You agree we may call you.", "v3", "intake:jdoe", "DMS-1", "Hartwell & Ruiz LLP",
]  # fmt: skip
ROWS = [
    ["+1 614 555 0101", "Dana Quillfeather", "OH", "43215", "Wireless", "current client", *CONSENT],
    ["(614) 555-0102", "Bo Brightwater", "OH", "43215", "landline", "prospect", *[""] * 9],
]


def _csv(rows: list[list[str]], delimiter: str = ",", bom: bool = False) -> bytes:
    def cell(value: str) -> str:
        return f'"{value}"' if delimiter in value or "," in value else value

    text = "\n".join(delimiter.join(cell(c) for c in r) for r in rows) + "\n"
    return ("\ufeff" if bom else "").encode() + text.encode()


def _xlsx(rows: list[list[Any]]) -> bytes:
    book = Workbook()
    sheet = book.active
    for r in rows:
        sheet.append(r)
    book.create_sheet("ignored").append(["not", "read"])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _errors(rows: list[list[str]]) -> list[RowError]:
    table = imports.read_csv(_csv([HEADER, *rows]))
    return imports.validate(table, imports.resolve_mapping(table.headers))


def test_a_csv_reads_with_its_header_and_the_row_numbers_a_person_sees() -> None:
    table = imports.read_csv(_csv([HEADER, ROWS[0], [""] * len(HEADER), ROWS[1]]))
    assert table.headers == tuple(HEADER)
    assert [n for n, _ in table.rows] == [2, 4]  # the blank row 3 is skipped, not renumbered
    assert table.rows[0][1][1] == "Dana Quillfeather"


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_the_delimiter_is_sniffed_and_a_byte_order_mark_ignored(delimiter: str) -> None:
    table = imports.read_csv(_csv([HEADER, *ROWS], delimiter=delimiter, bom=True))
    assert table.headers[0] == "Phone"
    assert table.rows[0][1][7] == "reminder,notification"


def test_the_same_sheet_as_csv_and_as_xlsx_reads_the_same() -> None:
    typed = [
        [*ROWS[0][:3], 43215, *ROWS[0][4:]],
        [16145550102, *ROWS[1][1:3], 43215.0, *ROWS[1][4:]],
    ]
    csv_table = imports.read_table(_csv([HEADER, ROWS[0], ["16145550102", *ROWS[1][1:]]]), "a.csv")
    xlsx_table = imports.read_table(_xlsx([HEADER, *typed]), "export.xlsx")
    assert xlsx_table == csv_table
    mapping = imports.resolve_mapping(xlsx_table.headers)
    assert imports.preview(xlsx_table, mapping) == imports.preview(csv_table, mapping)
    assert imports.validate(xlsx_table, mapping) == []


@pytest.mark.parametrize(
    ("data", "name", "why"),
    [
        pytest.param(b"", "a.csv", "is empty", id="empty"),
        # (a file that is not UTF-8 at all is read as Windows-1252: test_import_files_read)
        pytest.param(b"Phone,Nam\xc3\xa9\xff\n", "a.csv", "UTF-8", id="utf8-with-a-stray-byte"),
        pytest.param(b"\xd0\xcf\x11\xe0rest", "old.xls", ".xls", id="old-excel"),
        pytest.param(b"PK\x03\x04broken", "a.xlsx", "not a readable .xlsx", id="broken-xlsx"),
        pytest.param(b"Phone,Phone\n1,2\n", "a.csv", "appears twice", id="duplicate-header"),
    ],
)
def test_an_unreadable_file_is_one_clear_error(data: bytes, name: str, why: str) -> None:
    with pytest.raises(RequestError) as err:
        imports.read_table(data, name)
    assert err.value.field == "file" and why in err.value.message


@pytest.mark.parametrize(
    ("header", "field"),
    [
        ("Mobile", "number"), ("Cell Phone", "number"), ("telephone_number", "number"),
        ("Full Name", "name"), ("ZIP code", "zip"), ("Postal Code", "zip"),
        ("Phone Type", "line_type"), ("line_type", "line_type"), ("Consent Kind", "consent_kind"),
        ("Scope", "consent_scope"), ("Consent Given At", "consent_given_at"),
        ("Consented On", "consent_given_at"), ("Consent Method", "consent_method"),
        ("Disclosure Text", "disclosure_text"), ("Disclosure Version", "disclosure_version"),
        ("Captured By", "captured_by"), ("Document Reference", "document_ref"),
        ("Sellers", "seller"), ("Relationship", "relationship"), ("Country", "country"),
    ],
)  # fmt: skip
def test_columns_are_guessed_from_their_header_names(header: str, field: str) -> None:
    assert imports.guess_mapping([header, "Notes"]) == {field: header}


def test_a_field_named_exactly_wins_over_a_header_that_merely_mentions_it() -> None:
    mapping = imports.guess_mapping(["Seller Name", "Mobile", "number", "Document Number"])
    assert mapping == {"number": "number", "document_ref": "Document Number",
                       "seller": "Seller Name"}  # fmt: skip


def test_the_user_mapping_overrides_and_unmaps_guesses() -> None:
    headers = ["Cell #", "Phone", "Name", "Notes"]
    mapping = imports.resolve_mapping(headers, {"number": "cell #", "name": ""})
    assert mapping == {"number": "Cell #"}  # matched loosely, 'Phone' guess replaced


@pytest.mark.parametrize(
    ("given", "field", "why"),
    [
        pytest.param({"colour": "Phone"}, "mapping.colour", "is not a field", id="unknown-field"),
        pytest.param({"name": "Surname"}, "mapping.name", "no column", id="unknown-column"),
        pytest.param({"number": ""}, "mapping.number", "telephone number", id="no-number"),
        pytest.param({"consent_kind": "Notes"}, "mapping", "consent_scope", id="half-consent"),
        pytest.param({"name": "Phone", "zip": "Phone"}, "mapping.zip", "twice", id="twice"),
    ],
)
def test_a_bad_mapping_names_the_field(given: dict[str, str], field: str, why: str) -> None:
    with pytest.raises(RequestError) as err:
        imports.resolve_mapping(["Phone", "Name", "Notes"], given)
    assert err.value.field == field and why in err.value.message


def test_a_clean_file_has_no_row_errors_and_reads_words_as_the_store_spells_them() -> None:
    assert _errors(ROWS) == []
    assert _errors([["+1 614 555 0103", "A", "OH", "", "cell", "Former-Client", *[""] * 9]]) == []


@pytest.mark.parametrize(
    ("change", "field"),
    [
        pytest.param({0: "12"}, "number", id="not-a-number"),
        pytest.param({0: ""}, "number", id="no-number"),
        pytest.param({2: "Ohio"}, "state", id="state-not-a-code"),
        pytest.param({2: "ZZ"}, "state", id="state-no-such-code"),
        pytest.param({3: "432"}, "zip", id="zip-too-short"),
        pytest.param({4: "pager"}, "line_type", id="line-type"),
        pytest.param({5: "friend"}, "relationship", id="relationship"),
        pytest.param({6: "implied"}, "consent_kind", id="consent-kind"),
        pytest.param({7: "reminder,spam"}, "consent_scope", id="scope"),
        pytest.param({8: "2026-06-01"}, "consent_given_at", id="no-offset"),
        pytest.param({8: "June 1st"}, "consent_given_at", id="not-a-date"),
        pytest.param({10: ""}, "disclosure_text", id="no-disclosure"),
        pytest.param({14: ""}, "seller", id="no-seller"),
        pytest.param({6: "Express Written", 13: ""}, "document_ref", id="written-no-document"),
    ],
)
def test_each_bad_cell_is_a_row_error_naming_row_and_field_not_the_value(
    change: dict[int, str], field: str
) -> None:
    bad = list(ROWS[0])
    for i, value in change.items():
        bad[i] = value
    errors = _errors([ROWS[1], bad])
    assert [(e.row, e.field) for e in errors] == [(3, field)], errors
    text = " ".join(str(e) for e in errors)
    assert "555" not in text and "Quillfeather" not in text
    for value in change.values():
        assert not value or value not in text


def test_one_number_with_two_different_people_is_an_error_but_two_consents_are_fine() -> None:
    second = [*ROWS[0][:7], "marketing", *ROWS[0][8:]]  # same person, another consent
    assert _errors([ROWS[0], second]) == []
    blank = ["614-555-0101", *[""] * 14]  # the same number, no new details: fine
    assert _errors([ROWS[0], blank]) == []
    other = ["614-555-0101", "Someone Else", *ROWS[0][2:]]
    assert _errors([ROWS[0], other]) == [
        RowError(3, "name", "differs from row 2, which has the same number")
    ]


def test_a_row_with_more_cells_than_the_header_is_refused() -> None:
    errors = _errors([[*ROWS[0], "Smith"]])
    assert [(e.row, e.field) for e in errors] == [(2, "row")]


def test_the_preview_masks_numbers_and_names_and_shortens_long_texts() -> None:
    long_text = "You agree " * 20
    rows = [[*ROWS[0][:10], long_text, *ROWS[0][11:]]]
    table = imports.read_csv(_csv([HEADER, *rows]))
    first = imports.preview(table, imports.resolve_mapping(table.headers))[0]
    assert first["row"] == 2
    assert first["number"] == "+1614•••••01"
    assert first["name"] == "D••• Q•••"
    assert len(first["disclosure_text"]) == 60
    assert imports.preview(table, {"number": "Phone"}, limit=0) == []


def test_a_zip_that_lost_its_leading_zero_in_excel_says_so() -> None:
    bad = [ROWS[0][0], "Ann Boston", "MA", "2134", *ROWS[0][4:]]
    (error,) = _errors([bad])
    assert (error.row, error.field) == (2, "zip")
    assert "leading zeros" in error.why and "Text" in error.why


def test_another_countrys_postcode_in_the_zip_column_is_read_as_a_postcode() -> None:
    head = ["Phone", "Name", "Country", "State", "Zip"]
    rows = [
        ["+44 20 7946 0958", "A", "GB", "", "SW1A 1AA"],  # a UK postcode, country given
        ["+31 20 555 0123", "B", "", "", "1012 AB"],  # no country, the number says abroad
        ["+1 613 555 0172", "C", "CA", "ON", "K1A 0B6"],
        ["+1 614 555 0101", "D", "", "", "SW1A 1AA"],  # a US number with a UK code: refused
    ]
    table = imports.read_csv(_csv([head, *rows]))
    errors = imports.validate(table, imports.resolve_mapping(table.headers))
    assert [(e.row, e.field) for e in errors] == [(5, "zip")]


@pytest.mark.parametrize(
    ("cell", "mark"),
    [("06/01/2026", "slashes"), ("01.06.2026 12:00", "dots"), ("1/6/26 9:30", "slashes")],
    ids=["us", "european-with-time", "short-year"],
)
def test_a_local_date_format_is_named_as_written_and_never_guessed(cell: str, mark: str) -> None:
    bad = list(ROWS[0])
    bad[8] = cell
    (error,) = _errors([bad])
    assert (error.row, error.field) == (2, "consent_given_at")
    assert error.why.startswith(f"is a date written with {mark}, which reads two ways")
