"""What the command line asks of the store that used to be SQL in its modules: the
registry snapshot a load records, and the firm's contacts ``campaign add --all`` lists;
on the in-memory fakes, no database."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from lexdial.errors import PermissionDeniedError
from lexdial.service.fakes import ListAudit
from lexdial.service.fakes.campaigns import MemoryReportRepository
from lexdial.service.fakes.uow import MemoryUnitOfWork
from lexdial.service.fakes.views import MemoryViewRepository
from lexdial.service.registry_snapshots import record_snapshot
from lexdial.service.users import OPERATOR, Caller

AT = datetime(2026, 12, 1, 15, tzinfo=UTC)
MANIFEST = {
    "format": "lexdial-registry-1",
    "list_name": "us-national",
    "snapshot_on": "2026-11-30",
    "count": 2,
    "sources": [],
}


def test_a_loaded_snapshot_is_kept_with_its_manifest_digest_and_audited() -> None:
    uow, audit = MemoryUnitOfWork(), ListAudit()
    sid = record_snapshot(uow, audit, MANIFEST, OPERATOR, AT)
    reports = uow.reports
    assert isinstance(reports, MemoryReportRepository)
    (kept,) = reports.snapshots
    assert (kept.list_name, kept.snapshot_on, kept.count, kept.loaded_at) == (
        "us-national",
        date(2026, 11, 30),
        2,
        AT,
    )
    assert len(kept.manifest_sha256) == 64
    (entry,) = audit.entries
    assert (entry["action"], entry["subject"], entry["actor"]) == (
        "registry.loaded",
        f"registry:{sid}",
        "cli:operator",
    )
    assert entry["data"]["manifest_sha256"] == kept.manifest_sha256


def test_the_same_manifest_always_gives_the_same_digest() -> None:
    digests = []
    for _ in range(2):
        uow = MemoryUnitOfWork()
        record_snapshot(uow, ListAudit(), dict(reversed(MANIFEST.items())), OPERATOR, AT)
        assert isinstance(uow.reports, MemoryReportRepository)
        digests.append(uow.reports.snapshots[0].manifest_sha256)
    assert digests[0] == digests[1]


def test_a_role_that_may_not_load_registries_records_nothing() -> None:
    uow, audit = MemoryUnitOfWork(), ListAudit()
    with pytest.raises(PermissionDeniedError):
        record_snapshot(uow, audit, MANIFEST, Caller("cli:agent", "agent"), AT)
    assert isinstance(uow.reports, MemoryReportRepository)
    assert uow.reports.snapshots == [] and audit.entries == []


def test_all_contacts_of_a_firm_are_its_own_not_erased_in_id_order() -> None:
    views = MemoryViewRepository()
    views.live_contact_rows += [(1, 5, False), (1, 2, False), (1, 3, True), (2, 4, False)]
    assert views.live_contact_ids(1) == [2, 5]
    assert views.live_contact_ids(3) == []
