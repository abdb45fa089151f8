"""A small progress bar on standard error for long work (no dependency, no colours).

On a terminal it redraws one line; otherwise (CI, pipes, logs) it prints a start line,
a plain progress line every few seconds and an end line, so logs stay readable and a
long run never looks frozen.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterable, Iterator
from types import TracebackType
from typing import TextIO, TypeVar

T = TypeVar("T")


def progress(
    items: Iterable[T], total: int, label: str, stream: TextIO | None = None
) -> Iterator[T]:
    """Yield ``items`` while showing ``label`` and how far along the work is."""
    out = stream or sys.stderr
    tty = out.isatty()
    start = time.monotonic()
    if not tty:
        out.write(f"{label}: {total} items...\n")
    done = 0
    for item in items:
        yield item
        done += 1
        if tty and (done == total or done % max(1, total // 100) == 0):
            width = 30
            filled = width * done // max(total, 1)
            out.write(f"\r{label} [{'#' * filled}{'.' * (width - filled)}] {done}/{total}")
            out.flush()
    elapsed = time.monotonic() - start
    out.write(("\n" if tty else "") + f"{label}: {done} done in {elapsed:.1f} s\n")
    out.flush()


class Bar:
    """A progress bar for work reported by callbacks (a campaign run) rather than a loop."""

    def __init__(
        self, label: str, total: int, stream: TextIO | None = None, interval: float = 5.0
    ) -> None:
        self.label, self.total = label, max(total, 1)
        self.out = stream or sys.stderr
        self.tty = self.out.isatty()
        self.start = time.monotonic()
        self.interval = interval
        self._last = -1
        self._line_at = self.start
        if not self.tty:
            self.out.write(f"{label}: {total} items...\n")
            self.out.flush()

    def update(self, done: int, note: str = "") -> None:
        """Redraw on a terminal when the count changed; elsewhere (a log, a pipe) a plain
        line at most every ``interval`` seconds, so a long run never looks frozen."""
        if done == self._last:
            return
        if not self.tty:
            now = time.monotonic()
            if now - self._line_at >= self.interval:
                self._last, self._line_at = done, now
                self.out.write(f"{self.label}: {done}/{self.total} {note}".rstrip() + "\n")
                self.out.flush()
            return
        self._last = done
        width = 30
        filled = width * min(done, self.total) // self.total
        bar = "#" * filled + "." * (width - filled)
        self.out.write(f"\r{self.label} [{bar}] {done}/{self.total} {note}\x1b[K")
        self.out.flush()

    def close(self, done: int) -> None:
        elapsed = time.monotonic() - self.start
        self.out.write(
            ("\n" if self.tty else "") + f"{self.label}: {done} done in {elapsed:.1f} s\n"
        )
        self.out.flush()


class ByteBar:
    """A progress bar in megabytes fed by a ``(done, total)`` callback (a registry load or
    scrub): redrawn in place on a terminal, a start and an end line otherwise."""

    def __init__(self, label: str, stream: TextIO | None = None) -> None:
        self.out, self.label, self.shown = stream or sys.stderr, label, -1
        self.tty = self.out.isatty()
        self.start = time.monotonic()
        if not self.tty:
            self.out.write(f"{label}...\n")

    def __call__(self, done: int, total: int | None) -> None:
        if not self.tty or not total:
            return
        percent = min(100, done * 100 // total)
        if percent != self.shown:
            self.shown = percent
            filled = 30 * percent // 100
            mb = f"{done / 1e6:,.0f}/{total / 1e6:,.0f} MB"
            self.out.write(f"\r{self.label} [{'#' * filled}{'.' * (30 - filled)}] {mb}")
            self.out.flush()

    def __enter__(self) -> ByteBar:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        elapsed = time.monotonic() - self.start
        end = "done" if kind is None else "failed"
        self.out.write(("\n" if self.tty else "") + f"{self.label}: {end} in {elapsed:.1f} s\n")
        self.out.flush()
