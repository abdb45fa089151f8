"""Load do-not-call lists from the text files registries publish, at disk speed.

Rule 1: a list is loaded whole or not at all. Every line of every file is parsed and
checked before anything is written; a malformed line is a ``RequestError`` naming the
file and line number (never the line's text: it may be a telephone number), and the
current snapshot stays as it was.
Rule 2: the snapshot date and the load time come from the caller; nothing here reads a
clock.

The text format, one number per line:

- **US lists** (the FTC national registry's full lists, state lists): 10 digits, area
  code and exchange starting 2-9 (``4105550146``).
- **UK TPS / CTPS**: national format, ``0`` then 9 or 10 digits (``02079460000``).

What is tolerated: LF or CRLF line ends, spaces or tabs around a number, blank lines, a
missing final newline, and a header line (a first line without any digit, e.g.
``PhoneNumber``). Anything else (dashes, a country code, 9 or 11 digits, text after
line 1) is an error: a registry copy that does not parse is not a copy one can rely on.

A source may be a file, a directory (every file under it, by name, hidden ones skipped)
or a ``.zip`` of such files (the FTC's download). Each file's SHA-256 is recorded in the
manifest.

How it reaches disk speed: files are read in 4 MiB chunks; a chunk whose lines all have
one width (the usual case) is checked with one vectorised comparison against a line
template and converted with SWAR arithmetic (eight digits per uint64 operation) on a
strided view of the bytes, without splitting lines. Only a chunk with an irregular line
goes through the line-by-line path, which also finds the line to name in an error.
Registry files are sorted, so the parsed numbers usually come out ascending and unique;
the loader checks that and sorts only when they do not.
"""

from __future__ import annotations

import contextlib
import hashlib
import zipfile
from collections.abc import Callable, Iterator, Sequence
from datetime import date, datetime
from functools import cache
from pathlib import Path
from typing import IO, NamedTuple

import numpy as np
import numpy.typing as npt

from lexdial.adapters.registry.index import (
    Manifest,
    Numbers,
    RegistryIndex,
    SourceFile,
    commit,
    country_of,
    locked,
    sorted_contains,
)
from lexdial.errors import RequestError

Progress = Callable[[int, int | None], None]
"""``on_progress(done, total)``: input bytes read so far and in all (``None`` if unknown)."""

CHUNK = 1 << 22
_MAX_LINE = 64
_U64 = np.uint64
_DIGITS = b"0123456789"
#: multiply, shift, mask: pairs of digits, then pairs of pairs, then the two halves
_SWAR = ((10, 8, 0x00FF00FF00FF00FF), (100, 16, 0x0000FFFF0000FFFF), (10000, 32, 0xFFFFFFFF))


class _Format(NamedTuple):
    """How one country's registry writes a number, and how to turn it into E.164 digits."""

    digits: int  # digits on a line of the fast path
    prefix: int  # added to the line's value: the country code, shifted
    low: bytes  # lowest byte allowed in each digit column
    span: bytes  # how far above ``low`` each column may go
    message: str


_FORMATS = {
    "US": _Format(10, 10**10, b"2002000000", bytes([7, 9, 9, 7, 9, 9, 9, 9, 9, 9]),
                  "not a 10-digit US number (area code and exchange start 2-9)"),
    "GB": _Format(11, 44 * 10**10, b"01000000000", bytes([0, 8, 9, 9, 9, 9, 9, 9, 9, 9, 9]),
                  "not a UK number in national format (0, then 9 or 10 digits)"),
}  # fmt: skip


class _Input(NamedTuple):
    name: str
    size: int
    open: Callable[[], IO[bytes]]


def load_full(
    root: Path,
    list_name: str,
    paths: Sequence[Path],
    *,
    snapshot_on: date,
    loaded_at: datetime,
    on_progress: Progress | None = None,
) -> Manifest:
    """Replace list ``list_name`` under ``root`` with the numbers in ``paths`` (a full list)."""
    fmt = _FORMATS[country_of(list_name)]
    with contextlib.ExitStack() as stack:
        inputs = _expand(paths, stack)
        meter = _Meter(on_progress, sum(i.size for i in inputs))
        numbers, sources, duplicates = _read(inputs, fmt, "full", meter)
    directory = root / list_name
    manifest = Manifest(
        list_name,
        snapshot_on,
        loaded_at.isoformat(),
        len(numbers),
        "full",
        tuple(sources),
        stats={"duplicates": duplicates},
    )
    with locked(directory):
        return commit(directory, numbers, manifest)


