"""The use cases behind the API's webhooks, public pages, imports and campaign page, on the
in-memory unit of work: CRM contacts synced once per signed request, SMS replies acted on
once, a public opt-out only with its code, a campaign page's hours and lists."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from lexdial.errors import RequestError
from lexdial.service import inbound, public_codes, public_pages, views, webhook_guard
from lexdial.service.fakes import ListAudit, Reversible
from lexdial.service.fakes.uow import MemoryUnitOfWork
from lexdial.service.import_files import Table
from lexdial.service.import_to_campaign import table_numbers
from lexdial.service.repos.views import AttemptView, CampaignSummary, QueueEntry, UserBadge
from lexdial.service.users import Caller

NOW = datetime(2026, 12, 2, 16, 0, tzinfo=UTC)
CIPHER = Reversible()
NUMBER = "+16145550101"
BIDX = CIPHER.blind_index(NUMBER, kind="number")
CLIO = {
    "id": 77,
    "name": "Dana Client",
    "phone_numbers": [{"number": "fax: n/a"}, {"number": "(614) 555-0101"}],
    "primary_address": {"street": "1 Main St", "province": "oh", "postal_code": "43215-1234",
                        "country": "United States"},
}  # fmt: skip


def _sync(uow: MemoryUnitOfWork, audit: ListAudit, data: dict[str, object], signed: str) -> object:
    person = inbound.crm_contact(data)
    return inbound.sync_crm_contact(uow, CIPHER, audit, 1, person, NOW, signed)


def test_a_crm_contact_keeps_only_dialable_numbers_and_the_address_the_gate_reads() -> None:
    person = inbound.crm_contact(CLIO)
    assert person.numbers == (NUMBER,)
    assert person.address == {"country": "US", "state": "OH", "zip": "43215"}
    assert person.crm_id == "77"
    with pytest.raises(RequestError, match="dialable") as err:
        inbound.crm_contact({"phone_numbers": [{"number": "ext. 12"}]})
    assert err.value.field == "data.phone_numbers"


def test_a_crm_contact_is_created_once_updated_when_it_changes_and_a_replay_is_refused() -> None:
    uow, audit = MemoryUnitOfWork(), ListAudit()

    first = _sync(uow, audit, CLIO, "t=1,v1=a")
    again = _sync(uow, audit, CLIO, "t=2,v1=b")
    renamed = _sync(uow, audit, {**CLIO, "name": "Dana Q. Client"}, "t=3,v1=c")
    replayed = _sync(uow, audit, CLIO, "t=1,v1=a")

    assert first == {"contact": 1, "created": True, "changed": True}
    assert again == {"contact": 1, "created": False, "changed": False}
    assert renamed == {"contact": 1, "created": False, "changed": True}
    assert replayed is None
    name_enc, _ = uow.contacts.sealed_profile(1)
    assert CIPHER.decrypt(name_enc or "", context="contacts.name") == "Dana Q. Client"
    synced = [e["data"] for e in audit.entries if e["action"] == "contact.synced"]
    assert synced == [{"created": True, "crm_id": "77"}, {"created": False, "crm_id": "77"}]


def test_an_sms_stop_word_opts_the_number_out_once() -> None:
    uow, audit = MemoryUnitOfWork(), ListAudit()
    receipt = inbound.Receipt("sms", "t=1,v1=a", webhook_guard.timed_keep())

    def reply() -> bool:
        return inbound.sms_reply(
            uow, CIPHER, audit, 1, receipt, sender=NUMBER, text="STOP", kind="revocation", at=NOW
        )

    assert reply() is True
    assert uow.suppression.first_dnc_entry(1, BIDX) is not None
    assert reply() is False  # the same signed request again: nothing changes
    assert [e["action"] for e in audit.entries].count("optout.honoured") == 1


def test_a_public_opt_out_takes_effect_only_with_the_code_sent_to_the_number() -> None:
    uow, audit = MemoryUnitOfWork(), ListAudit()
    code = public_codes.issue_code(uow, CIPHER, "optout", NUMBER, NOW)
    assert code is not None
    wrong = "0" * len(code) if code != "0" * len(code) else "1" * len(code)

    assert not public_pages.confirm_optout(uow, CIPHER, audit, 1, NUMBER, wrong, NOW)
    assert uow.suppression.first_dnc_entry(1, BIDX) is None
    assert public_pages.confirm_optout(uow, CIPHER, audit, 1, NUMBER, code, NOW)
    assert uow.suppression.first_dnc_entry(1, BIDX) is not None


def _attempt(i: int, at: datetime, status: str = "completed") -> AttemptView:
    return AttemptView(i, 1, 5, at, "reminder", "autodialed", status, "allow", None, None,
                       None, None)  # fmt: skip


def test_calls_per_hour_counts_placed_calls_with_empty_hours_as_zero() -> None:
    uow = MemoryUnitOfWork()
    at = datetime(2026, 12, 2, 14, 5)  # naive, as SQLite returns it: UTC
    uow.views.attempts += [
        _attempt(1, at),
        _attempt(2, at + timedelta(minutes=30)),
        _attempt(3, at + timedelta(hours=2)),
        _attempt(4, at + timedelta(hours=1), status="denied"),
    ]
    hour = datetime(2026, 12, 2, 14, tzinfo=UTC)
    assert views.calls_per_hour(uow, 5) == [
        (hour, 2),
        (hour + timedelta(hours=1), 0),
        (hour + timedelta(hours=2), 1),
    ]
    assert views.calls_per_hour(uow, 6) == []


def test_calls_per_hour_shows_at_most_the_last_48_hours() -> None:
    uow = MemoryUnitOfWork()
    start = datetime(2026, 12, 1, 0, tzinfo=UTC)
    uow.views.attempts += [_attempt(1, start), _attempt(2, start + timedelta(hours=60))]
    hours = views.calls_per_hour(uow, 5)
    assert len(hours) == 48 and hours[-1] == (start + timedelta(hours=60), 1)


def test_a_campaign_page_lists_blocked_by_contact_and_waiting_by_due_time() -> None:
    uow = MemoryUnitOfWork()
    later, sooner = NOW + timedelta(hours=3), NOW + timedelta(hours=1)
    uow.views.queue += [
        (5, QueueEntry(9, "blocked", codes=["DNC_FIRM"])),
        (5, QueueEntry(3, "blocked", codes=["CONSENT_MISSING"])),
        (5, QueueEntry(4, "deferred", later)),
        (5, QueueEntry(7, "retry", sooner, last_outcome="busy")),
        (5, QueueEntry(8, "queued")),
        (6, QueueEntry(1, "blocked")),
    ]
    assert [e.contact_id for e in views.blocked_entries(uow, 5)] == [3, 9]
    assert [e.contact_id for e in views.waiting_entries(uow, 5)] == [7, 4]


def test_only_draft_running_and_paused_campaigns_take_an_import() -> None:
    uow = MemoryUnitOfWork()
    for i, status in enumerate(("draft", "running", "paused", "stopped", "completed"), 1):
        uow.views.campaign_rows.append((1, CampaignSummary(i, f"c{i}", "reminder", "x", status)))
    assert [c.id for c in views.fillable_campaigns(uow, 1)] == [3, 2, 1]


def test_whether_numbers_show_in_full_follows_the_role_read_from_the_store() -> None:
    uow = MemoryUnitOfWork()
    uow.views.users[1] = UserBadge(1, "a@firm.example", "agent")
    uow.views.users[2] = UserBadge(2, "c@firm.example", "compliance")
    # the role in the session is stale: the store's decides
    assert not views.sees_full_numbers(uow, Caller("web:a", "admin", user_id=1))
    assert views.sees_full_numbers(uow, Caller("web:c", "agent", user_id=2))
    assert not views.sees_full_numbers(uow, Caller("web:gone", "admin", user_id=3))
    assert views.sees_full_numbers(uow, Caller("cli:operator", "admin"))


def test_an_import_lists_each_rows_number_once_read_in_its_country() -> None:
    rows = ((2, ("(614) 555-0101", "")), (3, ("020 7946 0018", "gb")), (4, (NUMBER, "US")))
    table = Table(headers=("phone", "country"), rows=rows)
    assert table_numbers(table, {"number": "phone", "country": "country"}) == [
        NUMBER,
        "+442079460018",
    ]
