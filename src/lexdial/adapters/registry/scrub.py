"""Scrub a contacts CSV against one do-not-call list: a verdict per row and a summary.

Rule 1: the verdict file keeps every column of the contacts file, in its order, so the
firm can act on it, and adds the verdict's columns -- but it never holds a whole phone
number: the number column and every other phone column are masked (``+1410•••••46``; a
cell of such a column that is not a number of the list's country is left empty), and a row
is found again by its row number. A phone column is the number column, a column named like
one (``PHONE_WORDS``), or a column whose first non-empty values mostly read as phone
numbers (``looks_like_phones``). Other columns (names, e-mails, case ids) are written as
the firm gave them: the file is the firm's own data, back to the firm, and they are what
it needs to act on a row. Errors name the file, row and column, never the value.
Rule 1b: every cell written (header, kept, masked, verdict) is escaped like
``domain.csv_cells.safe_cell``: a cell starting ``=``, ``+``, ``-``, ``@``, tab or CR gets a
leading ``'`` so no spreadsheet runs it (so masked numbers read ``'+1410•••••46``).
Rule 2: the output appears whole or not at all (written beside, then renamed), and the
date that makes a snapshot stale (``today``) comes from the caller.

Verdicts: ``listed`` (on the list), ``clear`` (a number of the list's country that is not
on it) and ``invalid`` (not readable as a number, a US number with an impossible area
code or exchange, a UK number that is not valid, or a number of another country, which
this list cannot clear). Whether a clear number may be called is still the gate's
decision: consent, hours and the firm's own list are not looked at here.

Numbers are read the way ``lexdial.domain.numbers.parse_number`` reads them. Plain US
forms -- 10 digits, 1 and 10 digits, +1 and 10 digits, once the separators
``parse_number`` ignores are dropped (``(410) 555-0146``, ``+1 410-555-0146``), that is
nearly every row of an export -- are converted for the whole file at once with numpy; only
the other rows go through ``parse_number`` one by one. For these US forms a number is
usable when its area code and exchange start with 2-9; whether the prefix is in service
is the gate's question (``INVALID_NUMBER``), not the registry's.
"""

from __future__ import annotations

import csv
import io
import itertools
import os
import secrets
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import numpy.typing as npt
from numpy.dtypes import StringDType

from lexdial.adapters.registry.index import RegistryIndex, country_of, freshness
from lexdial.domain.csv_cells import FORMULA_STARTS
from lexdial.domain.numbers import parse_number
from lexdial.errors import RequestError

#: header names taken for the number column, best first (compared case-insensitively)
COLUMN_NAMES = (
    "phone",
    "phone_number",
    "phone number",
    "phonenumber",
    "telephone",
    "tel",
    "number",
    "mobile",
    "cell",
)
#: words in a header that make its column a phone column (masked), compared lowercased
#: ("number" alone is one of ``COLUMN_NAMES``; a "case number" is no phone column)
PHONE_WORDS = ("phone", "mobile", "cell", "tel", "fax")
#: how many non-empty values of a column are tried as phone numbers, and the share of them
#: that must read as one for the column to be masked
SAMPLE_VALUES, PHONE_SHARE = 200, 0.5
VERDICTS = ("listed", "clear", "invalid")
REASONS = ("", "unreadable", "not a US number", "not a UK number", "invalid number")
#: the columns the scrub adds: ``row`` first, the rest after the contacts file's columns
FIELDS = ("row", "verdict", "list", "snapshot_on", "reason")
_TEXT = StringDType()
#: a masked number shows its country and area code and its last two digits:
#: '+1410•••••46', enough to tell rows apart, not to dial
_BULLETS = np.array(["•" * max(0, n - 6) for n in range(21)], dtype=_TEXT)
_TAILS = np.array([f"{i:02d}" for i in range(100)], dtype=_TEXT)
_POWERS = np.array([10**k for k in range(20)], dtype=np.uint64)
_VERDICTS = np.array(VERDICTS, dtype=_TEXT)
_REASONS = np.array(REASONS, dtype=_TEXT)
_CODES = {"US": 1, "GB": 44}
#: characters that make csv.writer quote a cell (minimal quoting)
_QUOTED = (",", '"', "\n", "\r")
_SEPARATORS = str.maketrans("", "", " -().\u00a0/")


