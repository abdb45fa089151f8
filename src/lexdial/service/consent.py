"""The consent ledger: who agreed to what, when, how, and the proof.

Rule 1: records are never edited. A revocation is a new fact (channel, time, evidence)
pointing at the consent it ends; a consent may be revoked once.
Rule 2: a consent carries its evidence — the exact disclosure text shown, its version and
SHA-256, who captured it, and the source IP / user agent or a document reference. The same
evidence recorded twice is refused as a duplicate, naming the consent already on file.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, insert, or_, select, update

from lexdial.adapters.db import tables as t
from lexdial.domain.decision import CONSENT_KINDS, PURPOSES, TECHNOLOGIES
from lexdial.errors import RequestError
from lexdial.service.contacts import find_contact_id, normalise, number_index
from lexdial.service.ports import Audit, Cipher
from lexdial.service.users import Caller, authorize

#: encryption contexts of the consent's free text (a token decrypts only in its column)
DISCLOSURE_CTX = "consents.disclosure_text"
USER_AGENT_CTX = "consents.user_agent"
CHANNELS = frozenset({"key_press", "sms", "web", "email", "staff", "api", "voice", "mail"})


@dataclass(frozen=True, slots=True)
class ConsentEvidence:
    """How the consent was captured, kept verbatim for a court."""

    method: str
    disclosure_text: str
    disclosure_version: str
    captured_by: str
    source_ip: str | None = None
    user_agent: str | None = None
    document_ref: str | None = None


@dataclass(frozen=True, slots=True)
class NewConsent:
    number: str
    kind: str
    scope: Sequence[str]
    sellers: Sequence[str]
    given_at: datetime
    evidence: ConsentEvidence
    technologies: Sequence[str] | None = None


def record_consent(
    conn: Connection,
    cipher: Cipher,
    audit: Audit,
    firm_id: int,
    new: NewConsent,
    caller: Caller,
    at: datetime,
) -> int:
    """Add a consent to the ledger for a known contact number; returns its id."""
    actor = authorize(conn, caller, "consent.write", firm_id)
    _check(new)
    e164 = normalise(new.number)
    bidx = number_index(cipher, e164)
    contact_id = find_contact_id(conn, firm_id, bidx)
    if contact_id is None:
        raise RequestError("number", "no contact has this number; add the contact first")
    disclosure_sha = disclosure_hash(new)
    fingerprint = evidence_fingerprint(bidx, new, disclosure_sha)
    dup = conn.execute(
        select(t.consents.c.id).where(
            t.consents.c.firm_id == firm_id, t.consents.c.evidence_sha256 == fingerprint
        )
    ).first()
    if dup is not None:
        raise RequestError(
            "consent", f"duplicate: the same consent is already recorded as #{dup[0]}"
        )
    row = consent_row(cipher, firm_id, contact_id, bidx, new, disclosure_sha, fingerprint, at)
    consent_id = t.new_id(conn.execute(insert(t.consents).values(**row)))
    audit.record(
        conn,
        at=at,
        actor=actor,
        action="consent.recorded",
        subject=f"consent:{consent_id}",
        data=consent_audit_data(contact_id, new, disclosure_sha),
    )
    return int(consent_id)


#: ``json.dumps(value, separators=(",", ":"))``, without making an encoder per call
_FINGERPRINT_JSON = json.JSONEncoder(separators=(",", ":")).encode


def disclosure_hash(new: NewConsent) -> str:
    """SHA-256 of the exact disclosure text the person was shown."""
    return hashlib.sha256(new.evidence.disclosure_text.encode("utf-8")).hexdigest()


def evidence_fingerprint(bidx: str, new: NewConsent, disclosure_sha: str) -> str:
    """What makes two consents the same evidence (a duplicate is refused)."""
    ev = new.evidence
    return hashlib.sha256(
        _FINGERPRINT_JSON(
            [
                bidx,
                new.kind,
                sorted(new.scope),
                sorted(new.sellers),
                new.given_at.isoformat(),
                ev.method,
                disclosure_sha,
                ev.disclosure_version,
                ev.document_ref,
            ]
        ).encode()
    ).hexdigest()


def consent_row(
    cipher: Cipher,
    firm_id: int,
    contact_id: int,
    bidx: str,
    new: NewConsent,
    disclosure_sha: str,
    fingerprint: str,
    at: datetime,
) -> dict[str, Any]:
    """The ``consents`` row of ``new``: the one place a consent row is built (the ledger
    and the bulk import both write it), so what is encrypted is decided once."""
    ev = new.evidence
    return {
        "firm_id": firm_id,
        "contact_id": contact_id,
        "number_bidx": bidx,
        "kind": new.kind,
        "scope": sorted(new.scope),
        "technologies": sorted(new.technologies) if new.technologies is not None else None,
        "sellers": list(new.sellers),
        "given_at": new.given_at.astimezone(UTC),  # SQLite keeps no offset: store UTC
        "method": ev.method,
        "disclosure_text_enc": cipher.encrypt(ev.disclosure_text, context=DISCLOSURE_CTX),
        "disclosure_version": ev.disclosure_version,
        "disclosure_sha256": disclosure_sha,
        "captured_by": ev.captured_by,
        "source_ip_enc": cipher.encrypt(ev.source_ip, context="consents.source_ip")
        if ev.source_ip
        else None,
        "user_agent_enc": cipher.encrypt(ev.user_agent, context=USER_AGENT_CTX)
        if ev.user_agent
        else None,
        "document_ref": ev.document_ref,
        "evidence_sha256": fingerprint,
        "created_at": at,
    }


def consent_audit_data(contact_id: int, new: NewConsent, disclosure_sha: str) -> dict[str, Any]:
    """The ``consent.recorded`` audit entry's data."""
    return {
        "contact": contact_id,
        "kind": new.kind,
        "scope": sorted(new.scope),
        "given_at": new.given_at.isoformat(),
        "disclosure_sha256": disclosure_sha,
        "method": new.evidence.method,
    }


