"""The contact directory's name index: blind-index tokens of a contact's name, matter type
and matter ref, kept in ``contact_name_tokens`` (issue 12).

Rule 1: names are encrypted, so a search cannot read them; each word of a name (lower-cased,
accents folded: ``domain.desk.name_tokens``) is stored as a keyed HMAC (``Cipher.blind_index``
kind "name") with a prefix telling what it is: "n:" a name word, "r:" a matter-ref word,
"t:" the matter type. A search matches whole words only: a blind index cannot answer a
prefix or a misspelling (that would need the plaintext).
Rule 2: the tokens follow the contact: written where a contact is created (one by one and
in bulk), replaced where it is renamed, removed where it is erased; contacts made before
the index existed are indexed when the store is opened (``backfill``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from lexdial.domain.desk import name_tokens

if TYPE_CHECKING:
    from lexdial.service.ports import Cipher
    from lexdial.service.storage import UnitOfWork

NAME, REF, TYPE = "n:", "r:", "t:"
#: every indexed contact holds this token, so the backfill never looks at it again (a
#: contact with no name and no matter has nothing else to hold)
INDEXED = "x:indexed"


def token(cipher: Cipher, prefix: str, word: str) -> str:
    """The stored form of one word."""
    return cipher.blind_index(prefix + word, kind="name")


def tokens_for(
    cipher: Cipher, name: str | None, matter_type: str | None, matter_ref: str | None = None
) -> list[str]:
    """Every token of one contact (Rule 1)."""
    out = [cipher.blind_index(INDEXED, kind="name")]
    out += [token(cipher, NAME, w) for w in name_tokens(name)]
    out += [token(cipher, REF, w) for w in name_tokens(matter_ref)]
    if matter_type:
        out.append(token(cipher, TYPE, matter_type.strip().lower()))
    return sorted(set(out))


def index_contact(
    uow: UnitOfWork,
    cipher: Cipher,
    firm_id: int,
    contact_id: int,
    name: str | None,
    matter_type: str | None,
    matter_ref: str | None = None,
) -> None:
    """(Re)write one contact's tokens."""
    uow.desk.set_name_tokens(firm_id, contact_id, tokens_for(cipher, name, matter_type, matter_ref))


def rename_contact(uow: UnitOfWork, cipher: Cipher, contact_id: int, name: str) -> None:
    """Re-index a contact whose name changed (its firm, matter type and matter ref read
    back: the tokens are replaced whole, so the ref's words must be written again)."""
    found = uow.attempts.contact_for_gate(contact_id)
    if found is not None:
        row = uow.views.contact(found.firm_id, contact_id)
        ref = _matter_ref(cipher, row.matter_ref_enc) if row is not None else None
        index_contact(uow, cipher, found.firm_id, contact_id, name, found.matter_type, ref)


def forget_contact(uow: UnitOfWork, firm_id: int, contact_id: int) -> None:
    """Remove an erased contact's tokens (its name is gone: so is every trace of it)."""
    uow.desk.set_name_tokens(firm_id, contact_id, [])


def backfill(uow: UnitOfWork, cipher: Cipher, firm_ids: list[int]) -> int:
    """Index the live contacts of ``firm_ids`` that have no token yet; how many were."""
    done = 0
    for firm_id in firm_ids:
        have = uow.desk.tokened_contacts(firm_id)
        for contact_id in uow.views.live_contact_ids(firm_id):
            if contact_id in have:
                continue
            row = uow.views.contact(firm_id, contact_id)
            if row is None or row.erased_at is not None:
                continue
            name = cipher.decrypt(row.name_enc, context="contacts.name") if row.name_enc else None
            ref = _matter_ref(cipher, row.matter_ref_enc)
            uow.desk.set_name_tokens(
                firm_id, contact_id, tokens_for(cipher, name, row.matter_type, ref)
            )
            done += 1
    return done


def _matter_ref(cipher: Cipher, token_: str | None) -> str | None:
    # the context is ``contacts.MATTER_REF_CTX``, spelt here: contacts imports this module
    return cipher.decrypt(token_, context="contacts.matter_ref") if token_ else None
