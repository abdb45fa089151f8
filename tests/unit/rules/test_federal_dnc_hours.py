"""US federal do-not-call, calling-hours, dialer and script rules.

Expected values come from the rule catalogue (sections 1, 2, 7 and 8) and the decision
contract v1, not from the engine's output:

- H2/H4/F6: no telephone solicitation to a number on the National DNC Registry unless
  PEWC (a signed written agreement) or an EBR: a transaction within 18 months or an
  inquiry within 3 months before the call. A seller-specific DNC request ends the EBR.
  Contract: an absent ``national_dnc`` for a telemarketing call = not known to be clear.
- H5/R2: the firm's own DNC list blocks at once (the pack applies it to every purpose).
- H3/F6: the registry copy must be obtained no more than 31 days before the call; an
  unknown sync date is stale (contract); this is a telemarketing rule only.
- H1/F4: telephone solicitations only 08:00-21:00 at the called party's location, start
  inclusive, end exclusive, in every candidate zone, using IANA zones (section 7: DST
  changes 2026-03-08 and 2026-11-01; Arizona keeps no DST). Informational calls have no
  federal hour limit; the firm's default policy window (08:00-21:00, every call) does.
- A1/A2/F2/A3/N3: ring at least 15 s; abandonment at most 3 % per 30 days; a safe-harbor
  message for calls no agent takes within 2 s; caller ID transmitted, blocking prohibited.
- C1-C3/F3: a prerecorded or artificial-voice message identifies the firm at the start,
  gives a callback number and, for telemarketing and exempt residential calls, an
  automated opt-out within 2 s.
- Contract: deny wins over defer; a defer gives the earliest UTC minute at which every rule
  passes; reasons list every failing rule.

The base call (tests/conftest.py) is Wednesday 2026-12-02 11:00 in Columbus, Ohio
(America/New_York), a current client on a landline, every registry clear, synced
2026-11-25.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from conftest import BASE, build, codes, iso, pec, pewc
from lexdial.domain.decision import Decision

Decide = Callable[[dict[str, Any]], Decision]

AT = "2026-12-02T16:00:00Z"  # Wed 11:00 America/New_York
NONE = {"type": "none"}
CLIENT = {"type": "current_client"}
OHIO = {"country": "US", "state": "OH", "time_zone": "America/New_York"}
ARIZONA = {"country": "US", "state": "AZ", "time_zone": "America/Phoenix"}
PHOENIX_NUMBER = "+1 602 555 0128"


def sup(**over: Any) -> dict[str, Any]:
    """The base suppression facts with some replaced; a value of ... removes the key."""
    out = dict(BASE["suppression"])
    for key, value in over.items():
        if value is ...:
            out.pop(key, None)
        else:
            out[key] = value
    return out


def former(on: str) -> dict[str, Any]:
    return {"type": "former_client", "last_transaction_on": on}


def inquiry(on: str) -> dict[str, Any]:
    return {"type": "inquiry", "inquiry_on": on}


def sales_call(**facts: Any) -> dict[str, Any]:
    """A hand-dialled sales call (no TCPA consent rule applies) to the base landline."""
    facts.setdefault("purpose", "marketing")
    facts.setdefault("technology", "manual")
    return build(**facts)


def check(d: Decision, verdict: str, want: set[str], when: str | None = None) -> None:
    assert (d.verdict, codes(d), iso(d)) == (verdict, want, when), d.to_json()["reasons"]


# --- 1. National DNC Registry and the established business relationship ---------------------

# 18 months before 2026-12-02 is 2025-06-02; 3 months before is 2026-09-02.
NATIONAL_DNC = [
    pytest.param(NONE, [], sup(national_dnc=True), "deny", {"NATIONAL_DNC"},
                 id="a-registered-number-with-no-relationship-may-not-get-a-sales-call"),
    pytest.param({"type": "prospect"}, [], sup(national_dnc=True), "deny", {"NATIONAL_DNC"},
                 id="a-prospect-on-the-registry-has-no-exemption"),
    pytest.param(CLIENT, [], sup(national_dnc=True), "allow", set(),
                 id="a-current-client-on-the-registry-has-an-ebr"),
    pytest.param(former("2025-06-02"), [], sup(national_dnc=True), "allow", set(),
                 id="a-former-client-whose-last-transaction-was-exactly-18-months-ago"),
    pytest.param(former("2025-06-03"), [], sup(national_dnc=True), "allow", set(),
                 id="a-former-client-whose-last-transaction-was-18-months-less-a-day-ago"),
    pytest.param(former("2025-06-01"), [], sup(national_dnc=True), "deny", {"NATIONAL_DNC"},
                 id="a-former-client-whose-last-transaction-was-18-months-and-a-day-ago"),
    pytest.param({"type": "former_client"}, [], sup(national_dnc=True), "deny",
                 {"NATIONAL_DNC"}, id="a-former-client-with-no-transaction-date-on-record"),
    pytest.param(inquiry("2026-09-02"), [], sup(national_dnc=True), "allow", set(),
                 id="an-inquiry-exactly-3-months-ago"),
    pytest.param(inquiry("2026-09-03"), [], sup(national_dnc=True), "allow", set(),
                 id="an-inquiry-3-months-less-a-day-ago"),
    pytest.param(inquiry("2026-09-01"), [], sup(national_dnc=True), "deny", {"NATIONAL_DNC"},
                 id="an-inquiry-3-months-and-a-day-ago"),
    pytest.param({"type": "former_client", "last_transaction_on": "2024-01-10",
                  "inquiry_on": "2026-11-20"}, [], sup(national_dnc=True), "allow", set(),
                 id="an-old-former-client-with-a-recent-inquiry"),
    pytest.param(NONE, [pewc()], sup(national_dnc=True), "allow", set(),
                 id="a-signed-written-agreement-overrides-the-registry"),
    pytest.param(NONE, [pec(["marketing"])], sup(national_dnc=True), "deny", {"NATIONAL_DNC"},
                 id="oral-consent-to-marketing-does-not-override-the-registry"),
    pytest.param(NONE, [pewc(seller="Other Firm LLP")], sup(national_dnc=True), "deny",
                 {"NATIONAL_DNC"}, id="a-written-agreement-with-another-firm-does-not-override"),
    pytest.param(NONE, [pewc(revoked_at="2026-11-01T00:00:00Z")], sup(national_dnc=True),
                 "deny", {"NATIONAL_DNC"}, id="a-revoked-written-agreement-does-not-override"),
    pytest.param(NONE, [pewc(given_at="2026-12-03T00:00:00Z")], sup(national_dnc=True),
                 "deny", {"NATIONAL_DNC"}, id="a-written-agreement-signed-after-the-call"),
    pytest.param(NONE, [pewc(scope=["reminder"])], sup(national_dnc=True), "deny",
                 {"NATIONAL_DNC"}, id="a-written-agreement-to-reminders-does-not-cover-sales"),
    pytest.param(NONE, [], sup(national_dnc=...), "deny", {"NATIONAL_DNC"},
                 id="an-absent-registry-status-is-not-known-to-be-clear"),
    pytest.param(NONE, [], sup(national_dnc=None), "deny", {"NATIONAL_DNC"},
                 id="a-null-registry-status-is-not-known-to-be-clear"),
    pytest.param(CLIENT, [], sup(national_dnc=...), "allow", set(),
                 id="an-unknown-registry-status-is-fine-for-a-current-client"),
    pytest.param(NONE, [pewc()], sup(national_dnc=...), "allow", set(),
                 id="an-unknown-registry-status-is-fine-with-a-written-agreement"),
    pytest.param(NONE, [], None, "deny", {"NATIONAL_DNC", "REGISTRY_STALE"},
                 id="no-suppression-facts-at-all-means-neither-status-nor-freshness-is-known"),
    pytest.param(NONE, [], sup(national_dnc=False), "allow", set(),
                 id="a-number-known-to-be-clear-needs-no-exemption"),
    pytest.param(former("2025-12-01"), [], sup(national_dnc=True, internal_dnc=True), "deny",
                 {"INTERNAL_DNC", "NATIONAL_DNC"},
                 id="a-firm-specific-do-not-call-request-ends-the-ebr"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("relationship", "consents", "suppression", "verdict", "want"), NATIONAL_DNC
)
def test_a_sales_call_to_a_registered_number_needs_a_written_agreement_or_a_relationship(
    decide: Decide,
    relationship: dict[str, Any],
    consents: list[dict[str, Any]],
    suppression: dict[str, Any] | None,
    verdict: str,
    want: set[str],
) -> None:
    req = sales_call(relationship=relationship, consents=consents, suppression=suppression)
    check(decide(req), verdict, want)


NATIONAL_DNC_SCOPE = [
    pytest.param("reminder", None, NONE, "allow", set(),
                 id="the-registry-does-not-restrict-a-reminder"),
    pytest.param("informational", None, NONE, "allow", set(),
                 id="the-registry-does-not-restrict-an-informational-call"),
    pytest.param("debt_collection", None, NONE, "allow", set(),
                 id="the-registry-does-not-restrict-a-collection-call"),
    pytest.param("marketing", "business", NONE, "allow", set(),
                 id="the-registry-protects-residential-subscribers-not-businesses"),
    pytest.param("marketing", "consumer", NONE, "deny", {"NATIONAL_DNC"},
                 id="a-stated-consumer-subscriber-is-protected-by-the-registry"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("purpose", "subscriber", "relationship", "verdict", "want"), NATIONAL_DNC_SCOPE
)
def test_the_national_registry_governs_only_telephone_solicitations_to_consumers(
    decide: Decide,
    purpose: str,
    subscriber: str | None,
    relationship: dict[str, Any],
    verdict: str,
    want: set[str],
) -> None:
    req = sales_call(purpose=purpose, subscriber=subscriber, relationship=relationship,
                     suppression=sup(national_dnc=True))  # fmt: skip
    check(decide(req), verdict, want)


# --- 2. the firm's own do-not-call list, every purpose -------------------------------------

INTERNAL_DNC = [
    pytest.param("reminder", "manual", "landline", [], id="a-manual-reminder"),
    pytest.param("notification", "manual", "landline", [], id="a-manual-notification"),
    pytest.param("informational", "manual", "landline", [], id="a-manual-case-update"),
    pytest.param("marketing", "manual", "landline", [pewc()],
                 id="a-sales-call-even-with-pewc"),
    pytest.param("debt_collection", "manual", "landline", [], id="a-collection-call"),
    pytest.param("callback", "manual", "landline", [], id="a-callback"),
    pytest.param("reminder", "autodialed", "wireless", [pec()],
                 id="an-autodialed-reminder-to-a-mobile-even-with-consent"),
    pytest.param("notification", "prerecorded", "landline", [],
                 id="an-exempt-prerecorded-notice"),
]  # fmt: skip


@pytest.mark.parametrize(("purpose", "technology", "line", "consents"), INTERNAL_DNC)
def test_the_firms_own_do_not_call_list_blocks_every_kind_of_call(
    decide: Decide, purpose: str, technology: str, line: str, consents: list[dict[str, Any]]
) -> None:
    req = build(purpose=purpose, technology=technology, line_type=line, consents=consents,
                relationship=CLIENT, suppression=sup(internal_dnc=True))  # fmt: skip
    check(decide(req), "deny", {"INTERNAL_DNC"})


# --- 3. state do-not-call lists ------------------------------------------------------------

STATE_DNC = [
    pytest.param("marketing", NONE, [], "deny", {"STATE_DNC"},
                 id="a-state-listed-number-with-no-relationship-may-not-get-a-sales-call"),
    pytest.param("marketing", CLIENT, [], "allow", set(),
                 id="a-current-client-on-a-state-list-may-get-a-sales-call"),
    pytest.param("marketing", former("2025-06-02"), [], "allow", set(),
                 id="a-former-client-exactly-18-months-after-the-last-transaction"),
    pytest.param("marketing", former("2025-06-01"), [], "deny", {"STATE_DNC"},
                 id="a-former-client-18-months-and-a-day-after-the-last-transaction"),
    pytest.param("marketing", inquiry("2026-09-01"), [], "deny", {"STATE_DNC"},
                 id="an-inquiry-more-than-3-months-old-gives-no-exemption"),
    pytest.param("marketing", NONE, [pewc()], "allow", set(),
                 id="a-signed-written-agreement-overrides-a-state-list"),
    pytest.param("reminder", NONE, [], "allow", set(),
                 id="a-state-list-does-not-restrict-a-reminder"),
]  # fmt: skip


@pytest.mark.parametrize(("purpose", "relationship", "consents", "verdict", "want"), STATE_DNC)
def test_a_state_do_not_call_list_blocks_sales_calls_without_an_exemption(
    decide: Decide,
    purpose: str,
    relationship: dict[str, Any],
    consents: list[dict[str, Any]],
    verdict: str,
    want: set[str],
) -> None:
    req = sales_call(purpose=purpose, relationship=relationship, consents=consents,
                     suppression=sup(state_dnc=True))  # fmt: skip
    check(decide(req), verdict, want)


def test_a_number_on_both_registries_lists_both_reasons(decide: Decide) -> None:
    req = sales_call(relationship=NONE, suppression=sup(national_dnc=True, state_dnc=True))
    check(decide(req), "deny", {"NATIONAL_DNC", "STATE_DNC"})


# --- 4. freshness of the registry copy ------------------------------------------------------

FRESHNESS = [
    pytest.param("marketing", "2026-12-02", AT, "allow", set(), None,
                 id="a-registry-copy-synced-the-day-of-the-call-is-fresh"),
    pytest.param("marketing", "2026-11-01", AT, "allow", set(), None,
                 id="a-registry-copy-31-days-old-is-still-fresh"),
    pytest.param("marketing", "2026-10-31", AT, "deny", {"REGISTRY_STALE"}, None,
                 id="a-registry-copy-32-days-old-is-stale"),
    pytest.param("marketing", ..., AT, "deny", {"REGISTRY_STALE"}, None,
                 id="an-unknown-sync-date-is-stale"),
    pytest.param("marketing", None, AT, "deny", {"REGISTRY_STALE"}, None,
                 id="a-null-sync-date-is-stale"),
    pytest.param("reminder", "2026-10-31", AT, "allow", set(), None,
                 id="a-stale-copy-does-not-matter-for-a-reminder"),
    pytest.param("informational", ..., AT, "allow", set(), None,
                 id="an-unknown-sync-date-does-not-matter-for-an-informational-call"),
    pytest.param("marketing", "2026-10-31", "2026-12-03T02:00:00Z", "deny",
                 {"REGISTRY_STALE", "CALLING_HOURS"}, None,
                 id="a-stale-copy-after-9-pm-denied-and-lists-the-hours-too"),
]  # fmt: skip

# Contract v1.1: the copy's age matters only where the register could stop the call; an
# exemption that overrides the register (64.1200(c)(2)(ii) written agreement; (f)(5) EBR)
# makes it moot.
FRESHNESS_MOOT = [
    pytest.param({"type": "current_client"}, [], id="a-current-client-ebr-makes-the-age-moot"),
    pytest.param({"type": "former_client", "last_transaction_on": "2026-01-10"}, [],
                 id="a-former-client-within-18-months-makes-the-age-moot"),
    pytest.param(NONE, [pewc()], id="a-signed-written-agreement-makes-the-age-moot"),
]  # fmt: skip


@pytest.mark.parametrize(("relationship", "consents"), FRESHNESS_MOOT)
def test_a_stale_or_unknown_registry_copy_does_not_stop_a_call_the_register_cannot_stop(
    decide: Decide, relationship: dict[str, Any], consents: list[dict[str, Any]]
) -> None:
    for synced in ("2026-10-01", None):
        req = sales_call(
            relationship=relationship,
            consents=consents,
            suppression=sup(registry_synced_on=synced),
        )
        check(decide(req), "allow", set())


@pytest.mark.parametrize(("purpose", "synced", "at", "verdict", "want", "when"), FRESHNESS)
def test_telemarketing_needs_a_registry_copy_no_more_than_31_days_old(
    decide: Decide,
    purpose: str,
    synced: Any,
    at: str,
    verdict: str,
    want: set[str],
    when: str | None,
) -> None:
    # a person with no relationship: the register decides, so its copy's age matters
    req = sales_call(
        purpose=purpose, at=at, relationship=NONE, suppression=sup(registry_synced_on=synced)
    )
    check(decide(req), verdict, want, when)


def test_a_stale_registry_copy_blocks_a_person_the_register_protects(decide: Decide) -> None:
    req = sales_call(relationship=NONE, suppression=sup(registry_synced_on="2026-10-01"))
    check(decide(req), "deny", {"REGISTRY_STALE"})


# --- 5. federal calling hours ---------------------------------------------------------------

FEDERAL_HOURS = [
    pytest.param("2026-12-02T12:59:00Z", "defer", {"CALLING_HOURS"}, "2026-12-02T13:00:00Z",
                 id="0759-defers-to-0800"),
    pytest.param("2026-12-02T12:59:30Z", "defer", {"CALLING_HOURS"}, "2026-12-02T13:00:00Z",
                 id="075930-defers-to-0800"),
    pytest.param("2026-12-02T13:00:00Z", "allow", set(), None, id="0800-allowed"),
    pytest.param("2026-12-03T01:59:00Z", "allow", set(), None, id="2059-allowed"),
    pytest.param("2026-12-03T01:59:59Z", "allow", set(), None, id="205959-allowed"),
    pytest.param("2026-12-03T02:00:00Z", "defer", {"CALLING_HOURS"}, "2026-12-03T13:00:00Z",
                 id="2100-defers-to-0800-the-next-day"),
    pytest.param("2026-12-03T04:30:00Z", "defer", {"CALLING_HOURS"}, "2026-12-03T13:00:00Z",
                 id="2330-defers-to-0800-the-next-day"),
    pytest.param("2026-12-02T05:30:00Z", "defer", {"CALLING_HOURS"}, "2026-12-02T13:00:00Z",
                 id="0030-defers-to-0800-the-same-day"),
    pytest.param("2026-12-06T15:00:00Z", "allow", set(), None,
                 id="federal-law-has-no-sunday-ban"),
    # 2026-03-08: clocks go from 02:00 EST to 03:00 EDT; 08:00 EDT = 12:00 UTC
    pytest.param("2026-03-08T02:00:00Z", "defer", {"CALLING_HOURS"}, "2026-03-08T12:00:00Z",
                 id="spring-forward-2100-the-night-before-defers-to-0800-edt"),
    pytest.param("2026-03-08T06:59:00Z", "defer", {"CALLING_HOURS"}, "2026-03-08T12:00:00Z",
                 id="spring-forward-0159-est-defers-to-0800-edt"),
    pytest.param("2026-03-08T11:59:00Z", "defer", {"CALLING_HOURS"}, "2026-03-08T12:00:00Z",
                 id="spring-forward-0759-edt-defers-to-0800-edt"),
    pytest.param("2026-03-08T12:00:00Z", "allow", set(), None,
                 id="spring-forward-0800-edt-allowed"),
    pytest.param("2026-03-08T12:30:00Z", "allow", set(), None,
                 id="spring-forward-0830-edt-allowed-though-it-would-be-0730-est"),
    pytest.param("2026-03-09T00:59:00Z", "allow", set(), None,
                 id="spring-forward-2059-edt-allowed"),
    pytest.param("2026-03-09T01:00:00Z", "defer", {"CALLING_HOURS"}, "2026-03-09T12:00:00Z",
                 id="spring-forward-2100-edt-defers-to-0800-edt-the-next-day"),
    # 2026-11-01: clocks go from 02:00 EDT back to 01:00 EST; 08:00 EST = 13:00 UTC
    pytest.param("2026-11-01T01:00:00Z", "defer", {"CALLING_HOURS"}, "2026-11-01T13:00:00Z",
                 id="fall-back-2100-edt-the-night-before-defers-to-0800-est"),
    pytest.param("2026-11-01T05:30:00Z", "defer", {"CALLING_HOURS"}, "2026-11-01T13:00:00Z",
                 id="fall-back-the-first-0130-defers-to-0800-est"),
    pytest.param("2026-11-01T06:30:00Z", "defer", {"CALLING_HOURS"}, "2026-11-01T13:00:00Z",
                 id="fall-back-the-second-0130-defers-to-0800-est"),
    pytest.param("2026-11-01T12:00:00Z", "defer", {"CALLING_HOURS"}, "2026-11-01T13:00:00Z",
                 id="fall-back-0700-est-defers-though-it-would-be-0800-edt"),
    pytest.param("2026-11-01T12:59:00Z", "defer", {"CALLING_HOURS"}, "2026-11-01T13:00:00Z",
                 id="fall-back-0759-est-defers-to-0800-est"),
    pytest.param("2026-11-01T13:00:00Z", "allow", set(), None,
                 id="fall-back-0800-est-allowed"),
    pytest.param("2026-11-02T01:59:00Z", "allow", set(), None,
                 id="fall-back-2059-est-allowed"),
    pytest.param("2026-11-02T02:00:00Z", "defer", {"CALLING_HOURS"}, "2026-11-02T13:00:00Z",
                 id="fall-back-2100-est-defers-to-0800-est-the-next-day"),
]  # fmt: skip


@pytest.mark.parametrize(("at", "verdict", "want", "when"), FEDERAL_HOURS)
def test_sales_calls_are_allowed_from_8_am_to_before_9_pm_at_the_called_party(
    decide: Decide, at: str, verdict: str, want: set[str], when: str | None
) -> None:
    req = sales_call(at=at, suppression=sup(registry_synced_on=at[:10]))
    check(decide(req), verdict, want, when)


# Arizona keeps MST (UTC-7) all year: 08:00 = 15:00 UTC, 21:00 = 04:00 UTC.
ARIZONA_HOURS = [
    pytest.param("2026-03-08T14:59:00Z", "defer", {"CALLING_HOURS"}, "2026-03-08T15:00:00Z",
                 id="0759-mst-on-the-eastern-dst-day-defers-to-0800-mst"),
    pytest.param("2026-03-08T15:00:00Z", "allow", set(), None,
                 id="0800-mst-on-the-eastern-dst-day-allowed"),
    pytest.param("2026-07-15T14:00:00Z", "defer", {"CALLING_HOURS"}, "2026-07-15T15:00:00Z",
                 id="0700-mst-in-summer-defers-though-denver-says-0800"),
    pytest.param("2026-07-15T14:59:00Z", "defer", {"CALLING_HOURS"}, "2026-07-15T15:00:00Z",
                 id="0759-mst-in-summer-defers-to-0800-mst"),
    pytest.param("2026-07-15T15:00:00Z", "allow", set(), None,
                 id="0800-mst-in-summer-allowed"),
    pytest.param("2026-07-16T03:00:00Z", "allow", set(), None,
                 id="2000-mst-in-summer-allowed-though-denver-says-2100"),
    pytest.param("2026-07-16T03:59:00Z", "allow", set(), None,
                 id="2059-mst-in-summer-allowed"),
    pytest.param("2026-07-16T04:00:00Z", "defer", {"CALLING_HOURS"}, "2026-07-16T15:00:00Z",
                 id="2100-mst-in-summer-defers-to-0800-mst-the-next-day"),
    pytest.param("2026-11-01T14:59:00Z", "defer", {"CALLING_HOURS"}, "2026-11-01T15:00:00Z",
                 id="0759-mst-on-the-eastern-fall-back-day-defers-to-0800-mst"),
    pytest.param("2026-12-03T04:00:00Z", "defer", {"CALLING_HOURS"}, "2026-12-03T15:00:00Z",
                 id="2100-mst-in-winter-defers-to-0800-mst-the-next-day"),
]  # fmt: skip


@pytest.mark.parametrize(("at", "verdict", "want", "when"), ARIZONA_HOURS)
def test_arizona_calling_hours_ignore_daylight_saving_time(
    decide: Decide, at: str, verdict: str, want: set[str], when: str | None
) -> None:
    req = sales_call(at=at, number=PHOENIX_NUMBER, address=ARIZONA,
                     suppression=sup(registry_synced_on=at[:10]))  # fmt: skip
    check(decide(req), verdict, want, when)


# An Ohio number with a Los Angeles address: the window is the intersection (section 7).
CANDIDATE_ZONES = [
    pytest.param("2026-12-02T15:30:00Z", "defer", {"CALLING_HOURS"}, "2026-12-02T16:00:00Z",
                 id="1030-in-ohio-is-0730-in-los-angeles-so-wait-for-0800-there"),
    pytest.param("2026-12-02T16:00:00Z", "allow", set(), None,
                 id="0800-in-los-angeles-and-1100-in-ohio-allowed"),
    pytest.param("2026-12-03T01:59:00Z", "allow", set(), None,
                 id="2059-in-ohio-and-1759-in-los-angeles-allowed"),
    pytest.param("2026-12-03T02:00:00Z", "defer", {"CALLING_HOURS"}, "2026-12-03T16:00:00Z",
                 id="2100-in-ohio-waits-for-0800-the-next-day-in-los-angeles"),
]  # fmt: skip


@pytest.mark.parametrize(("at", "verdict", "want", "when"), CANDIDATE_ZONES)
def test_calling_hours_must_hold_in_every_candidate_time_zone(
    decide: Decide, at: str, verdict: str, want: set[str], when: str | None
) -> None:
    address = {"country": "US", "state": "CA", "time_zone": "America/Los_Angeles"}
    check(decide(sales_call(at=at, address=address)), verdict, want, when)


# --- 6. which window applies to which purpose ------------------------------------------------

# Contract v1.1: the firm window is reported (FIRM_POLICY) only where it is stricter than
# the law for the call, and by default reaches automated calls and marketing/collection
# calls, not a person's own call to a current client. BASE is a current client.
PURPOSE_HOURS = [
    pytest.param("marketing", "manual", "2026-12-02T12:59:00Z", "defer",
                 "2026-12-02T13:00:00Z", {"CALLING_HOURS"}, {"us.tcpa.calling-hours"},
                 id="a-sales-call-at-0759-fails-the-federal-window-the-firm-adds-nothing"),
    pytest.param("debt_collection", "manual", "2026-12-02T12:59:00Z", "defer",
                 "2026-12-02T13:01:00Z", {"CALLING_HOURS"}, {"us.regf.calling-hours"},
                 id="a-collection-call-at-0759-fails-regulation-f-the-firm-adds-nothing"),
    pytest.param("informational", "autodialed", "2026-12-02T12:59:00Z", "defer",
                 "2026-12-02T13:00:00Z", {"FIRM_POLICY"}, {"firm.calling-hours"},
                 id="an-automated-informational-call-at-0759-fails-only-the-firm-window"),
    pytest.param("informational", "autodialed", "2026-12-03T02:00:00Z", "defer",
                 "2026-12-03T13:00:00Z", {"FIRM_POLICY"}, {"firm.calling-hours"},
                 id="an-automated-informational-call-at-2100-waits-for-0800-under-firm-policy"),
    pytest.param("reminder", "prerecorded", "2026-12-02T05:30:00Z", "defer",
                 "2026-12-02T13:00:00Z", {"FIRM_POLICY"}, {"firm.calling-hours"},
                 id="a-prerecorded-reminder-at-0030-waits-for-0800-under-firm-policy"),
    pytest.param("callback", "autodialed", "2026-12-03T02:00:00Z", "defer",
                 "2026-12-03T13:00:00Z", {"FIRM_POLICY"}, {"firm.calling-hours"},
                 id="an-automated-callback-at-2100-waits-for-0800-under-firm-policy"),
    pytest.param("informational", "manual", "2026-12-02T12:59:00Z", "allow", None, set(), set(),
                 id="a-persons-own-informational-call-to-a-current-client-is-outside-firm-scope"),
    pytest.param("informational", "autodialed", "2026-12-02T13:00:00Z", "allow", None, set(),
                 set(), id="an-informational-call-at-0800-allowed"),
    pytest.param("informational", "autodialed", "2026-12-03T01:59:00Z", "allow", None, set(),
                 set(), id="an-informational-call-at-2059-allowed"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("purpose", "technology", "at", "verdict", "when", "want", "rules"), PURPOSE_HOURS
)
def test_informational_calls_follow_the_firm_window_and_sales_calls_the_federal_one(
    decide: Decide,
    purpose: str,
    technology: str,
    at: str,
    verdict: str,
    when: str | None,
    want: set[str],
    rules: set[str],
) -> None:
    d = decide(build(purpose=purpose, technology=technology, at=at))
    check(d, verdict, want, when)
    cited = {rid for r in d.reasons for rid in (r.rules or (r.rule,))}
    assert cited == rules
    for r in d.reasons:
        if r.code == "FIRM_POLICY":  # names the setting and says it is not law
            assert "policy.all_calls_window = 08:00-21:00" in r.message
            assert "not law" in r.message


DENY_BEATS_DEFER = [
    pytest.param({"technology": "autodialed", "line_type": "wireless"},
                 {"NO_CONSENT", "CALLING_HOURS"},
                 id="an-unconsented-robocall-at-0759-denied-with-both-reasons"),
    pytest.param({"relationship": NONE, "suppression": sup(national_dnc=True)},
                 {"NATIONAL_DNC", "CALLING_HOURS"},
                 id="a-registered-number-at-0759-denied-with-both-reasons"),
    pytest.param({"suppression": sup(internal_dnc=True)}, {"INTERNAL_DNC", "CALLING_HOURS"},
                 id="an-internal-do-not-call-entry-at-0759-denied-with-both-reasons"),
]  # fmt: skip


@pytest.mark.parametrize(("facts", "want"), DENY_BEATS_DEFER)
def test_a_permanent_failure_denies_even_when_the_hours_would_only_defer(
    decide: Decide, facts: dict[str, Any], want: set[str]
) -> None:
    check(decide(sales_call(at="2026-12-02T12:59:00Z", **facts)), "deny", want)


# --- 7. campaign (dialer) configuration -------------------------------------------------------

GOOD_CAMPAIGN: dict[str, Any] = {
    "mode": "predictive",
    "abandonment_rate_30d": 0.02,
    "ring_timeout_s": 20,
    "caller_id": "+1 614 555 0000",
    "safe_harbor_message": True,
}


def campaign(**over: Any) -> dict[str, Any]:
    out = dict(GOOD_CAMPAIGN)
    for key, value in over.items():
        if value is ...:
            out.pop(key, None)
        else:
            out[key] = value
    return out


CAMPAIGN = [
    pytest.param(campaign(), "allow", set(), id="a-lawful-predictive-campaign"),
    pytest.param(campaign(ring_timeout_s=14.9), "deny", {"RING_TIMEOUT"},
                 id="ringing-14.9-seconds-is-too-short"),
    pytest.param(campaign(ring_timeout_s=15), "allow", set(),
                 id="ringing-15-seconds-is-enough"),
    pytest.param(campaign(abandonment_rate_30d=0.03), "allow", set(),
                 id="3-percent-abandonment-is-at-the-limit"),
    pytest.param(campaign(abandonment_rate_30d=0.031), "deny", {"ABANDONMENT_LIMIT"},
                 id="3.1-percent-abandonment-is-over-the-limit"),
    pytest.param(campaign(mode="manual", abandonment_rate_30d=None), "allow", set(),
                 id="a-manual-campaign-with-no-abandonment-figure"),
    pytest.param(campaign(caller_id="withheld"), "deny", {"CALLER_ID_MISSING"},
                 id="a-withheld-caller-id-is-blocked-caller-id"),
    pytest.param(campaign(caller_id=...), "deny", {"CALLER_ID_MISSING"},
                 id="a-campaign-with-no-caller-id-transmits-none"),
    pytest.param(campaign(safe_harbor_message=False), "deny", {"SAFE_HARBOR_MISSING"},
                 id="a-predictive-campaign-without-the-safe-harbor-message"),
    pytest.param(campaign(mode="progressive", safe_harbor_message=False), "deny",
                 {"SAFE_HARBOR_MISSING"},
                 id="a-progressive-campaign-without-the-safe-harbor-message"),
    pytest.param(campaign(mode="preview", safe_harbor_message=False), "allow", set(),
                 id="a-preview-campaign-abandons-no-calls-and-needs-no-safe-harbor-message"),
    pytest.param(campaign(ring_timeout_s=10, abandonment_rate_30d=0.05, caller_id="withheld",
                          safe_harbor_message=False), "deny",
                 {"RING_TIMEOUT", "ABANDONMENT_LIMIT", "CALLER_ID_MISSING", "SAFE_HARBOR_MISSING"},
                 id="every-campaign-fault-is-listed"),
]  # fmt: skip


@pytest.mark.parametrize(("setup", "verdict", "want"), CAMPAIGN)
def test_a_sales_campaign_must_ring_15s_abandon_at_most_3_percent_and_show_caller_id(
    decide: Decide, setup: dict[str, Any], verdict: str, want: set[str]
) -> None:
    check(decide(sales_call(technology="autodialed", campaign=setup)), verdict, want)


# --- 8. prerecorded / artificial-voice scripts -------------------------------------------------

GOOD_SCRIPT: dict[str, Any] = {
    "identifies_firm_at_start": True,
    "states_callback_number": True,
    "offers_opt_out": True,
    "opt_out_within_2s": True,
}


def script(**over: Any) -> dict[str, Any]:
    return {**GOOD_SCRIPT, **over}


SALES_HOME = {"purpose": "marketing", "technology": "prerecorded", "line_type": "landline",
              "consents": [pewc()]}  # fmt: skip
SALES_MOBILE = {**SALES_HOME, "line_type": "wireless"}
EXEMPT_HOME = {"purpose": "reminder", "technology": "prerecorded", "line_type": "landline"}
REMINDER_MOBILE = {"purpose": "reminder", "technology": "prerecorded", "line_type": "wireless",
                   "consents": [pec()]}  # fmt: skip
LIVE_SALES = {"purpose": "marketing", "technology": "manual", "line_type": "landline"}
AI_REMINDER = {**REMINDER_MOBILE, "technology": "artificial_voice"}

SCRIPTS = [
    pytest.param(SALES_HOME, script(), "allow", set(),
                 id="a-complete-prerecorded-sales-message"),
    pytest.param(SALES_HOME, script(identifies_firm_at_start=False), "deny",
                 {"SCRIPT_NONCOMPLIANT"}, id="a-sales-message-that-does-not-name-the-firm-first"),
    pytest.param(SALES_HOME, script(states_callback_number=False), "deny",
                 {"SCRIPT_NONCOMPLIANT"}, id="a-sales-message-with-no-callback-number"),
    pytest.param(SALES_HOME, script(offers_opt_out=False), "deny", {"SCRIPT_NONCOMPLIANT"},
                 id="a-sales-message-to-a-home-line-with-no-opt-out"),
    pytest.param(SALES_HOME, script(opt_out_within_2s=False), "deny", {"SCRIPT_NONCOMPLIANT"},
                 id="a-sales-message-whose-opt-out-comes-later-than-2-seconds"),
    pytest.param(SALES_MOBILE, script(offers_opt_out=False), "deny", {"SCRIPT_NONCOMPLIANT"},
                 id="a-sales-message-to-a-mobile-with-no-opt-out"),
    pytest.param(SALES_MOBILE, script(opt_out_within_2s=False), "deny", {"SCRIPT_NONCOMPLIANT"},
                 id="a-sales-message-to-a-mobile-whose-opt-out-is-late"),
    pytest.param(EXEMPT_HOME, script(), "allow", set(),
                 id="a-complete-exempt-reminder-to-a-home-line"),
    pytest.param(EXEMPT_HOME, script(identifies_firm_at_start=False), "deny",
                 {"SCRIPT_NONCOMPLIANT"}, id="an-exempt-reminder-that-does-not-name-the-firm"),
    pytest.param(EXEMPT_HOME, script(offers_opt_out=False), "deny", {"SCRIPT_NONCOMPLIANT"},
                 id="an-exempt-reminder-to-a-home-line-with-no-opt-out"),
    pytest.param(REMINDER_MOBILE, script(), "allow", set(),
                 id="a-complete-consented-reminder-to-a-mobile"),
    pytest.param(REMINDER_MOBILE, script(states_callback_number=False), "deny",
                 {"SCRIPT_NONCOMPLIANT"}, id="a-consented-reminder-with-no-callback-number"),
    pytest.param(REMINDER_MOBILE, script(identifies_firm_at_start=False), "deny",
                 {"SCRIPT_NONCOMPLIANT"}, id="a-consented-reminder-that-does-not-name-the-firm"),
    pytest.param(REMINDER_MOBILE, script(offers_opt_out=False, opt_out_within_2s=False),
                 "allow", set(), id="a-consented-reminder-to-a-mobile-needs-no-automated-opt-out"),
    pytest.param(LIVE_SALES, script(identifies_firm_at_start=False, offers_opt_out=False),
                 "allow", set(), id="the-prerecorded-message-rules-do-not-reach-a-live-call"),
    pytest.param(AI_REMINDER, script(discloses_ai=True), "allow", set(),
                 id="an-artificial-voice-that-says-it-is-one"),
    pytest.param(AI_REMINDER, script(discloses_ai=False), "deny", {"FIRM_POLICY"},
                 id="an-artificial-voice-that-hides-it-breaks-firm-policy"),
    pytest.param(AI_REMINDER, script(identifies_firm_at_start=False, discloses_ai=True), "deny",
                 {"SCRIPT_NONCOMPLIANT"}, id="an-artificial-voice-must-also-name-the-firm"),
]  # fmt: skip


@pytest.mark.parametrize(("call", "setup", "verdict", "want"), SCRIPTS)
def test_a_prerecorded_message_names_the_firm_gives_a_number_and_offers_an_opt_out(
    decide: Decide, call: dict[str, Any], setup: dict[str, Any], verdict: str, want: set[str]
) -> None:
    check(decide(build(script=setup, **call)), verdict, want)
