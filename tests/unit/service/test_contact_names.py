"""A person's name may hold any script, but not a character that reorders the text shown
around it (a bidi override or isolate) nor a control character: the same refusal through
``add_contact``, the import and the CRM webhook (``contacts.name_problem``)."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from typing import cast

import pytest

from lexdial.errors import RequestError
from lexdial.service import imports
from lexdial.service.contacts import NewContact, add_contact
from lexdial.service.fakes import ListAudit, Reversible
from lexdial.service.fakes.inbox import MemoryInboxRepository
from lexdial.service.fakes.uow import MemoryUnitOfWork
from lexdial.service.inbound import crm_contact
from lexdial.service.users import OPERATOR

NOW = datetime(2026, 12, 2, 15, 0, tzinfo=UTC)
CIPHER = Reversible()
SPOOFED = [
    pytest.param("Dana \u202eCCL nosliW", id="right-to-left-override"),
    pytest.param("Dana \u2067Wilson\u2069", id="isolate"),
    pytest.param("Dana\nWilson", id="line-break"),
    pytest.param("Dana\x00", id="nul"),
]
FINE = [
    pytest.param("Zoë Łukasiewicz-Ó'Brien", id="latin-marks"),
    pytest.param("李小龍", id="cjk"),
    pytest.param("\u05d3\u05e0\u05d4 \u200fכהן", id="hebrew-with-a-direction-mark"),
    pytest.param("\u0d28\u0d3f\u0d24\u0d4d\u200d\u0d2f", id="malayalam-with-a-joiner"),
]


def _add(name: str) -> tuple[MemoryUnitOfWork, int]:
    uow = MemoryUnitOfWork()
    new = NewContact(numbers=(("+16145550101", None),), name=name)
    return uow, add_contact(uow, CIPHER, 1, new, NOW, audit=ListAudit(), caller=OPERATOR)


@pytest.mark.parametrize("name", SPOOFED)
def test_add_contact_refuses_a_name_that_reorders_or_breaks_the_text_naming_the_field(
    name: str,
) -> None:
    with pytest.raises(RequestError) as refused:
        _add(name)
    assert refused.value.field == "name" and name not in str(refused.value)


@pytest.mark.parametrize("name", FINE)
def test_a_name_in_any_script_with_the_marks_it_needs_is_kept(name: str) -> None:
    uow, cid = _add(name)
    assert CIPHER.decrypt(uow.contacts.contacts[cid]["name_enc"], context="contacts.name") == name


@pytest.mark.parametrize("name", SPOOFED[:2])
def test_an_import_row_with_such_a_name_is_an_error_naming_row_and_field(name: str) -> None:
    buf = io.StringIO()
    csv.writer(buf).writerows([["Phone", "Name"], ["+1 614 555 0101", "Ada"],
                               ["+1 614 555 0102", name]])  # fmt: skip
    table = imports.read_csv(buf.getvalue().encode())
    uow = MemoryUnitOfWork()
    report = imports.import_rows(
        uow, CIPHER, ListAudit(), 1, table, imports.resolve_mapping(table.headers), OPERATOR, NOW
    )
    (error,) = report.errors
    assert (error.row, error.field) == (3, "name") and name not in str(error)
    assert cast(MemoryInboxRepository, uow.inbox).contacts == []


def test_a_crm_contact_with_such_a_name_is_refused_before_it_creates_or_renames_anyone() -> None:
    payload = {"data": {"id": 7, "name": "Dana \u202eCCL", "phone_numbers": [
        {"number": "+16145550101"}]}}  # fmt: skip
    with pytest.raises(RequestError) as refused:
        crm_contact(payload["data"])
    assert refused.value.field == "data.name"
