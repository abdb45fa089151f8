"""US federal consent rules: TCPA 47 U.S.C. 227 / 47 CFR 64.1200 and the FTC TSR (16 CFR 310).

Every expected value below comes from the rule catalogue (sections 1, 2 and 8) and the
decision contract v1, not from the engine's output:

- T1/T6/T7: an automated call (autodialed, prerecorded, artificial or AI voice) to a
  wireless number needs prior express consent (PEC); a manual call needs none.
- T2: a telemarketing robocall to a wireless number needs prior express written consent
  (PEWC) naming the seller.
- T3: an artificial/prerecorded telemarketing call to a residential landline needs PEWC;
  an autodialed call with a live agent to a landline needs no TCPA consent.
- T4: an exempt (non-marketing) prerecorded call to a residential landline needs no
  consent, but no more than 3 in any 30 days; more need PEC.
- T8: consent covers the purpose (and technologies) it was given for.
- T9: multi-seller consent is valid when it names this firm.
- R1/R5: revocation by any reasonable method; "revoke-all" is waived to 2027-01-31.
- N1: RND "yes" = do not call; "no data" = no safe harbor (denied, section 8 step 4);
  absent = safe harbor not claimed, the call is not denied (contract).
- F3/F8: TSR prerecorded telemarketing needs an express written agreement naming the
  seller; business-to-business calls are outside the TSR.
- Contract: unknown / VoIP / absent line type is judged as wireless; deny lists every
  failing rule.

The base call (tests/conftest.py) is Wednesday 2026-12-02 11:00 in Columbus, Ohio, a
current client, every registry clear, inside every calling window.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from conftest import FIRM, build, codes, iso, pec, pewc
from lexdial.domain.decision import Decision

Decide = Callable[[dict[str, Any]], Decision]

AT = "2026-12-02T16:00:00Z"  # Wed 11:00 America/New_York
MKT = ["marketing"]


def call(line: str | None, purpose: str, technology: str, **facts: Any) -> dict[str, Any]:
    """The base request with the call's classification; line None = line type not given."""
    return build(line_type=line, purpose=purpose, technology=technology, **facts)


def hist(
    at: str, technology: str | None = "prerecorded", purpose: str = "reminder"
) -> dict[str, Any]:
    entry: dict[str, Any] = {"at": at, "purpose": purpose, "outcome": "voicemail"}
    if technology is not None:
        entry["technology"] = technology
    return entry


def check(d: Decision, verdict: str, want: set[str], when: str | None = None) -> None:
    assert (d.verdict, codes(d), iso(d)) == (verdict, want, when), d.to_json()["reasons"]


# --- 1. technology x line type x purpose ---------------------------------------------------

