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

How it reaches disk speed (~25 M numbers/s here): files are read in 1 MiB chunks; a
chunk whose lines all have one width (the usual case) is checked with one vectorised
comparison against a line template and converted with SWAR arithmetic (eight digits per
uint64 operation) on a strided view of the bytes, without splitting lines. Only a chunk
with an irregular line goes through the line-by-line path, which also finds the line to
name in an error. SHA-256 runs on a second thread. A list whose input is big enough to
be dense (the national registry) is set straight into its bitmap file, so sorting and
duplicates cost nothing; a smaller list is collected in an array that is sorted only if
it is not in order already (registry files are sorted).
"""

from __future__ import annotations

import contextlib
import hashlib
import zipfile
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime
from functools import cache
from pathlib import Path
from typing import IO, NamedTuple

import numpy as np
import numpy.typing as npt

from lexdial.adapters.registry.index import (
    Bitmap,
    BitmapDraft,
    BitWriter,
    Manifest,
    Numbers,
    RegistryIndex,
    SourceFile,
    bitmap_numbers,
    commit,
    compact,
    country_of,
    locked,
    sorted_contains,
)
from lexdial.errors import RequestError

Progress = Callable[[int, int | None], None]
"""``on_progress(done, total)``: input bytes read so far and in all (``None`` if unknown)."""

CHUNK = 1 << 20
_MAX_LINE = 64
_U64 = np.uint64
_DIGITS = b"0123456789"
_BOM = b"\xef\xbb\xbf"
#: multiply, shift, mask: pairs of digits, then pairs of pairs, then the two halves
_SWAR = ((10, 8, 0x00FF00FF00FF00FF), (100, 16, 0x0000FFFF0000FFFF), (10000, 32, 0xFFFFFFFF))


class _Format(NamedTuple):
    """How one country's registry writes a number, and how to turn it into E.164 digits."""

    digits: int  # digits on a line of the fast path
    prefix: int  # added to the line's value: the country code, shifted
    low: bytes  # lowest byte allowed in each digit column
    span: bytes  # how far above ``low`` each column may go
    message: str
    #: every possible number of the country, for a bitmap built while reading (0: none)
    domain: tuple[int, int] = (0, 0)


_FORMATS = {
    "US": _Format(
        10,
        10**10,
        b"2002000000",
        bytes([7, 9, 9, 7, 9, 9, 9, 9, 9, 9]),
        "not a 10-digit US number (area code and exchange start 2-9)",
        (12 * 10**9, 8 * 10**9),  # +1 200 000 0000 ... +1 999 999 9999
    ),
    "GB": _Format(
        11,
        44 * 10**10,
        b"01000000000",
        bytes([0, 8, 9, 9, 9, 9, 9, 9, 9, 9, 9]),
        "not a UK number in national format (0, then 9 or 10 digits)",
    ),
}


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
    directory = root / list_name
    with contextlib.ExitStack() as stack:
        inputs = _expand(paths, stack)
        total = sum(i.size for i in inputs)
        stack.enter_context(locked(directory))
        base, bits = fmt.domain
        if bits and total // 11 >= bits // 64:  # dense enough for a bitmap: build it in place
            draft = BitmapDraft(directory, base, bits)
            stack.callback(draft.discard)
            sink: _Sink = _BitmapSink(draft)
        else:
            sink = _ArraySink(total)
        sources = _read(inputs, fmt, "full", _Meter(on_progress, total), sink)
        snapshot, count, duplicates = sink.finish()
        manifest = Manifest(
            list_name=list_name,
            snapshot_on=snapshot_on,
            loaded_at=loaded_at.isoformat(),
            count=count,
            kind="full",
            sources=tuple(sources),
            stats={"duplicates": duplicates},
        )
        return commit(directory, snapshot, manifest)


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
        add_sink, del_sink = _ArraySink(meter.total), _ArraySink(meter.total)
        add_src = _read(add_in, fmt, "additions", meter, add_sink)
        del_src = _read(del_in, fmt, "deletions", meter, del_sink)
    adds, dels = add_sink.numbers(), del_sink.numbers()
    directory = root / list_name
    with locked(directory):
        base = RegistryIndex(directory)
        if snapshot_on < base.snapshot_on:
            raise RequestError(
                "--snapshot-date",
                f"is before the current snapshot ({base.snapshot_on}); "
                "change lists move a list forward",
            )
        old = base.manifest
        if base.bitmap is not None:
            bitmap, stats = merge_bitmap(base.bitmap, adds, dels)
            count = old.count + stats["added"] - stats["deleted"]
            snapshot = compact(bitmap_numbers(bitmap)) if _sparse(bitmap, count) else bitmap
        else:
            assert base.array is not None
            merged, stats = merge(base.array, adds, dels)
            count, snapshot = len(merged), compact(merged)
        manifest = Manifest(
            list_name=list_name,
            snapshot_on=snapshot_on,
            loaded_at=loaded_at.isoformat(),
            count=count,
            kind="changes",
            sources=tuple(add_src + del_src),
            stats=stats,
            based_on={
                "snapshot_on": old.snapshot_on.isoformat(),
                "count": old.count,
                "loaded_at": old.loaded_at,
            },
        )
        return commit(directory, snapshot, manifest)


