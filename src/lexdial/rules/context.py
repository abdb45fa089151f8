"""Per-decision evaluation context and the evaluator result type.

Rule 1: an evaluator is ``check(rule, ctx, t) -> Fail | None`` and must be pure: the
same rule, facts and instant always give the same answer.
Rule 2: a ``Fail`` with ``next_at=None`` is permanent (a fact must change: deny); a
``Fail`` with ``next_at`` is temporal, and ``next_at`` is a lower bound — the rule cannot
pass before it — which is what makes the earliest-allowed search exact.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from lexdial.domain.decision import DecisionRequest
from lexdial.domain.numbers import PhoneNumber
from lexdial.domain.zones import zone
from lexdial.rules.model import Rule
from lexdial.rules.timezones import Location

MINUTE = timedelta(minutes=1)


class Fail(NamedTuple):
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
    #: which calls the settings above reach (contract v1.1): a call is in scope when its
    #: technology or its purpose is listed ...
    policy_technologies: frozenset[str] = frozenset(
        {"autodialed", "prerecorded", "artificial_voice", "interactive_voice"}
    )
    policy_purposes: frozenset[str] = frozenset({"marketing", "debt_collection"})
    #: ... except a person's own (manual) call to one of these relationships
    policy_spares_manual_to: frozenset[str] = frozenset({"current_client"})


ZoneTime = tuple[ZoneInfo, datetime, int]


class Ctx:
    """Facts of one decision, with derived classifications and small caches."""

    __slots__ = (
        "cache",
        "line_type",
        "loc",
        "number",
        "policy",
        "quiet",
        "req",
        "subscriber",
        "tzs",
    )

    def __init__(
        self,
        req: DecisionRequest,
        number: PhoneNumber,
        loc: Location,
        policy: Policy,
        line_type: str,
        subscriber: str,
    ) -> None:
        self.req = req
        self.number = number
        self.loc = loc
        self.policy = policy
        self.line_type = line_type
        self.subscriber = subscriber
        self.tzs: tuple[ZoneInfo, ...] = loc.tzinfos or tuple(zone(z) for z in loc.zones)
        self.cache: dict[Any, Any] = {}
        #: set during the earliest-allowed search, where time-rule messages are not shown
        self.quiet = False

    def zone_times(self, t: datetime) -> tuple[ZoneTime, ...]:
        """(zone, local time, minute of the local day) of ``t`` in every candidate zone."""
        hit = self.cache.get(t)
        if hit is None:
            out = []
            for tz in self.tzs:
                lt = t.astimezone(tz)
                out.append((tz, lt, lt.hour * 60 + lt.minute))
            hit = self.cache[t] = tuple(out)
        return hit

    def locals(self, t: datetime) -> tuple[datetime, ...]:
        """``t`` as local wall-clock time in every candidate zone."""
        return tuple(lt for _, lt, _ in self.zone_times(t))

    def call_date(self, t: datetime) -> date:
        """The latest calendar date of ``t`` among the candidate zones.

        "The date of the call" is the called party's date; age limits (EBR months,
        registry days) are measured to the latest candidate date: the later the date,
        the older the fact, so this is the protective reading.
        """
        key = ("call_date", t)  # several rules ask, at the same instant
        day: date | None = self.cache.get(key)
        if day is None:
            times = self.zone_times(t)
            day = max(lt.date() for _, lt, _ in times) if times else t.astimezone(UTC).date()
            self.cache[key] = day
        return day

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
