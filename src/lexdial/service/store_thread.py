"""Where a dialler's store transactions run: one worker thread off the event loop
(``call_driver`` rule 5), and the gates' group commit (``gate_batch``).

Rule 1: transactions commit in the order they were asked for, one at a time: the thread
takes the front of one queue, either one transaction (``run``) or the run of consecutive
gate jobs (``batched``) there, up to the batcher's cap, which ``GateBatcher.run_batch``
commits together. A gate asked for after another transaction never commits before it.
Rule 2: a job's caller is answered only once the transaction that ran it committed
(``gate_batch`` rule 2); a caller that gave up (cancelled) before its job started is
skipped, as an executor skips a cancelled future.
"""

from __future__ import annotations

import asyncio
import threading
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from lexdial.service.gate_batch import GateBatcher, GateJob

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
        #: what was asked for and not yet taken by the thread, in order: a transaction
        #: (``_Work``) or a gate job (``_Job``); each submission to the pool takes one
        #: transaction or a run of consecutive jobs from the front
        self._queue: deque[_Work[Any] | _Job[Any]] = deque()
        self._lock = threading.Lock()

    async def run(self, work: Callable[[], _T]) -> _T:
        """``work()`` (one whole transaction) on the store thread; its result."""
        if self._pool is None:
            return work()
        return await self._submit(_Work(work, Future()))

    async def batched(self, job: GateJob[_T]) -> _T:
        """``job(uow, audit)`` in a transaction shared with the jobs waiting beside it;
        its result, once that transaction committed."""
        batcher = self.batcher
        if batcher is None:
            raise RuntimeError("this StoreThread was made without a GateBatcher")
        if self._pool is None:
            return batcher.run_alone(job).get()
        return await self._submit(_Job(job, Future()))

    async def _submit(self, item: _Work[_T] | _Job[_T]) -> _T:
        assert self._pool is not None
        with self._lock:
            self._queue.append(item)
        self._pool.submit(self._take)
        return await asyncio.wrap_future(item.future)

    def _take(self) -> None:
        """On the thread: run the front of the queue (a transaction, or a batch)."""
        with self._lock:
            if not self._queue:
                return  # an earlier call took this submission's item into its batch
            first = self._queue.popleft()
            jobs: list[_Job[Any]] = []
            if isinstance(first, _Job):
                jobs.append(first)
                cap = self.batcher.cap if self.batcher is not None else 1
                while self._queue and len(jobs) < cap and isinstance(self._queue[0], _Job):
                    jobs.append(self._queue.popleft())  # type: ignore[arg-type]
        if isinstance(first, _Work):
            if first.future.set_running_or_notify_cancel():
                try:
                    first.future.set_result(first.work())
                except BaseException as exc:
                    first.future.set_exception(exc)
            return
        live = [j for j in jobs if j.future.set_running_or_notify_cancel()]
        assert self.batcher is not None
        try:
            outcomes = self.batcher.run_batch([j.job for j in live])
        except BaseException as exc:  # a bug in the batcher: every job hears of it
            for j in live:
                j.future.set_exception(exc)
            return
        for j, outcome in zip(live, outcomes, strict=True):  # only now: all committed
            if outcome.error is not None:
                j.future.set_exception(outcome.error)
            else:
                j.future.set_result(outcome.value)

    def close(self) -> None:
        """Stop the thread once the transactions asked for are done (without blocking the
        loop: every one a run awaits is done already, unless the run was cancelled)."""
        if self._pool is not None:
            self._pool.shutdown(wait=False)


@dataclass(frozen=True, slots=True)
class _Work(Generic[_T]):
    work: Callable[[], _T]
    future: Future[_T]


@dataclass(frozen=True, slots=True)
class _Job(Generic[_T]):
    job: GateJob[_T]
    future: Future[_T]
