"""Where a dialler's store transactions run: one worker thread off the event loop
(``call_driver`` rule 5), and the gates' group commit (``gate_batch``).

Rule 1: one transaction at a time, two queues. A transaction (``run``) waiting goes
first, in the order asked; then the gate jobs (``batched``) waiting, in the order asked,
up to the batcher's cap, which ``GateBatcher.run_batch`` commits together. So a gate asked
for after another transaction never commits before it, and a transaction never waits
behind a batch of gates asked for before it: the call flow's writes (an agent assigned to
an answered call, a key-press opt-out, a pause) are on the clock of a live call (the 2 s
rule), while a gate only delays a dial. Nothing needs a gate to commit before a later
transaction: whatever concerns a call is asked for only after its gate answered, and a
transaction that jumps ahead can only make the gates behind it see more (an opt-out, a
pause), never less. A batch is never held open to wait for more: it is what was queued
when the thread came to it (batches grow with the load and stay small when it is light).
Rule 2: a job's caller is answered only once the transaction that ran it committed
(``gate_batch`` rule 2); a caller that gave up (cancelled) before its job started is
skipped.
Rule 3: the hand-offs cost as little CPU as the gates allow (issue 15 item 6): the thread
drains the queue in one loop for as long as it has work (no pool task per call), and the
answers of one transaction or batch reach the event loop in one wake-up, not one each.
"""

from __future__ import annotations

import asyncio
import threading
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import suppress
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from lexdial.service.gate_batch import GateBatcher, GateJob, Outcome

_T = TypeVar("_T")


class StoreThread:
    """Runs store transactions off the event loop (rule 5): one worker thread, so a
    dialler's transactions never overlap and commit in the order they were asked for.

    ``batched`` jobs (the gates) asked for one after another with no other transaction
    between them share one transaction and one commit (``gate_batch``, up to its cap):
    each is answered only after that commit. ``offload=False`` runs everything inline on
    the loop instead, one transaction per job: only for a virtual-time loop (the demo),
    whose clock would jump ahead while it waited for a thread.
    """

    def __init__(self, offload: bool = True, batcher: GateBatcher | None = None) -> None:
        self._pool = ThreadPoolExecutor(1, thread_name_prefix="lexdial-store") if offload else None
        self.batcher = batcher
        #: what was asked for and not yet taken by the thread, in order: transactions
        #: (``_Work``, taken first) and gate jobs (``_Job``) (rule 1)
        self._works: deque[_Work[Any]] = deque()
        self._jobs: deque[_Job[Any]] = deque()
        self._lock = threading.Lock()
        #: the thread is draining the queue (rule 3): a new item needs no new pool task
        self._draining = False

    async def run(self, work: Callable[[], _T]) -> _T:
        """``work()`` (one whole transaction) on the store thread; its result."""
        if self._pool is None:
            return work()
        return await self._submit(_Work(work, asyncio.get_running_loop().create_future()))

    async def batched(self, job: GateJob[_T]) -> _T:
        """``job(uow, audit)`` in a transaction shared with the jobs waiting beside it;
        its result, once that transaction committed."""
        batcher = self.batcher
        if batcher is None:
            raise RuntimeError("this StoreThread was made without a GateBatcher")
        if self._pool is None:
            return batcher.run_alone(job).get()
        return await self._submit(_Job(job, asyncio.get_running_loop().create_future()))

    async def _submit(self, item: _Work[_T] | _Job[_T]) -> _T:
        assert self._pool is not None
        with self._lock:
            if isinstance(item, _Work):
                self._works.append(item)
            else:
                self._jobs.append(item)
            start, self._draining = not self._draining, True
        if start:
            self._pool.submit(self._drain, asyncio.get_running_loop())
        return await item.future

    def _drain(self, loop: asyncio.AbstractEventLoop) -> None:
        """On the thread: run the front of the queue (a transaction, or a batch) until
        the queue is empty (rule 3)."""
        while True:
            with self._lock:
                if not self._works and not self._jobs:
                    self._draining = False
                    return
                first: _Work[Any] | _Job[Any]
                jobs: list[_Job[Any]] = []
                if self._works:  # a transaction waiting goes before the gates (rule 1)
                    first = self._works.popleft()
                else:
                    first = self._jobs.popleft()
                    jobs.append(first)
                    cap = self.batcher.cap if self.batcher is not None else 1
                    while self._jobs and len(jobs) < cap:
                        jobs.append(self._jobs.popleft())
            try:
                answers = (
                    self._run_work(first) if isinstance(first, _Work) else self._run_jobs(jobs)
                )
            except BaseException as exc:  # a bug here: the callers taken hear of it
                taken: list[_Work[Any] | _Job[Any]] = (
                    [first] if isinstance(first, _Work) else [*jobs]
                )
                answers = [(i.future, Outcome(error=exc)) for i in taken]
            if answers:
                with suppress(RuntimeError):  # a closed loop: no caller is left to answer
                    loop.call_soon_threadsafe(_answer, answers)

    @staticmethod
    def _run_work(first: _Work[Any]) -> list[tuple[asyncio.Future[Any], Outcome[Any]]]:
        # ``cancelled()`` off the loop's thread only reads the future's state; a caller
        # cancelling at this very moment gets no answer from ``_answer`` instead
        if first.future.cancelled():  # its caller gave up before it started (rule 2)
            return []
        try:
            return [(first.future, Outcome(first.work()))]
        except BaseException as exc:
            return [(first.future, Outcome(error=exc))]

    def _run_jobs(self, jobs: list[_Job[Any]]) -> list[tuple[asyncio.Future[Any], Outcome[Any]]]:
        live = [j for j in jobs if not j.future.cancelled()]
        if not live:
            return []
        assert self.batcher is not None
        outcomes = self.batcher.run_batch([j.job for j in live])  # only now: all committed
        return [(j.future, o) for j, o in zip(live, outcomes, strict=True)]

    def close(self) -> None:
        """Stop the thread once the transactions asked for are done (without blocking the
        loop: every one a run awaits is done already, unless the run was cancelled)."""
        if self._pool is not None:
            self._pool.shutdown(wait=False)


def _answer(answers: Sequence[tuple[asyncio.Future[Any], Outcome[Any]]]) -> None:
    """On the event loop: each caller's answer (one that gave up meanwhile hears nothing)."""
    for future, outcome in answers:
        if future.done():
            continue
        if outcome.error is not None:
            future.set_exception(outcome.error)
        else:
            future.set_result(outcome.value)


@dataclass(frozen=True, slots=True)
class _Work(Generic[_T]):
    work: Callable[[], _T]
    future: asyncio.Future[_T]


@dataclass(frozen=True, slots=True)
class _Job(Generic[_T]):
    job: GateJob[_T]
    future: asyncio.Future[_T]
