"""Rate limits and failure counts, in one process or shared by several (the ``Limits`` port).

Rule 1: the public pages, the exact-number lookups and the log-in throttle keep their
counts behind ``Limits``: token buckets (``take``: so many at once, one more every so many
seconds) and sliding windows of events (``note`` an event, count the ``recent`` ones).
Rule 2: ``MemoryLimits`` keeps them in this process's memory (the embedded default: with
several processes each has its own counts); ``adapters.limits_redis.RedisLimits`` keeps
them in Redis so every API process shares them (``bootstrap.open_limits`` chooses, from
``$LEXDIAL_REDIS_URL``).
Rule 3: time is passed in by the caller (seconds, the same clock for every process that
shares the counts: the wall clock), so tests move it and Redis never needs its own.
Memory is bounded: the least recently used keys are forgotten beyond ``max_keys``.
"""

from __future__ import annotations

import threading
from collections import OrderedDict, deque
from typing import Protocol, runtime_checkable


@runtime_checkable
class Limits(Protocol):
    """Token buckets and sliding windows of events, by key."""

    def take(self, key: str, capacity: int, refill_s: float, now: float) -> float:
        """Take one token from ``key``'s bucket (``capacity`` at once, one more every
        ``refill_s`` seconds): 0.0 when taken, else the seconds until one is there."""
        ...

    def recent(self, key: str, window_s: float, now: float) -> int:
        """How many events were noted under ``key`` in the ``window_s`` seconds up to now."""
        ...

    def note(self, key: str, window_s: float, now: float) -> None:
        """Note one event under ``key`` at ``now`` (kept ``window_s`` seconds)."""
        ...


def refill(tokens: float, seen: float, capacity: int, refill_s: float, now: float) -> float:
    """The tokens in a bucket last seen at ``seen`` with ``tokens``, at ``now``."""
    return min(float(capacity), tokens + max(now - seen, 0.0) / refill_s)


class MemoryLimits:
    """``Limits`` in this process's memory (thread-safe: routes run on a thread pool)."""

    def __init__(self, max_keys: int = 10_000) -> None:
        self.max_keys = max_keys
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()
        self._events: OrderedDict[str, deque[float]] = OrderedDict()
        self._lock = threading.Lock()

    def take(self, key: str, capacity: int, refill_s: float, now: float) -> float:
        with self._lock:
            tokens, seen = self._buckets.pop(key, (float(capacity), now))
            tokens = refill(tokens, seen, capacity, refill_s, now)
            ok = tokens >= 1.0
            self._buckets[key] = (tokens - 1.0 if ok else tokens, now)
            while len(self._buckets) > self.max_keys:
                self._buckets.popitem(last=False)
            return 0.0 if ok else (1.0 - tokens) * refill_s

    def _window(self, key: str, window_s: float, now: float) -> deque[float]:
        seen = self._events.pop(key, None)
        if seen is None:
            seen = deque()
        while seen and seen[0] < now - window_s:
            seen.popleft()
        self._events[key] = seen  # most recently used last
        return seen

    def recent(self, key: str, window_s: float, now: float) -> int:
        with self._lock:
            return len(self._window(key, window_s, now))

    def note(self, key: str, window_s: float, now: float) -> None:
        with self._lock:
            self._window(key, window_s, now).append(now)
            while len(self._events) > self.max_keys:
                self._events.popitem(last=False)
