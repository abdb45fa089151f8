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

Counts live in a ``Limits`` (``service.limits``): this process's memory by default (a
restart forgets them), or Redis shared by every API process (``$LEXDIAL_REDIS_URL``); the
audit trail keeps every failure. Time comes from ``clock`` (wall-clock seconds, the same in
every process sharing the counts) so tests can move it.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from lexdial.service.limits import Limits, MemoryLimits

WINDOW_S = 900.0
PAIR_LIMIT = 10
IP_LIMIT = 50
ACCOUNT_LIMIT = 20
DEVICE_LIMIT = 10
BACKOFF_S = 60.0
_MAX_KEYS = 10_000
_PREFIX = "login"


class LoginThrottle:
    """Failure counts and the per-account backoff (see the module docstring)."""

    def __init__(
        self, clock: Callable[[], float] = time.time, limits: Limits | None = None
    ) -> None:
        self.clock = clock
        self.limits: Limits = limits if limits is not None else MemoryLimits(_MAX_KEYS)

    def _recent(self, key: str) -> int:
        return self.limits.recent(f"{_PREFIX}.failed:{key}", WINDOW_S, self.clock())

    def refusal(self, ip: str, email: str, device: str | None) -> str | None:
        """Why this try may not go ahead now, or None (the try is then counted as made)."""
        account = email.strip().lower()
        if device is not None:  # a known browser of this account (rule 3)
            if self._recent(f"device:{device}") >= DEVICE_LIMIT:
                return "Too many failed log-ins from this browser: wait 15 minutes."
            return None
        if self._recent(f"ip:{ip}") >= IP_LIMIT or (
            self._recent(f"pair:{ip}:{account}") >= PAIR_LIMIT
        ):
            return "Too many failed log-ins from here: wait 15 minutes."
        if self._recent(f"account:{account}") >= ACCOUNT_LIMIT:  # rule 2
            # one try per BACKOFF_S from unknown browsers: a bucket of one token
            key = f"{_PREFIX}.backoff:{account}"
            if self.limits.take(key, 1, BACKOFF_S, self.clock()) > 0.0:
                return (
                    "Many failed log-ins for this account: from a browser not used "
                    "here before, one try a minute. Your usual browser is not limited."
                )
        return None

    def failed(self, ip: str, email: str, device: str | None) -> None:
        account = email.strip().lower()
        keys = (
            [f"device:{device}"]
            if device is not None
            else [f"ip:{ip}", f"pair:{ip}:{account}", f"account:{account}"]
        )
        at = self.clock()
        for key in keys:
            self.limits.note(f"{_PREFIX}.failed:{key}", WINDOW_S, at)
