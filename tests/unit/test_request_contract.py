"""The request side of the decision contract v1 (shared/design/decision-api.md).

- Bad input is a ``RequestError`` naming the dotted path of the bad field, and its
  message never repeats the telephone number (personal data).
- An absent optional fact is read protectively, exactly as the contract lists.
- The decision has the contract's fields, and each reason code appears once.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable
from typing import Any

import pytest

from conftest import BASE, FIRM, build, pec, pewc
from lexdial.domain.decision import Decision
from lexdial.errors import RequestError
from lexdial.rules.codes import CODES
from lexdial.rules.context import Policy
from lexdial.rules.engine import Engine
from lexdial.rules.policy import policy_rules

Decide = Callable[[dict[str, Any]], Decision]

NUMBER = "+1 614 555 0187"
DIGITS = "6145550187"


def bad(**facts: Any) -> dict[str, Any]:
    """The base request with ``NUMBER`` and the given top-level facts replaced."""
    return build(**{"number": NUMBER, **facts})


def with_consent(**over: Any) -> dict[str, Any]:
    return bad(consents=[pec(**over)])


def with_history(**over: Any) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "at": "2026-12-01T15:00:00Z",
        "purpose": "reminder",
        "outcome": "no_answer",
    }
    entry.update(over)
    return bad(history=[entry])


def without(key: str) -> dict[str, Any]:
    out = bad()
    del out[key]
    return out


def address(**over: Any) -> dict[str, Any]:
    return bad(address={"country": "US", "state": "OH", "time_zone": "America/New_York", **over})


def sup(**over: Any) -> dict[str, Any]:
    return bad(suppression={**BASE["suppression"], **over})


BAD_REQUESTS = [
    # --- not an object ------------------------------------------------------------
    pytest.param([bad()], "", id="array-instead-of-object"),
    pytest.param("a request", "", id="string-instead-of-object"),
    pytest.param(42, "", id="number-instead-of-object"),
    pytest.param(None, "", id="null-instead-of-object"),
    # --- required fields ----------------------------------------------------------
    pytest.param(without("at"), "at", id="missing-at"),
    pytest.param(without("number"), "number", id="missing-number"),
    pytest.param(without("purpose"), "purpose", id="missing-purpose"),
    pytest.param(without("technology"), "technology", id="missing-technology"),
    pytest.param(bad(at=None) | {"at": None}, "at", id="null-at"),
    pytest.param(bad(number=""), "number", id="empty-number"),
    pytest.param(bad(number=4105550146), "number", id="number-not-a-string"),
    # --- unknown fields (typos) -----------------------------------------------------
    pytest.param(bad(suppresion={"national_dnc": False}), "suppresion", id="top-level-typo"),
    pytest.param(bad(notes="call after lunch"), "notes", id="top-level-unknown"),
    pytest.param(
        bad(consents=[{**pec(), "scop": ["reminder"]}]), "consents[0].scop", id="consent-typo"
    ),
    pytest.param(
        bad(consents=[pec(), {**pec(), "revoked": None}]),
        "consents[1].revoked",
        id="second-consent-typo",
    ),
    pytest.param(address(zipcode="43215"), "address.zipcode", id="address-typo"),
    pytest.param(sup(national_dcn=True), "suppression.national_dcn", id="suppression-typo"),
    pytest.param(with_history(outcom="busy"), "history[0].outcom", id="history-typo"),
    pytest.param(bad(relationship={"typ": "none"}), "relationship.typ", id="relationship-typo"),
    pytest.param(
        bad(reassigned={"result": "no", "checked": "2026-12-01"}),
        "reassigned.checked",
        id="reassigned-typo",
    ),
    pytest.param(
        bad(debt={"id": "A-1", "inconvenient_times": [{"start": "08:00", "stop": "09:00"}]}),
        "debt.inconvenient_times[0].stop",
        id="inconvenient-time-typo",
    ),
    pytest.param(bad(campaign={"ring_timeout": 20}), "campaign.ring_timeout", id="campaign-typo"),
    pytest.param(bad(script={"opt_out": True}), "script.opt_out", id="script-typo"),
    pytest.param(bad(gdpr={"objection": None}), "gdpr.objection", id="gdpr-typo"),
    pytest.param(bad(firm={"nom": FIRM}), "firm.nom", id="firm-typo"),
    pytest.param(bad(matter={"kind": "estate"}), "matter.kind", id="matter-typo"),
    pytest.param(bad(preferences={"shared": True}), "preferences.shared", id="preferences-typo"),
    pytest.param(
        bad(incident={"kind": "accident", "occurred_on": "2026-12-01", "place": "x"}),
        "incident.place",
        id="incident-typo",
    ),
    # --- date-times need an offset; `at` is a date-time, not a date -----------------
    pytest.param(bad(at="2026-12-02T16:00:00"), "at", id="naive-at"),
    pytest.param(bad(at="2026-12-02"), "at", id="date-only-at"),
    pytest.param(bad(at="yesterday at noon"), "at", id="unparseable-at"),
    pytest.param(bad(at=1764691200), "at", id="epoch-seconds-at"),
    pytest.param(
        with_consent(given_at="2026-06-01T12:00:00"),
        "consents[0].given_at",
        id="naive-consent-given-at",
    ),
    pytest.param(
        with_consent(revoked_at="2026-11-01T09:00:00"),
        "consents[0].revoked_at",
        id="naive-consent-revoked-at",
    ),
    pytest.param(
        with_consent(given_at="2026-13-01"), "consents[0].given_at", id="impossible-consent-date"
    ),
    pytest.param(with_history(at="2026-12-01T15:00:00"), "history[0].at", id="naive-history-at"),
    pytest.param(with_history(at="2026-12-01"), "history[0].at", id="date-only-history-at"),
    pytest.param(
        bad(gdpr={"objected_at": "2026-10-02T12:00:00"}),
        "gdpr.objected_at",
        id="naive-gdpr-objection",
    ),
    pytest.param(
        sup(registry_synced_on="last week"),
        "suppression.registry_synced_on",
        id="unparseable-registry-date",
    ),
    # --- vocabularies ---------------------------------------------------------------
    pytest.param(bad(purpose="sales"), "purpose", id="bad-purpose"),
    pytest.param(bad(technology="robocall"), "technology", id="bad-technology"),
    pytest.param(bad(line_type="mobile"), "line_type", id="bad-line-type"),
    pytest.param(bad(subscriber="company"), "subscriber", id="bad-subscriber"),
    pytest.param(with_consent(kind="oral"), "consents[0].kind", id="bad-consent-kind"),
    pytest.param(
        with_consent(scope=["reminder", "sales"]),
        "consents[0].scope[1]",
        id="bad-consent-scope-item",
    ),
    pytest.param(
        with_consent(technologies=["robot"]),
        "consents[0].technologies[0]",
        id="bad-consent-technology",
    ),
    pytest.param(with_consent(scope="reminder"), "consents[0].scope", id="consent-scope-not-list"),
    pytest.param(bad(relationship={"type": "friend"}), "relationship.type", id="bad-relationship"),
    pytest.param(
        bad(reassigned={"result": "maybe"}), "reassigned.result", id="bad-reassigned-result"
    ),
    pytest.param(with_history(outcome="hung_up"), "history[0].outcome", id="bad-history-outcome"),
    pytest.param(with_history(purpose="sales"), "history[0].purpose", id="bad-history-purpose"),
    pytest.param(bad(campaign={"mode": "turbo"}), "campaign.mode", id="bad-campaign-mode"),
    pytest.param(
        bad(incident={"kind": "fire", "occurred_on": "2026-12-01"}),
        "incident.kind",
        id="bad-incident-kind",
    ),
    pytest.param(
        bad(gdpr={"lawful_basis": "vital_interests"}), "gdpr.lawful_basis", id="bad-lawful-basis"
    ),
    pytest.param(bad(matter={"type": "tax"}), "matter.type", id="bad-matter-type"),
    pytest.param(sup(internal_dnc="yes"), "suppression.internal_dnc", id="flag-not-boolean"),
    # --- numbers and ranges ---------------------------------------------------------
    pytest.param(bad(number="abc"), "number", id="unparseable-number"),
    pytest.param(
        bad(campaign={"abandonment_rate_30d": 1.5}),
        "campaign.abandonment_rate_30d",
        id="abandonment-rate-over-one",
    ),
    pytest.param(
        bad(campaign={"abandonment_rate_30d": 3}),
        "campaign.abandonment_rate_30d",
        id="abandonment-rate-as-percent",
    ),
    pytest.param(
        bad(campaign={"abandonment_rate_30d": "3%"}),
        "campaign.abandonment_rate_30d",
        id="abandonment-rate-as-text",
    ),
    pytest.param(
        bad(campaign={"ring_timeout_s": -1}), "campaign.ring_timeout_s", id="negative-ring-timeout"
    ),
    # --- address ------------------------------------------------------------------
    pytest.param(address(zip="4321"), "address.zip", id="four-digit-zip"),
    pytest.param(address(zip="ABCDE"), "address.zip", id="letters-zip"),
    pytest.param(address(zip="43215-12"), "address.zip", id="bad-zip-plus-four"),
    pytest.param(address(state="Ohio"), "address.state", id="state-name-not-code"),
    pytest.param(address(state="O1"), "address.state", id="state-with-digit"),
    pytest.param(address(country="USA"), "address.country", id="three-letter-country"),
    pytest.param(address(time_zone="Eastern"), "address.time_zone", id="not-an-iana-zone"),
    pytest.param(
        address(time_zone="America/Springfield"), "address.time_zone", id="unknown-iana-zone"
    ),
]


@pytest.mark.parametrize(("request_data", "field"), BAD_REQUESTS)
def test_a_bad_request_is_a_request_error_naming_the_dotted_field(
    decide: Decide, request_data: Any, field: str
) -> None:
    with pytest.raises(RequestError) as caught:
        decide(request_data)
    assert caught.value.field == field
    assert caught.value.exit_code == 2


@pytest.mark.parametrize(("request_data", "field"), BAD_REQUESTS)
def test_a_request_error_message_never_repeats_the_telephone_number(
    decide: Decide, request_data: Any, field: str
) -> None:
    with pytest.raises(RequestError) as caught:
        decide(request_data)
    text = str(caught.value)
    assert NUMBER not in text
    assert DIGITS not in re.sub(r"\D", "", text)
    given = request_data.get("number") if isinstance(request_data, dict) else None
    if given not in (None, ""):
        assert str(given) not in text


def test_a_valid_base_request_is_decided_so_the_bad_cases_differ_only_in_their_fault(
    decide: Decide,
) -> None:
    assert decide(bad()).verdict == "allow"
    assert decide(address(zip="43215-1234")).verdict == "allow"


def test_a_request_error_leaves_the_request_unchanged(decide: Decide) -> None:
    request = bad(consents=[{**pec(), "scop": ["reminder"]}])
    before = copy.deepcopy(request)
    with pytest.raises(RequestError):
        decide(request)
    assert request == before


# --- absent facts are read protectively ------------------------------------------------

NO_NATIONAL_FLAG = {k: v for k, v in BASE["suppression"].items() if k != "national_dnc"}
NO_SYNC_DATE = {k: v for k, v in BASE["suppression"].items() if k != "registry_synced_on"}
MARKETING = {"purpose": "marketing", "relationship": {"type": "none"}}


@pytest.mark.parametrize(
    ("line_type", "verdict", "expected_codes"),
    [
        pytest.param(None, "deny", {"NO_CONSENT"}, id="absent-is-wireless"),
        pytest.param("unknown", "deny", {"NO_CONSENT"}, id="unknown-is-wireless"),
        pytest.param("voip", "deny", {"NO_CONSENT"}, id="voip-is-wireless"),
        pytest.param("wireless", "deny", {"NO_CONSENT"}, id="wireless"),
        pytest.param("landline", "allow", set(), id="landline-control"),
    ],
)
def test_an_unknown_line_type_is_judged_as_wireless(
    decide: Decide, line_type: str | None, verdict: str, expected_codes: set[str]
) -> None:
    # A prerecorded reminder with no consent: lawful to a landline (exempt call, first
    # of the month), unlawful to a wireless number (47 U.S.C. 227(b)(1)(A)(iii)).
    d = decide(build(technology="prerecorded", line_type=line_type))
    assert (d.verdict, set(d.codes)) == (verdict, expected_codes)


@pytest.mark.parametrize(
    ("facts", "national_dnc_reported"),
    [
        pytest.param(
            {**MARKETING, "suppression": NO_NATIONAL_FLAG}, True, id="absent-flag-no-exemption"
        ),
        pytest.param({**MARKETING, "suppression": None}, True, id="absent-suppression-object"),
        pytest.param(
            {"purpose": "marketing", "suppression": NO_NATIONAL_FLAG},
            False,
            id="absent-flag-current-client-ebr",
        ),
        pytest.param(
            {**MARKETING, "suppression": NO_NATIONAL_FLAG, "consents": [pewc()]},
            False,
            id="absent-flag-written-consent",
        ),
        pytest.param(MARKETING, False, id="flag-false-control"),
        pytest.param(
            {"relationship": {"type": "none"}, "suppression": NO_NATIONAL_FLAG},
            False,
            id="absent-flag-but-not-telemarketing",
        ),
    ],
)
def test_an_absent_national_dnc_flag_on_a_telemarketing_call_is_treated_as_listed(
    decide: Decide, facts: dict[str, Any], national_dnc_reported: bool
) -> None:
    d = decide(build(**facts))
    assert ("NATIONAL_DNC" in d.codes) is national_dnc_reported
    if national_dnc_reported:
        assert d.verdict == "deny"


@pytest.mark.parametrize(
    ("facts", "stale"),
    [
        # a person with no relationship: the register decides, so the copy's age matters
        pytest.param(
            {"purpose": "marketing", "suppression": NO_SYNC_DATE, "relationship": None},
            True,
            id="marketing-without-sync-date",
        ),
        pytest.param(
            {"purpose": "marketing", "suppression": None, "relationship": None},
            True,
            id="marketing-without-suppression",
        ),
        # contract v1.1: a current client's relationship overrides the register, so an
        # unknown copy date does not stop the call
        pytest.param(
            {"purpose": "marketing", "suppression": NO_SYNC_DATE},
            False,
            id="marketing-to-a-current-client-without-sync-date-v1-1",
        ),
        pytest.param({"purpose": "marketing"}, False, id="marketing-with-recent-sync-control"),
        pytest.param({"suppression": NO_SYNC_DATE}, False, id="reminder-without-sync-date"),
    ],
)
def test_an_absent_registry_sync_date_on_a_telemarketing_call_is_registry_stale(
    decide: Decide, facts: dict[str, Any], stale: bool
) -> None:
    d = decide(build(**facts))
    assert ("REGISTRY_STALE" in d.codes) is stale
    assert (d.verdict == "deny") is stale


CONSENTED_ROBOCALL = {"technology": "prerecorded", "line_type": "wireless", "consents": [pec()]}


@pytest.mark.parametrize(
    ("reassigned", "verdict"),
    [
        pytest.param(None, "allow", id="absent-not-denied"),
        pytest.param({"result": "no", "checked_on": "2026-12-01"}, "allow", id="checked-no"),
        # contract v1.1: no data = the safe harbor is not claimed, not a denial
        pytest.param({"result": "no_data"}, "allow", id="no-data-not-denied-v1-1"),
        pytest.param({"result": "yes"}, "deny", id="reassigned-denied"),
    ],
)
def test_an_absent_reassigned_check_does_not_deny_the_call(
    decide: Decide, reassigned: dict[str, Any] | None, verdict: str
) -> None:
    d = decide(build(**CONSENTED_ROBOCALL, reassigned=reassigned))
    assert d.verdict == verdict
    assert ("REASSIGNED_NUMBER" in d.codes) is (verdict == "deny")


@pytest.mark.parametrize(
    ("facts", "expected_codes"),
    [
        pytest.param({}, set(), id="no-campaign-no-script"),
        pytest.param(
            {"campaign": {"ring_timeout_s": 5, "caller_id": "+13125550000"}},
            {"FIRM_POLICY"},  # a reminder: the 15 s ring is the firm's policy, not law
            id="campaign-short-ring",
        ),
        pytest.param(
            {"campaign": {"abandonment_rate_30d": 0.05, "caller_id": "+13125550000"}},
            {"FIRM_POLICY"},  # a reminder: the 3 % ceiling is the firm policy
            id="campaign-over-abandonment",
        ),
        pytest.param(
            {"campaign": {"mode": "broadcast", "caller_id": "withheld"}},
            {"CALLER_ID_MISSING"},
            id="campaign-caller-id-withheld",
        ),
        pytest.param(
            {"campaign": {"mode": "broadcast", "ring_timeout_s": 20, "caller_id": "+13125550000"}},
            set(),
            id="campaign-lawful",
        ),
        pytest.param(
            {"script": {"identifies_firm_at_start": False}},
            {"SCRIPT_NONCOMPLIANT"},
            id="script-no-identification",
        ),
        pytest.param(
            {"script": {"identifies_firm_at_start": True, "states_callback_number": True}},
            set(),
            id="script-lawful",
        ),
    ],
)
def test_campaign_and_script_are_judged_only_when_given(
    decide: Decide, facts: dict[str, Any], expected_codes: set[str]
) -> None:
    d = decide(build(**CONSENTED_ROBOCALL, **facts))
    assert set(d.codes) == expected_codes
    assert d.verdict == ("deny" if expected_codes else "allow")


# --- the decision's shape ---------------------------------------------------------------

CONTRACT_FIELDS = {
    "decision_id",
    "verdict",
    "earliest_allowed_at",
    "reasons",
    "time_zones",
    "jurisdictions",
    "rulepack",
}
UTC_MINUTE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:00Z$")

SHAPES = [
    pytest.param(build(), "allow", id="allow"),
    pytest.param(
        build(at="2026-12-03T02:30:00Z", technology="autodialed"), "defer", id="defer-after-hours"
    ),
    pytest.param(
        build(suppression={**BASE["suppression"], "internal_dnc": True}),
        "deny",
        id="deny-internal-dnc",
    ),
]


@pytest.mark.parametrize(("request_data", "verdict"), SHAPES)
def test_the_decision_json_has_every_contract_field(
    decide: Decide, engine: Engine, request_data: dict[str, Any], verdict: str
) -> None:
    wire = decide(request_data).to_json()
    json.dumps(wire)  # the wire form is JSON as it stands

    assert set(wire) >= CONTRACT_FIELDS
    assert wire["verdict"] == verdict
    assert isinstance(wire["decision_id"], str)
    assert re.fullmatch(r"[0-9A-Z]{26}", wire["decision_id"])
    assert wire["rulepack"] == engine.pack.version
    assert wire["time_zones"] == ["America/New_York"]
    assert wire["jurisdictions"] == ["US", "US-OH"]
    if verdict == "defer":
        assert UTC_MINUTE.match(wire["earliest_allowed_at"])
    else:
        assert wire["earliest_allowed_at"] is None
    if verdict == "allow":
        assert wire["reasons"] == []
    else:
        assert wire["reasons"]
    known_rules = set(engine.pack.by_id()) | {r.id for r in policy_rules(Policy(), engine.pack)}
    for reason in wire["reasons"]:
        assert {"code", "rule", "message", "citation"} <= set(reason)
        assert reason["code"] in CODES
        assert reason["rule"] in known_rules
        assert reason["message"].strip()
        assert reason["citation"].strip()


def test_the_same_request_gets_the_same_decision_id_and_another_request_another(
    decide: Decide,
) -> None:
    first, again = decide(build()).to_json(), decide(build()).to_json()
    other = decide(build(at="2026-12-02T16:01:00Z")).to_json()
    assert first["decision_id"] == again["decision_id"]
    assert first["decision_id"] != other["decision_id"]


EVERYTHING_WRONG = build(
    at="2026-12-03T07:00:00Z",  # 02:00 in New York, 01:00 in Chicago
    number="+1 850 555 0142",  # Florida panhandle: Eastern and Central
    address=None,
    purpose="marketing",
    technology="prerecorded",
    line_type="wireless",
    relationship={"type": "none"},
    suppression={"national_dnc": True, "internal_dnc": True, "registry_synced_on": "2026-11-25"},
)


def test_a_deny_lists_every_failing_rule_and_each_code_once(decide: Decide) -> None:
    d = decide(EVERYTHING_WRONG)
    assert d.verdict == "deny"
    assert len(d.codes) == len(set(d.codes))
    # consent (three rules), both DNC lists, and the time rules that also fail
    assert {"INTERNAL_DNC", "NATIONAL_DNC", "CALLING_HOURS", "STATE_CALLING_HOURS"} <= set(d.codes)
    assert {"NO_CONSENT", "WRITTEN_CONSENT_REQUIRED"} & set(d.codes)


def test_rules_failing_with_the_same_code_are_merged_into_one_reason_keeping_every_citation(
    decide: Decide,
) -> None:
    d = decide(EVERYTHING_WRONG)
    consent = [r for r in d.reasons if r.code == "NO_CONSENT"]
    assert len(consent) == 1
    wire = consent[0].to_json()
    assert {"us.tcpa.wireless-pewc", "us.tsr.prerecorded-agreement"} <= set(wire["rules"])
    assert "47 CFR 64.1200(a)(2)" in wire["citation"]
    assert "16 CFR 310.4(b)(1)(v)(A)" in wire["citation"]