def merge(base: Numbers, adds: Numbers, dels: Numbers) -> tuple[Numbers, dict[str, int]]:
    """``(base - dels) | adds`` for ascending unique arrays, without re-sorting ``base``."""
    dels = dels[~sorted_contains(adds, dels)]
    present = sorted_contains(base, dels)
    kept = np.delete(base, np.searchsorted(base, dels)[present])
    new = adds[~sorted_contains(kept, adds)]
    merged = np.insert(kept, np.searchsorted(kept, new), new)
    return merged, _stats(len(adds), len(new), len(dels), int(present.sum()))


def merge_bitmap(base: Bitmap, adds: Numbers, dels: Numbers) -> tuple[Bitmap, dict[str, int]]:
    """The same for a bitmap: a copy, widened if an addition falls outside its range."""
    dels = dels[~sorted_contains(adds, dels)]
    low, high = base.base, base.base + base.bits
    if len(adds):
        low, high = min(low, int(adds[0]) & ~63), max(high, int(adds[-1]) + 1)
    bits = (high - low + 63) // 64 * 64
    data = np.zeros(bits // 8, dtype=np.uint8)
    start = (base.base - low) // 8
    data[start : start + len(base.data)] = base.data
    inside = dels[(dels >= np.uint64(low)) & (dels < np.uint64(low + bits))]
    bitmap, writer = Bitmap(low, bits, data), BitWriter()
    deleted = writer.apply(bitmap, inside, clear=True)
    added = writer.apply(bitmap, adds)
    return bitmap, _stats(len(adds), added, len(dels), deleted)


def _stats(adds: int, added: int, dels: int, deleted: int) -> dict[str, int]:
    return {
        "added": added,
        "deleted": deleted,
        "additions_already_listed": adds - added,
        "deletions_not_listed": dels - deleted,
    }


def _sparse(bitmap: Bitmap, count: int) -> bool:
    return bitmap.bits // 64 > count


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
    inputs: list[_Input], fmt: _Format, role: str, meter: _Meter, sink: _Sink
) -> list[SourceFile]:
    """Parse every input into ``sink``; what the manifest records of each file.

    Hashing runs on a second thread (``hashlib`` releases the GIL), beside the parsing.
    """
    done = []
    with ThreadPoolExecutor(1) as hasher:
        for item in inputs:
            tally, before = _Tally(hasher), sink.seen
            for part in _parse_file(item, fmt, tally, meter):
                if len(part):
                    sink.add(part)
            digest = hasher.submit(tally.sha.hexdigest)  # runs after the file's updates
            done.append((item.name, digest, tally.bytes, sink.seen - before))
    return [SourceFile(name, role, d.result(), size, n) for name, d, size, n in done]


class _Sink:
    """Where parsed numbers go; ``finish``: the snapshot, its count, duplicates dropped."""

    seen = 0

    def add(self, part: Numbers) -> None:
        raise NotImplementedError

    def finish(self) -> tuple[Numbers | Bitmap | BitmapDraft, int, int]:
        raise NotImplementedError


