"""Opt-out with immediate effect, on every channel, in one transaction.

Rule 1: ``opt_out`` writes the internal do-not-call entry, revokes every consent on file
for the number, cancels every queued attempt for it across campaigns, and audits — all in
the caller's transaction, after taking the same contact-row lock the dial-time gate takes.
So "opt-out committed" strictly precedes any later gate decision for that number, which
then sees the entry and denies (47 CFR 64.1200(a)(10), (d)(3): honour at once; 10
business days is a ceiling, not a grace period).
Rule 2: an SMS reply that is one of the FCC's per-se revocation words is an opt-out; other
text a reasonable person might read as a revocation goes to review, it is not ignored
(``domain.replies.classify_reply`` tells which).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from lexdial.errors import RequestError
from lexdial.service.consent import CHANNELS, _insert_revocation
from lexdial.service.contacts import find_contact_id, normalise, number_index
from lexdial.service.ports import Audit, Cipher
from lexdial.service.storage import UnitOfWork
from lexdial.service.users import Caller, authorize


@dataclass(frozen=True, slots=True)
class OptOutResult:
    dnc_entry_id: int
    consents_revoked: int
    attempts_cancelled: int
    contact_id: int | None


def lock_contact(uow: UnitOfWork, contact_id: int) -> None:
    """The row lock the gate and opt-out share (PostgreSQL: FOR UPDATE; SQLite: the
    transaction already holds the database write lock, BEGIN IMMEDIATE)."""
    uow.contacts.lock(contact_id)


def opt_out(
    uow: UnitOfWork,
    cipher: Cipher,
    audit: Audit,
    firm_id: int,
    number: str,
    channel: str,
    evidence: str | None,
    caller: Caller,
    at: datetime,
) -> OptOutResult:
    """Honour a do-not-call request for ``number`` now, on every channel and campaign."""
    actor = authorize(uow, caller, "optout.write", firm_id)
    at = at.astimezone(UTC)  # SQLite keeps no offset: every stored instant is UTC
    if channel not in CHANNELS:
        raise RequestError("channel", "must be one of " + ", ".join(sorted(CHANNELS)))
    e164 = normalise(number)
    bidx = number_index(cipher, e164)
    contact_id = find_contact_id(uow, firm_id, bidx)
    if contact_id is not None:
        lock_contact(uow, contact_id)
    # a repeated request (a second STOP) is idempotent: the number's first entry stands,
    # and what follows (revoking consents given since, cancelling calls) is done again
    listed = uow.suppression.first_dnc_entry(firm_id, bidx)
    entry_id = (
        listed
        if listed is not None
        else uow.suppression.add_dnc_entry(
            firm_id,
            bidx,
            at,
            channel,
            cipher.encrypt(evidence, context="dnc_entries.evidence") if evidence else None,
        )
    )
    open_consents = uow.consents.open_ids(firm_id, bidx)
    for cid in open_consents:
        _insert_revocation(uow, cipher, cid, channel, at, evidence, at)
    # every queued attempt for the number, and the contact's place in every campaign's queue
    cancelled = uow.suppression.cancel_queued(firm_id, bidx, contact_id)
    audit.record(
        uow,
        at=at,
        actor=actor,
        action="optout.honoured",
        subject=f"dnc:{entry_id}",
        data={
            "contact": contact_id,
            "channel": channel,
            "already_listed": listed is not None,
            "consents_revoked": len(open_consents),
            "attempts_cancelled": cancelled,
        },
    )
    return OptOutResult(entry_id, len(open_consents), cancelled, contact_id)
