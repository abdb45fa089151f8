"""Reading a contact file: CSV or XLSX into rows, columns mapped to fields, a preview.

Rule: nothing here touches the store; ``imports`` checks and writes. A preview masks
numbers, names and matter refs, because previews get pasted into tickets and e-mails.
"""

from __future__ import annotations

import csv
import io
import itertools
import re
import zipfile
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime, time
from typing import Any

from lexdial.errors import RequestError

#: every field a column may map to, with what it holds (the CLI help prints this)
FIELDS: dict[str, str] = {
    "number": "telephone number (required): +country code, or national for the country",
    "name": "the person's name",
    "state": "state or province code, two letters, e.g. OH",
    "zip": "ZIP code (43215 or 43215-1234), or another country's postcode",
    "country": "ISO country code, e.g. US; numbers without + are read as this country's",
    "line_type": "wireless | landline | voip | unknown",
    "relationship": "current_client | former_client | inquiry | prospect | none (default)",
    "matter_ref": "the firm's matter or case number, e.g. 2026-PI-0142 (found by the directory)",
    "consent_kind": "express | express_written",
    "consent_scope": "purposes agreed to, comma-separated, e.g. reminder,notification",
    "consent_given_at": "ISO 8601 date-time with offset, e.g. 2026-06-01T12:00:00Z",
    "consent_method": "how it was captured, e.g. engagement letter",
    "disclosure_text": "the exact disclosure wording the person saw",
    "disclosure_version": "the disclosure's version label, e.g. v3",
    "captured_by": "who captured it, e.g. intake:jdoe",
    "document_ref": "signed document reference (required for express_written)",
    "seller": "seller(s) the person agreed to hear from; several separated by ';'",
}
#: a row with any of these cells filled carries a consent, and needs them all
CONSENT_FIELDS = (
    "consent_kind",
    "consent_scope",
    "consent_given_at",
    "consent_method",
    "disclosure_text",
    "disclosure_version",
    "captured_by",
    "seller",
)
MAX_ROWS = 100_000
#: title rows a report-style export may put above the column names (one cell each)
_TITLE_ROWS = 10
#: guesses for headers not named like a field, most specific first (whole words)
_GUESSES = tuple(
    (f, re.compile(rf"\b(?:{p})\b"))
    for f, p in (
        ("disclosure_version", r"disclosure version|consent version|version"),
        ("disclosure_text", r"disclosure|consent text|wording"),
        ("consent_given_at", r"given|consent(?:ed)? (?:date|time|timestamp|on|at)|consented"),
        ("consent_kind", r"consent (?:kind|type)"),
        ("consent_scope", r"scope|purposes?"),
        ("consent_method", r"method"),
        ("captured_by", r"captured|collected|recorded by"),
        ("document_ref", r"document|doc(?: ref| id)?"),
        ("line_type", r"(?:line|phone|number) type|linetype"),
        # before "number": "Case number" is the matter's number, not a telephone's; a
        # bare "Matter" only as the whole header ("Matter type" is not a ref)
        ("matter_ref", r"(?:matter|case|file) (?:ref|reference|number|no|id)|^matter$"),
        ("number", r"phone|mobile|cell|telephone|tel|number"),
        ("zip", r"zip|zipcode|postal|post ?code"),
        ("seller", r"sellers?"),
        ("name", r"name"),
        ("state", r"state|province"),
        ("country", r"country"),
        ("relationship", r"relationship|relation"),
    )
)


@dataclass(frozen=True, slots=True)
class Table:
    """A file's header and its non-blank rows, each with its row number in the file;
    ``header_row`` is the row the column names were read from (title rows above it, as
    report-style exports write them, are skipped), ``encoding`` how the text was read."""

    headers: tuple[str, ...]
    rows: tuple[tuple[int, tuple[str, ...]], ...]
    header_row: int = 1
    encoding: str = "UTF-8"


#: what a file that is not a spreadsheet starts with, for an error that names it
_MAGIC = (
    (b"%PDF", "a PDF document"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"Rar!", "a RAR archive"),
    (b"7z\xbc\xaf", "a 7-Zip archive"),
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"{\\rtf", "an RTF document"),
)
_NOT_A_TABLE = "; export the contacts as CSV or .xlsx and import that"


