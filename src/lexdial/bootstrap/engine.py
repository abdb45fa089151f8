"""The rule engine for a process's settings: the pack, the geography and the firm's policy.

Nothing is built at import time; ``default_engine`` builds once per process on first
use (reading the bundled pack and the geography file: a few tens of milliseconds).
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from lexdial.adapters.geodata import load_geography
from lexdial.adapters.rulepack import load_pack
from lexdial.config import Settings, load_settings
from lexdial.rules.engine import Engine

if TYPE_CHECKING:
    from lexdial.rules.model import RulePack


def build_engine(settings: Settings) -> Engine:
    """An engine for the given settings (a reviewed pack dir, a firm policy)."""
    return Engine(pack=load_pack(settings.pack_dir), geo=load_geography(), policy=settings.policy)


@cache
def default_engine(settings_path: Path | None = None) -> Engine:
    """The engine for this process's settings (cached)."""
    return build_engine(load_settings(settings_path))


def rule_pack(directory: Path | None = None) -> RulePack:
    """The bundled rule pack (None) or a reviewed pack directory, checked as the engine's."""
    return load_pack(directory)
