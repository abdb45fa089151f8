"""US state rules: catalogue table 4.1 (hours, Sunday and holiday bans, frequency caps,
technology and consent rules), one block of rows per state.

Every expected value comes from the rule catalogue (sections 4, 7 and 8) and the decision
contract v1, never from the engine's output. Rows state local times with the UTC offset in
force written out ("2026-12-09 20:00 EST"), so the expectation shows the law's clock.

What else applies to every row (and so is part of the exact code set):

- Federal 08:00-21:00 for telephone solicitations (47 CFR 64.1200(c)(1); TSR 310.4(c)) and
  the firm policy window 08:00-21:00 for every call: both report CALLING_HOURS. A state
  window that starts or ends with the federal one therefore adds CALLING_HOURS too.
- Federal consent: a prerecorded or artificial-voice sales call to a consumer needs PEWC
  (T3, F3); an autodialed call with a live agent to a landline needs none (T1-T3). Rows
  about a state technology rule give a PEWC, or call a business line (outside the TSR and
  64.1200(a)(3)), so that only the state rule is judged.
- Bar rules: every row is a current or former client, so no solicitation rule bites (6.1-6.2).
- Windows are start inclusive, end exclusive, in the called person's local time (section 0).
- A defer's earliest_allowed_at is the first instant at which every rule passes (contract).

The weeks used: Mon 2026-12-07 .. Sun 2026-12-13 (standard time) and Mon 2026-07-13 ..
Sun 2026-07-19 (daylight time). Every number is a 555-01xx number in the state's area code.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

import pytest

from conftest import build, codes, iso, pec, pewc
from lexdial.domain.decision import Decision

Decide = Callable[[dict[str, Any]], Decision]

#: UTC offsets of the US civil times the rows are written in (15 U.S.C. 260a, 263)
OFFSETS = {
    "EST": -5, "EDT": -4, "CST": -6, "CDT": -5, "MST": -7, "MDT": -6, "PST": -8, "PDT": -7,
}  # fmt: skip


def utc(local: str) -> str:
    """'2026-12-09 20:00 EST' -> '2026-12-10T01:00:00Z'."""
    day, clock, abbr = local.split()
    naive = datetime.fromisoformat(f"{day}T{clock}")
    return (naive - timedelta(hours=OFFSETS[abbr])).strftime("%Y-%m-%dT%H:%M:%SZ")


#: state -> (a number in one of its area codes, the IANA zone of that area code)
AREA = {
    "FL": ("+1 813 555 0110", "America/New_York"),  # Tampa
    "OK": ("+1 405 555 0111", "America/Chicago"),  # Oklahoma City
    "MD": ("+1 410 555 0112", "America/New_York"),  # Baltimore
    "WA": ("+1 206 555 0113", "America/Los_Angeles"),  # Seattle
    "TX": ("+1 512 555 0114", "America/Chicago"),  # Austin
    "LA": ("+1 504 555 0115", "America/Chicago"),  # New Orleans
    "AL": ("+1 205 555 0116", "America/Chicago"),  # Birmingham
    "MS": ("+1 601 555 0117", "America/Chicago"),  # Jackson
    "IN": ("+1 317 555 0118", "America/Indiana/Indianapolis"),  # Indianapolis
    "CT": ("+1 860 555 0119", "America/New_York"),  # Hartford
    "NJ": ("+1 201 555 0120", "America/New_York"),  # Jersey City
    "PA": ("+1 215 555 0121", "America/New_York"),  # Philadelphia
    "GA": ("+1 404 555 0122", "America/New_York"),  # Atlanta
    "NY": ("+1 212 555 0123", "America/New_York"),  # Manhattan
    "UT": ("+1 801 555 0124", "America/Denver"),  # Salt Lake City
    "MA": ("+1 617 555 0125", "America/New_York"),  # Boston
    "RI": ("+1 401 555 0126", "America/New_York"),  # Providence
    "VA": ("+1 804 555 0127", "America/New_York"),  # Richmond
    "KY": ("+1 502 555 0128", "America/New_York"),  # Louisville
    "NV": ("+1 702 555 0129", "America/Los_Angeles"),  # Las Vegas
    "MI": ("+1 313 555 0130", "America/Detroit"),  # Detroit
    "MN": ("+1 612 555 0131", "America/Chicago"),  # Minneapolis
    "NM": ("+1 505 555 0132", "America/Denver"),  # Albuquerque
    # 402 also serves western Cherry County, which keeps Mountain time: that zone is a
    # candidate too (catalogue 7, step 1: every zone of the area code).
    "NE": ("+1 402 555 0133", "America/Chicago"),  # Omaha
    "IL": ("+1 312 555 0134", "America/Chicago"),  # Chicago
}

CLIENT = {"type": "current_client"}
#: last matter closed 2026-03-01: an EBR (18 months) at every date used here
FORMER = {"type": "former_client", "last_transaction_on": "2026-03-01"}
#: last matter closed 2025-04-01: more than 18 months before December 2026
LAPSED = {"type": "former_client", "last_transaction_on": "2025-04-01"}
NOBODY = {"type": "none"}
#: prior express (oral) consent to sales calls, naming the firm
ORAL = pec(scope=["marketing"])
SUBJECT = "estate plan review"


def call(
    state: str,
    when: str,
    *,
    purpose: str = "marketing",
    technology: str = "manual",
    state_dnc: bool = False,
    **facts: Any,
) -> dict[str, Any]:
    """A call at local time ``when`` to a number in ``state``'s area code, addressed there.

    The national registry copy is two days old (fresh, H3) and the number is on no list.
    """
    number, tz = AREA[state]
    number = facts.pop("number", number)
    at = utc(when)
    synced = date.fromisoformat(at[:10]) - timedelta(days=2)
    facts.setdefault("address", {"country": "US", "state": state, "time_zone": tz})
    facts.setdefault(
        "suppression",
        {
            "national_dnc": False,
            "state_dnc": state_dnc,
            "internal_dnc": False,
            "registry_synced_on": synced.isoformat(),
        },
    )
    return build(at=at, number=number, purpose=purpose, technology=technology, **facts)


def calls(*whens: str, subject: str = SUBJECT, purpose: str = "marketing") -> list[dict[str, Any]]:
    """History entries: earlier calls to the same person."""
    return [
        {"at": utc(w), "purpose": purpose, "subject": subject, "outcome": "no_answer"}
        for w in whens
    ]


HOURS = {"CALLING_HOURS", "STATE_CALLING_HOURS"}
COLD = {"type": "none"}
#: a recorded sales call to a stranger who gave the written consent federal law needs
LA_ROBO: dict[str, Any] = {
    "technology": "prerecorded",
    "relationship": {"type": "none"},
    "consents": [pewc()],
}
STATE_HOURS = {"STATE_CALLING_HOURS"}
DAY = {"DAY_RESTRICTED"}
CAP = {"FREQUENCY_CAP"}
BANNED = {"TECHNOLOGY_BANNED"}
NONE: set[str] = set()


def row(req: dict[str, Any], verdict: str, want: set[str], earliest: str | None, id: str) -> Any:
    return pytest.param(req, verdict, want, earliest, id=id)


ROWS = [
    # --- Florida: 08:00-20:00; 3 per 24 h same subject; PEWC for automated sales calls;
    # a Florida area code is presumed to reach a person in Florida (501.059(8)(d)).
    row(
        call("FL", "2026-12-09 07:59 EST"),
        "defer",
        HOURS,
        "2026-12-09 08:00 EST",
        id="fl-07-59-defers-to-08-00",
    ),
    row(call("FL", "2026-12-09 08:00 EST"), "allow", NONE, None, id="fl-08-00-is-allowed"),
    row(call("FL", "2026-12-09 19:59 EST"), "allow", NONE, None, id="fl-19-59-is-allowed"),
    row(
        call("FL", "2026-12-09 20:00 EST"),
        "defer",
        STATE_HOURS,
        "2026-12-10 08:00 EST",
        id="fl-20-00-defers-to-next-08-00",
    ),
    row(
        call(
            "FL",
            "2026-12-09 14:00 EST",
            subject=SUBJECT,
            history=calls("2026-12-08 15:00 EST", "2026-12-09 09:00 EST"),
        ),
        "allow",
        NONE,
        None,
        id="fl-third-sales-call-in-24h-is-allowed",
    ),
    row(
        call(
            "FL",
            "2026-12-09 14:00 EST",
            subject=SUBJECT,
            history=calls("2026-12-08 15:00 EST", "2026-12-09 09:00 EST", "2026-12-09 11:00 EST"),
        ),
        "defer",
        CAP,
        "2026-12-09 15:01 EST",
        id="fl-fourth-call-waits-for-the-oldest-to-roll-off",
    ),
    row(
        call(
            "FL",
            "2026-12-09 19:30 EST",
            subject=SUBJECT,
            history=calls("2026-12-09 08:00 EST", "2026-12-09 10:00 EST", "2026-12-09 12:00 EST"),
        ),
        "defer",
        CAP,
        "2026-12-10 08:01 EST",
        id="fl-fourth-call-rolls-off-next-morning",
    ),
    row(
        call(
            "FL",
            "2026-12-09 14:00 EST",
            subject=SUBJECT,
            history=calls(
                "2026-12-08 15:00 EST",
                "2026-12-09 09:00 EST",
                "2026-12-09 11:00 EST",
                subject="personal injury intake",
            ),
        ),
        "allow",
        NONE,
        None,
        id="fl-calls-on-another-subject-do-not-count",
    ),
    row(
        call(
            "FL",
            "2026-12-09 14:00 EST",
            subject=SUBJECT,
            history=calls(
                "2026-12-08 15:00 EST",
                "2026-12-09 09:00 EST",
                "2026-12-09 11:00 EST",
                purpose="reminder",
            ),
        ),
        "allow",
        NONE,
        None,
        id="fl-reminder-calls-are-not-solicitations-and-do-not-count",
    ),
    row(
        call("FL", "2026-12-09 14:00 EST", technology="autodialed"),
        "deny",
        {"NO_CONSENT"},
        None,
        id="fl-autodialed-sales-call-without-consent-denied",
    ),
    row(
        call("FL", "2026-12-09 14:00 EST", technology="autodialed", consents=[ORAL]),
        "deny",
        {"WRITTEN_CONSENT_REQUIRED"},
        None,
        id="fl-autodialed-sales-call-with-oral-consent-denied",
    ),
    row(
        call("FL", "2026-12-09 14:00 EST", technology="autodialed", consents=[pewc()]),
        "allow",
        NONE,
        None,
        id="fl-autodialed-sales-call-with-pewc-allowed",
    ),
    row(
        call(
            "FL",
            "2026-12-09 20:00 EST",
            address={"country": "US", "state": "GA", "time_zone": "America/New_York"},
        ),
        "defer",
        STATE_HOURS,
        "2026-12-10 08:00 EST",
        id="fl-area-code-presumed-in-florida-despite-georgia-address",
    ),
    row(
        call("FL", "2026-12-09 20:00 EST", number="+1 404 555 0199"),
        "defer",
        STATE_HOURS,
        "2026-12-10 08:00 EST",
        id="fl-address-brings-florida-hours-to-a-georgia-number",
    ),
    # --- Oklahoma: 08:00-20:00; 3 per 24 h same subject; PEWC for automated sales calls
    # unless an EBR; ADAD calls (any purpose) only 09:00-21:00 (15 O.S. 755.1).
    row(call("OK", "2026-12-09 19:59 CST"), "allow", NONE, None, id="ok-19-59-is-allowed"),
    row(
        call("OK", "2026-12-09 20:00 CST"),
        "defer",
        STATE_HOURS,
        "2026-12-10 08:00 CST",
        id="ok-20-00-defers-to-next-08-00",
    ),
    row(
        call(
            "OK",
            "2026-12-09 14:00 CST",
            subject=SUBJECT,
            history=calls("2026-12-08 15:00 CST", "2026-12-09 09:00 CST"),
        ),
        "allow",
        NONE,
        None,
        id="ok-third-sales-call-in-24h-is-allowed",
    ),
    row(
        call(
            "OK",
            "2026-12-09 14:00 CST",
            subject=SUBJECT,
            history=calls("2026-12-08 15:00 CST", "2026-12-09 09:00 CST", "2026-12-09 11:00 CST"),
        ),
        "defer",
        CAP,
        "2026-12-09 15:01 CST",
        id="ok-fourth-call-waits-for-the-oldest-to-roll-off",
    ),
    row(
        call(
            "OK",
            "2026-12-09 14:00 CST",
            subject=SUBJECT,
            history=calls(
                "2026-12-08 15:00 CST",
                "2026-12-09 09:00 CST",
                "2026-12-09 11:00 CST",
                subject="personal injury intake",
            ),
        ),
        "allow",
        NONE,
        None,
        id="ok-calls-on-another-subject-do-not-count",
    ),
    row(
        call("OK", "2026-12-09 14:00 CST", technology="autodialed", relationship=NOBODY),
        "deny",
        {"NO_CONSENT"},
        None,
        id="ok-autodialed-sales-call-without-pewc-or-ebr-denied",
    ),
    row(
        # no EBR exemption in any text read (pack 2026.12.6): written consent is needed
        call("OK", "2026-12-09 14:00 CST", technology="autodialed", relationship=FORMER),
        "deny",
        {"NO_CONSENT"},
        None,
        id="ok-autodialed-sales-call-within-an-ebr-still-needs-written-consent",
    ),
    row(
        call("OK", "2026-12-09 14:00 CST", technology="autodialed", relationship=LAPSED),
        "deny",
        {"NO_CONSENT"},
        None,
        id="ok-autodialed-sales-call-after-the-ebr-lapsed-denied",
    ),
    row(
        call(
            "OK",
            "2026-12-09 14:00 CST",
            technology="autodialed",
            relationship=NOBODY,
            consents=[pewc()],
        ),
        "allow",
        NONE,
        None,
        id="ok-autodialed-sales-call-with-pewc-allowed",
    ),
    row(
        call("OK", "2026-12-09 08:30 CST", purpose="reminder", technology="prerecorded"),
        "defer",
        STATE_HOURS,
        "2026-12-09 09:00 CST",
        id="ok-prerecorded-reminder-at-08-30-defers-to-09-00",
    ),
    row(
        call("OK", "2026-12-09 20:59 CST", purpose="reminder", technology="prerecorded"),
        "allow",
        NONE,
        None,
        id="ok-prerecorded-reminder-at-20-59-is-allowed",
    ),
    row(
        call("OK", "2026-12-09 20:30 CST", technology="prerecorded", consents=[pewc()]),
        "defer",
        STATE_HOURS,
        "2026-12-10 09:00 CST",
        id="ok-prerecorded-sales-call-reopens-at-09-00-not-08-00",
    ),
    # --- Maryland: 08:00-20:00; 3 per 24 h same subject; PEWC for automated solicitations.
    row(call("MD", "2026-12-09 19:59 EST"), "allow", NONE, None, id="md-19-59-is-allowed"),
    row(
        call("MD", "2026-12-09 20:00 EST"),
        "defer",
        STATE_HOURS,
        "2026-12-10 08:00 EST",
        id="md-20-00-defers-to-next-08-00",
    ),
    row(
        call(
            "MD",
            "2026-12-09 14:00 EST",
            subject=SUBJECT,
            history=calls("2026-12-08 15:00 EST", "2026-12-09 09:00 EST"),
        ),
        "allow",
        NONE,
        None,
        id="md-third-sales-call-in-24h-is-allowed",
    ),
    row(
        call(
            "MD",
            "2026-12-09 14:00 EST",
            subject=SUBJECT,
            history=calls("2026-12-08 15:00 EST", "2026-12-09 09:00 EST", "2026-12-09 11:00 EST"),
        ),
        "defer",
        CAP,
        "2026-12-09 15:01 EST",
        id="md-fourth-call-waits-for-the-oldest-to-roll-off",
    ),
    row(
        call(
            "MD",
            "2026-12-09 14:00 EST",
            subject=SUBJECT,
            history=calls(
                "2026-12-08 15:00 EST",
                "2026-12-09 09:00 EST",
                "2026-12-09 11:00 EST",
                subject="personal injury intake",
            ),
        ),
        "allow",
        NONE,
        None,
        id="md-calls-on-another-subject-do-not-count",
    ),
    row(
        call("MD", "2026-12-09 14:00 EST", technology="autodialed"),
        "deny",
        {"NO_CONSENT"},
        None,
        id="md-autodialed-sales-call-without-consent-denied",
    ),
    row(
        call("MD", "2026-12-09 14:00 EST", technology="autodialed", consents=[pewc()]),
        "allow",
        NONE,
        None,
        id="md-autodialed-sales-call-with-pewc-allowed",
    ),
    # --- Washington: 08:00-20:00; ADAD commercial solicitation banned outright.
    row(
        call("WA", "2026-12-09 07:59 PST"),
        "defer",
        HOURS,
        "2026-12-09 08:00 PST",
        id="wa-07-59-defers-to-08-00",
    ),
    # "calls ... which will be received ... after 8:00 p.m.": a call placed in the last 2
    # minutes would ring after 20:00 (pack 2026.12.4)
    row(call("WA", "2026-12-09 19:57:59 PST"), "allow", NONE, None, id="wa-19-57-59-is-allowed"),
    row(
        call("WA", "2026-12-09 19:58 PST"),
        "defer",
        STATE_HOURS,
        "2026-12-10 08:00 PST",
        id="wa-19-58-would-be-received-at-20-00-defers",
    ),
    row(
        call("WA", "2026-12-09 19:59:50 PST"),
        "defer",
        STATE_HOURS,
        "2026-12-10 08:00 PST",
        id="wa-19-59-50-would-be-received-after-20-00-defers",
    ),
    row(
        call("WA", "2026-12-09 20:00 PST"),
        "defer",
        STATE_HOURS,
        "2026-12-10 08:00 PST",
        id="wa-20-00-defers-to-next-08-00",
    ),
    row(
        call("WA", "2026-12-09 12:00 PST", technology="prerecorded", consents=[pewc()]),
        "deny",
        BANNED,
        None,
        id="wa-prerecorded-sales-call-banned-even-with-pewc",
    ),
    row(
        call("WA", "2026-12-09 12:00 PST", technology="artificial_voice", consents=[pewc()]),
        "deny",
        BANNED,
        None,
        id="wa-artificial-voice-sales-call-banned-even-with-pewc",
    ),
    row(
        call("WA", "2026-12-09 12:00 PST", technology="autodialed"),
        "allow",
        NONE,
        None,
        id="wa-autodialed-call-with-a-live-agent-is-no-adad",
    ),
    row(
        call("WA", "2026-12-09 12:00 PST", purpose="reminder", technology="prerecorded"),
        "allow",
        NONE,
        None,
        id="wa-prerecorded-reminder-is-no-solicitation",
    ),
    # --- Texas: 09:00-21:00 Monday-Saturday, 12:00-21:00 Sunday (Tex. Bus. & Com. Code
    # 301.051(b)(2)), for a client whose matter closed in 2025 and who made no request:
    # 301.051(a) excludes calls at the person's express request and within an existing
    # relationship. (A stranger
    # is not used: Tex. Disciplinary R. 7.03 bars telephone solicitation of non-clients.)
    row(
        call("TX", "2026-12-14 07:59 CST", relationship=LAPSED),
        "defer",
        HOURS,
        "2026-12-14 09:00 CST",
        id="tx-monday-07-59-defers-to-09-00",
    ),
    row(
        call("TX", "2026-12-12 08:59 CST", relationship=LAPSED),
        "defer",
        STATE_HOURS,
        "2026-12-12 09:00 CST",
        id="tx-saturday-08-59-defers-to-09-00",
    ),
    row(
        call("TX", "2026-12-12 09:00 CST", relationship=LAPSED),
        "allow",
        NONE,
        None,
        id="tx-saturday-09-00-is-allowed",
    ),
    row(
        call("TX", "2026-12-12 21:00 CST", relationship=LAPSED),
        "defer",
        HOURS,
        "2026-12-13 12:00 CST",
        id="tx-saturday-21-00-defers-to-sunday-noon",
    ),
    row(
        call("TX", "2026-12-13 11:59 CST", relationship=LAPSED),
        "defer",
        STATE_HOURS,
        "2026-12-13 12:00 CST",
        id="tx-sunday-11-59-defers-to-12-00",
    ),
    row(
        call("TX", "2026-12-13 12:00 CST", relationship=LAPSED),
        "allow",
        NONE,
        None,
        id="tx-sunday-12-00-is-allowed",
    ),
    row(
        call("TX", "2026-12-14 20:59 CST", relationship=LAPSED),
        "allow",
        NONE,
        None,
        id="tx-monday-20-59-is-allowed",
    ),
    row(
        call("TX", "2026-12-14 21:00 CST", relationship=LAPSED),
        "defer",
        HOURS,
        "2026-12-15 09:00 CST",
        id="tx-monday-21-00-defers-to-tuesday-09-00",
    ),
    row(
        call("TX", "2026-12-13 10:00 CST", purpose="reminder", relationship=LAPSED),
        "allow",
        NONE,
        None,
        id="tx-sunday-morning-reminder-is-no-solicitation",
    ),
    # Texas chapter 301's own exclusions (301.051(a)) on the hours and Sunday rule.
    row(
        call("TX", "2026-12-13 10:00 CST", relationship=LAPSED),
        "defer",
        STATE_HOURS,
        "2026-12-13 12:00 CST",
        id="tx-301.051(b)(2)-sunday-10-00-stranger-defers-to-noon",
    ),
    row(
        call("TX", "2026-12-13 10:00 CST", relationship=CLIENT),
        "allow",
        NONE,
        None,
        id="tx-301.051(a)-sunday-10-00-current-client-is-excluded",
    ),
    row(
        call("TX", "2026-12-13 10:00 CST", relationship=LAPSED, consents=[ORAL]),
        "allow",
        NONE,
        None,
        id="tx-301.051(a)-sunday-10-00-at-the-persons-request-is-excluded",
    ),
    row(
        call("TX", "2026-12-12 08:30 CST", relationship=CLIENT),
        "allow",
        NONE,
        None,
        id="tx-301.051(a)-saturday-08-30-current-client-is-excluded",
    ),
    # 304.004(2)(B)'s year after a terminated relationship is chapter 304's, not 301's.
    row(
        call("TX", "2026-12-13 10:00 CST", relationship=FORMER),
        "defer",
        STATE_HOURS,
        "2026-12-13 12:00 CST",
        id="tx-301-does-not-borrow-304.004(2)(B)-former-client-sunday-defers",
    ),
    # Texas chapter 304 (the Texas no-call list, 304.052) and its own exemptions (304.004);
    # the state-licensee exemption (304.004(5)) is not applied, so the firm's manual call to
    # a client gone for more than a year is denied.
    row(
        call("TX", "2026-12-09 12:00 CST", state_dnc=True, relationship=LAPSED),
        "deny",
        {"STATE_DNC"},
        None,
        id="tx-304.052-list-relationship-ended-over-a-year-ago-is-denied",
    ),
    row(
        call("TX", "2026-12-09 12:00 CST", state_dnc=True, relationship=CLIENT),
        "allow",
        NONE,
        None,
        id="tx-304.004(2)(A)-list-current-client-is-exempt",
    ),
    row(
        call("TX", "2026-12-09 12:00 CST", state_dnc=True, relationship=FORMER),
        "allow",
        NONE,
        None,
        id="tx-304.004(2)(B)-list-relationship-ended-within-a-year-is-exempt",
    ),
    row(
        call(
            "TX",
            "2026-12-09 12:00 CST",
            state_dnc=True,
            relationship={"type": "former_client", "last_transaction_on": "2025-09-01"},
        ),
        "deny",
        {"STATE_DNC"},
        None,
        id="tx-304.004(2)(B)-list-is-one-year-not-the-federal-18-months",
    ),
    row(
        call("TX", "2026-12-09 12:00 CST", state_dnc=True, relationship=LAPSED, consents=[ORAL]),
        "allow",
        NONE,
        None,
        id="tx-304.002(9)-list-invited-call-is-not-unsolicited",
    ),
    row(
        call(
            "TX", "2026-12-09 12:00 CST", state_dnc=True, relationship=LAPSED, subscriber="business"
        ),
        "allow",
        NONE,
        None,
        id="tx-304.004(3)-list-business-line-is-exempt",
    ),
    # Each chapter judged by its own exclusions: a former client of 9 months on the list is
    # exempt from 304 (304.004(2)(B)) but not from 301's Sunday morning (301.051(a)).
    row(
        call("TX", "2026-12-13 10:00 CST", state_dnc=True, relationship=FORMER),
        "defer",
        STATE_HOURS,
        "2026-12-13 12:00 CST",
        id="tx-301-and-304-each-own-exclusions-former-client-sunday-10-00",
    ),
    row(
        call("TX", "2026-12-13 12:00 CST", state_dnc=True, relationship=FORMER),
        "allow",
        NONE,
        None,
        id="tx-301-and-304-each-own-exclusions-former-client-sunday-noon",
    ),
    # --- Louisiana (La. R.S. 45:810-817): 08:00-20:00 Monday-Saturday (45:811(2)); no
    # Sundays or state holidays (45:811(3)); consent (45:811(1), 45:812). 45:816 takes out
    # of the chapter calls a live operator introduces (ending them if the person is not
    # interested) and calls to persons with a pre-existing business relationship, so these
    # rows are recorded calls to a stranger, with the written consent federal law needs.
    row(
        call("LA", "2026-12-12 07:59 CST", **LA_ROBO),
        "defer",
        HOURS,
        "2026-12-12 08:00 CST",
        id="la-saturday-07-59-defers-to-08-00",
    ),
    row(
        call("LA", "2026-12-12 19:59 CST", **LA_ROBO),
        "allow",
        NONE,
        None,
        id="la-saturday-19-59-is-allowed",
    ),
    row(
        call("LA", "2026-12-12 20:00 CST", **LA_ROBO),
        "defer",
        STATE_HOURS,
        "2026-12-14 08:00 CST",
        id="la-saturday-20-00-skips-sunday-to-monday-08-00",
    ),
    row(
        call("LA", "2026-12-13 10:00 CST", **LA_ROBO),
        "defer",
        DAY,
        "2026-12-14 08:00 CST",
        id="la-sunday-defers-to-monday-08-00",
    ),
    row(
        call("LA", "2026-12-25 10:00 CST", **LA_ROBO),
        "defer",
        DAY,
        "2026-12-26 08:00 CST",
        id="la-christmas-defers-to-saturday-08-00",
    ),
    row(
        call("LA", "2027-03-26 10:00 CDT", **LA_ROBO),
        "defer",
        DAY,
        "2027-03-27 08:00 CDT",
        id="la-good-friday-is-a-state-holiday",
    ),
    # 45:816(4): a live operator's call is outside the chapter (no consent, no day ban)
    row(
        call("LA", "2026-12-09 10:00 CST", relationship=COLD),
        "allow",
        NONE,
        None,
        id="la-45-816-a-live-call-to-a-stranger-needs-no-consent",
    ),
    row(
        call("LA", "2026-12-13 10:00 CST", relationship=COLD),
        "allow",
        NONE,
        None,
        id="la-45-816-a-live-call-on-sunday-is-outside-the-chapter",
    ),
    # an AI voice is no live operator (protective): the chapter applies
    row(
        call(
            "LA",
            "2026-12-13 10:00 CST",
            technology="interactive_voice",
            relationship=COLD,
            consents=[pewc()],
        ),
        "defer",
        DAY,
        "2026-12-14 08:00 CST",
        id="la-an-ai-voice-is-no-live-operator-sunday-banned",
    ),
    # 45:816(6): a pre-existing business relationship takes even a recorded call out
    row(
        call(
            "LA",
            "2026-12-13 10:00 CST",
            technology="prerecorded",
            consents=[pewc()],
            relationship={"type": "former_client", "last_transaction_on": "2019-02-01"},
        ),
        "allow",
        NONE,
        None,
        id="la-45-816-a-former-client-recorded-call-on-sunday-is-outside-the-chapter",
    ),
    row(
        call("LA", "2026-12-13 10:00 CST", purpose="reminder"),
        "allow",
        NONE,
        None,
        id="la-sunday-reminder-is-no-solicitation",
    ),
    # --- Alabama: automated solicitation only 08:00-20:00, never on Sundays or holidays.
    row(
        call("AL", "2026-12-09 19:59 CST", technology="autodialed"),
        "allow",
        NONE,
        None,
        id="al-autodialed-19-59-is-allowed",
    ),
    row(
        call("AL", "2026-12-09 20:00 CST", technology="autodialed"),
        "defer",
        STATE_HOURS,
        "2026-12-10 08:00 CST",
        id="al-autodialed-20-00-defers-to-next-08-00",
    ),
    row(
        call("AL", "2026-12-09 20:30 CST"),
        "allow",
        NONE,
        None,
        id="al-manual-20-30-is-outside-the-automated-rule",
    ),
    row(
        call("AL", "2026-12-13 10:00 CST", technology="autodialed"),
        "defer",
        DAY,
        "2026-12-14 08:00 CST",
        id="al-autodialed-sunday-defers-to-monday-08-00",
    ),
    row(
        call("AL", "2026-12-13 10:00 CST"),
        "allow",
        NONE,
        None,
        id="al-manual-sunday-is-outside-the-automated-rule",
    ),
    row(
        call("AL", "2026-12-25 10:00 CST", technology="autodialed"),
        "defer",
        DAY,
        "2026-12-26 08:00 CST",
        id="al-autodialed-christmas-defers-to-saturday-08-00",
    ),
    row(
        call("AL", "2026-11-26 10:00 CST", technology="autodialed"),
        "defer",
        DAY,
        "2026-11-27 08:00 CST",
        id="al-autodialed-thanksgiving-defers-to-friday-08-00",
    ),
    # --- Mississippi: 08:00-20:00 "Central Standard Time" (in DST the literal reading is
    # intersected with local time: 09:00-20:00 CDT, catalogue 7.6); no Sundays (the
    # holiday ban was repealed); recorded-voice solicitation only within an EBR.
    row(
        call("MS", "2026-12-09 07:59 CST"),
        "defer",
        HOURS,
        "2026-12-09 08:00 CST",
        id="ms-winter-07-59-defers-to-08-00",
    ),
    row(call("MS", "2026-12-09 08:00 CST"), "allow", NONE, None, id="ms-winter-08-00-is-allowed"),
    row(call("MS", "2026-12-09 19:59 CST"), "allow", NONE, None, id="ms-winter-19-59-is-allowed"),
    row(
        call("MS", "2026-12-09 20:00 CST"),
        "defer",
        STATE_HOURS,
        "2026-12-10 08:00 CST",
        id="ms-winter-20-00-defers-to-next-08-00",
    ),
    row(
        call("MS", "2026-07-15 08:30 CDT"),
        "defer",
        STATE_HOURS,
        "2026-07-15 09:00 CDT",
        id="ms-summer-08-30-cdt-is-07-30-cst-defers-to-09-00-cdt",
    ),
    row(
        call("MS", "2026-07-15 08:59 CDT"),
        "defer",
        STATE_HOURS,
        "2026-07-15 09:00 CDT",
        id="ms-summer-08-59-cdt-defers-to-09-00-cdt",
    ),
    row(
        call("MS", "2026-07-15 09:00 CDT"), "allow", NONE, None, id="ms-summer-09-00-cdt-is-allowed"
    ),
    row(
        call("MS", "2026-07-15 19:59 CDT"), "allow", NONE, None, id="ms-summer-19-59-cdt-is-allowed"
    ),
    row(
        call("MS", "2026-07-15 20:00 CDT"),
        "defer",
        STATE_HOURS,
        "2026-07-16 09:00 CDT",
        id="ms-summer-20-00-cdt-defers-to-next-09-00-cdt",
    ),
    row(
        call("MS", "2026-12-13 10:00 CST"),
        "defer",
        DAY,
        "2026-12-14 08:00 CST",
        id="ms-winter-sunday-defers-to-monday-08-00",
    ),
    row(
        call("MS", "2026-07-19 12:00 CDT"),
        "defer",
        DAY,
        "2026-07-20 09:00 CDT",
        id="ms-summer-sunday-defers-to-monday-09-00-cdt",
    ),
    row(
        call("MS", "2026-12-25 10:00 CST"),
        "allow",
        NONE,
        None,
        id="ms-christmas-is-not-banned-since-the-repeal",
    ),
    row(
        call(
            "MS",
            "2026-12-09 12:00 CST",
            technology="prerecorded",
            relationship=NOBODY,
            consents=[pewc()],
        ),
        "deny",
        BANNED,
        None,
        id="ms-prerecorded-sales-call-without-ebr-banned-despite-pewc",
    ),
    row(
        call("MS", "2026-12-09 12:00 CST", technology="prerecorded", consents=[pewc()]),
        "allow",
        NONE,
        None,
        id="ms-prerecorded-sales-call-to-a-client-with-pewc-allowed",
    ),
    row(
        call(
            "MS",
            "2026-12-09 12:00 CST",
            technology="prerecorded",
            subscriber="business",
            relationship=FORMER,
        ),
        "allow",
        NONE,
        None,
        id="ms-prerecorded-business-call-within-an-ebr-allowed",
    ),
    row(
        call(
            "MS",
            "2026-12-09 12:00 CST",
            technology="prerecorded",
            subscriber="business",
            relationship=NOBODY,
        ),
        "deny",
        BANNED,
        None,
        id="ms-prerecorded-business-call-without-ebr-banned",
    ),
    # --- Indiana: ADAD calls for any purpose only with consent or a current relationship;
    # federal hours only.
    row(
        call(
            "IN",
            "2026-12-09 12:00 EST",
            purpose="reminder",
            technology="prerecorded",
            relationship=FORMER,
        ),
        "deny",
        BANNED,
        None,
        id="in-prerecorded-reminder-to-a-former-client-banned",
    ),
    row(
        call("IN", "2026-12-09 12:00 EST", purpose="reminder", technology="prerecorded"),
        "allow",
        NONE,
        None,
        id="in-prerecorded-reminder-to-a-current-client-allowed",
    ),
    row(
        call(
            "IN",
            "2026-12-09 12:00 EST",
            purpose="reminder",
            technology="prerecorded",
            relationship=FORMER,
            consents=[pec()],
        ),
        "allow",
        NONE,
        None,
        id="in-prerecorded-reminder-with-consent-allowed",
    ),
    row(
        call(
            "IN",
            "2026-12-09 12:00 EST",
            purpose="notification",
            technology="artificial_voice",
            relationship=FORMER,
        ),
        "deny",
        BANNED,
        None,
        id="in-artificial-voice-notification-to-a-former-client-banned",
    ),
    row(
        call(
            "IN",
            "2026-12-09 12:00 EST",
            technology="prerecorded",
            relationship=FORMER,
            consents=[pewc()],
        ),
        "allow",
        NONE,
        None,
        id="in-prerecorded-sales-call-with-pewc-allowed",
    ),
    row(
        call(
            "IN",
            "2026-12-09 12:00 EST",
            purpose="reminder",
            technology="autodialed",
            relationship=FORMER,
        ),
        "allow",
        NONE,
        None,
        id="in-autodialed-call-with-a-live-operator-first-allowed",
    ),
    row(call("IN", "2026-12-09 20:59 EST"), "allow", NONE, None, id="in-20-59-is-allowed"),
    row(
        call("IN", "2026-12-09 21:00 EST"),
        "defer",
        {"CALLING_HOURS"},
        "2026-12-10 08:00 EST",
        id="in-21-00-defers-to-next-08-00-federal-only",
    ),
    # --- Connecticut (42-288a as amended by P.A. 23-98, in force 2023-10-01): 09:00-20:00.
    # Prior express written consent and an existing customer take a call out of the
    # regulated "telephonic sales call"; neither is required of every call. Rows are calls
    # to a stranger unless they say otherwise.
    row(
        call("CT", "2026-12-09 07:59 EST", relationship=COLD),
        "defer",
        HOURS,
        "2026-12-09 09:00 EST",
        id="ct-07-59-defers-to-09-00",
    ),
    row(
        call("CT", "2026-12-09 08:59 EST", relationship=COLD),
        "defer",
        STATE_HOURS,
        "2026-12-09 09:00 EST",
        id="ct-08-59-defers-to-09-00",
    ),
    row(
        call("CT", "2026-12-09 09:00 EST", relationship=COLD),
        "allow",
        NONE,
        None,
        id="ct-09-00-is-allowed",
    ),
    row(
        call("CT", "2026-12-09 19:59 EST", relationship=COLD),
        "allow",
        NONE,
        None,
        id="ct-19-59-is-allowed",
    ),
    row(
        call("CT", "2026-12-09 20:00 EST", relationship=COLD),
        "defer",
        STATE_HOURS,
        "2026-12-10 09:00 EST",
        id="ct-20-00-defers-to-next-09-00",
    ),
    row(
        call("CT", "2026-12-09 12:00 EST", relationship=COLD),
        "allow",
        NONE,
        None,
        id="ct-a-live-sales-call-needs-no-written-consent",
    ),
    row(
        call("CT", "2026-12-09 08:59 EST", relationship=COLD, consents=[pewc()]),
        "allow",
        NONE,
        None,
        id="ct-a-call-with-written-consent-is-no-telephonic-sales-call-so-08-59-is-allowed",
    ),
    row(
        call("CT", "2026-12-09 08:59 EST"),
        "allow",
        NONE,
        None,
        id="ct-a-call-to-an-existing-customer-is-no-telephonic-sales-call",
    ),
    row(
        call(
            "CT",
            "2026-12-09 12:00 EST",
            technology="autodialed",
            relationship=COLD,
            consents=[ORAL],
        ),
        "deny",
        {"WRITTEN_CONSENT_REQUIRED"},
        None,
        id="ct-an-autodialed-sales-call-with-oral-consent-denied",
    ),
    row(
        call("CT", "2026-12-09 12:00 EST", purpose="reminder"),
        "allow",
        NONE,
        None,
        id="ct-reminder-is-no-sales-call",
    ),
    # --- New Jersey: 08:00-21:00.
    row(
        call("NJ", "2026-12-09 07:59 EST"),
        "defer",
        HOURS,
        "2026-12-09 08:01 EST",
        id="nj-07-59-defers-to-08-00",
    ),
    row(call("NJ", "2026-12-09 20:59 EST"), "allow", NONE, None, id="nj-20-59-is-allowed"),
    row(
        call("NJ", "2026-12-09 21:00 EST"),
        "defer",
        HOURS,
        "2026-12-10 08:01 EST",
        id="nj-21-00-defers-to-next-08-00",
    ),
    # --- Pennsylvania: 08:00-21:00 (73 P.S. 2245(a)(1), text in force 2019-12-03: "Conducting
    # telemarketing after 9 p.m. or before 8 a.m."); no solicitation on the statute's legal holidays
    # (New Year's, MLK, Presidents', Good Friday, Memorial, Flag Day, Independence, Labor,
    # Columbus, Election Day, Veterans, Thanksgiving, Christmas); state DNC with a 12-month
    # EBR; robocalls give an opt-out at the beginning.
    row(
        call("PA", "2026-12-09 20:59 EST", relationship=COLD),
        "allow",
        NONE,
        None,
        id="pa-20-59-is-allowed",
    ),
    row(
        call("PA", "2026-12-09 21:00 EST", relationship=COLD),
        "defer",
        HOURS,
        "2026-12-10 08:00 EST",
        id="pa-21-00-defers-to-next-08-00",
    ),
    # 2245(a)(1) reaches "telemarketing", not a "telephone solicitation call": the 2242
    # exclusion of a 12-month business relationship does not lift the hours (issue 14)
    row(
        call(
            "PA",
            "2026-12-09 21:00 EST",
            relationship={"type": "former_client", "last_transaction_on": "2026-01-15"},
        ),
        "defer",
        HOURS,
        "2026-12-10 08:00 EST",
        id="pa-2245-a-1-a-client-of-the-last-12-months-is-still-inside-the-hours",
    ),
    row(
        call("PA", "2026-04-03 10:00 EDT", relationship=COLD),
        "defer",
        DAY,
        "2026-04-04 08:00 EDT",
        id="pa-good-friday-defers-to-saturday-08-00",
    ),
    row(
        call("PA", "2027-06-14 10:00 EDT", relationship=COLD),
        "defer",
        DAY,
        "2027-06-15 08:00 EDT",
        id="pa-flag-day-defers-to-next-08-00",
    ),
    row(
        call("PA", "2026-11-03 10:00 EST", relationship=COLD),
        "defer",
        DAY,
        "2026-11-04 08:00 EST",
        id="pa-election-day-defers-to-next-08-00",
    ),
    # The list is Pennsylvania's legal holidays (44 P.S. 11), not a calendar package's: the
    # day after Thanksgiving is no legal holiday (issue 14). Juneteenth is kept (protective).
    row(
        call("PA", "2026-11-26 10:00 EST", relationship=COLD),
        "defer",
        DAY,
        "2026-11-27 08:00 EST",
        id="pa-thanksgiving-defers-to-friday-08-00",
    ),
    row(
        call("PA", "2026-12-25 10:00 EST", relationship=COLD),
        "defer",
        DAY,
        "2026-12-26 08:00 EST",
        id="pa-christmas-defers-to-saturday-08-00",
    ),
    row(
        call("PA", "2026-11-27 10:00 EST", relationship=COLD),
        "allow",
        NONE,
        None,
        id="pa-the-day-after-thanksgiving-is-no-legal-holiday",
    ),
    # 73 P.S. 2242: a call to a person with a business relationship in the past 12 months,
    # or made with the person's permission, is no telephone solicitation call
    row(
        call(
            "PA",
            "2026-11-26 10:00 EST",
            relationship={"type": "former_client", "last_transaction_on": "2026-01-15"},
        ),
        "allow",
        NONE,
        None,
        id="pa-2242-a-client-of-the-last-12-months-may-be-called-on-thanksgiving",
    ),
    row(
        call(
            "PA",
            "2026-11-26 10:00 EST",
            relationship={"type": "former_client", "last_transaction_on": "2025-10-15"},
        ),
        "defer",
        DAY,
        "2026-11-27 08:00 EST",
        id="pa-2242-a-client-of-13-months-ago-is-solicited-so-the-holiday-ban-applies",
    ),
    row(
        call("PA", "2026-11-26 10:00 EST", relationship=COLD, consents=[ORAL]),
        "allow",
        NONE,
        None,
        id="pa-2242-a-call-the-person-permitted-may-be-placed-on-thanksgiving",
    ),
    row(
        call("PA", "2026-06-19 10:00 EDT", relationship=COLD),
        "defer",
        DAY,
        "2026-06-20 08:00 EDT",
        id="pa-juneteenth-is-kept-protectively",
    ),
    row(
        call("PA", "2026-11-30 10:00 EST", relationship=COLD),
        "allow",
        NONE,
        None,
        id="pa-an-ordinary-monday-is-allowed",
    ),
    # SB 992 (2025-2026; reported as Act 47 of 2026, "on a Sunday or after 7 p.m. or before
    # 9 a.m.", from 2026-10-18) is NOT applied: no primary text of an enacted act was found
    # (us-pa.calling-hours note). These two rows, both after 2026-10-18, are the ones that
    # flip if the compliance officer confirms it on palegis.us.
    row(
        call("PA", "2026-12-13 10:00 EST", relationship=COLD),
        "allow",
        NONE,
        None,
        id="pa-2245-a-1-sunday-is-not-banned-sb-992-unconfirmed",
    ),
    row(
        call("PA", "2026-12-09 19:30 EST", relationship=COLD),
        "allow",
        NONE,
        None,
        id="pa-2245-a-1-19-30-is-inside-the-hours-sb-992-unconfirmed",
    ),
    row(
        call(
            "PA",
            "2026-12-09 12:00 EST",
            state_dnc=True,
            relationship={"type": "former_client", "last_transaction_on": "2025-11-01"},
        ),
        "deny",
        {"STATE_DNC"},
        None,
        id="pa-state-dnc-ebr-is-12-months-not-18",
    ),
    row(
        call(
            "PA",
            "2026-12-09 12:00 EST",
            state_dnc=True,
            relationship={"type": "former_client", "last_transaction_on": "2026-01-01"},
        ),
        "allow",
        NONE,
        None,
        id="pa-state-dnc-ebr-within-12-months-allowed",
    ),
    row(
        call(
            "PA",
            "2026-12-09 12:00 EST",
            technology="prerecorded",
            consents=[pewc()],
            script={
                "identifies_firm_at_start": True,
                "states_callback_number": True,
                "offers_opt_out": False,
                "opt_out_within_2s": False,
            },
        ),
        "deny",
        {"SCRIPT_NONCOMPLIANT"},
        None,
        id="pa-robocall-without-opt-out-denied",
    ),
    row(
        call(
            "PA",
            "2026-12-09 12:00 EST",
            technology="prerecorded",
            consents=[pewc()],
            script={
                "identifies_firm_at_start": True,
                "states_callback_number": True,
                "offers_opt_out": True,
                "opt_out_within_2s": True,
            },
        ),
        "allow",
        NONE,
        None,
        id="pa-robocall-with-opt-out-at-the-start-allowed",
    ),
    # --- Georgia: no state hours bind a law firm (O.C.G.A. 46-5-187(3) is addressed to
    # telecommunications companies); the federal 08:00-21:00 alone (64.1200(c)(1)).
    row(
        call("GA", "2026-12-09 07:59 EST"),
        "defer",
        {"CALLING_HOURS"},
        "2026-12-09 08:00 EST",
        id="ga-07-59-defers-to-08-00",
    ),
    row(call("GA", "2026-12-09 20:59 EST"), "allow", NONE, None, id="ga-20-59-is-allowed"),
    row(
        call("GA", "2026-12-09 21:00 EST"),
        "defer",
        {"CALLING_HOURS"},
        "2026-12-10 08:00 EST",
        id="ga-21-00-defers-to-next-08-00",
    ),
    # --- New York: 08:00-21:00; the do-not-call offer at the start of each sales call.
    row(call("NY", "2026-12-09 20:59 EST"), "allow", NONE, None, id="ny-20-59-is-allowed"),
    row(
        call("NY", "2026-12-09 21:00 EST"),
        "defer",
        HOURS,
        "2026-12-10 08:00 EST",
        id="ny-21-00-defers-to-next-08-00",
    ),
    row(
        call("NY", "2026-12-09 12:00 EST", script={"offers_dnc_list": False}),
        "deny",
        {"SCRIPT_NONCOMPLIANT"},
        None,
        id="ny-sales-script-without-dnc-offer-denied",
    ),
    row(
        call("NY", "2026-12-09 12:00 EST", script={"offers_dnc_list": True}),
        "allow",
        NONE,
        None,
        id="ny-sales-script-with-dnc-offer-allowed",
    ),
    row(
        call("NY", "2026-12-09 12:00 EST", purpose="reminder", script={"offers_dnc_list": False}),
        "allow",
        NONE,
        None,
        id="ny-reminder-script-needs-no-dnc-offer",
    ),
    # --- Utah: 08:00-21:00; no Sundays or legal holidays without prior express consent;
    # recorded or artificial-voice solicitation only with PEC or an 18-month EBR.
    row(call("UT", "2026-12-09 20:59 MST"), "allow", NONE, None, id="ut-20-59-is-allowed"),
    row(
        call("UT", "2026-12-09 21:00 MST"),
        "defer",
        HOURS,
        "2026-12-10 08:01 MST",
        id="ut-21-00-defers-to-next-08-00",
    ),
    row(
        call("UT", "2026-12-13 10:00 MST"),
        "defer",
        DAY,
        "2026-12-14 08:01 MST",
        id="ut-sunday-without-consent-defers-to-monday-08-00",
    ),
    row(
        call("UT", "2026-12-13 10:00 MST", consents=[ORAL]),
        "allow",
        NONE,
        None,
        id="ut-sunday-with-consent-to-sales-calls-allowed",
    ),
    row(
        call("UT", "2026-12-13 10:00 MST", consents=[pec()]),
        "defer",
        DAY,
        "2026-12-14 08:01 MST",
        id="ut-sunday-with-consent-to-reminders-only-defers",
    ),
    row(
        call("UT", "2026-12-25 10:00 MST"),
        "defer",
        DAY,
        "2026-12-26 08:01 MST",
        id="ut-christmas-defers-to-saturday-08-00",
    ),
    row(
        call("UT", "2026-07-24 10:00 MDT"),
        "defer",
        DAY,
        "2026-07-25 08:01 MDT",
        id="ut-pioneer-day-defers-to-saturday-08-00",
    ),
    row(
        call("UT", "2026-07-24 10:00 MDT", consents=[ORAL]),
        "allow",
        NONE,
        None,
        id="ut-pioneer-day-with-consent-allowed",
    ),
    row(
        call("UT", "2026-12-09 12:00 MST", technology="prerecorded", consents=[pewc()]),
        "allow",
        NONE,
        None,
        id="ut-prerecorded-sales-call-with-pewc-allowed",
    ),
    row(
        call(
            "UT",
            "2026-12-09 12:00 MST",
            technology="prerecorded",
            subscriber="business",
            relationship=NOBODY,
        ),
        "deny",
        BANNED,
        None,
        id="ut-prerecorded-business-call-without-consent-or-ebr-banned",
    ),
    row(
        call("UT", "2026-12-09 12:00 MST", technology="prerecorded", subscriber="business"),
        "allow",
        NONE,
        None,
        id="ut-prerecorded-business-call-to-a-current-client-allowed",
    ),
    row(
        call(
            "UT",
            "2026-12-09 12:00 MST",
            technology="prerecorded",
            subscriber="business",
            relationship={"type": "former_client", "last_transaction_on": "2025-12-01"},
        ),
        "allow",
        NONE,
        None,
        id="ut-prerecorded-business-call-12-months-after-a-matter-allowed",
    ),
    row(
        call(
            "UT",
            "2026-12-09 12:00 MST",
            technology="prerecorded",
            subscriber="business",
            relationship=LAPSED,
        ),
        "deny",
        BANNED,
        None,
        id="ut-prerecorded-business-call-20-months-after-a-matter-banned",
    ),
    row(
        call(
            "UT",
            "2026-12-09 12:00 MST",
            technology="prerecorded",
            subscriber="business",
            relationship=NOBODY,
            consents=[ORAL],
        ),
        "allow",
        NONE,
        None,
        id="ut-prerecorded-business-call-with-oral-consent-allowed",
    ),
    # --- Massachusetts: 08:00-20:00; no unsolicited sales calls by recorded message.
    row(
        call("MA", "2026-12-09 07:59 EST"),
        "defer",
        HOURS,
        "2026-12-09 08:00 EST",
        id="ma-07-59-defers-to-08-00",
    ),
    row(call("MA", "2026-12-09 19:59 EST"), "allow", NONE, None, id="ma-19-59-is-allowed"),
    row(
        call("MA", "2026-12-09 20:00 EST"),
        "defer",
        STATE_HOURS,
        "2026-12-10 08:00 EST",
        id="ma-20-00-defers-to-next-08-00",
    ),
    row(
        call("MA", "2026-12-09 12:00 EST", technology="prerecorded", consents=[pewc()]),
        "allow",
        NONE,
        None,
        id="ma-prerecorded-sales-call-with-consent-allowed",
    ),
    row(
        call("MA", "2026-12-09 12:00 EST", technology="prerecorded", subscriber="business"),
        "deny",
        BANNED,
        None,
        id="ma-unsolicited-prerecorded-sales-call-banned",
    ),
    row(
        call(
            "MA",
            "2026-12-09 12:00 EST",
            technology="prerecorded",
            subscriber="business",
            consents=[ORAL],
        ),
        "allow",
        NONE,
        None,
        id="ma-prerecorded-business-call-with-oral-consent-allowed",
    ),
    # --- Rhode Island (R.I. Gen. Laws 5-61, in force 2002-07-01): Mon-Fri 09:00-18:00, Sat
    # 10:00-17:00, no Sundays, no state or federal holidays ("hours of operation", 5-61-2,
    # imposed by 5-61-3.6(a)); ADAD sales calls only with consent (5-61-3.4(a)).
    row(
        call("RI", "2026-12-07 08:59 EST"),
        "defer",
        STATE_HOURS,
        "2026-12-07 09:00 EST",
        id="ri-monday-08-59-defers-to-09-00",
    ),
    row(call("RI", "2026-12-11 17:59 EST"), "allow", NONE, None, id="ri-friday-17-59-is-allowed"),
    row(
        call("RI", "2026-12-11 18:00 EST"),
        "defer",
        STATE_HOURS,
        "2026-12-12 10:00 EST",
        id="ri-friday-18-00-defers-to-saturday-10-00",
    ),
    row(
        call("RI", "2026-12-12 09:59 EST"),
        "defer",
        STATE_HOURS,
        "2026-12-12 10:00 EST",
        id="ri-saturday-09-59-defers-to-10-00",
    ),
    row(call("RI", "2026-12-12 16:59 EST"), "allow", NONE, None, id="ri-saturday-16-59-is-allowed"),
    row(
        call("RI", "2026-12-12 17:00 EST"),
        "defer",
        STATE_HOURS,
        "2026-12-14 09:00 EST",
        id="ri-saturday-17-00-skips-sunday-to-monday-09-00",
    ),
    row(
        call("RI", "2026-12-13 12:00 EST"),
        "defer",
        DAY,
        "2026-12-14 09:00 EST",
        id="ri-sunday-defers-to-monday-09-00",
    ),
    row(
        call("RI", "2026-12-25 12:00 EST"),
        "defer",
        DAY,
        "2026-12-26 10:00 EST",
        id="ri-christmas-defers-to-saturday-10-00",
    ),
    row(
        call("RI", "2026-08-10 12:00 EDT"),
        "defer",
        DAY,
        "2026-08-11 09:00 EDT",
        id="ri-victory-day-defers-to-tuesday-09-00",
    ),
    row(
        call("RI", "2026-06-19 12:00 EDT"),
        "defer",
        DAY,
        "2026-06-20 10:00 EDT",
        id="ri-juneteenth-federal-holiday-defers-to-saturday-10-00",
    ),
    row(
        call("RI", "2026-12-09 12:00 EST", technology="prerecorded", subscriber="business"),
        "deny",
        BANNED,
        None,
        id="ri-adad-sales-call-without-consent-banned",
    ),
    row(
        call(
            "RI",
            "2026-12-09 12:00 EST",
            technology="prerecorded",
            subscriber="business",
            consents=[ORAL],
        ),
        "allow",
        NONE,
        None,
        id="ri-adad-sales-call-with-consent-allowed",
    ),
    row(
        call("RI", "2026-12-13 12:00 EST", purpose="reminder"),
        "allow",
        NONE,
        None,
        id="ri-sunday-reminder-is-no-solicitation",
    ),
    # --- Virginia: 08:00-21:00; ADAD commercial solicitation only with consent.
    row(call("VA", "2026-12-09 20:59 EST"), "allow", NONE, None, id="va-20-59-is-allowed"),
    row(
        call("VA", "2026-12-09 21:00 EST"),
        "defer",
        HOURS,
        "2026-12-10 08:00 EST",
        id="va-21-00-defers-to-next-08-00",
    ),
    row(
        call("VA", "2026-12-09 12:00 EST", technology="prerecorded", subscriber="business"),
        "deny",
        BANNED,
        None,
        id="va-adad-sales-call-without-consent-banned",
    ),
    row(
        call(
            "VA",
            "2026-12-09 12:00 EST",
            technology="prerecorded",
            subscriber="business",
            consents=[ORAL],
        ),
        "allow",
        NONE,
        None,
        id="va-adad-sales-call-with-consent-allowed",
    ),
    # --- Secondary tables ([S] only): KY 10-21; NV 09-20; MI, MN, NM 09-21; IL prerecorded
    # 09-21; NE prerecorded on Sundays and holidays 13-21.
    row(
        call("KY", "2026-12-09 09:59 EST"),
        "defer",
        STATE_HOURS,
        "2026-12-09 10:00 EST",
        id="ky-09-59-defers-to-10-00",
    ),
    row(call("KY", "2026-12-09 10:00 EST"), "allow", NONE, None, id="ky-10-00-is-allowed"),
    row(
        call("KY", "2026-12-09 21:00 EST"),
        "defer",
        HOURS,
        "2026-12-10 10:00 EST",
        id="ky-21-00-defers-to-next-10-00",
    ),
    row(
        call("NV", "2026-12-09 08:59 PST"),
        "defer",
        STATE_HOURS,
        "2026-12-09 09:00 PST",
        id="nv-08-59-defers-to-09-00",
    ),
    row(call("NV", "2026-12-09 19:59 PST"), "allow", NONE, None, id="nv-19-59-is-allowed"),
    row(
        call("NV", "2026-12-09 20:00 PST"),
        "defer",
        STATE_HOURS,
        "2026-12-10 09:00 PST",
        id="nv-20-00-defers-to-next-09-00",
    ),
    row(
        call("MI", "2026-12-09 08:59 EST"),
        "defer",
        STATE_HOURS,
        "2026-12-09 09:00 EST",
        id="mi-08-59-defers-to-09-00",
    ),
    row(call("MI", "2026-12-09 20:59 EST"), "allow", NONE, None, id="mi-20-59-is-allowed"),
    row(
        call("MN", "2026-12-09 08:59 CST"),
        "defer",
        STATE_HOURS,
        "2026-12-09 09:00 CST",
        id="mn-08-59-defers-to-09-00",
    ),
    row(call("MN", "2026-12-09 09:00 CST"), "allow", NONE, None, id="mn-09-00-is-allowed"),
    row(
        call("NM", "2026-12-09 08:59 MST"),
        "defer",
        STATE_HOURS,
        "2026-12-09 09:00 MST",
        id="nm-08-59-defers-to-09-00",
    ),
    row(call("NM", "2026-12-09 09:00 MST"), "allow", NONE, None, id="nm-09-00-is-allowed"),
    row(
        call("NE", "2026-12-13 12:59 CST", technology="prerecorded", consents=[pewc()]),
        "defer",
        STATE_HOURS,
        "2026-12-13 13:00 MST",
        id="ne-prerecorded-sunday-noon-defers-to-13-00-in-every-zone",
    ),
    row(
        call("NE", "2026-12-13 14:00 CST", technology="prerecorded", consents=[pewc()]),
        "allow",
        NONE,
        None,
        id="ne-prerecorded-sunday-14-00-cst-is-allowed",
    ),
    row(
        call("NE", "2026-12-25 10:00 CST", technology="prerecorded", consents=[pewc()]),
        "defer",
        STATE_HOURS,
        "2026-12-25 13:00 MST",
        id="ne-prerecorded-christmas-morning-defers-to-13-00",
    ),
    row(
        call("NE", "2026-12-09 10:00 CST", technology="prerecorded", consents=[pewc()]),
        "allow",
        NONE,
        None,
        id="ne-prerecorded-weekday-morning-is-allowed",
    ),
    row(
        call("NE", "2026-12-13 10:00 CST"),
        "allow",
        NONE,
        None,
        id="ne-live-sunday-morning-is-allowed",
    ),
    row(
        call("IL", "2026-12-09 08:59 CST", technology="prerecorded", consents=[pewc()]),
        "defer",
        STATE_HOURS,
        "2026-12-09 09:00 CST",
        id="il-prerecorded-08-59-defers-to-09-00",
    ),
    row(
        call("IL", "2026-12-09 09:00 CST", technology="prerecorded", consents=[pewc()]),
        "allow",
        NONE,
        None,
        id="il-prerecorded-09-00-is-allowed",
    ),
    row(
        call("IL", "2026-12-09 08:30 CST"),
        "allow",
        NONE,
        None,
        id="il-live-08-30-is-outside-the-prerecorded-rule",
    ),
]


@pytest.mark.parametrize(("request_", "verdict", "want", "earliest"), ROWS)
def test_each_state_rule_gives_the_verdict_the_law_gives(
    decide: Decide, request_: dict[str, Any], verdict: str, want: set[str], earliest: str | None
) -> None:
    d = decide(request_)
    expected = (verdict, want, utc(earliest) if earliest else None)
    assert (d.verdict, codes(d), iso(d)) == expected, d.to_json()["reasons"]