class Summary(NamedTuple):
    list_name: str
    snapshot_on: date
    age_days: int
    max_age_days: int
    stale: bool
    column: str
    rows: int
    listed: int
    clear: int
    invalid: int
    out: str
    #: the contacts file's columns written masked (every other column is kept as given)
    masked: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            **self._asdict(),
            "snapshot_on": self.snapshot_on.isoformat(),
            "masked": list(self.masked),
        }


def scrub_csv(
    contacts: Path,
    out: Path,
    index: RegistryIndex,
    *,
    today: date,
    column: str | None = None,
    on_progress: Callable[[int, int | None], None] | None = None,
) -> Summary:
    """Write ``out`` (every contact row with its verdict) and return the counts."""
    header, columns, col = _read_table(contacts, column, on_progress)
    raw = columns[col]
    country = country_of(index.list_name)
    numbers, why = to_e164(raw, country)
    readable = why == 0
    listed = np.zeros(len(raw), dtype=bool)
    listed[readable] = index.contains(numbers[readable])
    verdicts = np.where(listed, 0, np.where(readable, 1, 2))
    masked = [  # see the module's rule 1 (cells of masked columns are CSV-ready)
        j == col or _phone_name(header[j]) or looks_like_phones(columns[j], country)
        for j in range(len(header))
    ]
    cells: list[list[str]] = []
    for j, values in enumerate(columns):
        if j == col:
            cells.append(_masked(numbers, readable))
        elif masked[j]:
            other, other_why = to_e164(values, country)
            cells.append(_masked(other, other_why == 0))
        else:
            cells.append(values)
    _write_atomic(out, _verdict_lines(header, cells, masked, verdicts, why, index))
    counts = np.bincount(verdicts, minlength=3).tolist()
    fresh = freshness(index.list_name, index.snapshot_on, today)
    return Summary(
        list_name=index.list_name,
        snapshot_on=index.snapshot_on,
        age_days=fresh.age_days,
        max_age_days=fresh.max_age_days,
        stale=fresh.stale,
        column=header[col],
        rows=len(raw),
        listed=counts[0],
        clear=counts[1],
        invalid=counts[2],
        out=str(out),
        masked=tuple(h for h, m in zip(header, masked, strict=True) if m),
    )


def _phone_name(name: str) -> bool:
    low = name.strip().lower()
    return low in COLUMN_NAMES or any(w in low.replace("_", " ").split() for w in PHONE_WORDS)


def looks_like_phones(values: Sequence[str], country: str) -> bool:
    """Whether at least ``PHONE_SHARE`` of the column's first ``SAMPLE_VALUES`` non-empty
    values read as phone numbers: usable ones, or valid numbers of another country (still
    someone's number). Digits that make no valid number (ids, dates, amounts) do not count."""
    sample: list[str] = []
    for v in values:
        if v.strip():
            sample.append(v)
            if len(sample) == SAMPLE_VALUES:
                break
    if not sample:
        return False
    _, why = to_e164(sample, country)
    phones = (why == 0) | (why == 2) | (why == 3)
    return bool(np.count_nonzero(phones) >= PHONE_SHARE * len(sample))


