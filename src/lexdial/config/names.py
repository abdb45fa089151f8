"""Refusing a setting lexdial does not know, naming it and the nearest one it does.

Rule 1: a misspelt key is an error, never a default. ``dta_dir`` or ``[polcy]`` read
silently as "not set" would run the firm on defaults it believes it changed; the file is
refused at start, with the key, its table and the setting it most likely meant.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from lexdial.errors import ConfigError

__all__ = ["did_you_mean", "refuse_unknown"]


def did_you_mean(word: str, known: Iterable[str]) -> str:
    """`` (did you mean 'x'?)`` for the closest of ``known``, or ``""`` when none is close."""
    close = difflib.get_close_matches(word, sorted(known), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def refuse_unknown(
    raw: dict[str, Any], known: Iterable[str], table: str, path: Path | None, hint: str = ""
) -> None:
    """Raise ``ConfigError`` for the first key of ``raw`` (a ``[table]``) not in ``known``."""
    allowed = sorted(known)
    unknown = sorted(set(raw) - set(allowed))
    if not unknown:
        return
    where = f"{path}: " if path is not None else ""
    names = ", ".join(f"{table}.{k}" for k in unknown)
    raise ConfigError(
        f"{where}[{table}] has unknown keys: {names}{did_you_mean(unknown[0], allowed)}"
        f"{hint}; its settings: {', '.join(allowed)}"
    )