class _ArraySink(_Sink):
    """Numbers kept in one array; sorted (and de-duplicated) at the end only if needed:
    registry files are sorted, so the parts usually arrive ascending."""

    def __init__(self, total_bytes: int) -> None:
        self.out = np.empty(total_bytes // 11 + 1, dtype=_U64)  # a line has >= 11 bytes
        self.tidy, self.last = True, -1

    def add(self, part: Numbers) -> None:
        n, end = len(part), self.seen + len(part)
        if end > len(self.out):  # a file grew while being read
            self.out = np.concatenate([self.out[: self.seen], np.empty(end, _U64)])
        self.out[self.seen : end] = part
        self.seen = end
        self.tidy = self.tidy and int(part[0]) > self.last and bool(np.all(part[1:] > part[:-1]))
        self.last = int(part[n - 1])

    def numbers(self) -> Numbers:
        numbers = self.out[: self.seen]
        if self.tidy:
            return numbers
        if not bool(np.all(numbers[1:] >= numbers[:-1])):
            numbers.sort()
        keep = np.empty(len(numbers), dtype=bool)
        keep[:1] = True
        np.not_equal(numbers[1:], numbers[:-1], out=keep[1:])
        return numbers[keep]

    def finish(self) -> tuple[Numbers | Bitmap | BitmapDraft, int, int]:
        numbers = self.numbers()
        return compact(numbers), len(numbers), self.seen - len(numbers)


class _BitmapSink(_Sink):
    """Numbers set straight into a bitmap file: sorting and duplicates come for free."""

    def __init__(self, draft: BitmapDraft) -> None:
        self.draft = draft

    def add(self, part: Numbers) -> None:
        self.seen += len(part)
        ascending = bool(np.all(part[1:] > part[:-1]))
        self.draft.add(part if ascending else np.unique(part))

    def finish(self) -> tuple[Numbers | Bitmap | BitmapDraft, int, int]:
        count = self.draft.count
        if _sparse(self.draft.bitmap, count):  # fewer numbers than the input size suggested
            numbers = bitmap_numbers(self.draft.bitmap)
            self.draft.discard()
            return compact(numbers), count, self.seen - count
        return self.draft, count, self.seen - count


class _Tally:
    """What the manifest records of one file: its SHA-256 (on the hashing thread) and size."""

    def __init__(self, hasher: ThreadPoolExecutor) -> None:
        self.sha = hashlib.sha256()
        self.bytes = 0
        self.hasher = hasher

    def update(self, data: bytes) -> None:
        self.hasher.submit(self.sha.update, data)
        self.bytes += len(data)


def _parse_file(item: _Input, fmt: _Format, tally: _Tally, meter: _Meter) -> Iterator[Numbers]:
    """The numbers of one file, chunk by chunk; the carry is a line cut by a chunk end."""
    line, carry = 0, b""
    with item.open() as stream:
        while data := stream.read(CHUNK):
            tally.update(data)
            meter.add(len(data))
            first = data.find(b"\n")
            if first < 0:
                carry += data
                if len(carry) > _MAX_LINE:
                    raise _bad(item, line + 1, fmt)
                continue
            yield _lines(carry + data[: first + 1], fmt, line, item)[0]
            end = data.rfind(b"\n") + 1
            numbers, lines = _block(memoryview(data)[first + 1 : end], fmt, line + 1, item)
            yield numbers
            line += 1 + lines
            carry = data[end:]
            if len(carry) > _MAX_LINE:
                raise _bad(item, line + 1, fmt)
    if carry:
        yield _lines(carry + b"\n", fmt, line, item)[0]


def _block(body: memoryview, fmt: _Format, line: int, item: _Input) -> tuple[Numbers, int]:
    """Lines ``line + 1 ...`` of a file (``body`` ends with a newline) and how many."""
    if not body:
        return np.zeros(0, dtype=_U64), 0
    width = bytes(body[: _MAX_LINE + 2]).find(b"\n") + 1
    crlf = width == fmt.digits + 2 and body[fmt.digits] == 13
    if (width == fmt.digits + 1 or crlf) and len(body) % width == 0:
        numbers = _fast(body, fmt, width)
        if numbers is not None:
            return numbers, len(body) // width
    return _lines(bytes(body), fmt, line, item)


def _fast(body: memoryview, fmt: _Format, width: int) -> Numbers | None:
    """Parse ``len(body) // width`` lines of one width at once, or None if one is irregular."""
    n = len(body) // width
    low, span = _template(fmt, width, 1 << (n - 1).bit_length())
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
    lead = np.zeros(n, dtype=_U64)  # the digits before the last eight
    for k in range(head):
        lead *= _U64(10)
        lead += cols[:, k] + np.uint8(fmt.low[k] - 48)
    lead *= _U64(10**8)
    lead += x
    lead += _U64(fmt.prefix)
    return lead


@cache
def _template(
    fmt: _Format, width: int, lines: int
) -> tuple[npt.NDArray[np.uint8], npt.NDArray[np.uint8]]:
    """``lines`` lines of the template: the low bytes and the allowed spans."""
    end = b"\n" if width == fmt.digits + 1 else b"\r\n"
    low = np.tile(np.frombuffer(fmt.low + end, dtype=np.uint8), lines)
    span = np.tile(np.frombuffer(fmt.span + bytes(len(end)), dtype=np.uint8), lines)
    return low, span


def _lines(text: bytes, fmt: _Format, line: int, item: _Input) -> tuple[Numbers, int]:
    """Line by line: blank lines and a line-1 header skipped, anything else checked."""
    out: list[int] = []
    rows = text.split(b"\n")[:-1]
    for i, raw in enumerate(rows, start=line + 1):
        s = raw.strip() if i > 1 else raw.removeprefix(_BOM).strip()
        if not s:
            continue
        value = _one(s, fmt)
        if value is None:
            if i == 1 and not any(c in _DIGITS for c in s):
                continue  # a header
            raise _bad(item, i, fmt)
        out.append(value)
    return np.array(out, dtype=_U64), len(rows)


def _one(s: bytes, fmt: _Format) -> int | None:
    if not s.isdigit():
        return None
    if fmt.digits == 10:
        ok = len(s) == 10 and s[0] >= 50 and s[3] >= 50
        return fmt.prefix + int(s) if ok else None
    if len(s) in (10, 11) and s[0] == 48 and s[1] != 48:
        return int(b"44" + s[1:])
    return None


def _bad(item: _Input, line: int, fmt: _Format) -> RequestError:
    return RequestError(f"{item.name}:{line}", f"{fmt.message}; nothing was loaded")
