"""The do-not-call registry copies a data folder holds, as every face lists them.

Rule: a list's age is judged once (``bootstrap.registry_lists`` reads the copies' manifests
and the gate's own freshness limit: 31 days for US lists, 28 for the UK TPS); the CLI, the
API and the compliance page only choose which fields to show.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True, slots=True)
class RegistryList:
    """One loaded registry copy and how old it is against the limit the gate applies."""

    list: str
    count: int
    snapshot_on: date
    age_days: int
    max_age_days: int
    stale: bool
    loaded_at: str
    kind: str  #: "full" or "changes"
    form: str  #: "array" or "bitmap"
