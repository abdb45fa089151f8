"""``lexdial import FILE``: contacts with their consents from a CSV or XLSX file.

The file is read and every row checked before the store is touched; one bad row and
nothing is imported, and every bad row is listed (row, field, why) with exit status 2.
Numbers are shown masked; no cell's value appears in an error.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lexdial.entrypoints import cli_common as common
from lexdial.entrypoints.input import missing_file
from lexdial.entrypoints.progress import Bar
from lexdial.errors import RequestError
from lexdial.service.import_files import FIELDS

# each command imports what it runs: building the parser (``lexdial --help``) must not load
# the database layer, numpy or the PDF library (tests/unit/test_cli_startup.py)
if TYPE_CHECKING:
    from lexdial.service import imports
    from lexdial.service.imports import RowError

EPILOG = (
    "The first row names the columns; each later row is one person (a number may repeat,\n"
    "once per consent). Columns are matched to fields by name (e.g. 'Phone', 'Mobile',\n"
    "'Zip Code', 'Consent Date'); --map field=Header overrides a guess, --map field=\n"
    "drops one. Fields:\n"
    + "\n".join(f"  {f:<19} {why}" for f, why in FIELDS.items())
    + "\nA row with any consent cell needs all consent cells but document_ref. The import\n"
    "is all or nothing, and importing the same file again adds nothing.\n\n"
    "examples:\n"
    "  lexdial import clients.csv --preview     (CSV or XLSX)\n"
    "  lexdial import crm-export.csv --map number='Cell #' --map seller=Firm\n\n"
    "example file (CSV):\n"
    "  number,name,state,line_type,consent_kind,consent_scope,consent_given_at,"
    "consent_method,\n  disclosure_text,disclosure_version,captured_by,document_ref,seller\n"
    '  +1 614 555 0101,Dana Q,OH,wireless,express,"reminder,notification",'
    "2026-06-01T12:00:00Z,\n  engagement letter,You agree we may call you...,v3,intake:jdoe,"
    "DMS-4471,Hartwell & Ruiz LLP"
)


def _mapping(pairs: list[str] | None) -> dict[str, str]:
    out = {}
    for pair in pairs or ():
        field, sep, header = pair.partition("=")
        if not sep or not field.strip():
            raise RequestError("--map", "write it as field=Header (e.g. number=Phone)")
        out[field.strip()] = header.strip()
    return out


#: problems listed on the terminal; ``--json`` lists every one
SHOWN_PROBLEMS = 100


def _refused(errors: list[RowError] | tuple[RowError, ...], verb: str) -> RequestError:
    """One error listing the bad rows, so the user fixes the file in one pass; past
    ``SHOWN_PROBLEMS`` (a wrong date format on 50 000 rows) the rest are counted."""
    lines = [f"  {e}" for e in errors[:SHOWN_PROBLEMS]]
    if len(errors) > SHOWN_PROBLEMS:
        rest = len(errors) - SHOWN_PROBLEMS
        lines.append(f"  ... and {rest} more (--json lists every problem)")
    text = "\n".join(lines)
    return RequestError("file", f"{len(errors)} problem(s); nothing was {verb}:\n{text}")


def _misspelt(columns: dict[str, str]) -> str:
    """What to do about each column whose name looks like a misspelt field's."""
    return "; ".join(
        f"column {h!r} looks like the {f} column misspelt and would not be read: --map "
        f"{f}={h!r} reads it, --map {f}= imports without it"
        for h, f in columns.items()
    )


def _say(line: str) -> None:
    print(f"lexdial: {line}", file=sys.stderr)


def _count(text: str) -> int:
    """``--limit``: a whole number from 0 (a negative one would cut rows off the end)."""
    try:
        value = int(text)
    except ValueError:
        value = -1
    if value < 0:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number from 0")
    return value


def _note_reading(name: str, table: imports.Table) -> None:
    """Say on stderr what was read differently from a plain UTF-8 table on row 1."""
    if table.encoding == "Windows-1252":
        _say(
            f"{name} is not UTF-8: read as Windows-1252 (Excel's 'CSV (Comma delimited)'); "
            "check accented names with --preview, or save it as 'CSV UTF-8'"
        )
    if table.header_row > 1:
        _say(
            f"{name}: the column names are on row {table.header_row}; "
            "the row(s) above them are not imported"
        )


def _columns(table: imports.Table, given: dict[str, str]) -> tuple[dict[str, str], dict[str, str]]:
    """The mapping, and the columns whose names look like a misspelt field's that the user
    did not unmap (``--map field=``); a file without rows is refused here."""
    from lexdial.service import imports

    try:
        mapping = imports.resolve_mapping(table.headers, given, header_row=table.header_row)
    except RequestError as exc:  # no number column, or consent columns missing: a typo?
        guessed = imports.guess_mapping(table.headers)
        hint = "; ".join(
            f"column {h!r} may be it: --map {f}={h!r}"
            for h, f in imports.misspelt_columns(table.headers, guessed).items()
        )
        raise RequestError(exc.field, exc.message + (f"; {hint}" if hint else "")) from None
    if not table.rows:
        where = f"row {table.header_row}"
        raise RequestError(
            "file", f"has no rows below the column names ({where}); nothing to import"
        )
    # imported as it is, the field the column was meant for would be empty on every row, and
    # a number already on file is never updated by importing the file again
    misspelt = imports.misspelt_columns(table.headers, mapping)
    return mapping, {h: f for h, f in misspelt.items() if f not in given}


