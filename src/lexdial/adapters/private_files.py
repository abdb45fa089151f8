"""Files that hold personal data are the owner's alone: data directory and exports.

Rule 1: lexdial creates its files 0600 and its directories 0700 (``write_private``,
``private_dir``; the command line also sets the process umask to 077, so what SQLite and
the registry loader create is private too). An existing store file that others could read
is tightened to 0600 when the store is opened.
Rule 2: a data directory that anyone may write to (0777: another user could replace the
database or the key file) is refused with the command that fixes it.
Rule 3: a file that cannot be written is a ``RequestError`` naming the option and the
reason, never a traceback.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from lexdial.errors import ConfigError, RequestError

FILE_MODE = 0o600
DIR_MODE = 0o700


def private_dir(path: Path, field: str = "--out") -> Path:
    """Create ``path`` (and missing parents) as 0700 directories; an error names ``field``."""
    try:
        path.mkdir(parents=True, exist_ok=True, mode=DIR_MODE)
    except OSError as exc:
        raise RequestError(field, f"{path}: cannot be created ({exc.strerror})") from None
    if not path.is_dir():
        raise RequestError(field, f"{path}: is not a directory")
    return path


def write_private(path: Path, data: bytes | str, field: str = "--out") -> Path:
    """Write ``data`` to ``path`` as a 0600 file (replacing it); an error names ``field``."""
    if path.parent != Path():
        private_dir(path.parent, field)
    raw = data.encode("utf-8") if isinstance(data, str) else data
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
        with os.fdopen(fd, "wb") as f:
            os.fchmod(f.fileno(), FILE_MODE)  # an existing file keeps its mode otherwise
            f.write(raw)
    except OSError as exc:
        raise RequestError(field, f"{path}: cannot be written ({exc.strerror})") from None
    return path


def read_text(path: Path, field: str) -> str:
    """A UTF-8 text file's content; an unreadable or missing file is an error naming ``field``."""
    try:
        return path.read_text("utf-8")
    except FileNotFoundError:
        raise RequestError(field, f"{path}: no such file") from None
    except IsADirectoryError:
        raise RequestError(field, f"{path}: is a folder, not a file; name the file in it") from None
    except UnicodeDecodeError:
        raise RequestError(field, f"{path}: is not UTF-8 text") from None
    except OSError as exc:
        raise RequestError(field, f"{path}: cannot be read ({exc.strerror})") from None


def open_data_dir(root: Path) -> Path:
    """The store's directory: created 0700, refused if anyone may write to it."""
    if not root.exists():
        try:
            root.mkdir(parents=True, mode=DIR_MODE)
        except OSError as exc:
            raise ConfigError(
                f"data directory {root}: cannot be created ({exc.strerror})"
            ) from None
    mode = root.stat().st_mode
    if os.name == "posix" and mode & stat.S_IWOTH:  # even sticky: others could plant files
        raise ConfigError(
            f"data directory {root} is writable by every user of this machine (mode "
            f"{stat.S_IMODE(mode):o}): anyone could replace the store or its keys. "
            f"Restrict it with: chmod 700 {root}"
        )
    return root


def private_file(path: Path) -> None:
    """Create ``path`` empty and 0600 if missing; tighten it to 0600 if others may read it."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT, FILE_MODE)
        os.close(fd)
        if os.name == "posix" and path.stat().st_mode & 0o077:
            path.chmod(FILE_MODE)
    except OSError as exc:
        if path.is_file():  # there, but not writable: a read-only mount, a full disk...
            raise ConfigError(
                f"store file {path}: cannot be written ({exc.strerror}); lexdial writes to its "
                "store even to read it (SQLite's journal): make the data folder writable"
            ) from None
        raise ConfigError(f"store file {path}: cannot be created ({exc.strerror})") from None
