"""Files a person names or receives (for the command line and the demo): written and read
through the adapter that keeps personal data private to its owner.

Entrypoints import no adapter; each function imports its adapter when first called, so
``lexdial --help`` stays fast.
"""

from __future__ import annotations

from pathlib import Path


def write_private_file(path: Path, data: bytes | str, field: str = "--out") -> Path:
    """Write ``data`` to ``path`` readable by its owner alone (it holds personal data); an
    unwritable place is a RequestError naming ``field``."""
    from lexdial.adapters.private_files import write_private

    return write_private(path, data, field)


def private_folder(path: Path, field: str = "--out") -> Path:
    """Make the folder ``path`` (owner-only) for files holding personal data."""
    from lexdial.adapters.private_files import private_dir

    return private_dir(path, field)


def read_given_file(path: Path, field: str) -> str:
    """The text of a file a user named; a missing or unreadable one names ``field``."""
    from lexdial.adapters.private_files import read_text

    return read_text(path, field)
