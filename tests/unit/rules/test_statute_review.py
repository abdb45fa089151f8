"""The rule pack read against the statutes (lawyer review of 2026-12-07, pack 2026.12.3).

Every row names the provision it checks, and its expected verdict, codes and instants come
from that provision's text and the calendar (written out as local times with their UTC
offsets), never from the engine's output:

- 47 CFR 64.1200(a)(10) (FCC 24-24): a revocation by any reasonable means must be honoured
  from 2025-04-11; the clause that makes it reach calls "on unrelated matters" (revoke-all)
  is waived by the FCC's Consumer and Governmental Affairs Bureau to 2027-01-31.
- Utah Code 13-25a-103(3): no telephone solicitation "without prior express consent"
  between 9 p.m. and 8 a.m., on a Sunday or on a legal holiday.
- Citations: RCW 19.158.040(2) (Washington's 8 p.m. limit), Md. Code, Com. Law
  14-4502(a)(3) (Maryland's written consent), 15 O.S. 775C.2 (Oklahoma's definitions, no
  duty).
- N.J.S.A. 56:8-128(d): New Jersey's 9 p.m.-8 a.m. ban, added by S-921/A-1545 of 2023 and in
  force from December 2023, judges no call before it.
- 47 CFR 64.1200(c)(1) ("residential telephone subscriber") and 16 CFR 310.4(c), 310.6(b)(7):
  the federal window does not reach a business line.
- 15 O.S. 755.1(C)(3): Oklahoma's four cases in which an announcing device may be used.
- PECR 2003 reg. 21 as amended by SI 2016/524: the UK caller-ID duty, from 2016-05-16.
- 47 CFR 64.1200(c)(1) and Fla. Stat. 501.616(6)(a) in every zone of an area code that
  spans two, on the days daylight time starts and ends (15 U.S.C. 260a).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from conftest import build, codes, iso, pec, pewc
from lexdial.domain.decision import Decision

Decide = Callable[[dict[str, Any]], Decision]


def outcome(d: Decision) -> tuple[str, set[str], str | None]:
    return d.verdict, codes(d), iso(d)


def failed_rules(d: Decision) -> set[str]:
    return {r.rule for r in d.reasons}


# --- 47 CFR 64.1200(a)(10): revocation, and the revoke-all clause's waiver ------------------

MARKETING_OPT_OUT = pewc(revoked_at="2026-11-30T12:00:00Z")
REMINDER_CONSENT = pec(id="c-rem", scope=["reminder"])

REVOCATION = [
    # the base call: an autodialed reminder to a current client's wireless number in Ohio,
    # 11:00 local, relying on a reminder consent; the person opted out of marketing earlier
    pytest.param("2026-12-02T16:00:00Z", "wireless", "autodialed",
                 [MARKETING_OPT_OUT, REMINDER_CONSENT], "allow", set(), set(),
                 id="64.1200(a)(10)-revoke-all-waived-a-marketing-opt-out-leaves-the-reminder-consent"),
    pytest.param("2027-01-30T16:00:00Z", "wireless", "autodialed",
                 [MARKETING_OPT_OUT, REMINDER_CONSENT], "allow", set(), set(),
                 id="64.1200(a)(10)-revoke-all-still-waived-on-2027-01-30"),
    pytest.param("2027-01-31T16:00:00Z", "wireless", "autodialed",
                 [MARKETING_OPT_OUT, REMINDER_CONSENT], "deny", {"CONSENT_REVOKED"},
                 {"us.tcpa.revoke-all"},
                 id="64.1200(a)(10)-revoke-all-in-force-from-2027-01-31"),
    pytest.param("2027-02-03T16:00:00Z", "wireless", "autodialed",
                 [MARKETING_OPT_OUT, pec(id="c-rem", scope=["reminder"],
                                         given_at="2026-12-15T12:00:00Z")],
                 "allow", set(), set(),
                 id="64.1200(a)(10)-consent-given-again-after-the-opt-out-lifts-revoke-all"),
    # the part of (a)(10) in force since 2025-04-11: a prerecorded reminder to a residential
    # landline needs no consent (64.1200(a)(3)(iii)), but the person revoked consent to
    # reminders, which an exempt caller must honour
    pytest.param("2026-12-02T16:00:00Z", "landline", "prerecorded",
                 [pec(scope=["reminder"], revoked_at="2026-11-30T12:00:00Z")],
                 "deny", {"CONSENT_REVOKED"}, {"us.tcpa.revocation-same-purpose"},
                 id="64.1200(a)(10)-a-reminder-opt-out-ends-exempt-reminder-robocalls"),
    pytest.param("2026-12-02T16:00:00Z", "landline", "prerecorded",
                 [pewc(scope=None, revoked_at="2026-11-30T12:00:00Z")],
                 "deny", {"CONSENT_REVOKED"}, {"us.tcpa.revocation-same-purpose"},
                 id="64.1200(a)(10)-a-revoked-consent-of-unknown-scope-reaches-every-purpose"),
    pytest.param("2026-12-02T16:00:00Z", "landline", "prerecorded",
                 [MARKETING_OPT_OUT], "allow", set(), set(),
                 id="64.1200(a)(10)-a-marketing-opt-out-does-not-reach-exempt-reminders-until-2027"),
    pytest.param("2026-12-02T16:00:00Z", "landline", "manual",
                 [pec(scope=["reminder"], revoked_at="2026-11-30T12:00:00Z")],
                 "allow", set(), set(),
                 id="64.1200(a)(10)-reaches-robocalls-only-not-a-person-dialling"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("at", "line", "technology", "consents", "verdict", "want", "rules"), REVOCATION
)
def test_a_revocation_reaches_the_calls_the_fcc_rule_in_force_on_the_day_reaches(
    decide: Decide,
    at: str,
    line: str,
    technology: str,
    consents: list[dict[str, Any]],
    verdict: str,
    want: set[str],
    rules: set[str],
) -> None:
    d = decide(build(at=at, line_type=line, technology=technology, consents=consents))
    assert outcome(d) == (verdict, want, None), d.to_json()["reasons"]
    assert failed_rules(d) == rules


# --- Utah Code 13-25a-103(3): "without prior express consent" ------------------------------

UT_NUMBER = "+1 801 555 0124"  # Salt Lake City, America/Denver only
UT_CONSENT = pec(scope=["marketing"])


def utah_sales_call(at: str, consents: list[dict[str, Any]]) -> dict[str, Any]:
    return build(
        at=at,
        number=UT_NUMBER,
        line_type="wireless",
        address=None,
        purpose="marketing",
        technology="manual",
        relationship={"type": "former_client", "last_transaction_on": "2026-03-01"},
        consents=consents,
    )


UTAH = [
    # Wed 2026-12-09 21:30 MST = 2026-12-10T04:30Z; next 08:00 MST = 15:00Z
    pytest.param("2026-12-10T04:30:00Z", [], "defer",
                 {"CALLING_HOURS", "STATE_CALLING_HOURS"}, "2026-12-10T15:01:00Z",
                 id="ut-13-25a-103-3-a-no-consent-21-30-is-outside-utah-and-federal-hours"),
    # with consent Utah's hours do not reach the call; 64.1200(c)(1) / 310.4(c) still do
    pytest.param("2026-12-10T04:30:00Z", [UT_CONSENT], "defer", {"CALLING_HOURS"},
                 "2026-12-10T15:00:00Z",
                 id="ut-13-25a-103-3-a-consent-lifts-utah-hours-not-the-federal-window"),
    # Sun 2026-12-13 12:00 MST = 19:00Z
    pytest.param("2026-12-13T19:00:00Z", [], "defer", {"DAY_RESTRICTED"},
                 "2026-12-14T15:01:00Z",
                 id="ut-13-25a-103-3-b-no-consent-no-sunday-call"),
    pytest.param("2026-12-13T19:00:00Z", [UT_CONSENT], "allow", set(), None,
                 id="ut-13-25a-103-3-b-consent-lifts-the-sunday-ban"),
]  # fmt: skip


@pytest.mark.parametrize(("at", "consents", "verdict", "want", "when"), UTAH)
def test_utah_hours_and_days_bind_only_calls_without_prior_express_consent(
    decide: Decide,
    at: str,
    consents: list[dict[str, Any]],
    verdict: str,
    want: set[str],
    when: str | None,
) -> None:
    d = decide(utah_sales_call(at, consents))
    assert outcome(d) == (verdict, want, when), d.to_json()["reasons"]


# --- citations a court would read -----------------------------------------------------------

CITATIONS = [
    # Wed 2026-12-09 20:30 PST = 2026-12-10T04:30Z: after Washington's 8 p.m., before 9 p.m.
    pytest.param(
        {"at": "2026-12-10T04:30:00Z", "number": "+1 206 555 0113", "line_type": "wireless",
         "address": None, "purpose": "marketing", "technology": "manual"},
        "us-wa.calling-hours", "RCW 19.158.040(2)", ("80.36.390(2)", "19.158.040(4)"),
        id="rcw-19-158-040-2-is-washingtons-hours-not-the-30-second-identification-duty"),
    # an autodialed sales call to Baltimore with no consent
    pytest.param(
        {"number": "+1 410 555 0112", "line_type": "landline", "address": None,
         "purpose": "marketing", "technology": "autodialed",
         "relationship": {"type": "former_client", "last_transaction_on": "2026-03-01"}},
        "us-md.automated-pewc", "14-4502(a)(3)", ("(a)(2)",),
        id="md-com-law-14-4502-a-3-is-marylands-written-consent-duty"),
    # an autodialed sales call to Oklahoma City with no consent and no relationship (the
    # rule lifts for an established business relationship)
    pytest.param(
        {"number": "+1 405 555 0111", "line_type": "landline", "address": None,
         "purpose": "marketing", "technology": "autodialed", "relationship": {"type": "none"}},
        "us-ok.automated-pewc", "Telephone Solicitation Act of 2022", ("15 O.S. 775C.2;",),
        id="15-os-775c-2-is-the-definitions-section-not-the-duty"),
]  # fmt: skip


@pytest.mark.parametrize(("facts", "rule", "cites", "not_cites"), CITATIONS)
def test_a_reason_cites_the_provision_that_imposes_the_duty(
    decide: Decide,
    facts: dict[str, Any],
    rule: str,
    cites: str,
    not_cites: tuple[str, ...],
) -> None:
    d = decide(build(**facts))
    reason = next(r for r in d.reasons if r.rule == rule)
    assert cites in reason.citation
    assert not any(wrong in reason.citation for wrong in not_cites), reason.citation


# --- 64.1200(c)(1) and Fla. Stat. 501.616(6)(a) across two zones and a clock change ----------

PANHANDLE = "+1 850 555 0100"  # 850: Eastern (Tallahassee) and Central (Pensacola)

DST = [
    # Sun 2026-11-01, standard time from 02:00: 08:00 CST = 14:00Z, 08:00 EST = 13:00Z
    pytest.param("2026-11-01T13:59:00Z", "defer", {"CALLING_HOURS", "STATE_CALLING_HOURS"},
                 "2026-11-01T14:00:00Z", id="fall-back-07-59-cst-is-before-both-windows"),
    pytest.param("2026-11-01T14:00:00Z", "allow", set(), None,
                 id="fall-back-08-00-cst-opens-both-windows"),
    # 20:00 EST = 01:00Z Nov 2 (19:00 CST): Florida's 8 p.m. in the Eastern zone
    pytest.param("2026-11-02T00:59:00Z", "allow", set(), None,
                 id="fall-back-19-59-est-is-inside-florida-hours"),
    pytest.param("2026-11-02T01:00:00Z", "defer", {"STATE_CALLING_HOURS"},
                 "2026-11-02T14:00:00Z", id="fall-back-20-00-est-ends-florida-hours"),
    # Sun 2026-03-08, daylight time from 02:00: 08:00 CDT = 13:00Z; 20:00 EDT = 00:00Z Mar 9
    pytest.param("2026-03-08T12:59:00Z", "defer", {"CALLING_HOURS", "STATE_CALLING_HOURS"},
                 "2026-03-08T13:00:00Z", id="spring-forward-07-59-cdt-is-before-both-windows"),
    pytest.param("2026-03-08T13:00:00Z", "allow", set(), None,
                 id="spring-forward-08-00-cdt-opens-both-windows"),
    pytest.param("2026-03-09T00:00:00Z", "defer", {"STATE_CALLING_HOURS"},
                 "2026-03-09T13:00:00Z", id="spring-forward-20-00-edt-ends-florida-hours"),
    pytest.param("2026-03-09T01:00:00Z", "defer", {"CALLING_HOURS", "STATE_CALLING_HOURS"},
                 "2026-03-09T13:00:00Z", id="spring-forward-21-00-edt-ends-the-federal-window"),
]  # fmt: skip


@pytest.mark.parametrize(("at", "verdict", "want", "when"), DST)
def test_a_two_zone_area_code_is_judged_in_both_zones_on_clock_change_days(
    decide: Decide, at: str, verdict: str, want: set[str], when: str | None
) -> None:
    d = decide(
        build(
            at=at,
            number=PANHANDLE,
            line_type="wireless",
            address=None,
            purpose="marketing",
            technology="manual",
            relationship={"type": "former_client", "last_transaction_on": "2026-03-01"},
            suppression={
                "national_dnc": False,
                "state_dnc": False,
                "internal_dnc": False,
                "registry_synced_on": at[:10],
            },
        )
    )
    assert outcome(d) == (verdict, want, when), d.to_json()["reasons"]


# --- effective dates: a call before a provision took effect is not judged by it -------------

NJ_NUMBER = "+1 201 555 0120"  # Jersey City, America/New_York

EFFECTIVE = [
    # Tue 2023-11-14 21:30 EST = 2023-11-15T02:30Z: before N.J.S.A. 56:8-128(d) (S-921 of
    # 2023, in force December 2023); only 64.1200(c)(1) / 310.4(c) reach it
    pytest.param("2023-11-15T02:30:00Z", {"CALLING_HOURS"}, "2023-11-15T13:00:00Z",
                 id="nj-56-8-128-d-not-in-force-in-november-2023"),
    # Wed 2026-12-09 21:30 EST = 2026-12-10T02:30Z: both
    pytest.param("2026-12-10T02:30:00Z", {"CALLING_HOURS", "STATE_CALLING_HOURS"},
                 "2026-12-10T13:01:00Z", id="nj-56-8-128-d-in-force-in-2026"),
]  # fmt: skip


@pytest.mark.parametrize(("at", "want", "when"), EFFECTIVE)
def test_new_jerseys_hours_judge_only_calls_after_they_took_effect(
    decide: Decide, at: str, want: set[str], when: str
) -> None:
    d = decide(
        build(
            at=at,
            number=NJ_NUMBER,
            line_type="wireless",
            address=None,
            purpose="marketing",
            technology="manual",
            suppression={
                "national_dnc": False,
                "state_dnc": False,
                "internal_dnc": False,
                "registry_synced_on": at[:10],
            },
        )
    )
    assert outcome(d) == ("defer", want, when), d.to_json()["reasons"]


# --- PECR reg. 21 as amended by SI 2016/524: the caller-ID duty from 2016-05-16 -------------

UK_CALLER_ID = [
    # Tue 2016-05-10 11:00 BST = 10:00Z: before SI 2016/524 came into force
    pytest.param("2016-05-10T10:00:00Z", False, id="pecr-si-2016-524-not-in-force-on-2016-05-10"),
    # Tue 2016-05-17 11:00 BST = 10:00Z: the day after it came into force
    pytest.param("2016-05-17T10:00:00Z", True, id="pecr-si-2016-524-in-force-on-2016-05-17"),
]  # fmt: skip


@pytest.mark.parametrize(("at", "judged"), UK_CALLER_ID)
def test_a_uk_marketing_call_with_withheld_caller_id_is_judged_only_from_2016_05_16(
    decide: Decide, at: str, judged: bool
) -> None:
    d = decide(
        build(
            at=at,
            number="+44 20 7946 0018",
            address={"country": "GB", "time_zone": "Europe/London"},
            purpose="marketing",
            relationship={"type": "former_client", "last_transaction_on": "2015-06-01"},
            suppression={"internal_dnc": False, "registry_synced_on": at[:10]},
            campaign={"caller_id": "withheld"},
        )
    )
    assert ("gb.pecr.caller-id" in failed_rules(d)) is judged, d.to_json()["reasons"]


# --- 47 CFR 64.1200(c)(1) / 16 CFR 310.4(c): residential subscribers, not businesses ---------

BUSINESS_HOURS = [
    # Wed 2026-12-02 21:30 EST = 2026-12-03T02:30Z, a manual sales call in Ohio (no state hours)
    pytest.param("consumer", {"CALLING_HOURS"},
                 id="64.1200-c-1-a-consumer-line-at-21-30-is-outside"),
    pytest.param(None, {"CALLING_HOURS"}, id="64.1200-c-1-an-unstated-subscriber-is-a-consumer"),
    # a business line: neither rule reaches it; the firm's own 08:00-21:00 still does
    pytest.param("business", {"FIRM_POLICY"},
                 id="64.1200-c-1-310-6-b-7-a-business-line-is-held-only-by-firm-policy"),
]  # fmt: skip


@pytest.mark.parametrize(("subscriber", "want"), BUSINESS_HOURS)
def test_the_federal_calling_window_protects_residential_subscribers(
    decide: Decide, subscriber: str | None, want: set[str]
) -> None:
    d = decide(
        build(
            at="2026-12-03T02:30:00Z",
            purpose="marketing",
            relationship={"type": "former_client", "last_transaction_on": "2026-03-01"},
            subscriber=subscriber,
        )
    )
    assert outcome(d) == ("defer", want, "2026-12-03T13:00:00Z"), d.to_json()["reasons"]


# --- 15 O.S. 755.1(C)(3): when an automatic dial announcing device may be used in Oklahoma ---

OK_WRITTEN = {
    "id": "c-ok",
    "kind": "express_written",
    "given_at": "2026-06-01T12:00:00Z",
    "scope": ["reminder", "marketing", "debt_collection"],
    "seller": "Hartwell & Ruiz LLP",
}

OKLAHOMA_ADAD = [
    # Wed 2026-12-09 12:00 CST = 18:00Z, a prerecorded call to an Oklahoma City landline
    pytest.param("reminder", "prerecorded", {"type": "none"}, [], "deny", {"TECHNOLOGY_BANNED"},
                 id="755-1-c-3-no-request-no-purchase-no-recorded-reminder"),
    pytest.param("reminder", "prerecorded", {"type": "none"}, [OK_WRITTEN], "allow", set(),
                 id="755-1-c-3-a-a-written-request-allows-it"),
    pytest.param("reminder", "artificial_voice", {"type": "former_client"}, [], "allow", set(),
                 id="755-1-c-3-b-a-former-clients-reminder-concerns-services-bought"),
    pytest.param("debt_collection", "prerecorded", {"type": "none"}, [], "deny",
                 {"TECHNOLOGY_BANNED"},
                 id="755-1-c-3-c-a-law-firm-is-not-the-creditor-or-its-assignee"),
    pytest.param("callback", "prerecorded", {"type": "none"}, [], "allow", set(),
                 id="755-1-c-3-a-a-call-the-person-asked-for"),
    pytest.param("reminder", "manual", {"type": "none"}, [], "allow", set(),
                 id="755-1-a-person-dialling-is-no-announcing-device"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("purpose", "technology", "relationship", "consents", "verdict", "want"), OKLAHOMA_ADAD
)
def test_oklahoma_allows_an_announcing_device_only_in_755_1s_four_cases(
    decide: Decide,
    purpose: str,
    technology: str,
    relationship: dict[str, Any],
    consents: list[dict[str, Any]],
    verdict: str,
    want: set[str],
) -> None:
    d = decide(
        build(
            at="2026-12-09T18:00:00Z",
            number="+1 405 555 0111",
            address=None,
            purpose=purpose,
            technology=technology,
            relationship=relationship,
            consents=consents,
        )
    )
    assert outcome(d) == (verdict, want, None), d.to_json()["reasons"]
