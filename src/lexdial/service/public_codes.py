"""One-time codes that prove a person holds a number, for the public pages.

Rule 1: the public opt-out page and double opt-in consent act on a number typed by anyone;
the code sent to that number is what shows the person holds it. Only a SHA-256 of the code
(salted with the number's keyed blind index and the purpose) is stored; it expires after 10
minutes, allows 5 guesses, and works once. Only the newest code for a number counts.
Rule 2: a number gets at most ``MAX_PER_HOUR`` codes an hour (checked in the store, so it
holds across processes): the page must not become a way to flood someone with texts.
Rule 3: codes leave through a ``CodeSender``. ``MemorySender`` keeps them in memory (tests
and demos); a real SMS sender is an adapter still to write. Nothing here logs a number.
``RateLimiter`` is the token bucket the pages use per client IP and per number, kept in a
``Limits`` (``service.limits``: one process's memory, or Redis shared by every process).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Protocol

from lexdial.service.contacts import number_index
from lexdial.service.limits import Limits, MemoryLimits
from lexdial.service.ports import Cipher
from lexdial.service.storage import UnitOfWork

PURPOSES = frozenset({"optout", "consent"})
TTL = timedelta(minutes=10)
MAX_ATTEMPTS = 5
MAX_PER_HOUR = 5
DIGITS = 6


class CodeSender(Protocol):
    """Delivers a short text to a number (an SMS gateway in production)."""

    def send(self, e164: str, text: str) -> None: ...


@dataclass
class MemorySender:
    """CodeSender fake: keeps what it was asked to send, newest last."""

    sent: list[tuple[str, str]] = field(default_factory=list)

    def send(self, e164: str, text: str) -> None:
        self.sent.append((e164, text))

    def last_code(self, e164: str) -> str | None:
        """The code in the newest text to ``e164`` (what a test or demo user types)."""
        for number, text in reversed(self.sent):
            if number == e164:
                found = re.search(rf"\b\d{{{DIGITS}}}\b", text)
                return found.group(0) if found else None
        return None


def _hash(bidx: str, purpose: str, code: str) -> str:
    return hashlib.sha256(f"lexdial code v1\0{purpose}\0{bidx}\0{code}".encode()).hexdigest()


def issue_code(
    uow: UnitOfWork,
    cipher: Cipher,
    purpose: str,
    e164: str,
    at: datetime,
    *,
    draw: Callable[[int], int] = secrets.randbelow,
) -> str | None:
    """A new code for ``e164`` (the caller sends it), or None when the number had its
    ``MAX_PER_HOUR`` codes already (the caller shows the same neutral page either way)."""
    if purpose not in PURPOSES:
        raise ValueError(f"unknown code purpose {purpose!r}")
    at = at.astimezone(UTC)
    bidx = number_index(cipher, e164)
    if uow.inbox.codes_since(bidx, at - timedelta(hours=1)) >= MAX_PER_HOUR:
        return None
    code = f"{draw(10**DIGITS):0{DIGITS}d}"
    uow.inbox.add_code(purpose, bidx, _hash(bidx, purpose, code), at, at + TTL)
    return code


def check_code(
    uow: UnitOfWork, cipher: Cipher, purpose: str, e164: str, code: str, at: datetime
) -> bool:
    """Whether ``code`` is the number's newest, unexpired, unused code; every guess counts
    against the limit (commit the transaction even when this returns False)."""
    at = at.astimezone(UTC)
    bidx = number_index(cipher, e164)
    row = uow.inbox.newest_code(bidx, purpose)
    given = "".join(ch for ch in code if ch.isdigit())
    expected = row.code_hash if row is not None else _hash(bidx, purpose, "x")
    match = hmac.compare_digest(_hash(bidx, purpose, given), expected)  # constant time
    if row is None or row.used_at is not None or row.attempts >= MAX_ATTEMPTS:
        return False
    if row.expires_at <= at:
        return False
    bumped = uow.inbox.count_guess(row.id, row.attempts, at if match else None)
    return bool(match and bumped and len(given) == DIGITS)


class RateLimiter:
    """Token buckets by key: ``capacity`` requests at once, one more every ``refill_s``.

    The buckets live in ``limits`` (``service.limits``: this process's memory by default,
    Redis when shared), under ``name`` so that several limiters can share one ``Limits``.
    """

    def __init__(
        self,
        capacity: int,
        refill_s: float,
        max_keys: int = 10_000,
        *,
        limits: Limits | None = None,
        name: str = "rate",
    ) -> None:
        self.capacity, self.refill_s, self.name = capacity, refill_s, name
        self.limits: Limits = limits if limits is not None else MemoryLimits(max_keys)

    def allow(self, key: str, now: float) -> bool:
        """Take a token for ``key`` at ``now`` (seconds); False when the bucket is empty."""
        return self.wait(key, now) == 0.0

    def wait(self, key: str, now: float) -> float:
        """Take a token for ``key`` at ``now``: 0.0 if taken, else seconds until one is there."""
        return self.limits.take(f"{self.name}:{key}", self.capacity, self.refill_s, now)


@dataclass
class PageLimits:
    """The public pages' buckets: code requests per IP and per number, code checks and
    consent posts per IP (capacity, then one every so many seconds)."""

    code_ip: RateLimiter = field(default_factory=lambda: RateLimiter(5, 120))
    code_number: RateLimiter = field(default_factory=lambda: RateLimiter(3, 600))
    check_ip: RateLimiter = field(default_factory=lambda: RateLimiter(10, 60))
    consent_ip: RateLimiter = field(default_factory=lambda: RateLimiter(10, 60))

    @classmethod
    def over(cls, limits: Limits) -> PageLimits:
        """The same buckets kept in ``limits`` (shared by every process that uses it)."""
        return cls(
            code_ip=RateLimiter(5, 120, limits=limits, name="public.code_ip"),
            code_number=RateLimiter(3, 600, limits=limits, name="public.code_number"),
            check_ip=RateLimiter(10, 60, limits=limits, name="public.check_ip"),
            consent_ip=RateLimiter(10, 60, limits=limits, name="public.consent_ip"),
        )
