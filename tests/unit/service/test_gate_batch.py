"""The gates' group commit (``service.gate_batch``, ``service.store_thread``) on a fake
store that keeps a journal of what a real one would do: begin, rollback, commit (and
savepoints, which a batch no longer takes). No database: the SQL behaviour is in
tests/integration."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pytest

from lexdial.domain.audit_chain import AuditItem
from lexdial.errors import CampaignError
from lexdial.service.gate_batch import GateBatcher
from lexdial.service.store_thread import StoreThread

AT = datetime(2026, 12, 2, 16, 0, tzinfo=UTC)


@dataclass
class FakeStore:
    """Rows written by committed transactions; a transaction's rows are kept apart until
    it commits, and a savepoint's until it is released (rolled back: dropped)."""

    rows: list[str] = field(default_factory=list)
    journal: list[str] = field(default_factory=list)
    audit: list[str] = field(default_factory=list)
    fail_commit: bool = False

    @contextmanager
    def transaction(self) -> Iterator[FakeWork]:
        work = FakeWork(self)
        self.journal.append("begin")
        try:
            yield work
        except BaseException:
            self.journal.append("rollback")
            raise
        if self.fail_commit:
            self.fail_commit = False
            self.journal.append("rollback")
            raise OSError("the server went away at the commit")
        self.rows.extend(work.pending)
        self.audit.extend(work.audit)
        self.journal.append("commit")


@dataclass
class FakeWork:
    store: FakeStore
    pending: list[str] = field(default_factory=list)
    audit: list[str] = field(default_factory=list)

    @contextmanager
    def pipelined(self) -> Iterator[None]:
        yield  # the fake store answers every statement at once: nothing to pipeline

    @contextmanager
    def savepoint(self) -> Iterator[None]:
        mark = len(self.pending)
        self.store.journal.append("savepoint")
        try:
            yield
        except BaseException:
            del self.pending[mark:]
            self.store.journal.append("rollback to savepoint")
            raise
        self.store.journal.append("release")


@dataclass
class FakeAudit:
    """The real audit's two ways in: one entry, or many in one write."""

    writes: list[int] = field(default_factory=list)

    def record(self, uow: Any, *, subject: str, **_: Any) -> None:
        uow.audit.append(subject)
        self.writes.append(1)

    def record_many(self, uow: Any, items: Sequence[AuditItem]) -> None:
        uow.audit.extend(it.subject for it in items)
        self.writes.append(len(items))


def writes(name: str, fail: Exception | None = None) -> Any:
    def job(uow: Any, audit: Any) -> str:
        uow.pending.append(name)
        audit.record(uow, at=AT, actor="system", action="decision.recorded",
                     subject=f"attempt:{name}", data={})  # fmt: skip
        if fail is not None:
            raise fail
        return f"{name} done"

    return job


def batcher(store: FakeStore, audit: FakeAudit, cap: int = 64) -> GateBatcher:
    return GateBatcher(store.transaction, audit, cap)  # type: ignore[arg-type]


def test_a_batch_commits_its_jobs_once_and_appends_their_audit_in_one_write() -> None:
    store, audit = FakeStore(), FakeAudit()
    outcomes = batcher(store, audit).run_batch([writes("a"), writes("b"), writes("c")])
    assert [o.get() for o in outcomes] == ["a done", "b done", "c done"]
    assert store.journal.count("commit") == 1
    assert store.rows == ["a", "b", "c"]
    assert store.audit == ["attempt:a", "attempt:b", "attempt:c"] and audit.writes == [3]


def test_a_job_refused_by_the_use_case_leaves_no_trace_and_gets_its_error() -> None:
    store, audit = FakeStore(), FakeAudit()
    refused = CampaignError("campaign #7 is paused")
    outcomes = batcher(store, audit).run_batch(
        [writes("a"), writes("b", fail=refused), writes("c")]
    )
    assert outcomes[1].error is refused
    with pytest.raises(CampaignError):
        outcomes[1].get()
    assert [outcomes[0].get(), outcomes[2].get()] == ["a done", "c done"]
    assert store.rows == ["a", "c"] and store.audit == ["attempt:a", "attempt:c"]
    # the batch rolled back whole, then each job ran alone: b's run rolled back too
    assert store.journal == [
        "begin", "rollback", "begin", "commit", "begin", "rollback", "begin", "commit",
    ]  # fmt: skip


def test_a_job_failing_for_the_store_rolls_its_batch_back_and_every_job_runs_alone() -> None:
    store, audit = FakeStore(), FakeAudit()
    tries = {"n": 0}

    def deadlocked_once(uow: Any, audit: Any) -> str:
        tries["n"] += 1
        uow.pending.append("b")
        audit.record(uow, subject="attempt:b")
        if tries["n"] == 1:
            raise OSError("deadlock detected")
        return "b done"

    outcomes = batcher(store, audit).run_batch([writes("a"), deadlocked_once, writes("c")])
    assert [o.get() for o in outcomes] == ["a done", "b done", "c done"]
    # the batch rolled back at b; a, b, then c ran in transactions of their own
    assert store.rows == ["a", "b", "c"]
    assert store.journal == ["begin", "rollback"] + ["begin", "commit"] * 3
    assert audit.writes == [1, 1, 1]
    assert tries["n"] == 2


def test_a_failed_commit_runs_every_job_of_the_batch_alone_in_order() -> None:
    store, audit = FakeStore(fail_commit=True), FakeAudit()
    outcomes = batcher(store, audit).run_batch([writes("a"), writes("b")])
    assert [o.get() for o in outcomes] == ["a done", "b done"]
    assert store.rows == ["a", "b"]
    assert store.journal == [
        "begin", "rollback", "begin", "commit", "begin", "commit",
    ]  # fmt: skip


