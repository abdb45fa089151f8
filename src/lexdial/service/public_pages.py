"""The use cases behind the public pages (no login): an opt-out confirmed by a code, and a
consent typed on the firm's form.

Rule 1: an opt-out typed by anyone takes effect only in the transaction that accepts the
code sent to the number (``public_codes``), so a wrong code changes nothing but the count of
guesses.
Rule 2: a consent from the form is recorded for the contact of its number, created if the
number is new; the person's reference is the start of the evidence fingerprint, never a
sequential id (which would tell anyone how many consents the firm records).
"""

from __future__ import annotations

from datetime import datetime

from lexdial.service import public_codes as codes
from lexdial.service.consent import NewConsent, record_consent
from lexdial.service.contacts import NewContact, add_contact, find_contact_id
from lexdial.service.contacts import number_index as index
from lexdial.service.optout import opt_out
from lexdial.service.ports import Audit, Cipher
from lexdial.service.storage import UnitOfWork
from lexdial.service.users import SYSTEM, Caller

#: what the audit trail says about an opt-out from the public page
OPTOUT_EVIDENCE = "public opt-out page, number confirmed by code"


def confirm_optout(
    uow: UnitOfWork,
    cipher: Cipher,
    audit: Audit,
    firm_id: int,
    e164: str,
    code: str,
    at: datetime,
) -> bool:
    """Opt ``e164`` out on every channel (channel "web") if ``code`` is its code; False (and
    no opt-out) when it is not."""
    if not codes.check_code(uow, cipher, "optout", e164, code, at):
        return False
    opt_out(uow, cipher, audit, firm_id, e164, "web", OPTOUT_EVIDENCE, SYSTEM, at)
    return True


def record_form_consent(
    uow: UnitOfWork,
    cipher: Cipher,
    audit: Audit,
    firm_id: int,
    new: NewConsent,
    name: str,
    caller: Caller,
    at: datetime,
) -> str:
    """Record the form's consent (adding the contact if its number is new); the person's
    reference (12 hex digits of the evidence fingerprint)."""
    if find_contact_id(uow, firm_id, index(cipher, new.number)) is None:
        person = NewContact(((new.number, None),), name)
        add_contact(uow, cipher, firm_id, person, at, audit=audit, caller=caller)
    consent_id = record_consent(uow, cipher, audit, firm_id, new, caller, at)
    return uow.views.consent_fingerprint(consent_id)[:12]
