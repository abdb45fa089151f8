"""California's automatic dialing-announcing device (ADAD) article, Cal. Pub. Util. Code
2871-2876, row by row, each row naming the subdivision and the date its text took effect.

Sources (read in the legislature's code text, see rules/pack/NOTES-ai-voice-disclosure.md):
- 2872(c): no ADAD call received in California 9 p.m.-9 a.m. California time; 2872(f): the
  article does not apply to messages to a person having an established relationship with
  the caller, nor to a call generated at the recipient's request (text in force 2023-01-01,
  Stats. 2022 ch. 36).
- 2873: only under a prior agreement, or after the live natural-voice announcement of 2874(a).
- 2874(a)(3), (c)(2): the person is told if the message uses an artificial voice (a voice
  generated or significantly altered using AI), in force 2025-01-01 (Stats. 2024 ch. 316).

Unless a row says otherwise: a prerecorded reminder to a consumer landline in Los Angeles
(213, America/Los_Angeles, address known), Wed 2 Dec 2026 11:00 PST (19:00Z), from a firm
the person has no relationship with, with a consent to reminders on record. 09:00 PST =
17:00Z. The firm's AI-disclosure setting is off so that only the law is judged; one test
shows both reported side by side.
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

LA = {"country": "US", "state": "CA", "zip": "90012", "time_zone": "America/Los_Angeles"}
NONE = {"type": "none"}


def ca(**facts: Any) -> dict[str, Any]:
    """A prerecorded reminder to a Los Angeles landline, 11:00 PST, consent on record."""
    base: dict[str, Any] = {
        "at": "2026-12-02T19:00:00Z",
        "number": "+1 213 555 0140",
        "address": LA,
        "technology": "prerecorded",
        "relationship": NONE,
        "consents": [pec()],
    }
    base.update(facts)
    return build(**base)


@pytest.fixture(scope="module")
def law_only(engine: Engine) -> Callable[[dict[str, Any]], Decision]:
    e = Engine(pack=engine.pack, geo=engine.geo,
               policy=replace(Policy(), require_ai_disclosure=False))  # fmt: skip
    return lambda req: api_decide(req, engine=e)


ROWS = [
    # --- 2872(c): 09:00-21:00 California time, every purpose (text in force 2023-01-01) ---
    # "between 9 p.m. and 9 a.m." read with both instants inside; a call placed in the
    # last 2 minutes before 21:00 would be received after it (pack 2026.12.4)
    pytest.param(ca(at="2026-12-02T16:30:00Z"), "defer", {"STATE_CALLING_HOURS"},
                 "2026-12-02T17:01:00Z", id="2872-c-08-30-pst-waits-for-just-after-09-00"),
    pytest.param(ca(at="2026-12-02T17:00:00Z"), "defer", {"STATE_CALLING_HOURS"},
                 "2026-12-02T17:01:00Z", id="2872-c-09-00-00-pst-is-still-between-9-pm-and-9-am"),
    pytest.param(ca(at="2026-12-02T17:00:01Z"), "allow", set(), None,
                 id="2872-c-09-00-01-pst-is-inside"),
    pytest.param(ca(at="2026-12-03T04:57:59Z"), "allow", set(), None,
                 id="2872-c-20-57-59-pst-is-received-before-21-00"),
    pytest.param(ca(at="2026-12-03T04:58:00Z"), "defer", {"STATE_CALLING_HOURS"},
                 "2026-12-03T17:01:00Z", id="2872-c-20-58-pst-would-be-received-at-21-00"),
    pytest.param(ca(at="2026-12-03T05:00:00Z"), "defer", {"STATE_CALLING_HOURS"},
                 "2026-12-03T17:01:00Z", id="2872-c-21-00-pst-waits-for-the-next-09-00"),
    pytest.param(ca(at="2026-12-02T16:30:00Z", purpose="debt_collection",
                    consents=[pec()], debt={"id": "ACME-4471"}),
                 "defer", {"STATE_CALLING_HOURS"}, "2026-12-02T17:01:00Z",
                 id="2872-c-reaches-debt-collection-too-not-only-sales"),
    pytest.param(ca(at="2026-12-02T16:30:00Z", technology="autodialed", consents=[]),
                 "allow", set(), None,
                 id="2871-a-live-agent-call-plays-no-prerecorded-message"),
    pytest.param(ca(at="2022-12-31T16:30:00Z", consents=[pec(given_at="2022-06-01")],
                    suppression={"national_dnc": False, "state_dnc": False,
                                 "internal_dnc": False, "registry_synced_on": "2022-12-20"}),
                 "allow", set(), None,
                 id="2872-c-current-text-is-judged-from-2023-01-01"),
    # --- 2872(f): established relationship, or a call the person asked for ---
    pytest.param(ca(at="2026-12-02T16:30:00Z", consents=[],
                    relationship={"type": "former_client"}),
                 "allow", set(), None, id="2872-f-a-former-client-is-outside-the-article"),
    pytest.param(ca(at="2026-12-02T16:30:00Z", consents=[],
                    relationship={"type": "current_client"}),
                 "allow", set(), None, id="2872-f-a-current-client-is-outside-the-article"),
    pytest.param(ca(at="2026-12-02T16:30:00Z", consents=[], purpose="callback"),
                 "allow", set(), None,
                 id="2872-f-a-call-the-person-asked-for-is-outside-the-article"),
    pytest.param(ca(at="2026-12-02T16:30:00Z", relationship={"type": "inquiry",
                                                              "inquiry_on": "2026-11-20"}),
                 "defer", {"STATE_CALLING_HOURS"}, "2026-12-02T17:01:00Z",
                 id="2872-f-an-inquiry-is-not-an-established-relationship"),
    # --- 2873 / 2874(a): prior agreement, or a live natural-voice announcement ---
    pytest.param(ca(consents=[]), "deny", {"NO_CONSENT"}, None,
                 id="2873-a-prerecorded-reminder-without-prior-agreement-is-denied"),
    pytest.param(ca(consents=[pec(scope=["marketing"])]), "deny", {"CONSENT_SCOPE"}, None,
                 id="2873-an-agreement-to-other-calls-is-not-an-agreement-to-this-one"),
    pytest.param(ca(technology="manual", consents=[]), "allow", set(), None,
                 id="2874-a-a-person-speaking-needs-no-prior-agreement"),
    pytest.param(ca(consents=[], relationship={"type": "former_client"}), "allow", set(),
                 None, id="2873-2872-f-a-former-client-needs-no-prior-agreement"),
    # --- 2874(a)(3): artificial voice disclosed (in force 2025-01-01) ---
    pytest.param(ca(technology="artificial_voice", script={"discloses_ai": False}),
                 "deny", {"SCRIPT_NONCOMPLIANT"}, None,
                 id="2874-a-3-an-artificial-voice-that-does-not-say-so-is-denied"),
    pytest.param(ca(technology="interactive_voice", script={"discloses_ai": False}),
                 "deny", {"SCRIPT_NONCOMPLIANT"}, None,
                 id="2874-a-3-an-ai-agent-that-does-not-say-so-is-denied"),
    pytest.param(ca(technology="artificial_voice", script={"discloses_ai": True}),
                 "allow", set(), None, id="2874-a-3-an-artificial-voice-that-says-so"),
    pytest.param(ca(script={"discloses_ai": False}), "allow", set(), None,
                 id="2874-a-3-a-human-recording-has-nothing-to-disclose"),
    pytest.param(ca(technology="artificial_voice", script={"discloses_ai": False},
                    relationship={"type": "former_client"}),
                 "allow", set(), None, id="2874-a-3-2872-f-a-former-client-is-exempt"),
    pytest.param(ca(technology="artificial_voice", script={"discloses_ai": False},
                    at="2024-12-31T19:00:00Z", consents=[pec(given_at="2024-06-01")],
                    suppression={"national_dnc": False, "state_dnc": False,
                                 "internal_dnc": False, "registry_synced_on": "2024-12-20"}),
                 "allow", set(), None, id="2874-a-3-not-before-2025-01-01"),
    pytest.param(ca(technology="artificial_voice", script={"discloses_ai": False},
                    at="2025-01-01T19:00:00Z", consents=[pec(given_at="2024-06-01")],
                    suppression={"national_dnc": False, "state_dnc": False,
                                 "internal_dnc": False, "registry_synced_on": "2024-12-20"}),
                 "deny", {"SCRIPT_NONCOMPLIANT"}, None, id="2874-a-3-from-2025-01-01"),
    # --- the article is California's: a Seattle number is not judged by it ---
    pytest.param(ca(number="+1 206 555 0113",
                    address={"country": "US", "state": "WA", "zip": "98101",
                             "time_zone": "America/Los_Angeles"},
                    technology="artificial_voice", script={"discloses_ai": False},
                    at="2026-12-02T16:30:00Z", consents=[pec()]),
                 "allow", set(), None, id="outside-california-no-adad-rule"),
]  # fmt: skip


@pytest.mark.parametrize(("request_", "verdict", "want", "earliest"), ROWS)
def test_each_california_adad_row_gives_the_verdict_the_statute_gives(
    law_only: Callable[[dict[str, Any]], Decision],
    request_: dict[str, Any],
    verdict: str,
    want: set[str],
    earliest: str | None,
) -> None:
    d = law_only(request_)
    assert (d.verdict, codes(d), iso(d)) == (verdict, want, earliest), d.to_json()["reasons"]


def test_the_hours_reason_names_the_statute_the_zone_and_the_window(
    law_only: Callable[[dict[str, Any]], Decision],
) -> None:
    d = law_only(ca(at="2026-12-02T16:30:00Z"))
    (reason,) = d.reasons
    assert reason.rule == "us-ca.adad-hours"
    assert "Cal. Pub. Util. Code 2872(c)" in reason.citation
    assert "America/Los_Angeles" in reason.message and "09:00-21:00" in reason.message


def test_the_law_and_the_firm_setting_are_reported_side_by_side(engine: Engine) -> None:
    d = api_decide(ca(technology="artificial_voice", script={"discloses_ai": False}),
                   engine=engine)  # fmt: skip
    assert d.verdict == "deny"
    by_rule = {r.rule: r for r in d.reasons}
    assert {"us-ca.adad-ai-disclosure", "firm.ai-disclosure"} <= set(by_rule)
    assert "2874(a)(3)" in by_rule["us-ca.adad-ai-disclosure"].citation
    assert "policy.require_ai_disclosure" in by_rule["firm.ai-disclosure"].citation


# --- 2875.5(a)-(b): a dialler with stored numbers may leave a live-answered call without an
# agent in at most 3% of them (CPUC D.02-06-072 from 2002-07-01, kept by D.03-03-038), for
# every purpose. The same reminder campaign into Seattle meets only the firm's setting.
SEATTLE = {
    "number": "+1 206 555 0113",
    "address": {"country": "US", "state": "WA", "zip": "98101", "time_zone": "America/Los_Angeles"},
}


def predictive(rate: float, **facts: Any) -> dict[str, Any]:
    """A live-agent reminder from a predictive campaign whose 30-day abandonment is ``rate``."""
    campaign = {
        "mode": "predictive",
        "abandonment_rate_30d": rate,
        "ring_timeout_s": 20,
        "safe_harbor_message": True,
        "caller_id": "+13125550000",
    }
    return ca(technology="autodialed", campaign=campaign, **facts)


ABANDONMENT = [
    pytest.param(predictive(0.03), "allow", set(), id="2875-5-b-3-percent-is-the-commissions-rate"),
    pytest.param(predictive(0.031), "deny", {"ABANDONMENT_LIMIT"},
                 id="2875-5-a-over-3-percent-a-reminder-campaign-is-held-by-law"),
    pytest.param(predictive(0.031, relationship={"type": "former_client",
                                                 "last_transaction_on": "2026-01-10"}),
                 "deny", {"ABANDONMENT_LIMIT"},
                 id="2875-5-a-2872-f-exemptions-do-not-reach-the-dialler-rule"),
    pytest.param(predictive(0.031, **SEATTLE), "deny", {"FIRM_POLICY"},
                 id="outside-california-only-the-firms-setting-holds-a-reminder-campaign"),
]  # fmt: skip


@pytest.mark.parametrize(("request_", "verdict", "want"), ABANDONMENT)
def test_californias_dialler_rule_holds_every_campaign_to_the_commissions_error_rate(
    law_only: Callable[[dict[str, Any]], Decision],
    request_: dict[str, Any],
    verdict: str,
    want: set[str],
) -> None:
    d = law_only(request_)
    assert (d.verdict, codes(d)) == (verdict, want), d.to_json()["reasons"]
    if "ABANDONMENT_LIMIT" in want:
        assert "2875.5" in next(r.citation for r in d.reasons if r.code == "ABANDONMENT_LIMIT")