def read_table(data: bytes, name: str = "") -> Table:
    """CSV or XLSX, told apart by content (an .xlsx is a zip), whatever the file is called."""
    if data[:4] == b"PK\x03\x04":
        return read_xlsx(data)
    if data[:4] == b"\xd0\xcf\x11\xe0" or name.lower().endswith(".xls"):
        raise RequestError("file", "is an old Excel (.xls) workbook; save it as .xlsx or CSV")
    if name.lower().endswith((".xlsx", ".xlsm")):
        raise RequestError("file", "is not a readable .xlsx workbook")
    for magic, what in _MAGIC:
        if data.startswith(magic):
            raise RequestError("file", f"is {what}, not a CSV or XLSX file{_NOT_A_TABLE}")
    return read_csv(data)


def read_csv(data: bytes) -> Table:
    """UTF-8 (with or without BOM), UTF-16 with a BOM (Excel's "Unicode Text") or, when it
    is not UTF-8, Windows-1252 (Excel's plain "CSV" on Windows; ``Table.encoding`` says
    so); the delimiter (, ; tab |) is sniffed, comma if unsure."""
    text, encoding = _decode(data)
    try:
        delimiter = csv.Sniffer().sniff(text[:16384], delimiters=",;\t|").delimiter
    except csv.Error:
        delimiter = ","
    try:
        table = _table(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    except csv.Error as exc:
        raise RequestError("file", f"is not valid CSV ({exc.__class__.__name__})") from None
    return replace(table, encoding=encoding)


#: a UTF-8 sequence of two to four bytes: in a file that is not UTF-8 as a whole, the sign
#: of UTF-8 text with a stray byte, which Windows-1252 would turn into "JosÃ©"
_UTF8_SEQUENCE = re.compile(
    rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}"
)


def _decode(data: bytes) -> tuple[str, str]:
    """The file's text and the name of its encoding; a binary or mixed file is refused."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16"), "UTF-16"
        except UnicodeDecodeError:
            raise RequestError("file", "is not valid UTF-16 text; save it as 'CSV UTF-8'") from None
    if b"\x00" in data[:65536]:
        raise RequestError("file", f"is a binary file, not a CSV or XLSX file{_NOT_A_TABLE}")
    try:
        return data.decode("utf-8-sig"), "UTF-8"
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
    why = f"is not UTF-8 text (line {line} is the first that is not)"
    if _UTF8_SEQUENCE.search(data):  # UTF-8 with a stray byte: guessing would garble it
        raise RequestError("file", f"{why} but holds UTF-8 too; save it as 'CSV UTF-8'")
    try:
        return data.decode("cp1252"), "Windows-1252"
    except UnicodeDecodeError:
        raise RequestError("file", f"{why}; save it as 'CSV UTF-8'") from None


def read_xlsx(data: bytes) -> Table:
    """The first sheet of a workbook, cells as text (values, not formulas)."""
    try:
        # imported here: openpyxl takes a third of a second to import, and the command line
        # reads this module's FIELDS for its help
        from openpyxl import load_workbook  # type: ignore[import-untyped]

        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        try:
            sheet = book.worksheets[0]
            raw = [list(r) for r in sheet.iter_rows(values_only=True)]
        finally:
            book.close()
        if _has_formulas(data):
            _refuse_unsaved_formulas(data, raw)
        return _table([_text(v) for v in r] for r in raw)
    except RequestError:
        raise
    except Exception:  # openpyxl raises zip, XML and key errors for damaged files
        raise RequestError("file", _unreadable_zip(data)) from None


def _has_formulas(data: bytes) -> bool:
    """Whether any sheet holds a formula (``<f>``): most exports hold none, and then the
    workbook is not read a second time."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        sheets = (n for n in archive.namelist() if n.startswith("xl/worksheets/"))
        return any(b"<f" in archive.read(n) for n in sheets if n.endswith(".xml"))


def _refuse_unsaved_formulas(data: bytes, rows: list[list[Any]]) -> None:
    """A formula cell is read as the result Excel saved with it; a workbook written by a
    program (or a script) may keep the formula without its result, which would read as an
    empty cell: refused, naming the cell, rather than imported as a row without its number."""
    from openpyxl import load_workbook
    from openpyxl.utils import get_column_letter  # type: ignore[import-untyped]

    book = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    try:
        lost = [
            f"{get_column_letter(c)}{n}"
            for n, (values, cells) in enumerate(
                zip(rows, book.worksheets[0].iter_rows(values_only=True), strict=False), start=1
            )
            for c, (value, cell) in enumerate(zip(values, cells, strict=False), start=1)
            if value is None and isinstance(cell, str) and cell.startswith("=")
        ]
    finally:
        book.close()
    if lost:
        more = f" and {len(lost) - 1} more" if len(lost) > 1 else ""
        raise RequestError(
            "file",
            f"cell {lost[0]}{more} of the first sheet holds a formula whose result the file "
            "does not keep (it was written by a program, not saved by Excel); open it in Excel "
            "and save it, or paste the cells as values",
        )


