"""A contact file imported through the in-memory unit of work: contacts, numbers and
consents written in bulk and audited; any bad row and nothing is written."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from typing import cast

from lexdial.service import imports
from lexdial.service.contacts import number_index
from lexdial.service.fakes import ListAudit, Reversible
from lexdial.service.fakes.inbox import MemoryInboxRepository
from lexdial.service.fakes.uow import memory_uow
from lexdial.service.imports import RowError
from lexdial.service.storage import UnitOfWork
from lexdial.service.users import OPERATOR

NOW = datetime(2026, 12, 2, 15, 0, tzinfo=UTC)
HEADER = [
    "Phone", "Client Name", "State", "Line Type", "Relationship", "Consent Type", "Purposes",
    "Consent Date", "Method", "Disclosure", "Disclosure Version", "Captured By", "Seller",
]  # fmt: skip
CONSENT = [
    "express", "reminder,notification", "2026-06-01T12:00:00Z", "engagement letter",
    "You agree we may call you.", "v3", "intake:jdoe", "Hartwell & Ruiz LLP",
]  # fmt: skip
DANA = ["+1 614 555 0101", "Dana Quillfeather", "OH", "wireless", "current client", *CONSENT]
BO = ["(614) 555-0102", "Bo Brightwater", "OH", "landline", "prospect", *[""] * 8]


def _table(*rows: list[str]) -> imports.Table:
    buf = io.StringIO()
    csv.writer(buf).writerows([HEADER, *rows])
    return imports.read_csv(buf.getvalue().encode())


def _import(uow: UnitOfWork, table: imports.Table, audit: ListAudit) -> imports.ImportReport:
    mapping = imports.resolve_mapping(table.headers)
    return imports.import_rows(uow, Reversible(), audit, 1, table, mapping, OPERATOR, NOW)


def _store(uow: UnitOfWork) -> MemoryInboxRepository:
    return cast(MemoryInboxRepository, uow.inbox)


def test_an_import_writes_the_contacts_their_numbers_and_consents_and_audits_each() -> None:
    uow, audit = memory_uow(), ListAudit()
    report = _import(uow, _table(DANA, BO, DANA), audit)
    assert report == imports.ImportReport(created=2, consents_added=1, consents_existing=1)
    store = _store(uow)
    assert [c["id"] for c in store.contacts] == [1, 2]
    assert "Dana" not in str(store.contacts)  # names are encrypted
    numbers = {n["number_bidx"]: n["contact_id"] for n in store.contact_numbers}
    assert numbers == {number_index(Reversible(), "+16145550101"): 1,
                       number_index(Reversible(), "+16145550102"): 2}  # fmt: skip
    (consent,) = store.consents
    assert consent["contact_id"] == 1 and consent["scope"] == ["notification", "reminder"]
    actions = [e["action"] for e in audit.entries]
    assert actions == ["contact.created", "contact.created", "consent.recorded",
                       "contacts.imported"]  # fmt: skip
    assert store.bulk_imports == 1


def test_importing_the_same_file_again_changes_nothing() -> None:
    uow = memory_uow()
    _import(uow, _table(DANA, BO), ListAudit())
    again = _import(uow, _table(DANA, BO), ListAudit())
    assert again == imports.ImportReport(existing=2, consents_existing=1)
    store = _store(uow)
    assert (len(store.contacts), len(store.contact_numbers), len(store.consents)) == (2, 2, 1)


def test_bad_rows_are_reported_by_row_number_and_nothing_is_written() -> None:
    uow, audit = memory_uow(), ListAudit()
    no_number = ["", *DANA[1:]]
    bad_date = ["+1 614 555 0103", *DANA[1:7], "yesterday", *DANA[8:]]
    report = _import(uow, _table(DANA, no_number, BO, bad_date), audit)
    assert report.errors == (
        RowError(3, "number", "is empty; every row needs a telephone number"),
        RowError(5, "consent_given_at", "is not an ISO 8601 date-time; write it as "
                 "2025-03-14T09:30:00-04:00 (the offset it was given in, or Z for UTC)"),
    )
    assert "yesterday" not in str(report.errors)
    store = _store(uow)
    assert store.contacts == store.contact_numbers == store.consents == []
    assert audit.entries == []


def test_an_erased_persons_number_is_refused_by_check_and_by_the_import() -> None:
    uow, audit = memory_uow(), ListAudit()
    _store(uow).tombstones.add((1, number_index(Reversible(), "+16145550102")))
    table = _table(DANA, BO)
    mapping = imports.resolve_mapping(table.headers)
    refused = [RowError(3, "number", imports._ERASED)]
    assert imports.check(uow, Reversible(), 1, table, mapping) == refused
    assert list(_import(uow, table, audit).errors) == refused
    assert _store(uow).contacts == [] and audit.entries == []


def test_a_foreign_postcode_is_stored_as_the_postcode_the_gate_reads() -> None:
    import json

    uow, audit = memory_uow(), ListAudit()
    buf = io.StringIO()
    csv.writer(buf).writerows([["Phone", "Country", "Zip"], ["+44 20 7946 0958", "GB", "SW1A 1AA"]])
    table = imports.read_csv(buf.getvalue().encode())
    report = _import(uow, table, audit)
    assert report.created == 1 and not report.errors
    (contact,) = _store(uow).contacts
    stored = Reversible().decrypt(contact["address_enc"], context="contacts.address")
    assert json.loads(stored) == {"country": "GB", "postcode": "SW1A 1AA"}
