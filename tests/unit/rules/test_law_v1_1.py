"""The law as of December 2026 (issue 14) and contract v1.1, row by row, each row naming its
primary source and the date it took effect.

Unless a row says otherwise: a manual call to a landline in Columbus, Ohio (614,
America/New_York; BASE in tests/conftest.py), Wed 2 Dec 2026 11:00 EST (16:00Z), on no list
with a fresh registry copy. 08:00 EST = 13:00Z.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest

from conftest import build, codes, iso, pec
from lexdial.api import decide as api_decide
from lexdial.domain.decision import Decision
from lexdial.rules.context import Policy
from lexdial.rules.engine import Engine

Decide = Callable[[dict[str, Any]], Decision]
COLD = {"type": "none"}
WORKDAYS = {"days": ["mon", "tue", "wed", "thu", "fri"], "from": "09:00", "to": "17:00"}
DEBT = {"id": "ACME-4471"}


def collect(**facts: Any) -> dict[str, Any]:
    """A manual debt-collection call about ACME-4471 to a person with no other relationship."""
    base: dict[str, Any] = {"purpose": "debt_collection", "relationship": COLD, "debt": DEBT}
    base.update(facts)
    return build(**base)


def check(d: Decision, verdict: str, want: set[str], when: str | None = None) -> None:
    assert (d.verdict, codes(d), iso(d)) == (verdict, want, when), d.to_json()["reasons"]


def hist(at: str, outcome: str = "no_answer") -> dict[str, Any]:
    return {"at": at, "purpose": "debt_collection", "debt_id": "ACME-4471", "outcome": outcome}


# --- Regulation F (12 CFR 1006, in force 2021-11-30) -----------------------------------------

REG_F = [
    # 1006.6(b)(3): no communication at the consumer's workplace once the collector knows the
    # employer prohibits it (or the consumer said so)
    pytest.param(collect(preferences={"workplace_number": True, "no_calls_at_work": True}),
                 "deny", {"WORKPLACE_CALLS_BARRED"}, None,
                 id="1006-6-b-3-a-workplace-number-the-person-ruled-out-is-not-called"),
    pytest.param(collect(preferences={"workplace_number": True}), "allow", set(), None,
                 id="1006-6-b-3-a-workplace-number-alone-bars-nothing"),
    pytest.param(build(purpose="reminder",
                       preferences={"workplace_number": True, "no_calls_at_work": True}),
                 "allow", set(), None,
                 id="1006-6-b-3-reaches-debt-collection-only"),
    # 1006.6(c)(1): after a written request to cease communication
    pytest.param(collect(debt={**DEBT, "cease_requested_at": "2026-11-30T10:00:00Z"}),
                 "deny", {"CEASE_COMMUNICATION"}, None,
                 id="1006-6-c-1-no-call-after-a-request-to-cease"),
    pytest.param(collect(debt={**DEBT, "cease_requested_at": "2026-12-03T10:00:00Z"}),
                 "allow", set(), None,
                 id="1006-6-c-1-a-request-dated-after-the-call-does-not-reach-back"),
    # 1006.26(b): no threat of suit on a time-barred debt
    pytest.param(collect(debt={**DEBT, "time_barred": True}, script={"threatens_suit": True}),
                 "deny", {"SCRIPT_NONCOMPLIANT"}, None,
                 id="1006-26-b-a-script-threatening-suit-on-a-time-barred-debt-is-denied"),
    pytest.param(collect(debt={**DEBT, "time_barred": True}, script={"threatens_suit": False}),
                 "allow", set(), None,
                 id="1006-26-b-a-script-that-makes-no-threat-is-allowed"),
    pytest.param(collect(debt={**DEBT, "time_barred": True},
                         script={"identifies_firm_at_start": True}),
                 "deny", {"SCRIPT_NONCOMPLIANT"}, None,
                 id="1006-26-b-a-script-silent-on-the-threat-is-not-cleared"),
    pytest.param(collect(debt={**DEBT, "time_barred": True}), "allow", set(), None,
                 id="1006-26-b-without-a-script-the-campaign-lint-judges-it"),
    pytest.param(collect(debt={**DEBT, "time_barred": False}, script={"threatens_suit": True}),
                 "allow", set(), None,
                 id="1006-26-b-a-debt-within-the-limitation-period-is-not-time-barred"),
    # 1006.6(b)(1)(i): a time the consumer said is inconvenient, by weekday (v1.1)
    pytest.param(collect(preferences={"inconvenient_times": [
                     WORKDAYS]}),
                 "defer", {"INCONVENIENT_TIME"}, "2026-12-02T22:00:00Z",
                 id="1006-6-b-1-i-weekday-working-hours-defer-to-17-00"),
    pytest.param(collect(at="2026-12-05T16:00:00Z", preferences={"inconvenient_times": [
                     WORKDAYS]}),
                 "allow", set(), None,
                 id="1006-6-b-1-i-a-weekday-range-does-not-reach-saturday"),
    pytest.param(collect(at="2026-12-05T04:30:00Z", preferences={"inconvenient_times": [
                     {"days": ["fri"], "from": "22:00", "to": "02:00"}]}),
                 "defer", {"CALLING_HOURS", "INCONVENIENT_TIME"}, "2026-12-05T13:01:00Z",
                 id="1006-6-b-1-i-friday-23-30-is-inside-friday-22-to-02-then-the-window"),
]  # fmt: skip


@pytest.mark.parametrize(("request_", "verdict", "want", "when"), REG_F)
def test_regulation_f_bars_added_in_contract_v1_1(
    decide: Decide, request_: dict[str, Any], verdict: str, want: set[str], when: str | None
) -> None:
    check(decide(request_), verdict, want, when)


def test_a_friday_night_range_defers_a_saturday_small_hours_call_past_its_end(
    decide: Decide,
) -> None:
    # 1006.6(b)(1)(i): Sat 00:30 EST is inside Friday's 22:00-02:00 range
    d = decide(collect(at="2026-12-05T05:30:00Z", preferences={"inconvenient_times": [
        {"days": ["fri"], "from": "22:00", "to": "02:00"}]}))  # fmt: skip
    assert "INCONVENIENT_TIME" in d.codes
    reason = next(r for r in d.reasons if r.code == "INCONVENIENT_TIME")
    assert "America/New_York" in reason.message and "12 CFR 1006.6(b)(1)(i)" in reason.citation


def test_stated_inconvenient_times_are_honoured_for_a_sales_call_too_but_not_as_law(
    decide: Decide,
) -> None:
    # contract v1.1: honoured for every purpose; outside debt collection it is no statute
    d = decide(build(purpose="marketing", preferences={"inconvenient_times": [
        {"from": "10:00", "to": "12:00"}]}))  # fmt: skip
    check(d, "defer", {"INCONVENIENT_TIME"}, "2026-12-02T17:00:00Z")
    assert d.reasons[0].rule == "core.stated-inconvenient-times"
    assert "stated preference" in d.reasons[0].citation


REG_F_DIRECT_CONSENT = [
    # 1006.14(b)(2)(i)(A) presumes a violation after 7 calls in 7 days; (b)(3)(i) excludes
    # calls made with the consumer's prior consent given directly within the last 7 days
    pytest.param([], "defer", {"REG_F_7_IN_7"}, id="seven-calls-in-seven-days-defer-the-eighth"),
    pytest.param([pec(["debt_collection"], given_at="2026-11-30T12:00:00Z")], "allow", set(),
                 id="1006-14-b-3-i-consent-given-2-days-ago-takes-the-call-out-of-the-count"),
    pytest.param([pec(["debt_collection"], given_at="2026-11-10T12:00:00Z")], "defer",
                 {"REG_F_7_IN_7"},
                 id="1006-14-b-3-i-consent-older-than-7-days-before-every-call-does-not"),
    pytest.param([pec(["reminder"], given_at="2026-11-30T12:00:00Z")], "defer", {"REG_F_7_IN_7"},
                 id="1006-14-b-3-i-consent-to-another-purpose-does-not"),
]  # fmt: skip


@pytest.mark.parametrize(("consents", "verdict", "want"), REG_F_DIRECT_CONSENT)
def test_calls_with_the_consumers_direct_consent_of_the_last_7_days_are_not_counted(
    decide: Decide, consents: list[dict[str, Any]], verdict: str, want: set[str]
) -> None:
    seven = [hist(f"2026-11-{d:02d}T15:00:00Z") for d in range(26, 31)] + [
        hist("2026-12-01T15:00:00Z"),
        hist("2026-12-02T14:00:00Z"),
    ]
    d = decide(collect(history=seven, consents=consents))
    assert (d.verdict, codes(d)) == (verdict, want), d.to_json()["reasons"]


# 12 CFR 1006.14(b)(3)(i) (in force 2021-11-30) counts the consent period in calendar days,
# "the date the debt collector receives prior consent counting as the first day"; comment
# 14(b)(3)(i)-3.iii: consent received Thursday June 4, calls "on or after Thursday, June 11"
# count. Comment 14(b)(3)(i)-2(3): a conversation about the debt after the consent ends it.
# The call judged: Wed 2 Dec 2026 09:00 EST (14:00Z) unless a row says otherwise.
EARLY_DEC_2 = [hist(f"2026-12-02T13:{m:02d}:00Z") for m in range(0, 56, 8)]  # 7 calls 08:00-08:48
REG_F_CONSENT_DAYS = [
    pytest.param(EARLY_DEC_2, [pec(["debt_collection"], given_at="2026-11-26T01:00:00Z")],
                 "2026-12-02T14:00:00Z", "defer", {"REG_F_7_IN_7"}, "2026-12-09T13:01:00Z",
                 id="1006-14-b-3-i-consent-of-wed-25-nov-20-00-est-is-spent-on-wed-2-dec-day-8"),
    pytest.param(EARLY_DEC_2, [pec(["debt_collection"], given_at="2026-11-26T05:30:00Z")],
                 "2026-12-02T14:00:00Z", "allow", set(), None,
                 id="1006-14-b-3-i-consent-of-thu-26-nov-00-30-est-still-covers-wed-2-dec-day-7"),
    pytest.param([hist("2026-11-30T15:00:00Z", "conversation")],
                 [pec(["debt_collection"], given_at="2026-11-30T15:05:00Z")],
                 "2026-12-02T16:00:00Z", "allow", set(), None,
                 id="1006-14-b-3-i-call-back-as-asked-in-the-conversation-is-not-counted"),
    pytest.param([hist("2026-11-27T15:00:00Z", "conversation"),
                  hist("2026-11-30T15:00:00Z", "conversation")],
                 [pec(["debt_collection"], given_at="2026-11-27T15:05:00Z")],
                 "2026-12-02T16:00:00Z", "defer", {"REG_F_CONVERSATION"},
                 "2026-12-07T13:01:00Z",
                 id="1006-14-b-3-i-the-call-back-conversation-ends-the-consent"),
]  # fmt: skip


@pytest.mark.parametrize(("history", "consents", "at", "verdict", "want", "when"),
                         REG_F_CONSENT_DAYS)  # fmt: skip
def test_direct_consent_is_counted_in_calendar_days_and_ends_with_a_conversation(
    decide: Decide,
    history: list[dict[str, Any]],
    consents: list[dict[str, Any]],
    at: str,
    verdict: str,
    want: set[str],
    when: str | None,
) -> None:
    check(decide(collect(at=at, history=history, consents=consents)), verdict, want, when)


# --- Massachusetts: 940 CMR 7.04(1)(f); 209 CMR 18.14(1)(d) -----------------------------------

BOSTON = {"number": "+1 617 555 0100", "address": {"country": "US", "state": "MA",
                                                   "time_zone": "America/New_York"}}  # fmt: skip

MASS = [
    pytest.param([hist("2026-11-27T15:00:00Z")], "allow", set(), None,
                 id="940-cmr-7-04-1-f-a-second-contact-in-7-days-allowed"),
    pytest.param([hist("2026-11-27T15:00:00Z"), hist("2026-11-30T15:00:00Z")], "defer",
                 {"FREQUENCY_CAP"}, "2026-12-04T15:01:00Z",
                 id="940-cmr-7-04-1-f-a-third-waits-until-the-oldest-is-7-days-old"),
    pytest.param([hist("2026-11-24T15:00:00Z"), hist("2026-11-30T15:00:00Z")], "allow", set(),
                 None, id="940-cmr-7-04-1-f-a-call-8-days-ago-no-longer-counts"),
]  # fmt: skip


@pytest.mark.parametrize(("history", "verdict", "want", "when"), MASS)
def test_massachusetts_allows_two_debt_contacts_in_seven_days(
    decide: Decide, history: list[dict[str, Any]], verdict: str, want: set[str], when: str | None
) -> None:
    check(decide(collect(history=history, **BOSTON)), verdict, want, when)


# --- state do-not-call lists carry their own exemptions: Indiana IC 24-4.7-1-1 -------------

INDY = {
    "number": "+1 317 555 0100",
    "address": {"country": "US", "state": "IN", "time_zone": "America/Indiana/Indianapolis"},
}
LISTED = {
    "national_dnc": False,
    "state_dnc": True,
    "internal_dnc": False,
    "registry_synced_on": "2026-11-25",
}

INDIANA = [
    pytest.param({"type": "former_client", "last_transaction_on": "2026-06-01"}, [], "deny",
                 {"STATE_DNC"}, id="ic-24-4-7-1-1-no-ebr-exemption-a-recent-former-client"),
    pytest.param({"type": "current_client"}, [], "allow", set(),
                 id="ic-24-4-7-1-1-2-an-existing-contract-not-yet-performed"),
    pytest.param(COLD, [pec(["marketing"])], "allow", set(),
                 id="ic-24-4-7-1-1-1-a-call-at-the-persons-express-request"),
    pytest.param(COLD, [], "deny", {"STATE_DNC"}, id="ic-a-stranger-on-the-list"),
]  # fmt: skip


@pytest.mark.parametrize(("relationship", "consents", "verdict", "want"), INDIANA)
def test_indianas_list_applies_indianas_exemptions_not_the_federal_ones(
    decide: Decide,
    relationship: dict[str, Any],
    consents: list[dict[str, Any]],
    verdict: str,
    want: set[str],
) -> None:
    req = build(purpose="marketing", relationship=relationship, consents=consents,
                suppression=LISTED, **INDY)  # fmt: skip
    d = decide(req)
    assert (d.verdict, codes(d)) == (verdict, want), d.to_json()["reasons"]


# --- bar rules: ABA Model Rule 7.3(b)(3) (2018-08-06) --------------------------------------


def test_a_person_who_routinely_uses_the_legal_services_offered_may_be_called(
    decide: Decide,
) -> None:
    facts = {"purpose": "marketing", "matter": {"type": "estate"}, "number": "+1 614 555 0101"}
    cold = decide(build(relationship=COLD, **facts))
    routine = decide(build(relationship={"type": "none", "routinely_uses_services": True}, **facts))
    assert "BAR_SOLICITATION" in cold.codes
    assert "BAR_SOLICITATION" not in routine.codes


# --- other countries -----------------------------------------------------------------------

IE_MOBILE = "+353 85 000 0164"
NL_NUMBER = "+31 20 555 0100"


def abroad(number: str, iso2: str, zone: str, **facts: Any) -> dict[str, Any]:
    base: dict[str, Any] = {"number": number, "purpose": "marketing", "relationship": COLD,
                            "address": {"country": iso2, "time_zone": zone},
                            "at": "2026-12-02T11:00:00Z"}  # fmt: skip
    base.update(facts)
    return build(**base)


def former(last: str) -> dict[str, Any]:
    return {"type": "former_client", "last_transaction_on": last}


ABROAD = [
    # S.I. No. 336/2011 reg. 13 (in force 2011-07-01): a marketing call to a mobile
    pytest.param(abroad(IE_MOBILE, "IE", "Europe/Dublin", line_type="wireless"), "deny",
                 {"NO_CONSENT"}, id="ie-reg-13-a-marketing-call-to-a-mobile-needs-consent"),
    pytest.param(abroad(IE_MOBILE, "IE", "Europe/Dublin", line_type="wireless",
                        consents=[pec(["marketing"])]),
                 "allow", set(), id="ie-reg-13-with-consent-allowed"),
    # NDD opt-out for other lines (absent = not known to be clear)
    pytest.param(abroad("+353 1 555 0100", "IE", "Europe/Dublin",
                        suppression={"national_dnc": True, "registry_synced_on": "2026-11-25"}),
                 "deny", {"NATIONAL_DNC"}, id="ie-reg-13-an-ndd-opt-out-landline-is-not-called"),
    pytest.param(abroad("+353 1 555 0100", "IE", "Europe/Dublin"), "allow", set(),
                 id="ie-reg-13-a-landline-clear-of-the-ndd-may-be-called"),
    # Telecommunicatiewet art. 11.7, opt-in since 2021-07-01
    pytest.param(abroad(NL_NUMBER, "NL", "Europe/Amsterdam"), "deny", {"NO_CONSENT"},
                 id="nl-11-7-telemarketing-to-a-consumer-needs-consent"),
    pytest.param(abroad(NL_NUMBER, "NL", "Europe/Amsterdam",
                        relationship=former("2024-06-01")),
                 "allow", set(), id="nl-11-7-a-customer-of-2-5-years-ago-is-excepted"),
    pytest.param(abroad(NL_NUMBER, "NL", "Europe/Amsterdam",
                        relationship=former("2023-06-01")),
                 "deny", {"NO_CONSENT"}, id="nl-11-7-the-exception-ends-after-3-years"),
    pytest.param(abroad(NL_NUMBER, "NL", "Europe/Amsterdam", at="2021-06-30T11:00:00Z"),
                 "allow", set(), id="nl-11-7-before-2021-07-01-no-opt-in"),
]  # fmt: skip


@pytest.mark.parametrize(("request_", "verdict", "want"), ABROAD)
def test_ireland_and_the_netherlands_have_their_own_rules(
    decide: Decide, request_: dict[str, Any], verdict: str, want: set[str]
) -> None:
    d = decide(request_)
    assert (d.verdict, codes(d)) == (verdict, want), d.to_json()["reasons"]


# --- contract v1.1 clarifications ----------------------------------------------------------


def test_a_consent_without_a_date_counts_as_none_with_a_note(decide: Decide) -> None:
    undated = {"id": "c-9", "kind": "express", "scope": ["reminder"], "given_at": None}
    d = decide(build(technology="prerecorded", line_type="wireless", consents=[undated]))
    check(d, "deny", {"NO_CONSENT"})
    assert "c-9" in d.reasons[0].message
    assert any("without given_at" in n for n in d.notes)


def test_firm_policy_is_scoped_and_named_and_a_firm_may_widen_it(engine: Engine) -> None:
    # an automated reminder at 07:59: only the firm's window fails, as FIRM_POLICY
    early = build(at="2026-12-02T12:59:00Z", technology="autodialed")
    d = api_decide(early, engine=engine)
    check(d, "defer", {"FIRM_POLICY"}, "2026-12-02T13:00:00Z")
    assert "policy.all_calls_window = 08:00-21:00" in d.reasons[0].message
    assert "not law" in d.reasons[0].message
    # a person's own call to a current client is outside the default scope ...
    manual = build(at="2026-12-02T12:59:00Z")
    assert api_decide(manual, engine=engine).verdict == "allow"
    # ... unless the firm widens the scope to every technology and relationship
    policy = replace(Policy(), policy_technologies=frozenset({"manual", "autodialed"}),
                     policy_spares_manual_to=frozenset())  # fmt: skip
    wide = Engine(pack=engine.pack, geo=engine.geo, policy=policy)
    check(api_decide(manual, engine=wide), "defer", {"FIRM_POLICY"}, "2026-12-02T13:00:00Z")


def test_a_firm_may_demand_a_definite_reassigned_numbers_answer_as_firm_policy(
    engine: Engine,
) -> None:
    req = build(technology="prerecorded", line_type="wireless", consents=[pec()],
                reassigned={"result": "no_data"})  # fmt: skip
    assert api_decide(req, engine=engine).verdict == "allow"
    strict = Engine(pack=engine.pack, geo=engine.geo,
                    policy=replace(Policy(), require_reassigned_check=True))  # fmt: skip
    d = api_decide(req, engine=strict)
    check(d, "deny", {"FIRM_POLICY"})
    assert "policy.require_reassigned_check" in d.reasons[0].message


def test_a_postcode_outside_the_us_is_accepted_and_a_bad_one_names_the_field(
    decide: Decide,
) -> None:
    from lexdial.errors import RequestError

    ok = abroad("+44 20 7946 0018", "GB", "Europe/London", purpose="reminder",
                relationship={"type": "current_client"},
                address={"country": "GB", "postcode": "SW1A 1AA"})  # fmt: skip
    assert decide(ok).verdict == "allow"
    bad = dict(ok, address={"country": "GB", "postcode": "SW1A#1AA"})
    with pytest.raises(RequestError) as err:
        decide(bad)
    assert err.value.field == "address.postcode"


def test_a_firm_script_rule_is_reported_beside_a_failing_law_script_rule(decide: Decide) -> None:
    # 47 CFR 64.1200(b)(1) (identify the firm) fails, and the firm's AI-disclosure setting
    # asks for something else: both are reported, the firm's as FIRM_POLICY
    req = build(technology="artificial_voice", line_type="wireless", consents=[pec()],
                script={"identifies_firm_at_start": False, "discloses_ai": False})  # fmt: skip
    d = decide(req)
    assert {"SCRIPT_NONCOMPLIANT", "FIRM_POLICY"} <= set(d.codes)
