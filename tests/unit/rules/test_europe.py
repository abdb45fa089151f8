"""GDPR, ePrivacy, UK PECR, Germany (UWG), France (D. 223-9, Loi 2025-594) and Canada (CRTC).

Expectations come from the rule catalogue, sections 4.1 (Canada, last paragraph), 5
(G1-G13) and 9.7, and from the decision contract, not from engine output.

Rows set ``address`` to the called country so no US rule is in play. Every call is at a
time inside the firm policy window (08:00-21:00 local, every purpose) unless the row is
about time. Local clocks (December 2026): Dublin and London = UTC, Berlin and Paris = UTC+1,
Toronto = UTC-5; September 2026: Paris = UTC+2. 2026-12-02 is a Wednesday.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from conftest import build, codes, iso, pec, pewc
from lexdial.domain.decision import Decision

Decide = Callable[[dict[str, Any]], Decision]


def check(
    decide: Decide, request: dict[str, Any], verdict: str, want: set[str], when: str | None
) -> None:
    d = decide(request)
    assert d.verdict == verdict, d.to_json()["reasons"]
    assert codes(d) == want, d.to_json()["reasons"]
    assert iso(d) == when


def country(number: str, iso2: str, zone: str, at: str, facts: dict[str, Any]) -> dict[str, Any]:
    base: dict[str, Any] = {
        "at": at,
        "number": number,
        "address": {"country": iso2, "time_zone": zone},
        "purpose": "marketing",
        "relationship": {"type": "none"},
    }
    base.update(facts)
    return build(**base)


def ie(**facts: Any) -> dict[str, Any]:
    """Ireland (EU), Wed 2 Dec 2026 11:00 in Dublin."""
    return country("+353 1 555 0100", "IE", "Europe/Dublin", "2026-12-02T11:00:00Z", facts)


def de(**facts: Any) -> dict[str, Any]:
    """Germany (EU), Wed 2 Dec 2026 12:00 in Berlin."""
    return country("+49 30 12345678", "DE", "Europe/Berlin", "2026-12-02T11:00:00Z", facts)


def gb(**facts: Any) -> dict[str, Any]:
    """United Kingdom, Wed 2 Dec 2026 11:00 in London, TPS screen 7 days old. A former
    client unless a row says otherwise: SRA Code para. 8.9 forbids a solicitor's marketing
    approach to any other member of the public, which would mask the PECR rule under test."""
    facts.setdefault("relationship", FORMER)
    return country("+44 20 7946 0018", "GB", "Europe/London", "2026-12-02T11:00:00Z", facts)


def fr(**facts: Any) -> dict[str, Any]:
    """France, Wed 2 Dec 2026 11:00 in Paris."""
    return country("+33 1 23 45 67 89", "FR", "Europe/Paris", "2026-12-02T10:00:00Z", facts)


def ca(**facts: Any) -> dict[str, Any]:
    """Canada (+1 416 Toronto), Wed 2 Dec 2026 11:00 in Toronto."""
    return country("+1 416 555 0100", "CA", "America/Toronto", "2026-12-02T16:00:00Z", facts)


CLIENT = {"type": "current_client"}
FORMER = {"type": "former_client", "last_transaction_on": "2023-01-10"}
OBJECTED = {"objected_at": "2026-10-02T12:00:00Z"}
MARKETING_CONSENT = pec(scope=["marketing"])


# --- GDPR erasure (G5): every purpose -----------------------------------------------------


@pytest.mark.parametrize(
    ("request_", "verdict", "want"),
    [
        pytest.param(
            ie(gdpr={"erased": True}), "deny", {"GDPR_ERASED"}, id="erased-person-no-marketing-call"
        ),
        pytest.param(
            ie(purpose="reminder", relationship=CLIENT, gdpr={"erased": True}),
            "deny",
            {"GDPR_ERASED"},
            id="erased-person-no-reminder-either",
        ),
        pytest.param(
            de(purpose="notification", relationship=CLIENT, gdpr={"erased": True}),
            "deny",
            {"GDPR_ERASED"},
            id="erased-person-in-germany-no-notification",
        ),
        pytest.param(
            fr(purpose="reminder", relationship=CLIENT, gdpr={"erased": True}),
            "deny",
            {"GDPR_ERASED"},
            id="erased-person-in-france-no-reminder",
        ),
        pytest.param(
            gb(purpose="reminder", relationship=CLIENT, gdpr={"erased": True}),
            "deny",
            {"GDPR_ERASED"},
            id="uk-gdpr-erased-person-no-reminder",
        ),
        pytest.param(
            ie(purpose="reminder", relationship=CLIENT, gdpr={"erased": False}),
            "allow",
            set(),
            id="not-erased-reminder-allowed",
        ),
    ],
)
def test_a_person_whose_data_was_erased_is_never_called(
    decide: Decide, request_: dict[str, Any], verdict: str, want: set[str]
) -> None:
    check(decide, request_, verdict, want, None)


# --- GDPR objection to direct marketing (G4): marketing only, from the objection on ------


@pytest.mark.parametrize(
    ("request_", "verdict", "want"),
    [
        pytest.param(
            ie(gdpr=OBJECTED), "deny", {"GDPR_OBJECTION"}, id="objection-blocks-marketing"
        ),
        pytest.param(
            ie(gdpr=OBJECTED, consents=[MARKETING_CONSENT]),
            "deny",
            {"GDPR_OBJECTION"},
            id="objection-beats-an-older-marketing-consent",
        ),
        pytest.param(
            ie(purpose="reminder", relationship=CLIENT, gdpr=OBJECTED),
            "allow",
            set(),
            id="objection-does-not-block-a-reminder",
        ),
        pytest.param(
            ie(purpose="notification", relationship=CLIENT, gdpr=OBJECTED),
            "allow",
            set(),
            id="objection-does-not-block-a-notification",
        ),
        pytest.param(
            ie(gdpr={"objected_at": "2026-12-03T09:00:00Z"}),
            "allow",
            set(),
            id="objection-made-after-the-call-does-not-count",
        ),
        pytest.param(
            ie(gdpr={"objected_at": "2026-12-02"}),
            "deny",
            {"GDPR_OBJECTION"},
            id="objection-dated-earlier-the-same-day-counts",
        ),
        pytest.param(
            gb(gdpr=OBJECTED), "deny", {"GDPR_OBJECTION"}, id="uk-objection-blocks-marketing"
        ),
        pytest.param(
            de(subscriber="business", gdpr=OBJECTED),
            "deny",
            {"GDPR_OBJECTION"},
            id="germany-objection-blocks-marketing-to-a-business-line",
        ),
    ],
)
def test_an_objection_to_direct_marketing_blocks_marketing_only(
    decide: Decide, request_: dict[str, Any], verdict: str, want: set[str]
) -> None:
    check(decide, request_, verdict, want, None)


# --- lawful basis (G1, G3) ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("request_", "verdict", "want"),
    [
        pytest.param(
            ie(purpose="reminder", relationship=CLIENT, gdpr={"lawful_basis": "none"}),
            "deny",
            {"NO_LAWFUL_BASIS"},
            id="basis-none-denies",
        ),
        pytest.param(
            ie(
                purpose="reminder",
                relationship=CLIENT,
                gdpr={"lawful_basis": {"marketing": "consent"}},
            ),
            "deny",
            {"NO_LAWFUL_BASIS"},
            id="per-purpose-map-without-this-purpose-denies",
        ),
        pytest.param(
            ie(
                purpose="reminder",
                relationship=CLIENT,
                gdpr={"lawful_basis": {"reminder": "contract", "marketing": "consent"}},
            ),
            "allow",
            set(),
            id="per-purpose-map-with-this-purpose-allows",
        ),
        pytest.param(
            ie(gdpr={"lawful_basis": "contract"}),
            "deny",
            {"NO_LAWFUL_BASIS"},
            id="contract-is-no-basis-for-marketing",
        ),
        pytest.param(
            ie(purpose="reminder", relationship=CLIENT, gdpr={"lawful_basis": "contract"}),
            "allow",
            set(),
            id="contract-is-a-basis-for-client-service-calls",
        ),
        pytest.param(
            ie(gdpr={"lawful_basis": "consent"}),
            "deny",
            {"NO_LAWFUL_BASIS"},
            id="consent-basis-without-a-consent-record-denies",
        ),
        pytest.param(
            ie(gdpr={"lawful_basis": "consent"}, consents=[pec()]),
            "deny",
            {"NO_LAWFUL_BASIS"},
            id="consent-basis-with-consent-to-other-purposes-denies",
        ),
        pytest.param(
            ie(gdpr={"lawful_basis": "consent"}, consents=[MARKETING_CONSENT]),
            "allow",
            set(),
            id="consent-basis-with-a-marketing-consent-allows",
        ),
        pytest.param(
            ie(gdpr={"lawful_basis": "legitimate_interests"}),
            "allow",
            set(),
            id="legitimate-interests-may-support-marketing",
        ),
        pytest.param(
            ie(gdpr={"erased": False}), "allow", set(), id="basis-not-stated-is-not-judged"
        ),
        pytest.param(
            gb(gdpr={"lawful_basis": "none"}),
            "deny",
            {"NO_LAWFUL_BASIS"},
            id="uk-gdpr-basis-none-denies",
        ),
    ],
)
def test_every_call_needs_a_lawful_basis_when_one_is_stated(
    decide: Decide, request_: dict[str, Any], verdict: str, want: set[str]
) -> None:
    check(decide, request_, verdict, want, None)


# --- ePrivacy Art. 13(1): automated marketing calls need consent (G8, G12) ----------------


@pytest.mark.parametrize(
    ("request_", "verdict", "want"),
    [
        pytest.param(
            ie(technology="prerecorded"),
            "deny",
            {"NO_CONSENT"},
            id="ireland-prerecorded-marketing-without-consent",
        ),
        pytest.param(
            ie(technology="artificial_voice"),
            "deny",
            {"NO_CONSENT"},
            id="ireland-artificial-voice-marketing-without-consent",
        ),
        pytest.param(
            ie(technology="interactive_voice"),
            "deny",
            {"NO_CONSENT"},
            id="ireland-ai-agent-marketing-without-consent",
        ),
        pytest.param(
            ie(technology="prerecorded", consents=[pewc()]),
            "allow",
            set(),
            id="ireland-prerecorded-marketing-with-consent",
        ),
        pytest.param(
            ie(
                technology="prerecorded",
                consents=[pec(scope=["marketing"], technologies=["manual"])],
            ),
            "deny",
            {"CONSENT_SCOPE"},
            id="consent-to-live-calls-does-not-cover-automated",
        ),
        pytest.param(
            ie(technology="prerecorded", consents=[pewc(revoked_at="2026-11-01")]),
            "deny",
            {"CONSENT_REVOKED"},
            id="revoked-consent-does-not-cover",
        ),
        pytest.param(
            ie(technology="manual"), "allow", set(), id="ireland-live-marketing-is-not-automated"
        ),
        pytest.param(
            ie(technology="prerecorded", purpose="reminder", relationship=CLIENT),
            "allow",
            set(),
            id="ireland-prerecorded-reminder-is-not-marketing",
        ),
        pytest.param(
            de(technology="prerecorded"),
            "deny",
            {"NO_CONSENT"},
            id="germany-prerecorded-marketing-to-a-consumer-without-consent",
        ),
        pytest.param(
            de(technology="prerecorded", subscriber="business"),
            "deny",
            {"NO_CONSENT"},
            id="germany-prerecorded-marketing-to-a-business-too",
        ),
        pytest.param(
            de(technology="prerecorded", consents=[pewc()]),
            "allow",
            set(),
            id="germany-prerecorded-marketing-with-consent",
        ),
    ],
)
def test_automated_marketing_calls_in_the_eu_need_prior_consent(
    decide: Decide, request_: dict[str, Any], verdict: str, want: set[str]
) -> None:
    check(decide, request_, verdict, want, None)


# --- UK PECR (G9, G10) --------------------------------------------------------------------


def tps(registered: str | None, synced: str | None = "2026-11-25") -> dict[str, Any]:
    s: dict[str, Any] = {"internal_dnc": False}
    if registered is not None:
        s["tps_registered_on"] = registered
    if synced is not None:
        s["registry_synced_on"] = synced
    return s


@pytest.mark.parametrize(
    ("request_", "verdict", "want"),
    [
        pytest.param(
            gb(suppression=tps(None)), "allow", set(), id="live-marketing-to-an-unlisted-number"
        ),
        pytest.param(
            gb(suppression=tps("2026-11-04")),
            "deny",
            {"TPS"},
            id="tps-listed-exactly-28-days-ago-denies",
        ),
        pytest.param(
            gb(suppression=tps("2026-11-05")), "allow", set(), id="tps-listed-27-days-ago-allows"
        ),
        pytest.param(
            gb(suppression=tps("2019-03-01")), "deny", {"TPS"}, id="tps-listed-years-ago-denies"
        ),
        pytest.param(
            gb(suppression=tps("2019-03-01"), consents=[MARKETING_CONSENT]),
            "allow",
            set(),
            id="tps-listed-but-told-this-firm-it-does-not-object",
        ),
        pytest.param(
            gb(suppression=tps("2019-03-01"), purpose="reminder", relationship=CLIENT),
            "allow",
            set(),
            id="tps-does-not-block-a-reminder",
        ),
        pytest.param(
            gb(suppression=tps(None, synced="2026-11-04")),
            "allow",
            set(),
            id="tps-screen-28-days-old-is-fresh",
        ),
        pytest.param(
            gb(suppression=tps(None, synced="2026-11-03")),
            "deny",
            {"REGISTRY_STALE"},
            id="tps-screen-29-days-old-is-stale",
        ),
        pytest.param(
            gb(suppression=tps(None, synced=None)),
            "deny",
            {"REGISTRY_STALE"},
            id="tps-screen-date-unknown-is-stale",
        ),
        pytest.param(
            gb(suppression=tps(None, synced="2026-10-01"), purpose="reminder", relationship=CLIENT),
            "allow",
            set(),
            id="stale-tps-screen-does-not-block-a-reminder",
        ),
    ],
)
def test_uk_live_marketing_respects_the_telephone_preference_service(
    decide: Decide, request_: dict[str, Any], verdict: str, want: set[str]
) -> None:
    check(decide, request_, verdict, want, None)


@pytest.mark.parametrize(
    ("request_", "verdict", "want"),
    [
        pytest.param(
            gb(technology="prerecorded"),
            "deny",
            {"NO_CONSENT"},
            id="reg-19-automated-marketing-without-consent",
        ),
        pytest.param(
            gb(technology="artificial_voice"),
            "deny",
            {"NO_CONSENT"},
            id="reg-19-artificial-voice-marketing-without-consent",
        ),
        pytest.param(
            gb(technology="prerecorded", consents=[pewc()]),
            "allow",
            set(),
            id="reg-19-automated-marketing-with-consent",
        ),
        pytest.param(
            gb(
                technology="prerecorded",
                consents=[pec(scope=["marketing"], technologies=["manual"])],
            ),
            "deny",
            {"CONSENT_SCOPE"},
            id="reg-19-general-marketing-consent-is-not-enough",
        ),
        pytest.param(
            gb(technology="prerecorded", consents=[pewc(seller="Other Firm LLP")]),
            "deny",
            {"SELLER_NOT_NAMED"},
            id="reg-19-consent-to-another-caller",
        ),
        pytest.param(
            gb(matter={"type": "personal_injury"}),
            "deny",
            {"NO_CONSENT"},
            id="reg-21a-live-personal-injury-call-without-consent",
        ),
        pytest.param(
            gb(matter={"type": "claims_management"}),
            "deny",
            {"NO_CONSENT"},
            id="reg-21a-live-claims-management-call-without-consent",
        ),
        pytest.param(
            gb(incident={"kind": "accident", "occurred_on": "2026-11-20"}),
            "deny",
            {"NO_CONSENT"},
            id="reg-21a-live-call-after-an-accident-without-consent",
        ),
        pytest.param(
            gb(matter={"type": "personal_injury"}, consents=[MARKETING_CONSENT]),
            "allow",
            set(),
            id="reg-21a-live-personal-injury-call-with-consent",
        ),
        pytest.param(
            gb(matter={"type": "estate"}),
            "allow",
            set(),
            id="reg-21a-does-not-reach-an-estate-planning-call",
        ),
        # PECR reg. 21B, inserted by SI 2018/1396 reg. 2(3), in force 2019-01-09: pensions
        # marketing calls to an individual only with the individual's notice of consent (the
        # existing-client route also needs refusal offers the facts cannot show)
        pytest.param(
            gb(matter={"type": "pensions"}),
            "deny",
            {"NO_CONSENT"},
            id="reg-21b-pensions-marketing-call-to-a-former-client-without-consent",
        ),
        pytest.param(
            gb(matter={"type": "pensions"}, consents=[MARKETING_CONSENT]),
            "allow",
            set(),
            id="reg-21b-pensions-marketing-call-with-consent",
        ),
        pytest.param(
            gb(matter={"type": "pensions"}, purpose="callback"),
            "allow",
            set(),
            id="reg-21b-a-call-the-person-asked-for-is-not-unsolicited",
        ),
        pytest.param(
            gb(matter={"type": "personal_injury"}, purpose="notification", relationship=CLIENT),
            "allow",
            set(),
            id="reg-21a-does-not-reach-a-client-notification",
        ),
        pytest.param(
            gb(campaign={"caller_id": "withheld"}),
            "deny",
            {"CALLER_ID_MISSING"},
            id="marketing-call-with-withheld-caller-id",
        ),
        pytest.param(
            gb(campaign={"caller_id": "+44 20 7946 0000"}),
            "allow",
            set(),
            id="marketing-call-with-caller-id",
        ),
    ],
)
def test_uk_pecr_consent_and_caller_id_rules(
    decide: Decide, request_: dict[str, Any], verdict: str, want: set[str]
) -> None:
    check(decide, request_, verdict, want, None)


# --- Germany UWG 7(2) Nr. 1 (G12): consumers only -----------------------------------------


@pytest.mark.parametrize(
    ("request_", "verdict", "want"),
    [
        pytest.param(
            de(subscriber="consumer"),
            "deny",
            {"NO_CONSENT"},
            id="live-marketing-call-to-a-consumer-without-consent",
        ),
        pytest.param(
            de(), "deny", {"NO_CONSENT"}, id="unknown-subscriber-is-treated-as-a-consumer"
        ),
        pytest.param(
            de(subscriber="consumer", consents=[MARKETING_CONSENT]),
            "allow",
            set(),
            id="live-marketing-call-to-a-consumer-with-consent",
        ),
        pytest.param(
            de(subscriber="consumer", consents=[pec()]),
            "deny",
            {"CONSENT_SCOPE"},
            id="consent-to-service-calls-does-not-cover-advertising",
        ),
        pytest.param(
            de(subscriber="business"),
            "allow",
            set(),
            id="live-marketing-call-to-a-business-needs-no-express-consent",
        ),
        pytest.param(
            de(subscriber="consumer", purpose="reminder", relationship=CLIENT),
            "allow",
            set(),
            id="a-reminder-is-not-advertising",
        ),
    ],
)
def test_german_telephone_advertising_to_consumers_needs_express_consent(
    decide: Decide, request_: dict[str, Any], verdict: str, want: set[str]
) -> None:
    check(decide, request_, verdict, want, None)


# --- France D. 223-9: days and hours (G13) ------------------------------------------------
# A current client (a contract in progress, exempt from the 2026 opt-in) with no consent on
# record: D. 223-9 applies in full, including its days and hours (no consent to calls
# outside them).


def fr_client(at: str, **facts: Any) -> dict[str, Any]:
    return fr(at=at, relationship=CLIENT, subscriber="consumer", **facts)


@pytest.mark.parametrize(
    ("at", "verdict", "want", "when"),
    [
        pytest.param("2026-12-02T10:00:00Z", "allow", set(), None, id="wed-1100-allowed"),
        pytest.param("2026-12-02T09:00:00Z", "allow", set(), None, id="wed-1000-allowed"),
        pytest.param(
            "2026-12-02T08:59:00Z",
            "defer",
            {"CALLING_HOURS"},
            "2026-12-02T09:00:00Z",
            id="wed-0959-defers-to-1000",
        ),
        pytest.param("2026-12-02T11:59:00Z", "allow", set(), None, id="wed-1259-allowed"),
        pytest.param(
            "2026-12-02T12:00:00Z",
            "defer",
            {"CALLING_HOURS"},
            "2026-12-02T13:00:00Z",
            id="wed-1300-defers-to-1400",
        ),
        pytest.param(
            "2026-12-02T12:59:00Z",
            "defer",
            {"CALLING_HOURS"},
            "2026-12-02T13:00:00Z",
            id="wed-1359-defers-to-1400",
        ),
        pytest.param("2026-12-02T13:00:00Z", "allow", set(), None, id="wed-1400-allowed"),
        pytest.param("2026-12-02T18:59:00Z", "allow", set(), None, id="wed-1959-allowed"),
        pytest.param(
            "2026-12-02T19:00:00Z",
            "defer",
            {"CALLING_HOURS"},
            "2026-12-03T09:00:00Z",
            id="wed-2000-defers-to-thu-1000",
        ),
        pytest.param(
            "2026-12-04T19:00:00Z",
            "defer",
            {"CALLING_HOURS"},
            "2026-12-07T09:00:00Z",
            id="fri-2000-defers-to-mon-1000",
        ),
        pytest.param(
            "2026-09-16T11:00:00Z",
            "defer",
            {"CALLING_HOURS"},
            "2026-09-16T12:00:00Z",
            id="summer-time-1300-cest-defers-to-1400",
        ),
        pytest.param(
            "2026-12-05T10:00:00Z",
            "defer",
            {"DAY_RESTRICTED"},
            "2026-12-07T09:00:00Z",
            id="saturday-defers-to-monday-1000",
        ),
        pytest.param(
            "2026-12-06T14:00:00Z",
            "defer",
            {"DAY_RESTRICTED"},
            "2026-12-07T09:00:00Z",
            id="sunday-defers-to-monday-1000",
        ),
        pytest.param(
            "2026-11-11T10:00:00Z",
            "defer",
            {"DAY_RESTRICTED"},
            "2026-11-12T09:00:00Z",
            id="armistice-day-11-nov-defers-to-thu-1000",
        ),
        pytest.param(
            "2026-12-25T10:00:00Z",
            "defer",
            {"DAY_RESTRICTED"},
            "2026-12-28T09:00:00Z",
            id="christmas-friday-defers-to-monday-1000",
        ),
        pytest.param(
            "2026-04-06T09:00:00Z",
            "defer",
            {"DAY_RESTRICTED"},
            "2026-04-07T08:00:00Z",
            id="easter-monday-defers-to-tuesday-1000",
        ),
        pytest.param(
            "2026-05-08T09:00:00Z",
            "defer",
            {"DAY_RESTRICTED"},
            "2026-05-11T08:00:00Z",
            id="victory-day-friday-defers-to-monday-1000",
        ),
        pytest.param(
            "2026-05-14T09:00:00Z",
            "defer",
            {"DAY_RESTRICTED"},
            "2026-05-15T08:00:00Z",
            id="ascension-thursday-defers-to-friday-1000",
        ),
        pytest.param(
            "2026-05-25T09:00:00Z",
            "defer",
            {"DAY_RESTRICTED"},
            "2026-05-26T08:00:00Z",
            id="whit-monday-defers-to-tuesday-1000",
        ),
        pytest.param(
            "2026-07-14T09:00:00Z",
            "defer",
            {"DAY_RESTRICTED"},
            "2026-07-15T08:00:00Z",
            id="bastille-day-defers-to-wednesday-1000",
        ),
        pytest.param(
            "2026-11-10T19:30:00Z",
            "defer",
            {"CALLING_HOURS"},
            "2026-11-12T09:00:00Z",
            id="tue-2030-before-a-holiday-defers-past-it",
        ),
        pytest.param(
            "2026-12-24T19:00:00Z",
            "defer",
            {"CALLING_HOURS"},
            "2026-12-28T09:00:00Z",
            id="christmas-eve-2000-defers-past-the-weekend",
        ),
    ],
)
def test_french_prospecting_calls_only_on_weekdays_1000_1300_and_1400_2000(
    decide: Decide, at: str, verdict: str, want: set[str], when: str | None
) -> None:
    check(decide, fr_client(at), verdict, want, when)


@pytest.mark.parametrize(
    ("facts", "verdict"),
    [
        pytest.param({"at": "2026-12-05T10:00:00Z"}, "allow", id="saturday-reminder"),
        pytest.param({"at": "2026-12-02T12:30:00Z"}, "allow", id="lunchtime-reminder"),
        pytest.param({"at": "2026-11-11T10:00:00Z"}, "allow", id="holiday-reminder"),
    ],
)
def test_french_days_and_hours_do_not_reach_client_service_calls(
    decide: Decide, facts: dict[str, Any], verdict: str
) -> None:
    check(decide, fr_client(purpose="reminder", **facts), verdict, set(), None)


@pytest.mark.parametrize(
    ("facts", "verdict"),
    [
        pytest.param({"at": "2026-12-05T10:00:00Z"}, "allow", id="saturday-call-to-a-business"),
        pytest.param({"at": "2026-12-02T12:30:00Z"}, "allow", id="lunchtime-call-to-a-business"),
        pytest.param({"at": "2026-11-11T10:00:00Z"}, "allow", id="holiday-call-to-a-business"),
        pytest.param(
            {
                "history": [
                    {
                        "at": f"2026-11-{d:02d}T15:00:00Z",
                        "purpose": "marketing",
                        "outcome": "no_answer",
                    }
                    for d in (6, 13, 20, 27)
                ]
            },
            "allow",
            id="fifth-call-in-30-days-to-a-business",
        ),
    ],
)
def test_french_days_hours_and_frequency_protect_consumers_not_businesses(
    decide: Decide, facts: dict[str, Any], verdict: str
) -> None:
    check(decide, fr(subscriber="business", **facts), verdict, set(), None)


# --- France D. 223-9: 4 calls or attempts per 30 days, 60 days after a refusal -----------


def fr_call(at: str, outcome: str = "no_answer", purpose: str = "marketing") -> dict[str, Any]:
    return {"at": at, "purpose": purpose, "outcome": outcome}


# Fridays 6, 13, 20 and 27 Nov at 16:00 Paris. The 6 Nov call leaves any 30-day period on
# Sunday 6 Dec (to the minute or to the day), so the next call is Monday 7 Dec at 10:00.
FOUR = [fr_call(f"2026-11-{d:02d}T15:00:00Z") for d in (6, 13, 20, 27)]

NOW = "2026-12-02T10:00:00Z"  # Wed 11:00 Paris


@pytest.mark.parametrize(
    ("at", "history", "verdict", "want", "when"),
    [
        pytest.param(
            NOW,
            FOUR,
            "defer",
            {"FREQUENCY_CAP"},
            "2026-12-07T09:00:00Z",
            id="fifth-call-in-30-days-defers-until-the-oldest-drops-out",
        ),
        pytest.param(NOW, FOUR[1:], "allow", set(), None, id="fourth-call-in-30-days-allowed"),
        pytest.param(
            NOW,
            [
                fr_call(c["at"], outcome)
                for c, outcome in zip(
                    FOUR, ["busy", "failed", "no_answer", "voicemail"], strict=True
                )
            ],
            "defer",
            {"FREQUENCY_CAP"},
            "2026-12-07T09:00:00Z",
            id="unanswered-attempts-count",
        ),
        pytest.param(
            NOW,
            [*FOUR[1:], fr_call("2026-11-06T15:00:00Z", purpose="reminder")],
            "allow",
            set(),
            None,
            id="a-service-call-is-not-prospecting",
        ),
        pytest.param(
            NOW,
            [fr_call("2026-10-30T15:00:00Z"), *FOUR[1:]],
            "allow",
            set(),
            None,
            id="a-call-more-than-30-days-ago-does-not-count",
        ),
        pytest.param(
            # Refused on Mon 2 Nov: 60 days end on 1 Jan 2027 (a holiday), then the weekend.
            NOW,
            [fr_call("2026-11-02T10:00:00Z", "refused")],
            "defer",
            {"FREQUENCY_CAP"},
            "2027-01-04T09:00:00Z",
            id="refusal-30-days-ago-defers-60-days-then-past-holiday-and-weekend",
        ),
        pytest.param(
            NOW,
            [fr_call("2026-09-30T10:00:00Z", "refused")],
            "allow",
            set(),
            None,
            id="refusal-63-days-ago-allows",
        ),
        pytest.param(
            # Tue 3 Nov 15:30 Paris, then 10, 17 and 24 Nov; the call is Thu 3 Dec 10:00
            # Paris. 3 Nov .. 3 Dec spans 31 calendar days, so no period of 30 calendar days
            # holds both the 3 Nov call and this one: 4 Nov .. 3 Dec holds only 3 calls.
            "2026-12-03T09:00:00Z",
            [fr_call(f"2026-11-{d:02d}T14:30:00Z") for d in (3, 10, 17, 24)],
            "allow",
            set(),
            None,
            id="the-30-day-period-is-counted-in-calendar-days",
        ),
    ],
)
def test_french_prospecting_frequency_limits(
    decide: Decide,
    at: str,
    history: list[dict[str, Any]],
    verdict: str,
    want: set[str],
    when: str | None,
) -> None:
    check(decide, fr_client(at, history=history), verdict, want, when)


# --- France Loi 2025-594 art. 13: opt-in from 2026-08-11 ---------------------------------


@pytest.mark.parametrize(
    ("facts", "verdict", "want"),
    [
        pytest.param({}, "deny", {"NO_CONSENT"}, id="after-opt-in-no-consent-denies"),
        pytest.param(
            {"at": "2026-08-11T09:00:00Z"},
            "deny",
            {"NO_CONSENT"},
            id="on-the-first-day-of-opt-in-no-consent-denies",
        ),
        pytest.param(
            {"at": "2026-08-10T09:00:00Z"},
            "allow",
            set(),
            id="the-day-before-opt-in-no-consent-allowed",
        ),
        pytest.param(
            {"consents": [MARKETING_CONSENT]},
            "allow",
            set(),
            id="prior-consent-to-prospecting-allows",
        ),
        pytest.param(
            {"consents": [pec()]},
            "deny",
            {"CONSENT_SCOPE"},
            id="consent-to-service-calls-is-not-consent-to-prospecting",
        ),
        pytest.param(
            {"consents": [pec(scope=["marketing"], revoked_at="2026-11-30")]},
            "deny",
            {"CONSENT_REVOKED"},
            id="revoked-consent-denies",
        ),
        pytest.param(
            {"relationship": CLIENT},
            "allow",
            set(),
            id="current-client-contract-in-progress-exempt",
        ),
        pytest.param(
            {"relationship": {"type": "former_client", "last_transaction_on": "2026-06-01"}},
            "deny",
            {"NO_CONSENT"},
            id="former-client-has-no-contract-in-progress",
        ),
        pytest.param({"subscriber": "business"}, "allow", set(), id="a-business-is-not-a-consumer"),
        pytest.param({"purpose": "reminder"}, "allow", set(), id="not-prospecting"),
    ],
)
def test_french_prospecting_needs_prior_consent_from_11_august_2026(
    decide: Decide, facts: dict[str, Any], verdict: str, want: set[str]
) -> None:
    check(decide, fr(**facts), verdict, want, None)


# --- Canada: CRTC Telemarketing Rules hours (section 4.1, [S]) ---------------------------


@pytest.mark.parametrize(
    ("facts", "verdict", "want", "when"),
    [
        pytest.param(
            {"at": "2026-12-02T13:59:00Z"},
            "defer",
            {"CALLING_HOURS"},
            "2026-12-02T14:00:00Z",
            id="weekday-0859-defers-to-0900",
        ),
        pytest.param(
            {"at": "2026-12-02T14:00:00Z"}, "allow", set(), None, id="weekday-0900-allowed"
        ),
        pytest.param(
            {"at": "2026-12-03T01:59:00Z"}, "allow", set(), None, id="weekday-2059-allowed"
        ),
        pytest.param(
            {"at": "2026-12-05T14:30:00Z"},
            "defer",
            {"CALLING_HOURS"},
            "2026-12-05T15:00:00Z",
            id="saturday-0930-defers-to-1000",
        ),
        pytest.param(
            {"at": "2026-12-05T15:00:00Z"}, "allow", set(), None, id="saturday-1000-allowed"
        ),
        pytest.param(
            {"at": "2026-12-05T22:59:00Z"}, "allow", set(), None, id="saturday-1759-allowed"
        ),
        pytest.param(
            {"at": "2026-12-05T23:00:00Z"},
            "defer",
            {"CALLING_HOURS"},
            "2026-12-06T15:00:00Z",
            id="saturday-1800-defers-to-sunday-1000",
        ),
        pytest.param(
            {"at": "2026-12-06T23:00:00Z"},
            "defer",
            {"CALLING_HOURS"},
            "2026-12-07T14:00:00Z",
            id="sunday-1800-defers-to-monday-0900",
        ),
        pytest.param(
            {"at": "2026-12-05T14:30:00Z", "purpose": "reminder", "relationship": CLIENT},
            "allow",
            set(),
            None,
            id="crtc-hours-do-not-reach-a-reminder",
        ),
        pytest.param(
            {"technology": "prerecorded"},
            "deny",
            {"NO_CONSENT"},
            None,
            id="adad-solicitation-without-express-consent",
        ),
    ],
)
def test_canadian_telemarketing_hours(
    decide: Decide, facts: dict[str, Any], verdict: str, want: set[str], when: str | None
) -> None:
    check(decide, ca(**facts), verdict, want, when)


# --- a person who asked this firm not to call (PECR reg. 21(1)(a); catalogue 8 step 2) ----

NO_CALLS = {"internal_dnc": True, "national_dnc": False, "registry_synced_on": "2026-11-25"}


@pytest.mark.parametrize(
    ("request_", "verdict", "want"),
    [
        pytest.param(
            gb(suppression=NO_CALLS),
            "deny",
            {"INTERNAL_DNC"},
            id="uk-subscriber-told-the-firm-not-to-call",
        ),
        pytest.param(
            ie(suppression=NO_CALLS),
            "deny",
            {"INTERNAL_DNC"},
            id="ireland-person-told-the-firm-not-to-call",
        ),
        pytest.param(
            de(subscriber="business", suppression=NO_CALLS),
            "deny",
            {"INTERNAL_DNC"},
            id="germany-business-told-the-firm-not-to-call",
        ),
        pytest.param(
            fr(relationship=CLIENT, suppression=NO_CALLS),
            "deny",
            {"INTERNAL_DNC"},
            id="france-client-told-the-firm-not-to-call",
        ),
        pytest.param(
            ca(suppression=NO_CALLS),
            "deny",
            {"INTERNAL_DNC"},
            id="canada-person-told-the-firm-not-to-call",
        ),
    ],
)
def test_a_marketing_call_to_someone_who_asked_this_firm_not_to_call_is_denied_everywhere(
    decide: Decide, request_: dict[str, Any], verdict: str, want: set[str]
) -> None:
    check(decide, request_, verdict, want, None)


@pytest.mark.parametrize(
    ("request_", "verdict", "want"),
    [
        pytest.param(
            ca(suppression={"national_dnc": True, "registry_synced_on": "2026-11-25"}),
            "deny",
            {"NATIONAL_DNC"},
            id="canada-number-on-the-national-dncl",
        ),
        pytest.param(
            ca(
                suppression={"national_dnc": True, "registry_synced_on": "2026-11-25"},
                purpose="reminder",
                relationship=CLIENT,
            ),
            "allow",
            set(),
            id="canada-dncl-does-not-reach-a-reminder",
        ),
    ],
)
def test_canadian_telemarketing_respects_the_national_dncl(
    decide: Decide, request_: dict[str, Any], verdict: str, want: set[str]
) -> None:
    check(decide, request_, verdict, want, None)


# --- SRA Code of Conduct for Solicitors para. 8.9 (in force 2019-11-25) --------------------

SRA_ROWS = [
    pytest.param({"relationship": {"type": "none"}}, "deny", {"BAR_SOLICITATION"},
                 id="sra-8-9-a-marketing-call-to-a-member-of-the-public-is-denied"),
    pytest.param({"relationship": {"type": "prospect"}}, "deny", {"BAR_SOLICITATION"},
                 id="sra-8-9-a-prospect-is-a-member-of-the-public"),
    pytest.param({"relationship": CLIENT}, "allow", set(),
                 id="sra-8-9-a-current-client-may-be-approached"),
    pytest.param({"relationship": FORMER}, "allow", set(),
                 id="sra-8-9-a-former-client-may-be-approached-however-long-ago"),
    pytest.param({"relationship": {"type": "none"}, "subscriber": "business"}, "allow", set(),
                 id="sra-8-9-a-business-is-not-a-member-of-the-public"),
    pytest.param({"relationship": {"type": "none"}, "purpose": "callback"}, "allow", set(),
                 id="sra-8-9-a-callback-the-person-asked-for-is-not-unsolicited"),
]  # fmt: skip


@pytest.mark.parametrize(("facts", "verdict", "want"), SRA_ROWS)
def test_solicitors_make_no_unsolicited_marketing_approach_to_the_public(
    decide: Decide, facts: dict[str, Any], verdict: str, want: set[str]
) -> None:
    check(decide, gb(**facts), verdict, want, None)
