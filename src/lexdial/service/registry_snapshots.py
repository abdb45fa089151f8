"""Which registry copy a call was scrubbed against: each loaded snapshot of a do-not-call
list is kept in the evidence store and on the audit trail (``registry load``)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from lexdial.service.ports import Audit
from lexdial.service.repos.campaigns import Snapshot
from lexdial.service.storage import UnitOfWork
from lexdial.service.users import Caller, authorize


def record_snapshot(
    uow: UnitOfWork,
    audit: Audit,
    manifest: Mapping[str, Any],
    caller: Caller,
    at: datetime,
) -> int:
    """Keep the snapshot a loader's ``manifest`` (its JSON form) describes: list, date,
    count and the manifest's digest, audited as ``registry.loaded``; the snapshot's id.
    A lawyer must show which registry copy a call was scrubbed against."""
    actor = authorize(uow, caller, "registry.write")
    digest = hashlib.sha256(json.dumps(manifest, sort_keys=True, default=str).encode()).hexdigest()
    snapshot_on = manifest["snapshot_on"]
    snapshot = Snapshot(
        list_name=str(manifest["list_name"]),
        snapshot_on=snapshot_on
        if isinstance(snapshot_on, date)
        else date.fromisoformat(snapshot_on),
        loaded_at=at,
        count=int(manifest["count"]),
        manifest_sha256=digest,
    )
    sid = uow.reports.add_registry_snapshot(snapshot)
    audit.record(
        uow,
        at=at,
        actor=actor,
        action="registry.loaded",
        subject=f"registry:{sid}",
        data={
            "list": snapshot.list_name,
            "count": snapshot.count,
            "snapshot_on": str(snapshot.snapshot_on),
            "manifest_sha256": digest,
        },
    )
    return sid
