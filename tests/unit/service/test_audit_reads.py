"""Which audit entries a firm reads, over the in-memory unit of work: its own rows' entries and
the shared registry loads, newest first, never another firm's, however far back they lie."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from lexdial.service import audit_reads
from lexdial.service.audit_reads import firm_entries
from lexdial.service.fakes.uow import MemoryUnitOfWork

T0 = datetime(2026, 12, 2, 15, 0, tzinfo=UTC)


def _entry(seq: int, subject: str) -> dict[str, Any]:
    return {
        "seq": seq,
        "at": T0 + timedelta(minutes=seq),
        "actor": "system:lexdial",
        "action": "consent.recorded",
        "subject": subject,
    }


def _uow(subjects: list[str], owners: dict[tuple[str, int], int]) -> MemoryUnitOfWork:
    uow = MemoryUnitOfWork()
    uow.audit_log.entries.extend(_entry(i + 1, s) for i, s in enumerate(subjects))
    uow.audit_log.owners.update(owners)
    return uow


def test_a_firm_reads_its_own_rows_entries_and_the_registry_loads_newest_first() -> None:
    uow = _uow(
        ["contact:1", "contact:2", "registry:7", "token:5", "consent:9", "campaign:x"],
        {("contact", 1): 1, ("contact", 2): 2, ("token", 5): 1, ("consent", 9): 2},
    )
    assert [e["subject"] for e in firm_entries(uow, 1)] == ["token:5", "registry:7", "contact:1"]
    assert [e["subject"] for e in firm_entries(uow, 2)] == ["consent:9", "registry:7", "contact:2"]


def test_an_unknown_kind_or_a_subject_without_a_numeric_id_is_nobodys() -> None:
    uow = _uow(["mystery:1", "contact:abc", "system:lexdial"], {("mystery", 1): 1})
    assert firm_entries(uow, 1) == []


def test_the_latest_entries_are_found_past_pages_of_another_firms(monkeypatch: Any) -> None:
    monkeypatch.setattr(audit_reads, "_PAGE", 3)
    subjects = ["contact:1", "contact:3"] + ["contact:2"] * 7
    uow = _uow(subjects, {("contact", 1): 1, ("contact", 2): 2, ("contact", 3): 1})
    found = firm_entries(uow, 1, limit=5)
    assert [(e["seq"], e["subject"]) for e in found] == [(2, "contact:3"), (1, "contact:1")]


def test_at_most_limit_entries_are_returned() -> None:
    uow = _uow([f"contact:{i}" for i in range(1, 11)], {("contact", i): 1 for i in range(1, 11)})
    assert [e["seq"] for e in firm_entries(uow, 1, limit=4)] == [10, 9, 8, 7]
