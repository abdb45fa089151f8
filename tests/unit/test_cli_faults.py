"""The machine's failures (a full disk, a read-only mount, a failing disk) are told apart
from lexdial's bugs however deep the driver wrapped them; anything else stays a bug."""

from __future__ import annotations

import errno
import os
import sqlite3

import pytest

from lexdial.entrypoints.cli_faults import environment_problem


class _WrappedError(Exception):
    """As SQLAlchemy wraps a driver error: the original on ``.orig``."""

    def __init__(self, orig: BaseException) -> None:
        super().__init__("(wrapped)")
        self.orig = orig


def _raised_from(inner: BaseException) -> Exception:
    try:
        try:
            raise inner
        except BaseException as e:
            raise RuntimeError("while committing") from e
    except RuntimeError as outer:
        return outer


@pytest.mark.parametrize(
    ("exc", "start"),
    [
        (_WrappedError(sqlite3.OperationalError("database or disk is full")), "the disk holding"),
        (_WrappedError(sqlite3.OperationalError("attempt to write a readonly database")),
         "the store's disk or folder is read-only"),
        (_raised_from(OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))), "the disk holding"),
        (_raised_from(OSError(errno.EIO, os.strerror(errno.EIO))), "the disk holding the store "
         "reported an input/output error"),
    ],
    ids=["sqlite-full", "sqlite-read-only", "oserror-in-the-chain", "io-error"],
)  # fmt: skip
def test_a_failure_of_the_machine_is_one_line_saying_what_to_do(exc: Exception, start: str) -> None:
    problem = environment_problem(exc)
    assert problem is not None and problem.startswith(start)
    assert "nothing of what this command was writing was kept" in problem


@pytest.mark.parametrize(
    "exc",
    [
        sqlite3.OperationalError("no such table: contacts"),
        OSError(errno.ENOENT, "No such file or directory"),
        ValueError("database or disk is full"),  # the words alone, from no driver
    ],
    ids=["missing-table", "missing-file", "words-from-elsewhere"],
)
def test_anything_else_is_still_a_bug(exc: Exception) -> None:
    assert environment_problem(_WrappedError(exc)) is None
