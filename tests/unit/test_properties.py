"""Properties of the decision engine over generated requests (hypothesis).

The generated requests vary the instant (any minute of 2026-2027, across both DST
changes), numbers from area codes with one or several zones (850 FL panhandle, 208
Idaho, 602 Arizona without DST, 808 Hawaii, 907 Alaska, 915 El Paso, ...), the address,
purpose, technology, line type, relationship, consents, call history, suppression flags,
debt, GDPR and incident facts. The properties are the contract's promises:

(a) an ``allow`` lies inside the firm's 08:00-21:00 window in every candidate zone, and a
    marketing ``allow`` inside the Florida / Texas window where those states apply;
(b) a ``defer`` names the exact earliest minute: allowed there, not one minute before;
(c) adding a protective fact never makes a verdict more permissive;
(d) deciding is pure: same request, same JSON, whatever else was decided before.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from lexdial.api import decide as api_decide
from lexdial.domain.decision import LINE_TYPES, PURPOSES, TECHNOLOGIES, Decision
from lexdial.rules.context import Policy
from lexdial.rules.engine import Engine

FIRM = "Hartwell & Ruiz LLP"
START = datetime(2026, 1, 1, tzinfo=UTC)
MINUTES_2026_2027 = (datetime(2028, 1, 1, tzinfo=UTC) - START) // timedelta(minutes=1)

SETTINGS = settings(
    max_examples=150,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

#: area codes whose candidate zones are one or several (see module docstring)
AREA_CODES = tuple("850 208 602 808 907 813 214 915 212 312 614 317".split())
FOREIGN_NUMBERS = ("+44 20 7946 0018", "+353 85 000 0164", "+33 1 44 55 66 77")
ADDRESSES: tuple[dict[str, Any] | None, ...] = (
    None,
    {"country": "US", "state": "FL", "zip": "32501", "time_zone": "America/Chicago"},
    {"country": "US", "state": "FL", "zip": "33602"},
    {"country": "US", "state": "AZ", "time_zone": "America/Phoenix"},
    {"country": "US", "state": "ID", "zip": "83702"},
    {"country": "US", "state": "HI", "time_zone": "Pacific/Honolulu"},
    {"country": "US", "state": "AK", "time_zone": "America/Anchorage"},
    {"country": "US", "state": "TX", "zip": "79901"},
    {"country": "US", "state": "TX", "time_zone": "America/Chicago"},
    {"country": "US", "state": "NY", "time_zone": "America/New_York"},
    {"country": "US", "state": "OH"},
    {"country": "US", "time_zone": "America/Los_Angeles"},
)
PURPOSE_LIST = sorted(PURPOSES)
TECH_LIST = sorted(TECHNOLOGIES)
SUBJECTS = (None, "estate plan review", "seminar")
OUTCOMES = ("conversation", "voicemail", "no_answer", "busy", "abandoned", "failed", "refused")


def stamp(t: datetime) -> str:
    return t.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def at_of(request: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(request["at"]).astimezone(UTC)


def with_at(request: dict[str, Any], t: datetime) -> dict[str, Any]:
    out = copy.deepcopy(request)
    out["at"] = stamp(t)
    return out


# --- strategies ---------------------------------------------------------------------

instants = st.integers(0, MINUTES_2026_2027 - 1).map(lambda m: START + timedelta(minutes=m))


@st.composite
def numbers(draw: st.DrawFn) -> str:
    if draw(st.integers(0, 9)) == 0:
        return draw(st.sampled_from(FOREIGN_NUMBERS))
    npa = draw(st.sampled_from(AREA_CODES))
    line = draw(st.integers(100, 199))
    form = draw(st.sampled_from(("+1 {} 555 0{}", "({}) 555-0{}", "+1{}5550{}", "{}.555.0{}")))
    return form.format(npa, line)


def days_before(t: datetime, days: int) -> str:
    return (t - timedelta(days=days)).date().isoformat()


@st.composite
def consents(draw: st.DrawFn, at: datetime) -> dict[str, Any]:
    given_offset = draw(st.one_of(st.integers(1, 600), st.integers(-3, 0)))  # days; <=0: future
    given = at - timedelta(days=given_offset, minutes=draw(st.integers(0, 1439)))
    c: dict[str, Any] = {
        "id": f"c-{draw(st.integers(1, 99))}",
        "kind": draw(st.sampled_from(("express", "express_written"))),
        "given_at": stamp(given) if draw(st.booleans()) else given.date().isoformat(),
        "scope": draw(
            st.one_of(
                st.just(PURPOSE_LIST),
                st.lists(st.sampled_from(PURPOSE_LIST), max_size=3, unique=True),
            )
        ),
    }
    if draw(st.booleans()):
        c["technologies"] = draw(st.lists(st.sampled_from(TECH_LIST), max_size=5, unique=True))
    seller = draw(st.sampled_from((FIRM, "Hartwell and Ruiz LLP", "Other Firm LLP", None)))
    if seller is not None:
        c["seller"] = seller
    revoked = draw(st.sampled_from((None, None, None, "past", "future")))
    if revoked == "past":
        c["revoked_at"] = stamp(at - timedelta(hours=draw(st.integers(1, 2000))))
    elif revoked == "future":
        c["revoked_at"] = stamp(at + timedelta(hours=draw(st.integers(1, 200))))
    return c


@st.composite
def history_entries(draw: st.DrawFn, at: datetime) -> dict[str, Any]:
    h: dict[str, Any] = {
        "at": stamp(at - timedelta(minutes=draw(st.integers(1, 40 * 24 * 60)))),
        "purpose": draw(st.sampled_from((None, *PURPOSE_LIST))),
        "outcome": draw(st.sampled_from((None, *OUTCOMES))),
    }
    subject = draw(st.sampled_from(SUBJECTS))
    if subject is not None:
        h["subject"] = subject
    if draw(st.booleans()):
        h["debt_id"] = draw(st.sampled_from(("ACME-1", "ACME-2")))
    if draw(st.integers(0, 3)) == 0:
        h["technology"] = draw(st.sampled_from(TECH_LIST))
    return {k: v for k, v in h.items() if v is not None}


def maybe(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(st.none(), strategy)


@st.composite
def requests(draw: st.DrawFn, clean: bool = False) -> dict[str, Any]:
    """A decision request. ``clean`` draws favourable person facts (allows are common)."""
    at = draw(instants)
    req: dict[str, Any] = {
        "at": stamp(at),
        "number": draw(numbers()),
        "purpose": draw(st.sampled_from(PURPOSE_LIST)),
        "technology": draw(st.sampled_from(TECH_LIST)),
    }
    address = draw(st.sampled_from(ADDRESSES))
    if address is not None:
        req["address"] = dict(address)
    line = draw(maybe(st.sampled_from(sorted(LINE_TYPES))))
    if line is not None:
        req["line_type"] = line
    subject = draw(st.sampled_from(SUBJECTS))
    if subject is not None:
        req["subject"] = subject
    if clean:
        req["firm"] = {"name": FIRM}
        req["relationship"] = {"type": "current_client"}
        req["consents"] = [
            {
                "id": "c-all",
                "kind": "express_written",
                "given_at": days_before(at, 200),
                "scope": PURPOSE_LIST,
                "seller": FIRM,
            }
        ]
        req["suppression"] = {
            "national_dnc": draw(st.booleans()),
            "state_dnc": False,
            "internal_dnc": False,
            "registry_synced_on": days_before(at, draw(st.integers(0, 25))),
        }
        req["reassigned"] = {"result": "no", "checked_on": days_before(at, 3)}
        req["history"] = draw(st.lists(history_entries(at), max_size=3))
        if req["purpose"] == "debt_collection":
            req["debt"] = {"id": "ACME-1", "represented_by_attorney": False}
        return req

    if draw(st.booleans()):
        req["firm"] = {"name": FIRM}
    rel_type = draw(
        maybe(st.sampled_from(("current_client", "former_client", "inquiry", "prospect", "none")))
    )
    if rel_type is not None:
        rel: dict[str, Any] = {"type": rel_type}
        if draw(st.booleans()):
            rel["last_transaction_on"] = days_before(at, draw(st.integers(0, 800)))
        if draw(st.booleans()):
            rel["inquiry_on"] = days_before(at, draw(st.integers(0, 200)))
        req["relationship"] = rel
    req["consents"] = draw(st.lists(consents(at), max_size=2))
    if draw(st.integers(0, 4)) > 0:
        sup: dict[str, Any] = {
            "national_dnc": draw(maybe(st.booleans())),
            "state_dnc": draw(maybe(st.booleans())),
            "internal_dnc": draw(st.sampled_from((False, False, False, True, None))),
        }
        if draw(st.integers(0, 4)) > 0:
            sup["registry_synced_on"] = days_before(at, draw(st.integers(0, 45)))
        if draw(st.integers(0, 5)) == 0:
            sup["tps_registered_on"] = days_before(at, draw(st.integers(0, 60)))
        req["suppression"] = {k: v for k, v in sup.items() if v is not None}
    reassigned = draw(st.sampled_from((None, None, "no", "yes", "no_data")))
    if reassigned is not None:
        req["reassigned"] = {"result": reassigned}
    req["history"] = draw(st.lists(history_entries(at), max_size=9))
    if req["purpose"] == "debt_collection" or draw(st.integers(0, 5)) == 0:
        debt: dict[str, Any] = {"id": draw(st.sampled_from(("ACME-1", "ACME-2")))}
        if draw(st.integers(0, 5)) == 0:
            debt["represented_by_attorney"] = True
        if draw(st.integers(0, 3)) == 0:
            start = draw(st.integers(0, 23))
            debt["inconvenient_times"] = [
                {"start": f"{start:02d}:00", "end": f"{(start + 2) % 24:02d}:30"}
            ]
        req["debt"] = debt
    if draw(st.integers(0, 4)) == 0:
        gdpr: dict[str, Any] = {"erased": draw(st.sampled_from((False, False, True)))}
        objection = draw(st.sampled_from((None, "past", "future")))
        if objection == "past":
            gdpr["objected_at"] = stamp(at - timedelta(days=draw(st.integers(1, 90))))
        elif objection == "future":
            gdpr["objected_at"] = stamp(at + timedelta(hours=draw(st.integers(1, 100))))
        basis = draw(maybe(st.sampled_from(("consent", "contract", "legitimate_interests"))))
        if basis is not None:
            gdpr["lawful_basis"] = basis
        req["gdpr"] = gdpr
    if draw(st.integers(0, 5)) == 0:
        req["incident"] = {
            "kind": draw(st.sampled_from(("accident", "air_carrier_accident", "disaster"))),
            "occurred_on": days_before(at, draw(st.integers(0, 60))),
        }
    return req


any_request = st.one_of(requests(), requests(clean=True))

#: A consented robocall at 03:00 in Ohio whose consent is revoked at 05:00: the calling
#: window defers it, and by the time the window opens the consent is gone, so the search
#: must end in a deny (pinned so every run exercises that path, not only lucky draws).
REVOKED_BEFORE_WINDOW_OPENS: dict[str, Any] = {
    "at": "2026-12-02T08:00:00Z",
    "number": "+1 614 555 0101",
    "line_type": "wireless",
    "address": {"country": "US", "state": "OH", "time_zone": "America/New_York"},
    "purpose": "reminder",
    "technology": "prerecorded",
    "relationship": {"type": "current_client"},
    "consents": [
        {
            "id": "c-1",
            "kind": "express",
            "given_at": "2026-06-01T12:00:00Z",
            "scope": ["reminder"],
            "seller": FIRM,
            "revoked_at": "2026-12-02T10:00:00Z",
        }
    ],
    "firm": {"name": FIRM},
}


# --- helpers ------------------------------------------------------------------------

RANK = {"allow": 0, "defer": 1, "deny": 2}


@pytest.fixture(scope="module")
def run(engine: Engine) -> Callable[[dict[str, Any]], Decision]:
    def go(request: dict[str, Any]) -> Decision:
        return api_decide(request, engine=engine)

    return go


def minute_of_day(t: datetime, zone_name: str) -> tuple[int, int]:
    local = t.astimezone(ZoneInfo(zone_name))
    return local.hour * 60 + local.minute, local.weekday()


def window_violations(request: dict[str, Any], decision: Decision, t: datetime) -> list[str]:
    """Why an ``allow`` at ``t`` breaks the firm / Florida / Texas windows (empty = fine)."""
    bad = []
    marketing = request["purpose"] == "marketing"
    # the firm window's default scope (contract v1.1): automated calls and marketing and
    # collection calls, not a person's own call to a current client
    tech, rel = request["technology"], (request.get("relationship") or {}).get("type")
    firm = (tech != "manual" or request["purpose"] in ("marketing", "debt_collection")) and not (
        tech == "manual" and rel == "current_client"
    )
    # Tex. Bus. & Com. Code 301.051(a): the hours rule does not reach a current client or a
    # call the person asked for (a consent on file); any consent at all is left out here,
    # the engine decides whether it covers the call (tests/unit/rules/test_states.py)
    tx_exempt = rel == "current_client" or bool(request.get("consents"))
    for z in decision.time_zones:
        minute, weekday = minute_of_day(t, z)
        local = f"{t.astimezone(ZoneInfo(z)):%a %H:%M} in {z}"
        if firm and not 8 * 60 <= minute < 21 * 60:
            bad.append(f"firm window 08:00-21:00: {local}")
        if marketing and "US-FL" in decision.jurisdictions and not 8 * 60 <= minute < 20 * 60:
            bad.append(f"Florida window 08:00-20:00: {local}")
        if marketing and "US-TX" in decision.jurisdictions and not tx_exempt:
            opens = 12 * 60 if weekday == 6 else 9 * 60
            if not opens <= minute < 21 * 60:
                bad.append(f"Texas window: {local}")
    return bad


# --- (a) allow is inside every window -----------------------------------------------


@SETTINGS
@given(request=any_request)
def test_an_allow_is_inside_the_firm_and_state_windows_in_every_candidate_zone(
    run: Callable[[dict[str, Any]], Decision], request: dict[str, Any]
) -> None:
    decision = run(request)
    judged = [(request, decision, at_of(request))]
    if decision.verdict == "defer":  # the earliest allowed instant is an allow too
        assert decision.earliest_allowed_at is not None
        later = with_at(request, decision.earliest_allowed_at)
        judged.append((later, run(later), decision.earliest_allowed_at))
    for req, d, t in judged:
        if d.verdict != "allow":
            continue
        assert d.time_zones, "an allow must name the candidate zones it was judged in"
        assert window_violations(req, d, t) == [], (req, d.to_json())


def test_the_window_check_used_by_the_property_catches_a_call_outside_the_window(
    run: Callable[[dict[str, Any]], Decision],
) -> None:
    # 850 (Pensacola) at 20:30 Eastern / 19:30 Central on a Wednesday: outside Florida's
    # 20:00 cut-off in New York time; the helper must say so for a claimed allow.
    request = {
        "at": "2026-12-03T01:30:00Z",
        "number": "+1 850 555 0142",
        "purpose": "marketing",
        "technology": "manual",
    }
    decision = run(request)
    assert set(decision.time_zones) == {"America/Chicago", "America/New_York"}
    assert any("Florida" in v for v in window_violations(request, decision, at_of(request)))


# --- (b) earliest_allowed_at is exact -----------------------------------------------


@SETTINGS
@given(request=any_request)
@example(request=REVOKED_BEFORE_WINDOW_OPENS)
def test_a_defer_is_allowed_at_its_earliest_minute_and_not_one_minute_before(
    run: Callable[[dict[str, Any]], Decision], request: dict[str, Any]
) -> None:
    decision = run(request)
    if decision.verdict != "defer":
        assert decision.earliest_allowed_at is None
        return
    when = decision.earliest_allowed_at
    assert when is not None
    assert when >= at_of(request)
    assert (when.second, when.microsecond) == (0, 0)
    assert when.utcoffset() == timedelta(0)

    at_earliest = run(with_at(request, when))
    assert at_earliest.verdict == "allow", (request, decision.to_json(), at_earliest.to_json())

    before = when - timedelta(minutes=1)
    if before >= at_of(request):
        just_before = run(with_at(request, before))
        assert just_before.verdict != "allow", (request, decision.to_json())


def test_a_call_whose_consent_is_revoked_before_its_window_opens_is_denied_not_deferred(
    run: Callable[[dict[str, Any]], Decision],
) -> None:
    decision = run(REVOKED_BEFORE_WINDOW_OPENS)
    assert decision.verdict == "deny"
    assert decision.earliest_allowed_at is None
    # a prerecorded reminder: the window that fails is the firm's (FIRM_POLICY, v1.1)
    assert {"FIRM_POLICY", "CONSENT_REVOKED"} <= set(decision.codes)
    assert len(decision.codes) == len(set(decision.codes))


# --- (c) monotonicity ----------------------------------------------------------------


def revoke_every_consent(request: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(request)
    revoked = stamp(at_of(request) - timedelta(hours=1))
    out["consents"] = [{**c, "revoked_at": revoked} for c in out.get("consents") or []]
    return out


def set_suppression(flag: str) -> Callable[[dict[str, Any]], dict[str, Any]]:
    def change(request: dict[str, Any]) -> dict[str, Any]:
        out = copy.deepcopy(request)
        out["suppression"] = {**(out.get("suppression") or {}), flag: True}
        return out

    return change


def add_gdpr_objection(request: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(request)
    objected = stamp(at_of(request) - timedelta(days=2))
    out["gdpr"] = {**(out.get("gdpr") or {}), "objected_at": objected}
    return out


MORE_PROTECTIVE = [
    pytest.param(revoke_every_consent, id="every-consent-revoked-before-at"),
    pytest.param(set_suppression("internal_dnc"), id="internal-dnc-set"),
    pytest.param(set_suppression("national_dnc"), id="national-dnc-set"),
    pytest.param(add_gdpr_objection, id="gdpr-objection-added"),
]


@pytest.mark.parametrize("tighten", MORE_PROTECTIVE)
@SETTINGS
@given(request=any_request)
@example(request=REVOKED_BEFORE_WINDOW_OPENS)
def test_adding_a_protective_fact_never_makes_the_verdict_more_permissive(
    run: Callable[[dict[str, Any]], Decision],
    tighten: Callable[[dict[str, Any]], dict[str, Any]],
    request: dict[str, Any],
) -> None:
    before = run(request)
    after = run(tighten(request))
    assert RANK[after.verdict] >= RANK[before.verdict], (request, before.codes, after.codes)
    if before.verdict == after.verdict == "defer":
        assert before.earliest_allowed_at is not None
        assert after.earliest_allowed_at is not None
        assert after.earliest_allowed_at >= before.earliest_allowed_at


@SETTINGS
@given(request=any_request)
def test_an_internal_dnc_entry_denies_every_us_call(
    run: Callable[[dict[str, Any]], Decision], request: dict[str, Any]
) -> None:
    decision = run(set_suppression("internal_dnc")(request))
    if "US" in decision.jurisdictions:
        assert decision.verdict == "deny"
        assert "INTERNAL_DNC" in decision.codes


# --- (d) purity ---------------------------------------------------------------------


@settings(SETTINGS, max_examples=60)
@given(batch=st.lists(any_request, min_size=2, max_size=5))
def test_deciding_is_pure_whatever_was_decided_before_and_in_any_order(
    engine: Engine, batch: list[dict[str, Any]]
) -> None:
    pristine = copy.deepcopy(batch)
    first = [api_decide(r, engine=engine).to_json() for r in batch]
    again = [api_decide(r, engine=engine).to_json() for r in batch]
    backwards = [api_decide(r, engine=engine).to_json() for r in reversed(batch)][::-1]
    fresh = Engine(pack=engine.pack, geo=engine.geo, policy=Policy())
    fresh_backwards = [api_decide(r, engine=fresh).to_json() for r in reversed(batch)][::-1]
    assert again == first
    assert backwards == first
    assert fresh_backwards == first
    assert batch == pristine, "decide must not modify the request it is given"


# --- invariants of every decision ---------------------------------------------------


@SETTINGS
@given(request=any_request)
@example(request=REVOKED_BEFORE_WINDOW_OPENS)
def test_every_decision_is_shaped_as_the_contract_says(
    run: Callable[[dict[str, Any]], Decision], request: dict[str, Any]
) -> None:
    d = run(request)
    assert d.verdict in RANK
    assert len(d.codes) == len(set(d.codes)), "a reason code must appear once"
    if d.verdict == "allow":
        assert d.reasons == ()
        assert d.earliest_allowed_at is None
    elif d.verdict == "deny":
        assert d.reasons
        assert d.earliest_allowed_at is None
    else:
        assert d.reasons
        assert d.earliest_allowed_at is not None
    assert d.at == at_of(request)
    assert isinstance(d.at, datetime)
    assert date(2026, 1, 1) <= d.at.date() <= date(2027, 12, 31)
