"""Importing contacts and their consents from a CSV or XLSX file.

Rule 1: all or nothing. Every row is checked (its cells, the file against itself, the
store's erasure tombstones) before anything is written; one bad row and nothing is
imported, and the report names every bad row as the user sees it (the header is row 1),
the field and why. A half-imported list is worse than none: nobody knows which half.
Rule 2: re-importing the same file changes nothing. A number already on file is an
existing contact (left as it is); a consent the ledger already holds (the evidence
fingerprint ``record_consent`` refuses as a duplicate) is counted as existing.
Rule 3: an error never repeats a cell's value: it may be a number or a name.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any

from lexdial.domain.decision import CONSENT_KINDS, LINE_TYPES, PURPOSES, RELATIONSHIPS
from lexdial.domain.request_parse import check_address
from lexdial.errors import RequestError
from lexdial.service import contacts, import_write
from lexdial.service.consent import ConsentEvidence, NewConsent
from lexdial.service.import_files import CONSENT_FIELDS, row_reader

# the file-reading half lives in import_files; callers may keep using this module for both
from lexdial.service.import_files import FIELDS as FIELDS
from lexdial.service.import_files import MAX_ROWS as MAX_ROWS
from lexdial.service.import_files import Table as Table
from lexdial.service.import_files import guess_mapping as guess_mapping
from lexdial.service.import_files import misspelt_columns as misspelt_columns
from lexdial.service.import_files import preview as preview
from lexdial.service.import_files import read_csv as read_csv
from lexdial.service.import_files import read_table as read_table
from lexdial.service.import_files import read_xlsx as read_xlsx
from lexdial.service.import_files import resolve_mapping as resolve_mapping
from lexdial.service.ports import Audit, Cipher
from lexdial.service.storage import UnitOfWork
from lexdial.service.users import Caller, authorize

#: how far past the import's instant a consent's date may be: the clocks of the system
#: that exported the file and of this one may differ
FUTURE_SLACK = timedelta(hours=1)
_SYNONYMS = {"mobile": "wireless", "cell": "wireless", "cellular": "wireless", "fixed": "landline"}
_ERASED = "belongs to a person whose data was erased; it may not be imported again"


@dataclass(frozen=True, slots=True, order=True)
class RowError:
    """One reason a row is refused; ``why`` never quotes the cell."""

    row: int
    field: str
    why: str

    def __str__(self) -> str:
        return f"row {self.row}, {self.field}: {self.why}"


@dataclass(frozen=True, slots=True)
class ImportReport:
    created: int = 0
    existing: int = 0
    consents_added: int = 0
    consents_existing: int = 0
    errors: tuple[RowError, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "errors": [asdict(e) for e in self.errors]}


def validate(rows: Table, mapping: Mapping[str, str]) -> list[RowError]:
    """Every row error the file has on its own (no store needed), in file order."""
    return sorted(_plan(rows, mapping)[1])


def check(
    uow: UnitOfWork,
    cipher: Cipher,
    firm_id: int,
    rows: Table,
    mapping: Mapping[str, str],
    at: datetime | None = None,
) -> list[RowError]:
    """``validate`` plus what the store refuses (erased people's numbers) and, given the
    instant ``at`` of the import, consents dated after it; writes nothing."""
    people, errors = _plan(rows, mapping, at=at)
    return sorted(errors + _erased(uow, firm_id, people, _indexes(cipher, people)))


def import_rows(
    uow: UnitOfWork,
    cipher: Cipher,
    audit: Audit,
    firm_id: int,
    rows: Table,
    mapping: Mapping[str, str],
    caller: Caller,
    at: datetime,
    on_progress: Callable[[int, int], None] | None = None,
    on_checked: Callable[[int, int], None] | None = None,
) -> ImportReport:
    """Import every row in the caller's transaction, or write nothing if any row is bad.
    ``on_checked(rows checked, rows)`` reports the checking of the file, every
    ``import_write.CHUNK`` rows; ``on_progress(people written, people)`` the writing."""
    actor = authorize(uow, caller, "import.write", firm_id)
    with uow.inbox.bulk_import():
        return _import(uow, cipher, audit, firm_id, rows, mapping, actor, at, on_progress,
                       on_checked)  # fmt: skip


def _import(
    uow: UnitOfWork,
    cipher: Cipher,
    audit: Audit,
    firm_id: int,
    rows: Table,
    mapping: Mapping[str, str],
    actor: str,
    at: datetime,
    on_progress: Callable[[int, int], None] | None,
    on_checked: Callable[[int, int], None] | None,
) -> ImportReport:
    people, errors = _plan(rows, mapping, on_checked, at=at)
    bidx = _indexes(cipher, people)
    errors += _erased(uow, firm_id, people, bidx)
    if errors:
        return ImportReport(errors=tuple(sorted(errors)))
    batch = [
        import_write.Person(p.e164, p.contact(), [c for _, c in p.consents], bidx[p.e164])
        for p in people.values()
    ]
    written = import_write.write(
        uow, cipher, audit, firm_id, batch, actor, at, on_progress=on_progress
    )
    n = asdict(written)
    audit.record(
        uow,
        at=at,
        actor=actor,
        action="contacts.imported",
        subject="store:import",
        data={"rows": len(rows.rows), **n},
    )
    return ImportReport(**n)


def _indexes(cipher: Cipher, people: Mapping[str, _Person]) -> dict[str, str]:
    """The blind index of every number, made once for the tombstone check and the write."""
    return {e164: contacts.number_index(cipher, e164) for e164 in people}


def _erased(
    uow: UnitOfWork, firm_id: int, people: Mapping[str, _Person], bidx: Mapping[str, str]
) -> list[RowError]:
    """Rows whose number has an erasure tombstone (one query per chunk of numbers)."""
    person = {bidx[e164]: p for e164, p in people.items()}
    hits = uow.inbox.erased_numbers(firm_id, person)
    return [RowError(person[b].row, "number", _ERASED) for b in hits]


@dataclass(slots=True)
class _Person:
    """One number's contact, gathered from every row that names it."""

    row: int  # the first row naming the number
    e164: str
    details: dict[str, str]
    consents: list[tuple[int, NewConsent]] = field(default_factory=list)

    def contact(self) -> contacts.NewContact:
        d = self.details
        keys = ("country", "state", "zip", "postcode")
        address: dict[str, str] = {k: d[k] for k in keys if k in d}
        return contacts.NewContact(
            numbers=((self.e164, d.get("line_type")),),
            name=d.get("name"),
            address=address or None,
            relationship=d.get("relationship", "none"),
            matter_ref=d.get("matter_ref"),
        )


#: a whole number written with a decimal part of zeros, as a number cell exports
_WHOLE_DECIMAL = re.compile(r"\+?\d{7,15}(\.0+)")
#: an extension after the number: "ext 12", "x12", "extension 12", "#12"
_EXTENSION = re.compile(r"(?:ext\.?|extension|x|#)\s*\d+\s*$", re.IGNORECASE)
#: a number Excel shows in scientific notation (6.14555E+09): its last digits are gone
_SCIENTIFIC = re.compile(r"[+-]?\d(?:[.,]\d+)?[eE]\+?\d{1,2}")
#: a date as Excel writes it when the column is not text: a day number, or month/day/year
_EXCEL_SERIAL = re.compile(r"\d{5}(?:\.\d+)?")
_SLASHED = re.compile(r"\d{1,2}[/.]\d{1,2}[/.]\d{2,4}\b.*")
_TEXT_COLUMN = "; format the column as Text in Excel (or the export) and export the file again"


def _not_a_number(raw: str) -> str:
    """Why a number cell is refused, with Excel's usual damage named (never the cell)."""
    if _SCIENTIFIC.fullmatch(raw):
        return "is in scientific notation (as Excel shows long numbers), its digits lost" + (
            _TEXT_COLUMN
        )
    return "is not a valid, dialable telephone number"


def _not_a_time(raw: str) -> str:
    """Why a consent date-time is refused: an ambiguous or bare date is never guessed."""
    example = "2025-03-14T09:30:00-04:00 (the offset it was given in, or Z for UTC)"
    if _EXCEL_SERIAL.fullmatch(raw):
        return f"is an Excel day number, not a date-time; write it as {example}{_TEXT_COLUMN}"
    if _SLASHED.fullmatch(raw):
        mark = "dots" if "." in raw.split()[0] else "slashes"  # 01.06.2026 is Europe's
        why = f"is a date written with {mark}, which reads two ways (6/1: June 1 or 6 January)"
        return f"{why}; write it as {example}"
    return f"is not an ISO 8601 date-time; write it as {example}"


class _Memo:
    """What one file's rows repeat, worked out once per distinct cell: a client list
    repeats its line types, consent kinds, dates and scopes on every row, and a number
    written twice (in any format) is parsed once per way of writing it. Only the result of
    a pure function of the cell is kept; each row still records its own errors."""

    __slots__ = ("addresses", "choices", "numbers", "scopes", "times")

    def __init__(self) -> None:
        self.choices: dict[tuple[str, str], str] = {}
        #: (cell, region) -> E.164, or "" when it is not a valid, dialable number
        self.numbers: dict[tuple[str, str], str] = {}
        #: cell -> its instant, or None when it is not ISO 8601
        self.times: dict[str, datetime | None] = {}
        self.scopes: dict[str, tuple[str, ...]] = {}
        #: address items -> (field, why) when the gate would refuse the address, else None
        self.addresses: dict[tuple[tuple[str, str], ...], tuple[str, str] | None] = {}

    def number(self, raw: str, region: str) -> str:
        e164 = self.numbers.get((raw, region))
        if e164 is None:
            try:
                # "6145550101.0": a number cell written out as a decimal, its digits whole
                digits = raw[: -len(m.group(1))] if (m := _WHOLE_DECIMAL.fullmatch(raw)) else raw
                e164 = contacts.normalise(digits, region=region)
            except RequestError:
                e164 = ""
            self.numbers[(raw, region)] = e164
        return e164

    def time(self, raw: str) -> datetime | None:
        if raw not in self.times:
            try:
                self.times[raw] = datetime.fromisoformat(raw)
            except ValueError:
                self.times[raw] = None
        return self.times[raw]

    def address(self, items: tuple[tuple[str, str], ...]) -> tuple[str, str] | None:
        if items not in self.addresses:
            try:
                check_address(dict(items))
                self.addresses[items] = None
            except RequestError as exc:
                key, why = exc.field.rpartition(".")[2], exc.message
                code = dict(items).get("zip", "")
                if key == "zip" and code.isdigit() and 3 <= len(code) < 5:
                    # 02134 read as a number by Excel is 2134: the ZIP lost its zeros
                    why += ", and looks like one whose leading zeros were lost" + _TEXT_COLUMN
                self.addresses[items] = ("zip" if key == "postcode" else key, why)
        return self.addresses[items]

    def scope(self, raw: str) -> tuple[str, ...]:
        parts = self.scopes.get(raw)
        if parts is None:
            parts = self.scopes[raw] = tuple(p.strip().lower() for p in raw.split(",") if p.strip())
        return parts


class _Row:
    """One row's mapped cells and the errors found in them."""

    def __init__(self, n: int, values: dict[str, str], memo: _Memo) -> None:
        self.n, self.v, self.memo = n, values, memo
        self.errors: list[RowError] = []
        #: a field's cell ("" when empty or unmapped): ``values`` holds every field
        self.get: Callable[[str], str] = values.__getitem__

    def bad(self, f: str, why: str) -> None:
        self.errors.append(RowError(self.n, f, why))

    def choice(self, f: str, allowed: frozenset[str]) -> str:
        raw = self.get(f)
        value = self.memo.choices.get((f, raw))
        if value is None:
            value = re.sub(r"[\s-]+", "_", raw.lower())
            value = _SYNONYMS.get(value, value) if f == "line_type" else value
            self.memo.choices[(f, raw)] = value
        if value and value not in allowed:
            self.bad(f, "must be one of " + ", ".join(sorted(allowed)))
        return value


def _plan(
    rows: Table,
    mapping: Mapping[str, str],
    on_checked: Callable[[int, int], None] | None = None,
    *,
    at: datetime | None = None,
) -> tuple[dict[str, _Person], list[RowError]]:
    """People by E.164 (in file order) and every row error, from the file alone (and the
    import's instant ``at``, after which no consent can have been given)."""
    latest = None if at is None else at + FUTURE_SLACK
    people: dict[str, _Person] = {}
    errors: list[RowError] = []
    width = len(rows.headers)
    read = row_reader(rows.headers, mapping, every_field=True)
    memo = _Memo()
    total = len(rows.rows)
    for done, (n, cells) in enumerate(rows.rows):
        if on_checked is not None and done % import_write.CHUNK == 0:
            on_checked(done, total)
        row = _Row(n, read(cells), memo)
        if any(cells[width:]):
            row.bad(
                "row",
                f"has more cells than the header's {width}; quote values that "
                "contain the delimiter",
            )
        e164, details = _contact(row)
        consent = _consent(row, e164, latest) if any(map(row.get, CONSENT_FIELDS)) else None
        if e164:  # one number, one person: later rows may add details, never contradict
            p = people.setdefault(e164, _Person(n, e164, {}))
            for f, value in details.items():
                if p.details.setdefault(f, value) != value:
                    where = "zip" if f == "postcode" else f
                    row.bad(where, f"differs from row {p.row}, which has the same number")
            if consent is not None and not row.errors:
                p.consents.append((n, consent))
        errors += row.errors
    if on_checked is not None:
        on_checked(total, total)
    return people, errors


def _contact(row: _Row) -> tuple[str, dict[str, str]]:
    country, state, e164 = row.get("country").upper(), row.get("state").upper(), ""
    if country and not (len(country) == 2 and country.isalpha()):
        row.bad("country", "must be a two-letter ISO code, e.g. US")
    if not row.get("number"):
        row.bad("number", "is empty; every row needs a telephone number")
    else:
        region = country if len(country) == 2 and country.isalpha() else "US"
        e164 = row.memo.number(row.get("number"), region)
        if not e164:
            row.bad("number", _not_a_number(row.get("number")))
        elif _EXTENSION.search(row.get("number")):
            # read without it, the call would reach the switchboard, not the person
            row.bad("number", "has an extension, which a dialled call cannot reach; give the "
                    "person's direct number")  # fmt: skip
    if state and not (len(state) == 2 and state.isalpha()):
        row.bad("state", "must be a two-letter state or province code, e.g. OH")
    for f, most in (("name", 200), ("zip", 20)):
        if len(row.get(f)) > most:
            row.bad(f, f"is longer than {most} characters")
    zip_key = _zip_key(row.get("zip"), country, e164)
    if not any(e.field in ("country", "state", "zip") for e in row.errors):
        # the gate reads the stored address on every call: one it refuses would make every
        # decision about this person an error, so the row is refused now, naming the cell
        address = {"country": country, "state": state, zip_key: row.get("zip")}
        items = tuple((k, v) for k, v in address.items() if v)
        if items and (problem := row.memo.address(items)):
            row.bad(*problem)
    if row.get("matter_ref") and (why := contacts.matter_ref_problem(row.get("matter_ref"))):
        row.bad("matter_ref", why)
    if row.get("name") and (why := contacts.name_problem(row.get("name"))):
        row.bad("name", why)
    details = {
        "name": row.get("name"),
        "state": state,
        zip_key: row.get("zip"),
        "country": country,
        "line_type": row.choice("line_type", LINE_TYPES),
        "relationship": row.choice("relationship", RELATIONSHIPS),
        "matter_ref": row.get("matter_ref"),
    }
    return e164, {f: value for f, value in details.items() if value}


#: a US ZIP code or ZIP+4, as the gate reads ``address.zip``
_US_ZIP = re.compile(r"\d{5}(?:-\d{4})?")


def _zip_key(code: str, country: str, e164: str) -> str:
    """Where a row's postal code is kept: ``zip`` for a US ZIP or a US person, else
    ``postcode`` (a UK or Dutch postcode is a postcode, not a malformed ZIP)."""
    abroad = country not in ("", "US") or (not country and e164 and not e164.startswith("+1"))
    return "postcode" if code and abroad and not _US_ZIP.fullmatch(code) else "zip"


def _consent(row: _Row, e164: str, latest: datetime | None = None) -> NewConsent | None:
    """The row's consent, with every check ``record_consent`` would fail the import on."""
    before = len(row.errors)
    if not all(map(row.get, CONSENT_FIELDS)):
        for f in CONSENT_FIELDS:
            if not row.get(f):
                row.bad(f, "is empty; a consent needs it (or leave all consent cells empty)")
    kind = row.choice("consent_kind", CONSENT_KINDS)
    scope = list(row.memo.scope(row.get("consent_scope")))
    if any(p not in PURPOSES for p in scope):
        row.bad("consent_scope", "lists a purpose not among " + ", ".join(sorted(PURPOSES)))
    given = row.memo.time(row.get("consent_given_at"))
    if given is None:
        if row.get("consent_given_at"):
            row.bad("consent_given_at", _not_a_time(row.get("consent_given_at")))
    elif given.tzinfo is None:
        row.bad(
            "consent_given_at",
            "needs an offset: add the one it was given in, e.g. 2025-03-14T09:30:00-04:00 "
            "(or Z for UTC)",
        )
    elif latest is not None and given > latest:
        # a mistyped year: recorded, it would be a consent that counts only from then
        row.bad("consent_given_at", "is after the import; a consent is imported once given")
    if kind == "express_written" and not row.get("document_ref"):
        row.bad("document_ref", "is required for express_written consent")
    if len(row.errors) > before or given is None or not e164:
        return None
    evidence = ConsentEvidence(
        method=row.get("consent_method"),
        disclosure_text=row.get("disclosure_text"),
        disclosure_version=row.get("disclosure_version"),
        captured_by=row.get("captured_by"),
        document_ref=row.get("document_ref") or None,
    )
    sellers = [s.strip() for s in row.get("seller").split(";") if s.strip()]
    return NewConsent(e164, kind, scope, sellers, given, evidence)
