"""Scrub a contacts CSV against one do-not-call list: a verdict per row and a summary.

Rule 1: the verdict file never holds a whole number: each row shows the number masked
(``+1410•••••46``) and is found again by its row number. Errors name the file, row and
column, never the value.
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
VERDICTS = ("listed", "clear", "invalid")
REASONS = ("", "unreadable", "not a US number", "not a UK number", "invalid number")
FIELDS = ("row", "number", "verdict", "list", "snapshot_on", "reason")
_TEXT = StringDType()
#: a masked number shows its country and area code and its last two digits:
#: '+1410•••••46', enough to tell rows apart, not to dial
_BULLETS = np.array(["•" * max(0, n - 6) for n in range(21)], dtype=_TEXT)
_TAILS = np.array([f"{i:02d}" for i in range(100)], dtype=_TEXT)
_POWERS = np.array([10**k for k in range(20)], dtype=np.uint64)
_VERDICTS = np.array(VERDICTS, dtype=_TEXT)
_REASONS = np.array(REASONS, dtype=_TEXT)
_CODES = {"US": 1, "GB": 44}
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

    def to_json(self) -> dict[str, Any]:
        return {**self._asdict(), "snapshot_on": self.snapshot_on.isoformat()}


def scrub_csv(
    contacts: Path,
    out: Path,
    index: RegistryIndex,
    *,
    today: date,
    column: str | None = None,
    on_progress: Callable[[int, int | None], None] | None = None,
) -> Summary:
    """Write ``out`` (one verdict per contact row) and return the counts."""
    name, raw = _read_column(contacts, column, on_progress)
    numbers, why = to_e164(raw, country_of(index.list_name))
    readable = why == 0
    listed = np.zeros(len(raw), dtype=bool)
    listed[readable] = index.contains(numbers[readable])
    verdicts = np.where(listed, 0, np.where(readable, 1, 2))
    _write_atomic(out, _verdict_lines(numbers, readable, verdicts, why, index))
    counts = np.bincount(verdicts, minlength=3).tolist()
    fresh = freshness(index.list_name, index.snapshot_on, today)
    return Summary(
        list_name=index.list_name,
        snapshot_on=index.snapshot_on,
        age_days=fresh.age_days,
        max_age_days=fresh.max_age_days,
        stale=fresh.stale,
        column=name,
        rows=len(raw),
        listed=counts[0],
        clear=counts[1],
        invalid=counts[2],
        out=str(out),
    )


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


def _verdict_lines(
    numbers: npt.NDArray[np.uint64],
    readable: npt.NDArray[np.bool_],
    verdicts: npt.NDArray[Any],
    why: npt.NDArray[np.uint8],
    index: RegistryIndex,
) -> bytes:
    """The verdict file, built column by column with numpy's string functions (a row at a
    time in Python costs ~4 us here, the CSV's largest cost)."""
    add = np.strings.add
    row = np.arange(2, len(numbers) + 2).astype(_TEXT)
    digits = np.searchsorted(_POWERS, numbers, side="right")  # how many digits
    head = (numbers // _POWERS[np.maximum(digits - 4, 0)]).astype(_TEXT)
    masked = add(add(add("+", head), _BULLETS[digits]), _TAILS[numbers % np.uint64(100)])
    masked = np.where(readable, masked, "")
    common = f",{index.list_name},{index.snapshot_on.isoformat()},"
    line = add(add(add(add(row, ","), masked), ","), _VERDICTS[verdicts])
    line = add(add(add(line, common), _REASONS[why]), "\n")
    return (",".join(FIELDS) + "\n" + "".join(line.tolist())).encode()


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


def _read_column(
    path: Path, wanted: str | None, on_progress: Callable[[int, int | None], None] | None
) -> tuple[str, list[str]]:
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
            values = [row[col] if len(row) > col else "" for row in reader]
        except UnicodeDecodeError:
            raise RequestError("CONTACTS", f"{path}: is not UTF-8 text") from None
        except csv.Error as exc:
            raise RequestError("CONTACTS", f"{path}:{reader.line_num}: {exc}") from None
    return header[col], values


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
