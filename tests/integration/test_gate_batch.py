"""The gates' group commit (``service.gate_batch``) on SQLite and PostgreSQL: gates batched
against a concurrent opt-out, the same contact twice in one batch, the audit chain after
batches, two threads batching contacts in opposite orders, and the dialler's batches."""

from __future__ import annotations

import asyncio
import random
import threading
import time
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, func, select, text
from tests.integration.test_dialer import START
from tests.integration.test_dialer import _campaign as dialler_campaign
from tests.integration.test_dialer import _people as dialler_people
from tests.integration.test_dialer import _run as dialler_run
from tests.integration.test_dialer import _start as dialler_start

from lexdial.adapters.audit.sql import SqlAudit, SqlAuditStore
from lexdial.adapters.db import tables as t
from lexdial.adapters.db.uow import SqlUnitOfWork, transactions
from lexdial.adapters.telephony.simulated import SimProfile, SimulatedCarrier
from lexdial.domain import telephony as tel
from lexdial.domain.audit_chain import verify
from lexdial.domain.states import AttemptStatus
from lexdial.errors import CampaignError
from lexdial.rules.engine import Engine as RulesEngine
from lexdial.service import dial_gate as dial_gate_module
from lexdial.service import dialer as dialer_module
from lexdial.service import dialer_queue
from lexdial.service.campaign_report import campaign_report
from lexdial.service.campaigns import set_status
from lexdial.service.consent import ConsentEvidence, NewConsent, record_consent
from lexdial.service.contacts import NewContact, add_contact
from lexdial.service.fakes import ListAudit, MemoryRegistry, Reversible
from lexdial.service.gate import CallPlan, GateResult, gate
from lexdial.service.gate_batch import GateBatcher, GateCall, GateJob, Outcome
from lexdial.service.gate_request import build_request
from lexdial.service.optout import opt_out
from lexdial.service.users import OPERATOR, SYSTEM

NOW = datetime(2026, 12, 2, 16, 0, tzinfo=UTC)  # Wed 11:00 in New York
PLAN = CallPlan(purpose="reminder", technology="prerecorded")
FIRM = "Hartwell & Ruiz LLP"


def _number(i: int) -> str:
    return f"+1 614 555 {i:04d}"


def _seed(engine: Engine, cipher: Reversible, n: int) -> list[int]:
    ids = []
    with engine.begin() as conn:
        uow = SqlUnitOfWork(conn)
        for i in range(n):
            contact = NewContact(
                numbers=((_number(i), "wireless"),),
                relationship="current_client",
                address={"country": "US", "state": "OH"},
            )
            ids.append(
                add_contact(uow, cipher, 1, contact, NOW, audit=ListAudit(), caller=OPERATOR)
            )
            consent = NewConsent(
                number=_number(i), kind="express", scope=["reminder"], sellers=[FIRM],
                given_at=NOW - timedelta(days=9),
                evidence=ConsentEvidence("engagement letter", "I agree.", "v1", "staff"),
            )  # fmt: skip
            record_consent(uow, cipher, SqlAudit(), 1, consent, OPERATOR, NOW)
    return ids


def _job(
    rules: RulesEngine, cipher: Reversible, contact: int, at: datetime = NOW, ahead: bool = False
) -> GateJob[Any]:
    """One gate; ``ahead``: marked as a gate (``GateCall``), as the dialler submits them, so
    that a batch reads ahead for it (gate_batch rule 6)."""

    def job(uow: Any, audit: Any) -> GateResult:
        return gate(uow, rules, cipher, audit, MemoryRegistry(), firm_id=1, contact_id=contact,
                    at=at, plan=PLAN)  # fmt: skip

    return GateCall(contact, at, job) if ahead else job


#: every batch test runs with plain jobs and with gates a batch reads ahead for
AHEAD = pytest.mark.parametrize("ahead", [False, True], ids=["own-reads", "read-ahead"])