#: what a zip file that is not a workbook holds, told by a member only it has
_ZIPPED = (
    ("word/document.xml", "a Word document"),
    ("ppt/presentation.xml", "a PowerPoint presentation"),
    ("content.xml", "an OpenDocument file (.ods or .odt)"),
)


def _unreadable_zip(data: bytes) -> str:
    """Why a zip could not be read as a workbook: another kind of file, or damaged."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
    except (zipfile.BadZipFile, OSError, ValueError):
        return "is not a readable .xlsx workbook (the file is damaged or cut short)"
    if "xl/workbook.xml" in names:
        return "is not a readable .xlsx workbook"
    for member, what in _ZIPPED:
        if member in names:
            return f"is {what}, not a CSV or XLSX file{_NOT_A_TABLE}"
    return "is a zip archive, not an .xlsx workbook; unzip it and import the CSV or .xlsx inside"


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # a number typed into a cell: 6145550101.0
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    return str(value)


def _table(lines: Iterable[list[str]]) -> Table:
    it: Iterator[tuple[int, list[str]]] = enumerate(lines, start=1)
    seen: list[tuple[int, list[str]]] = []  # the non-blank rows read to find the header
    for n, cells in it:
        row = [c.strip() for c in cells]
        if any(row):
            seen.append((n, row))
            if len(seen) > _TITLE_ROWS or sum(map(bool, row)) > 1 or _names_number(row):
                break
    if not seen:
        raise RequestError("file", "is empty; the first row must name the columns")
    # the column names: the first non-blank row, unless one-cell title rows come before a
    # row that names a telephone column (a report-style export: "Contacts", "Run on ...")
    header_row, head = seen[-1] if _names_number(seen[-1][1]) else seen[0]
    for h in head:
        if h and head.count(h) > 1:
            raise RequestError(
                "file", f"column {h!r} appears twice in the header row (row {header_row})"
            )
    rows = []
    for n, cells in itertools.chain(((n, c) for n, c in seen if n > header_row), it):
        stripped = tuple([c.strip() for c in cells])
        if any(stripped):
            rows.append((n, stripped))
        if len(rows) > MAX_ROWS:
            raise RequestError("file", f"has more than {MAX_ROWS} rows; split it")
    return Table(tuple(head), tuple(rows), header_row)


def _names_number(row: list[str]) -> bool:
    return "number" in guess_mapping(row)


def _norm(header: str) -> str:
    return " ".join(re.sub(r"[^0-9a-z]+", " ", header.lower()).split())


def guess_mapping(headers: Iterable[str]) -> dict[str, str]:
    """{field: header} from header names: a field's own name first, then telling words."""
    heads = [h for h in headers if h]
    out = {f: h for h in reversed(heads) for f in FIELDS if _norm(h) == f.replace("_", " ")}
    for f, pattern in _GUESSES:
        if f not in out:
            free = (h for h in heads if h not in out.values() and pattern.search(_norm(h)))
            out[f] = next(free, "")
    return {f: out[f] for f in FIELDS if out.get(f)}


#: header names people write for a field, beside the field's own name: what a misspelt
#: header is compared with (``misspelt_columns``)
_USUAL_NAMES = {
    "phone": "number", "telephone": "number", "mobile": "number", "phone number": "number",
    "full name": "name", "client name": "name", "zip code": "zip", "postal code": "zip",
    "postcode": "zip", "line type": "line_type", "consent type": "consent_kind",
    "consent date": "consent_given_at", "purposes": "consent_scope", "scope": "consent_scope",
    "method": "consent_method", "disclosure": "disclosure_text", "version": "disclosure_version",
    "captured": "captured_by", "document": "document_ref", "matter": "matter_ref",
}  # fmt: skip


