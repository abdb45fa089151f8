"""``Channels`` in this process's memory: the fake of the Redis semaphore, same contract."""

from __future__ import annotations

import threading
from collections.abc import Sequence


class MemoryChannels:
    """Leased holders per key, in a dict (thread-safe: the dialler asks from a thread)."""

    def __init__(self) -> None:
        self._keys: dict[str, dict[str, float]] = {}
        self._lock = threading.Lock()

    def _live(self, key: str, now: float) -> dict[str, float]:
        holders = self._keys.setdefault(key, {})
        for holder in [h for h, until in holders.items() if until <= now]:
            del holders[holder]  # expired: its process stopped renewing
        return holders

    def acquire(self, key: str, holder: str, limit: int, lease_s: float, now: float) -> bool:
        with self._lock:
            holders = self._live(key, now)
            if holder not in holders and len(holders) >= limit:
                return False
            holders[holder] = now + lease_s
            return True

    def renew(self, key: str, holders: Sequence[str], lease_s: float, now: float) -> list[str]:
        with self._lock:
            held = self._keys.setdefault(key, {})
            lost = [h for h in holders if h not in held]
            for holder in holders:
                if holder in held:
                    held[holder] = now + lease_s
            return lost

    def release(self, key: str, holder: str) -> None:
        with self._lock:
            self._keys.get(key, {}).pop(holder, None)

    def held(self, key: str, now: float) -> int:
        with self._lock:
            return len(self._live(key, now))