def _verified(engine: Engine) -> int:
    """The chain's length, after checking it verifies."""
    with engine.connect() as conn:
        result = verify(SqlAuditStore(conn))
    assert result.ok, result.detail
    return result.count


def _verdicts(outcomes: list[Outcome[GateResult]]) -> list[str]:
    return [o.get().decision.verdict for o in outcomes]


@AHEAD
def test_no_batched_gate_allows_a_call_after_an_opt_out_for_that_number_committed(
    store: Engine, rules: RulesEngine, ahead: bool
) -> None:
    cipher = Reversible()
    ids = _seed(store, cipher, 8)
    batcher = GateBatcher(transactions(store), SqlAudit())
    rng = random.Random(15)
    violations: list[str] = []
    counts: Counter[str] = Counter()
    for round_no in range(4):
        target, other = ids[round_no], ids[4 + round_no]
        opted = threading.Event()

        def dialler(
            target: int = target, other: int = other, opted: threading.Event = opted
        ) -> None:
            for _ in range(12):
                seen_before = opted.is_set()
                jobs = [_job(rules, cipher, target, ahead=ahead),
                        _job(rules, cipher, other, ahead=ahead),
                        _job(rules, cipher, target, ahead=ahead)]  # fmt: skip
                verdicts = _verdicts(batcher.run_batch(jobs))
                for verdict in (verdicts[0], verdicts[2]):
                    if seen_before and verdict == "allow":
                        violations.append(f"contact {target}: allowed after its opt-out")
                    counts["allow" if verdict == "allow" else "refused"] += 1

        def opt(number: str = _number(round_no), opted: threading.Event = opted) -> None:
            time.sleep(rng.uniform(0.0, 0.04))
            with store.begin() as conn:
                opt_out(SqlUnitOfWork(conn), cipher, SqlAudit(), 1, number, "key_press", None,
                        SYSTEM, NOW)  # fmt: skip
            opted.set()  # only once the opt-out committed

        threads = [threading.Thread(target=dialler) for _ in range(2)]
        threads.append(threading.Thread(target=opt))
        for th in threads:
            th.start()
        for th in threads:
            th.join(timeout=120)
        assert not any(th.is_alive() for th in threads), "a batch or the opt-out hung"
    assert violations == []
    assert counts["allow"] > 0 and counts["refused"] > 0, counts  # the race ran both ways
    assert batcher.batches > 0
    _verified(store)


def _dialled_job(
    rules: RulesEngine, cipher: Reversible, contact: int, at: datetime, ahead: bool = False
) -> GateJob[Any]:
    """A gate whose call is then marked dialled (as ``admit`` does), answering how many
    earlier calls the request it judged held in its history, and the verdict."""

    def job(uow: Any, audit: Any) -> tuple[int, str]:
        raw, _, _ = build_request(uow, cipher, MemoryRegistry(), firm_id=1, contact_id=contact,
                                  at=at, campaign_id=None, plan=PLAN)  # fmt: skip
        result = gate(uow, rules, cipher, audit, MemoryRegistry(), firm_id=1,
                      contact_id=contact, at=at, plan=PLAN)  # fmt: skip
        uow.attempts.set_status(result.attempt_id, AttemptStatus.DIALLED)
        return len(raw["history"]), result.decision.verdict

    return GateCall(contact, at, job) if ahead else job


@AHEAD
def test_the_same_contact_twice_in_one_batch_is_judged_as_one_gate_after_the_other(
    store: Engine, rules: RulesEngine, ahead: bool
) -> None:
    cipher = Reversible()
    batched, alone = _seed(store, cipher, 2)
    batcher = GateBatcher(transactions(store), SqlAudit())
    instants = [NOW + timedelta(minutes=m) for m in range(4)]
    together = batcher.run_batch(
        [_dialled_job(rules, cipher, batched, at, ahead) for at in instants]
    )
    one_by_one = [batcher.run_alone(_dialled_job(rules, cipher, alone, at)) for at in instants]
    assert batcher.batches == 1
    # each gate of the batch saw the calls of the gates before it in the same batch,
    # exactly as gates committed one after the other do
    assert [o.get() for o in together] == [(0, "allow"), (1, "allow"), (2, "allow"), (3, "allow")]
    assert [o.get() for o in together] == [o.get() for o in one_by_one]