def misspelt_columns(headers: Iterable[str], mapping: Mapping[str, str]) -> dict[str, str]:
    """{header: field} for each column no field reads whose name is a near miss of a field
    nothing reads ('Nmae', 'Sate', 'Consent Dtae'): imported as it is, that field would be
    left empty on every row, and a number already on file is never updated by a later
    import, so the slip could not be mended by importing the file again."""
    import difflib

    names = {f.replace("_", " "): f for f in FIELDS} | _USUAL_NAMES
    free = {n: f for n, f in names.items() if f not in mapping}
    out: dict[str, str] = {}
    for h in headers:
        if h and h not in mapping.values() and _norm(h) not in names:
            close = difflib.get_close_matches(_norm(h), free, n=1, cutoff=0.75)
            if close:
                out[h] = free[close[0]]
    return out


def resolve_mapping(
    headers: Iterable[str], given: Mapping[str, str] | None = None, *, header_row: int | None = None
) -> dict[str, str]:
    """The guessed mapping with the user's choices on top (an empty header unmaps a field);
    ``header_row`` (where the column names were read) is named when no number column is."""
    heads = [h for h in headers if h]
    mapping = guess_mapping(heads)
    chosen: dict[str, str] = {}
    for f, header in (given or {}).items():
        if f not in FIELDS:
            raise RequestError(f"mapping.{f}", "is not a field; fields: " + ", ".join(FIELDS))
        if not header:
            mapping.pop(f, None)
            continue
        alike = [h for h in heads if _norm(h) == _norm(header)]
        if header not in heads and not alike:
            raise RequestError(f"mapping.{f}", f"the file has no column {header!r}")
        chosen[f] = header if header in heads else alike[0]
        if list(chosen.values()).count(chosen[f]) > 1:
            raise RequestError(f"mapping.{f}", f"column {chosen[f]!r} is mapped twice")
    mapping = {f: h for f, h in mapping.items() if h not in chosen.values()} | chosen
    if "number" not in mapping:
        where = "" if header_row is None else f" named on row {header_row} (the column names)"
        raise RequestError(
            "mapping.number", f"no column{where} holds the telephone number; map one"
        )
    missing = [f for f in CONSENT_FIELDS if f not in mapping]
    if missing and len(missing) < len(CONSENT_FIELDS):
        raise RequestError(
            "mapping",
            "consent columns are incomplete; map "
            + ", ".join(missing)
            + " (or unmap the others with field=)",
        )
    return {f: mapping[f] for f in FIELDS if f in mapping}


def preview(rows: Table, mapping: Mapping[str, str], limit: int = 20) -> list[dict[str, Any]]:
    """The first rows as the import reads them, to check the mapping by eye: numbers,
    names and matter refs masked (a preview is pasted into tickets), long texts cut short."""
    out = []
    for n, cells in rows.rows[:limit]:
        item: dict[str, Any] = {"row": n}
        for f, v in row_values(rows.headers, mapping, cells).items():
            if f in ("name", "matter_ref"):
                v = " ".join(w[:1] + "•••" for w in v.split())
            item[f] = _mask(v) if f == "number" else v if len(v) <= 60 else v[:57] + "..."
        out.append(item)
    return out


def _mask(raw: str) -> str:
    """As ``render.mask_number``: enough to tell rows apart, not to dial."""
    digits = "".join(ch for ch in raw if ch.isdigit())
    plus = "+" if raw.startswith("+") else ""
    keep = 4 if plus else 3
    if len(digits) <= keep + 2:
        return "•" * len(digits)
    return plus + digits[:keep] + "•" * (len(digits) - keep - 2) + digits[-2:]


def row_values(
    headers: tuple[str, ...], mapping: Mapping[str, str], cells: tuple[str, ...]
) -> dict[str, str]:
    """The mapped fields of one row (a short row reads as blanks)."""
    return row_reader(headers, mapping)(cells)


def row_reader(
    headers: tuple[str, ...], mapping: Mapping[str, str], *, every_field: bool = False
) -> Callable[[tuple[str, ...]], dict[str, str]]:
    """``row_values`` for many rows of one file: the columns are looked up once. With
    ``every_field`` the dict also holds each unmapped field, as ""."""
    idx = [(f, headers.index(h)) for f, h in mapping.items()]
    blank = {f: "" for f in FIELDS if f not in mapping} if every_field else {}
    width = max((i for _, i in idx), default=-1) + 1

    def read(cells: tuple[str, ...]) -> dict[str, str]:
        if len(cells) >= width:
            out = {f: cells[i] for f, i in idx}
        else:
            n = len(cells)
            out = {f: cells[i] if i < n else "" for f, i in idx}
        if blank:
            out.update(blank)
        return out

    return read
