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

from lexdial.domain.decision import CONSENT_KINDS, PURPOSES, TECHNOLOGIES
from lexdial.errors import NotFoundError, RequestError
from lexdial.service.contacts import find_contact_id, normalise, number_index
from lexdial.service.ports import Audit, Cipher
from lexdial.service.storage import UnitOfWork
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
    uow: UnitOfWork,
    cipher: Cipher,
    audit: Audit,
    firm_id: int,
    new: NewConsent,
    caller: Caller,
    at: datetime,
) -> int:
    """Add a consent to the ledger for a known contact number; returns its id."""
    actor = authorize(uow, caller, "consent.write", firm_id)
    _check(new)
    e164 = normalise(new.number)
    bidx = number_index(cipher, e164)
    contact_id = find_contact_id(uow, firm_id, bidx)
    if contact_id is None:
        raise NotFoundError("number", "no contact has this number; add the contact first")
    disclosure_sha = disclosure_hash(new)
    fingerprint = evidence_fingerprint(bidx, new, disclosure_sha)
    dup = uow.consents.find_by_evidence(firm_id, fingerprint)
    if dup is not None:
        raise RequestError("consent", f"duplicate: the same consent is already recorded as #{dup}")
    row = consent_row(cipher, firm_id, contact_id, bidx, new, disclosure_sha, fingerprint, at)
    consent_id = uow.consents.add(row)
    audit.record(
        uow,
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
    uow: UnitOfWork,
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
    actor = authorize(uow, caller, "consent.write", firm_id)
    if channel not in CHANNELS:
        raise RequestError("channel", "must be one of " + ", ".join(sorted(CHANNELS)))
    if not uow.consents.is_on_file(firm_id, consent_id):
        raise NotFoundError("consent_id", f"no consent #{consent_id} is on record")
    if uow.consents.is_revoked(consent_id):
        raise RequestError("consent_id", f"consent #{consent_id} is already revoked")
    rid = _insert_revocation(uow, cipher, consent_id, channel, revoked_at, evidence, at)
    audit.record(
        uow,
        at=at,
        actor=actor,
        action="consent.revoked",
        subject=f"consent:{consent_id}",
        data={"channel": channel, "revoked_at": revoked_at.isoformat()},
    )
    return rid


def _insert_revocation(
    uow: UnitOfWork,
    cipher: Cipher,
    consent_id: int,
    channel: str,
    revoked_at: datetime,
    evidence: str | None,
    at: datetime,
) -> int:
    return uow.consents.add_revocation(
        consent_id,
        revoked_at.astimezone(UTC),
        channel,
        cipher.encrypt(evidence, context="revocations.evidence") if evidence else None,
        at,
    )


def consents_for(
    uow: UnitOfWork, cipher: Cipher, firm_id: int, number: str
) -> list[dict[str, Any]]:
    """Every consent on file for a number, with its evidence and revocation."""
    bidx = number_index(cipher, normalise(number))
    contact_id = find_contact_id(uow, firm_id, bidx)
    if contact_id is None:
        raise NotFoundError("number", "no contact has this number")
    out = []
    for r in uow.consents.for_number(firm_id, bidx):
        item: dict[str, Any] = {
            "id": r.id,
            "kind": r.kind,
            "scope": r.scope,
            "technologies": r.technologies,
            "sellers": r.sellers,
            "given_at": r.given_at,
            "method": r.method,
            "disclosure_version": r.disclosure_version,
            "disclosure_sha256": r.disclosure_sha256,
            "captured_by": r.captured_by,
            "document_ref": r.document_ref,
            "revoked_at": r.revoked_at,
            "revoked_via": r.revoked_via,
        }
        item.update(_free_text(cipher, r.disclosure_text_enc, r.user_agent_enc))
        item["source_ip"] = (
            cipher.decrypt(r.source_ip_enc, context="consents.source_ip")
            if r.source_ip_enc
            else None
        )
        out.append(item)
    return out


def consent_free_text(cipher: Cipher, row: Any) -> dict[str, str | None]:
    """A consent row's disclosure text and user agent, decrypted (None once erased)."""
    return _free_text(cipher, row["disclosure_text_enc"], row["user_agent_enc"])


def _free_text(cipher: Cipher, text: str | None, agent: str | None) -> dict[str, str | None]:
    return {
        "disclosure_text": cipher.decrypt(text, context=DISCLOSURE_CTX) if text else None,
        "user_agent": cipher.decrypt(agent, context=USER_AGENT_CTX) if agent else None,
    }


def encrypt_plain_evidence(uow: UnitOfWork, cipher: Cipher) -> int:
    """Encrypt consent text stored in plain before migration 0004; returns rows changed.

    Runs on every open of the store (the migration cannot: it holds no key); a no-op once
    every row is done.
    """
    rows = uow.consents.plain_evidence()
    for row in rows:
        uow.consents.store_encrypted_evidence(
            row.id,
            cipher.encrypt(row.disclosure_text, context=DISCLOSURE_CTX)
            if row.disclosure_text is not None
            else None,
            cipher.encrypt(row.user_agent, context=USER_AGENT_CTX) if row.user_agent else None,
        )
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
