"""Regulation F (12 CFR Part 1006) as the decision engine applies it to debt-collection calls.

Expectations come from the rule catalogue, section 3 (D1-D6) and section 7, and from the
decision contract (shared/design/decision-api.md), not from engine output.

Every row is a manual debt-collection call to a landline in Columbus, Ohio (area code 614,
America/New_York) about debt ACME-4471, by a firm with no other relationship to the person,
unless the row says otherwise. A manual call to a landline needs no TCPA consent and debt
collection is not telemarketing, so no consent or DNC rule applies: only the Regulation F
rule under test can fail, plus the 08:00-21:00 window (1006.6(b)(1)(i), which the firm
policy window repeats for every call).

Clock reminders (December 2026: EST = UTC-5, CST = UTC-6, PST = UTC-8; July: EDT = UTC-4,
Arizona MST = UTC-7 all year). 2026-12-02 is a Wednesday. 08:00 EST = 13:00Z;
21:00 EST = 02:00Z the next day; 08:00 PST = 16:00Z.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest

from conftest import build, codes, iso
from lexdial.domain.decision import Decision

Decide = Callable[[dict[str, Any]], Decision]

DEBT = "ACME-4471"


def regf(**facts: Any) -> dict[str, Any]:
    """A debt-collection call about DEBT; ``facts`` replace top-level keys."""
    base: dict[str, Any] = {
        "purpose": "debt_collection",
        "relationship": {"type": "none"},
        "debt": {"id": DEBT},
    }
    base.update(facts)
    return build(**base)


def debt(**over: Any) -> dict[str, Any]:
    d: dict[str, Any] = {"id": DEBT}
    d.update(over)
    return d


def call(
    at: str, outcome: str = "no_answer", debt_id: Any = DEBT, purpose: str = "debt_collection"
) -> dict[str, Any]:
    """One history entry (debt_id=None records a call with no debt id)."""
    return {"at": at, "purpose": purpose, "debt_id": debt_id, "outcome": outcome}


def daily(first: str, n: int, **kw: Any) -> list[dict[str, Any]]:
    """``n`` calls one day apart starting at ``first`` (an ISO instant ending in Z)."""
    start = datetime.fromisoformat(first.replace("Z", "+00:00"))
    return [
        call((start + timedelta(days=i)).strftime("%Y-%m-%dT%H:%M:%SZ"), **kw) for i in range(n)
    ]


def with_outcomes(calls: list[dict[str, Any]], **changes: dict[str, Any]) -> list[dict[str, Any]]:
    """Copy ``calls`` changing entry i (key ``i<n>``) with the given fields."""
    out = [dict(c) for c in calls]
    for key, fields in changes.items():
        out[int(key[1:])].update(fields)
    return out


def check(
    decide: Decide, request: dict[str, Any], verdict: str, want: set[str], when: str | None
) -> None:
    d = decide(request)
    assert d.verdict == verdict, d.to_json()["reasons"]
    assert codes(d) == want, d.to_json()["reasons"]
    assert iso(d) == when


# Seven calls at 09:00 EST (14:00Z) on Thu 26 Nov .. Wed 2 Dec: the 7 consecutive local days
# ending today. The call judged is the 8th, at 15:00 EST on Wed 2 Dec.
SEVEN = daily("2026-11-26T14:00:00Z", 7)
AT_8TH = "2026-12-02T20:00:00Z"

# --- 7-in-7 (catalogue D1, D2; 12 CFR 1006.14(b)(2)(i)(A), (b)(3)) ------------------------


@pytest.mark.parametrize(
    ("facts", "verdict", "want", "when"),
    [
        pytest.param(
            {"history": SEVEN},
            "defer",
            {"REG_F_7_IN_7"},
            "2026-12-03T13:01:00Z",
            id="seven-calls-in-seven-days-defer-the-eighth-to-next-morning-0800",
        ),
        pytest.param(
            {"history": SEVEN[1:]},
            "allow",
            set(),
            None,
            id="six-calls-in-seven-days-allow-the-seventh",
        ),
        pytest.param(
            {"history": daily("2026-11-25T14:00:00Z", 7), "at": "2026-12-02T16:00:00Z"},
            "allow",
            set(),
            None,
            id="seven-calls-whose-oldest-is-eight-local-days-ago-allow",
        ),
        pytest.param(
            # Fri 27 Nov twice, then one a day 28 Nov .. 2 Dec: on 3 Dec the window
            # 27 Nov .. 3 Dec still holds 7; the two 27 Nov calls drop out on 4 Dec.
            {"history": [call("2026-11-27T15:00:00Z"), *daily("2026-11-27T14:00:00Z", 6)]},
            "defer",
            {"REG_F_7_IN_7"},
            "2026-12-04T13:01:00Z",
            id="oldest-calls-drop-out-two-days-later-defer-to-that-day-0800",
        ),
        pytest.param(
            {
                "history": [call(f"2026-12-01T{h}:00:00Z") for h in range(14, 21)],
                "at": "2026-12-02T16:00:00Z",
            },
            "defer",
            {"REG_F_7_IN_7"},
            "2026-12-08T13:01:00Z",
            id="seven-calls-on-one-day-defer-until-that-day-leaves-the-window",
        ),
        pytest.param(
            {"history": [dict(c, outcome="voicemail") for c in SEVEN]},
            "defer",
            {"REG_F_7_IN_7"},
            "2026-12-03T13:01:00Z",
            id="voicemails-count-as-placed-calls",
        ),
        pytest.param(
            {"history": with_outcomes(SEVEN, i3={"outcome": "abandoned"})},
            "defer",
            {"REG_F_7_IN_7"},
            "2026-12-03T13:01:00Z",
            id="an-abandoned-call-counts",
        ),
        pytest.param(
            {"history": with_outcomes(SEVEN, i2={"outcome": "busy"})},
            "allow",
            set(),
            None,
            id="a-busy-signal-does-not-count",
        ),
        pytest.param(
            {"history": with_outcomes(SEVEN, i4={"outcome": "failed"})},
            "allow",
            set(),
            None,
            id="a-failed-call-does-not-count",
        ),
        pytest.param(
            {"history": with_outcomes(SEVEN, i0={"debt_id": "OTHER-9"})},
            "allow",
            set(),
            None,
            id="a-call-about-another-debt-does-not-count",
        ),
        pytest.param(
            {"history": with_outcomes(SEVEN, i0={"debt_id": None}, i5={"debt_id": None})},
            "defer",
            {"REG_F_7_IN_7"},
            "2026-12-03T13:01:00Z",
            id="calls-without-a-debt-id-count-toward-this-debt",
        ),
        pytest.param(
            {"history": SEVEN, "debt": debt(represented_by_attorney=True)},
            "deny",
            {"ATTORNEY_REPRESENTED", "REG_F_7_IN_7"},
            None,
            id="deny-wins-over-defer-and-every-failing-rule-is-listed",
        ),
        pytest.param(
            # Seven calls at 06:00Z = 01:00 EST on 26 Nov .. 2 Dec, but 22:00 PST on
            # 25 Nov .. 1 Dec. The address is in Los Angeles. Eastern days fail today;
            # Pacific days pass. Next: midnight EST on 3 Dec, then 08:00 in both zones.
            {
                "history": daily("2026-11-26T06:00:00Z", 7),
                "address": {"country": "US", "state": "CA", "time_zone": "America/Los_Angeles"},
            },
            "defer",
            {"REG_F_7_IN_7"},
            "2026-12-03T16:01:00Z",
            id="days-are-counted-in-every-candidate-zone",
        ),
    ],
)
def test_an_eighth_call_within_seven_consecutive_local_days_is_deferred(
    decide: Decide, facts: dict[str, Any], verdict: str, want: set[str], when: str | None
) -> None:
    facts = {"at": AT_8TH, **facts}
    check(decide, regf(**facts), verdict, want, when)


# --- 7 days after a conversation (D1; 1006.14(b)(2)(i)(B)) --------------------------------


@pytest.mark.parametrize(
    ("facts", "verdict", "want", "when"),
    [
        pytest.param(
            {"history": [call("2026-12-01T14:00:00Z", "conversation")]},
            "defer",
            {"REG_F_CONVERSATION"},
            "2026-12-08T13:01:00Z",
            id="conversation-yesterday-defers-to-day-eight-at-0800",
        ),
        pytest.param(
            {"history": [call("2026-12-02T14:00:00Z", "conversation")]},
            "defer",
            {"REG_F_CONVERSATION"},
            "2026-12-09T13:01:00Z",
            id="conversation-earlier-today-defers-to-day-eight",
        ),
        pytest.param(
            {
                "history": [call("2026-11-25T14:00:00Z", "conversation")],
                "at": "2026-12-01T23:00:00Z",
            },
            "defer",
            {"REG_F_CONVERSATION"},
            "2026-12-02T13:01:00Z",
            id="day-seven-is-still-inside-the-period",
        ),
        pytest.param(
            {
                "history": [call("2026-11-25T14:00:00Z", "conversation")],
                "at": "2026-12-02T13:00:01Z",
            },
            "allow",
            set(),
            None,
            id="day-eight-as-the-window-opens-is-allowed",
        ),
        pytest.param(
            # 20:30 EST on 25 Nov is 01:30Z on 26 Nov: day 1 is the consumer's local date.
            {
                "history": [call("2026-11-26T01:30:00Z", "conversation")],
                "at": "2026-12-02T13:00:01Z",
            },
            "allow",
            set(),
            None,
            id="the-conversation-day-is-the-local-date-not-the-utc-date",
        ),
        pytest.param(
            {"history": [call("2026-12-01T14:00:00Z", "conversation", debt_id="OTHER-9")]},
            "allow",
            set(),
            None,
            id="a-conversation-about-another-debt-does-not-count",
        ),
        pytest.param(
            {"history": [call("2026-12-01T14:00:00Z", "conversation", debt_id=None)]},
            "defer",
            {"REG_F_CONVERSATION"},
            "2026-12-08T13:01:00Z",
            id="a-conversation-without-a-debt-id-counts",
        ),
        pytest.param(
            {
                "history": [
                    call("2026-12-01T14:00:00Z", "conversation", debt_id=None, purpose="reminder")
                ]
            },
            "allow",
            set(),
            None,
            id="a-conversation-on-a-reminder-call-is-not-about-the-debt",
        ),
        pytest.param(
            {"history": [call("2026-12-01T14:00:00Z", "voicemail")]},
            "allow",
            set(),
            None,
            id="a-voicemail-is-not-a-conversation",
        ),
        pytest.param(
            # SEVEN ends with a conversation at 09:00 EST today: 7-in-7 frees 3 Dec,
            # the conversation period frees 9 Dec; both reasons are listed.
            {"history": with_outcomes(SEVEN, i6={"outcome": "conversation"}), "at": AT_8TH},
            "defer",
            {"REG_F_7_IN_7", "REG_F_CONVERSATION"},
            "2026-12-09T13:01:00Z",
            id="both-presumptions-fail-and-the-later-one-decides",
        ),
    ],
)
def test_no_call_within_seven_days_after_a_conversation_about_the_debt(
    decide: Decide, facts: dict[str, Any], verdict: str, want: set[str], when: str | None
) -> None:
    facts = {"at": "2026-12-02T16:00:00Z", **facts}
    check(decide, regf(**facts), verdict, want, when)


# --- 08:00-21:00 at the consumer's location, every candidate zone (D3, D4, section 7) -----

LOS_ANGELES = {"country": "US", "state": "CA", "time_zone": "America/Los_Angeles"}
TALLAHASSEE = {"country": "US", "state": "FL", "time_zone": "America/New_York"}
PHOENIX = {"country": "US", "state": "AZ", "time_zone": "America/Phoenix"}


@pytest.mark.parametrize(
    ("facts", "verdict", "want", "when"),
    [
        pytest.param(
            {"at": "2026-12-02T12:59:00Z"},
            "defer",
            {"CALLING_HOURS"},
            "2026-12-02T13:01:00Z",
            id="0759-local-defers-to-0800",
        ),
        # 1006.6(b)(1)(i): convenient is "after 8:00 a.m. and before 9:00 p.m."
        pytest.param(
            {"at": "2026-12-02T13:00:00Z"},
            "defer",
            {"CALLING_HOURS"},
            "2026-12-02T13:01:00Z",
            id="0800-00-local-is-not-after-8-am",
        ),
        pytest.param(
            {"at": "2026-12-02T13:00:00.500000Z"},
            "allow",
            set(),
            None,
            id="half-a-second-after-0800-local-is-allowed",
        ),
        pytest.param(
            {"at": "2026-12-02T13:00:01Z"}, "allow", set(), None, id="0800-01-local-is-allowed"
        ),
        pytest.param(
            {"at": "2026-12-03T01:59:00Z"}, "allow", set(), None, id="2059-local-is-allowed"
        ),
        pytest.param(
            {"at": "2026-12-03T02:00:00Z"},
            "defer",
            {"CALLING_HOURS"},
            "2026-12-03T13:01:00Z",
            id="2100-local-defers-to-next-morning-0800",
        ),
        pytest.param(
            {"at": "2026-07-15T11:59:00Z"},
            "defer",
            {"CALLING_HOURS"},
            "2026-07-15T12:01:00Z",
            id="summer-time-0759-edt-defers-to-0800-edt",
        ),
        pytest.param(
            {"at": "2026-07-15T14:59:00Z", "number": "+1 602 555 0100", "address": PHOENIX},
            "defer",
            {"CALLING_HOURS"},
            "2026-07-15T15:01:00Z",
            id="arizona-keeps-standard-time-in-summer",
        ),
        pytest.param(
            # 10:30 EST in Ohio by area code, 07:30 PST at the Los Angeles address.
            {"at": "2026-12-02T15:30:00Z", "address": LOS_ANGELES},
            "defer",
            {"CALLING_HOURS"},
            "2026-12-02T16:01:00Z",
            id="area-code-and-address-zones-both-must-be-0800",
        ),
        pytest.param(
            {"at": "2026-12-02T16:00:01Z", "address": LOS_ANGELES},
            "allow",
            set(),
            None,
            id="0800-at-the-later-zone-is-allowed",
        ),
        pytest.param(
            # 21:00 EST, 18:00 PST: the earlier zone closes; both open at 08:00 PST.
            {"at": "2026-12-03T02:00:00Z", "address": LOS_ANGELES},
            "defer",
            {"CALLING_HOURS"},
            "2026-12-03T16:01:00Z",
            id="2100-in-the-earlier-zone-defers-to-0800-in-the-later-zone",
        ),
        pytest.param(
            # 850 spans Eastern and Central: 08:30 EST is 07:30 CST.
            {"at": "2026-12-02T13:30:00Z", "number": "+1 850 555 0100", "address": TALLAHASSEE},
            "defer",
            {"CALLING_HOURS"},
            "2026-12-02T14:01:00Z",
            id="split-area-code-waits-for-0800-central",
        ),
        pytest.param(
            {"at": "2026-12-03T02:00:00Z", "number": "+1 850 555 0100", "address": TALLAHASSEE},
            "defer",
            {"CALLING_HOURS"},
            "2026-12-03T14:01:00Z",
            id="split-area-code-closes-at-2100-eastern",
        ),
    ],
)
def test_debt_collection_calls_only_between_0800_and_2100_in_every_candidate_zone(
    decide: Decide, facts: dict[str, Any], verdict: str, want: set[str], when: str | None
) -> None:
    check(decide, regf(**facts), verdict, want, when)


# --- consumer-designated inconvenient times (D3; 1006.6(b)(1)(ii)) ------------------------


def times(*ranges: tuple[str, str]) -> dict[str, Any]:
    return debt(inconvenient_times=[{"start": a, "end": b} for a, b in ranges])


@pytest.mark.parametrize(
    ("facts", "verdict", "want", "when"),
    [
        pytest.param(
            {"at": "2026-12-02T14:00:00Z", "debt": times(("08:00", "10:00"))},
            "defer",
            {"INCONVENIENT_TIME"},
            "2026-12-02T15:00:00Z",
            id="inside-a-designated-range-defers-to-its-end",
        ),
        pytest.param(
            {"at": "2026-12-02T15:00:00Z", "debt": times(("08:00", "10:00"))},
            "allow",
            set(),
            None,
            id="the-end-of-the-range-is-exclusive",
        ),
        pytest.param(
            {"at": "2026-12-02T12:59:00Z", "debt": times(("13:00", "14:00"))},
            "defer",
            {"CALLING_HOURS"},
            "2026-12-02T13:01:00Z",
            id="a-range-elsewhere-in-the-day-does-not-apply",
        ),
        pytest.param(
            # 20:30 EST on Wed, range 20:00-09:00 wraps midnight: free at 09:00 Thu.
            {"at": "2026-12-03T01:30:00Z", "debt": times(("20:00", "09:00"))},
            "defer",
            {"INCONVENIENT_TIME"},
            "2026-12-03T14:00:00Z",
            id="range-wrapping-midnight-evening-part-defers-to-next-morning",
        ),
        pytest.param(
            {"at": "2026-12-02T13:30:00Z", "debt": times(("20:00", "09:00"))},
            "defer",
            {"INCONVENIENT_TIME"},
            "2026-12-02T14:00:00Z",
            id="range-wrapping-midnight-morning-part-defers-to-its-end",
        ),
        pytest.param(
            {"at": "2026-12-02T14:00:00Z", "debt": times(("20:00", "09:00"))},
            "allow",
            set(),
            None,
            id="range-wrapping-midnight-allows-after-its-end",
        ),
        pytest.param(
            {"at": "2026-12-02T14:00:00Z", "debt": times(("08:00", "12:00"), ("12:00", "14:00"))},
            "defer",
            {"INCONVENIENT_TIME"},
            "2026-12-02T19:00:00Z",
            id="chained-ranges-defer-to-the-end-of-the-chain",
        ),
        pytest.param(
            {"at": "2026-12-02T14:00:00Z", "debt": times(("12:00", "14:00"), ("08:00", "12:00"))},
            "defer",
            {"INCONVENIENT_TIME"},
            "2026-12-02T19:00:00Z",
            id="chained-ranges-listed-out-of-order",
        ),
        pytest.param(
            {"at": "2026-12-02T14:30:00Z", "debt": times(("09:00", "11:00"), ("10:30", "13:00"))},
            "defer",
            {"INCONVENIENT_TIME"},
            "2026-12-02T18:00:00Z",
            id="overlapping-ranges-defer-to-the-later-end",
        ),
        pytest.param(
            # 19:30 EST Wed; 19:00-23:00 chains into 22:00-09:00: free 09:00 Thu.
            {"at": "2026-12-03T00:30:00Z", "debt": times(("19:00", "23:00"), ("22:00", "09:00"))},
            "defer",
            {"INCONVENIENT_TIME"},
            "2026-12-03T14:00:00Z",
            id="chain-continuing-past-midnight",
        ),
        pytest.param(
            # 07:30 EST is before 08:00 and inside 07:00-09:00: both fail, free at 09:00.
            {"at": "2026-12-02T12:30:00Z", "debt": times(("07:00", "09:00"))},
            "defer",
            {"CALLING_HOURS", "INCONVENIENT_TIME"},
            "2026-12-02T14:00:00Z",
            id="inconvenient-range-overlapping-the-0800-start",
        ),
        pytest.param(
            # 18:30 EST, range 18:00-23:00 ends after 21:00: next lawful time 08:00 Thu.
            {"at": "2026-12-02T23:30:00Z", "debt": times(("18:00", "23:00"))},
            "defer",
            {"INCONVENIENT_TIME"},
            "2026-12-03T13:01:00Z",
            id="range-ending-after-2100-defers-to-next-morning",
        ),
        pytest.param(
            # 12:00 EST but 09:00 PST at the address: the consumer's range is local.
            {
                "at": "2026-12-02T17:00:00Z",
                "address": LOS_ANGELES,
                "debt": times(("08:00", "10:00")),
            },
            "defer",
            {"INCONVENIENT_TIME"},
            "2026-12-02T18:00:00Z",
            id="inconvenient-time-judged-in-every-candidate-zone",
        ),
        pytest.param(
            # The two ranges cover the whole day: no time is ever convenient.
            {"at": "2026-12-02T16:00:00Z", "debt": times(("00:00", "12:00"), ("12:00", "00:00"))},
            "deny",
            {"INCONVENIENT_TIME"},
            None,
            id="a-consumer-who-finds-every-hour-inconvenient-cannot-be-called",
        ),
    ],
)
def test_times_the_consumer_said_are_inconvenient_are_honoured(
    decide: Decide, facts: dict[str, Any], verdict: str, want: set[str], when: str | None
) -> None:
    check(decide, regf(**facts), verdict, want, when)


# --- represented consumer (D5; 1006.6(b)(2)) ----------------------------------------------


@pytest.mark.parametrize(
    ("debt_facts", "verdict", "want"),
    [
        pytest.param(
            {"represented_by_attorney": True},
            "deny",
            {"ATTORNEY_REPRESENTED"},
            id="represented-flag-denies",
        ),
        pytest.param(
            {"represented_since": "2026-11-20T15:00:00Z"},
            "deny",
            {"ATTORNEY_REPRESENTED"},
            id="represented-since-before-the-call-denies",
        ),
        pytest.param(
            {"represented_since": "2026-12-02"},
            "deny",
            {"ATTORNEY_REPRESENTED"},
            id="represented-since-a-date-that-began-before-the-call-denies",
        ),
        pytest.param(
            {"represented_since": "2026-12-03T09:00:00Z"},
            "allow",
            set(),
            id="represented-since-after-the-call-allows",
        ),
        pytest.param(
            {"represented_by_attorney": False}, "allow", set(), id="not-represented-allows"
        ),
    ],
)
def test_a_consumer_represented_by_an_attorney_is_not_called(
    decide: Decide, debt_facts: dict[str, Any], verdict: str, want: set[str]
) -> None:
    check(decide, regf(debt=debt(**debt_facts)), verdict, want, None)


# --- limited-content voicemail (D6; 1006.2(j), 1006.6(d)) ---------------------------------


@pytest.mark.parametrize(
    ("text", "verdict", "want"),
    [
        pytest.param(
            "Hi, this is Jane Smith from Hartwell & Ruiz LLP. Please call me back at 614-555-0199.",
            "allow",
            set(),
            id="business-name-person-and-callback-number-is-an-lcm",
        ),
        pytest.param(
            "Hello, this message is for John Doe. This is Jane Smith with Hartwell & Ruiz LLP, "
            "calling on Wednesday morning. Please call me or any representative at "
            "614-555-0199, weekdays between 9 and 5.",
            "allow",
            set(),
            id="lcm-with-the-optional-salutation-date-and-reply-times",
        ),
        pytest.param(
            "Hi, this is Jane Smith from Hartwell & Ruiz LLP. Please call me back at "
            "614-555-0199; in case I am out, any representative can help you.",
            "allow",
            set(),
            id="lcm-saying-in-case-i-am-out-reveals-nothing",
        ),
        pytest.param(
            "This is Jane Smith from Hartwell & Ruiz LLP about your overdue balance of $1,250. "
            "Call 614-555-0199.",
            "deny",
            {"VOICEMAIL_DISCLOSURE"},
            id="naming-the-balance-is-not-an-lcm",
        ),
        pytest.param(
            "Jane Smith from Hartwell & Ruiz LLP calling about a debt. Call 614-555-0199.",
            "deny",
            {"VOICEMAIL_DISCLOSURE"},
            id="naming-the-debt-is-not-an-lcm",
        ),
        pytest.param(
            "Jane Smith from Hartwell & Ruiz LLP. Please call 614-555-0199 to arrange a payment.",
            "deny",
            {"VOICEMAIL_DISCLOSURE"},
            id="asking-for-a-payment-is-not-an-lcm",
        ),
        pytest.param(
            "This is Jane Smith from the Hartwell & Ruiz collections department. Call "
            "614-555-0199.",
            "deny",
            {"VOICEMAIL_DISCLOSURE"},
            id="a-business-name-that-shows-debt-collection",
        ),
        pytest.param(
            "Jane Smith from Hartwell & Ruiz LLP. Please call 614-555-0199 about the money "
            "you still need to pay our client.",
            "deny",
            {"VOICEMAIL_DISCLOSURE"},
            id="describing-the-debt-in-other-words",
        ),
    ],
)
def test_a_debt_collection_voicemail_must_be_a_limited_content_message(
    decide: Decide, text: str, verdict: str, want: set[str]
) -> None:
    check(decide, regf(script={"voicemail_text": text}), verdict, want, None)
