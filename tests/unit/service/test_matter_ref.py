"""The matter reference on the in-memory unit of work: an import column recognised by its
usual headers, checked per row, stored encrypted and indexed for the directory; the same
through ``add_contact``; read back decrypted on the contact's page and kept in the
directory's index when the contact is renamed."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from typing import cast

import pytest

from lexdial.domain.desk import name_tokens
from lexdial.errors import RequestError
from lexdial.service import imports
from lexdial.service.contact_view import contact_view
from lexdial.service.contacts import MATTER_REF_CTX, NewContact, add_contact
from lexdial.service.fakes import ListAudit, Reversible
from lexdial.service.fakes.inbox import MemoryInboxRepository
from lexdial.service.fakes.uow import MemoryUnitOfWork
from lexdial.service.name_index import REF, rename_contact, token
from lexdial.service.repos.calls import GateContact
from lexdial.service.repos.views import ContactRow
from lexdial.service.users import OPERATOR

NOW = datetime(2026, 12, 2, 15, 0, tzinfo=UTC)
CIPHER = Reversible()
REF_ = "2026-PI-0142"


def _table(header: list[str], *rows: list[str]) -> imports.Table:
    buf = io.StringIO()
    csv.writer(buf).writerows([header, *rows])
    return imports.read_csv(buf.getvalue().encode())


def _import(uow: MemoryUnitOfWork, table: imports.Table) -> imports.ImportReport:
    mapping = imports.resolve_mapping(table.headers)
    return imports.import_rows(uow, CIPHER, ListAudit(), 1, table, mapping, OPERATOR, NOW)


def _found_by_ref(uow: MemoryUnitOfWork, ref: str) -> list[int]:
    """The contacts holding every word of ``ref`` as a matter-ref token (what the
    directory's matter search asks the index)."""
    words = [token(CIPHER, REF, w) for w in name_tokens(ref)]
    return uow.desk.contacts_with_tokens(1, words, 10)


@pytest.mark.parametrize(
    "header",
    ["Matter ref", "Matter Reference", "Matter number", "Matter No.", "Case number",
     "Case Ref", "File number", "Matter", "matter_ref"],
)  # fmt: skip
def test_the_usual_matter_headers_map_to_the_matter_ref_and_the_phone_stays_the_number(
    header: str,
) -> None:
    mapping = imports.guess_mapping(["Phone", "Client name", header])
    assert mapping == {"number": "Phone", "name": "Client name", "matter_ref": header}


def test_a_matter_type_column_is_not_taken_for_the_ref() -> None:
    assert "matter_ref" not in imports.guess_mapping(["Phone", "Matter type"])


def test_an_imported_matter_ref_is_stored_encrypted_and_found_by_its_words() -> None:
    uow = MemoryUnitOfWork()
    table = _table(["Phone", "Name", "Case number"],
                   ["+1 614 555 0101", "Dana Quillfeather", REF_],
                   ["+1 614 555 0102", "Bo Brightwater", ""])  # fmt: skip
    assert _import(uow, table) == imports.ImportReport(created=2)
    dana, bo = cast(MemoryInboxRepository, uow.inbox).contacts
    assert REF_ not in str(dana)  # encrypted at rest
    assert CIPHER.decrypt(dana["matter_ref_enc"], context=MATTER_REF_CTX) == REF_
    assert bo["matter_ref_enc"] is None
    assert _found_by_ref(uow, REF_) == [dana["id"]]
    assert _found_by_ref(uow, "pi 0142") == [dana["id"]]
    assert _found_by_ref(uow, "Dana") == []  # a name word is not a matter word


@pytest.mark.parametrize(
    ("cell", "why"),
    [("x" * 101, "is longer than 100 characters"),
     ("2026-PI-0142\nsee notes", "holds a line break or control character")],
    ids=["too-long", "line-break"],
)  # fmt: skip
def test_a_bad_matter_ref_is_an_error_naming_the_row_and_field_and_nothing_is_written(
    cell: str, why: str
) -> None:
    uow = MemoryUnitOfWork()
    table = _table(["Phone", "Matter ref"], ["+1 614 555 0101", "ok-1"],
                   ["+1 614 555 0102", cell])  # fmt: skip
    report = _import(uow, table)
    (error,) = report.errors
    assert (error.row, error.field) == (3, "matter_ref") and error.why.startswith(why)
    assert cell not in str(error)  # an error never repeats a cell
    assert cast(MemoryInboxRepository, uow.inbox).contacts == []


def test_two_rows_of_one_number_with_different_matter_refs_are_refused() -> None:
    table = _table(["Phone", "Matter ref"], ["+1 614 555 0101", "A-1"],
                   ["(614) 555-0101", "A-2"])  # fmt: skip
    report = _import(MemoryUnitOfWork(), table)
    assert [(e.row, e.field) for e in report.errors] == [(3, "matter_ref")]


def test_the_preview_masks_the_matter_ref_like_a_name() -> None:
    table = _table(["Phone", "Matter ref"], ["+1 614 555 0101", REF_])
    (row,) = imports.preview(table, imports.resolve_mapping(table.headers))
    assert row["matter_ref"] == "2•••" and "0142" not in str(row)


def test_add_contact_stores_the_matter_ref_encrypted_and_indexed() -> None:
    uow = MemoryUnitOfWork()
    new = NewContact(numbers=(("+16145550101", None),), name="Ada", matter_ref=f"  {REF_} ")
    cid = add_contact(uow, CIPHER, 1, new, NOW, audit=ListAudit(), caller=OPERATOR)
    row = uow.contacts.contacts[cid]
    assert CIPHER.decrypt(row["matter_ref_enc"], context=MATTER_REF_CTX) == REF_
    assert _found_by_ref(uow, REF_) == [cid]


@pytest.mark.parametrize("ref", ["x" * 101, "A-1\tB"], ids=["too-long", "tab"])
def test_add_contact_refuses_a_bad_matter_ref_naming_the_field(ref: str) -> None:
    uow = MemoryUnitOfWork()
    new = NewContact(numbers=(("+16145550101", None),), matter_ref=ref)
    with pytest.raises(RequestError) as e:
        add_contact(uow, CIPHER, 1, new, NOW, audit=ListAudit(), caller=OPERATOR)
    assert e.value.field == "matter_ref"
    assert uow.contacts.contacts == {}


def test_a_blank_matter_ref_is_stored_as_none() -> None:
    uow = MemoryUnitOfWork()
    new = NewContact(numbers=(("+16145550101", None),), matter_ref="   ")
    cid = add_contact(uow, CIPHER, 1, new, NOW, audit=ListAudit(), caller=OPERATOR)
    assert uow.contacts.contacts[cid]["matter_ref_enc"] is None


def _stored(uow: MemoryUnitOfWork, cid: int, ref: str | None) -> None:
    enc = CIPHER.encrypt(ref, context=MATTER_REF_CTX) if ref else None
    row = ContactRow(cid, CIPHER.encrypt("Ada Lovelace", context="contacts.name"), "none",
                     None, "probate", None, None, None, NOW, enc)  # fmt: skip
    uow.views.contact_rows.append((1, row))


def test_the_contact_page_shows_the_matter_ref_decrypted() -> None:
    uow = MemoryUnitOfWork()
    _stored(uow, 7, REF_)
    _stored(uow, 8, None)
    assert contact_view(uow, CIPHER, 1, 7).matter_ref == REF_
    assert contact_view(uow, CIPHER, 1, 8).matter_ref is None


def test_a_renamed_contact_is_still_found_by_its_matter_ref() -> None:
    uow = MemoryUnitOfWork()
    _stored(uow, 7, REF_)
    uow.attempts.contacts[7] = GateContact(firm_id=1, relationship="none", matter_type="probate")
    rename_contact(uow, CIPHER, 7, "Ada King")
    assert _found_by_ref(uow, REF_) == [7]
    assert uow.desk.contacts_with_tokens(1, [token(CIPHER, "n:", "king")], 10) == [7]
