"""One do-not-call list on disk: the numbers (an array or a bitmap) and a manifest.

Rule 1: a list directory always holds one complete snapshot. A new snapshot's file is
written under a fresh name and flushed to disk, and only then made current by replacing
``manifest.json`` in one ``os.replace``; a load that fails at any point leaves the
previous snapshot (manifest and file) untouched.
Rule 2: numbers are E.164 digits as unsigned integers (``14105550146``, ``442079460000``);
nothing in this module ever formats a number into text.

Layout of ``<data_dir>/registry/<list-name>/``::

    manifest.json            list, snapshot date, count, sources (SHA-256), the file
    numbers-<token>.npy      every listed number once, ascending (numpy uint64), or
    bitmap-<token>.bin       one bit per number from ``bitmap_base`` (LSB first)

Why two forms: a sorted array is compact for a sparse list (a state list, the TPS) and a
binary search in it is cheap while it fits in cache. The national registry is dense
(~250 M of the ~8 G possible US numbers): there a bitmap over its range is the smaller
form (~1 GB against 2 GB) and a lookup is one memory access instead of ~25 dependent
cache misses (~2 s per million). The form is chosen by size alone: the bitmap when it is
no bigger than the array. Either file is memory-mapped, so opening a list costs nothing
and processes share the page cache.
"""

from __future__ import annotations

import contextlib
import fcntl
import io
import json
import mmap
import os
import re
import secrets
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, BinaryIO, NamedTuple

import numpy as np
import numpy.typing as npt

from lexdial.errors import ConfigError, RequestError

FORMAT = "lexdial-registry/1"
MANIFEST = "manifest.json"
U64 = np.dtype("<u8")
_NAME = re.compile(r"^(us-national|us-state-[A-Z]{2}|uk-tps|uk-ctps)$")
_OURS = re.compile(r"^(numbers-\w+\.npy|bitmap-\w+\.bin|.+\.tmp)$")
_SORT_ABOVE = 1 << 12  # queries in a batch worth sorting first
_STEP = 1 << 20  # bitmap bytes read back into numbers at a time
_POPULATE_WRITE = getattr(mmap, "MADV_POPULATE_WRITE", 23)  # Linux 5.14
_WINDOW = 1 << 23  # bits packed at a time when building a bitmap (an 8 MiB scratch)

Numbers = npt.NDArray[np.uint64]


def check_list_name(name: str) -> str:
    """The list names the gate reads: ``us-national``, ``us-state-XX``, ``uk-tps``, ``uk-ctps``."""
    if not _NAME.match(name):
        raise RequestError(
            "--list", "must be us-national, us-state-XX (e.g. us-state-TX), uk-tps or uk-ctps"
        )
    return name


def country_of(name: str) -> str:
    """ISO country of a list's numbers: the format of its files and of its numbers."""
    return "GB" if check_list_name(name).startswith("uk-") else "US"


class Freshness(NamedTuple):
    age_days: int
    max_age_days: int
    stale: bool


def freshness(name: str, snapshot_on: date, today: date) -> Freshness:
    """Age of a snapshot against the gate's limit: 31 days (US, day 31 still fresh), 28 (UK).

    A snapshot dated more than a day after ``today`` cannot be the copy a call used, so it
    counts as stale too (the gate allows one day for time-zone differences).
    """
    limit = 28 if country_of(name) == "GB" else 31
    age = (today - snapshot_on).days
    return Freshness(age, limit, age > limit or age < -1)


class SourceFile(NamedTuple):
    """One input file of a snapshot, as read (``name`` as given; ``zip!member`` in archives)."""

    name: str
    role: str  # "full", "additions" or "deletions"
    sha256: str
    bytes: int
    numbers: int


@dataclass(frozen=True, slots=True)
class Manifest:
    list_name: str
    snapshot_on: date
    loaded_at: str
    count: int
    kind: str  # "full" or "changes"
    sources: tuple[SourceFile, ...]
    form: str = "array"  # "array" or "bitmap"
    file: str = ""
    bitmap_base: int = 0
    bitmap_bits: int = 0
    #: for change lists: the snapshot they were applied to
    based_on: dict[str, Any] | None = None
    #: duplicates dropped, numbers added/deleted, changes that changed nothing
    stats: dict[str, int] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        out = asdict(self)
        out["sources"] = [s._asdict() for s in self.sources]
        return {"format": FORMAT, **out, "snapshot_on": self.snapshot_on.isoformat()}

    @classmethod
    def from_json(cls, raw: dict[str, Any], where: str) -> Manifest:
        try:
            if raw.pop("format") != FORMAT:
                raise ValueError("unknown format")
            raw["snapshot_on"] = date.fromisoformat(raw["snapshot_on"])
            raw["sources"] = tuple(SourceFile(**s) for s in raw["sources"])
            return cls(**raw)
        except (KeyError, TypeError, ValueError) as exc:
            raise ConfigError(f"{where}: not a {FORMAT} manifest ({exc})") from None


