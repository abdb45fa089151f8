"""A batch of gates reads ahead (``gate_batch`` rule 6, ``gate_request.read_ahead``): all
its contacts' row locks in one statement, then all their facts and calls in one read.

What matters: each gate is judged from exactly the request its own read would have built
at that moment (varied contacts, the same contact several times in one batch, instants
more than the history window apart, a contact that does not exist), the read ahead is
used (two statements per batch, not two per gate), an opt-out that committed while the
batch waited for its locks is seen, and two batches sharing contacts in opposite orders
never deadlock (their locks are taken in one order).
"""

from __future__ import annotations

import json
import random
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, event, func, select
from tests.integration.test_gate_one_read import OUTCOMES, PLANS, START, _registry, _seed

from lexdial.adapters.audit.sql import SqlAudit
from lexdial.adapters.crypto import Keyring
from lexdial.adapters.db import tables as t
from lexdial.adapters.db.uow import SqlUnitOfWork, transactions
from lexdial.api import decide_json
from lexdial.errors import RequestError
from lexdial.rules.engine import Engine as RulesEngine
from lexdial.service.gate import CallPlan, GateResult, gate
from lexdial.service.gate_batch import GateBatcher, GateCall
from lexdial.service.gate_request import build_request
from lexdial.service.optout import opt_out
from lexdial.service.repos.calls import NewOutcome
from lexdial.service.users import SYSTEM

pytestmark = pytest.mark.integration

CIPHER = Keyring.from_master_key(b"r" * 32)


@contextmanager
def _statements(store: Engine) -> Iterator[list[str]]:
    """The SQL of every statement run on ``store`` inside the block."""
    seen: list[str] = []

    def listen(conn: Any, cursor: Any, sql: str, *args: Any) -> None:
        seen.append(sql)

    event.listen(store, "before_cursor_execute", listen)
    try:
        yield seen
    finally:
        event.remove(store, "before_cursor_execute", listen)


def _checked_gate(
    rules: RulesEngine, contact: int, at: datetime, plan: CallPlan, rng: random.Random
) -> GateCall[tuple[Any, Any, GateResult]]:
    """A gate that first builds its request twice: the first build is served by the
    batch's read ahead (its first read of the contact), the second reads on its own."""

    def job(uow: Any, audit: Any) -> tuple[Any, Any, GateResult]:
        kw: dict[str, Any] = {"firm_id": 1, "contact_id": contact, "at": at,
                              "campaign_id": None, "plan": plan}  # fmt: skip
        served = build_request(uow, CIPHER, _registry(), **kw)[0]
        own = build_request(uow, CIPHER, _registry(), **kw)[0]
        result = gate(uow, rules, CIPHER, audit, _registry(), firm_id=1, contact_id=contact,
                      at=at, plan=plan)  # fmt: skip
        if result.decision.verdict == "allow" and rng.random() < 0.6:
            uow.attempts.record_outcome(NewOutcome(
                attempt_id=result.attempt_id, outcome=rng.choice(OUTCOMES),
                at=at + timedelta(seconds=30), ring_s=5.0, talk_s=10.0, live_answered=False,
                abandoned=False, opted_out=False, agent_id=None, detail=None,
            ))  # fmt: skip
        return served, own, result

    return GateCall(contact, at, job)


def _gate(rules: RulesEngine, contact: int, at: datetime) -> GateCall[GateResult]:
    def job(uow: Any, audit: Any) -> GateResult:
        return gate(uow, rules, CIPHER, audit, _registry(), firm_id=1, contact_id=contact,
                    at=at, plan=PLANS[0])  # fmt: skip

    return GateCall(contact, at, job)


def _is_read_ahead(sql: str) -> bool:
    return "g_contact" in sql and ("ANY(" in sql or "json_each" in sql)


