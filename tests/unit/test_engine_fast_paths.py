"""The engine's faster spellings give what the plain ones gave.

Each faster piece (the next opening from the local time already known, day numbers in
the Regulation F count, the single-rule reason, the separator strip of numbers, the
weekday names) is compared with the plain code it replaced, kept here as the reference,
over generated inputs: instants across both DST changes, zones with and without DST, the
pack's own calling windows (holiday calendars included).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lexdial.adapters.rulepack import load_pack
from lexdial.domain.numbers import _compact
from lexdial.rules.checks import frequency, hours
from lexdial.rules.context import Ctx, Fail, Policy, local_midnight
from lexdial.rules.engine import _one_message, merge_reasons
from lexdial.rules.model import Rule
from lexdial.rules.timezones import Location

SETTINGS = settings(
    max_examples=300,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
ZONES = tuple(
    ZoneInfo(z)
    for z in (
        "America/New_York",
        "America/Chicago",
        "America/Phoenix",
        "Pacific/Honolulu",
        "America/Anchorage",
        "Europe/London",
        "Australia/Lord_Howe",
        "UTC",
    )
)
START = datetime(2026, 1, 1, tzinfo=UTC)
instants = st.integers(0, 2 * 366 * 24 * 60).map(lambda m: START + timedelta(minutes=m))
WINDOWS = [r for r in load_pack().rules if r.kind == "calling_window"]


def next_open_reference(w: hours.WeekWindows, t: datetime, tz: ZoneInfo) -> datetime | None:
    """``_next_open`` as it was, converting ``t`` to ``tz`` itself."""
    local = t.astimezone(tz)
    for offset in range(hours._SEARCH_DAYS + 1):
        day = local.date() + timedelta(days=offset)
        ranges = w.ranges_on(day)
        if ranges is None:
            start = local_midnight(day, tz)
            if start > t:
                return start
            continue
        for a, _b in ranges:
            start_utc = datetime(day.year, day.month, day.day, a // 60, a % 60, tzinfo=tz)
            # a start the text excludes ("after 8:00 a.m.") opens at the next minute
            start_utc += timedelta(minutes=1) if w.start_exclusive else timedelta(0)
            if start_utc.astimezone(UTC) > t:
                return start_utc.astimezone(UTC)
    return None


@SETTINGS
@given(
    t=instants,
    tz=st.sampled_from(ZONES),
    rule=st.sampled_from(WINDOWS),
    seconds=st.integers(0, 59),
)
def test_the_next_opening_is_the_one_computed_from_t(
    t: datetime, tz: ZoneInfo, rule: Rule, seconds: int
) -> None:
    t = t + timedelta(seconds=seconds)
    w: hours.WeekWindows = rule.prepared
    got = hours._next_open(w, t, tz, t.astimezone(tz))
    assert got == next_open_reference(w, t, tz)
    assert got is None or got.tzinfo is UTC


@SETTINGS
@given(
    day=st.integers(0, 2 * 366).map(lambda n: date(2026, 1, 1) + timedelta(days=n)),
    tz=st.sampled_from(ZONES),
    rule=st.sampled_from(WINDOWS),
    nudge=st.sampled_from((-60, -1, 0, 1, 60)),
)
def test_the_next_opening_is_the_one_computed_from_t_at_an_opening(
    day: date, tz: ZoneInfo, rule: Rule, nudge: int
) -> None:
    """At (and a second or a minute around) a window's start: where ``>`` matters."""
    w: hours.WeekWindows = rule.prepared
    ranges = w.ranges_on(day) or ((0, 1440),)
    a = ranges[0][0]
    t = datetime(day.year, day.month, day.day, a // 60, a % 60, tzinfo=tz).astimezone(UTC)
    t += timedelta(seconds=nudge)
    assert hours._next_open(w, t, tz, t.astimezone(tz)) == next_open_reference(w, t, tz)


def busiest_reference(
    ctx: Ctx, t: datetime, calls: list[datetime], span: int, limit: int
) -> tuple[int, str, datetime] | None:
    """``_busiest_zone`` as it was before it counted in day numbers."""
    worst: tuple[int, str, datetime] | None = None
    for tz, lt, _m in ctx.zone_times(t):
        days = [c.astimezone(tz).date() for c in calls]
        today = lt.date()
        n = sum(1 for d in days if 0 <= (today - d).days < span)
        if n < limit:
            continue
        nxt = today + timedelta(days=1)
        while sum(1 for d in days if 0 <= (nxt - d).days < span) >= limit:
            nxt += timedelta(days=1)
        when = local_midnight(nxt, tz)
        if worst is None or when > worst[2]:
            worst = (n, tz.key, when)
    return worst


def context(zones: tuple[ZoneInfo, ...]) -> Ctx:
    loc = Location(
        zones=tuple(z.key for z in zones),
        states=frozenset(),
        country="US",
        jurisdictions=("US",),
        tzinfos=zones,
    )
    return Ctx(None, None, loc, Policy(), "wireless", "consumer")  # type: ignore[arg-type]


@SETTINGS
@given(
    t=instants,
    zones=st.lists(st.sampled_from(ZONES), min_size=1, max_size=3, unique=True),
    ago=st.lists(st.integers(0, 12 * 24 * 60), max_size=12),
    span=st.sampled_from((1, 7, 30)),
    limit=st.integers(1, 8),
)
def test_counting_calls_in_day_numbers_counts_as_in_dates(
    t: datetime, zones: list[ZoneInfo], ago: list[int], span: int, limit: int
) -> None:
    calls = [t - timedelta(minutes=m) for m in ago]
    want = busiest_reference(context(tuple(zones)), t, calls, span, limit)
    assert frequency._busiest_zone(context(tuple(zones)), t, calls, span, limit) == want


def merge_reference(failures: list[tuple[Rule, Fail]]) -> tuple[tuple[object, ...], ...]:
    """``merge_reasons`` without its one-rule shortcuts."""
    grouped: dict[str, list[tuple[Rule, Fail]]] = {}
    for rule, fail in failures:
        for code in fail.codes:
            grouped.setdefault(code, []).append((rule, fail))
    out = []
    seen: list[tuple[str, tuple[str, ...], str]] = []
    for code, items in grouped.items():
        rules = tuple(dict.fromkeys(r.id for r, _ in items))
        citations = list(dict.fromkeys(r.citation for r, _ in items))
        message = _one_message(list(dict.fromkeys(f.message for _, f in items)))
        earlier = [c for m, r, c in seen if (m, r) == (message, rules)]
        seen.append((message, rules, code))
        if earlier:
            message = f"The same failure as {earlier[0]} ({', '.join(rules)}): see {earlier[0]}."
        out.append((code, rules[0], message, "; ".join(citations), rules))
    return tuple(out)


def test_rules_failing_for_one_reason_say_it_once_and_a_second_code_points_to_the_first() -> None:
    tcpa, tsr = a_rule(0), a_rule(1)
    detail = "needs prior express written consent; consent c1 is not one."
    failures = [
        (tcpa, Fail(("CONSENT_SCOPE", "WRITTEN_CONSENT_REQUIRED"), f"TCPA title: {detail}")),
        (tsr, Fail(("CONSENT_SCOPE", "WRITTEN_CONSENT_REQUIRED"), f"TSR title: {detail}")),
    ]
    first, second = merge_reasons(failures)
    assert first.message == f"TCPA title; TSR title: {detail}"
    assert second.code == "WRITTEN_CONSENT_REQUIRED"
    assert second.message == "The same failure as CONSENT_SCOPE (r0, r1): see CONSENT_SCOPE."


def a_rule(i: int) -> Rule:
    return Rule(
        id=f"r{i}",
        kind="script",
        code=f"C{i}",
        jurisdiction="US",
        summary="",
        citation=f"cite {i % 2}",
        effective_from=date(2000, 1, 1),
    )


@SETTINGS
@given(
    picks=st.lists(
        st.tuples(
            st.integers(0, 3),
            st.lists(st.sampled_from(("A", "B", "C")), min_size=1, max_size=2),
            st.sampled_from(("m1", "m2")),
        ),
        max_size=5,
    )
)
def test_merging_reasons_merges_as_the_general_rule_does(
    picks: list[tuple[int, list[str], str]],
) -> None:
    rules = [a_rule(i) for i in range(4)]
    failures = [(rules[i], Fail(tuple(codes), message)) for i, codes, message in picks]
    assert tuple(tuple(r) for r in merge_reasons(failures)) == merge_reference(failures)


@SETTINGS
@given(raw=st.text(alphabet=" -().\u00a0/+0123456789x\t", max_size=20) | st.text(max_size=20))
def test_compacting_a_number_drops_exactly_the_separators(raw: str) -> None:
    assert _compact(raw) == raw.translate(str.maketrans("", "", " -().\u00a0/"))


@pytest.mark.parametrize("day", [0, 1, 2, 3, 4, 5, 6])
def test_the_weekday_names_in_messages_are_strftimes(day: int) -> None:
    t = datetime(2026, 3, 2 + day, 23, 5, tzinfo=UTC)  # 2026-03-02 is a Monday
    tz = ZoneInfo("UTC")
    w = hours.prepare_windows({"windows": {"daily": [["08:00", "21:00"]]}}, None)
    assert hours._why([(tz, t, ((480, 1260),))], w).startswith(f"it is {t:%a %H:%M} in UTC")
