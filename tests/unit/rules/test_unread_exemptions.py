"""State exemptions that hang on facts the request does not carry (lawyer review, pack
2026.12.5): the rule stays applied, and its note says which fact is missing.

- 15 O.S. 775C.5(3), Oklahoma's face-to-face exemption: exempt is a person who makes no
  major sales presentation and completes no sale during the call, "but who makes the major
  sales presentation and completes the sale at a later face-to-face meeting". Nothing in
  the request says how the firm's sale is made, so the Act's hours (775C.4: 8 a.m.-8 p.m.)
  and cap (3 calls in 24 hours on the same subject) judge a call that only books an
  in-person consultation.
- RCW 19.158.020(3)(a)(ii), Washington's 60 % exclusion: not a "commercial telephone
  solicitor" is a person "Less than sixty percent of" whose "prior year's sales were made
  as a result of a commercial telephone solicitation". The share is a fact about the firm
  that no request carries, so 19.158.040(2)'s "received before 8:00 a.m. or after 8:00
  p.m." binds every firm.
- N.J.S.A. 56:8-128(d): the exclusions of "telemarketing sales call" (56:8-120) were not
  found in any stored copy; a current client (an "existing customer" or "established
  customer" in N.J.A.C. 13:45D-1.3) is still judged by the 9 p.m.-8 a.m. ban.

Expected instants are written from the statutes' clocks (local time with its UTC offset),
never from the engine's output. A refusal under these rules is the law's (its state code
and citation), never the firm's policy (FIRM_POLICY), and a firm setting does not stand in
for the missing fact.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from conftest import build, codes, iso
from lexdial.adapters.rulepack import load_pack
from lexdial.domain.decision import Decision

Decide = Callable[[dict[str, Any]], Decision]

OK_NUMBER = "+1 405 555 0111"  # Oklahoma City, America/Chicago only
WA_NUMBER = "+1 206 555 0113"  # Seattle, America/Los_Angeles only
NJ_NUMBER = "+1 201 555 0120"  # Jersey City, America/New_York only
CONSULTATION = "free consultation at our Tulsa office"


def sales_call(at: str, number: str, **facts: Any) -> dict[str, Any]:
    """A person's (manual) sales call to a former client, registry copy clear and fresh."""
    base: dict[str, Any] = {
        "at": at,
        "number": number,
        "line_type": "landline",
        "address": None,
        "purpose": "marketing",
        "technology": "manual",
        "subject": CONSULTATION,
        "relationship": {"type": "former_client", "last_transaction_on": "2026-03-01"},
        "suppression": {
            "national_dnc": False,
            "state_dnc": False,
            "internal_dnc": False,
            "registry_synced_on": at[:10],
        },
    }
    base.update(facts)
    return build(**base)


def reason_of(d: Decision, rule: str) -> Any:
    return next(r for r in d.reasons if r.rule == rule)


# --- 15 O.S. 775C.5(3): the face-to-face exemption, facts missing --------------------------


def test_an_oklahoma_call_booking_an_in_person_consultation_is_still_held_to_8_pm(
    decide: Decide,
) -> None:
    # Wed 2026-12-09 20:30 CST = 2026-12-10T02:30Z: after 775C.4's 8 p.m., before the
    # federal 9 p.m. and the firm's 21:00; next 08:00 CST = 14:00Z
    d = decide(sales_call("2026-12-10T02:30:00Z", OK_NUMBER))
    assert (d.verdict, codes(d), iso(d)) == (
        "defer",
        {"STATE_CALLING_HOURS"},
        "2026-12-10T14:00:00Z",
    ), d.to_json()["reasons"]
    reason = reason_of(d, "us-ok.calling-hours")
    assert reason.citation == "15 O.S. 775C.4"
    assert "policy" not in reason.message.lower()


def test_an_oklahoma_fourth_sales_call_on_the_same_subject_waits_out_the_24_hours(
    decide: Decide,
) -> None:
    # three calls on Wed 2026-12-09 at 10:00, 12:00 and 14:00 CST (16:00Z, 18:00Z, 20:00Z);
    # a fourth at 16:00 CST (22:00Z) is over 775C.4's three in 24 hours until the first
    # rolls off: at Thu 10:00:00 CST (16:00Z) it is still "within" 24 hours (frequency
    # Rule 1, inclusive), so the first whole minute after it, 16:01Z
    history = [
        {"at": at, "purpose": "marketing", "subject": CONSULTATION, "outcome": "no_answer"}
        for at in ("2026-12-09T16:00:00Z", "2026-12-09T18:00:00Z", "2026-12-09T20:00:00Z")
    ]
    d = decide(sales_call("2026-12-09T22:00:00Z", OK_NUMBER, history=history))
    assert (d.verdict, codes(d), iso(d)) == (
        "defer",
        {"FREQUENCY_CAP"},
        "2026-12-10T16:01:00Z",
    ), d.to_json()["reasons"]
    assert reason_of(d, "us-ok.frequency").citation == "15 O.S. 775C.4"


def test_an_oklahoma_reminder_at_20_30_is_no_sales_call_and_needs_no_exemption(
    decide: Decide,
) -> None:
    d = decide(sales_call("2026-12-10T02:30:00Z", OK_NUMBER, purpose="reminder", subject=None))
    assert (d.verdict, codes(d), iso(d)) == ("allow", set(), None), d.to_json()["reasons"]