def cmd_import(args: argparse.Namespace) -> None:
    from lexdial.service import imports

    path = Path(args.file)
    if not path.is_file():
        raise RequestError("FILE", missing_file(path, "CSV or XLSX file"))
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise RequestError("FILE", f"{path}: cannot be read ({exc.strerror})") from None
    table = imports.read_table(data, path.name)
    _note_reading(path.name, table)
    given = _mapping(args.map)
    mapping, misspelt = _columns(table, given)
    store = common.store(args)
    if args.preview:
        with store.reading() as uow:
            errors = imports.check(
                uow, store.cipher, store.firm_id, table, mapping, common.now(args)
            )
        _show_preview(args, table, mapping, errors, misspelt)
        if errors:
            raise _refused(errors, "imported (preview)")
        if misspelt:
            raise RequestError("mapping", _misspelt(misspelt))
        return
    if misspelt:
        raise RequestError("mapping", _misspelt(misspelt) + "; nothing was imported")
    unread = [h for h in table.headers if h and h not in mapping.values()]
    if unread:
        _say(f"{path.name}: column(s) not imported: " + ", ".join(map(repr, unread)))
    bars: list[Bar] = []
    checking = Bar(f"Checking {path.name}", len(table.rows))

    def checked(done: int, total: int) -> None:
        checking.update(done)
        if done == total:
            checking.close(done)

    def tick(done: int, total: int) -> None:
        if not bars:  # drawn only once writing starts: a refused file shows no bar
            bars.append(Bar(f"Importing {path.name}", total))
        bars[0].update(done)

    # two bars: rows checked (every row comes first), then people written, after each chunk
    with store.unit_of_work() as uow:
        report = imports.import_rows(
            uow,
            store.cipher,
            store.audit,
            store.firm_id,
            table,
            mapping,
            common.caller(args),
            common.now(args),
            on_progress=tick,
            on_checked=checked,
        )
    if bars:
        bars[0].close(report.created + report.existing)
    if report.errors:
        if args.json:
            print(json.dumps(report.to_json(), indent=2))
        raise _refused(report.errors, "imported")
    common.show(
        args,
        report.to_json(),
        f"{path.name}: {report.created} contact(s) created, {report.existing} already on file; "
        f"{report.consents_added} consent(s) added, {report.consents_existing} already on file",
    )


def _show_preview(
    args: argparse.Namespace,
    table: imports.Table,
    mapping: dict[str, str],
    errors: list[RowError],
    misspelt: dict[str, str],
) -> None:
    from lexdial.service import imports

    rows = imports.preview(table, mapping, limit=args.limit)
    data: dict[str, Any] = {
        "headers": list(table.headers),
        "mapping": mapping,
        "unmapped": [h for h in table.headers if h and h not in mapping.values()],
        "misspelt": misspelt,
        "rows_in_file": len(table.rows),
        "header_row": table.header_row,
        "encoding": table.encoding,
        "rows": rows,
        "errors": [{"row": e.row, "field": e.field, "why": e.why} for e in errors],
    }
    lines = [f"{len(table.rows)} row(s); columns -> fields:"]
    lines += [f"  {h!r:<28} -> {f}" for f, h in mapping.items()]
    lines += [
        f"  {h!r:<28} (not imported{f'; {misspelt[h]} misspelt?' if h in misspelt else ''})"
        for h in data["unmapped"]
    ]
    lines.append(f"first {len(rows)} row(s):")
    for r in rows:
        cells = ", ".join(f"{k}={v}" for k, v in r.items() if k != "row" and v)
        lines.append(f"  row {r['row']}: {cells}")
    problems = len(errors) + len(misspelt)
    lines.append(f"{problems} problem(s), see below" if problems else "no problems found")
    common.show(args, data, "\n".join(lines))


def add_commands(sub: Any) -> None:
    """Register ``import`` on the main parser's subparsers."""
    a = sub.add_parser(
        "import",
        help="import contacts and consents from CSV or XLSX (all or nothing)",
        description="Import contacts with their consents from a CSV (UTF-8; comma, semicolon,\n"
        "tab or | separated) or XLSX file (first sheet). Every row is checked first: if any\n"
        "row is bad nothing is imported, each problem is listed by row (the header is row 1),\n"
        "field and why, and the exit status is 2.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        parents=common.options(json=True, at=True),
    )
    a.add_argument("file", metavar="FILE", help="a .csv or .xlsx file")
    a.add_argument(
        "--map",
        action="append",
        metavar="FIELD=HEADER",
        help="read FIELD from column HEADER (repeatable); FIELD= ignores a guessed column",
    )
    a.add_argument(
        "--preview",
        action="store_true",
        help="show the column mapping, the first rows (numbers and names masked) and every "
        "problem; "
        "write nothing",
    )
    a.add_argument(
        "--limit",
        type=_count,
        default=20,
        help="rows shown by --preview (default 20)",
    )
    a.set_defaults(func=cmd_import)
