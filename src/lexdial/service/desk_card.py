"""The person on the desk's screen: the contact card and their consents (issue 12; part
of the screen pop, ``desk_screen_pop``).

Rule 1: numbers are shown in full only to a role that sees full numbers
(``views.sees_full_numbers``), masked otherwise, in the card and in each consent alike.
Rule 2: a read only: nothing is changed or audited; a contact gone from the firm's view
gives no card.

    contact_card(uow, cipher, caller, who, contact_id) -> (card | None, consents)
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from lexdial.domain.masking import mask_value
from lexdial.service.contacts import MATTER_REF_CTX, NUMBER_CTX
from lexdial.service.views import sees_full_numbers

if TYPE_CHECKING:
    from lexdial.service.desk_session import Seat
    from lexdial.service.ports import Cipher
    from lexdial.service.storage import UnitOfWork
    from lexdial.service.users import Caller


def contact_card(
    uow: UnitOfWork, cipher: Cipher, caller: Caller, who: Seat, contact_id: int
) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
    """The contact's card (name, numbers as the caller may see them, matter type and ref)
    and the
    consents of each of their numbers; ``(None, [])`` when the firm has no such contact."""
    row = uow.views.contact(who.firm_id, contact_id)
    if row is None:
        return None, []
    full = sees_full_numbers(uow, caller)
    numbers = uow.views.contact_numbers(who.firm_id, contact_id)
    shown = []
    consents: list[dict[str, Any]] = []
    for n in numbers:
        e164 = cipher.decrypt(n.number_enc, context=NUMBER_CTX)
        shown.append(e164 if full else mask_value(e164, "number"))
        for c in uow.attempts.consents_for(who.firm_id, n.number_bidx):
            consents.append(
                {
                    "kind": c.kind,
                    "given_at": c.given_at.isoformat() if c.given_at else None,
                    "scope": list(c.scope),
                    "revoked": c.revoked_at is not None,
                    "revoked_at": c.revoked_at.isoformat() if c.revoked_at else None,
                    "number": shown[-1],
                }
            )
    name = cipher.decrypt(row.name_enc, context="contacts.name") if row.name_enc else None
    card = {
        "id": contact_id,
        "name": name,
        "numbers": shown,
        "number_masked": not full,
        "matter_type": row.matter_type,
        # the firm's own number for the matter: what the agent and the person both know
        "matter_ref": cipher.decrypt(row.matter_ref_enc, context=MATTER_REF_CTX)
        if row.matter_ref_enc
        else None,
        "erased": row.erased_at is not None,
    }
    return card, consents
