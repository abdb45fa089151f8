"""What a person told the firm, kept for the gate (contract v1.1): the times they said are
inconvenient, that a number reaches them at work and that calls at work are barred, and
for a debt the firm collects, a written request to cease communication and whether the
debt is time-barred.

Rule 1: each fact is validated by the contract's own reader (``request_parse``), so the
store can never hold a value the gate would refuse; an error names the field.
Rule 2: facts are merged, never dropped: setting one preference keeps the others; a fact
is removed only by giving it as null. Every change is in the audit trail.
Rule 3: these facts are structure, not free text (days, clock times, flags, dates), so
they are stored as plain JSON and columns; a debt reference is stored as the dialer
already stores it on call attempts.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from lexdial.domain.request_parse import DAY_NAMES, _debt, _preferences
from lexdial.errors import NotFoundError, RequestError
from lexdial.service.contacts import find_contact_id, normalise, number_index
from lexdial.service.ports import Audit, Cipher
from lexdial.service.storage import UnitOfWork
from lexdial.service.users import Caller, authorize

#: the preference keys this service sets (v1 keys are kept as they are)
PREFERENCE_KEYS = frozenset({"inconvenient_times", "workplace_number", "no_calls_at_work"})
#: the contract's day names, Monday first (``inconvenient_times[].days``)
DAYS: tuple[str, ...] = DAY_NAMES


def set_preferences(
    uow: UnitOfWork,
    cipher: Cipher,
    audit: Audit,
    firm_id: int,
    number: str,
    changes: dict[str, Any],
    caller: Caller,
    at: datetime,
) -> dict[str, Any]:
    """Merge ``changes`` into the stated preferences of the person with ``number``; the
    preferences as stored afterwards."""
    actor = authorize(uow, caller, "consent.write", firm_id)
    _known_keys(changes)
    contact_id = find_contact_id(uow, firm_id, number_index(cipher, normalise(number)))
    if contact_id is None:
        raise NotFoundError("number", "no contact has this number")
    return _merge_preferences(uow, audit, actor, contact_id, changes, (), at)


def set_contact_preferences(
    uow: UnitOfWork,
    audit: Audit,
    firm_id: int,
    contact_id: int,
    changes: dict[str, Any],
    caller: Caller,
    at: datetime,
    add_times: Sequence[dict[str, Any]] = (),
) -> dict[str, Any]:
    """As ``set_preferences``, for the contact with ``contact_id`` (the contact page), and
    ``add_times`` appended to the stated inconvenient times (after ``changes``, so giving
    ``inconvenient_times: None`` with one window replaces the list)."""
    actor = authorize(uow, caller, "consent.write", firm_id)
    _known_keys(changes)
    if uow.views.contact(firm_id, contact_id) is None:  # another firm's: as unknown
        raise NotFoundError(
            "contact_id", f"No contact #{contact_id}: this firm has no contact with this id."
        )
    return _merge_preferences(uow, audit, actor, contact_id, changes, add_times, at)


def _known_keys(changes: dict[str, Any]) -> None:
    unknown = set(changes) - PREFERENCE_KEYS
    if unknown:
        raise RequestError(f"preferences.{sorted(unknown)[0]}", "unknown field")


def _merge_preferences(
    uow: UnitOfWork,
    audit: Audit,
    actor: str,
    contact_id: int,
    changes: dict[str, Any],
    add_times: Sequence[dict[str, Any]],
    at: datetime,
) -> dict[str, Any]:
    row = uow.contacts.stated_preferences(contact_id)
    if row.erased_at is not None:
        raise RequestError("number", "this person's data was erased; nothing can be recorded")
    merged = {**(row.preferences or {}), **changes}
    if add_times:
        merged["inconvenient_times"] = [*(merged.get("inconvenient_times") or []), *add_times]
    merged = {k: v for k, v in merged.items() if v is not None and v != []}
    _preferences({"preferences": merged})  # the contract's reader: raises naming the field
    uow.contacts.set_preferences(contact_id, merged or None)
    told = dict(changes)
    if add_times:
        told["inconvenient_times"] = merged["inconvenient_times"]
    audit.record(
        uow,
        at=at,
        actor=actor,
        action="contact.preferences",
        subject=f"contact:{contact_id}",
        data={"set": {k: told[k] for k in sorted(told)}},
    )
    return merged


def record_debt_facts(
    uow: UnitOfWork,
    audit: Audit,
    firm_id: int,
    debt_ref: str,
    changes: dict[str, Any],
    caller: Caller,
    at: datetime,
) -> dict[str, Any]:
    """Record a debt's cease request (12 CFR 1006.6(c)) and/or its time-barred flag
    (1006.26); the debt's facts as stored afterwards."""
    actor = authorize(uow, caller, "consent.write", firm_id)
    ref = (debt_ref or "").strip()
    if not ref or len(ref) > 100:
        raise RequestError("debt_ref", "must be the debt's reference, 1-100 characters")
    allowed = {"cease_requested_at", "time_barred"}
    unknown = set(changes) - allowed
    if unknown:
        raise RequestError(f"debt.{sorted(unknown)[0]}", "unknown field")
    parsed = _debt({"debt": {"id": ref, **changes}})  # validates, naming the field
    assert parsed is not None
    values: dict[str, Any] = {}
    if "cease_requested_at" in changes:
        values["cease_requested_at"] = parsed.cease_requested_at
    if "time_barred" in changes:
        values["time_barred"] = parsed.time_barred
    if not values:
        raise RequestError("debt", "give cease_requested_at and/or time_barred")
    debt_id = uow.contacts.save_debt_facts(firm_id, ref, values, at)
    # the subject names the row: a firm's reference may hold any character, an audit
    # subject may not; the reference itself is kept in the entry's data
    data = {k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in values.items()}
    audit.record(
        uow,
        at=at,
        actor=actor,
        action="debt.facts",
        subject=f"debt:{debt_id}",
        data={"debt_ref": ref, **data},
    )
    return debt_facts(uow, firm_id, ref) or {}


def debt_facts(uow: UnitOfWork, firm_id: int, debt_ref: str) -> dict[str, Any] | None:
    """The stored facts of one debt in the contract's shape (``debt`` object fields)."""
    row = uow.contacts.debt_facts(firm_id, debt_ref)
    if row is None:
        return None
    out: dict[str, Any] = {}
    if row.cease_requested_at is not None:
        out["cease_requested_at"] = row.cease_requested_at.isoformat()
    if row.time_barred is not None:
        out["time_barred"] = row.time_barred
    return out


@dataclass(frozen=True, slots=True)
class StatedFacts:
    """What a person told the firm, as the contact page shows it: the stated preferences
    and each debt the person's calls were about (or ``also``), with its facts."""

    preferences: dict[str, Any]
    debts: list[tuple[str, dict[str, Any]]] = field(default_factory=list)


def contact_stated_facts(
    uow: UnitOfWork, firm_id: int, contact_id: int, also: Sequence[str] = ()
) -> StatedFacts:
    """The contact's stated preferences and the facts of the debts its call attempts name
    (and of ``also``, e.g. a debt just recorded); a debt with no facts is listed empty."""
    if uow.views.contact(firm_id, contact_id) is None:
        raise NotFoundError(
            "contact_id", f"No contact #{contact_id}: this firm has no contact with this id."
        )
    refs = list(dict.fromkeys([*uow.views.contact_debt_refs(contact_id), *also]))
    debts = [(ref, debt_facts(uow, firm_id, ref) or {}) for ref in refs if ref]
    return StatedFacts(uow.contacts.stated_preferences(contact_id).preferences or {}, debts)
