"""One contact as every face shows it: the JSON API's contact endpoint and the web contact
page build their data here, then only choose fields and mask numbers.

Rule 1: a contact of another firm is not found, like one that does not exist
(``NotFoundError``, 404), so a firm cannot confirm another firm's ids.
Rule 2: whether a caller sees numbers whole is read from the store on every request (the
role may have changed since the token was issued): ``FULL_NUMBER_ROLES``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from lexdial.errors import NotFoundError
from lexdial.service.consent import consents_for
from lexdial.service.contacts import MATTER_REF_CTX, NUMBER_CTX
from lexdial.service.ports import Cipher
from lexdial.service.repos.views import AttemptView, ContactRow, DncView, QueueView
from lexdial.service.storage import UnitOfWork
from lexdial.service.views import sees_full_numbers as sees_full_numbers

NAME_CTX = "contacts.name"


@dataclass(frozen=True, slots=True)
class ContactNumber:
    """One of the contact's numbers, decrypted, with the consents on file for it."""

    e164: str
    bidx: str
    line_type: str | None
    primary: bool
    consents: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class ContactView:
    """Everything a face shows about one contact (numbers in the order they were added,
    do-not-call entries and decisions oldest first)."""

    id: int
    name: str | None
    relationship: str
    subscriber: str | None
    matter_type: str | None
    lawful_basis: Any
    objected_at: datetime | None
    erased_at: datetime | None
    created_at: datetime
    numbers: list[ContactNumber]
    #: the firm's matter/case number, decrypted
    matter_ref: str | None
    opt_outs: list[DncView]
    queues: list[QueueView]
    decisions: list[AttemptView]


def known_contact(uow: UnitOfWork, firm_id: int, contact_id: int) -> ContactRow:
    """The firm's contact, or NotFoundError (rule 1)."""
    row = uow.views.contact(firm_id, contact_id)
    if row is None:
        raise NotFoundError(
            "contact_id", f"No contact #{contact_id}: this firm has no contact with this id."
        )
    return row


def contact_numbers(
    uow: UnitOfWork, cipher: Cipher, firm_id: int, contact_id: int
) -> list[ContactNumber]:
    """The contact's numbers decrypted, primary first (without their consents)."""
    known_contact(uow, firm_id, contact_id)
    return primary_first(
        [
            ContactNumber(
                cipher.decrypt(n.number_enc, context=NUMBER_CTX), n.number_bidx, n.line_type,
                n.primary,
            )
            for n in uow.views.contact_numbers(firm_id, contact_id)
        ]
    )  # fmt: skip


def primary_first(numbers: list[ContactNumber]) -> list[ContactNumber]:
    """The numbers with the primary one first, the rest in the order they were added."""
    return sorted(numbers, key=lambda n: not n.primary)


def contact_view(uow: UnitOfWork, cipher: Cipher, firm_id: int, contact_id: int) -> ContactView:
    """The contact with its numbers, consents, opt-outs, campaign lists and decisions."""
    row = known_contact(uow, firm_id, contact_id)
    held = uow.views.contact_numbers(firm_id, contact_id)
    numbers = []
    for n in held:
        e164 = cipher.decrypt(n.number_enc, context=NUMBER_CTX)
        numbers.append(
            ContactNumber(
                e164, n.number_bidx, n.line_type, n.primary,
                consents_for(uow, cipher, firm_id, e164),
            )
        )  # fmt: skip
    return ContactView(
        id=row.id,
        name=cipher.decrypt(row.name_enc, context=NAME_CTX) if row.name_enc else None,
        relationship=row.relationship,
        subscriber=row.subscriber,
        matter_type=row.matter_type,
        lawful_basis=row.lawful_basis,
        objected_at=row.objected_at,
        erased_at=row.erased_at,
        created_at=row.created_at,
        numbers=numbers,
        matter_ref=cipher.decrypt(row.matter_ref_enc, context=MATTER_REF_CTX)
        if row.matter_ref_enc
        else None,
        opt_outs=uow.views.dnc_entries(firm_id, [n.number_bidx for n in held]),
        queues=uow.views.contact_queues(contact_id),
        decisions=uow.views.contact_attempts(contact_id),
    )
