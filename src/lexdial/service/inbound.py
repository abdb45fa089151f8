"""What signed webhooks bring in: an SMS reply, a CRM's contact.

Rule 1: the sender is authenticated by the caller (the route) before anything here runs;
each use case first remembers the request (``webhook_guard.first_time``) in the same
transaction, so a replay changes nothing and is reported as ``None``/``False``.
Rule 2: an SMS that is a stop word is an opt-out at once (channel "sms"); one that may be a
revocation goes to the review queue; anything else is ignored.
Rule 3: nothing personal goes into an error: errors name fields, not numbers.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from lexdial.errors import RequestError
from lexdial.service import review, webhook_guard
from lexdial.service.contacts import (
    NewContact,
    add_contact,
    find_contact_id,
    name_problem,
    normalise,
)
from lexdial.service.contacts import number_index as index
from lexdial.service.name_index import rename_contact
from lexdial.service.optout import opt_out
from lexdial.service.ports import Audit, Cipher
from lexdial.service.storage import UnitOfWork
from lexdial.service.users import SYSTEM, Caller

#: the firm's CRM, through its signed webhook: lexdial itself acting on the CRM's word
CRM_WEBHOOK = Caller("crm:webhook", "system")


@dataclass(frozen=True, slots=True)
class Receipt:
    """Who delivered a request and what marks it as the same request again."""

    source: str
    identity: str
    keep: timedelta


def sms_reply(
    uow: UnitOfWork,
    cipher: Cipher,
    audit: Audit,
    firm_id: int,
    receipt: Receipt,
    *,
    sender: str,
    text: str,
    kind: str,
    at: datetime,
) -> bool:
    """Act on an SMS reply already classified as ``kind`` (``optout.classify_reply``);
    False when this request was received before (nothing changed)."""
    if not webhook_guard.first_time(uow, receipt.source, receipt.identity, at, receipt.keep):
        return False
    if kind == "revocation":
        evidence = f"SMS reply: {text[:160]}"
        opt_out(uow, cipher, audit, firm_id, sender, "sms", evidence, SYSTEM, at)
    elif kind == "review":
        review.add_item(
            uow,
            cipher,
            audit,
            firm_id,
            channel="sms",
            text=text,
            number=sender,
            contact_id=None,
            received_at=at,
            caller=SYSTEM,
            at=at,
        )
    return True


@dataclass(frozen=True, slots=True)
class CrmContact:
    """A CRM's contact as lexdial keeps it: dialable numbers (E.164), name, address."""

    crm_id: str
    numbers: tuple[str, ...]
    name: str | None
    address: dict[str, str] | None


def crm_contact(data: dict[str, Any]) -> CrmContact:
    """Clio's contact (``{id, name, phone_numbers, primary_address}``) read; a
    ``RequestError`` naming the field when it has no dialable number."""
    phones = data.get("phone_numbers") or []
    if not isinstance(phones, list):
        raise RequestError("data.phone_numbers", "must be a list")
    numbers: list[str] = []
    for p in phones:
        raw = p.get("number") if isinstance(p, dict) else None
        try:
            numbers.append(normalise(str(raw)))
        except RequestError:
            continue  # a CRM keeps fax and extension junk; only dialable numbers come in
    numbers = list(dict.fromkeys(numbers))
    if not numbers:
        raise RequestError("data.phone_numbers", "has no valid, dialable telephone number")
    name = data.get("name") if isinstance(data.get("name"), str) else None
    if name is not None and (why := name_problem(name)):
        raise RequestError("data.name", why)  # an update would write it past add_contact
    address = crm_address(data.get("primary_address"))
    return CrmContact(str(data.get("id", ""))[:64], tuple(numbers), name, address)


def sync_crm_contact(
    uow: UnitOfWork,
    cipher: Cipher,
    audit: Audit,
    firm_id: int,
    person: CrmContact,
    at: datetime,
    signed: str,
) -> dict[str, Any] | None:
    """Create the contact, or update the one its numbers already belong to (idempotent:
    the same payload twice changes nothing the second time); None for a replayed request."""
    if not webhook_guard.first_time(uow, "crm", signed, at, webhook_guard.timed_keep()):
        return None
    ids = (find_contact_id(uow, firm_id, index(cipher, n)) for n in person.numbers)
    found = {i for i in ids if i is not None}
    if len(found) > 1:
        raise RequestError("data.phone_numbers", "belong to different contacts here")
    if not found:
        new = NewContact(tuple((n, None) for n in person.numbers), person.name, person.address)
        cid = add_contact(uow, cipher, firm_id, new, at, audit=audit, caller=CRM_WEBHOOK)
        changed, created = True, True
    else:
        cid, created = next(iter(found)), False
        changed = _update(uow, cipher, cid, person.name, person.address)
    if changed:
        audit.record(
            uow,
            at=at,
            actor=CRM_WEBHOOK.label,
            action="contact.synced",
            subject=f"contact:{cid}",
            data={"created": created, "crm_id": person.crm_id},
        )
    return {"contact": cid, "created": created, "changed": changed}


def _update(
    uow: UnitOfWork, cipher: Cipher, cid: int, name: str | None, address: dict[str, str] | None
) -> bool:
    name_enc, address_enc = uow.contacts.sealed_profile(cid)
    old_name = cipher.decrypt(name_enc, context="contacts.name") if name_enc else None
    old_addr = (
        json.loads(cipher.decrypt(address_enc, context="contacts.address")) if address_enc else None
    )
    values: dict[str, str] = {}
    if name and name != old_name:
        values["name_enc"] = cipher.encrypt(name, context="contacts.name")
    if address and address != old_addr:
        values["address_enc"] = cipher.encrypt(json.dumps(address), context="contacts.address")
    if values:
        uow.contacts.set_sealed_profile(cid, values)
    if name and "name_enc" in values:  # (for desk) the directory finds the new name
        rename_contact(uow, cipher, cid, name)
    return bool(values)


_COUNTRIES = {
    "us": "US",
    "usa": "US",
    "united states": "US",
    "united states of america": "US",
    "ca": "CA",
    "canada": "CA",
}


def crm_address(raw: object) -> dict[str, str] | None:
    """Clio's address (street, city, province, postal_code, country) as the gate reads it
    (country, state, zip); street and city are not needed to judge a call, so not kept."""
    if not isinstance(raw, dict):
        return None
    out: dict[str, str] = {}
    country = str(raw.get("country") or "").strip()
    code = _COUNTRIES.get(country.lower()) or (
        country.upper() if re.fullmatch(r"[A-Za-z]{2}", country) else None
    )
    if code:
        out["country"] = code
    state = str(raw.get("province") or raw.get("state") or "").strip()
    if re.fullmatch(r"[A-Za-z]{2}", state):
        out["state"] = state.upper()
    postal = str(raw.get("postal_code") or "").strip()
    if code == "US" and re.fullmatch(r"\d{5}(-\d{4})?", postal):
        out["zip"] = postal[:5]
    return out or None
