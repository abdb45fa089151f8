"""Slowing password guessing without letting a stranger lock a person out of log-in.

The old rule (10 failures per e-mail, then 15 minutes refused for everybody) let anyone
lock any account by typing its address wrongly ten times. The choice here is OWASP's
"device cookie" scheme plus per-source limits:

Rule 1: failures are counted per (client address, account) and per client address; past
``PAIR_LIMIT`` (or ``IP_LIMIT`` for one address across accounts: password spraying) that
address may not try that account (any account) until the window has passed. An attacker
stops only themself.
Rule 2: failures per account from every source (``ACCOUNT_LIMIT``) put the account under
a slower backoff for *unknown* sources: one try per ``BACKOFF_S`` for the whole account,
so a botnet of addresses cannot guess faster than that.
Rule 3: a browser that logged into this account before carries a device cookie (sealed with
the store's key, naming the account); it is a known source: rules 1 and 2 do not apply to
it, only its own ``DEVICE_LIMIT``. So the real user, from their usual browser and with the
right password, gets in while the attack goes on.

Counts live in memory, per process (a restart forgets them); the audit trail keeps every
failure. Time comes from ``clock`` (monotonic seconds) so tests can move it.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable

WINDOW_S = 900.0
PAIR_LIMIT = 10
IP_LIMIT = 50
ACCOUNT_LIMIT = 20
DEVICE_LIMIT = 10
BACKOFF_S = 60.0
_MAX_KEYS = 10_000


class LoginThrottle:
    """Failure counts and the per-account backoff (see the module docstring)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self._failures: dict[str, deque[float]] = {}
        self._last_unknown_try: dict[str, float] = {}
        self._lock = threading.Lock()

    def _recent(self, key: str) -> deque[float]:
        seen = self._failures.setdefault(key, deque())
        while seen and seen[0] < self.clock() - WINDOW_S:
            seen.popleft()
        return seen

    def refusal(self, ip: str, email: str, device: str | None) -> str | None:
        """Why this try may not go ahead now, or None (the try is then counted as made)."""
        account = email.strip().lower()
        with self._lock:
            if device is not None:  # a known browser of this account (rule 3)
                if len(self._recent(f"device:{device}")) >= DEVICE_LIMIT:
                    return "Too many failed log-ins from this browser: wait 15 minutes."
                return None
            if len(self._recent(f"ip:{ip}")) >= IP_LIMIT or (
                len(self._recent(f"pair:{ip}:{account}")) >= PAIR_LIMIT
            ):
                return "Too many failed log-ins from here: wait 15 minutes."
            if len(self._recent(f"account:{account}")) >= ACCOUNT_LIMIT:  # rule 2
                last = self._last_unknown_try.get(account)
                if last is not None and self.clock() - last < BACKOFF_S:
                    return (
                        "Many failed log-ins for this account: from a browser not used "
                        "here before, one try a minute. Your usual browser is not limited."
                    )
                self._last_unknown_try[account] = self.clock()
            return None

    def failed(self, ip: str, email: str, device: str | None) -> None:
        account = email.strip().lower()
        keys = (
            [f"device:{device}"]
            if device is not None
            else [f"ip:{ip}", f"pair:{ip}:{account}", f"account:{account}"]
        )
        with self._lock:
            for key in keys:
                self._recent(key).append(self.clock())
            if len(self._failures) > _MAX_KEYS:  # bounded: forget the oldest keys
                for old in list(self._failures)[: _MAX_KEYS // 10]:
                    del self._failures[old]
