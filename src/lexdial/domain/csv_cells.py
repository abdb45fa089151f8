"""CSV cells a spreadsheet will not run: the one helper every CSV writer uses.

Rule 1: text that came from outside (imports, the CRM webhook, the public form) may start
with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return; Excel, LibreOffice and Google
Sheets read such a cell as a formula (``=HYPERLINK(...)``, ``=cmd|...``, ``@SUM(...)``).
Following OWASP's CSV-injection advice, such a cell is written with a leading single quote,
which spreadsheets show as text. Numbers (int, float) are written as they are.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from typing import Any, Protocol

#: first characters a spreadsheet treats as the start of a formula (OWASP)
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


class _Writable(Protocol):
    def write(self, s: str, /) -> Any: ...


def safe_cell(value: object) -> object:
    """``value`` as a CSV cell that cannot be read as a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


class SafeWriter:
    """``csv.writer`` whose every cell goes through ``safe_cell``."""

    def __init__(self, out: _Writable, **fmt: Any) -> None:
        self._writer = csv.writer(out, **fmt)

    def writerow(self, row: Iterable[object]) -> None:
        self._writer.writerow([safe_cell(v) for v in row])

    def writerows(self, rows: Iterable[Iterable[object]]) -> None:
        for row in rows:
            self.writerow(row)
