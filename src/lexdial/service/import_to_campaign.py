"""An import that also fills a campaign's list: every row or none, then its people listed.

Rule: both steps share the caller's transaction, so a file with a bad row changes nothing
and a campaign that refuses contacts (stopped, completed) leaves no half-import behind.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from lexdial.service import contacts, imports
from lexdial.service.campaigns import add_contacts
from lexdial.service.ports import Audit, Cipher
from lexdial.service.storage import UnitOfWork
from lexdial.service.users import Caller


def import_onto_campaign(
    uow: UnitOfWork,
    cipher: Cipher,
    audit: Audit,
    firm_id: int,
    table: imports.Table,
    mapping: Mapping[str, str],
    caller: Caller,
    at: datetime,
    campaign_id: int | None,
) -> tuple[imports.ImportReport, int]:
    """Import the rows (``imports.import_rows``); if they all came in and a campaign is
    named, put their contacts on its list. The report, and how many were newly listed."""
    report = imports.import_rows(uow, cipher, audit, firm_id, table, mapping, caller, at)
    if report.errors or campaign_id is None:
        return report, 0
    ids = []
    for number in table_numbers(table, mapping):
        found = contacts.find_contact_id(uow, firm_id, contacts.number_index(cipher, number))
        if found is not None:
            ids.append(found)
    added = add_contacts(uow, audit, firm_id, campaign_id, ids, caller, at)
    return report, added


def table_numbers(table: imports.Table, mapping: Mapping[str, str]) -> list[str]:
    """The E.164 of every row's number, read as the import reads it (country, else US)."""
    number = table.headers.index(mapping["number"])
    country = table.headers.index(mapping["country"]) if "country" in mapping else None
    out = []
    for _, cells in table.rows:
        region = (
            cells[country].upper() if country is not None and country < len(cells) else ""
        ) or "US"
        out.append(contacts.normalise(cells[number], region=region))
    return list(dict.fromkeys(out))
