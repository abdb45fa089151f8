"""Which firm a store acts for, on the in-memory unit of work (``service.firms``)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from lexdial.errors import ConfigError
from lexdial.service.fakes import ListAudit
from lexdial.service.fakes.uow import MemoryUnitOfWork
from lexdial.service.firms import add_firm, resolve_firm

NOW = datetime(2026, 12, 2, 16, 0, tzinfo=UTC)


def _resolve(uow: MemoryUnitOfWork, audit: ListAudit, name: str, firm_id: int | None = None) -> int:
    return resolve_firm(uow, audit, name=name, firm_id=firm_id, at=NOW, actor="settings:test")


def test_an_empty_store_gets_the_named_firm_audited() -> None:
    uow, audit = MemoryUnitOfWork(), ListAudit()
    assert _resolve(uow, audit, "Hartwell & Ruiz LLP") == 1
    assert uow.firms.rows == {1: "Hartwell & Ruiz LLP"}
    assert [(e["action"], e["data"]) for e in audit.entries] == [
        ("firm.created", {"name": "Hartwell & Ruiz LLP"})
    ]


def test_a_new_name_renames_the_only_firm_instead_of_adding_an_empty_one() -> None:
    uow, audit = MemoryUnitOfWork(), ListAudit()
    uow.firms.rows[1] = "Old Name LLP"
    assert _resolve(uow, audit, "New Name LLP") == 1
    assert uow.firms.rows == {1: "New Name LLP"}
    assert audit.entries[0]["action"] == "firm.renamed"
    assert audit.entries[0]["data"] == {"from": "Old Name LLP", "to": "New Name LLP"}
    assert _resolve(uow, ListAudit(), "New Name LLP") == 1  # unchanged: nothing audited


def test_with_several_firms_a_name_is_found_and_an_unknown_one_is_refused_not_guessed() -> None:
    uow, audit = MemoryUnitOfWork(), ListAudit()
    uow.firms.rows.update({1: "First LLP", 2: "Second PLLC"})
    assert _resolve(uow, audit, "Second PLLC") == 2
    with pytest.raises(ConfigError, match=r"#1 'First LLP', #2 'Second PLLC'"):
        _resolve(uow, audit, "Third LLP")
    assert audit.entries == [] and len(uow.firms.rows) == 2


def test_a_firm_named_by_id_is_renamed_unless_the_name_is_another_firms() -> None:
    uow, audit = MemoryUnitOfWork(), ListAudit()
    uow.firms.rows.update({1: "First LLP", 2: "Second PLLC"})
    assert _resolve(uow, audit, "Second Renamed", firm_id=2) == 2
    assert uow.firms.rows[2] == "Second Renamed"
    with pytest.raises(ConfigError, match="already firm #1"):
        _resolve(uow, audit, "First LLP", firm_id=2)
    with pytest.raises(ConfigError, match="no such firm"):
        _resolve(uow, audit, "First LLP", firm_id=9)


def test_adding_a_firm_is_audited() -> None:
    uow, audit = MemoryUnitOfWork(), ListAudit()
    uow.firms.rows[1] = "First LLP"
    second = add_firm(uow, audit, "Other Firm PLLC", NOW, "test")
    assert second == 2 and uow.firms.names() == {1: "First LLP", 2: "Other Firm PLLC"}
    assert audit.entries[0]["subject"] == "firm:2"
