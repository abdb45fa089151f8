"""Opt-out on the in-memory unit of work: under the contact's lock, the number goes on the
firm's do-not-call list, every consent for it is revoked, every queued call for it is
cancelled across campaigns, and the whole is audited; a repeat keeps the first entry."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from lexdial.domain.replies import classify_reply
from lexdial.errors import RequestError
from lexdial.service.consent import ConsentEvidence, NewConsent, consents_for, record_consent
from lexdial.service.contacts import NewContact, add_contact
from lexdial.service.fakes import ListAudit, Reversible
from lexdial.service.fakes.people import QueuedCall, QueuePlace
from lexdial.service.fakes.uow import MemoryUnitOfWork
from lexdial.service.optout import opt_out
from lexdial.service.users import OPERATOR, SYSTEM

NOW = datetime(2026, 12, 2, 16, 0, tzinfo=UTC)
NUMBER = "+1 614 555 0101"
CIPHER = Reversible()
BIDX = CIPHER.blind_index("+16145550101", kind="number")
OTHER = CIPHER.blind_index("+16145550102", kind="number")


def _consent(scope: str, given: datetime) -> NewConsent:
    evidence = ConsentEvidence("web form", "I agree to calls.", "v1", "intake", "203.0.113.9")
    return NewConsent(NUMBER, "express", [scope], ["Hartwell & Ruiz LLP"], given, evidence)


def _person() -> tuple[MemoryUnitOfWork, ListAudit, int]:
    """A contact with two consents, queued calls for it, for another number and for another
    firm, and a place in three campaign queues (one already called)."""
    uow, audit = MemoryUnitOfWork(), ListAudit()
    cid = add_contact(
        uow, CIPHER, 1, NewContact(numbers=((NUMBER, None),)), NOW, audit=audit, caller=OPERATOR
    )
    for scope in ("reminder", "marketing"):
        record_consent(uow, CIPHER, audit, 1, _consent(scope, NOW - timedelta(days=9)), OPERATOR,
                       NOW)  # fmt: skip
    uow.suppression.attempts += [
        QueuedCall(1, BIDX),
        QueuedCall(1, BIDX),
        QueuedCall(1, BIDX, status="completed"),
        QueuedCall(1, OTHER),
        QueuedCall(2, BIDX),
    ]
    uow.suppression.places += [
        QueuePlace(cid, "pending"),
        QueuePlace(cid, "retry"),
        QueuePlace(cid, "done"),
        QueuePlace(cid + 1, "pending"),
    ]
    audit.entries.clear()
    return uow, audit, cid


def test_an_opt_out_revokes_every_consent_and_cancels_every_queued_call_for_the_number() -> None:
    uow, audit, cid = _person()

    done = opt_out(uow, CIPHER, audit, 1, "(614) 555-0101", "key_press", "pressed 9", SYSTEM, NOW)

    assert (done.contact_id, done.consents_revoked, done.attempts_cancelled) == (cid, 2, 4)
    assert uow.contacts.locked == [cid]
    (entry,) = uow.suppression.dnc_entries
    assert (entry["id"], entry["firm_id"], entry["number_bidx"]) == (done.dnc_entry_id, 1, BIDX)
    assert (entry["at"], entry["channel"]) == (NOW, "key_press")
    assert CIPHER.decrypt(entry["evidence_enc"], context="dnc_entries.evidence") == "pressed 9"
    assert [c["revoked_via"] for c in consents_for(uow, CIPHER, 1, NUMBER)] == ["key_press"] * 2
    assert [a.status for a in uow.suppression.attempts] == [
        "cancelled", "cancelled", "completed", "queued", "queued"
    ]  # fmt: skip
    assert [(p.status, p.codes) for p in uow.suppression.places] == [
        ("cancelled", ["INTERNAL_DNC"]),
        ("cancelled", ["INTERNAL_DNC"]),
        ("done", None),
        ("pending", None),
    ]
    (audited,) = audit.entries
    assert (audited["action"], audited["subject"]) == ("optout.honoured", f"dnc:{entry['id']}")
    assert audited["data"] == {
        "contact": cid,
        "channel": "key_press",
        "already_listed": False,
        "consents_revoked": 2,
        "attempts_cancelled": 4,
    }


def test_a_repeated_opt_out_keeps_the_first_entry_and_revokes_consents_given_since() -> None:
    uow, audit, _ = _person()
    first = opt_out(uow, CIPHER, audit, 1, NUMBER, "sms", "STOP", SYSTEM, NOW)
    later = NOW + timedelta(days=1)
    record_consent(uow, CIPHER, audit, 1, _consent("reminder", later), OPERATOR, later)

    again = opt_out(uow, CIPHER, audit, 1, NUMBER, "sms", "STOP", SYSTEM, later)

    assert again.dnc_entry_id == first.dnc_entry_id and len(uow.suppression.dnc_entries) == 1
    assert (again.consents_revoked, again.attempts_cancelled) == (1, 0)
    assert audit.entries[-1]["data"]["already_listed"] is True


def test_an_opt_out_for_a_number_no_contact_has_still_lists_it() -> None:
    uow, audit = MemoryUnitOfWork(), ListAudit()
    uow.suppression.attempts.append(QueuedCall(1, BIDX))
    at = datetime(2026, 12, 2, 11, 0, tzinfo=timezone(timedelta(hours=-5)))

    done = opt_out(uow, CIPHER, audit, 1, NUMBER, "web", None, SYSTEM, at)

    assert (done.contact_id, done.consents_revoked, done.attempts_cancelled) == (None, 0, 1)
    assert uow.contacts.locked == []
    (entry,) = uow.suppression.dnc_entries
    assert entry["evidence_enc"] is None
    assert entry["at"] == NOW and entry["at"].tzinfo is UTC  # stored instants are UTC


def test_an_opt_out_on_an_unknown_channel_is_refused_and_nothing_is_written() -> None:
    uow, audit, _ = _person()

    with pytest.raises(RequestError) as err:
        opt_out(uow, CIPHER, audit, 1, NUMBER, "carrier-pigeon", None, SYSTEM, NOW)

    assert err.value.field == "channel"
    assert uow.suppression.dnc_entries == [] and uow.consents.revocations == {}
    assert audit.entries == [] and uow.contacts.locked == []


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        pytest.param("STOP", "revocation", id="stop-word"),
        pytest.param(" opt-out! ", "revocation", id="opt-out-spelled"),
        pytest.param("please don't call me at work", "review", id="maybe"),
        pytest.param("see you Tuesday", "none", id="unrelated"),
    ],
)
def test_a_text_reply_is_a_revocation_a_case_for_review_or_nothing(text: str, kind: str) -> None:
    assert classify_reply(text) == kind
