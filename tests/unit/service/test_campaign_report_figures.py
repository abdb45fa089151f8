"""Campaign report figures on the in-memory unit of work: the abandonment rate over the 30
days before the report (47 CFR 64.1200(a)(7)(i): at most 3 % of live-answered calls), the
evidence report's periods against the 3 % line, decisions by status and opt-outs honoured."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from lexdial.rules.engine import Engine
from lexdial.service.campaign_report import campaign_report
from lexdial.service.campaigns import create_campaign
from lexdial.service.fakes import ListAudit, MemoryRegistry, Reversible
from lexdial.service.fakes.campaigns import FakeAttempt, FakeOutcome
from lexdial.service.fakes.uow import MemoryUnitOfWork
from lexdial.service.report_data import campaign_data
from lexdial.service.users import OPERATOR

START = datetime(2026, 11, 2, 15, 0, tzinfo=UTC)
SPEC: dict[str, Any] = {
    "name": "Reminders",
    "purpose": "reminder",
    "mode": "broadcast",
    "message": {"text": "Hello from Hartwell and Ruiz. Call 614-555-0199. Press 9 to stop."},
}


def _campaign(uow: MemoryUnitOfWork) -> int:
    uow.campaigns.firms[1] = "Hartwell & Ruiz LLP"
    return create_campaign(uow, ListAudit(), 1, SPEC, OPERATOR, START)


def _calls(
    uow: MemoryUnitOfWork,
    cid: int,
    at: datetime,
    live: int,
    abandoned: int,
    status: str = "completed",
) -> None:
    """``live`` live-answered calls at ``at``, the first ``abandoned`` of them abandoned."""
    reports = uow.reports
    for i in range(live):
        attempt_id = len(reports.attempts) + 1
        reports.attempts.append(
            FakeAttempt(attempt_id, 1, cid, f"n{attempt_id}", at, status, rulepack="2026.11")
        )
        reports.outcomes.append(
            FakeOutcome(attempt_id, at, "abandoned" if i < abandoned else "answered",
                        live_answered=True, abandoned=i < abandoned)
        )  # fmt: skip


@pytest.mark.parametrize(
    ("abandoned", "rate"),
    [(3, 0.03), (4, 0.04), (0, 0.0)],
    ids=["3 in 100: on the line", "4 in 100: over it", "none"],
)
def test_the_abandonment_rate_is_abandoned_over_live_answered_in_the_last_30_days(
    abandoned: int, rate: float
) -> None:
    uow = MemoryUnitOfWork()
    cid = _campaign(uow)
    at = START + timedelta(days=40)
    _calls(uow, cid, START, 50, 50)  # 40 days before the report: outside the window
    _calls(uow, cid, at - timedelta(days=5), 100, abandoned)
    report = campaign_report(uow, 1, cid, at)
    assert (report["live_answered_30d"], report["abandoned_30d"]) == (100, abandoned)
    assert report["abandonment_rate_30d"] == pytest.approx(rate)
    assert report["dialled"] == report["decisions"] == 150


def test_a_campaign_with_no_live_answer_has_a_zero_rate_not_an_error() -> None:
    uow = MemoryUnitOfWork()
    cid = _campaign(uow)
    report = campaign_report(uow, 1, cid, START)
    assert report["abandonment_rate_30d"] == 0.0
    assert report["audit_chain_ok"] is True
    assert campaign_report(uow, 1, cid, START, verify_chain=False)["audit_chain_ok"] is None


def test_an_opt_out_is_honoured_only_with_an_entry_and_no_call_placed_after_it() -> None:
    uow = MemoryUnitOfWork()
    cid = _campaign(uow)
    _calls(uow, cid, START, 2, 0)
    for o in uow.reports.outcomes:
        o.opted_out = True
    uow.reports.dnc += [(1, "n1", START), (1, "n2", START)]
    later = START + timedelta(days=1)
    uow.reports.attempts.append(FakeAttempt(3, 1, None, "n2", later, "dialled"))
    report = campaign_report(uow, 1, cid, START + timedelta(days=2))
    assert (report["opt_outs"], report["opt_outs_honoured"]) == (2, 1)


def _periods(engine: Engine, abandoned: int) -> list[dict[str, Any]]:
    uow = MemoryUnitOfWork()
    cid = _campaign(uow)
    _calls(uow, cid, START, 100, abandoned)
    _calls(uow, cid, START + timedelta(days=31), 10, 0)  # a second, clean period
    data = campaign_data(
        uow,
        engine,
        Reversible(),
        MemoryRegistry(),
        firm_id=1,
        campaign_id=cid,
        at=START + timedelta(days=45),
    )
    assert data["abandonment"]["limit"] == 0.03  # the rule pack's (us.abandonment)
    periods: list[dict[str, Any]] = data["abandonment"]["periods"]
    return periods


def test_a_30_day_period_at_3_percent_is_within_the_limit(engine: Engine) -> None:
    first, second = _periods(engine, 3)
    assert (first["live"], first["abandoned"], first["over_limit"]) == (100, 3, False)
    assert first["complete"] and not second["complete"]
    assert not second["over_limit"]


def test_a_30_day_period_over_3_percent_is_flagged_and_the_next_one_is_judged_alone(
    engine: Engine,
) -> None:
    first, second = _periods(engine, 4)
    assert first["over_limit"] and first["rate"] == pytest.approx(0.04)
    assert (second["live"], second["abandoned"], second["over_limit"]) == (10, 0, False)