# --- RCW 19.158.020(3)(a)(ii): the 60 % exclusion, the firm's share missing ----------------

WASHINGTON = [
    # Wed 2026-12-09 20:30 PST = 2026-12-10T04:30Z; next 08:00 PST = 16:00Z
    pytest.param("2026-12-10T04:30:00Z", "consumer", set(),
                 id="19-158-040-2-a-consumer-line-at-20-30"),
    # 19:58 PST = 03:58Z: placed before 8 p.m., but may be "received ... after 8:00 p.m."
    pytest.param("2026-12-10T03:58:00Z", "consumer", set(),
                 id="19-158-040-2-a-call-placed-at-19-58-may-be-received-after-8-pm"),
    # a business line: chapter 19.158 has no consumer limit, so the law still holds it;
    # the federal window (residential subscribers) and the firm's 21:00 do not fail
    pytest.param("2026-12-10T04:30:00Z", "business", set(),
                 id="19-158-040-2-a-business-line-is-held-by-the-law-not-by-policy"),
]  # fmt: skip


@pytest.mark.parametrize(("at", "subscriber", "more"), WASHINGTON)
def test_a_law_firms_washington_sales_call_is_held_to_8_pm_whatever_its_telephone_sales_share(
    decide: Decide, at: str, subscriber: str, more: set[str]
) -> None:
    d = decide(sales_call(at, WA_NUMBER, subscriber=subscriber))
    assert (d.verdict, codes(d), iso(d)) == (
        "defer",
        {"STATE_CALLING_HOURS", *more},
        "2026-12-10T16:00:00Z",
    ), d.to_json()["reasons"]
    reason = reason_of(d, "us-wa.calling-hours")
    assert reason.citation == "RCW 19.158.040(2)"
    assert reason.code == "STATE_CALLING_HOURS"


# --- N.J.S.A. 56:8-128(d): the statute's exclusions unread ---------------------------------

NEW_JERSEY = [
    # Wed 2026-12-09 08:00:00 EST = 13:00Z: "between the hours of 9:00 p.m. and 8:00 a.m."
    # read protectively takes in 08:00:00; a defer names 08:01
    pytest.param("2026-12-09T13:00:00Z", "consumer", {"STATE_CALLING_HOURS"},
                 "2026-12-09T13:01:00Z",
                 id="56-8-128-d-a-current-client-at-08-00-00"),
    # Wed 21:30 EST = 2026-12-10T02:30Z on a business line: the federal window protects
    # residential subscribers only, and the firm's 21:00 spares a person's call to a current
    # client (policy_spares_manual_to), so 56:8-128(d) alone holds it; next 08:01 EST
    pytest.param("2026-12-10T02:30:00Z", "business", {"STATE_CALLING_HOURS"},
                 "2026-12-10T13:01:00Z",
                 id="56-8-128-d-only-the-law-holds-a-current-clients-business-line-at-21-30"),
]  # fmt: skip


@pytest.mark.parametrize(("at", "subscriber", "want", "when"), NEW_JERSEY)
def test_a_new_jersey_current_client_is_judged_by_the_9_pm_to_8_am_ban(
    decide: Decide, at: str, subscriber: str, want: set[str], when: str
) -> None:
    d = decide(
        sales_call(
            at,
            NJ_NUMBER,
            subscriber=subscriber,
            relationship={"type": "current_client"},
        )
    )
    assert (d.verdict, codes(d), iso(d)) == ("defer", want, when), d.to_json()["reasons"]
    reason = reason_of(d, "us-nj.calling-hours")
    assert "56:8-128(d)" in reason.citation
    assert "policy" not in reason.message.lower()


# --- the record: each note names the provision read and the fact that is missing -----------

NOTES = [
    pytest.param("us-ok.calling-hours",
                 ("at a later face-to-face meeting", "775C.2"),
                 ("no one is sent", "concluded at a later face-to-face meeting"),
                 id="775c-5-3"),
    pytest.param("us-ok.frequency",
                 ("at a later face-to-face meeting",),
                 ("no one is sent",),
                 id="775c-5-3-reaches-the-cap-too"),
    pytest.param("us-wa.calling-hours",
                 ("Less than sixty percent of such person's prior year's sales",),
                 ("share of the firm's sales in the prior",),
                 id="rcw-19-158-020-3-a-ii"),
    pytest.param("us-nj.calling-hours",
                 ("'Existing customer' means", "'Isolated call' means"),
                 ("that the engagement is in", "the person called is the party to it"),
                 id="njac-13-45d-1-3"),
]  # fmt: skip


@pytest.mark.parametrize(("rule", "quoted", "missing"), NOTES)
def test_an_unapplied_exemption_is_quoted_and_its_missing_fact_named_in_the_rules_note(
    rule: str, quoted: tuple[str, ...], missing: tuple[str, ...]
) -> None:
    # notes are folded YAML: compare with single spaces
    note = " ".join(load_pack().by_id()[rule].note.split())
    for words in (*quoted, *missing):
        assert words in note, words
    assert "NOT APPLIED" in note