@AHEAD
def test_the_audit_chain_of_batched_gates_verifies_with_one_entry_per_gate(
    store: Engine, rules: RulesEngine, ahead: bool
) -> None:
    cipher = Reversible()
    ids = _seed(store, cipher, 6)
    before = _verified(store)
    batcher = GateBatcher(transactions(store), SqlAudit())
    for minute in range(5):
        at = NOW + timedelta(days=minute)
        outcomes = batcher.run_batch([_job(rules, cipher, c, at, ahead) for c in ids])
        assert all(o.error is None for o in outcomes)
    batcher.run_alone(_job(rules, cipher, ids[0], NOW + timedelta(days=9)))
    assert _verified(store) == before + 5 * len(ids) + 1
    with store.connect() as conn:
        subjects = conn.execute(
            select(t.audit_log.c.subject).where(t.audit_log.c.action == "decision.recorded")
        ).scalars()
        attempts = conn.execute(select(func.count()).select_from(t.call_attempts)).scalar_one()
        assert sorted(int(s.partition(":")[2]) for s in subjects) == list(range(1, attempts + 1))


def test_two_threads_batching_contacts_in_opposite_orders_never_hang_and_answer_every_job(
    store: Engine, rules: RulesEngine
) -> None:
    cipher = Reversible()
    ids = _seed(store, cipher, 8)
    rounds, answered = 5, Counter[str]()
    batchers = [GateBatcher(transactions(store), SqlAudit()) for _ in range(2)]
    start = threading.Barrier(2)
    errors: list[BaseException] = []

    def worker(w: int) -> None:
        order = ids if w == 0 else ids[::-1]
        for r in range(rounds):
            at = NOW + timedelta(days=r)
            start.wait(timeout=60)
            for o in batchers[w].run_batch([_job(rules, cipher, c, at) for c in order]):
                if o.error is not None:
                    errors.append(o.error)
                else:
                    answered[o.get().decision.verdict] += 1

    threads = [threading.Thread(target=worker, args=(w,)) for w in range(2)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(timeout=180)
    assert not any(th.is_alive() for th in threads), "two batches deadlocked for good"
    assert errors == []
    assert sum(answered.values()) == 2 * rounds * len(ids)
    if store.dialect.name == "postgresql":
        # the opposite orders did deadlock (row locks), and the victim's jobs ran alone
        assert sum(b.alone for b in batchers) > 0
    with store.connect() as conn:
        attempts = conn.execute(select(func.count()).select_from(t.call_attempts)).scalar_one()
    assert attempts == 2 * rounds * len(ids)
    _verified(store)


def test_the_dialler_gates_contacts_whose_call_starts_come_together_in_shared_batches(
    store: Engine, rules: RulesEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    sizes: list[int] = []

    class Watched(GateBatcher):  # the real batcher; it only notes each batch's size
        def run_batch(self, jobs: Sequence[GateJob[Any]]) -> list[Outcome[Any]]:
            sizes.append(len(jobs))
            return super().run_batch(jobs)

    monkeypatch.setattr(dialer_module, "GateBatcher", Watched)
    cipher = Reversible()
    ids = dialler_people(store, cipher, 40)
    cid = dialler_campaign(store, ids)
    dialler_start(store, rules, cipher, cid)
    carrier = SimulatedCarrier(SimProfile(opt_out=0.2), seed=5, timescale=0.0005)
    stats = dialler_run(store, rules, cipher, cid, carrier)
    with store.connect() as conn:
        report = campaign_report(SqlUnitOfWork(conn), 1, cid, START + timedelta(hours=3))
    # every gate (retries too) went through a batch, and so did any check before a dial
    assert sum(sizes) >= stats.gated >= 40
    assert max(sizes) > 1, sizes  # and gates waiting together shared one
    assert report["queue"] == {"done": 40} and report["dialled"] == stats.dialled
    assert report["audit_chain_ok"]
    assert report["opt_outs"] == report["opt_outs_honoured"] == stats.opt_outs


def test_a_failing_gate_of_a_batch_leaves_no_trace_and_the_others_commit(
    store: Engine, rules: RulesEngine
) -> None:
    cipher = Reversible()
    a, b, c = _seed(store, cipher, 3)
    before = _verified(store)
    batcher = GateBatcher(transactions(store), SqlAudit())

    def refused_after_writing(uow: Any, audit: Any) -> GateResult:
        _job(rules, cipher, b)(uow, audit)  # its attempt and audit entry are written...
        raise CampaignError("campaign #7 was paused meanwhile")  # ...then it fails

    def broken_sql(uow: Any, audit: Any) -> GateResult:
        _job(rules, cipher, b)(uow, audit)
        uow.connection.execute(text("SELECT * FROM no_such_table"))  # the store fails
        raise AssertionError("unreachable")

    jobs = [_job(rules, cipher, a), refused_after_writing, _job(rules, cipher, c), broken_sql]
    outcomes = batcher.run_batch(jobs)
    assert isinstance(outcomes[1].error, CampaignError)
    assert outcomes[3].error is not None and not isinstance(outcomes[3].error, AssertionError)
    assert outcomes[0].get().decision.verdict == outcomes[2].get().decision.verdict == "allow"
    with store.connect() as conn:
        gated = conn.execute(select(t.call_attempts.c.contact_id)).scalars().all()
    assert sorted(gated) == sorted([a, c])  # nothing of b's, from either failing job
    assert _verified(store) == before + 2


class PausingCarrier(SimulatedCarrier):
    """Pauses (or stops) the campaign, as a user would from another window, during the
    ``nth`` dial."""

    store: Engine
    cid: int
    nth: int = 1
    action: str = "pause"
    dials: int = 0

    async def dial(self, dial: tel.Dial) -> None:
        self.dials += 1
        if self.dials == self.nth:
            with self.store.begin() as conn:
                set_status(SqlUnitOfWork(conn), SqlAudit(), 1, self.cid, self.action,
                           OPERATOR, START)  # fmt: skip
        await super().dial(dial)


def test_a_stop_during_any_dial_of_gates_committed_together_stops_the_next_dial(
    store: Engine, rules: RulesEngine
) -> None:
    cipher = Reversible()
    cid = dialler_campaign(store, dialler_people(store, cipher, 8))
    dialler_start(store, rules, cipher, cid)
    carrier = PausingCarrier(seed=1, timescale=0.0005)
    carrier.store, carrier.cid, carrier.nth, carrier.action = store, cid, 3, "stop"
    stats = dialler_run(store, rules, cipher, cid, carrier)
    with store.connect() as conn:
        attempts = Counter(conn.execute(select(t.call_attempts.c.status)).scalars())
        queue = Counter(conn.execute(select(t.campaign_contacts.c.status)).scalars())
    assert stats.dialled == 3  # the third dial's stop came before the fourth
    assert attempts["rescheduled"] == 8 - 3 and attempts["rescheduled"] == stats.rescheduled
    # a stopped campaign's queue holds nothing due: what was not dialled is cancelled
    assert set(queue) <= {"cancelled", "done"} and queue["cancelled"] >= 8 - 3, queue


def test_gates_committed_together_and_not_dialled_after_a_pause_go_back_to_the_queue(
    store: Engine, rules: RulesEngine
) -> None:
    cipher = Reversible()
    cid = dialler_campaign(store, dialler_people(store, cipher, 8))
    dialler_start(store, rules, cipher, cid)
    carrier = PausingCarrier(seed=1, timescale=0.0005)
    carrier.store, carrier.cid = store, cid
    stats = dialler_run(store, rules, cipher, cid, carrier)
    q = t.campaign_contacts.c
    with store.connect() as conn:
        attempts = Counter(conn.execute(select(t.call_attempts.c.status)).scalars())
        queue = conn.execute(select(q.status, q.attempts, q.codes)).all()
    assert stats.dialled == 1
    # the others were gated in the first dial's batch: recorded as not placed, and due again
    # with no attempt counted
    assert attempts["rescheduled"] == stats.rescheduled == 7 and sum(attempts.values()) == 8
    waiting = [r for r in queue if r[0] == "deferred"]
    assert len(waiting) == 7
    assert all(r[1] == 0 and r[2] == ["CAMPAIGN_NOT_RUNNING"] for r in waiting)
    with store.begin() as conn:
        set_status(SqlUnitOfWork(conn), SqlAudit(), 1, cid, "resume", OPERATOR, START)
    again = dialler_run(store, rules, cipher, cid, SimulatedCarrier(seed=2, timescale=0.0005))
    placed = t.call_attempts.c.status.in_(("dialled", "completed"))
    with store.connect() as conn:
        called = conn.execute(select(t.call_attempts.c.contact_id).where(placed)).scalars()
        assert len(set(called)) == 8  # resumed: each of them was dialled now
    assert again.dialled >= 7


class StallingCarrier(SimulatedCarrier):
    """Its ``nth`` dial stalls ``stall_s`` wall seconds (a carrier API slow to answer), so
    the dials gated with it wait; notes each call's wall instant of dialling."""

    nth: int = 1
    stall_s: float = 0.3
    dials: int = 0
    dialled_at: dict[str, float]

    async def dial(self, dial: tel.Dial) -> None:
        self.dials += 1
        self.dialled_at[dial.call_id] = time.monotonic()
        if self.dials == self.nth:
            await asyncio.sleep(self.stall_s)
        await super().dial(dial)


def test_dials_that_waited_past_their_decisions_freshness_are_judged_again_not_placed(
    store: Engine, rules: RulesEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    # a freshness of 50 ms of wall time (10 s in production), and a first dial that stalls
    # 300 ms while seven more gates committed with it wait behind it
    monkeypatch.setattr(dialer_queue, "GATE_FRESH", timedelta(seconds=0.05))
    gated_wall: dict[int, float] = {}
    real_admit = dialer_queue.admit

    def admit(*args: Any, **kw: Any) -> Any:
        got = real_admit(*args, **kw)
        if got.attempt_id is not None:
            gated_wall[got.attempt_id] = time.monotonic()
        return got

    monkeypatch.setattr(dial_gate_module, "admit", admit)
    cipher = Reversible()
    cid = dialler_campaign(store, dialler_people(store, cipher, 8))
    dialler_start(store, rules, cipher, cid)
    carrier = StallingCarrier(seed=1, timescale=0.0005)
    carrier.dialled_at = {}
    stats = dialler_run(store, rules, cipher, cid, carrier)
    a, q = t.call_attempts.c, t.campaign_contacts.c
    with store.connect() as conn:
        attempts = conn.execute(select(a.id, a.contact_id, a.status)).all()
        queue = Counter(conn.execute(select(q.status)).scalars())
    expired = [r for r in attempts if r.status == "rescheduled"]
    assert expired and len(expired) == stats.rescheduled  # the ones that waited: not placed
    placed = [r for r in attempts if r.status != "rescheduled"]
    assert len({r.contact_id for r in placed}) == 8  # each judged again, and dialled
    assert queue == {"done": 8}
    for r in placed:  # every dial started within its decision's freshness (+ a tick)
        assert carrier.dialled_at[f"a{r.id}"] - gated_wall[r.id] < 0.05 + 0.3, r
    assert not any(f"a{r.id}" in carrier.dialled_at for r in expired)
