"""Contacts: a person, their numbers and address, stored encrypted and found by blind index.

Rule 1: a number enters the store only as E.164, encrypted, with its blind index; every
lookup by number goes through the blind index.
Rule 2: a number whose erasure tombstone exists is refused: an erased person must not be
re-imported and called (GDPR Art. 17 practice, catalogue G5).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from datetime import date, datetime
from functools import lru_cache
from typing import Any

from lexdial.domain.decision import (
    LAWFUL_BASES,
    LINE_TYPES,
    MATTER_TYPES,
    PURPOSES,
    RELATIONSHIPS,
    SUBSCRIBERS,
)
from lexdial.domain.numbers import parse_number
from lexdial.domain.person_names import name_problem as name_problem
from lexdial.domain.request_parse import check_address
from lexdial.errors import RequestError
from lexdial.service.name_index import index_contact
from lexdial.service.ports import Audit, Cipher
from lexdial.service.storage import UnitOfWork
from lexdial.service.users import Caller, authorize

NUMBER_CTX = "contact_numbers.number"
MATTER_REF_CTX = "contacts.matter_ref"
#: a firm's matter or case number is short; a longer cell is a note or a pasted paragraph
MATTER_REF_MAX = 100


def normalise(number: str, region: str = "US", field: str = "number") -> str:
    """E.164 of a number as a person writes it; a clear error naming ``field`` if not."""
    parsed = parse_number(number, region)
    if not parsed.valid:
        raise RequestError(field, "is not a valid, dialable telephone number")
    return parsed.e164


def number_index(cipher: Cipher, e164: str) -> str:
    return cipher.blind_index(e164, kind="number")


@dataclass(frozen=True, slots=True)
class NewContact:
    """What an import or a staff member gives us about a person."""

    numbers: tuple[tuple[str, str | None], ...]  # (number, line type)
    name: str | None = None
    address: dict[str, str] | None = None
    relationship: str = "none"
    last_transaction_on: date | None = None
    inquiry_on: date | None = None
    subscriber: str | None = None
    matter_type: str | None = None
    lawful_basis: Any = None
    #: the firm's matter/case number (personal data: stored encrypted, found by its words)
    matter_ref: str | None = None


def matter_ref_problem(value: str) -> str | None:
    """Why ``value`` cannot be a matter ref, or None; the reason never quotes the value
    (an import error must not repeat a cell). Shared by ``add_contact`` and the import so
    both refuse the same refs."""
    if len(value) > MATTER_REF_MAX:
        return f"is longer than {MATTER_REF_MAX} characters"
    if not value.isprintable():
        return "holds a line break or control character; give the matter number alone"
    return None


def add_contact(
    uow: UnitOfWork,
    cipher: Cipher,
    firm_id: int,
    new: NewContact,
    at: datetime,
    *,
    audit: Audit,
    caller: Caller,
) -> int:
    """Insert a contact and its numbers; refuses erased or already-known numbers.

    The contact service audits the creation itself, whoever calls it (command line, API,
    import, CRM webhook, public form), so no face can create a person off the record.
    """
    actor = authorize(uow, caller, "contact.write")
    if not new.numbers:
        raise RequestError("numbers", "at least one telephone number is required")
    if new.relationship not in RELATIONSHIPS:
        raise RequestError("relationship", "must be one of " + ", ".join(sorted(RELATIONSHIPS)))
    if new.subscriber is not None and new.subscriber not in SUBSCRIBERS:
        raise RequestError("subscriber", "must be 'consumer' or 'business'")
    if new.matter_type is not None and new.matter_type not in MATTER_TYPES:
        raise RequestError("matter_type", "must be one of " + ", ".join(sorted(MATTER_TYPES)))
    _check_basis(new.lawful_basis)
    if new.address:
        # stored as given, it would make every later decision about this person an error
        check_address(new.address)
    if new.name is not None and (why := name_problem(new.name)):
        raise RequestError("name", why)
    new = replace(new, matter_ref=(new.matter_ref or "").strip() or None)
    if new.matter_ref is not None and (why := matter_ref_problem(new.matter_ref)):
        raise RequestError("matter_ref", why)
    rows = []
    for i, (raw, line_type) in enumerate(new.numbers):
        e164 = normalise(raw, field=f"numbers[{i}]")
        if line_type is not None and line_type not in LINE_TYPES:
            raise RequestError(
                f"numbers[{i}].line_type", "must be one of " + ", ".join(sorted(LINE_TYPES))
            )
        bidx = number_index(cipher, e164)
        if uow.suppression.erased(firm_id, bidx):
            raise RequestError(
                f"numbers[{i}]",
                "belongs to a person whose data was erased; it may not be imported again",
            )
        if find_contact_id(uow, firm_id, bidx) is not None:
            raise RequestError(f"numbers[{i}]", "is already on file for another contact")
        rows.append((e164, bidx, line_type))
    contact_id = uow.contacts.add(contact_row(cipher, firm_id, new, at))
    # (for desk) the directory finds the person by the words of their name and matter
    index_contact(uow, cipher, firm_id, int(contact_id), new.name, new.matter_type, new.matter_ref)
    for i, (e164, bidx, line_type) in enumerate(rows):
        uow.contacts.add_number(
            number_row(cipher, firm_id, contact_id, e164, bidx, line_type, i == 0, at)
        )
    audit.record(
        uow,
        at=at,
        actor=actor,
        action="contact.created",
        subject=f"contact:{contact_id}",
        data={"numbers": len(rows), "relationship": new.relationship},
    )
    return int(contact_id)


def contact_row(cipher: Cipher, firm_id: int, new: NewContact, at: datetime) -> dict[str, Any]:
    """The ``contacts`` row of ``new`` (name, address and matter ref encrypted): built in
    one place for ``add_contact`` and the bulk import."""
    return {
        "firm_id": firm_id,
        "name_enc": cipher.encrypt(new.name, context="contacts.name") if new.name else None,
        "address_enc": cipher.encrypt(_address_json(new.address), context="contacts.address")
        if new.address
        else None,
        "relationship": new.relationship,
        "last_transaction_on": new.last_transaction_on,
        "inquiry_on": new.inquiry_on,
        "subscriber": new.subscriber,
        "matter_type": new.matter_type,
        "lawful_basis": new.lawful_basis,
        "matter_ref_enc": cipher.encrypt(new.matter_ref, context=MATTER_REF_CTX)
        if new.matter_ref
        else None,
        "created_at": at,
    }


def _address_json(address: dict[str, str]) -> str:
    """``json.dumps(address)``; an import's addresses repeat (a state, a country), so
    addresses of plain strings are serialised once each."""
    if all(type(k) is str and type(v) is str for k, v in address.items()):
        return _plain_address_json(tuple(address.items()))
    return json.dumps(address)


@lru_cache(maxsize=4096)
def _plain_address_json(items: tuple[tuple[str, str], ...]) -> str:
    return json.dumps(dict(items))


def number_row(
    cipher: Cipher,
    firm_id: int,
    contact_id: int,
    e164: str,
    bidx: str,
    line_type: str | None,
    primary: bool,
    at: datetime,
) -> dict[str, Any]:
    """The ``contact_numbers`` row of one number (encrypted, with its blind index)."""
    return {
        "contact_id": contact_id,
        "firm_id": firm_id,
        "number_enc": cipher.encrypt(e164, context=NUMBER_CTX),
        "number_bidx": bidx,
        "line_type": line_type,
        "is_primary": primary,
        "created_at": at,
    }


def _check_basis(basis: Any) -> None:
    if basis is None:
        return
    items = basis.items() if isinstance(basis, dict) else [("", basis)]
    for purpose, value in items:
        if purpose and purpose not in PURPOSES:
            raise RequestError("lawful_basis", f"'{purpose}' is not a purpose")
        if value not in LAWFUL_BASES:
            raise RequestError("lawful_basis", "must be one of " + ", ".join(sorted(LAWFUL_BASES)))


def find_contact_id(uow: UnitOfWork, firm_id: int, bidx: str) -> int | None:
    """The firm's contact with the number of blind index ``bidx``, if any."""
    return uow.contacts.find_id(firm_id, bidx)
