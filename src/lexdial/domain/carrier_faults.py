"""Carrier faults: which failed calls are the carrier's, and how the dialler backs off.

Rule 1: a call the carrier could not place is the carrier's fault and says nothing about
the person called: the dial refused or raising (trunk unreachable, timed out), a 5xx, an
authentication, timeout or rate refusal (401, 403, 407, 408, 429), a failure with no cause.
Busy, no answer and a number the network says is wrong (404, 484, 604, ...) are the
callee's: they prove the carrier works.
Rule 2: each consecutive carrier fault doubles the wait before the next dial (``base_s``,
2 x ``base_s``, ... up to ``max_s``) and halves the lines that may be up at once (down to
one); any call the carrier did place resets both. ``limit`` faults in a row trip it: the
dialler then pauses the campaign with ``reason``.
Pure: times are given (carrier seconds, in order); nothing reads a clock.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

#: SIP/HTTP codes that are the carrier's, with their reason phrases (RFC 3261 §21)
_CARRIER_CODES = {
    401: "Unauthorized",
    403: "Forbidden",
    407: "Proxy Authentication Required",
    408: "Request Timeout",
    429: "Too Many Requests",
    500: "Server Internal Error",
    501: "Not Implemented",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Server Time-out",
}
#: failures about this one number or our own machine, not the carrier
_NOT_CARRIER = frozenset({"number format", "no rtp port"})
_CODE = re.compile(r"(?<!\d)([1-6]\d\d)(?!\d)")


def carrier_fault(detail: str | None) -> str | None:
    """Why an unanswered call that failed (its event's ``detail``) is the carrier's fault,
    in a few words for the record; None when it is not the carrier's (rule 1)."""
    text = (detail or "").strip()
    if not text:
        return "failed, no cause given"
    if text.lower() in _NOT_CARRIER:
        return None
    m = _CODE.search(text)
    if m is None:  # errno texts ("Connection refused"), "dial setup failed", ...
        return text[:80]
    code = int(m.group(1))
    if code in _CARRIER_CODES:
        return f"{code} {_CARRIER_CODES[code]}"
    return text[:80] if 500 <= code < 600 else None


@dataclass(slots=True, kw_only=True)
class CarrierBackoff:
    """Consecutive carrier faults of one run and what they cost the pace (rule 2)."""

    limit: int = 10
    base_s: float = 0.5
    max_s: float = 30.0
    #: consecutive carrier faults; 0 after any call the carrier placed
    streak: int = 0
    #: the last fault, in a few words (``carrier_fault``)
    last: str | None = None
    _until: float = field(default=-math.inf, repr=False)

    def __post_init__(self) -> None:
        if self.limit < 1 or self.base_s < 0 or self.max_s < self.base_s:
            raise ValueError("CarrierBackoff: limit >= 1 and 0 <= base_s <= max_s")

    def failed(self, now_s: float, why: str) -> None:
        """One more call the carrier could not place, at ``now_s``."""
        self.streak += 1
        self.last = why
        wait = min(self.max_s, self.base_s * 2 ** (self.streak - 1))
        self._until = max(self._until, now_s + wait)

    def placed(self) -> None:
        """A call the carrier placed (whatever the person did): the carrier works."""
        self.streak, self.last, self._until = 0, None, -math.inf

    def wait_s(self, now_s: float) -> float:
        """Seconds to wait at ``now_s`` before the next dial (0: dial now)."""
        return max(0.0, self._until - now_s)

    def room(self, lines: int, in_flight: int) -> int:
        """Lines that may start now out of ``lines``, ``in_flight`` being up: all of them
        while the carrier works, half as many per consecutive fault (at least one)."""
        cap = lines if self.streak == 0 else max(1, lines >> min(self.streak, 30))
        return max(0, min(lines, cap) - in_flight)

    @property
    def tripped(self) -> bool:
        """``limit`` faults in a row: dialling must stop and the campaign pause."""
        return self.streak >= self.limit

    @property
    def reason(self) -> str:
        """What the campaign page, the API and the CLI say about the pause."""
        calls = f"{self.streak} calls in a row" if self.streak != 1 else "1 call"
        return (
            f"carrier failing: {calls} failed at the carrier "
            f"({self.last or 'no cause given'}); the campaign was paused — check the trunk "
            "or the carrier account, then resume it"
        )
