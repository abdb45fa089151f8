"""The firm's disposition list: seeded with the default list on first read, edited by
admins and managers only (audited), codes retired never deleted, and the verbal-revocation
code never retired; one firm's list is not another's."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from lexdial.errors import NotFoundError, PermissionDeniedError, RequestError
from lexdial.service import dispositions
from lexdial.service.fakes import ListAudit
from lexdial.service.fakes.uow import MemoryUnitOfWork
from lexdial.service.users import Caller

NOW = datetime(2026, 12, 2, 16, 0, tzinfo=UTC)


def _people() -> tuple[MemoryUnitOfWork, ListAudit, Caller, Caller, Caller]:
    uow = MemoryUnitOfWork()
    manager = Caller.user(uow.users.add(1, "m@firm.test", "n", "manager", NOW))
    agent = Caller.user(uow.users.add(1, "a@firm.test", "n", "agent", NOW))
    stranger = Caller.user(uow.users.add(2, "s@other.test", "n", "admin", NOW))
    return uow, ListAudit(), manager, agent, stranger


def test_a_new_firm_reads_the_default_list_once_seeded() -> None:
    uow, _, _, agent, _ = _people()
    first = dispositions.codes(uow, agent, firm_id=1)
    assert [c.code for c in first][:2] == ["reached", "left_message"]
    assert "asked_not_to_call" in {c.code for c in first}
    assert [c.code for c in first if c.is_callback] == ["callback_requested"]
    assert dispositions.codes(uow, agent, firm_id=1) == first
    assert len(uow.desk.codes) == len(first)


def test_a_manager_adds_and_retires_codes_and_each_change_is_audited() -> None:
    uow, audit, manager, agent, _ = _people()
    added = dispositions.add_code(uow, audit, manager, firm_id=1, code="paid_in_full",
                                  label="Paid in full", is_callback=False, at=NOW)  # fmt: skip
    assert added.sort_order > max(c.sort_order for c in uow.desk.codes if c.code != "paid_in_full")
    dispositions.set_active(uow, audit, manager, firm_id=1, code="paid_in_full", active=False,
                            at=NOW)  # fmt: skip
    active = dispositions.codes(uow, agent, firm_id=1, active_only=True)
    assert "paid_in_full" not in {c.code for c in active}
    assert "paid_in_full" in {c.code for c in dispositions.codes(uow, agent, firm_id=1)}
    assert [e["action"] for e in audit.entries] == ["disposition.added", "disposition.retired"]


@pytest.mark.parametrize(
    ("code", "label", "field"),
    [("Bad Code", "x", "code"), ("x", "x", "code"), ("reached", "Again", "code"),
     ("fine_code", "", "label"), ("fine_code", "two\nlines", "label")],
)  # fmt: skip
def test_a_malformed_or_repeated_code_is_refused_naming_the_field(
    code: str, label: str, field: str
) -> None:
    uow, audit, manager, _, _ = _people()
    with pytest.raises(RequestError) as e:
        dispositions.add_code(uow, audit, manager, firm_id=1, code=code, label=label,
                              is_callback=False, at=NOW)  # fmt: skip
    assert e.value.field == field


def test_the_verbal_revocation_code_cannot_be_retired_and_unknown_codes_are_not_found() -> None:
    uow, audit, manager, _, _ = _people()
    with pytest.raises(RequestError, match=r"64\.1200\(a\)\(10\)"):
        dispositions.set_active(uow, audit, manager, firm_id=1, code="asked_not_to_call",
                                active=False, at=NOW)  # fmt: skip
    with pytest.raises(NotFoundError):
        dispositions.set_active(uow, audit, manager, firm_id=1, code="nope", active=False, at=NOW)


def test_an_agent_or_another_firms_admin_may_not_edit_the_list() -> None:
    uow, audit, _, agent, stranger = _people()
    for who in (agent, stranger):
        with pytest.raises(PermissionDeniedError):
            dispositions.add_code(uow, audit, who, firm_id=1, code="x_code", label="X",
                                  is_callback=False, at=NOW)  # fmt: skip
    assert audit.entries == []
