"""Campaign use cases on the in-memory unit of work: create (validated, draft, audited),
edit only while a draft, contacts attached once each and only the firm's own, the life cycle
and a stop cancelling whoever is still queued."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from lexdial.errors import CampaignError, PermissionDeniedError, RequestError
from lexdial.service.campaigns import (
    add_contacts,
    campaign_status,
    create_campaign,
    drop_lease,
    edit_campaign,
    lease_until,
    load_campaign,
    queue_counts,
    set_status,
    take_lease,
)
from lexdial.service.fakes import ListAudit
from lexdial.service.fakes.uow import MemoryUnitOfWork
from lexdial.service.users import OPERATOR, Caller

NOW = datetime(2026, 12, 1, 15, 0, tzinfo=UTC)
FIRM = "Hartwell & Ruiz LLP"
TEXT = (
    "Hello, this is Hartwell and Ruiz with a reminder of your appointment on Friday. "
    "Please call us at 614-555-0199. To stop these calls, press 9 now."
)
SPEC: dict[str, Any] = {
    "name": "Reminders",
    "purpose": "reminder",
    "mode": "broadcast",
    "caller_id": "+16145550199",
    "message": {"text": TEXT},
}


@pytest.fixture
def uow() -> MemoryUnitOfWork:
    uow = MemoryUnitOfWork()
    uow.campaigns.firms.update({1: FIRM, 2: "Other Firm"})
    uow.campaigns.contacts.update({10: 1, 11: 1, 12: 1, 20: 2})
    return uow


def test_a_new_campaign_is_a_draft_with_its_script_facts_and_is_audited(
    uow: MemoryUnitOfWork,
) -> None:
    audit = ListAudit()
    cid = create_campaign(uow, audit, 1, SPEC, OPERATOR, NOW)
    camp = load_campaign(uow, 1, cid)
    assert camp.status == "draft" and camp.spec.name == "Reminders"
    script = uow.campaigns.rows[cid].columns["script"]
    assert script["identifies_firm_at_start"] and script["offers_opt_out"]
    assert [e["action"] for e in audit.entries] == ["campaign.created"]
    assert audit.entries[0]["subject"] == f"campaign:{cid}"


@pytest.mark.parametrize(
    ("spec", "field"),
    [
        ({**SPEC, "purpose": "fundraising"}, "purpose"),
        ({**SPEC, "colour": "red"}, "colour"),
        ({**SPEC, "message": {}}, "message"),
    ],
    ids=["unknown purpose", "unknown setting", "no message"],
)
def test_invalid_settings_are_refused_naming_the_field_and_store_nothing(
    uow: MemoryUnitOfWork, spec: dict[str, Any], field: str
) -> None:
    with pytest.raises(RequestError) as err:
        create_campaign(uow, ListAudit(), 1, spec, OPERATOR, NOW)
    assert err.value.field == field
    assert uow.campaigns.rows == {}


def test_a_role_that_may_not_write_campaigns_is_refused(uow: MemoryUnitOfWork) -> None:
    with pytest.raises(PermissionDeniedError):
        create_campaign(uow, ListAudit(), 1, SPEC, Caller("someone", "agent"), NOW)


def test_only_a_draft_can_be_edited(uow: MemoryUnitOfWork) -> None:
    audit = ListAudit()
    cid = create_campaign(uow, audit, 1, SPEC, OPERATOR, NOW)
    edit_campaign(uow, audit, 1, cid, {**SPEC, "name": "Renamed"}, OPERATOR, NOW)
    assert load_campaign(uow, 1, cid).spec.name == "Renamed"
    uow.campaigns.list_contacts(cid, [10], "pending")
    set_status(uow, audit, 1, cid, "start", OPERATOR, NOW)
    with pytest.raises(CampaignError):
        edit_campaign(uow, audit, 1, cid, {**SPEC, "name": "Again"}, OPERATOR, NOW)
    assert load_campaign(uow, 1, cid).spec.name == "Renamed"


def test_contacts_are_attached_once_each_and_the_audit_says_how_many_were_new(
    uow: MemoryUnitOfWork,
) -> None:
    audit = ListAudit()
    cid = create_campaign(uow, audit, 1, SPEC, OPERATOR, NOW)
    assert add_contacts(uow, audit, 1, cid, [10, 11, 10], OPERATOR, NOW) == 2
    assert add_contacts(uow, audit, 1, cid, [11, 12], OPERATOR, NOW) == 1
    assert queue_counts(uow, cid) == {"pending": 3}
    assert audit.entries[-1]["data"] == {"added": 1, "already_listed": 1}


def test_another_firms_contact_or_campaign_is_not_found(uow: MemoryUnitOfWork) -> None:
    cid = create_campaign(uow, ListAudit(), 1, SPEC, OPERATOR, NOW)
    with pytest.raises(RequestError) as err:
        add_contacts(uow, ListAudit(), 1, cid, [10, 20], OPERATOR, NOW)
    assert err.value.field == "contacts"
    assert queue_counts(uow, cid) == {}
    with pytest.raises(RequestError) as err:
        load_campaign(uow, 2, cid)
    assert err.value.field == "campaign"


def test_a_start_with_lint_problems_is_refused_and_changes_nothing(
    uow: MemoryUnitOfWork,
) -> None:
    cid = create_campaign(uow, ListAudit(), 1, SPEC, OPERATOR, NOW)
    with pytest.raises(CampaignError) as err:
        set_status(uow, ListAudit(), 1, cid, "start", OPERATOR, NOW, ["contacts: none"])
    assert err.value.problems == ("contacts: none",)
    assert campaign_status(uow, cid) == "draft"


def test_an_illegal_transition_is_refused_and_changes_nothing(uow: MemoryUnitOfWork) -> None:
    cid = create_campaign(uow, ListAudit(), 1, SPEC, OPERATOR, NOW)
    with pytest.raises(CampaignError):
        set_status(uow, ListAudit(), 1, cid, "pause", OPERATOR, NOW)
    assert campaign_status(uow, cid) == "draft"


def test_a_stop_cancels_every_contact_still_queued_and_no_one_can_be_added_after(
    uow: MemoryUnitOfWork,
) -> None:
    audit = ListAudit()
    cid = create_campaign(uow, audit, 1, SPEC, OPERATOR, NOW)
    add_contacts(uow, audit, 1, cid, [10, 11, 12], OPERATOR, NOW)
    uow.campaigns.queue[cid][0].status = "completed"
    uow.campaigns.queue[cid][1].status = "retry"
    assert set_status(uow, audit, 1, cid, "start", OPERATOR, NOW) == "running"
    assert set_status(uow, audit, 1, cid, "stop", OPERATOR, NOW) == "stopped"
    assert queue_counts(uow, cid) == {"completed": 1, "cancelled": 2}
    assert audit.entries[-1]["data"] == {"from": "running", "to": "stopped"}
    with pytest.raises(CampaignError):
        add_contacts(uow, audit, 1, cid, [10], OPERATOR, NOW)


def test_a_second_dialler_cannot_take_a_held_campaign_until_the_lease_runs_out(
    uow: MemoryUnitOfWork,
) -> None:
    cid = create_campaign(uow, ListAudit(), 1, SPEC, OPERATOR, NOW)
    assert take_lease(uow, cid, "a", NOW, 30)
    assert not take_lease(uow, cid, "b", NOW + timedelta(seconds=10), 30)
    assert take_lease(uow, cid, "a", NOW + timedelta(seconds=10), 30)
    assert lease_until(uow, cid) == NOW + timedelta(seconds=40)
    assert take_lease(uow, cid, "b", NOW + timedelta(seconds=41), 30)
    drop_lease(uow, cid, "a")  # not a's any more: nothing changes
    assert lease_until(uow, cid) == NOW + timedelta(seconds=71)
    drop_lease(uow, cid, "b")
    assert lease_until(uow, cid) is None
