"""Regulation F's exclusion of calls made with the consumer's direct prior consent from
the call-frequency presumptions (12 CFR 1006.14(b)(3)(i) and its official commentary).

Rule 1: the period is counted in calendar days at the consumer's location, "with the date
the debt collector receives prior consent counting as the first day" (1006.14(b)(3)(i));
comment 14(b)(3)(i)-3.iii: consent received Thursday June 4 covers calls through Wednesday
June 10, and calls "on or after Thursday, June 11" count again. With several candidate
zones the call must fall inside the seven days in every one (protective).
Rule 2: the consent stops excluding calls once revoked or once the collector has a
telephone conversation with the person about the debt after receiving it (comment
14(b)(3)(i)-2(2)-(3)); a shorter period the person named is not in the facts.
Rule 3: the request's consents are the consumer's own, given directly to the firm; one
counts when its scope names debt collection.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from lexdial.rules.context import Ctx

#: days 1..7 of the period: the day the consent was received and the six after it
_LAST_DAY = 6


class DirectConsent:
    """The consumer's direct consents to debt-collection calls, judged per call."""

    __slots__ = ("_consents", "_talks", "_zones")

    def __init__(self, ctx: Ctx, t: datetime, talks: Sequence[datetime]) -> None:
        self._consents = [
            (c.given_at, c.revoked_at)
            for c in ctx.req.consents
            if c.given_at is not None and c.scope is not None and "debt_collection" in c.scope
        ]
        self._zones: tuple[ZoneInfo, ...] = tuple(tz for tz, _, _ in ctx.zone_times(t))
        self._talks = talks

    def __bool__(self) -> bool:
        return bool(self._consents)

    def covers(self, at: datetime) -> bool:
        """True when a call at ``at`` is excluded from the counts (1006.14(b)(3)(i))."""
        for given, revoked in self._consents:
            if given > at or (revoked is not None and revoked <= at):
                continue
            if any(given < talk < at for talk in self._talks):
                continue  # a conversation about the debt after the consent ends it
            if all(
                0 <= (at.astimezone(z).date() - given.astimezone(z).date()).days <= _LAST_DAY
                for z in self._zones
            ):
                return True
        return False