def to_e164(raw: Sequence[str], country: str) -> tuple[npt.NDArray[np.uint64], npt.NDArray[Any]]:
    """E.164 digits of each text as uint64 (0 if unusable), and why not: an index into
    ``REASONS`` (0 if usable)."""
    n = len(raw)
    numbers = np.zeros(n, dtype=np.uint64)
    why = np.zeros(n, dtype=np.uint8)
    fast = np.zeros(n, dtype=bool)
    if country == "US":
        fast = _plain_us(raw, numbers)
        rest = np.flatnonzero(~fast)  # again without the separators parse_number drops too
        compact = [raw[i].strip().translate(_SEPARATORS) for i in rest.tolist()]
        again = np.zeros(len(rest), dtype=np.uint64)
        found = _plain_us(compact, again)
        numbers[rest[found]] = again[found]
        fast[rest[found]] = True
    for i in np.flatnonzero(~fast).tolist():
        try:
            parsed = parse_number(raw[i], default_region=country)
        except RequestError:
            why[i] = 1
            continue
        digits = parsed.e164[1:]
        if parsed.country_code != _CODES[country]:
            why[i] = 2 if country == "US" else 3
        elif not (_nanp_ok(digits) if country == "US" else parsed.valid):
            why[i] = 4
        else:
            numbers[i] = int(digits)
    return numbers, why