def apply_changes(
    root: Path,
    list_name: str,
    additions: Sequence[Path],
    deletions: Sequence[Path],
    *,
    snapshot_on: date,
    loaded_at: datetime,
    on_progress: Progress | None = None,
) -> Manifest:
    """Apply change lists to the current snapshot of ``list_name``: a new snapshot.

    A number both added and deleted in the same run stays listed (the protective
    reading: the order of the two events is not known).
    """
    fmt = _FORMATS[country_of(list_name)]
    if not additions and not deletions:
        raise RequestError("PATH", "give at least one additions or deletions file")
    with contextlib.ExitStack() as stack:
        add_in, del_in = _expand(additions, stack), _expand(deletions, stack)
        meter = _Meter(on_progress, sum(i.size for i in add_in + del_in))
        adds, add_src, _ = _read(add_in, fmt, "additions", meter)
        dels, del_src, _ = _read(del_in, fmt, "deletions", meter)
    directory = root / list_name
    with locked(directory):
        base = RegistryIndex(directory)
        if snapshot_on < base.snapshot_on:
            raise RequestError(
                "--snapshot-date",
                f"is before the current snapshot ({base.snapshot_on}); "
                "change lists move a list forward",
            )
        merged, stats = merge(base.numbers, adds, dels)
        old = base.manifest
        based_on = {
            "snapshot_on": old.snapshot_on.isoformat(),
            "count": old.count,
            "loaded_at": old.loaded_at,
        }
        manifest = Manifest(
            list_name,
            snapshot_on,
            loaded_at.isoformat(),
            len(merged),
            "changes",
            tuple(add_src + del_src),
            stats=stats,
            based_on=based_on,
        )
        return commit(directory, merged, manifest)


def merge(base: Numbers, adds: Numbers, dels: Numbers) -> tuple[Numbers, dict[str, int]]:
    """``(base - dels) | adds`` for ascending unique arrays, without re-sorting ``base``."""
    dels = dels[~sorted_contains(adds, dels)]
    pos = np.searchsorted(base, dels)
    present = sorted_contains(base, dels)
    kept = np.delete(base, pos[present])
    new = adds[~sorted_contains(kept, adds)]
    merged = np.insert(kept, np.searchsorted(kept, new), new)
    deleted = int(present.sum())
    return merged, {
        "added": len(new),
        "deleted": deleted,
        "additions_already_listed": len(adds) - len(new),
        "deletions_not_listed": len(dels) - deleted,
    }


# --- reading -------------------------------------------------------------------------------


class _Meter:
    def __init__(self, callback: Progress | None, total: int) -> None:
        self.callback, self.total, self.done = callback, total, 0

    def add(self, n: int) -> None:
        self.done += n
        if self.callback is not None:
            self.callback(self.done, self.total)


def _expand(paths: Sequence[Path], stack: contextlib.ExitStack) -> list[_Input]:
    out: list[_Input] = []
    for path in paths:
        if path.is_dir():
            files = (p for p in path.rglob("*") if p.is_file())
            visible = (p for p in files if not _hidden(p.relative_to(path).parts))
            out.extend(_file(p) for p in sorted(visible))
        elif path.suffix.lower() == ".zip" and path.is_file():
            out.extend(_members(path, stack))
        elif path.is_file():
            out.append(_file(path))
        else:
            raise RequestError("PATH", f"{path}: no such file or directory")
    if paths and not out:
        raise RequestError("PATH", "no files found in " + ", ".join(map(str, paths)))
    return out


def _file(path: Path) -> _Input:
    return _Input(str(path), path.stat().st_size, lambda: path.open("rb"))


def _members(path: Path, stack: contextlib.ExitStack) -> list[_Input]:
    try:
        archive = stack.enter_context(zipfile.ZipFile(path))
    except (zipfile.BadZipFile, OSError):
        raise RequestError("PATH", f"{path}: not a readable zip archive") from None
    infos = [i for i in archive.infolist() if not i.is_dir() and not _hidden(i.filename.split("/"))]
    return [
        _Input(f"{path}!{i.filename}", i.file_size, lambda i=i: archive.open(i))  # type: ignore[misc]
        for i in sorted(infos, key=lambda i: i.filename)
    ]


def _hidden(parts: Sequence[str]) -> bool:
    return any(part.startswith((".", "__MACOSX")) for part in parts)


