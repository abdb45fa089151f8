"""Frequency rules: rolling caps, Regulation F presumptions, waits after a refusal.

Rule 1: a call in the history counts while ``t - window <= call.at <= t`` (inclusive:
a call exactly 24 h ago still counts); it rolls off at the first whole minute after
``call.at + window``.
Rule 2: Regulation F counts in *days* at the consumer's location: day 1 is the day of
the call or conversation (12 CFR 1006.14(b)(2)); with several candidate zones each is
checked and every one must pass.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from lexdial.domain.decision import RECORDED_VOICE, HistoryEntry
from lexdial.rules.checks.consent import consent_covers
from lexdial.rules.checks.regf_consent import DirectConsent
from lexdial.rules.context import Ctx, Fail, ceil_minute_after, local_midnight
from lexdial.rules.model import Rule


def prepare_cap(params: dict[str, Any], _subdiv: str | None) -> dict[str, Any]:
    return {
        "max": int(params["max"]),
        "exclude_outcomes": frozenset(params.get("exclude_outcomes", ())),
        "window": timedelta(hours=float(params["window_hours"])),
        "same_subject": bool(params.get("same_subject", False)),
        "purposes": frozenset(params["count_purposes"]) if params.get("count_purposes") else None,
        "technologies": frozenset(params["count_technologies"])
        if params.get("count_technologies")
        else None,
        "unless_consent": bool(params.get("unless_consent", False)),
        "days": int(params.get("days", 0)),
        "calendar_days": int(params.get("calendar_days", 0)),
    }


def _same_subject(a: str | None, b: str | None) -> bool:
    return a is None or b is None or a.strip().casefold() == b.strip().casefold()


def _counted(p: dict[str, Any], ctx: Ctx, h: HistoryEntry) -> bool:
    if p["purposes"] is not None and h.purpose is not None and h.purpose not in p["purposes"]:
        return False
    if (
        p["technologies"] is not None
        and h.technology is not None
        and (h.technology not in p["technologies"])
    ):
        return False
    return not p["same_subject"] or _same_subject(ctx.req.subject, h.subject)


def check_cap(rule: Rule, ctx: Ctx, t: datetime) -> Fail | None:
    """At most ``max`` counted calls within the rolling ``window`` before this one."""
    p = rule.prepared
    if p["unless_consent"] and consent_covers(ctx, t, "pec"):
        return None
    if p["calendar_days"]:
        return _calendar_cap(rule, ctx, t)
    start = t - p["window"]
    times = sorted(h.at for h in ctx.req.history if start <= h.at <= t and _counted(p, ctx, h))
    if len(times) < p["max"]:
        return None
    roll = times[len(times) - p["max"]]
    hours = p["window"].total_seconds() / 3600
    span = f"{hours:g} hours" if hours < 72 else f"{hours / 24:g} days"
    return Fail(
        (rule.code,),
        f"{rule.summary}: {len(times)} calls in the last {span} (limit {p['max']}).",
        ceil_minute_after(roll + p["window"]),
    )


def _busiest_zone(
    ctx: Ctx, t: datetime, calls: list[datetime], span: int, limit: int
) -> tuple[int, str, datetime] | None:
    """Calls counted in local calendar days (today and the ``span - 1`` days before):
    where a zone holds ``limit`` or more, (count, zone, local midnight of the first day
    with fewer); the latest such midnight over the candidate zones, or None."""
    if len(calls) < limit:  # no zone can hold ``limit`` calls: skip the conversions
        return None
    worst: tuple[int, str, datetime] | None = None
    for tz, lt, _m in ctx.zone_times(t):
        days = [c.astimezone(tz).toordinal() for c in calls]  # day numbers: int arithmetic
        today = lt.toordinal()
        n = sum(1 for d in days if 0 <= today - d < span)
        if n < limit:
            continue
        nxt = today + 1
        while sum(1 for d in days if 0 <= nxt - d < span) >= limit:
            nxt += 1
        when = local_midnight(date.fromordinal(nxt), tz)
        if worst is None or when > worst[2]:
            worst = (n, tz.key, when)
    return worst


def _calendar_cap(rule: Rule, ctx: Ctx, t: datetime) -> Fail | None:
    """The cap counted in local calendar days: today and the ``calendar_days - 1`` before."""
    p = rule.prepared
    span, limit = p["calendar_days"], p["max"]
    calls = [h.at for h in ctx.req.history if h.at <= t and _counted(p, ctx, h)]
    worst = _busiest_zone(ctx, t, calls, span, limit)
    if worst is None:
        return None
    return Fail(
        (rule.code,),
        f"{rule.summary}: {worst[0]} calls in the {span} calendar days ending today in "
        f"{worst[1]} (limit {limit}).",
        worst[2],
    )


def check_exempt_cap(rule: Rule, ctx: Ctx, t: datetime) -> Fail | None:
    """TCPA-exempt prerecorded calls to a residential line: 3 per 30 days without consent."""
    if consent_covers(ctx, t, "pec"):
        return None
    p = rule.prepared
    start = t - p["window"]
    times = sorted(
        h.at
        for h in ctx.req.history
        if start <= h.at <= t and (h.technology is None or h.technology in RECORDED_VOICE)
    )
    if len(times) < p["max"]:
        return None
    roll = times[len(times) - p["max"]]
    return Fail(
        (rule.code,),
        f"{rule.summary}: {len(times)} prerecorded calls in 30 days without consent "
        f"(limit {p['max']}).",
        ceil_minute_after(roll + p["window"]),
    )


def _debt_calls(ctx: Ctx, t: datetime) -> list[HistoryEntry]:
    """The calls of the history about this debt, up to ``t`` (memoised per decision: both
    Regulation F rules read them). Callers must not mutate the list."""
    key = ("debt_calls", t)
    hit: list[HistoryEntry] | None = ctx.cache.get(key)
    if hit is None:
        debt_id = ctx.req.debt.id if ctx.req.debt else None
        hit = ctx.cache[key] = [
            h
            for h in ctx.req.history
            if h.at <= t
            and h.purpose in (None, "debt_collection")
            and (debt_id is None or h.debt_id is None or h.debt_id == debt_id)
        ]
    return hit


def check_regf_7in7(rule: Rule, ctx: Ctx, t: datetime) -> Fail | None:
    """No more than 7 calls within 7 consecutive days per debt (1006.14(b)(2)(i)(A))."""
    limit = rule.prepared["max"]
    excluded = rule.prepared["exclude_outcomes"]
    debt_calls = _debt_calls(ctx, t)
    direct = DirectConsent(ctx, t, [h.at for h in debt_calls if h.outcome == "conversation"])
    if direct and direct.covers(t):
        return None  # this call is not counted, so it cannot be the one over the limit
    calls = [
        h.at
        for h in debt_calls
        if h.outcome not in excluded and not (direct and direct.covers(h.at))
    ]
    worst = _busiest_zone(ctx, t, calls, 7, limit)
    if worst is None:
        return None
    return Fail(
        (rule.code,),
        f"{rule.summary}: {worst[0]} calls about this debt in the 7 days ending today "
        f"in {worst[1]} (limit {limit}).",
        worst[2],
    )


def check_regf_conversation(rule: Rule, ctx: Ctx, t: datetime) -> Fail | None:
    """No call within 7 days after a conversation about the debt (1006.14(b)(2)(i)(B))."""
    talks = [h for h in _debt_calls(ctx, t) if h.outcome == "conversation"]
    if not talks:
        return None
    # a call made with the consumer's direct consent received since the conversation is
    # not counted (1006.14(b)(3)(i); comment 14(b)(3)(i)-3.i: "call back on Monday")
    if DirectConsent(ctx, t, [h.at for h in talks]).covers(t):
        return None
    worst: tuple[date, str, datetime] | None = None
    for tz, lt, _m in ctx.zone_times(t):
        last = max(h.at.astimezone(tz).date() for h in talks)
        free = last + timedelta(days=7)  # the conversation day is day 1
        if lt.date() >= free:
            continue
        when = local_midnight(free, tz)
        if worst is None or when > worst[2]:
            worst = (last, tz.key, when)
    if worst is None:
        return None
    return Fail(
        (rule.code,),
        f"{rule.summary}: a conversation about this debt took place on {worst[0]} "
        f"({worst[1]}); the next call may be placed from {worst[0] + timedelta(days=7)}.",
        worst[2],
    )


def check_refusal_wait(rule: Rule, ctx: Ctx, t: datetime) -> Fail | None:
    """After a refusal in a conversation, wait ``days`` before the next call (France)."""
    p = rule.prepared
    wait = timedelta(days=p["days"])
    refusals = [
        h.at
        for h in ctx.req.history
        if h.outcome == "refused" and h.at <= t and h.purpose in (None, "marketing")
    ]
    if not refusals:
        return None
    last = max(refusals)
    if t - last > wait:
        return None
    return Fail(
        (rule.code,),
        f"{rule.summary}: the person refused on {last:%Y-%m-%d}; wait {p['days']} days.",
        ceil_minute_after(last + wait),
    )
