"""A user's name is refused for the same characters as a contact's (a bidi override or
isolate, a control character), by the one check (``domain.person_names``), naming the field
and never quoting the name; names in any script are kept."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from tests.unit.service.test_contact_names import FINE, SPOOFED

from lexdial.errors import RequestError
from lexdial.service.fakes import ListAudit, Reversible
from lexdial.service.fakes.uow import MemoryUnitOfWork
from lexdial.service.users import OPERATOR, add_user

NOW = datetime(2026, 12, 2, 15, 0, tzinfo=UTC)
CIPHER = Reversible()


def _add(uow: MemoryUnitOfWork, name: str, audit: ListAudit | None = None) -> int:
    return add_user(uow, CIPHER, 1, "ana@firm.test", name, "agent", NOW,
                    audit=audit or ListAudit(), caller=OPERATOR)  # fmt: skip


@pytest.mark.parametrize("name", [*SPOOFED, pytest.param("   ", id="blank")])
def test_add_user_refuses_a_name_that_reorders_or_breaks_the_text_naming_the_field(
    name: str,
) -> None:
    uow, audit = MemoryUnitOfWork(), ListAudit()
    with pytest.raises(RequestError) as refused:
        _add(uow, name, audit)
    assert refused.value.field == "name" and name not in str(refused.value)
    assert not uow.users.email_taken("ana@firm.test") and audit.entries == []


@pytest.mark.parametrize("name", FINE)
def test_a_user_name_in_any_script_with_the_marks_it_needs_is_kept(name: str) -> None:
    uow = MemoryUnitOfWork()
    _add(uow, name)
    assert uow.users.email_taken("ana@firm.test")
