"""The campaign lint's own refusals (what the engine cannot see), on the in-memory unit of
work: every problem is listed at once, before any contact's dial is judged."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, cast

from lexdial.rules.engine import Engine
from lexdial.service.campaign_lint import lint_campaign
from lexdial.service.campaigns import create_campaign
from lexdial.service.fakes import ListAudit, MemoryRegistry, Reversible
from lexdial.service.fakes.uow import MemoryUnitOfWork
from lexdial.service.users import OPERATOR

NOW = datetime(2026, 12, 1, 15, 0, tzinfo=UTC)


def _lint(spec: dict[str, Any]) -> list[str]:
    uow = MemoryUnitOfWork()
    uow.campaigns.firms[1] = "Hartwell & Ruiz LLP"
    cid = create_campaign(uow, ListAudit(), 1, spec, OPERATOR, NOW)
    # no contact on the list: the engine is never asked, only the lint's own checks run
    engine = cast(Engine, None)
    return lint_campaign(
        uow, engine, Reversible(), MemoryRegistry(), firm_id=1, campaign_id=cid, at=NOW
    )


def test_a_campaign_without_contacts_cannot_start() -> None:
    spec = {"name": "R", "purpose": "reminder", "mode": "broadcast", "message": {"text": "Hi"}}
    assert _lint(spec) == ["contacts: the campaign has no contacts"]


def test_a_caller_id_that_is_not_a_number_to_call_back_is_refused_with_the_rest() -> None:
    spec = {
        "name": "R",
        "purpose": "reminder",
        "mode": "broadcast",
        "caller_id": "+1555",
        "message": {"text": "Hi"},
    }
    assert _lint(spec) == [
        "caller_id: is not a valid telephone number to call back",
        "contacts: the campaign has no contacts",
    ]


def test_a_withheld_caller_id_is_left_to_the_engine() -> None:
    spec = {
        "name": "R",
        "purpose": "reminder",
        "mode": "broadcast",
        "caller_id": "withheld",
        "message": {"text": "Hi"},
    }
    assert _lint(spec) == ["contacts: the campaign has no contacts"]