def _read(
    inputs: list[_Input], fmt: _Format, role: str, meter: _Meter
) -> tuple[Numbers, list[SourceFile], int]:
    """Every number of ``inputs``, ascending and unique; the sources; duplicates dropped."""
    out = np.empty(sum(i.size // 11 + 1 for i in inputs), dtype=_U64)  # >= 11 bytes a line
    filled, tidy, last = 0, True, -1
    sources: list[SourceFile] = []
    for item in inputs:
        start, tally = filled, _Tally()
        for part in _parse_file(item, fmt, tally, meter):
            if len(part) == 0:
                continue
            if filled + len(part) > len(out):  # the file grew while being read
                out = np.concatenate([out[:filled], np.empty(len(part) + len(out), _U64)])
            out[filled : filled + len(part)] = part
            filled += len(part)
            tidy = tidy and int(part[0]) > last and bool(np.all(part[1:] > part[:-1]))
            last = int(part[-1])
        count = filled - start
        sources.append(SourceFile(item.name, role, tally.sha.hexdigest(), tally.bytes, count))
    numbers = out[:filled]
    if tidy:
        return numbers, sources, 0
    if not bool(np.all(numbers[1:] >= numbers[:-1])):
        numbers.sort()
    keep = np.empty(len(numbers), dtype=bool)
    keep[:1] = True
    np.not_equal(numbers[1:], numbers[:-1], out=keep[1:])
    unique = numbers[keep]
    return unique, sources, len(numbers) - len(unique)


class _Tally:
    """What the manifest records of one file: its SHA-256 and size as read."""

    def __init__(self) -> None:
        self.sha = hashlib.sha256()
        self.bytes = 0


def _parse_file(item: _Input, fmt: _Format, tally: _Tally, meter: _Meter) -> Iterator[Numbers]:
    """The numbers of one file, chunk by chunk; the carry is a line cut by a chunk end."""
    line, carry = 0, b""
    with item.open() as stream:
        while data := stream.read(CHUNK):
            tally.sha.update(data)
            tally.bytes += len(data)
            meter.add(len(data))
            first = data.find(b"\n")
            if first < 0:
                carry += data
                if len(carry) > _MAX_LINE:
                    raise _bad(item, line + 1, fmt)
                continue
            yield _lines(carry + data[: first + 1], fmt, line, item)
            line += 1
            end = data.rfind(b"\n") + 1
            body = memoryview(data)[first + 1 : end]
            yield _block(body, fmt, line, item)
            line += data.count(b"\n", first + 1, end)
            carry = data[end:]
            if len(carry) > _MAX_LINE:
                raise _bad(item, line + 1, fmt)
    if carry:
        yield _lines(carry + b"\n", fmt, line, item)


def _block(body: memoryview, fmt: _Format, line: int, item: _Input) -> Numbers:
    """Lines ``line + 1 ...`` of a file (``body`` ends with a newline): fast when regular."""
    if not body:
        return np.zeros(0, dtype=_U64)
    width = bytes(body[: _MAX_LINE + 2]).find(b"\n") + 1
    crlf = width == fmt.digits + 2 and body[fmt.digits] == 13
    if (width == fmt.digits + 1 or crlf) and len(body) % width == 0:
        numbers = _fast(body, fmt, width)
        if numbers is not None:
            return numbers
    return _lines(bytes(body), fmt, line, item)


def _fast(body: memoryview, fmt: _Format, width: int) -> Numbers | None:
    """Parse ``len(body) // width`` lines of one width at once, or None if one is irregular."""
    n = len(body) // width
    low, span = _template(fmt, width)
    dev = np.frombuffer(body, dtype=np.uint8) - low[: len(body)]
    if not bool(np.all(dev <= span[: len(body)])):
        return None
    head = fmt.digits - 8
    x = np.ndarray((n,), dtype="<u8", buffer=body, offset=head, strides=(width,)).copy()
    x -= _U64(0x3030303030303030)  # eight ASCII digits, first digit in the low byte
    for mul, shift, mask in _SWAR:
        hi = x >> _U64(shift)
        x *= _U64(mul)
        x += hi
        x &= _U64(mask)
    cols = dev.reshape(n, width)
    lead = np.full(n, fmt.prefix // 10**8, dtype=_U64)  # the country code, then the head
    for k in range(head):
        lead *= _U64(10)
        lead += cols[:, k] + np.uint8(fmt.low[k] - 48)
    lead *= _U64(10**8)
    lead += x
    return lead


@cache
def _template(fmt: _Format, width: int) -> tuple[npt.NDArray[np.uint8], npt.NDArray[np.uint8]]:
    """One chunk's worth of the line template: the low bytes and the allowed spans."""
    end = b"\n" if width == fmt.digits + 1 else b"\r\n"
    lines = (CHUNK + _MAX_LINE) // width + 1
    low = np.tile(np.frombuffer(fmt.low + end, dtype=np.uint8), lines)
    span = np.tile(np.frombuffer(fmt.span + bytes(len(end)), dtype=np.uint8), lines)
    return low, span


def _lines(text: bytes, fmt: _Format, line: int, item: _Input) -> Numbers:
    """Line by line: blank lines and a line-1 header skipped, anything else checked."""
    out: list[int] = []
    for i, raw in enumerate(text.split(b"\n")[:-1], start=line + 1):
        s = raw.strip()
        if not s:
            continue
        value = _one(s, fmt)
        if value is None:
            if i == 1 and not any(c in _DIGITS for c in s):
                continue  # a header
            raise _bad(item, i, fmt)
        out.append(value)
    return np.array(out, dtype=_U64)


def _one(s: bytes, fmt: _Format) -> int | None:
    if not s.isdigit():
        return None
    if fmt.digits == 10:
        ok = len(s) == 10 and s[0] >= 50 and s[3] >= 50
        return fmt.prefix + int(s) if ok else None
    if len(s) in (10, 11) and s[0] == 48 and s[1] != 48:
        return 44 * 10 ** (len(s) - 1) + int(s[1:])
    return None


def _bad(item: _Input, line: int, fmt: _Format) -> RequestError:
    return RequestError(f"{item.name}:{line}", f"{fmt.message}; nothing was loaded")
