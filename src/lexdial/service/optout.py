"""Opt-out with immediate effect, on every channel, in one transaction.

Rule 1: ``opt_out`` writes the internal do-not-call entry, revokes every consent on file
for the number, cancels every queued attempt for it across campaigns, and audits — all in
the caller's transaction, after taking the same contact-row lock the dial-time gate takes.
So "opt-out committed" strictly precedes any later gate decision for that number, which
then sees the entry and denies (47 CFR 64.1200(a)(10), (d)(3): honour at once; 10
business days is a ceiling, not a grace period).
Rule 2: an SMS reply that is one of the FCC's per-se revocation words is an opt-out; other
text a reasonable person might read as a revocation goes to review, it is not ignored.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Connection, insert, select, update

from lexdial.adapters.db import tables as t
from lexdial.errors import RequestError
from lexdial.service.consent import CHANNELS, _insert_revocation
from lexdial.service.contacts import find_contact_id, normalise, number_index
from lexdial.service.ports import Audit, Cipher
from lexdial.service.users import Caller, authorize

#: 47 CFR 64.1200(a)(10) as amended by FCC 24-24: per-se revocations by text reply
STOP_WORDS = ("stop", "quit", "end", "revoke", "opt out", "cancel", "unsubscribe")
_STOP = re.compile(
    r"^\W*(?:" + "|".join(w.replace(" ", r"[\s-]*") for w in STOP_WORDS) + r")\W*$", re.IGNORECASE
)
#: phrases that may be a revocation in free text (R1: "any reasonable method") -> review
_MAYBE = re.compile(
    r"\b(?:stop|don'?t|do not|no more|never)\b.*\b(?:call|calling|text|texting|contact|message)"
    r"|\b(?:remove|take)\b.*\b(?:me|my number)\b|\bleave me alone\b|\bnot interested\b"
    r"|\b(?:opt|sign)[\s-]*out\b|\bunsubscribe\b|\bdelete my\b",
    re.IGNORECASE,
)


def classify_reply(text: str) -> str:
    """'revocation' (a stop word), 'review' (may be one: a person decides) or 'none'."""
    if _STOP.match(text.strip()):
        return "revocation"
    if _MAYBE.search(text):
        return "review"
    return "none"


@dataclass(frozen=True, slots=True)
class OptOutResult:
    dnc_entry_id: int
    consents_revoked: int
    attempts_cancelled: int
    contact_id: int | None


def lock_contact(conn: Connection, contact_id: int) -> None:
    """The row lock the gate and opt-out share (PostgreSQL: FOR UPDATE; SQLite: the
    transaction already holds the database write lock, BEGIN IMMEDIATE)."""
    conn.execute(
        select(t.contacts.c.id).where(t.contacts.c.id == contact_id).with_for_update()
    ).first()


def opt_out(
    conn: Connection,
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
    actor = authorize(conn, caller, "optout.write", firm_id)
    at = at.astimezone(UTC)  # SQLite keeps no offset: every stored instant is UTC
    if channel not in CHANNELS:
        raise RequestError("channel", "must be one of " + ", ".join(sorted(CHANNELS)))
    e164 = normalise(number)
    bidx = number_index(cipher, e164)
    contact_id = find_contact_id(conn, firm_id, bidx)
    if contact_id is not None:
        lock_contact(conn, contact_id)
    # a repeated request (a second STOP) is idempotent: the number's first entry stands,
    # and what follows (revoking consents given since, cancelling calls) is done again
    listed = conn.execute(
        select(t.dnc_entries.c.id)
        .where(t.dnc_entries.c.firm_id == firm_id, t.dnc_entries.c.number_bidx == bidx)
        .order_by(t.dnc_entries.c.id)
        .limit(1)
    ).scalar()
    entry_id = (
        listed
        if listed is not None
        else t.new_id(
            conn.execute(
                insert(t.dnc_entries).values(
                    firm_id=firm_id,
                    number_bidx=bidx,
                    at=at,
                    channel=channel,
                    evidence_enc=cipher.encrypt(evidence, context="dnc_entries.evidence")
                    if evidence
                    else None,
                    created_at=at,
                )
            )
        )
    )
    open_consents = (
        conn.execute(
            select(t.consents.c.id)
            .select_from(
                t.consents.outerjoin(t.revocations, t.revocations.c.consent_id == t.consents.c.id)
            )
            .where(
                t.consents.c.firm_id == firm_id,
                t.consents.c.number_bidx == bidx,
                t.revocations.c.id.is_(None),
            )
        )
        .scalars()
        .all()
    )
    for cid in open_consents:
        _insert_revocation(conn, cipher, cid, channel, at, evidence, at)
    cancelled = conn.execute(
        update(t.call_attempts)
        .where(
            t.call_attempts.c.firm_id == firm_id,
            t.call_attempts.c.number_bidx == bidx,
            t.call_attempts.c.status == "queued",
        )
        .values(status="cancelled")
    ).rowcount
    if contact_id is not None:  # and the contact's place in every campaign's queue
        cancelled += conn.execute(
            update(t.campaign_contacts)
            .where(
                t.campaign_contacts.c.contact_id == contact_id,
                t.campaign_contacts.c.status.in_(("pending", "deferred", "retry")),
            )
            .values(status="cancelled", codes=["INTERNAL_DNC"])
        ).rowcount
    audit.record(
        conn,
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
    return OptOutResult(int(entry_id), len(open_consents), int(cancelled or 0), contact_id)