class Bitmap(NamedTuple):
    """Bit ``n - base`` of ``data`` (byte ``(n - base) // 8``, LSB first) is set if n is listed."""

    base: int
    bits: int
    data: npt.NDArray[np.uint8]


class RegistryIndex:
    """A loaded list, memory-mapped: ``contains`` for batches, ``in`` for one number."""

    def __init__(self, directory: Path) -> None:
        for attempt in range(3):  # a reload may replace the snapshot between two reads
            self.manifest = m = _read_manifest(directory)
            self.array: Numbers | None = None
            self.bitmap: Bitmap | None = None
            path = directory / m.file
            try:
                if m.form == "bitmap":
                    data = np.memmap(path, dtype=np.uint8, mode="r")
                    if len(data) * 8 != m.bitmap_bits:
                        raise ValueError(f"expected {m.bitmap_bits // 8} bytes")
                    self.bitmap = Bitmap(m.bitmap_base, m.bitmap_bits, data)
                elif m.count == 0:  # an empty file cannot be memory-mapped
                    self.array = np.zeros(0, dtype=np.uint64)
                else:
                    self.array = np.load(path, mmap_mode="r", allow_pickle=False)
                    if self.array.dtype != U64 or self.array.shape != (m.count,):
                        raise ValueError(f"expected {m.count} uint64 numbers")
                return
            except FileNotFoundError:
                if attempt == 2 or _read_manifest(directory) == m:
                    raise ConfigError(f"{path}: missing (the manifest names it)") from None
            except (OSError, ValueError) as exc:
                raise ConfigError(f"{path}: cannot be used ({exc})") from None

    @property
    def list_name(self) -> str:
        return self.manifest.list_name

    @property
    def snapshot_on(self) -> date:
        return self.manifest.snapshot_on

    def __len__(self) -> int:
        return self.manifest.count

    def contains(self, numbers: Numbers) -> npt.NDArray[np.bool_]:
        """Which of ``numbers`` (uint64 E.164 digits, any order) are on the list."""
        q = np.asarray(numbers, dtype=np.uint64)
        if self.bitmap is not None:
            return bitmap_contains(self.bitmap, q)
        assert self.array is not None
        return sorted_contains(self.array, q)

    def __contains__(self, number: object) -> bool:
        if not isinstance(number, int) or not 0 <= number < 1 << 64:
            return False
        return bool(self.contains(np.array([number], dtype=np.uint64))[0])

    def numbers(self) -> Numbers:
        """Every listed number, ascending (read from the bitmap when that is the form)."""
        if self.bitmap is not None:
            return bitmap_numbers(self.bitmap)
        assert self.array is not None
        return self.array


def _read_manifest(directory: Path) -> Manifest:
    where = directory / MANIFEST
    try:
        raw = json.loads(where.read_text("utf-8"))
    except FileNotFoundError:
        raise RequestError("--list", f"{directory.name} has not been loaded") from None
    except (OSError, ValueError) as exc:
        raise ConfigError(f"{where}: cannot be read ({exc})") from None
    manifest = Manifest.from_json(raw, str(where))
    if not _OURS.match(manifest.file) or manifest.file.endswith(".tmp"):
        raise ConfigError(f"{where}: names no snapshot file of this directory")
    return manifest


def open_index(directory: Path) -> RegistryIndex:
    """Open the current snapshot of the list stored in ``directory``."""
    return RegistryIndex(directory)


def sorted_contains(array: Numbers, q: Numbers) -> npt.NDArray[np.bool_]:
    """Membership by binary search (``np.searchsorted``) in an ascending array.

    A large batch is searched in ascending order: consecutive searches then walk the same
    path down the array and mostly hit the cache (7x faster for 1 M numbers against 20 M,
    for the price of one argsort).
    """
    if len(array) == 0:
        return np.zeros(len(q), dtype=bool)
    order = np.argsort(q) if len(q) > _SORT_ABOVE else None
    keys = q if order is None else q[order]
    pos = np.searchsorted(array, keys)
    np.minimum(pos, len(array) - 1, out=pos)
    found = np.asarray(array[pos] == keys)
    if order is None:
        return found
    listed = np.empty(len(q), dtype=bool)
    listed[order] = found
    return listed


