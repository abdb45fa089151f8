"""The do-not-call registers: the port the gate reads, the copies loaded in a data folder
(their ages), loading and updating a list, and scrubbing a contacts file against one.

Each function imports its adapter when first called, so ``lexdial --help`` stays fast.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from lexdial.adapters.registry.index import Manifest, RegistryIndex
    from lexdial.adapters.registry.scrub import Summary as ScrubSummary
    from lexdial.domain.directory import RegistryList
    from lexdial.service.ports import Registry


def open_registry(directory: Path) -> Registry:
    """The do-not-call registers loaded under ``directory`` (none: every lookup unknown)."""
    from lexdial.adapters.registry_port import IndexRegistry

    return IndexRegistry(directory)


def registry_lists(data_folder: Path, today: date) -> list[RegistryList]:
    """Every registry copy loaded under ``data_folder``/registry, with its age on ``today``
    (the CLI's ``registry status``, the API's /v1/registry, the compliance page)."""
    from lexdial.adapters.registry.index import freshness, list_names, open_index
    from lexdial.domain.directory import RegistryList

    root = data_folder / "registry"
    out = []
    for name in list_names(root):
        m = open_index(root / name).manifest
        fresh = freshness(name, m.snapshot_on, today)
        out.append(
            RegistryList(
                list=name,
                count=m.count,
                snapshot_on=m.snapshot_on,
                age_days=fresh.age_days,
                max_age_days=fresh.max_age_days,
                stale=fresh.stale,
                loaded_at=m.loaded_at,
                kind=m.kind,
                form=m.form,
            )
        )
    return out


def registry_list_name(name: str) -> str:
    """``name`` if it is a list lexdial knows (us-national, us-state-XX, uk-tps, uk-ctps)."""
    from lexdial.adapters.registry.index import check_list_name

    return check_list_name(name)


def load_registry(
    root: Path,
    name: str,
    paths: Sequence[Path],
    *,
    snapshot_on: date,
    loaded_at: datetime,
    on_progress: Callable[[int, int | None], None] | None = None,
) -> Manifest:
    """Load a whole registry list into ``root/name`` (replacing the snapshot there)."""
    from lexdial.adapters.registry.loader import load_full

    return load_full(
        root, name, paths, snapshot_on=snapshot_on, loaded_at=loaded_at, on_progress=on_progress
    )


def apply_registry_changes(
    root: Path,
    name: str,
    additions: Sequence[Path],
    deletions: Sequence[Path],
    *,
    snapshot_on: date,
    loaded_at: datetime,
    on_progress: Callable[[int, int | None], None] | None = None,
) -> Manifest:
    """Apply change lists to the snapshot in ``root/name``."""
    from lexdial.adapters.registry.loader import apply_changes

    return apply_changes(
        root,
        name,
        additions,
        deletions,
        snapshot_on=snapshot_on,
        loaded_at=loaded_at,
        on_progress=on_progress,
    )


def registry_index(list_dir: Path) -> RegistryIndex:
    """The current snapshot of the list stored in ``list_dir``, to check numbers against."""
    from lexdial.adapters.registry.index import open_index

    return open_index(list_dir)


def scrub_file(
    contacts: Path,
    out: Path,
    index: RegistryIndex,
    *,
    today: date,
    column: str | None = None,
    on_progress: Callable[[int, int | None], None] | None = None,
) -> ScrubSummary:
    """Check every row of a contacts CSV against a list's ``index``; write the verdicts
    to ``out`` and return the summary."""
    from lexdial.adapters.registry.scrub import scrub_csv

    return scrub_csv(contacts, out, index, today=today, column=column, on_progress=on_progress)