CONSENT_MATRIX = [
    # wireless, non-marketing: PEC for any automated technology (T1, T6)
    pytest.param("wireless", "reminder", "manual", [], "allow", set(),
                 id="a-manual-reminder-to-a-mobile-needs-no-consent"),
    pytest.param("wireless", "reminder", "autodialed", [], "deny", {"NO_CONSENT"},
                 id="an-autodialed-reminder-to-a-mobile-without-consent-denied"),
    pytest.param("wireless", "reminder", "autodialed", [pec()], "allow", set(),
                 id="an-autodialed-reminder-to-a-mobile-with-pec-allowed"),
    pytest.param("wireless", "notification", "prerecorded", [], "deny", {"NO_CONSENT"},
                 id="a-prerecorded-notice-to-a-mobile-without-consent-denied"),
    pytest.param("wireless", "notification", "prerecorded", [pec()], "allow", set(),
                 id="a-prerecorded-notice-to-a-mobile-with-pec-allowed"),
    pytest.param("wireless", "informational", "artificial_voice", [], "deny", {"NO_CONSENT"},
                 id="an-artificial-voice-update-to-a-mobile-without-consent-denied"),
    pytest.param("wireless", "informational", "artificial_voice", [pec()], "allow", set(),
                 id="an-artificial-voice-update-to-a-mobile-with-consent-allowed"),
    pytest.param("wireless", "reminder", "interactive_voice", [], "deny", {"NO_CONSENT"},
                 id="an-ai-agent-calling-a-mobile-is-an-artificial-voice-and-needs-consent"),
    pytest.param("wireless", "reminder", "interactive_voice", [pec()], "allow", set(),
                 id="an-ai-agent-calling-a-mobile-with-pec-allowed"),
    pytest.param("wireless", "debt_collection", "autodialed", [], "deny", {"NO_CONSENT"},
                 id="an-autodialed-collection-call-to-a-mobile-without-consent-denied"),
    pytest.param("wireless", "reminder", "autodialed",
                 [pewc(scope=["reminder"])], "allow", set(),
                 id="pewc-also-satisfies-the-pec-a-reminder-needs"),
    # wireless, marketing: PEWC for any automated technology (T2)
    pytest.param("wireless", "marketing", "manual", [], "allow", set(),
                 id="a-hand-dialled-sales-call-to-a-clients-mobile-needs-no-consent"),
    pytest.param("wireless", "marketing", "autodialed", [], "deny", {"NO_CONSENT"},
                 id="an-autodialed-sales-call-to-a-mobile-without-consent-denied"),
    pytest.param("wireless", "marketing", "autodialed", [pec(MKT)], "deny",
                 {"WRITTEN_CONSENT_REQUIRED"},
                 id="oral-consent-to-marketing-is-not-enough-for-an-autodialed-sales-call"),
    pytest.param("wireless", "marketing", "autodialed", [pewc()], "allow", set(),
                 id="an-autodialed-sales-call-to-a-mobile-with-pewc-allowed"),
    pytest.param("wireless", "marketing", "prerecorded", [pec(MKT)], "deny",
                 {"WRITTEN_CONSENT_REQUIRED"},
                 id="oral-consent-to-marketing-is-not-enough-for-a-prerecorded-sales-call"),
    pytest.param("wireless", "marketing", "prerecorded", [pewc()], "allow", set(),
                 id="a-prerecorded-sales-call-to-a-mobile-with-pewc-allowed"),
    pytest.param("wireless", "marketing", "artificial_voice", [], "deny", {"NO_CONSENT"},
                 id="an-artificial-voice-sales-call-to-a-mobile-without-consent-denied"),
    pytest.param("wireless", "marketing", "interactive_voice", [pec(MKT)], "deny",
                 {"WRITTEN_CONSENT_REQUIRED"},
                 id="an-ai-sales-agent-calling-a-mobile-needs-pewc"),
    pytest.param("wireless", "marketing", "interactive_voice", [pewc()], "allow", set(),
                 id="an-ai-sales-agent-calling-a-mobile-with-pewc-allowed"),
    # residential landline (T3, T4)
    pytest.param("landline", "reminder", "autodialed", [], "allow", set(),
                 id="an-autodialed-reminder-to-a-home-line-needs-no-consent"),
    pytest.param("landline", "reminder", "prerecorded", [], "allow", set(),
                 id="a-first-prerecorded-reminder-to-a-home-line-is-exempt"),
    pytest.param("landline", "notification", "artificial_voice", [], "allow", set(),
                 id="a-first-artificial-voice-notice-to-a-home-line-is-exempt"),
    pytest.param("landline", "marketing", "manual", [], "allow", set(),
                 id="a-hand-dialled-sales-call-to-a-clients-home-line-needs-no-consent"),
    pytest.param("landline", "marketing", "autodialed", [], "allow", set(),
                 id="an-autodialed-sales-call-to-a-home-line-needs-no-consent"),
    pytest.param("landline", "marketing", "prerecorded", [], "deny", {"NO_CONSENT"},
                 id="a-prerecorded-sales-call-to-a-home-line-without-consent-denied"),
    pytest.param("landline", "marketing", "prerecorded", [pec(MKT)], "deny",
                 {"WRITTEN_CONSENT_REQUIRED"},
                 id="oral-consent-is-not-enough-for-a-prerecorded-sales-call-to-a-home-line"),
    pytest.param("landline", "marketing", "prerecorded", [pewc()], "allow", set(),
                 id="a-prerecorded-sales-call-to-a-home-line-with-pewc-allowed"),
    pytest.param("landline", "marketing", "artificial_voice", [pec(MKT)], "deny",
                 {"WRITTEN_CONSENT_REQUIRED"},
                 id="an-artificial-voice-sales-call-to-a-home-line-needs-pewc"),
    pytest.param("landline", "marketing", "interactive_voice", [], "deny", {"NO_CONSENT"},
                 id="an-ai-sales-agent-calling-a-home-line-without-consent-denied"),
    pytest.param("landline", "marketing", "interactive_voice", [pewc()], "allow", set(),
                 id="an-ai-sales-agent-calling-a-home-line-with-pewc-allowed"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("line", "purpose", "technology", "consents", "verdict", "want"), CONSENT_MATRIX
)
def test_the_consent_a_call_needs_follows_its_technology_line_type_and_purpose(
    decide: Decide,
    line: str,
    purpose: str,
    technology: str,
    consents: list[dict[str, Any]],
    verdict: str,
    want: set[str],
) -> None:
    d = decide(call(line, purpose, technology, consents=consents))
    check(d, verdict, want)


# --- 2. unknown / VoIP / absent line type = wireless; business subscribers -------------------

LINE_TYPES = [
    pytest.param("wireless", "reminder", "autodialed", [], None, "deny", {"NO_CONSENT"},
                 id="a-known-mobile-needs-consent-for-an-autodialed-reminder"),
    pytest.param("voip", "reminder", "autodialed", [], None, "deny", {"NO_CONSENT"},
                 id="a-voip-line-is-judged-as-a-mobile"),
    pytest.param("unknown", "reminder", "autodialed", [], None, "deny", {"NO_CONSENT"},
                 id="an-unknown-line-type-is-judged-as-a-mobile"),
    pytest.param(None, "reminder", "autodialed", [], None, "deny", {"NO_CONSENT"},
                 id="a-missing-line-type-is-judged-as-a-mobile"),
    pytest.param("landline", "reminder", "autodialed", [], None, "allow", set(),
                 id="a-known-landline-takes-an-autodialed-live-reminder-without-consent"),
    pytest.param("voip", "reminder", "prerecorded", [], None, "deny", {"NO_CONSENT"},
                 id="a-voip-line-gets-no-landline-exemption-for-a-prerecorded-reminder"),
    pytest.param("unknown", "marketing", "prerecorded", [pec(MKT)], None, "deny",
                 {"WRITTEN_CONSENT_REQUIRED"},
                 id="an-unknown-line-needs-pewc-for-a-prerecorded-sales-call"),
    pytest.param("voip", "marketing", "autodialed", [], None, "deny", {"NO_CONSENT"},
                 id="a-voip-line-needs-pewc-for-an-autodialed-sales-call"),
    # business subscribers: the residential-line rules and the TSR do not reach them (T3, F8)
    pytest.param("landline", "marketing", "prerecorded", [], "business", "allow", set(),
                 id="a-prerecorded-sales-call-to-a-business-landline-needs-no-consent"),
    pytest.param("wireless", "marketing", "autodialed", [], "business", "deny", {"NO_CONSENT"},
                 id="a-business-mobile-still-needs-pewc-for-an-autodialed-sales-call"),
    pytest.param("wireless", "reminder", "prerecorded", [], "business", "deny", {"NO_CONSENT"},
                 id="a-business-mobile-still-needs-consent-for-a-prerecorded-reminder"),
    pytest.param("landline", "marketing", "prerecorded", [], "consumer", "deny", {"NO_CONSENT"},
                 id="a-consumer-landline-needs-pewc-for-a-prerecorded-sales-call"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("line", "purpose", "technology", "consents", "subscriber", "verdict", "want"), LINE_TYPES
)
def test_an_unknown_or_voip_line_is_a_mobile_and_business_lines_escape_residential_rules(
    decide: Decide,
    line: str | None,
    purpose: str,
    technology: str,
    consents: list[dict[str, Any]],
    subscriber: str | None,
    verdict: str,
    want: set[str],
) -> None:
    d = decide(call(line, purpose, technology, consents=consents, subscriber=subscriber))
    check(d, verdict, want)


# --- 3. the 3-in-30-days cap on exempt prerecorded calls to a home line (T4) ----------------

THREE = [hist("2026-11-10T15:00:30Z"), hist("2026-11-20T15:00:00Z"), hist("2026-12-01T15:00:00Z")]

EXEMPT_CAP = [
    pytest.param([], [], None, "allow", set(), None,
                 id="no-earlier-exempt-call-leaves-the-cap-untouched"),
    pytest.param(THREE[1:], [], None, "allow", set(), None,
                 id="a-third-exempt-call-within-30-days-allowed"),
    pytest.param(THREE, [], None, "defer", {"FREQUENCY_CAP"}, "2026-12-10T15:01:00Z",
                 id="a-fourth-exempt-call-waits-until-the-oldest-is-30-days-old"),
    pytest.param([hist("2026-11-01T15:00:00Z"), *THREE[1:]], [], None, "allow", set(), None,
                 id="a-call-31-days-ago-no-longer-counts-toward-the-cap"),
    pytest.param(THREE, [pec(["reminder"])], None, "allow", set(), None,
                 id="pec-lifts-the-exempt-call-cap"),
    pytest.param(THREE, [pec(["notification"])], None, "defer", {"FREQUENCY_CAP"},
                 "2026-12-10T15:01:00Z",
                 id="consent-to-another-purpose-does-not-lift-the-cap"),
    # a revoked consent lifts nothing, and since 2025-04-11 a revocation must be honoured for
    # exempt robocalls of the purpose it covered (64.1200(a)(10), the part not waived): deny
    pytest.param(THREE, [pec(["reminder"], revoked_at="2026-11-30T00:00:00Z")], None, "deny",
                 {"FREQUENCY_CAP", "CONSENT_REVOKED"}, None,
                 id="revoked-consent-does-not-lift-the-cap"),
    pytest.param([hist(h["at"], "manual") for h in THREE], [], None, "allow", set(), None,
                 id="manual-calls-do-not-count-toward-the-prerecorded-cap"),
    pytest.param([hist(h["at"], None) for h in THREE], [], None, "defer", {"FREQUENCY_CAP"},
                 "2026-12-10T15:01:00Z",
                 id="calls-of-unrecorded-technology-count-toward-the-cap"),
    pytest.param([hist(THREE[0]["at"], "artificial_voice"),
                  hist(THREE[1]["at"], "interactive_voice"), THREE[2]],
                 [], None, "defer", {"FREQUENCY_CAP"}, "2026-12-10T15:01:00Z",
                 id="artificial-and-ai-voice-calls-count-toward-the-cap"),
    pytest.param([hist("2026-11-03T02:00:30Z"), *THREE[1:]], [], None, "defer", {"FREQUENCY_CAP"},
                 "2026-12-03T13:00:00Z",
                 id="a-cap-that-clears-at-night-defers-to-the-next-morning-at-8"),
    pytest.param(THREE, [], "business", "allow", set(), None,
                 id="the-cap-protects-residential-subscribers-only"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("history", "consents", "subscriber", "verdict", "want", "when"), EXEMPT_CAP
)
def test_a_prerecorded_non_marketing_call_to_a_home_line_is_exempt_for_3_calls_in_30_days(
    decide: Decide,
    history: list[dict[str, Any]],
    consents: list[dict[str, Any]],
    subscriber: str | None,
    verdict: str,
    want: set[str],
    when: str | None,
) -> None:
    req = call("landline", "reminder", "prerecorded", history=history, consents=consents,
               subscriber=subscriber)  # fmt: skip
    check(decide(req), verdict, want, when)


# --- 4. TSR prerecorded agreement (F3) --------------------------------------------------------

TSR = [
    pytest.param("landline", "prerecorded", [], "deny", {"NO_CONSENT"},
                 {"us.tcpa.residential-pewc", "us.tsr.prerecorded-agreement"},
                 id="a-prerecorded-sales-call-to-a-home-line-fails-both-tcpa-and-tsr"),
    pytest.param("wireless", "prerecorded", [pec(MKT)], "deny", {"WRITTEN_CONSENT_REQUIRED"},
                 {"us.tcpa.wireless-pewc", "us.tsr.prerecorded-agreement"},
                 id="the-tsr-written-agreement-applies-to-mobiles-too"),
    pytest.param("landline", "artificial_voice", [pec(MKT)], "deny",
                 {"WRITTEN_CONSENT_REQUIRED"},
                 {"us.tcpa.residential-pewc", "us.tsr.prerecorded-agreement"},
                 id="an-artificial-voice-sales-message-is-a-prerecorded-message-under-the-tsr"),
    pytest.param("wireless", "autodialed", [], "deny", {"NO_CONSENT"},
                 {"us.tcpa.wireless-pewc"},
                 id="a-live-agent-autodialed-sales-call-is-not-a-tsr-prerecorded-message"),
]  # fmt: skip


@pytest.mark.parametrize(("line", "technology", "consents", "verdict", "want", "rules"), TSR)
def test_prerecorded_telemarketing_needs_the_tsr_written_agreement_naming_the_seller(
    decide: Decide,
    line: str,
    technology: str,
    consents: list[dict[str, Any]],
    verdict: str,
    want: set[str],
    rules: set[str],
) -> None:
    d = decide(call(line, "marketing", technology, consents=consents))
    check(d, verdict, want)
    cited = {rid for r in d.reasons for rid in (r.rules or (r.rule,))}
    assert cited == rules


# --- 5. consent scope and technologies (T8) ---------------------------------------------------

SCOPE = [
    pytest.param("marketing", "prerecorded", [pec()], "deny",
                 {"CONSENT_SCOPE", "WRITTEN_CONSENT_REQUIRED"},
                 id="reminder-consent-used-for-a-prerecorded-sales-call-fails-scope-and-form"),
    pytest.param("reminder", "autodialed", [pewc()], "deny", {"CONSENT_SCOPE"},
                 id="marketing-consent-does-not-cover-an-autodialed-reminder"),
    pytest.param("notification", "autodialed", [pec(["reminder"])], "deny", {"CONSENT_SCOPE"},
                 id="reminder-consent-does-not-cover-a-notification"),
    pytest.param("debt_collection", "prerecorded", [pec(["reminder", "notification"])], "deny",
                 {"CONSENT_SCOPE"},
                 id="reminder-consent-does-not-cover-a-collection-call"),
    pytest.param("reminder", "autodialed", [pec(["notification"]), pec(["reminder"], id="c-2")],
                 "allow", set(),
                 id="one-of-several-consents-covering-the-purpose-is-enough"),
    pytest.param("marketing", "prerecorded", [pewc(technologies=["manual", "autodialed"])],
                 "deny", {"CONSENT_SCOPE"},
                 id="pewc-to-live-calls-does-not-cover-a-prerecorded-sales-call"),
    pytest.param("marketing", "autodialed", [pewc(technologies=["autodialed"])], "allow",
                 set(), id="pewc-naming-the-technology-covers-it"),
    pytest.param("marketing", "artificial_voice", [pewc()], "allow", set(),
                 id="pewc-without-a-technology-list-covers-every-technology"),
    pytest.param("reminder", "prerecorded", [pec(["reminder"], technologies=["autodialed"])],
                 "deny", {"CONSENT_SCOPE"},
                 id="consent-to-autodialed-calls-does-not-cover-a-prerecorded-reminder"),
]  # fmt: skip


@pytest.mark.parametrize(("purpose", "technology", "consents", "verdict", "want"), SCOPE)
def test_consent_covers_only_the_purposes_and_technologies_it_names(
    decide: Decide,
    purpose: str,
    technology: str,
    consents: list[dict[str, Any]],
    verdict: str,
    want: set[str],
) -> None:
    check(decide(call("wireless", purpose, technology, consents=consents)), verdict, want)


# --- 6. the seller named in the consent (T2, T9) ----------------------------------------------

SELLER = [
    pytest.param("marketing", [pewc(seller=FIRM)], "allow", set(),
                 id="pewc-naming-the-firm-exactly"),
    pytest.param("marketing", [pewc(seller="Hartwell and Ruiz, LLP")], "allow", set(),
                 id="and-for-ampersand-and-a-comma-are-the-same-firm-name"),
    pytest.param("marketing", [pewc(seller="HARTWELL & RUIZ LLP")], "allow", set(),
                 id="the-firm-name-compares-without-case"),
    pytest.param("marketing", [pewc(seller="  Hartwell &  Ruiz   LLP ")], "allow", set(),
                 id="the-firm-name-compares-without-extra-spaces"),
    pytest.param("marketing", [pewc(seller="Hartwell & Ruiz L.L.P.")], "allow", set(),
                 id="the-firm-name-compares-without-punctuation-in-llp"),
    pytest.param("marketing", [pewc(seller="Other Firm LLP")], "deny", {"SELLER_NOT_NAMED"},
                 id="pewc-naming-another-firm-does-not-cover-this-firm"),
    pytest.param("marketing", [pewc(seller=None)], "deny", {"SELLER_NOT_NAMED"},
                 id="pewc-naming-no-seller-does-not-authorize-this-firm"),
    pytest.param("marketing", [pewc(seller=["Other Firm LLP", "Hartwell and Ruiz, LLP"])],
                 "allow", set(), id="a-multi-seller-consent-that-names-the-firm-is-valid"),
    pytest.param("marketing", [pewc(seller=["Other Firm LLP", "Our Marketing Partners"])],
                 "deny", {"SELLER_NOT_NAMED"},
                 id="a-multi-seller-consent-naming-only-partners-does-not-cover-the-firm"),
    pytest.param("marketing", [pewc(seller=[])], "deny", {"SELLER_NOT_NAMED"},
                 id="an-empty-seller-list-names-nobody"),
    pytest.param("reminder", [pec(seller="Other Firm LLP")], "deny", {"SELLER_NOT_NAMED"},
                 id="pec-given-to-another-firm-does-not-cover-this-firm"),
    pytest.param("reminder", [pec(seller=None)], "allow", set(),
                 id="a-clients-own-pec-on-file-need-not-name-a-seller"),
    pytest.param("reminder", [pec(seller=["Other Firm LLP", "Hartwell & Ruiz LLP"])], "allow",
                 set(), id="pec-listing-the-firm-among-sellers-covers-it"),
]  # fmt: skip


@pytest.mark.parametrize(("purpose", "consents", "verdict", "want"), SELLER)
def test_consent_must_name_this_firm_as_the_seller(
    decide: Decide,
    purpose: str,
    consents: list[dict[str, Any]],
    verdict: str,
    want: set[str],
) -> None:
    check(decide(call("wireless", purpose, "autodialed", consents=consents)), verdict, want)


# --- 7. revocation and consent given after the call (R1, R5) ----------------------------------

REVOCATION = [
    pytest.param("reminder", [pec(revoked_at="2026-11-15T10:00:00Z")], "deny",
                 {"CONSENT_REVOKED"}, id="consent-revoked-before-the-call-is-gone"),
    pytest.param("reminder", [pec(revoked_at="2026-12-02T15:59:00Z")], "deny",
                 {"CONSENT_REVOKED"}, id="consent-revoked-a-minute-before-the-call-is-gone"),
    pytest.param("reminder", [pec(revoked_at=AT)], "deny", {"CONSENT_REVOKED"},
                 id="consent-revoked-at-the-instant-of-the-call-is-gone"),
    pytest.param("reminder", [pec(revoked_at="2026-12-02T16:01:00Z")], "allow", set(),
                 id="a-revocation-recorded-after-the-call-does-not-affect-it"),
    pytest.param("reminder", [pec(revoked_at="2026-12-02")], "deny", {"CONSENT_REVOKED"},
                 id="a-revocation-dated-the-day-of-the-call-counts-from-midnight-utc"),
    pytest.param("reminder", [pec(revoked_at="2026-12-03")], "allow", set(),
                 id="a-revocation-dated-the-next-day-is-after-the-call"),
    pytest.param("marketing", [pewc(revoked_at="2026-11-30T12:00:00Z")], "deny",
                 {"CONSENT_REVOKED"}, id="revoked-pewc-no-longer-covers-sales-calls"),
    pytest.param("reminder",
                 [pec(revoked_at="2026-10-01T00:00:00Z"),
                  pec(id="c-new", given_at="2026-11-01T00:00:00Z")],
                 "allow", set(), id="consent-given-again-after-a-revocation-covers-the-call"),
    # 47 CFR 64.1200(a)(10) (FCC 24-24): the clause by which revoking consent to one kind of
    # robocall revokes consent to the caller's robocalls on unrelated matters is waived to
    # 2027-01-31 (CGB orders of 2025-04-07 and 2026-01-06; catalogue R5): on 2026-12-02 a
    # marketing opt-out does not reach the reminder consent. From 2027-01-31 it does
    # (tests/unit/rules/test_statute_review.py).
    pytest.param("reminder",
                 [pewc(revoked_at="2026-11-30T12:00:00Z"), pec(id="c-rem", scope=["reminder"])],
                 "allow", set(),
                 id="a-marketing-opt-out-leaves-reminder-robocall-consent-while-revoke-all-is-waived"),
    pytest.param("reminder",
                 [pewc(revoked_at="2026-11-30T12:00:00Z"),
                  pec(id="c-rem", scope=["reminder"], given_at="2026-12-01T09:00:00Z")],
                 "allow", set(),
                 id="consent-given-again-after-the-revocation-lifts-revoke-all"),
    pytest.param("reminder", [pec(given_at="2026-12-02T16:05:00Z")], "deny", {"NO_CONSENT"},
                 id="consent-given-after-the-call-is-not-prior-consent"),
    pytest.param("reminder", [pec(given_at="2026-12-03")], "deny", {"NO_CONSENT"},
                 id="consent-dated-the-next-day-is-not-prior-consent"),
    pytest.param("reminder", [pec(given_at="2026-12-02")], "allow", set(),
                 id="consent-dated-earlier-the-same-day-is-prior-consent"),
    pytest.param("marketing", [pewc(given_at="2026-12-05T00:00:00Z")], "deny", {"NO_CONSENT"},
                 id="pewc-signed-after-the-sales-call-is-not-prior-consent"),
]  # fmt: skip


@pytest.mark.parametrize(("purpose", "consents", "verdict", "want"), REVOCATION)
def test_consent_counts_only_if_given_before_and_not_revoked_by_the_call(
    decide: Decide,
    purpose: str,
    consents: list[dict[str, Any]],
    verdict: str,
    want: set[str],
) -> None:
    check(decide(call("wireless", purpose, "autodialed", consents=consents)), verdict, want)


# --- 8. Reassigned Numbers Database (N1) ------------------------------------------------------

RND = [
    pytest.param("wireless", "reminder", "autodialed", [pec()],
                 {"result": "no", "checked_on": "2026-12-01"},
                 "allow", set(), id="an-rnd-no-keeps-the-consented-call"),
    pytest.param("wireless", "reminder", "autodialed", [pec()],
                 {"result": "yes", "checked_on": "2026-12-01"},
                 "deny", {"REASSIGNED_NUMBER"}, id="an-rnd-yes-means-the-number-was-reassigned"),
    pytest.param("wireless", "reminder", "autodialed", [pec()],
                 {"result": "no_data", "checked_on": "2026-12-01"},
                 "allow", set(),
                 id="an-rnd-no-data-answer-claims-no-safe-harbor-but-does-not-deny-v1-1"),
    pytest.param("wireless", "reminder", "autodialed", [pec()], None, "allow", set(),
                 id="no-rnd-check-on-record-claims-no-safe-harbor-but-does-not-deny"),
    pytest.param("wireless", "marketing", "prerecorded", [pewc()], {"result": "yes"}, "deny",
                 {"REASSIGNED_NUMBER"}, id="an-rnd-yes-also-stops-a-consented-sales-robocall"),
    pytest.param("wireless", "marketing", "prerecorded", [pewc()], {"result": "no"}, "allow", set(),
                 id="an-rnd-no-keeps-a-consented-sales-robocall"),
    pytest.param("wireless", "reminder", "manual", [], {"result": "yes"}, "allow", set(),
                 id="the-rnd-does-not-govern-a-manual-call-that-needs-no-consent"),
    pytest.param("landline", "reminder", "autodialed", [], {"result": "no_data"}, "allow", set(),
                 id="the-rnd-does-not-govern-a-live-landline-call-that-needs-no-consent"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("line", "purpose", "technology", "consents", "reassigned", "verdict", "want"), RND
)
def test_the_reassigned_numbers_database_answer_decides_a_consented_robocall(
    decide: Decide,
    line: str,
    purpose: str,
    technology: str,
    consents: list[dict[str, Any]],
    reassigned: dict[str, Any] | None,
    verdict: str,
    want: set[str],
) -> None:
    req = call(line, purpose, technology, consents=consents, reassigned=reassigned)
    check(decide(req), verdict, want)
