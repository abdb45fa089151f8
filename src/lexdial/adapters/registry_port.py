"""The services' ``Registry`` port over the on-disk registry indexes.

A list that has not been loaded answers None ("unknown"): the rules then read it
protectively (an unknown national registry status is not "clear").
"""

from __future__ import annotations

import importlib
from datetime import date
from pathlib import Path
from typing import Any


class IndexRegistry:
    """Looks numbers up in the indexes under one directory (one sub-directory per list)."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._open: dict[str, object] = {}

    def _index(self, list_name: str) -> object | None:
        if list_name not in self._open:
            path = self.directory / list_name
            if not (path / "manifest.json").is_file():
                return None
            module: Any = importlib.import_module("lexdial.adapters.registry.index")
            self._open[list_name] = module.open_index(path)
        return self._open[list_name]

    def listed(self, e164: str, list_name: str) -> bool | None:
        idx = self._index(list_name)
        if idx is None:
            return None
        return int(e164.lstrip("+")) in idx  # type: ignore[operator]

    def snapshot_on(self, list_name: str) -> date | None:
        idx = self._index(list_name)
        if idx is None:
            return None
        snapshot: date = idx.snapshot_on  # type: ignore[attr-defined]
        return snapshot
