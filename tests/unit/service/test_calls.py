"""The dial-time gate, the campaign queue and outcomes on the in-memory unit of work.

What matters: every gate decision (allow, deny, defer) is stored with its decision and
audited before anything else happens; a denied or deferred contact is never handed to the
dialler; the queue moves dialing -> blocked | deferred | rescheduled | dialing -> done/retry
exactly as the integration tests see it on SQLite and PostgreSQL.
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, time, timedelta

import pytest

from lexdial.domain.call import CallFlow, FlowConfig, Outcome
from lexdial.domain.campaign_spec import CampaignSpec, Message, Retry, Schedule
from lexdial.domain.states import AttemptStatus
from lexdial.rules.engine import Engine
from lexdial.service.contacts import NUMBER_CTX
from lexdial.service.dialer_queue import (
    EXPIRED_CODE,
    SCHEDULE_CODE,
    Admitted,
    QueueItem,
    admit,
    confirm_dial,
    due_contacts,
    recover,
    still_scheduled,
)
from lexdial.service.fakes import ListAudit, MemoryRegistry, Reversible
from lexdial.service.fakes.calls import MemoryAttemptRepository
from lexdial.service.fakes.uow import MemoryUnitOfWork
from lexdial.service.gate import CallPlan, gate
from lexdial.service.outcomes import record_outcome
from lexdial.service.repos.calls import GateCampaign, GateContact, GateNumber, NewAttempt

FIRM, CONTACT, CAMPAIGN, BIDX = 1, 10, 7, "bidx-10"
NOON_NY = datetime(2026, 12, 2, 16, 0, tzinfo=UTC)  # Wed 11:00 in New York
NIGHT_NY = datetime(2026, 12, 3, 3, 0, tzinfo=UTC)  # Wed 22:00 in New York
#: a manual collection call: allowed 08:00-21:00 local (FDCPA 1692c(a)(1)), no consent needed
PLAN = CallPlan("debt_collection", "manual")
CIPHER = Reversible()
SPEC = CampaignSpec(
    name="reminders", purpose="reminder", mode="broadcast", caller_id="+16145550000",
    message=Message(text="Your appointment is tomorrow."),
)  # fmt: skip


@pytest.fixture
def uow() -> MemoryUnitOfWork:
    uow = MemoryUnitOfWork()
    store = uow.attempts
    store.firms[FIRM] = "Hartwell & Ruiz LLP"
    address = {"country": "US", "state": "OH", "time_zone": "America/New_York"}
    store.contacts[CONTACT] = GateContact(
        firm_id=FIRM,
        relationship="current_client",
        address_enc=CIPHER.encrypt(json.dumps(address), context="contacts.address"),
    )
    store.numbers[CONTACT] = GateNumber(
        CIPHER.encrypt("+16145550101", context=NUMBER_CTX), BIDX, "landline"
    )
    store.campaigns[CAMPAIGN] = GateCampaign(
        firm_id=FIRM,
        purpose="debt_collection",
        technology="manual",
        mode="preview",
        caller_id="+16145550000",
    )
    store.statuses[CAMPAIGN] = "running"
    return uow


def _gate(uow: MemoryUnitOfWork, engine: Engine, audit: ListAudit, at: datetime) -> int:
    return gate(
        uow, engine, CIPHER, audit, MemoryRegistry(),
        firm_id=FIRM, contact_id=CONTACT, at=at, plan=PLAN,
    ).attempt_id  # fmt: skip


def _admit(
    uow: MemoryUnitOfWork, engine: Engine, audit: ListAudit, at: datetime, spec: CampaignSpec = SPEC
) -> tuple[str, int | None, str | None, int]:
    queue_id = uow.attempts.add_to_queue(CAMPAIGN, CONTACT)
    item = QueueItem(queue_id, CONTACT, 0, spec.retry)
    got = admit(
        uow, engine, CIPHER, audit, MemoryRegistry(),
        firm_id=FIRM, campaign_id=CAMPAIGN, spec=spec, item=item, at=at,
    )  # fmt: skip
    return got.verdict, got.attempt_id, got.number, queue_id


@pytest.mark.parametrize(
    ("setup", "at", "verdict", "status"),
    [
        pytest.param(None, NOON_NY, "allow", "allowed", id="allow"),
        pytest.param("dnc", NOON_NY, "deny", "denied", id="deny-internal-dnc"),
        pytest.param(None, NIGHT_NY, "defer", "deferred", id="defer-after-hours"),
    ],
)
def test_every_gate_decision_is_recorded_as_an_attempt_with_its_decision_and_audited(
    uow: MemoryUnitOfWork,
    engine: Engine,
    setup: str | None,
    at: datetime,
    verdict: str,
    status: str,
) -> None:
    if setup == "dnc":
        uow.attempts.suppressed.add((FIRM, BIDX))
    audit = ListAudit()
    attempt_id = _gate(uow, engine, audit, at)
    attempt = uow.attempts.attempts[attempt_id]
    assert (attempt.verdict, attempt.status, attempt.number_bidx) == (verdict, status, BIDX)
    assert attempt.decision["verdict"] == verdict
    assert attempt.decision_id == attempt.decision["decision_id"]
    assert (attempt.purpose, attempt.technology, attempt.at) == ("debt_collection", "manual", at)
    [entry] = audit.entries
    assert (entry["action"], entry["subject"]) == ("decision.recorded", f"attempt:{attempt_id}")
    assert entry["data"]["verdict"] == verdict
    assert entry["data"]["decision_id"] == attempt.decision_id
    assert "+16145550101" not in json.dumps(entry["data"])  # the number is never audited


def test_a_deferred_decision_names_the_earliest_allowed_instant(
    uow: MemoryUnitOfWork, engine: Engine
) -> None:
    attempt = uow.attempts.attempts[_gate(uow, engine, ListAudit(), NIGHT_NY)]
    assert attempt.earliest_allowed_at is not None and attempt.earliest_allowed_at > NIGHT_NY


def test_a_contact_of_another_firm_is_refused_and_nothing_is_recorded(
    uow: MemoryUnitOfWork, engine: Engine
) -> None:
    uow.attempts.contacts[CONTACT] = replace(uow.attempts.contacts[CONTACT], firm_id=2)
    audit = ListAudit()
    with pytest.raises(Exception, match="no contact"):
        _gate(uow, engine, audit, NOON_NY)
    assert uow.attempts.attempts == {} and audit.entries == []


def test_earlier_placed_calls_reach_the_gate_as_history(
    uow: MemoryUnitOfWork, engine: Engine
) -> None:
    first = _gate(uow, engine, ListAudit(), NOON_NY)
    uow.attempts.set_status(first, "dialled")
    second = _gate(uow, engine, ListAudit(), NOON_NY + timedelta(minutes=5))
    history = uow.attempts.history(CONTACT, NOON_NY - timedelta(days=1), NOON_NY, ("dialled",))
    assert [c.at for c in history] == [NOON_NY]
    assert (
        uow.attempts.attempts[second].decision["input_digest"]
        != (uow.attempts.attempts[first].decision["input_digest"])
    )


def test_a_denied_contact_is_blocked_with_the_reasons_and_never_dialled(
    uow: MemoryUnitOfWork, engine: Engine
) -> None:
    uow.attempts.suppressed.add((FIRM, BIDX))
    verdict, attempt_id, number, queue_id = _admit(uow, engine, ListAudit(), NOON_NY)
    assert (verdict, number) == ("deny", None)
    assert attempt_id is not None
    row = uow.attempts.queue[queue_id]
    assert (row["status"], row["last_attempt_id"], row["attempts"]) == ("blocked", attempt_id, 0)
    assert row["codes"] and "INTERNAL_DNC" in " ".join(row["codes"])
    assert uow.attempts.attempts[attempt_id].status == "denied"


def test_a_deferred_contact_waits_in_the_queue_until_the_earliest_allowed_instant(
    uow: MemoryUnitOfWork, engine: Engine
) -> None:
    verdict, attempt_id, number, queue_id = _admit(uow, engine, ListAudit(), NIGHT_NY)
    assert (verdict, number) == ("defer", None)
    assert attempt_id is not None
    row = uow.attempts.queue[queue_id]
    assert row["status"] == "deferred"
    assert row["next_at"] == uow.attempts.attempts[attempt_id].earliest_allowed_at
    items, nxt = due_contacts(uow, CAMPAIGN, NIGHT_NY, 10, SPEC.retry)
    assert (items, nxt) == ([], row["next_at"])


def test_an_allowed_contact_is_dialled_and_its_attempt_counted(
    uow: MemoryUnitOfWork, engine: Engine
) -> None:
    verdict, attempt_id, number, queue_id = _admit(uow, engine, ListAudit(), NOON_NY)
    assert (verdict, number) == ("allow", "+16145550101")
    assert attempt_id is not None
    row = uow.attempts.queue[queue_id]
    assert (row["status"], row["attempts"], row["codes"]) == ("dialing", 1, None)
    assert uow.attempts.attempts[attempt_id].status == "dialled"


def test_an_allowed_call_outside_the_campaign_schedule_is_rescheduled_not_dialled(
    uow: MemoryUnitOfWork, engine: Engine
) -> None:
    afternoon = replace(SPEC, schedule=Schedule(start=time(14, 0), end=time(17, 0)))
    verdict, attempt_id, number, queue_id = _admit(uow, engine, ListAudit(), NOON_NY, afternoon)
    assert (verdict, number) == ("skip", None)
    assert attempt_id is not None
    row = uow.attempts.queue[queue_id]
    assert (row["status"], row["codes"]) == ("deferred", [SCHEDULE_CODE])
    assert row["next_at"] == datetime(2026, 12, 2, 19, 0, tzinfo=UTC)  # 14:00 in New York
    assert uow.attempts.attempts[attempt_id].status == "rescheduled"


def test_a_paused_campaign_or_a_contact_already_taken_admits_nobody(
    uow: MemoryUnitOfWork, engine: Engine
) -> None:
    uow.attempts.statuses[CAMPAIGN] = "paused"
    assert _admit(uow, engine, ListAudit(), NOON_NY)[0] == "halt"
    uow.attempts.statuses[CAMPAIGN] = "running"
    queue_id = uow.attempts.add_to_queue(CAMPAIGN, CONTACT, status="cancelled")
    item = QueueItem(queue_id, CONTACT, 0, SPEC.retry)
    got = admit(
        uow, engine, CIPHER, ListAudit(), MemoryRegistry(),
        firm_id=FIRM, campaign_id=CAMPAIGN, spec=SPEC, item=item, at=NOON_NY,
    )  # fmt: skip
    assert got.verdict == "gone"
    assert uow.attempts.attempts == {}


def _flow(outcome: Outcome, *, opted_out: bool = False) -> CallFlow:
    flow = CallFlow("a1", FlowConfig())
    flow.outcome, flow.opted_out, flow.ended_at = outcome, opted_out, 12.0
    return flow


@pytest.mark.parametrize(
    ("outcome", "opted_out", "attempts", "status"),
    [
        pytest.param(Outcome.HUMAN, False, 1, "done", id="reached-done"),
        pytest.param(Outcome.NO_ANSWER, False, 1, "retry", id="no-answer-retried"),
        pytest.param(Outcome.NO_ANSWER, False, 3, "done", id="no-answer-out-of-attempts"),
        pytest.param(Outcome.OPTED_OUT, True, 1, "done", id="opted-out-never-retried"),
    ],
)
def test_an_outcome_completes_the_attempt_and_closes_or_retries_the_queue_entry(
    uow: MemoryUnitOfWork,
    engine: Engine,
    outcome: Outcome,
    opted_out: bool,
    attempts: int,
    status: str,
) -> None:
    verdict, attempt_id, _, queue_id = _admit(uow, engine, ListAudit(), NOON_NY)
    assert verdict == "allow" and attempt_id is not None
    audit = ListAudit()
    later = NOON_NY + timedelta(minutes=1)
    got = record_outcome(
        uow, audit, attempt_id=attempt_id, queue_id=queue_id, attempts=attempts,
        flow=_flow(outcome, opted_out=opted_out), retry=Retry(), at=later,
    )  # fmt: skip
    assert got == status
    row = uow.attempts.queue[queue_id]
    assert (row["status"], row["last_outcome"]) == (status, outcome.value)
    assert row["next_at"] == (later + timedelta(minutes=120) if status == "retry" else None)
    assert uow.attempts.attempts[attempt_id].status == "completed"
    assert uow.attempts.outcomes[attempt_id].outcome == outcome.value
    assert [e["action"] for e in audit.entries] == ["call.outcome"]


@pytest.mark.parametrize(("campaign", "status"), [("stopped", "done"), ("paused", "retry")])
def test_a_call_that_ends_unanswered_after_its_campaign_stopped_is_not_queued_again(
    uow: MemoryUnitOfWork, engine: Engine, campaign: str, status: str
) -> None:
    _, attempt_id, _, queue_id = _admit(uow, engine, ListAudit(), NOON_NY)
    assert attempt_id is not None
    uow.attempts.statuses[CAMPAIGN] = campaign  # a user stopped (or paused) it mid-call
    got = record_outcome(
        uow, ListAudit(), attempt_id=attempt_id, queue_id=queue_id, attempts=1,
        flow=_flow(Outcome.NO_ANSWER), retry=Retry(), at=NOON_NY + timedelta(minutes=1),
    )  # fmt: skip
    assert got == status == uow.attempts.queue[queue_id]["status"]


def test_recovery_closes_interrupted_calls_as_failed_and_requeues_unclaimed_ones(
    uow: MemoryUnitOfWork, engine: Engine
) -> None:
    _, attempt_id, _, dialing = _admit(uow, engine, ListAudit(), NOON_NY)
    assert attempt_id is not None
    unclaimed = uow.attempts.add_to_queue(CAMPAIGN, CONTACT, status="dialing")
    audit = ListAudit()
    assert recover(uow, audit, CAMPAIGN, NOON_NY, Retry(on=("failed",))) == 1
    assert uow.attempts.queue[dialing]["status"] == "done"  # failed, but never retried
    assert uow.attempts.outcomes[attempt_id].outcome == "failed"
    assert uow.attempts.queue[unclaimed]["status"] == "pending"


def test_due_contacts_come_oldest_first_and_say_when_more_are_waiting(
    uow: MemoryUnitOfWork,
) -> None:
    store: MemoryAttemptRepository = uow.attempts
    later = NOON_NY + timedelta(hours=2)
    a = store.add_to_queue(CAMPAIGN, 11, status="retry", next_at=NOON_NY - timedelta(hours=1))
    b = store.add_to_queue(CAMPAIGN, 12)
    store.add_to_queue(CAMPAIGN, 13, status="deferred", next_at=later)
    store.add_to_queue(CAMPAIGN, 14, status="blocked")
    items, nxt = due_contacts(uow, CAMPAIGN, NOON_NY, 1, SPEC.retry)
    assert ([i.queue_id for i in items], nxt) == ([b], NOON_NY)  # never-tried first; more due
    items, nxt = due_contacts(uow, CAMPAIGN, NOON_NY, 10, SPEC.retry)
    assert ([i.queue_id for i in items], nxt) == ([b, a], later)


def test_the_abandonment_aggregate_counts_the_campaigns_last_30_days(
    uow: MemoryUnitOfWork, engine: Engine
) -> None:
    _, attempt_id, _, queue_id = _admit(uow, engine, ListAudit(), NOON_NY)
    assert attempt_id is not None
    flow = _flow(Outcome.ABANDONED)
    flow.live_answered = flow.abandoned = True
    record_outcome(
        uow, ListAudit(), attempt_id=attempt_id, queue_id=queue_id, attempts=1, flow=flow,
        retry=Retry(), at=NOON_NY,
    )  # fmt: skip
    assert uow.attempts.abandonment_30d(CAMPAIGN, NOON_NY + timedelta(days=29)) == (1, 1)
    assert uow.attempts.abandonment_30d(CAMPAIGN, NOON_NY + timedelta(days=31)) == (0, 0)


def test_a_recorded_attempt_keeps_every_field_of_the_decision(uow: MemoryUnitOfWork) -> None:
    attempt = NewAttempt(
        firm_id=FIRM, contact_id=CONTACT, campaign_id=None, number_bidx=BIDX, at=NOON_NY,
        purpose="reminder", technology="manual", subject=None, debt_ref=None, status="allowed",
        decision_id="d1", verdict="allow", earliest_allowed_at=None, rulepack="2026.12",
        decision={"verdict": "allow"}, created_at=NOON_NY,
    )  # fmt: skip
    attempt_id = uow.attempts.record(attempt)
    assert uow.attempts.attempts[attempt_id] == attempt


AFTERNOON = Schedule(start=time(14, 0), end=time(17, 0))


@pytest.mark.parametrize(
    ("at", "schedule", "status"),
    [
        pytest.param(NOON_NY, None, "dialled", id="inside-the-schedule"),
        pytest.param(NOON_NY, AFTERNOON, "rescheduled", id="outside-the-schedule"),
        pytest.param(NIGHT_NY, None, "deferred", id="deferred-by-the-gate"),
    ],
)
def test_an_admitted_attempt_is_recorded_with_its_final_status_in_its_one_insert(
    uow: MemoryUnitOfWork,
    engine: Engine,
    monkeypatch: pytest.MonkeyPatch,
    at: datetime,
    schedule: Schedule | None,
    status: str,
) -> None:
    inserted: list[str] = []
    record = MemoryAttemptRepository.record

    def spy(self: MemoryAttemptRepository, attempt: NewAttempt) -> int:
        inserted.append(attempt.status)
        return record(self, attempt)

    def no_update(self: MemoryAttemptRepository, attempt_id: int, status: str) -> None:
        raise AssertionError(f"attempt {attempt_id} updated to {status} after its insert")

    monkeypatch.setattr(MemoryAttemptRepository, "record", spy)
    monkeypatch.setattr(MemoryAttemptRepository, "set_status", no_update)
    spec = SPEC if schedule is None else replace(SPEC, schedule=schedule)
    _, attempt_id, _, _ = _admit(uow, engine, ListAudit(), at, spec)
    assert inserted == [status]
    assert attempt_id is not None and uow.attempts.attempts[attempt_id].status == status


def test_a_settled_status_applies_to_allowed_attempts_only(
    uow: MemoryUnitOfWork, engine: Engine
) -> None:
    def settle(_: object) -> AttemptStatus:
        return AttemptStatus.DIALLED

    for at, status in ((NOON_NY, "dialled"), (NIGHT_NY, "deferred")):
        result = gate(
            uow, engine, CIPHER, ListAudit(), MemoryRegistry(),
            firm_id=FIRM, contact_id=CONTACT, at=at, plan=PLAN, settle=settle,
        )  # fmt: skip
        assert uow.attempts.attempts[result.attempt_id].status == status


NY = ("America/New_York",)


@pytest.mark.parametrize(
    ("zones", "after", "timescale", "fresh"),
    [
        pytest.param(NY, timedelta(seconds=1), 1.0, True, id="a-second-later"),
        pytest.param(NY, timedelta(seconds=11), 1.0, False, id="past-its-freshness"),
        pytest.param(NY, timedelta(seconds=-1), 1.0, False, id="the-clock-went-back"),
        pytest.param(NY, timedelta(seconds=11), 0.5, True, id="a-faster-simulated-clock"),
        pytest.param((), timedelta(0), 1.0, False, id="no-zone-to-judge-by"),
        pytest.param(NY, timedelta(hours=6), 0.0001, False, id="out-of-the-schedule"),
    ],
)
def test_an_allowed_dial_starts_only_while_its_decision_still_holds(
    zones: tuple[str, ...], after: timedelta, timescale: float, fresh: bool
) -> None:
    admitted = Admitted("allow", 1, "+16145550101", zones=zones)  # schedule 09:00-20:00
    assert still_scheduled(SPEC, admitted, NOON_NY, NOON_NY + after, timescale) is fresh


def test_an_expired_decision_is_not_dialled_and_the_contact_is_due_again_with_its_count(
    uow: MemoryUnitOfWork, engine: Engine
) -> None:
    verdict, attempt_id, _, queue_id = _admit(uow, engine, ListAudit(), NOON_NY)
    assert verdict == "allow" and attempt_id is not None
    item = QueueItem(queue_id, CONTACT, 0, SPEC.retry)
    assert confirm_dial(uow, CAMPAIGN, item, attempt_id, NOON_NY) is None
    code = confirm_dial(uow, CAMPAIGN, item, attempt_id, NOON_NY, expired=True)
    assert code == EXPIRED_CODE
    row = uow.attempts.queue[queue_id]
    assert (row["status"], row["attempts"], row["codes"]) == ("deferred", 0, [EXPIRED_CODE])
    assert row["next_at"] == NOON_NY and uow.attempts.attempts[attempt_id].status == "rescheduled"
