"""Taking a contact off a campaign on the in-memory unit of work: a place not dialled yet is
cancelled with its queued attempts and audited; a call in progress is refused; a finished
place is left as it is; other firms' campaigns and contacts are not found."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from lexdial.domain.states import AttemptStatus, QueueStatus
from lexdial.errors import CampaignError, NotFoundError, PermissionDeniedError
from lexdial.service.campaigns import create_campaign
from lexdial.service.contacts import NewContact, add_contact
from lexdial.service.contacts_campaign import REMOVED, remove_from_campaign
from lexdial.service.fakes import ListAudit, Reversible
from lexdial.service.fakes.uow import MemoryUnitOfWork
from lexdial.service.users import OPERATOR, Caller

NOW = datetime(2026, 12, 1, 15, 0, tzinfo=UTC)
SPEC: dict[str, Any] = {
    "name": "Reminders",
    "purpose": "reminder",
    "mode": "broadcast",
    "caller_id": "+16145550199",
    "message": {
        "text": "Hello, this is Hartwell and Ruiz with a reminder. Please call us at "
        "614-555-0199. To stop these calls, press 9 now."
    },
}


def _setup(status: str) -> tuple[MemoryUnitOfWork, int, int]:
    uow = MemoryUnitOfWork()
    uow.campaigns.firms.update({1: "Hartwell & Ruiz LLP", 2: "Other Firm"})
    cid = create_campaign(uow, ListAudit(), 1, SPEC, OPERATOR, NOW)
    new = NewContact(numbers=(("+16145550101", "wireless"),))
    contact = add_contact(uow, Reversible(), 1, new, NOW, audit=ListAudit(), caller=OPERATOR)
    uow.contacts.places[(cid, contact)] = {"status": status, "codes": None}
    uow.contacts.queued.append(
        {"campaign_id": cid, "contact_id": contact, "status": AttemptStatus.QUEUED}
    )
    return uow, cid, contact


@pytest.mark.parametrize(
    "status",
    [QueueStatus.PENDING, QueueStatus.DEFERRED, QueueStatus.RETRY, QueueStatus.OFFERED],
    ids=str,
)
def test_a_place_not_dialled_yet_is_cancelled_with_its_queued_attempts_and_audited(
    status: str,
) -> None:
    uow, cid, contact = _setup(status)
    audit = ListAudit()

    done = remove_from_campaign(uow, audit, 1, cid, contact, NOW, caller=OPERATOR)

    assert (done.was, done.cancelled) == (status, True)
    assert uow.contacts.places[(cid, contact)] == {
        "status": QueueStatus.CANCELLED,
        "codes": [REMOVED],
    }
    assert uow.contacts.queued[0]["status"] == AttemptStatus.CANCELLED
    assert uow.contacts.locked == [contact]
    assert [(e["action"], e["subject"], e["data"]) for e in audit.entries] == [
        ("campaign.contact_removed", f"campaign:{cid}", {"contact": contact, "was": status})
    ]


def test_a_contact_whose_call_is_in_progress_is_refused_saying_so_and_nothing_changes() -> None:
    uow, cid, contact = _setup(QueueStatus.DIALING)
    audit = ListAudit()

    with pytest.raises(CampaignError, match="call in progress"):
        remove_from_campaign(uow, audit, 1, cid, contact, NOW, caller=OPERATOR)

    assert uow.contacts.places[(cid, contact)]["status"] == QueueStatus.DIALING
    assert uow.contacts.queued[0]["status"] == AttemptStatus.QUEUED
    assert audit.entries == []


@pytest.mark.parametrize(
    "status", [QueueStatus.DONE, QueueStatus.BLOCKED, QueueStatus.CANCELLED], ids=str
)
def test_a_finished_place_is_left_as_it_was_and_not_audited(status: str) -> None:
    uow, cid, contact = _setup(status)
    audit = ListAudit()

    done = remove_from_campaign(uow, audit, 1, cid, contact, NOW, caller=OPERATOR)

    assert (done.was, done.cancelled) == (status, False)
    assert uow.contacts.places[(cid, contact)] == {"status": status, "codes": None}
    assert audit.entries == []


def test_a_contact_not_on_the_list_another_firms_campaign_or_contact_is_not_found() -> None:
    uow, cid, contact = _setup(QueueStatus.PENDING)
    theirs = add_contact(
        uow,
        Reversible(),
        2,
        NewContact(numbers=(("+16145550102", None),)),
        NOW,
        audit=ListAudit(),
        caller=OPERATOR,
    )
    other_campaign = create_campaign(uow, ListAudit(), 2, SPEC, OPERATOR, NOW)

    for firm, campaign, who, field in (
        (1, cid, theirs, "contact_id"),
        (1, other_campaign, contact, "campaign"),
        (1, cid + 99, contact, "campaign"),
    ):
        with pytest.raises(NotFoundError) as err:
            remove_from_campaign(uow, ListAudit(), firm, campaign, who, NOW, caller=OPERATOR)
        assert err.value.field == field
    del uow.contacts.places[(cid, contact)]
    with pytest.raises(NotFoundError, match="not on campaign"):
        remove_from_campaign(uow, ListAudit(), 1, cid, contact, NOW, caller=OPERATOR)


def test_an_agent_may_not_take_a_contact_off_a_campaign() -> None:
    uow, cid, contact = _setup(QueueStatus.PENDING)
    with pytest.raises(PermissionDeniedError):
        remove_from_campaign(
            uow, ListAudit(), 1, cid, contact, NOW, caller=Caller("api:agent", "agent")
        )
    assert uow.contacts.places[(cid, contact)]["status"] == QueueStatus.PENDING
