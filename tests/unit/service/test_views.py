"""The faces' views of calls over the in-memory unit of work: a contact's decisions oldest
first with their outcome, a campaign's attempts paged within bounds."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from lexdial.errors import NotFoundError
from lexdial.service import views
from lexdial.service.fakes.uow import MemoryUnitOfWork
from lexdial.service.repos.views import AttemptView, CampaignSummary, UserBadge

T0 = datetime(2026, 12, 2, 15, 0, tzinfo=UTC)
DENY = {"reasons": [{"code": "NO_CONSENT", "message": "no consent", "rule_ids": ["x"]}]}


def _attempt(i: int, contact: int, campaign: int | None, minutes: int, **kw: object) -> AttemptView:
    fields: dict[str, object] = {
        "id": i,
        "contact_id": contact,
        "campaign_id": campaign,
        "at": T0 + timedelta(minutes=minutes),
        "purpose": "reminder",
        "technology": "prerecorded",
        "status": "completed",
        "verdict": "allow",
        "decision_id": f"d{i}",
        "earliest_allowed_at": None,
        "rulepack": "2026.12",
        "decision": {"reasons": []},
        **kw,
    }
    return AttemptView(**fields)  # type: ignore[arg-type]


def _uow() -> MemoryUnitOfWork:
    uow = MemoryUnitOfWork()
    uow.views.attempts.extend(
        [
            _attempt(3, 1, 7, 5, outcome="human", talk_s=12.0),
            _attempt(1, 1, 7, 9, status="blocked", verdict="deny", decision=DENY),
            _attempt(2, 2, 7, 1),
            _attempt(4, 1, None, 5),
        ]
    )
    return uow


def test_a_contacts_decisions_are_oldest_first_and_only_that_contacts() -> None:
    rows = views.contact_decisions(_uow(), 1)
    assert [r.id for r in rows] == [3, 4, 1]  # by time, then id
    assert rows[0].outcome == "human" and rows[2].outcome is None


def test_a_decisions_reasons_are_shown_as_code_and_message_only() -> None:
    denied = views.contact_decisions(_uow(), 1)[-1]
    assert views.reasons(denied) == [{"code": "NO_CONSENT", "message": "no consent"}]
    assert views.as_row(denied)["reasons"] == DENY["reasons"]
    assert views.as_row(denied)["decision_id"] == "d1"


def test_a_campaigns_attempts_come_in_the_order_made_one_page_at_a_time() -> None:
    uow = _uow()
    assert [r.id for r in views.campaign_attempts(uow, 7)] == [1, 2, 3]
    assert [r.id for r in views.campaign_attempts(uow, 7, limit=1, offset=1)] == [2]


def test_a_page_asked_for_out_of_bounds_is_still_at_least_one_row_from_the_start() -> None:
    uow = _uow()
    assert [r.id for r in views.campaign_attempts(uow, 7, limit=0, offset=-5)] == [1]
    assert len(views.campaign_attempts(uow, 7, limit=10**9)) == 3


def test_a_decision_is_found_by_its_id_only_within_its_firm() -> None:
    uow = _uow()
    uow.views.attempt_firms.update({1: 1, 2: 1, 3: 2, 4: 1})
    assert views.recorded_decision(uow, 1, "d1").status == "blocked"
    with pytest.raises(NotFoundError) as caught:
        views.recorded_decision(uow, 1, "d3")  # firm 2's: answered like an unknown one
    assert caught.value.field == "decision_id" and caught.value.http_status == 404


def test_the_campaign_list_is_the_firms_own_newest_first() -> None:
    uow = MemoryUnitOfWork()
    uow.views.campaign_rows.extend(
        [
            (1, CampaignSummary(1, "Old", "reminder", "broadcast", "completed", 5, 5)),
            (2, CampaignSummary(2, "Theirs", "reminder", "broadcast", "draft")),
            (1, CampaignSummary(3, "New", "reminder", "preview", "draft")),
        ]
    )
    assert [c.name for c in views.campaign_list(uow, 1)] == ["New", "Old"]
    assert views.as_dict(views.campaign_list(uow, 1)[1])["dialled"] == 5


def test_a_user_is_named_by_e_mail_and_role_and_a_gone_one_is_none() -> None:
    uow = MemoryUnitOfWork()
    uow.views.users[7] = UserBadge(7, "ann@firm.test", "manager")
    assert views.who(uow, 7) == UserBadge(7, "ann@firm.test", "manager")
    assert views.who(uow, 8) is None


def test_a_report_prints_the_firms_own_name() -> None:
    uow = MemoryUnitOfWork()
    uow.views.firms.update({1: "Hartwell & Ruiz LLP", 2: "Other LLP"})
    assert views.firm_name(uow, 1) == "Hartwell & Ruiz LLP"