def _masked(numbers: npt.NDArray[np.uint64], readable: npt.NDArray[np.bool_]) -> list[str]:
    """``'+1410•••••46`` for each usable number, '' for the others: CSV cells as they are
    (the leading ``'`` is ``safe_cell``'s escape of the ``+``; nothing else needs one)."""
    add = np.strings.add
    digits = np.searchsorted(_POWERS, numbers, side="right")  # how many digits
    head = (numbers // _POWERS[np.maximum(digits - 4, 0)]).astype(_TEXT)
    masked = add(add(add("'+", head), _BULLETS[digits]), _TAILS[numbers % np.uint64(100)])
    result: list[str] = np.where(readable, masked, "").tolist()
    return result


def csv_cells(values: Sequence[str]) -> list[str]:
    """Each value as a CSV cell: escaped like ``csv_cells.safe_cell`` (a leading ``'``
    before a formula start), then quoted like ``csv.writer`` (minimal). A column is first
    searched as one joined text (C speed); only a column holding a risky character is
    gone through cell by cell."""
    joined = "\x00" + "\x00".join(values)
    out = list(values)
    if any(f"\x00{start}" in joined for start in FORMULA_STARTS):
        out = ["'" + v if v.startswith(FORMULA_STARTS) else v for v in out]
    if any(c in joined for c in _QUOTED):
        out = [
            '"' + v.replace('"', '""') + '"'
            if "," in v or '"' in v or "\n" in v or "\r" in v
            else v
            for v in out
        ]
    return out


def _verdict_lines(
    header: Sequence[str],
    columns: Sequence[Sequence[str]],
    masked: Sequence[bool],
    verdicts: npt.NDArray[Any],
    why: npt.NDArray[np.uint8],
    index: RegistryIndex,
) -> bytes:
    """The verdict file: the columns made CSV-ready whole (``csv_cells``), then joined a
    row at a time by ``str.join`` (C speed, no Python code per cell)."""
    taken = {h.strip().lower() for h in header}
    added = [f"scrub_{f}" if f in taken else f for f in FIELDS]  # never two of one name
    head = csv_cells([added[0], *header, *added[1:]])
    n = len(verdicts)
    rows = [str(i) for i in range(2, n + 2)]
    listed = ",".join(csv_cells([index.list_name, index.snapshot_on.isoformat()]))
    verdict = [f"{v},{listed}," for v in csv_cells(VERDICTS)]
    reasons = csv_cells(REASONS)
    tail = [verdict[v] + reasons[w] for v, w in zip(verdicts.tolist(), why.tolist(), strict=True)]
    cells = [rows, *(c if m else csv_cells(c) for c, m in zip(columns, masked, strict=True)), tail]
    body = "\n".join(map(",".join, zip(*cells, strict=True)))
    return (",".join(head) + "\n" + body + ("\n" if n else "")).encode()


def _plain_us(raw: Sequence[str], numbers: npt.NDArray[np.uint64]) -> npt.NDArray[np.bool_]:
    """Rows written as 10 digits, 1 + 10 digits or +1 + 10 digits, converted in bulk."""
    n = len(raw)
    if n == 0:
        return np.zeros(0, dtype=bool)
    size = np.fromiter(map(len, raw), dtype=np.int64, count=n)
    text = np.array(raw, dtype="U12").view(np.uint32).reshape(n, 12)  # longer ones truncated
    start = np.select([size == 10, size == 11, size == 12], [0, 1, 2], default=-1)
    prefix_ok = np.select(
        [start == 0, start == 1, start == 2],
        [True, text[:, 0] == ord("1"), (text[:, 0] == ord("+")) & (text[:, 1] == ord("1"))],
        default=False,
    )
    cols = np.maximum(start, 0)[:, None] + np.arange(10)
    digits = np.take_along_axis(text, cols, axis=1) - np.uint32(48)
    ok: npt.NDArray[np.bool_] = (
        prefix_ok & np.all(digits <= 9, axis=1) & (digits[:, 0] >= 2) & (digits[:, 3] >= 2)
    )
    value = digits[ok].astype(np.uint64) @ (np.uint64(10) ** np.arange(9, -1, -1, dtype=np.uint64))
    numbers[ok] = value + np.uint64(10**10)
    return ok


def _nanp_ok(digits: str) -> bool:
    return len(digits) == 11 and digits[1] >= "2" and digits[4] >= "2"


def pick_column(header: Sequence[str], wanted: str | None, where: str) -> int:
    """The number column: ``wanted`` if given, else the first header of ``COLUMN_NAMES``."""
    names = [h.strip().lower() for h in header]
    for candidate in [wanted.strip().lower()] if wanted else COLUMN_NAMES:
        if candidate in names:
            return names.index(candidate)
    looked = repr(wanted) if wanted else "phone, number, telephone, ..."
    # a file without a header has data in its first row: never echo what may be a number
    shown = [h if sum(c.isdigit() for c in h) < 4 else "<a value, not a name>" for h in header]
    raise RequestError(
        "--column",
        f"{where}: no column {looked} in the header row (columns: {', '.join(shown)})",
    )


def _read_table(
    path: Path, wanted: str | None, on_progress: Callable[[int, int | None], None] | None
) -> tuple[list[str], list[list[str]], int]:
    """The header (named '' past its end, for rows longer than it), every column as a
    list (short rows padded with ''), and the number column's index."""
    try:
        handle = path.open("rb")
    except OSError as exc:
        raise RequestError("CONTACTS", f"{path}: cannot be read ({exc.strerror})") from None
    total = path.stat().st_size
    counted = _Counted(handle, total, on_progress)
    with io.TextIOWrapper(io.BufferedReader(counted), encoding="utf-8-sig", newline="") as text:
        reader = csv.reader(text)
        try:
            header = next(reader, None)
            if header is None:
                raise RequestError("CONTACTS", f"{path}: is empty (expected a header row)")
            col = pick_column(header, wanted, str(path))
            rows = list(reader)
        except UnicodeDecodeError:
            raise RequestError("CONTACTS", f"{path}: is not UTF-8 text") from None
        except csv.Error as exc:
            raise RequestError("CONTACTS", f"{path}:{reader.line_num}: {exc}") from None
    width = max(len(header), max(map(len, rows), default=0))
    header = header + [""] * (width - len(header))
    if not rows:
        return header, [[] for _ in header], col
    columns = [list(c) for c in itertools.zip_longest(*rows, fillvalue="")]
    return header, columns, col


class _Counted(io.RawIOBase):
    """A binary file that reports how many bytes have been read (for a progress bar)."""

    def __init__(
        self, raw: io.BufferedReader, total: int, report: Callable[[int, int | None], None] | None
    ) -> None:
        self.raw, self.total, self.report, self.done, self.last = raw, total, report, 0, 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        n: int = self.raw.readinto(buffer)
        self.done += n
        if self.report is not None and (self.done - self.last > 1 << 22 or n == 0):
            self.last = self.done
            self.report(self.done, self.total)
        return n

    def close(self) -> None:
        self.raw.close()
        super().close()


def _write_atomic(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    try:
        with tmp.open("wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        tmp.replace(path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
