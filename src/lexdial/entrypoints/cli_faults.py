"""What the machine, not lexdial, did wrong: a full disk, a read-only mount, a failing disk.

Rule: such a failure reaches the command line as one line saying what happened to the
store and what to do, with the exit status of a wrong environment (3), never as an
"unexpected" error with a crash report: it is not a bug, and the transaction it broke
was rolled back (SQLite and PostgreSQL keep nothing of a commit that failed).
"""

from __future__ import annotations

import errno

#: OSError numbers and SQLite's messages for each problem, and what to do about it
_DISK_FULL = "the disk holding the store is full"
_READ_ONLY = "the store's disk or folder is read-only"
_IO_ERROR = "the disk holding the store reported an input/output error"
_ERRNOS = {
    errno.ENOSPC: _DISK_FULL,
    errno.EDQUOT: _DISK_FULL,
    errno.EROFS: _READ_ONLY,
    errno.EIO: _IO_ERROR,
}
_SQLITE = {
    "database or disk is full": _DISK_FULL,
    "attempt to write a readonly database": _READ_ONLY,
    "disk i/o error": _IO_ERROR,
}
#: PostgreSQL's SQLSTATE for a full disk (class 53, insufficient resources)
_PG_DISK_FULL = "53100"
_TODO = {
    _DISK_FULL: "free some space there (or move the data folder) and run the command again",
    _READ_ONLY: "make the data folder writable and run the command again",
    _IO_ERROR: "check the disk (and restore the store from a backup if it is damaged)",
}


def environment_problem(exc: BaseException) -> str | None:
    """The one-line explanation of ``exc`` when the machine caused it, else None (a bug).
    Looks through the chain of causes and SQLAlchemy's wrapped driver error (``.orig``)."""
    seen: set[int] = set()
    todo: list[BaseException | None] = [exc]
    while todo:
        e = todo.pop()
        if e is None or id(e) in seen:
            continue
        seen.add(id(e))
        what = _what(e)
        if what is not None:
            return f"{what} ({e}); nothing of what this command was writing was kept: {_TODO[what]}"
        orig = getattr(e, "orig", None)
        todo += [e.__cause__, e.__context__, orig if isinstance(orig, BaseException) else None]
    return None


def _what(e: BaseException) -> str | None:
    if isinstance(e, OSError) and e.errno in _ERRNOS:
        return _ERRNOS[e.errno]
    if type(e).__module__ == "sqlite3":
        return _SQLITE.get(str(e).strip().lower())
    if getattr(e, "sqlstate", None) == _PG_DISK_FULL or getattr(e, "pgcode", None) == (
        _PG_DISK_FULL
    ):
        return _DISK_FULL
    return None