def revoke_consent(
    conn: Connection,
    cipher: Cipher,
    audit: Audit,
    firm_id: int,
    consent_id: int,
    channel: str,
    revoked_at: datetime,
    evidence: str | None,
    caller: Caller,
    at: datetime,
) -> int:
    """Record that consent ``consent_id`` of this firm was revoked; returns the revocation id.
    Another firm's consent is answered exactly like one that does not exist."""
    actor = authorize(conn, caller, "consent.write", firm_id)
    if channel not in CHANNELS:
        raise RequestError("channel", "must be one of " + ", ".join(sorted(CHANNELS)))
    row = conn.execute(
        select(t.consents.c.id).where(
            t.consents.c.id == consent_id, t.consents.c.firm_id == firm_id
        )
    ).first()
    if row is None:
        raise RequestError("consent_id", f"no consent #{consent_id} is on record")
    done = conn.execute(
        select(t.revocations.c.id).where(t.revocations.c.consent_id == consent_id)
    ).first()
    if done is not None:
        raise RequestError("consent_id", f"consent #{consent_id} is already revoked")
    rid = _insert_revocation(conn, cipher, consent_id, channel, revoked_at, evidence, at)
    audit.record(
        conn,
        at=at,
        actor=actor,
        action="consent.revoked",
        subject=f"consent:{consent_id}",
        data={"channel": channel, "revoked_at": revoked_at.isoformat()},
    )
    return rid


def _insert_revocation(
    conn: Connection,
    cipher: Cipher,
    consent_id: int,
    channel: str,
    revoked_at: datetime,
    evidence: str | None,
    at: datetime,
) -> int:
    rid = t.new_id(
        conn.execute(
            insert(t.revocations).values(
                consent_id=consent_id,
                at=revoked_at.astimezone(UTC),
                channel=channel,
                evidence_enc=cipher.encrypt(evidence, context="revocations.evidence")
                if evidence
                else None,
                created_at=at,
            )
        )
    )
    return int(rid)