def test_a_unit_of_work_without_savepoints_runs_every_job_alone() -> None:
    store, audit = FakeStore(), FakeAudit()

    @contextmanager
    def flat() -> Iterator[Any]:
        with store.transaction() as work:
            yield _Flat(work)

    outcomes = GateBatcher(flat, audit).run_batch([_flat_job("a"), _flat_job("b")])  # type: ignore[arg-type]
    assert [o.get() for o in outcomes] == ["a", "b"]
    assert store.journal.count("commit") == 3  # the empty one, then one per job
    assert "savepoint" not in store.journal


@dataclass
class _Flat:
    work: FakeWork

    @property
    def pending(self) -> list[str]:
        return self.work.pending


def _flat_job(name: str) -> Any:
    def job(uow: Any, audit: Any) -> str:
        uow.pending.append(name)
        return name

    return job


def test_no_caller_is_answered_before_the_commit_of_its_batch() -> None:
    store, audit = FakeStore(), FakeAudit()
    seen: list[tuple[str, list[str]]] = []

    async def main() -> None:
        thread = StoreThread(batcher=batcher(store, audit))

        async def caller(name: str) -> None:
            await thread.batched(writes(name))
            seen.append((name, list(store.rows)))  # what was committed when answered

        await asyncio.gather(*(caller(n) for n in "abcd"))
        thread.close()

    asyncio.run(main())
    for name, committed in seen:
        assert name in committed
    assert sorted(n for n, _ in seen) == ["a", "b", "c", "d"]


def test_jobs_waiting_together_share_a_commit_up_to_the_cap_in_the_order_asked() -> None:
    store, audit = FakeStore(), FakeAudit()
    gate = threading.Event()

    async def main() -> list[str]:
        thread = StoreThread(batcher=batcher(store, audit, cap=3))
        # the thread is held busy so that every job below is waiting when it is free
        hold = asyncio.ensure_future(thread.run(gate.wait))
        jobs = [asyncio.ensure_future(thread.batched(writes(n))) for n in "abcdefg"]
        await asyncio.sleep(0.05)
        gate.set()
        await hold
        answers = list(await asyncio.gather(*jobs))
        thread.close()
        return answers

    answers = asyncio.run(main())
    assert answers == [f"{n} done" for n in "abcdefg"]
    assert store.rows == list("abcdefg")
    assert audit.writes == [3, 3, 1]  # three batches: the cap, the cap, the rest
    assert store.journal.count("commit") == 3


def test_a_transaction_asked_for_while_gates_wait_commits_before_them() -> None:
    """The call flow's writes (an agent's assignment, a key-press opt-out) are on a live
    call's clock: they never wait behind a batch of gates asked for before them."""
    store, audit = FakeStore(), FakeAudit()
    gate = threading.Event()

    def other() -> str:
        with store.transaction() as work:
            work.pending.append("opt-out")
        return "ok"

    async def main() -> None:
        thread = StoreThread(batcher=batcher(store, audit))
        hold = asyncio.ensure_future(thread.run(gate.wait))
        first = [asyncio.ensure_future(thread.batched(writes(n))) for n in "ab"]
        middle = asyncio.ensure_future(thread.run(other))
        last = [asyncio.ensure_future(thread.batched(writes(n))) for n in "cd"]
        await asyncio.sleep(0.05)
        gate.set()
        await asyncio.gather(hold, *first, middle, *last)
        thread.close()

    asyncio.run(main())
    assert store.rows == ["opt-out", "a", "b", "c", "d"]
    assert audit.writes == [4]  # the gates still share one batch


def test_an_inline_store_thread_runs_each_gate_in_its_own_transaction() -> None:
    store, audit = FakeStore(), FakeAudit()

    async def main() -> list[str]:
        thread = StoreThread(offload=False, batcher=batcher(store, audit))
        return list(await asyncio.gather(*(thread.batched(writes(n)) for n in "ab")))

    assert asyncio.run(main()) == ["a done", "b done"]
    assert store.journal == ["begin", "commit", "begin", "commit"]


def test_a_gate_whose_caller_gave_up_before_it_ran_is_not_run() -> None:
    store, audit = FakeStore(), FakeAudit()
    gate = threading.Event()

    async def main() -> None:
        thread = StoreThread(batcher=batcher(store, audit))
        hold = asyncio.ensure_future(thread.run(gate.wait))
        kept = asyncio.ensure_future(thread.batched(writes("a")))
        dropped = asyncio.ensure_future(thread.batched(writes("b")))
        await asyncio.sleep(0.02)
        dropped.cancel()
        await asyncio.sleep(0.02)
        gate.set()
        await asyncio.gather(hold, kept)
        thread.close()

    asyncio.run(main())
    assert store.rows == ["a"]


def test_a_transaction_that_raises_reaches_its_caller_and_the_thread_goes_on() -> None:
    store, audit = FakeStore(), FakeAudit()

    def broken() -> str:
        raise OSError("the server went away")

    async def main() -> tuple[BaseException | str, list[str]]:
        thread = StoreThread(batcher=batcher(store, audit))
        first, *after = await asyncio.gather(
            thread.run(broken), *(thread.batched(writes(n)) for n in "ab"),
            return_exceptions=True,
        )  # fmt: skip
        thread.close()
        return first, [str(a) for a in after]

    first, after = asyncio.run(main())
    assert isinstance(first, OSError)
    assert after == ["a done", "b done"] and store.rows == ["a", "b"]
