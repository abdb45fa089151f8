"""Time-of-day and day-of-week rules: calling windows, day bans, inconvenient times.

Rule 1: windows are start-inclusive, end-exclusive, in local wall-clock time, and must
hold in every candidate zone (catalogue 7). A failing rule returns the first instant at
which *each* failing zone opens again; the latest of those is a safe lower bound.
Rule 2: the boundary instants follow the texts. "Before 8 a.m. or after 9 p.m." (47 CFR
64.1200(c)(1) and most states) allows 08:00:00 and forbids 21:00:00 only as the instant
the call is placed; the decision is taken before the call is placed, so the end stays
exclusive (protective). Where the text allows calls only "after" the start (12 CFR
1006.6(b)(1)(i): "after 8:00 a.m. and before 9:00 p.m.") or forbids calls "between the
hours of 9 p.m. and 8 a.m." (both ends inside, read protectively), ``start_exclusive``
takes the start instant itself out: any later instant of the start minute is inside,
and a defer names the next whole minute (the contract gives minutes: 08:01).
Rule 3: where the text times the call's *receipt* ("calls ... which will be received
before 8:00 a.m. or after 8:00 p.m.", RCW 19.158.040(2); Cal. Pub. Util. Code 2872(c)), a
call placed just before the end rings after it; ``ends_early_minutes`` closes the window
that much earlier, so a call placed inside it is received inside it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from lexdial.domain.zones import zone
from lexdial.rules.calendar import STATUTE, STATUTE_NAMES, is_holiday
from lexdial.rules.checks.consent import consent_covers
from lexdial.rules.checks.exempt import Exemptions, exempt, prepare_exempt
from lexdial.rules.context import Ctx, Fail, local_midnight
from lexdial.rules.model import Rule

DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
#: what ``%a`` writes (the C locale's names): spelled out, as strftime is slow in messages
_DAY_ABBR = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_SEARCH_DAYS = 14
Ranges = tuple[tuple[int, int], ...]
#: how long after a range's start the window opens (Rule 2): the contract gives the
#: earliest allowed instant to the minute, and the start minute's first instant is out
_OPENS_LATER = {False: timedelta(0), True: timedelta(minutes=1)}


@dataclass(frozen=True, slots=True)
class WeekWindows:
    """Allowed minute ranges per weekday (None = this rule sets no limit that day)."""

    days: tuple[Ranges | None, ...]
    holiday: Ranges | None
    holiday_country: str
    holiday_subdiv: str | None
    extra: tuple[str, ...]
    fixed_zone: str | None
    #: the statute's exclusions (calls outside its definition), None = none modelled
    exempt: Exemptions | None = None
    #: the start instant (hh:mm:00.000) is outside the window (Rule 2)
    start_exclusive: bool = False

    def ranges_on(self, day: date) -> Ranges | None:
        if self.holiday is not None and is_holiday(
            self.holiday_country, self.holiday_subdiv, day, self.extra
        ):
            return self.holiday
        return self.days[day.weekday()]


def parse_clock(text: str) -> int:
    """'HH:MM' -> minutes after midnight; '24:00' is the end of the day."""
    hh, mm = text.split(":")
    value = int(hh) * 60 + int(mm)
    if not 0 <= value <= 1440 or not 0 <= int(mm) < 60:
        raise ValueError(f"bad clock time {text!r}")
    return value


def expand_days(spec: str) -> list[int]:
    """'daily', 'mon-fri', 'sat', 'sun,holiday' style day specs -> weekday indexes."""
    out: list[int] = []
    for part in spec.split(","):
        part = part.strip()
        if part == "daily":
            out.extend(range(7))
        elif "-" in part:
            a, b = part.split("-")
            out.extend(range(DAY_NAMES.index(a), DAY_NAMES.index(b) + 1))
        elif part != "holiday":
            out.append(DAY_NAMES.index(part))
    return out


def prepare_windows(params: dict[str, Any], rule_subdiv: str | None) -> WeekWindows:
    days: list[Ranges | None] = [None] * 7
    holiday: Ranges | None = None
    early = params.get("ends_early_minutes", 0)
    if not isinstance(early, int) or isinstance(early, bool) or not 0 <= early < 60:
        raise ValueError(f"ends_early_minutes must be 0-59, not {early!r}")
    for spec, ranges in params["windows"].items():
        # a text that times the call's receipt (Rule 3) ends the window early
        parsed = tuple((parse_clock(a), parse_clock(b) - early) for a, b in ranges)
        if early and any(b <= a for a, b in parsed):
            raise ValueError(f"window {spec}: ends_early_minutes leaves an empty range")
        for i in expand_days(spec):
            days[i] = parsed
        if "holiday" in spec.split(","):
            holiday = parsed
    cal = _calendar(params)
    return WeekWindows(
        days=tuple(days),
        holiday=holiday,
        holiday_country=cal.get("country", "US"),
        holiday_subdiv=cal.get("subdiv", rule_subdiv),
        extra=tuple(cal.get("extra", ())),
        fixed_zone=params.get("fixed_zone"),
        exempt=prepare_exempt(params),
        start_exclusive=_flag(params, "start_exclusive"),
    )


def _flag(params: dict[str, Any], key: str) -> bool:
    value = params.get(key, False)
    if not isinstance(value, bool):  # "no" or "false" quoted would read as True
        raise ValueError(f"{key} must be true or false, not {value!r}")
    return value


def _in_window(w: WeekWindows, ranges: Ranges, lt: datetime, minute: int) -> bool:
    """``lt`` (local, at ``minute`` of its day) falls in one of ``ranges``."""
    for a, b in ranges:
        if a <= minute < b:
            return not (
                w.start_exclusive and minute == a and lt.second == 0 and lt.microsecond == 0
            )
    return False


@lru_cache(maxsize=256)
def _fmt(ranges: Ranges) -> str:
    return ", ".join(f"{a // 60:02d}:{a % 60:02d}-{b // 60:02d}:{b % 60:02d}" for a, b in ranges)


def _next_open(w: WeekWindows, t: datetime, tz: ZoneInfo, local: datetime) -> datetime | None:
    """The first window start (or unlimited day's midnight) after ``t``; ``local`` is ``t``
    in ``tz``, which the caller already has."""
    today = local.date()
    for offset in range(_SEARCH_DAYS + 1):
        day = today + timedelta(days=offset) if offset else today
        ranges = w.ranges_on(day)
        if ranges is None:
            start = local_midnight(day, tz)
            if start > t:
                return start
            continue
        for a, _b in ranges:
            start = datetime(day.year, day.month, day.day, a // 60, a % 60, tzinfo=tz)
            start = start.astimezone(UTC) + _OPENS_LATER[w.start_exclusive]
            if start > t:
                return start
    return None


def check_window(rule: Rule, ctx: Ctx, t: datetime) -> Fail | None:
    """Calling-hours window in every candidate zone (and a fixed zone if the law says so)."""
    w: WeekWindows = rule.prepared
    if w.exempt is not None and exempt(w.exempt, ctx, t):
        return None
    calendar = w.holiday is not None
    bad: list[tuple[ZoneInfo, datetime, Ranges]] | None = None
    for tz, lt, minute in ctx.zone_times(t):
        ranges = w.ranges_on(lt.date()) if calendar else w.days[lt.weekday()]
        if ranges is None or _in_window(w, ranges, lt, minute):
            continue
        if bad is None:
            bad = []
        bad.append((tz, lt, ranges))
    if w.fixed_zone:
        fz = zone(w.fixed_zone)
        lt = t.astimezone(fz)
        ranges = w.ranges_on(lt.date())
        minute = lt.hour * 60 + lt.minute
        if ranges is not None and not _in_window(w, ranges, lt, minute):
            bad = [*(bad or []), (fz, lt, ranges)]
    if bad is None:
        return None
    nexts: list[datetime] = []
    for tz, lt, _ranges in bad:
        nxt = _next_open(w, t, tz, lt)
        if nxt is None:
            return Fail((rule.code,), f"{rule.summary}; {_why(bad, w)}.")
        nexts.append(nxt)
    message = rule.summary if ctx.quiet else f"{rule.summary}; {_why(bad, w)}."
    return Fail((rule.code,), message, max(nexts))


def _why(bad: list[tuple[ZoneInfo, datetime, Ranges]], w: WeekWindows) -> str:
    after = ", each start instant itself excluded" if w.start_exclusive else ""
    return "; ".join(
        f"it is {_DAY_ABBR[lt.weekday()]} {lt.hour:02d}:{lt.minute:02d}"
        f"{f':{lt.second:02d}' if w.start_exclusive else ''} in {tz.key} "
        f"(allowed {_fmt(ranges)}{after})"
        for tz, lt, ranges in bad
    )


@dataclass(frozen=True, slots=True)
class DayBan:
    weekdays: frozenset[int]
    holidays: bool
    country: str
    subdiv: str | None
    extra: tuple[str, ...]
    unless_consent: bool
    exempt: Exemptions | None = None


def _calendar(params: dict[str, Any]) -> dict[str, Any]:
    """A rule's holiday calendar; ``{list: [...]}`` is the statute's own list of days."""
    cal = dict(params.get("holidays") or {})
    if "list" in cal:
        names = tuple(cal.pop("list"))
        unknown = sorted(set(names) - STATUTE_NAMES)
        if unknown or cal:
            raise ValueError(f"holiday list: unknown names {unknown} or extra keys {sorted(cal)}")
        return {"country": STATUTE, "subdiv": None, "extra": names}
    return cal


def prepare_day_ban(params: dict[str, Any], rule_subdiv: str | None) -> DayBan:
    cal = _calendar(params)
    return DayBan(
        weekdays=frozenset(DAY_NAMES.index(d) for d in params.get("weekdays", [])),
        holidays=bool(cal),
        country=cal.get("country", "US") if cal else "US",
        subdiv=cal.get("subdiv", rule_subdiv) if cal else None,
        extra=tuple(cal.get("extra", ())) if cal else (),
        unless_consent=bool(params.get("unless_consent", False)),
        exempt=prepare_exempt(params),
    )


def _banned(b: DayBan, day: date) -> str | None:
    if day.weekday() in b.weekdays:
        return DAY_NAMES[day.weekday()].capitalize()
    if b.holidays and is_holiday(b.country, b.subdiv, day, b.extra):
        return "a holiday"
    return None


def check_day_ban(rule: Rule, ctx: Ctx, t: datetime) -> Fail | None:
    """No calls on listed weekdays or holidays, in any candidate zone."""
    b: DayBan = rule.prepared
    if b.unless_consent and consent_covers(ctx, t, "pec"):
        return None
    if b.exempt is not None and exempt(b.exempt, ctx, t):
        return None
    bad: list[str] = []
    nexts: list[datetime] = []
    for tz, lt, _m in ctx.zone_times(t):
        why = _banned(b, lt.date())
        if why is None:
            continue
        bad.append(f"{lt:%Y-%m-%d} is {why} in {tz.key}")
        day = lt.date() + timedelta(days=1)
        for _ in range(30):
            if _banned(b, day) is None:
                break
            day += timedelta(days=1)
        nexts.append(local_midnight(day, tz))
    if not bad:
        return None
    return Fail((rule.code,), f"{rule.summary}; " + "; ".join(bad) + ".", max(nexts))


#: (weekdays or None = every day, start minute, end minute)
Stated = tuple[frozenset[int] | None, int, int]


def _stated(ctx: Ctx) -> list[Stated]:
    """Every inconvenient time on record: the debt's (v1, every day) and the person's
    stated preferences (v1.1, optionally by weekday)."""
    out: list[Stated] = []
    debt, pref = ctx.req.debt, ctx.req.preferences
    if debt is not None:
        out.extend(
            (None, r.start.hour * 60 + r.start.minute, r.end.hour * 60 + r.end.minute)
            for r in debt.inconvenient_times
        )
    if pref is not None:
        out.extend(
            (r.days, r.start.hour * 60 + r.start.minute, r.end.hour * 60 + r.end.minute)
            for r in pref.inconvenient_times
        )
    return out


def check_inconvenient(rule: Rule, ctx: Ctx, t: datetime) -> Fail | None:
    """Times the person said are inconvenient, in every candidate zone (12 CFR
    1006.6(b)(1)(i) for debt collection; honoured for every purpose, contract v1.1)."""
    debt, pref = ctx.req.debt, ctx.req.preferences
    if (debt is None or not debt.inconvenient_times) and (
        pref is None or not pref.inconvenient_times
    ):
        return None
    skip = rule.params.get("except_purposes_in")
    if (
        skip
        and ctx.req.purpose in skip.get("purposes", ())
        and any(j in ctx.loc.jurisdictions for j in skip.get("jurisdictions", ()))
    ):
        return None  # the law's own rule for this purpose reports it
    ranges = _stated(ctx)
    bad: list[str] = []
    nexts: list[datetime] = []
    for tz, lt, _m in ctx.zone_times(t):
        minute = lt.hour * 60 + lt.minute
        hit = [(a, b) for days, a, b in ranges if _inside_on(lt, minute, days, a, b)]
        if not hit:
            continue
        bad.append(f"{_DAY_ABBR[lt.weekday()]} {lt:%H:%M} in {tz.key} falls in {_fmt(tuple(hit))}")
        nexts.append(_leave(ranges, lt, tz))
    if not bad:
        return None
    return Fail((rule.code,), f"{rule.summary}: " + "; ".join(bad) + ".", max(nexts))


def _inside(minute: int, a: int, b: int) -> bool:
    return a <= minute < b if a < b else (minute >= a or minute < b)


def _inside_on(lt: datetime, minute: int, days: frozenset[int] | None, a: int, b: int) -> bool:
    """Inside a stated range; a range on given weekdays that wraps midnight belongs to
    the day it starts on (Friday 22:00-02:00 covers early Saturday)."""
    if not _inside(minute, a, b):
        return False
    if days is None:
        return True
    day = lt.weekday()
    if a > b and minute < b:  # the small hours after a wrapping range's start day
        day = (day - 1) % 7
    return day in days


def _leave(ranges: list[Stated], lt: datetime, tz: ZoneInfo) -> datetime:
    """First instant after ``lt`` that lies outside every range (ranges may chain)."""
    probe = lt
    for _ in range(16):
        minute = probe.hour * 60 + probe.minute
        ends = [b for days, a, b in ranges if _inside_on(probe, minute, days, a, b)]
        if not ends:
            break
        end = max(ends, key=lambda b: (b - minute) % 1440 or 1440)
        day = probe.date() if end > minute else probe.date() + timedelta(days=1)
        if end >= 1440:
            day, end = day + timedelta(days=1), 0
        probe = datetime(day.year, day.month, day.day, end // 60, end % 60, tzinfo=tz)
    return probe.astimezone(UTC)