def consents_for(
    conn: Connection, cipher: Cipher, firm_id: int, number: str
) -> list[dict[str, Any]]:
    """Every consent on file for a number, with its evidence and revocation."""
    bidx = number_index(cipher, normalise(number))
    contact_id = find_contact_id(conn, firm_id, bidx)
    if contact_id is None:
        raise RequestError("number", "no contact has this number")
    rows = conn.execute(
        select(
            t.consents,
            t.revocations.c.at.label("revoked_at"),
            t.revocations.c.channel.label("revoked_via"),
        )
        .select_from(
            t.consents.outerjoin(t.revocations, t.revocations.c.consent_id == t.consents.c.id)
        )
        .where(t.consents.c.firm_id == firm_id, t.consents.c.number_bidx == bidx)
        .order_by(t.consents.c.given_at)
    ).mappings()
    out = []
    for r in rows:
        item = {
            k: r[k]
            for k in (
                "id",
                "kind",
                "scope",
                "technologies",
                "sellers",
                "given_at",
                "method",
                "disclosure_version",
                "disclosure_sha256",
                "captured_by",
                "document_ref",
                "revoked_at",
                "revoked_via",
            )
        }
        item.update(consent_free_text(cipher, r))
        item["source_ip"] = (
            cipher.decrypt(r["source_ip_enc"], context="consents.source_ip")
            if r["source_ip_enc"]
            else None
        )
        out.append(item)
    return out


def consent_free_text(cipher: Cipher, row: Any) -> dict[str, str | None]:
    """A consent row's disclosure text and user agent, decrypted (None once erased)."""
    text, agent = row["disclosure_text_enc"], row["user_agent_enc"]
    return {
        "disclosure_text": cipher.decrypt(text, context=DISCLOSURE_CTX) if text else None,
        "user_agent": cipher.decrypt(agent, context=USER_AGENT_CTX) if agent else None,
    }


def encrypt_plain_evidence(conn: Connection, cipher: Cipher) -> int:
    """Encrypt consent text stored in plain before migration 0004; returns rows changed.

    Runs on every open of the store (the migration cannot: it holds no key); a no-op once
    every row is done.
    """
    c = t.consents.c
    rows = conn.execute(
        select(c.id, c.disclosure_text, c.user_agent).where(
            or_(c.disclosure_text.is_not(None), c.user_agent.is_not(None))
        )
    ).all()
    for row_id, text, agent in rows:
        values: dict[str, Any] = {"disclosure_text": None, "user_agent": None}
        if text is not None:
            values["disclosure_text_enc"] = cipher.encrypt(text, context=DISCLOSURE_CTX)
        if agent:
            values["user_agent_enc"] = cipher.encrypt(agent, context=USER_AGENT_CTX)
        conn.execute(update(t.consents).where(c.id == row_id).values(values))
    return len(rows)


def _check(new: NewConsent) -> None:
    if new.kind not in CONSENT_KINDS:
        raise RequestError("kind", "must be 'express' or 'express_written'")
    if not new.scope:
        raise RequestError("scope", "name at least one purpose the person agreed to")
    for i, p in enumerate(new.scope):
        if p not in PURPOSES:
            raise RequestError(f"scope[{i}]", "must be one of " + ", ".join(sorted(PURPOSES)))
    for i, tech in enumerate(new.technologies or ()):
        if tech not in TECHNOLOGIES:
            raise RequestError(
                f"technologies[{i}]", "must be one of " + ", ".join(sorted(TECHNOLOGIES))
            )
    if not new.sellers or not all(s.strip() for s in new.sellers):
        raise RequestError("sellers", "name the seller(s) the person agreed to hear from")
    if new.given_at.tzinfo is None:
        raise RequestError("given_at", "needs an offset; a naive time is ambiguous")
    ev = new.evidence
    for name in ("method", "disclosure_text", "disclosure_version", "captured_by"):
        if not str(getattr(ev, name) or "").strip():
            raise RequestError(f"evidence.{name}", "is required")
    if new.kind == "express_written" and not (ev.document_ref or ev.source_ip):
        raise RequestError(
            "evidence",
            "written consent needs a signed document reference or the web capture's source IP",
        )