def bitmap_contains(bitmap: Bitmap, q: Numbers) -> npt.NDArray[np.bool_]:
    """Membership by one byte read per number."""
    offset = q - np.uint64(bitmap.base)  # numbers below base wrap around to huge offsets
    inside = offset < np.uint64(bitmap.bits)
    offset[~inside] = 0
    shift = (offset & np.uint64(7)).astype(np.uint8)
    hit = (bitmap.data[offset >> np.uint64(3)] >> shift) & np.uint8(1)
    listed: npt.NDArray[np.bool_] = hit.view(bool) & inside
    return listed


# --- the two forms ----------------------------------------------------------------------


def compact(numbers: Numbers) -> Numbers | Bitmap:
    """The smaller form of ``numbers`` (ascending, unique): a bitmap when it is no bigger."""
    if len(numbers) == 0 or (int(numbers[-1]) - int(numbers[0])) // 64 > len(numbers):
        return numbers
    base = int(numbers[0]) & ~63
    bits = (int(numbers[-1]) - base) // 64 * 64 + 64
    bitmap = Bitmap(base, bits, np.zeros(bits // 8, dtype=np.uint8))
    BitWriter().apply(bitmap, numbers)
    return bitmap


class BitWriter:
    """Sets or clears the bits of ascending, unique numbers in a bitmap, and counts how
    many bits changed (numbers added or removed).

    Dense runs go through ``np.packbits`` over a reused boolean window (~7 ns a number;
    ``np.bitwise_or.at`` costs ~20-50); scattered numbers through ``np.bitwise_or.reduceat``
    on their bytes, so a few changes never touch a window of the whole range.
    """

    def __init__(self, window: int = _WINDOW) -> None:
        self.window = np.zeros(window, dtype=bool)

    def apply(self, bitmap: Bitmap, numbers: Numbers, clear: bool = False) -> int:
        base, bits, data = bitmap
        if len(numbers) and not base <= int(numbers[0]) <= int(numbers[-1]) < base + bits:
            raise ValueError("number outside the bitmap's range")
        changed, start, size = 0, 0, len(self.window)
        while start < len(numbers):
            low = (int(numbers[start]) - base) & ~7
            end = int(np.searchsorted(numbers, np.uint64(base + low + size)))
            offset = (numbers[start:end] - np.uint64(base + low)).astype(np.intp)
            if int(offset[-1]) < 64 * len(offset):  # dense: one packed run of bytes
                self.window[offset] = True
                values = np.packbits(self.window[: int(offset[-1]) + 1], bitorder="little")
                self.window[offset] = False
                where: slice | npt.NDArray[np.intp] = slice(low // 8, low // 8 + len(values))
            else:
                byte = offset >> 3
                first = np.flatnonzero(np.diff(byte, prepend=-1))
                bit = np.left_shift(np.uint8(1), (offset & 7).astype(np.uint8))
                values, where = np.bitwise_or.reduceat(bit, first), byte[first] + low // 8
            old = data[where]
            new = old & ~values if clear else old | values
            changed += int(np.bitwise_count(old ^ new).sum())
            data[where] = new
            start = end
        return changed


def bitmap_numbers(bitmap: Bitmap) -> Numbers:
    """The listed numbers of ``bitmap``, ascending."""
    parts = []
    for start in range(0, len(bitmap.data), _STEP):
        chunk = np.asarray(bitmap.data[start : start + _STEP])
        nonzero = np.flatnonzero(chunk)
        where = np.flatnonzero(np.unpackbits(chunk[nonzero], bitorder="little"))
        parts.append((nonzero[where >> 3] + start) * 8 + (where & 7))
    found = np.concatenate(parts) if parts else np.zeros(0, dtype=np.intp)
    return found.astype(np.uint64) + np.uint64(bitmap.base)


class BitmapDraft:
    """A bitmap snapshot built straight into its (memory-mapped) file.

    For the national registry this is the load's only large buffer: no array of 250 M
    numbers in memory and no second copy of the bitmap, the page cache is the buffer.
    """

    def __init__(self, directory: Path, base: int, bits: int) -> None:
        self.path = directory / f"bitmap-{secrets.token_hex(6)}.bin.tmp"
        with self.path.open("wb+") as f:
            self._map = _mapped(f, bits // 8)
        self.bitmap = Bitmap(base, bits, np.frombuffer(self._map, dtype=np.uint8))
        self.count = 0  # numbers set so far (duplicates set no new bit)
        self._writer = BitWriter()

    def add(self, numbers: Numbers) -> None:
        """Set the bits of ``numbers`` (ascending, unique, inside the range)."""
        self.count += self._writer.apply(self.bitmap, numbers)

    def sync(self) -> None:
        """Flush the bitmap to disk (the file keeps its temporary name)."""
        self._map.flush()
        with self.path.open("rb+") as f:
            os.fsync(f.fileno())

    def discard(self) -> None:
        self.path.unlink(missing_ok=True)


# --- writing a snapshot --------------------------------------------------------------------


@contextlib.contextmanager
def locked(directory: Path) -> Iterator[None]:
    """One writer per list at a time (readers never wait: they only read the manifest)."""
    directory.mkdir(parents=True, exist_ok=True)
    with (directory / ".lock").open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield


def commit(
    directory: Path, snapshot: Numbers | Bitmap | BitmapDraft, manifest: Manifest
) -> Manifest:
    """Make ``snapshot`` the list's current one, atomically; the manifest as written.

    The caller holds ``locked(directory)``; ``manifest.count`` must be the snapshot's.
    """
    token = secrets.token_hex(6)
    written: list[Path] = []
    try:
        if isinstance(snapshot, BitmapDraft):
            name = snapshot.path.name.removesuffix(".tmp")
            snapshot.sync()
            snapshot.path.replace(directory / name)
            written.append(directory / name)
            bitmap = snapshot.bitmap
            form = {"form": "bitmap", "bitmap_base": bitmap.base, "bitmap_bits": bitmap.bits}
        elif isinstance(snapshot, Bitmap):
            name = f"bitmap-{token}.bin"
            _write_atomic(directory / name, written, lambda f: _fill(f, b"", snapshot.data))
            form = {"form": "bitmap", "bitmap_base": snapshot.base, "bitmap_bits": snapshot.bits}
        else:
            name = f"numbers-{token}.npy"
            _write_atomic(
                directory / name, written, lambda f: _fill(f, _npy_header(snapshot), snapshot)
            )
            form = {"form": "array", "bitmap_base": 0, "bitmap_bits": 0}
        fields = {k: getattr(manifest, k) for k in Manifest.__dataclass_fields__}
        manifest = Manifest(**{**fields, **form, "file": name})
        text = json.dumps(manifest.to_json(), indent=2) + "\n"
        _write_atomic(directory / MANIFEST, written, lambda f: f.write(text.encode()))
    except BaseException:
        for path in written:
            if path.name != MANIFEST:
                path.unlink(missing_ok=True)
        raise
    _fsync_dir(directory)
    for old in directory.iterdir():  # previous snapshots, leftovers of interrupted loads
        if old.name != manifest.file and _OURS.match(old.name):
            old.unlink(missing_ok=True)
    return manifest


def _write_atomic(path: Path, written: list[Path], write: Callable[[BinaryIO], object]) -> None:
    tmp = path.with_name(f"{path.name}.{secrets.token_hex(4)}.tmp")
    written.append(tmp)
    with tmp.open("wb+") as f:  # readable too: a file may be filled through a mapping
        write(f)
        f.flush()
        os.fsync(f.fileno())
    tmp.replace(path)
    written[-1] = path


def _mapped(f: BinaryIO, size: int) -> mmap.mmap:
    """``f`` grown to ``size`` bytes and mapped for writing, its pages populated in one call.

    Writing through the mapping beats ``write()`` and page faults alike on this kind of
    machine: one fault per 4 KiB costs ~17 us here (4 s for 1 GB), populating 0.35 s.
    """
    f.truncate(size)
    mapping = mmap.mmap(f.fileno(), size)
    with contextlib.suppress(OSError):  # older kernels: the faults happen one by one
        mapping.madvise(_POPULATE_WRITE)
    return mapping


def _fill(f: BinaryIO, header: bytes, data: npt.NDArray[Any]) -> None:
    """Write ``header`` then ``data`` to the new file ``f`` (flushed by the caller)."""
    f.write(header)
    if data.nbytes == 0:
        return
    mapping = _mapped(f, len(header) + data.nbytes)
    target = np.frombuffer(mapping, dtype=data.dtype, count=len(data), offset=len(header))
    target[:] = data
    del target
    mapping.flush()
    mapping.close()


def _npy_header(array: Numbers) -> bytes:
    """The ``.npy`` header ``np.save`` would write for ``array`` (data 64-byte aligned)."""
    out = io.BytesIO()
    np.lib.format.write_array_header_1_0(out, np.lib.format.header_data_from_array_1_0(array))
    return out.getvalue()


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def list_names(root: Path) -> list[str]:
    """The lists loaded under ``root`` (``<data_dir>/registry``), by name."""
    if not root.is_dir():
        return []
    return sorted(p.name for p in root.iterdir() if (p / MANIFEST).is_file())
