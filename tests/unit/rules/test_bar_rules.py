"""Lawyers' professional rules: solicitation, waiting periods after accidents, and Rule 1.6
voicemail confidentiality.

Expectations come from the rule catalogue, section 6 (6.1 ABA Model Rules, 6.2 state rules
and 49 U.S.C. 1136(g), 6.3) and section 9.4/9.6, and from the decision contract, not from
engine output.

Each row is a marketing call on Wednesday 2 Dec 2026 at 16:00Z (11:00 in New York and
Florida, 10:00 in Texas, 08:00 in California), to a consumer landline that is clear of the
National DNC Registry with a fresh registry copy, unless the row says otherwise. Automated
and artificial-voice rows carry a prior express written consent naming the firm, so the
TCPA/TSR/state consent rules pass and only the bar rule under test can fail.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from conftest import build, codes, iso, pewc
from lexdial.domain.decision import Decision

Decide = Callable[[dict[str, Any]], Decision]

PI = {"type": "personal_injury"}
PROSPECT = {"type": "prospect"}
FORMER = {"type": "former_client", "last_transaction_on": "2026-06-01"}

OHIO = {
    "number": "+1 614 555 0101",
    "address": {"country": "US", "state": "OH", "time_zone": "America/New_York"},
}
FLORIDA = {
    "number": "+1 305 555 0100",
    "address": {"country": "US", "state": "FL", "time_zone": "America/New_York"},
}
TEXAS = {
    "number": "+1 214 555 0100",
    "address": {"country": "US", "state": "TX", "time_zone": "America/Chicago"},
}
NEW_YORK = {
    "number": "+1 212 555 0100",
    "address": {"country": "US", "state": "NY", "time_zone": "America/New_York"},
}
CALIFORNIA = {
    "number": "+1 213 555 0100",
    "address": {"country": "US", "state": "CA", "time_zone": "America/Los_Angeles"},
}


def solicit(place: dict[str, Any], **facts: Any) -> dict[str, Any]:
    """A marketing call about a personal-injury matter to a prospect, with PEWC on file."""
    base: dict[str, Any] = {
        **place,
        "purpose": "marketing",
        "technology": "manual",
        "relationship": PROSPECT,
        "matter": PI,
        "consents": [pewc()],
    }
    base.update(facts)
    return build(**base)


def accident(kind: str, on: str) -> dict[str, str]:
    return {"kind": kind, "occurred_on": on}


def check(
    decide: Decide, request: dict[str, Any], verdict: str, want: set[str], when: str | None = None
) -> None:
    d = decide(request)
    assert d.verdict == verdict, d.to_json()["reasons"]
    assert codes(d) == want, d.to_json()["reasons"]
    assert iso(d) == when


# --- ABA Model Rule 7.3(b): live person-to-person solicitation (6.1), Ohio ----------------


@pytest.mark.parametrize(
    ("facts", "verdict", "want"),
    [
        pytest.param(
            {"technology": "manual"},
            "deny",
            {"BAR_SOLICITATION"},
            id="manual-call-to-a-prospect-about-a-pi-matter",
        ),
        pytest.param(
            {"technology": "autodialed"},
            "deny",
            {"BAR_SOLICITATION"},
            id="autodialed-call-with-a-live-agent-is-live-contact",
        ),
        pytest.param(
            {"technology": "interactive_voice"},
            "deny",
            {"BAR_SOLICITATION"},
            id="interactive-ai-voice-is-treated-as-live-contact",
        ),
        pytest.param(
            {"technology": "prerecorded"}, "allow", set(), id="prerecorded-message-is-not-live"
        ),
        pytest.param(
            {"technology": "artificial_voice"},
            "allow",
            set(),
            id="artificial-voice-reading-a-message-is-not-live",
        ),
        pytest.param(
            {"relationship": {"type": "none"}},
            "deny",
            {"BAR_SOLICITATION"},
            id="no-relationship-at-all",
        ),
        pytest.param(
            {"relationship": None},
            "deny",
            {"BAR_SOLICITATION"},
            id="relationship-unknown-is-no-relationship",
        ),
        pytest.param(
            {"matter": {"type": "estate"}},
            "deny",
            {"BAR_SOLICITATION"},
            id="any-particular-matter-not-only-injury",
        ),
        pytest.param(
            {"matter": None, "incident": accident("accident", "2026-11-20")},
            "deny",
            {"BAR_SOLICITATION"},
            id="a-known-incident-is-a-particular-matter",
        ),
        pytest.param(
            {"matter": None}, "allow", set(), id="no-particular-matter-known-is-not-a-solicitation"
        ),
        pytest.param({"relationship": FORMER}, "allow", set(), id="former-client-exempt"),
        pytest.param(
            {"relationship": {"type": "current_client"}}, "allow", set(), id="current-client-exempt"
        ),
        pytest.param(
            {"relationship": {"type": "inquiry", "inquiry_on": "2026-11-25"}},
            "allow",
            set(),
            id="answering-an-inquiry-is-not-a-solicitation",
        ),
    ],
)
def test_aba_7_3b_bars_live_solicitation_of_a_person_known_to_need_help_in_a_matter(
    decide: Decide, facts: dict[str, Any], verdict: str, want: set[str]
) -> None:
    check(decide, solicit(OHIO, **facts), verdict, want)


# --- Florida 4-7.18(a)(1), Texas 7.03 and Penal Code 38.12, New York 7.3(a) (6.2) --------


@pytest.mark.parametrize(
    ("place", "facts", "verdict", "want"),
    [
        pytest.param(
            FLORIDA, {"technology": "manual"}, "deny", {"BAR_SOLICITATION"}, id="florida-manual"
        ),
        pytest.param(
            FLORIDA,
            {"technology": "autodialed"},
            "deny",
            {"BAR_SOLICITATION"},
            id="florida-autodialed",
        ),
        pytest.param(
            FLORIDA,
            {"technology": "prerecorded"},
            "deny",
            {"BAR_SOLICITATION"},
            id="florida-prerecorded-any-technology",
        ),
        pytest.param(
            FLORIDA,
            {"technology": "artificial_voice"},
            "deny",
            {"BAR_SOLICITATION"},
            id="florida-artificial-voice",
        ),
        pytest.param(
            FLORIDA,
            {"technology": "interactive_voice"},
            "deny",
            {"BAR_SOLICITATION"},
            id="florida-interactive-ai-voice",
        ),
        pytest.param(
            FLORIDA,
            {"technology": "prerecorded", "relationship": {"type": "none"}},
            "deny",
            {"BAR_SOLICITATION"},
            id="florida-prerecorded-no-relationship",
        ),
        pytest.param(
            FLORIDA,
            {"technology": "prerecorded", "relationship": FORMER},
            "allow",
            set(),
            id="florida-prior-professional-relationship-exempt",
        ),
        pytest.param(
            FLORIDA,
            {"technology": "prerecorded", "relationship": {"type": "current_client"}},
            "allow",
            set(),
            id="florida-current-client-exempt",
        ),
        pytest.param(
            TEXAS, {"technology": "manual"}, "deny", {"BAR_SOLICITATION"}, id="texas-manual"
        ),
        pytest.param(
            TEXAS,
            {"technology": "prerecorded"},
            "deny",
            {"BAR_SOLICITATION"},
            id="texas-prerecorded-barratry-by-telephone",
        ),
        pytest.param(
            TEXAS,
            {"technology": "interactive_voice"},
            "deny",
            {"BAR_SOLICITATION"},
            id="texas-interactive-ai-is-regulated-contact",
        ),
        pytest.param(
            TEXAS, {"relationship": FORMER}, "allow", set(), id="texas-prior-relationship-exempt"
        ),
        pytest.param(
            NEW_YORK,
            {"technology": "manual"},
            "deny",
            {"BAR_SOLICITATION"},
            id="new-york-telephone-contact",
        ),
        pytest.param(
            NEW_YORK,
            {"technology": "interactive_voice"},
            "deny",
            {"BAR_SOLICITATION"},
            id="new-york-real-time-interactive",
        ),
        pytest.param(
            NEW_YORK, {"relationship": FORMER}, "allow", set(), id="new-york-former-client-exempt"
        ),
        pytest.param(
            NEW_YORK,
            {"relationship": {"type": "current_client"}},
            "allow",
            set(),
            id="new-york-existing-client-exempt",
        ),
    ],
)
def test_state_bars_forbid_telephone_solicitation_of_prospective_clients(
    decide: Decide, place: dict[str, Any], facts: dict[str, Any], verdict: str, want: set[str]
) -> None:
    check(decide, solicit(place, **facts), verdict, want)


# --- ABA 7.3(b)(3) and the state rules that have the same exception (issue 14) -----------
# A prospect who routinely uses, for business, the kind of legal services offered
# (relationship.routinely_uses_services). Only the rules whose own text has the exception
# lift it: ABA Model Rule 7.3(b)(3) (2018-08-06) and Tex. Disciplinary R. Prof'l Conduct
# 7.03(b)(3) (in force 2021-07-01), the latter for live and interactive contact only.
# Florida 4-7.18(a)(1) and New York 7.3(a)(1) have no such exception.

ROUTINE = {"type": "prospect", "routinely_uses_services": True}
ROUTINE_USERS = [
    pytest.param(OHIO, {}, "allow", set(), id="aba-7-3-b-3-a-routine-user-may-be-called-live"),
    pytest.param(TEXAS, {}, "allow", set(),
                 id="tx-7-03-b-3-an-experienced-business-user-may-be-called-live"),
    pytest.param(TEXAS, {"technology": "interactive_voice"}, "allow", set(),
                 id="tx-7-03-b-3-interactive-contact-is-regulated-contact-and-excepted"),
    pytest.param(TEXAS, {"technology": "prerecorded"}, "deny", {"BAR_SOLICITATION"},
                 id="tx-penal-38-12-a-2-a-recorded-call-stays-barred-7-03-b-does-not-reach-it"),
    pytest.param(TEXAS, {"relationship": {**ROUTINE, "routinely_uses_services": False}},
                 "deny", {"BAR_SOLICITATION"}, id="tx-7-03-b-a-prospect-who-is-no-such-user"),
    pytest.param(FLORIDA, {}, "deny", {"BAR_SOLICITATION"},
                 id="fl-4-7-18-a-1-has-no-routine-user-exception"),
    pytest.param(NEW_YORK, {}, "deny", {"BAR_SOLICITATION"},
                 id="ny-7-3-a-1-has-no-routine-user-exception"),
]  # fmt: skip


@pytest.mark.parametrize(("place", "facts", "verdict", "want"), ROUTINE_USERS)
def test_a_routine_user_of_the_services_is_excepted_only_where_the_rule_says_so(
    decide: Decide, place: dict[str, Any], facts: dict[str, Any], verdict: str, want: set[str]
) -> None:
    check(decide, solicit(place, **{"relationship": ROUTINE, **facts}), verdict, want)


# --- New York 7.3(e) / 4.5 and 49 U.S.C. 1136(g)(2): waiting periods (6.2) ---------------


@pytest.mark.parametrize(
    ("place", "facts", "verdict", "want", "when"),
    [
        pytest.param(
            # Accident 10 Nov: the 30th day after it is 10 Dec; 08:00 EST = 13:00Z.
            NEW_YORK,
            {"relationship": FORMER, "incident": accident("accident", "2026-11-10")},
            "defer",
            {"BAR_WAITING_PERIOD"},
            "2026-12-10T13:00:00Z",
            id="new-york-former-client-day-22-defers-to-day-30-0800",
        ),
        pytest.param(
            NEW_YORK,
            {"relationship": FORMER, "incident": accident("accident", "2026-11-03")},
            "defer",
            {"BAR_WAITING_PERIOD"},
            "2026-12-03T13:00:00Z",
            id="new-york-day-29-defers-to-day-30",
        ),
        pytest.param(
            NEW_YORK,
            {"relationship": FORMER, "incident": accident("accident", "2026-11-02")},
            "allow",
            set(),
            None,
            id="new-york-day-30-allowed",
        ),
        pytest.param(
            NEW_YORK,
            {"relationship": FORMER, "incident": accident("disaster", "2026-11-20")},
            "defer",
            {"BAR_WAITING_PERIOD"},
            "2026-12-20T13:00:00Z",
            id="new-york-disaster-waits-30-days-too",
        ),
        pytest.param(
            # A New York number, but the person is in Los Angeles: day 30 (10 Dec) must
            # have begun there too, then 08:00 PST.
            NEW_YORK | {"address": CALIFORNIA["address"]},
            {"relationship": FORMER, "incident": accident("accident", "2026-11-10")},
            "defer",
            {"BAR_WAITING_PERIOD"},
            "2026-12-10T16:00:00Z",
            id="new-york-waiting-period-in-every-candidate-zone",
        ),
        pytest.param(
            NEW_YORK,
            {"relationship": PROSPECT, "incident": accident("accident", "2026-11-10")},
            "deny",
            {"BAR_SOLICITATION", "BAR_WAITING_PERIOD"},
            None,
            id="new-york-prospect-after-accident-both-rules-fail",
        ),
        pytest.param(
            OHIO,
            {"relationship": FORMER, "incident": accident("accident", "2026-11-20")},
            "allow",
            set(),
            None,
            id="no-30-day-wait-for-an-ordinary-accident-outside-new-york",
        ),
        pytest.param(
            # Air-carrier accident 1 Nov: the 45th day after it is 16 Dec.
            OHIO,
            {"relationship": FORMER, "incident": accident("air_carrier_accident", "2026-11-01")},
            "defer",
            {"BAR_WAITING_PERIOD"},
            "2026-12-16T13:00:00Z",
            id="air-carrier-accident-waits-45-days-in-ohio",
        ),
        pytest.param(
            OHIO,
            {"relationship": FORMER, "incident": accident("air_carrier_accident", "2026-10-19")},
            "defer",
            {"BAR_WAITING_PERIOD"},
            "2026-12-03T13:00:00Z",
            id="air-carrier-day-44-defers-to-day-45",
        ),
        pytest.param(
            OHIO,
            {"relationship": FORMER, "incident": accident("air_carrier_accident", "2026-10-18")},
            "allow",
            set(),
            None,
            id="air-carrier-day-45-allowed",
        ),
        pytest.param(
            CALIFORNIA,
            {"relationship": FORMER, "incident": accident("air_carrier_accident", "2026-11-01")},
            "defer",
            {"BAR_WAITING_PERIOD"},
            "2026-12-16T16:00:00Z",
            id="air-carrier-accident-waits-45-days-in-california",
        ),
        pytest.param(
            NEW_YORK,
            {"relationship": FORMER, "incident": accident("air_carrier_accident", "2026-11-01")},
            "defer",
            {"BAR_WAITING_PERIOD"},
            "2026-12-16T13:00:00Z",
            id="air-carrier-in-new-york-the-longer-federal-wait-decides",
        ),
        pytest.param(
            OHIO,
            {
                "technology": "prerecorded",
                "incident": accident("air_carrier_accident", "2026-11-01"),
            },
            "defer",
            {"BAR_WAITING_PERIOD"},
            "2026-12-16T13:00:00Z",
            id="air-carrier-wait-reaches-recorded-messages-to-prospects",
        ),
        pytest.param(
            OHIO,
            {"incident": accident("air_carrier_accident", "2026-11-01")},
            "deny",
            {"BAR_SOLICITATION", "BAR_WAITING_PERIOD"},
            None,
            id="air-carrier-live-call-to-a-prospect-both-rules-fail",
        ),
    ],
)
def test_no_solicitation_before_the_waiting_period_after_an_incident_ends(
    decide: Decide,
    place: dict[str, Any],
    facts: dict[str, Any],
    verdict: str,
    want: set[str],
    when: str | None,
) -> None:
    check(decide, solicit(place, **facts), verdict, want, when)


# --- non-marketing calls are never solicitations (6.1 Rule 7.3(a), 6.3) -----------------


@pytest.mark.parametrize(
    ("place", "purpose", "facts"),
    [
        pytest.param(OHIO, "reminder", {}, id="ohio-reminder-to-a-prospect"),
        pytest.param(FLORIDA, "reminder", {}, id="florida-reminder-to-a-prospect"),
        pytest.param(
            TEXAS,
            "notification",
            {"relationship": {"type": "none"}},
            id="texas-notification-to-a-stranger",
        ),
        pytest.param(
            NEW_YORK,
            "informational",
            {"incident": accident("accident", "2026-11-25")},
            id="new-york-informational-call-days-after-an-accident",
        ),
        pytest.param(
            OHIO,
            "callback",
            {
                "relationship": {"type": "inquiry", "inquiry_on": "2026-12-01"},
                "incident": accident("air_carrier_accident", "2026-11-25"),
            },
            id="requested-callback-after-an-air-crash",
        ),
        pytest.param(
            FLORIDA, "reminder", {"technology": "prerecorded"}, id="florida-prerecorded-reminder"
        ),
    ],
)
def test_non_marketing_calls_are_never_solicitations(
    decide: Decide, place: dict[str, Any], purpose: str, facts: dict[str, Any]
) -> None:
    facts = {"purpose": purpose, "consents": [], **facts}
    check(decide, solicit(place, **facts), "allow", set())


# --- Rule 1.6: voicemail must not reveal the matter (6.1) --------------------------------

HEARING = (
    "This is Jane Smith from Hartwell & Ruiz LLP. A reminder that your court hearing "
    "is on Monday at 9 a.m. Call 614-555-0199."
)
GENERIC = "This is Jane Smith from Hartwell & Ruiz LLP. Please call me back at 614-555-0199."


@pytest.mark.parametrize(
    ("text", "preferences", "verdict", "want"),
    [
        pytest.param(
            HEARING,
            None,
            "deny",
            {"VOICEMAIL_DISCLOSURE"},
            id="court-hearing-without-authorisation",
        ),
        pytest.param(
            HEARING,
            {"voicemail_details_ok": False},
            "deny",
            {"VOICEMAIL_DISCLOSURE"},
            id="court-hearing-client-declined-details",
        ),
        pytest.param(
            HEARING,
            {"voicemail_details_ok": True, "shared_line": False},
            "allow",
            set(),
            id="court-hearing-client-authorised-private-line",
        ),
        pytest.param(
            HEARING,
            {"voicemail_details_ok": True},
            "allow",
            set(),
            id="court-hearing-client-authorised-line-not-said-shared",
        ),
        pytest.param(
            HEARING,
            {"voicemail_details_ok": True, "shared_line": True},
            "deny",
            {"VOICEMAIL_DISCLOSURE"},
            id="court-hearing-authorised-but-shared-line",
        ),
        pytest.param(
            HEARING,
            {"shared_line": False},
            "deny",
            {"VOICEMAIL_DISCLOSURE"},
            id="private-line-alone-is-no-authorisation",
        ),
        pytest.param(
            "Hartwell & Ruiz LLP calling about your divorce papers. Call 614-555-0199.",
            None,
            "deny",
            {"VOICEMAIL_DISCLOSURE"},
            id="naming-a-divorce",
        ),
        pytest.param(GENERIC, None, "allow", set(), id="name-and-callback-number-only"),
        pytest.param(
            GENERIC, {"shared_line": True}, "allow", set(), id="generic-message-on-a-shared-line"
        ),
    ],
)
def test_a_voicemail_does_not_reveal_a_client_matter_unless_the_client_allowed_it(
    decide: Decide, text: str, preferences: dict[str, Any] | None, verdict: str, want: set[str]
) -> None:
    request = build(
        **OHIO,
        purpose="reminder",
        relationship={"type": "current_client"},
        script={"voicemail_text": text},
        preferences=preferences,
    )
    check(decide, request, verdict, want)
