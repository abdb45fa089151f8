"""Do-not-call registries on disk: the FTC national registry, state lists, the UK TPS.

Rule 1: a registry copy is loaded whole or not at all, and the copy in use is always
one complete snapshot with its date (the gate's 31-day and 28-day rules read it).
Rule 2: no whole telephone number is ever printed, logged or put in an error.

- ``index``: one list on disk (a sorted uint64 array or, for a dense list, a bitmap;
  memory-mapped), its manifest, lookups, and the atomic replacement of a snapshot.
- ``loader``: the text files registries publish -> a new snapshot (full lists, change
  lists of additions and deletions), streamed and checked line by line.
- ``scrub``: a contacts CSV -> one verdict per row (listed / clear / invalid) + a summary.

Lists live in ``<data_dir>/registry/<list-name>/`` (``us-national``, ``us-state-TX``,
``uk-tps``...), where ``lexdial.adapters.registry_port.IndexRegistry`` finds them.
"""

from __future__ import annotations

from lexdial.adapters.registry.index import (
    Freshness,
    Manifest,
    RegistryIndex,
    SourceFile,
    check_list_name,
    freshness,
    list_names,
    open_index,
)
from lexdial.adapters.registry.loader import apply_changes, load_full
from lexdial.adapters.registry.scrub import Summary, scrub_csv

__all__ = [
    "Freshness",
    "Manifest",
    "RegistryIndex",
    "SourceFile",
    "Summary",
    "apply_changes",
    "check_list_name",
    "freshness",
    "list_names",
    "load_full",
    "open_index",
    "scrub_csv",
]
