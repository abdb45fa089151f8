"""Correcting a contact: the fields a person can get wrong at entry, checked as at entry.

Rule 1: an edit is judged by ``add_contact``'s own checks (``check_address``,
``name_problem``, ``matter_ref_problem``, the enums), on the contact as it will be stored
(the stored address with the changes laid over it), so an edit can mend an address stored
before addresses were checked and can never store one the gate cannot judge.
Rule 2: a number is not a correctable field: a new number is a new ``contact_numbers`` row
with its own consents (the consents on file were given for the old one). Only a number's
line type is edited. Consents, revocations and opt-outs are never touched here.
Rule 3: the audit entry names the fields changed, never their values (personal data stays
encrypted in the store; the trail says what was corrected and by whom).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from lexdial.domain.decision import LINE_TYPES, MATTER_TYPES, RELATIONSHIPS, SUBSCRIBERS
from lexdial.domain.request_parse import check_address
from lexdial.errors import NotFoundError, RequestError
from lexdial.service.contacts import (
    MATTER_REF_CTX,
    matter_ref_problem,
    name_problem,
    normalise,
    number_index,
)
from lexdial.service.name_index import index_contact
from lexdial.service.ports import Audit, Cipher
from lexdial.service.repos.people import StoredContact
from lexdial.service.storage import UnitOfWork
from lexdial.service.users import Caller, authorize

NAME_CTX = "contacts.name"
ADDRESS_CTX = "contacts.address"
ADDRESS_KEYS = ("country", "state", "zip", "postcode", "time_zone")
#: what ``changes`` may name; anything else is refused by name
FIELDS = frozenset(
    {
        "name",
        "address",
        "relationship",
        "subscriber",
        "matter_type",
        "matter_ref",
        "last_transaction_on",
        "inquiry_on",
        "line_type",
        "line_types",
    }
)
NEW_NUMBER = (
    "a contact's number cannot be edited: a new number is a new contact number with its own "
    "consents (the consents on file were given for this one); add it as a contact and record "
    "its consents, and opt the old number out if it must not be called"
)


def edit_contact(
    uow: UnitOfWork,
    cipher: Cipher,
    firm_id: int,
    contact_id: int,
    changes: Mapping[str, Any],
    at: datetime,
    *,
    audit: Audit,
    caller: Caller,
) -> list[str]:
    """Apply ``changes`` to the firm's contact; the fields that changed, sorted (empty: the
    contact already held every value given, and nothing was written or audited).

    ``changes`` keys: ``name``, ``relationship``, ``subscriber``, ``matter_type``,
    ``matter_ref``, ``last_transaction_on``, ``inquiry_on`` (None clears where the field
    may be empty); ``address``: a mapping of ``country``/``state``/``zip``/``postcode``/
    ``time_zone`` laid over the stored address (None removes that part); ``line_type``:
    the line type of the contact's only number; ``line_types``: number (as written) ->
    line type, for a contact with several.
    """
    actor = authorize(uow, caller, "contact.write", firm_id)
    _check_keys(changes)
    stored = uow.contacts.stored(firm_id, contact_id)
    if stored is None:
        raise NotFoundError(
            "contact_id", f"No contact #{contact_id}: this firm has no contact with this id."
        )
    if stored.erased_at is not None:
        raise RequestError(
            "contact_id",
            f"contact #{contact_id}'s personal data was erased on request; an erased "
            "record is not edited",
        )
    # the gate and the opt-out hold this lock: an edit is never half-read by a decision
    uow.contacts.lock(contact_id)
    values, changed = _contact_values(cipher, stored, changes)
    lines = _line_types(cipher, firm_id, stored, changes)
    changed += [f"line_type[{i}]" for i, _, _ in lines]
    if not changed:
        return []
    if values:
        uow.contacts.correct(contact_id, values)
    for _, number_id, line_type in lines:
        uow.contacts.set_line_type(number_id, line_type)
    if {"name", "matter_type", "matter_ref"} & set(changed):
        # the directory finds the person by these words: the tokens are rewritten whole
        index_contact(
            uow,
            cipher,
            firm_id,
            contact_id,
            _plain(cipher, values.get("name_enc", stored.name_enc), NAME_CTX),
            values.get("matter_type", stored.matter_type),
            _plain(cipher, values.get("matter_ref_enc", stored.matter_ref_enc), MATTER_REF_CTX),
        )
    data: dict[str, Any] = {"fields": sorted(changed)}
    if "relationship" in changed:  # as contact.created records it: not personal data
        data["relationship"] = values["relationship"]
    audit.record(
        uow, at=at, actor=actor, action="contact.edited", subject=f"contact:{contact_id}", data=data
    )
    return sorted(changed)


def _check_keys(changes: Mapping[str, Any]) -> None:
    if not changes:
        raise RequestError("changes", "give at least one field to change")
    for key in changes:
        if key in ("number", "numbers"):
            raise RequestError(key, NEW_NUMBER)
        if key not in FIELDS:
            raise RequestError(key, "is not a field a contact edit can change")
    if "line_type" in changes and "line_types" in changes:
        raise RequestError("line_types", "give either line_type or line_types, not both")


def _contact_values(
    cipher: Cipher, stored: StoredContact, changes: Mapping[str, Any]
) -> tuple[dict[str, Any], list[str]]:
    """The ``contacts`` columns to write and the names of the fields they change."""
    values: dict[str, Any] = {}
    changed: list[str] = []
    if "name" in changes:
        name = _text(changes["name"], "name")
        if name is not None and (why := name_problem(name)):
            raise RequestError("name", why)
        if name != _plain(cipher, stored.name_enc, NAME_CTX):
            values["name_enc"] = cipher.encrypt(name, context=NAME_CTX) if name else None
            changed.append("name")
    for key, allowed, may_clear in (
        ("relationship", RELATIONSHIPS, False),
        ("subscriber", SUBSCRIBERS, True),
        ("matter_type", MATTER_TYPES, True),
    ):
        if key in changes:
            value = _text(changes[key], key)
            if not (value in allowed or (value is None and may_clear)):
                raise RequestError(key, "must be one of " + ", ".join(sorted(allowed)))
            if value != getattr(stored, key):
                values[key] = value
                changed.append(key)
    if "matter_ref" in changes:
        ref = _text(changes["matter_ref"], "matter_ref")
        if ref is not None and (why := matter_ref_problem(ref)):
            raise RequestError("matter_ref", why)
        if ref != _plain(cipher, stored.matter_ref_enc, MATTER_REF_CTX):
            values["matter_ref_enc"] = cipher.encrypt(ref, context=MATTER_REF_CTX) if ref else None
            changed.append("matter_ref")
    for key in ("last_transaction_on", "inquiry_on"):
        if key in changes:
            day = _day(changes[key], key)
            if day != getattr(stored, key):
                values[key] = day
                changed.append(key)
    if "address" in changes:
        address_enc, parts = _address(cipher, stored.address_enc, changes["address"])
        if parts:
            values["address_enc"] = address_enc
            changed += [f"address.{p}" for p in parts]
    return values, changed


def _address(cipher: Cipher, stored_enc: str | None, given: Any) -> tuple[str | None, list[str]]:
    """The new encrypted address (the stored one with ``given`` laid over it, checked as
    the gate will read it) and which of its parts changed."""
    if not isinstance(given, Mapping):
        raise RequestError(
            "address", "must be an object of country, state, zip, postcode, time_zone"
        )
    old: dict[str, Any] = json.loads(_plain(cipher, stored_enc, ADDRESS_CTX) or "{}")
    new = dict(old)
    for key, value in given.items():
        if key not in ADDRESS_KEYS:
            raise RequestError(f"address.{key}", "is not a part of an address")
        text = _text(value, f"address.{key}")
        if text is None:
            new.pop(key, None)
        else:
            new[key] = text
    parts = sorted(k for k in set(old) | set(new) if old.get(k) != new.get(k))
    if not parts:
        return stored_enc, []
    if new:
        # the whole address, stored parts included: one the gate cannot judge is refused
        check_address(new)
    return (cipher.encrypt(json.dumps(new), context=ADDRESS_CTX) if new else None), parts


def _line_types(
    cipher: Cipher, firm_id: int, stored: StoredContact, changes: Mapping[str, Any]
) -> list[tuple[int, int, str | None]]:
    """(position, number row id, new line type) of each number whose line type changes."""
    wanted: dict[int, str | None] = {}
    if "line_type" in changes:
        if len(stored.numbers) != 1:
            raise RequestError(
                "line_type",
                f"the contact has {len(stored.numbers)} numbers: say which number's line type "
                "to change (line_types)",
            )
        wanted[0] = _line_type(changes["line_type"], "line_type")
    given = changes.get("line_types") or {}
    if "line_types" in changes and not isinstance(given, Mapping):
        raise RequestError("line_types", "must map each number to its line type")
    positions = {n.number_bidx: i for i, n in enumerate(stored.numbers)}
    for raw, line_type in given.items():
        # the field never quotes the number (personal data): "line_types" and why
        field = "line_types"
        e164 = normalise(str(raw), field=field)
        at = positions.get(number_index(cipher, e164))
        if at is None:
            raise RequestError(field, "names a number that is not this contact's; " + NEW_NUMBER)
        wanted[at] = _line_type(line_type, field)
    return [
        (i, stored.numbers[i].id, lt)
        for i, lt in sorted(wanted.items())
        if lt != stored.numbers[i].line_type
    ]


def _line_type(value: Any, field: str) -> str | None:
    text = _text(value, field)
    if text is not None and text not in LINE_TYPES:
        raise RequestError(field, "must be one of " + ", ".join(sorted(LINE_TYPES)))
    return text


def _text(value: Any, field: str) -> str | None:
    """A given text, stripped; None and "" clear the field."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise RequestError(field, "must be text")
    return value.strip() or None


def _day(value: Any, field: str) -> date | None:
    if value is None:
        return None
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, str):
        if not value.strip():
            return None
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise RequestError(field, "must be a date such as 2026-06-01")


def _plain(cipher: Cipher, token: str | None, context: str) -> str | None:
    return None if token is None else cipher.decrypt(token, context=context)
