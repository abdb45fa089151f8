"""The consent ledger on the in-memory unit of work: a consent needs a known number and its
evidence, the same evidence twice is one consent, a revocation is a new fact recorded once,
another firm's consent is answered like a missing one."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from lexdial.errors import RequestError
from lexdial.service.consent import (
    DISCLOSURE_CTX,
    ConsentEvidence,
    NewConsent,
    consents_for,
    encrypt_plain_evidence,
    record_consent,
    revoke_consent,
)
from lexdial.service.contacts import NewContact, add_contact
from lexdial.service.fakes import ListAudit, Reversible
from lexdial.service.fakes.uow import MemoryUnitOfWork
from lexdial.service.users import OPERATOR

NOW = datetime(2026, 12, 2, 16, 0, tzinfo=UTC)
NUMBER = "+1 614 555 0101"
CIPHER = Reversible()
EVIDENCE = ConsentEvidence(
    method="signed engagement letter",
    disclosure_text="I agree that Hartwell & Ruiz LLP may call me with reminders.",
    disclosure_version="engagement-2026-01",
    captured_by="intake:jdoe",
    document_ref="DMS-4471",
    user_agent="Mozilla/5.0",
)


def _consent(number: str = NUMBER, **over: object) -> NewConsent:
    fields: dict[str, object] = {
        "number": number,
        "kind": "express",
        "scope": ["reminder"],
        "sellers": ["Hartwell & Ruiz LLP"],
        "given_at": NOW - timedelta(days=30),
        "evidence": EVIDENCE,
    }
    fields.update(over)
    return NewConsent(**fields)  # type: ignore[arg-type]


def _ledger(firm_id: int = 1) -> tuple[MemoryUnitOfWork, ListAudit, int]:
    uow, audit = MemoryUnitOfWork(), ListAudit()
    cid = add_contact(
        uow, CIPHER, firm_id, NewContact(numbers=((NUMBER, None),)), NOW, audit=audit,
        caller=OPERATOR,
    )  # fmt: skip
    audit.entries.clear()
    return uow, audit, cid


def test_a_consent_is_recorded_for_a_known_number_with_its_evidence_and_audited() -> None:
    uow, audit, contact = _ledger()

    consent_id = record_consent(uow, CIPHER, audit, 1, _consent(), OPERATOR, NOW)

    row = uow.consents.consents[consent_id]
    assert row["contact_id"] == contact and row["disclosure_text"] is None
    assert CIPHER.decrypt(row["disclosure_text_enc"], context=DISCLOSURE_CTX) == (
        EVIDENCE.disclosure_text
    )
    (entry,) = audit.entries
    assert (entry["action"], entry["subject"]) == ("consent.recorded", f"consent:{consent_id}")
    assert entry["data"]["contact"] == contact and entry["data"]["scope"] == ["reminder"]
    (shown,) = consents_for(uow, CIPHER, 1, "(614) 555-0101")
    assert shown["id"] == consent_id and shown["revoked_at"] is None
    assert (shown["disclosure_text"], shown["user_agent"]) == (
        EVIDENCE.disclosure_text,
        "Mozilla/5.0",
    )


def test_a_consent_for_a_number_no_contact_has_is_refused() -> None:
    uow, audit, _ = _ledger()

    with pytest.raises(RequestError, match="add the contact first"):
        record_consent(uow, CIPHER, audit, 1, _consent("+16145550199"), OPERATOR, NOW)

    assert uow.consents.consents == {} and audit.entries == []


def test_the_same_evidence_twice_is_refused_naming_the_consent_on_file() -> None:
    uow, audit, _ = _ledger()
    first = record_consent(uow, CIPHER, audit, 1, _consent(), OPERATOR, NOW)

    with pytest.raises(RequestError, match=f"already recorded as #{first}"):
        record_consent(uow, CIPHER, audit, 1, _consent(), OPERATOR, NOW)

    other = record_consent(uow, CIPHER, audit, 1, _consent(scope=["marketing"]), OPERATOR, NOW)
    assert other != first and len(uow.consents.consents) == 2


def test_a_revocation_is_recorded_once_and_shows_on_the_consent() -> None:
    uow, audit, _ = _ledger()
    consent_id = record_consent(uow, CIPHER, audit, 1, _consent(), OPERATOR, NOW)
    audit.entries.clear()
    when = NOW - timedelta(hours=1)

    revoke_consent(uow, CIPHER, audit, 1, consent_id, "sms", when, "STOP", OPERATOR, NOW)
    with pytest.raises(RequestError, match="already revoked"):
        revoke_consent(uow, CIPHER, audit, 1, consent_id, "email", NOW, None, OPERATOR, NOW)

    (shown,) = consents_for(uow, CIPHER, 1, NUMBER)
    assert (shown["revoked_at"], shown["revoked_via"]) == (when, "sms")
    assert [e["action"] for e in audit.entries] == ["consent.revoked"]
    revocation = uow.consents.revocations[consent_id]
    assert CIPHER.decrypt(revocation["evidence_enc"], context="revocations.evidence") == "STOP"


def test_another_firms_consent_is_answered_like_one_that_does_not_exist() -> None:
    uow, audit, _ = _ledger()
    consent_id = record_consent(uow, CIPHER, audit, 1, _consent(), OPERATOR, NOW)

    with pytest.raises(RequestError, match=f"no consent #{consent_id} is on record"):
        revoke_consent(uow, CIPHER, audit, 2, consent_id, "sms", NOW, None, OPERATOR, NOW)

    assert uow.consents.revocations == {}


def test_an_unknown_revocation_channel_is_refused() -> None:
    uow, audit, _ = _ledger()
    consent_id = record_consent(uow, CIPHER, audit, 1, _consent(), OPERATOR, NOW)

    with pytest.raises(RequestError) as err:
        revoke_consent(uow, CIPHER, audit, 1, consent_id, "pigeon", NOW, None, OPERATOR, NOW)

    assert err.value.field == "channel" and uow.consents.revocations == {}


def test_consent_text_stored_in_plain_before_0004_is_encrypted_once() -> None:
    uow, audit, _ = _ledger()
    consent_id = record_consent(uow, CIPHER, audit, 1, _consent(), OPERATOR, NOW)
    row = uow.consents.consents[consent_id]
    row.update(disclosure_text="old text", disclosure_text_enc=None, user_agent="old agent")

    assert encrypt_plain_evidence(uow, CIPHER) == 1
    assert encrypt_plain_evidence(uow, CIPHER) == 0

    assert row["disclosure_text"] is None and row["user_agent"] is None
    (shown,) = consents_for(uow, CIPHER, 1, NUMBER)
    assert (shown["disclosure_text"], shown["user_agent"]) == ("old text", "old agent")
