"""One do-not-call list on disk: a sorted number array, an optional bitmap, a manifest.

Rule 1: a list directory always holds one complete snapshot. A new snapshot's files are
written under fresh names, flushed to disk, and only then made current by replacing
``manifest.json`` in one ``os.replace``; a load that fails at any point leaves the
previous snapshot (manifest and files) untouched.
Rule 2: numbers are E.164 digits as unsigned integers (``14105550146``, ``442079460000``);
nothing in this module ever formats a number into text.

Layout of ``<data_dir>/registry/<list-name>/``::

    manifest.json           list, snapshot date, count, sources (SHA-256), file names
    numbers-<token>.npy     every listed number once, ascending (numpy uint64)
    bitmap-<token>.bin      one bit per number from ``bitmap_base`` (dense lists only)

Why two files: the sorted array is the list itself (compact, mergeable with change
lists, easy to audit), but a binary search over 250 M entries costs ~25 dependent cache
misses per number (~2 s per million). When the list is dense enough that a bitmap over
its range is no bigger than the array (the national registry: ~1 GB against 2 GB), a
membership test is one memory access per number instead. Both are memory-mapped, so
opening a list costs nothing and several processes share the page cache.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import re
import secrets
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import numpy.typing as npt

from lexdial.errors import ConfigError, RequestError

FORMAT = "lexdial-registry/1"
MANIFEST = "manifest.json"
U64 = np.dtype("<u8")
_NAME = re.compile(r"^(us-national|us-state-[A-Z]{2}|uk-tps|uk-ctps)$")
_OURS = re.compile(r"^(numbers-\w+\.npy|bitmap-\w+\.bin|.+\.tmp)$")
_WORDS_PER_STEP = 1 << 21  # bitmap built 16 MiB at a time

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
    numbers_file: str = ""
    bitmap_file: str | None = None
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


class RegistryIndex:
    """A loaded list, memory-mapped: ``contains`` for batches, ``in`` for one number."""

    def __init__(self, directory: Path) -> None:
        where = directory / MANIFEST
        try:
            raw = json.loads(where.read_text("utf-8"))
        except FileNotFoundError:
            raise RequestError("--list", f"{directory.name} has not been loaded") from None
        except (OSError, ValueError) as exc:
            raise ConfigError(f"{where}: cannot be read ({exc})") from None
        self.manifest = m = Manifest.from_json(raw, str(where))
        self.numbers: Numbers = _map_numbers(directory / m.numbers_file, m.count)
        self.bitmap: npt.NDArray[np.uint8] | None = None
        if m.bitmap_file:
            self.bitmap = np.memmap(directory / m.bitmap_file, dtype=np.uint8, mode="r")
            if len(self.bitmap) * 8 < m.bitmap_bits:
                raise ConfigError(f"{directory / m.bitmap_file}: shorter than the manifest says")

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
            return bitmap_contains(self.bitmap, self.manifest.bitmap_base,
                                   self.manifest.bitmap_bits, q)  # fmt: skip
        return sorted_contains(self.numbers, q)

    def __contains__(self, number: object) -> bool:
        if not isinstance(number, int) or not 0 <= number < 1 << 64:
            return False
        return bool(self.contains(np.array([number], dtype=np.uint64))[0])


def open_index(directory: Path) -> RegistryIndex:
    """Open the current snapshot of the list stored in ``directory``."""
    return RegistryIndex(directory)


def sorted_contains(array: Numbers, q: Numbers) -> npt.NDArray[np.bool_]:
    """Membership by binary search (``np.searchsorted``) in an ascending array."""
    if len(array) == 0:
        return np.zeros(len(q), dtype=bool)
    pos = np.searchsorted(array, q)
    np.minimum(pos, len(array) - 1, out=pos)
    return np.asarray(array[pos] == q)


def bitmap_contains(
    bitmap: npt.NDArray[np.uint8], base: int, bits: int, q: Numbers
) -> npt.NDArray[np.bool_]:
    """Membership by one byte read per number: bit ``n - base`` (LSB first in each byte)."""
    offset = q - np.uint64(base)  # numbers below base wrap around to huge offsets
    inside = offset < np.uint64(bits)
    offset[~inside] = 0
    shift = (offset & np.uint64(7)).astype(np.uint8)
    hit = (bitmap[offset >> np.uint64(3)] >> shift) & np.uint8(1)
    return hit.view(bool) & inside


def _map_numbers(path: Path, count: int) -> Numbers:
    if count == 0:  # an empty file cannot be memory-mapped
        return np.zeros(0, dtype=np.uint64)
    try:
        array = np.load(path, mmap_mode="r", allow_pickle=False)
    except (OSError, ValueError) as exc:
        raise ConfigError(f"{path}: cannot be read ({exc})") from None
    if array.dtype != U64 or array.shape != (count,):
        raise ConfigError(f"{path}: expected {count} uint64 numbers")
    return array  # type: ignore[no-any-return]


# --- writing a snapshot --------------------------------------------------------------------


@contextlib.contextmanager
def locked(directory: Path) -> Iterator[None]:
    """One writer per list at a time (readers never wait: they only read the manifest)."""
    directory.mkdir(parents=True, exist_ok=True)
    with (directory / ".lock").open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield


def commit(directory: Path, numbers: Numbers, manifest: Manifest) -> Manifest:
    """Write ``numbers`` (ascending, unique) as the list's new current snapshot, atomically.

    The caller holds ``locked(directory)``. Returns the manifest as written (with file
    names and bitmap parameters filled in).
    """
    token = secrets.token_hex(6)
    written: list[Path] = []
    try:
        name = f"numbers-{token}.npy"
        _write_atomic(directory / name, written, lambda f: np.save(f, numbers))
        manifest = replace(manifest, numbers_file=name, count=len(numbers))
        if len(numbers) and _dense(numbers):
            base = int(numbers[0]) & ~63
            bits = (int(numbers[-1]) - base) // 64 * 64 + 64
            bitmap = f"bitmap-{token}.bin"
            _write_atomic(directory / bitmap, written,
                          lambda f: _write_bitmap(f, numbers, base, bits))  # fmt: skip
            manifest = replace(manifest, bitmap_file=bitmap, bitmap_base=base, bitmap_bits=bits)
        text = json.dumps(manifest.to_json(), indent=2) + "\n"
        _write_atomic(directory / MANIFEST, written, lambda f: f.write(text.encode()))
    except BaseException:
        for path in written:
            if path.name != MANIFEST:
                path.unlink(missing_ok=True)
        raise
    _fsync_dir(directory)
    keep = {manifest.numbers_file, manifest.bitmap_file}
    for old in directory.iterdir():  # previous snapshots, leftovers of interrupted loads
        if old.name not in keep and _OURS.match(old.name):
            old.unlink(missing_ok=True)
    return manifest


def _dense(numbers: Numbers) -> bool:
    """A bitmap pays when it is no bigger than the array (8 bytes, 64 bits per number)."""
    return (int(numbers[-1]) - int(numbers[0])) // 64 <= len(numbers)


def _write_bitmap(f: Any, numbers: Numbers, base: int, bits: int) -> None:
    """Stream the bitmap out in steps; each step's words are built from its numbers only."""
    words_total = bits // 64
    start = 0
    for first in range(0, words_total, _WORDS_PER_STEP):
        last = min(first + _WORDS_PER_STEP, words_total)
        end = int(np.searchsorted(numbers, np.uint64(base + last * 64)))
        words = np.zeros(last - first, dtype=U64)
        offset = numbers[start:end] - np.uint64(base + first * 64)
        index = (offset >> np.uint64(6)).astype(np.intp)
        bit = np.left_shift(np.uint64(1), offset & np.uint64(63))
        np.bitwise_or.at(words, index, bit)
        f.write(words.tobytes())
        start = end


def _write_atomic(path: Path, written: list[Path], write: Any) -> None:
    tmp = path.with_name(f"{path.name}.{secrets.token_hex(4)}.tmp")
    written.append(tmp)
    with tmp.open("wb") as f:
        write(f)
        f.flush()
        os.fsync(f.fileno())
    tmp.replace(path)
    written[-1] = path


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