def test_every_gate_of_a_batch_is_served_the_request_its_own_read_would_build(
    store: Engine, rules: RulesEngine
) -> None:
    rng = random.Random(20261208)
    ids = _seed(store, CIPHER, rng, 24)
    batcher = GateBatcher(transactions(store), SqlAudit())
    at, verdicts, histories, repeats, gates = START, Counter[str](), 0, 0, 0
    with _statements(store) as seen:
        for _ in range(30):
            size = rng.randint(2, 8)
            contacts = [rng.choice(ids) for _ in range(size)]  # repeats happen
            repeats += size - len(set(contacts))
            jobs = []
            for contact in contacts:
                # most gates minutes apart; some batches span more than the 61-day window,
                # so each gate must keep only its own window of the calls read ahead
                at += timedelta(minutes=rng.choice((1, 7, 45, 300)))
                if rng.random() < 0.03:
                    at += timedelta(days=70)
                jobs.append(_checked_gate(rules, contact, at, rng.choice(PLANS), rng))
            outcomes = batcher.run_batch(jobs)
            for o in outcomes:
                served, own, result = o.get()
                assert served == own  # the read ahead is the gate's own read, exactly
                histories += bool(served["history"])
                verdicts[result.decision.verdict] += 1
                gates += 1
    assert batcher.batches == 30 and batcher.alone == 0  # every batch committed whole
    # the read ahead ran once per batch, and served the first read of each gate
    assert sum(_is_read_ahead(s) for s in seen) == 30
    singles = sum("g_contact" in s and not _is_read_ahead(s) for s in seen)
    # each job's own build and its gate read for themselves (2 per gate); the first build
    # reads only when an earlier gate of the same contact in the batch used its facts
    assert singles == 2 * gates + repeats
    if store.dialect.name == "postgresql":
        # one lock statement per batch: each gate's own lock of its contact is already held
        assert sum("FOR UPDATE" in s for s in seen) == 30
    assert set(verdicts) == {"allow", "deny", "defer"} and histories > 25 and repeats > 5


def test_a_contact_that_does_not_exist_is_refused_and_the_rest_of_its_batch_is_gated(
    store: Engine, rules: RulesEngine
) -> None:
    ids = _seed(store, CIPHER, random.Random(3), 3)
    batcher = GateBatcher(transactions(store), SqlAudit())
    jobs = [_gate(rules, ids[0], START), _gate(rules, 999_999, START), _gate(rules, ids[1], START)]
    outcomes = batcher.run_batch(jobs)
    assert isinstance(outcomes[1].error, RequestError)
    assert outcomes[0].error is None and outcomes[2].error is None
    with store.connect() as conn:
        attempts = conn.execute(select(func.count()).select_from(t.call_attempts)).scalar_one()
    assert attempts == 2


@pytest.mark.parametrize("store", ["postgresql"], indirect=True)
def test_an_opt_out_committed_while_a_batch_waited_for_its_locks_is_seen_by_its_gate(
    store: Engine, rules: RulesEngine
) -> None:
    ids = _seed(store, CIPHER, random.Random(5), 30)
    # a contact whose first call would be allowed (the seed varies consents)
    with store.begin() as conn:
        probe = {c: build_request(SqlUnitOfWork(conn), CIPHER, _registry(), firm_id=1,
                                  contact_id=c, at=START, campaign_id=None, plan=PLANS[0])[0]
                 for c in ids}  # fmt: skip
    allowed = [c for c in ids if decide_json(json.dumps(probe[c]), rules).verdict == "allow"]
    target, other = allowed[0], allowed[1]
    number = probe[target]["number"]
    batcher = GateBatcher(transactions(store), SqlAudit())
    answers: list[Any] = []
    with store.connect() as conn:
        tx = conn.begin()
        # the opt-out's transaction holds the contact's lock (as opt_out takes it)...
        opt_out(SqlUnitOfWork(conn), CIPHER, SqlAudit(), 1, number, "key_press", None, SYSTEM,
                START)  # fmt: skip
        worker = threading.Thread(
            target=lambda: answers.extend(
                batcher.run_batch([_gate(rules, other, START), _gate(rules, target, START)])
            )
        )
        worker.start()
        time.sleep(0.5)  # ...while the batch waits for it
        assert not answers, "the batch did not wait for the opt-out's lock"
        tx.commit()
    worker.join(timeout=30)
    assert [o.get().decision.verdict for o in answers] == ["allow", "deny"]
    assert batcher.batches == 1


@pytest.mark.parametrize("store", ["postgresql"], indirect=True)
def test_two_batches_of_gates_sharing_contacts_in_opposite_orders_never_deadlock(
    store: Engine, rules: RulesEngine
) -> None:
    ids = _seed(store, CIPHER, random.Random(7), 8)
    batchers = [GateBatcher(transactions(store), SqlAudit()) for _ in range(2)]
    start = threading.Barrier(2)
    errors: list[BaseException] = []

    def worker(w: int) -> None:
        order = ids if w == 0 else ids[::-1]
        for r in range(6):
            start.wait(timeout=60)
            at = START + timedelta(days=r)
            for o in batchers[w].run_batch([_gate(rules, c, at) for c in order]):
                if o.error is not None:
                    errors.append(o.error)

    threads = [threading.Thread(target=worker, args=(w,)) for w in range(2)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(timeout=120)
    assert not any(th.is_alive() for th in threads)
    assert errors == []
    # the locks are taken in id order, whatever the batch's order: no deadlock, so no
    # batch rolled back and ran its gates alone (with plain jobs some do: test_gate_batch)
    assert [b.alone for b in batchers] == [0, 0]
    assert sum(b.batches for b in batchers) == 12
