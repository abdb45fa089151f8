"""Per-decision evaluation context and the evaluator result type.

Rule 1: an evaluator is ``check(rule, ctx, t) -> Fail | None`` and must be pure: the
same rule, facts and instant always give the same answer.
Rule 2: a ``Fail`` with ``next_at=None`` is permanent (a fact must change: deny); a
``Fail`` with ``next_at`` is temporal, and ``next_at`` is a lower bound — the rule cannot
pass before it — which is what makes the earliest-allowed search exact.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from lexdial.domain.decision import DecisionRequest
from lexdial.domain.numbers import PhoneNumber
from lexdial.domain.zones import zone
from lexdial.rules.model import Rule
from lexdial.rules.timezones import Location

MINUTE = timedelta(minutes=1)


@dataclass(frozen=True, slots=True)
class Fail:
    """A failed rule: one or more reason codes, a message, and when it may pass."""

    codes: tuple[str, ...]
    message: str
    next_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Policy:
    """Firm policy, from the settings file; the defaults are the protective ones."""

    default_region: str = "US"
    #: a window every call must respect, whatever its purpose (None = no such policy)
    all_calls_window: tuple[str, str] | None = ("08:00", "21:00")
    #: apply ring-time and abandonment limits to every purpose, not only telemarketing
    dialer_rules_all_purposes: bool = True
    #: deny automated calls that rely on consent when no RND check is on record
    require_reassigned_check: bool = False
    #: an artificial or AI voice must say it is one at the start (catalogue C4)
    require_ai_disclosure: bool = True


@dataclass(slots=True)
class Ctx:
    """Facts of one decision, with derived classifications and small caches."""

    req: DecisionRequest
    number: PhoneNumber
    loc: Location
    policy: Policy
    line_type: str
    subscriber: str
    tzs: tuple[ZoneInfo, ...] = ()
    cache: dict[Any, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.tzs = tuple(zone(z) for z in self.loc.zones)

    def locals(self, t: datetime) -> tuple[datetime, ...]:
        """``t`` as local wall-clock time in every candidate zone."""
        key = ("locals", t)
        hit = self.cache.get(key)
        if hit is None:
            hit = self.cache[key] = tuple(t.astimezone(z) for z in self.tzs)
        return hit

    def call_date(self, t: datetime) -> date:
        """The latest calendar date of ``t`` among the candidate zones and UTC.

        Age limits (EBR months, registry days) are measured to this date: the later the
        date, the older the fact, so this is the protective reading.
        """
        return max([t.astimezone(UTC).date(), *(lt.date() for lt in self.locals(t))])

    def memo(self, key: Any, make: Callable[[], Any]) -> Any:
        """Compute ``make()`` once per decision under ``key``."""
        if key not in self.cache:
            self.cache[key] = make()
        return self.cache[key]


Check = Callable[[Rule, Ctx, datetime], Fail | None]


def ceil_minute_after(instant: datetime) -> datetime:
    """The first whole minute strictly after ``instant`` (a window rolling off)."""
    floored = instant.replace(second=0, microsecond=0)
    return floored + MINUTE


def local_midnight(day: date, tz: ZoneInfo) -> datetime:
    """The instant (UTC) at which ``day`` begins in ``tz``."""
    return datetime(day.year, day.month, day.day, tzinfo=tz).astimezone(UTC)


def minus_months(day: date, months: int) -> date:
    """``day`` moved back by whole months, clamping the day (Aug 31 - 6 months = Feb 28)."""
    total = day.year * 12 + (day.month - 1) - months
    year, month = divmod(total, 12)
    month += 1
    for d in (day.day, 30, 29, 28):
        try:
            return date(year, month, d)
        except ValueError:
            continue
    raise AssertionError("unreachable")  # pragma: no cover
