"""The contact directory: find a person by name, number or matter (issue 12).

Rule 1: everyone of the firm who may see contacts may search its directory; never another
firm's (every query is by the caller's firm).
Rule 2: a number matches exactly, through its blind index (written as a person writes it,
normalised to E.164 as everywhere). Every search by number is audited
(``contact.looked_up``, the number masked in the trail), found or not; the API limits how
often a role that sees numbers masked may search by number (``number_lookups``: the same
per-user bucket as ``GET /v1/contacts?number=``), so the hidden digits cannot be guessed.
Rule 3: a name or a matter ref matches word by word, every word given (whole words only:
a blind index answers equality, never a prefix or a misspelling; see ``name_index``); a
matter matches its type exactly, or its ref's words.
Rule 4: an answer holds the id, the name, the numbers as the caller's role may see them
and the matter type: never more. Erased people are never found.

    search(uow, cipher, audit, caller, *, name=None, number=None, matter=None, limit=50,
           at) -> list[DirectoryEntry]
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from lexdial.domain.desk import name_tokens
from lexdial.domain.masking import mask_value
from lexdial.errors import RequestError
from lexdial.service.contacts import NUMBER_CTX, find_contact_id, normalise, number_index
from lexdial.service.name_index import NAME, REF, TYPE, token
from lexdial.service.users import Caller, authorize, firm_of
from lexdial.service.views import sees_full_numbers

if TYPE_CHECKING:
    from lexdial.service.ports import Audit, Cipher
    from lexdial.service.storage import UnitOfWork

MAX_LIMIT = 200
#: words a name query may hold (each is one more token to match)
MAX_WORDS = 8


@dataclass(frozen=True, slots=True)
class DirectoryEntry:
    id: int
    name: str | None
    numbers: tuple[str, ...]
    numbers_masked: bool
    matter_type: str | None


def search(
    uow: UnitOfWork,
    cipher: Cipher,
    audit: Audit,
    caller: Caller,
    *,
    name: str | None = None,
    number: str | None = None,
    matter: str | None = None,
    limit: int = 50,
    at: datetime,
) -> list[DirectoryEntry]:
    """The firm's contacts matching every criterion given (Rules 1-4), by id."""
    if caller.user_id is None:
        raise RequestError("caller", "the directory answers signed-in users")
    firm_id = firm_of(uow, caller.user_id)
    actor = authorize(uow, caller, "read", firm_id)
    if not 1 <= limit <= MAX_LIMIT:
        raise RequestError("limit", f"must be between 1 and {MAX_LIMIT}")
    if not any(v and v.strip() for v in (name, number, matter)):
        raise RequestError("name", "give a name, a number or a matter to search for")
    candidates: set[int] | None = None
    if number and number.strip():
        e164 = normalise(number.strip())
        found = find_contact_id(uow, firm_id, number_index(cipher, e164))
        audit.record(
            uow, at=at, actor=actor, action="contact.looked_up",
            subject=f"contact:{found}" if found is not None else "contact:none",
            data={"via": "directory", "what": "number", "found": found is not None,
                  "number": e164},
            personal=("number",),
        )  # fmt: skip
        candidates = set() if found is None else {found}
    if name and name.strip():
        words = name_tokens(name)
        if not words:
            raise RequestError("name", "give at least one word of two letters or more")
        if len(words) > MAX_WORDS:
            raise RequestError("name", f"give at most {MAX_WORDS} words")
        hits = uow.desk.contacts_with_tokens(
            firm_id, [token(cipher, NAME, w) for w in words], MAX_LIMIT * 5
        )
        candidates = set(hits) if candidates is None else candidates & set(hits)
    if matter and matter.strip():
        by_type = uow.desk.contacts_with_tokens(
            firm_id, [token(cipher, TYPE, matter.strip().lower())], MAX_LIMIT * 5
        )
        ref_words = name_tokens(matter)[:MAX_WORDS]
        by_ref = (
            uow.desk.contacts_with_tokens(
                firm_id, [token(cipher, REF, w) for w in ref_words], MAX_LIMIT * 5
            )
            if ref_words
            else []
        )
        hits_m = set(by_type) | set(by_ref)
        candidates = hits_m if candidates is None else candidates & hits_m
    full = sees_full_numbers(uow, caller)
    out: list[DirectoryEntry] = []
    for contact_id in sorted(candidates or ()):
        entry = _entry(uow, cipher, firm_id, contact_id, full)
        if entry is not None:
            out.append(entry)
        if len(out) >= limit:
            break
    return out


def _entry(
    uow: UnitOfWork, cipher: Cipher, firm_id: int, contact_id: int, full: bool
) -> DirectoryEntry | None:
    row = uow.views.contact(firm_id, contact_id)
    if row is None or row.erased_at is not None:
        return None
    numbers = []
    for n in uow.views.contact_numbers(firm_id, contact_id):
        e164 = cipher.decrypt(n.number_enc, context=NUMBER_CTX)
        numbers.append(e164 if full else mask_value(e164, "number"))
    name = cipher.decrypt(row.name_enc, context="contacts.name") if row.name_enc else None
    return DirectoryEntry(contact_id, name, tuple(numbers), not full, row.matter_type)
