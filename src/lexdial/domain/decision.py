"""The decision contract v1 as values: the request facts and the decision.

Rule 1: these are plain immutable values (request parts are NamedTuples: a request is
built for every decision, and a tuple is built several times faster than a frozen
dataclass). They know nothing of JSON files, databases
or clocks; ``domain.request_parse`` builds a request from JSON-shaped data and
``Decision.to_json`` renders the wire form. Field names follow
``shared/design/decision-api.md``; fields may be added, none renamed.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, time
from types import MappingProxyType
from typing import Any, NamedTuple

PURPOSES = frozenset(
    {"reminder", "notification", "informational", "marketing", "debt_collection", "callback"}
)
TECHNOLOGIES = frozenset(
    {"manual", "autodialed", "prerecorded", "artificial_voice", "interactive_voice"}
)
LINE_TYPES = frozenset({"wireless", "landline", "voip", "unknown"})
CONSENT_KINDS = frozenset({"express", "express_written"})
RELATIONSHIPS = frozenset({"current_client", "former_client", "inquiry", "prospect", "none"})
REASSIGNED_RESULTS = frozenset({"no", "yes", "no_data"})
OUTCOMES = frozenset(
    {"conversation", "voicemail", "no_answer", "busy", "abandoned", "failed", "refused"}
)
CAMPAIGN_MODES = frozenset({"manual", "preview", "progressive", "predictive", "broadcast"})
INCIDENT_KINDS = frozenset({"accident", "air_carrier_accident", "disaster"})
LAWFUL_BASES = frozenset({"consent", "contract", "legitimate_interests", "none"})
SUBSCRIBERS = frozenset({"consumer", "business"})
MATTER_TYPES = frozenset(
    {
        "personal_injury",
        "wrongful_death",
        "claims_management",
        "debt",
        "family",
        "criminal",
        "estate",
        "other",
        "pensions",  # (for law) PECR reg. 21B, occupational or personal pension schemes
    }
)

#: Technologies the TCPA treats as automated ("robocalls"): an ATDS or an artificial or
#: prerecorded voice. Gate policy (catalogue T7) treats every dialer-placed call as
#: automated; FCC 24-17 makes AI voices "artificial".
AUTOMATED = frozenset({"autodialed", "prerecorded", "artificial_voice", "interactive_voice"})
#: Technologies that deliver an artificial or prerecorded voice (TCPA (b)(1)(B), TSR F3).
RECORDED_VOICE = frozenset({"prerecorded", "artificial_voice", "interactive_voice"})
#: Technologies that are "live person-to-person" contact for bar rules. An interactive AI
#: voice is unsettled; the protective reading treats it as live (catalogue 6.1).
LIVE_CONTACT = frozenset({"manual", "autodialed", "interactive_voice"})


class Address(NamedTuple):
    country: str | None = None
    state: str | None = None
    zip: str | None = None
    time_zone: str | None = None
    #: a postal code outside the US, any country's format (v1.1); ``zip`` is US only
    postcode: str | None = None


class Relationship(NamedTuple):
    type: str = "none"
    last_transaction_on: date | None = None
    inquiry_on: date | None = None
    #: routinely uses, for business, the kind of legal services offered (v1.1; ABA 7.3(b)(3))
    routinely_uses_services: bool | None = None


class Consent(NamedTuple):
    id: str | None
    kind: str
    #: None (v1.1): the consent's date is unknown, so it cannot prove *prior* consent
    given_at: datetime | None
    scope: frozenset[str] | None
    technologies: frozenset[str] | None
    sellers: tuple[str, ...] | None
    method: str | None = None
    revoked_at: datetime | None = None


class Suppression(NamedTuple):
    national_dnc: bool | None = None
    national_dnc_registered_on: date | None = None
    state_dnc: bool | None = None
    internal_dnc: bool | None = None
    tps_registered_on: date | None = None
    registry_synced_on: date | None = None


class Reassigned(NamedTuple):
    result: str
    checked_on: date | None = None


class HistoryEntry(NamedTuple):
    at: datetime
    purpose: str | None = None
    subject: str | None = None
    debt_id: str | None = None
    outcome: str | None = None
    technology: str | None = None


class TimeRange(NamedTuple):
    """A daily local-time range, start inclusive, end exclusive; may wrap midnight."""

    start: time
    end: time


class Debt(NamedTuple):
    id: str | None = None
    type: str | None = None
    represented_by_attorney: bool | None = None
    represented_since: datetime | None = None
    inconvenient_times: tuple[TimeRange, ...] = ()
    #: the consumer asked the collector in writing to stop communicating (v1.1)
    cease_requested_at: datetime | None = None
    #: the statute of limitations has run (v1.1; 12 CFR 1006.26)
    time_barred: bool | None = None


class Gdpr(NamedTuple):
    objected_at: datetime | None = None
    erased: bool | None = None
    #: one basis for every purpose (str), a map purpose -> basis, or None (not stated)
    lawful_basis: str | dict[str, str] | None = None


class Incident(NamedTuple):
    kind: str
    occurred_on: date


class Campaign(NamedTuple):
    """Dialer settings; each field is judged only when it was given (``given``)."""

    given: frozenset[str]
    mode: str | None = None
    abandonment_rate_30d: float | None = None
    ring_timeout_s: float | None = None
    caller_id: str | None = None
    safe_harbor_message: bool | None = None


class Script(NamedTuple):
    """The call's script flags; each is judged only when it was given."""

    given: frozenset[str]
    identifies_firm_at_start: bool | None = None
    states_callback_number: bool | None = None
    offers_opt_out: bool | None = None
    opt_out_within_2s: bool | None = None
    offers_dnc_list: bool | None = None
    discloses_ai: bool | None = None
    voicemail_text: str | None = None
    #: the call or message threatens suit (v1.1; judged on time-barred debts)
    threatens_suit: bool | None = None


class StatedTime(NamedTuple):
    """A time the person said is inconvenient (v1.1): local wall-clock ``start`` inclusive
    to ``end`` exclusive (may wrap midnight), on ``days`` (weekday numbers, Monday = 0;
    None = every day). A wrapping range belongs to the day it starts on."""

    days: frozenset[int] | None
    start: time
    end: time


class Preferences(NamedTuple):
    shared_line: bool | None = None
    voicemail_details_ok: bool | None = None
    inconvenient_times: tuple[StatedTime, ...] = ()
    #: this number reaches the person at work (v1.1)
    workplace_number: bool | None = None
    #: the person said, or the employer forbids, calls at work (v1.1)
    no_calls_at_work: bool | None = None


class DecisionRequest(NamedTuple):
    """One call attempt's facts (contract v1). Only ``at``, ``number``, ``purpose`` and
    ``technology`` are required; an absent fact is read protectively by the rules."""

    at: datetime
    number: str
    purpose: str
    technology: str
    line_type: str | None = None
    address: Address | None = None
    subject: str | None = None
    relationship: Relationship | None = None
    consents: tuple[Consent, ...] = ()
    suppression: Suppression | None = None
    reassigned: Reassigned | None = None
    history: tuple[HistoryEntry, ...] = ()
    debt: Debt | None = None
    gdpr: Gdpr | None = None
    incident: Incident | None = None
    campaign: Campaign | None = None
    script: Script | None = None
    firm_name: str | None = None
    subscriber: str | None = None
    matter_type: str | None = None
    preferences: Preferences | None = None


_NO_FAILURES: Mapping[str, tuple[str, str]] = MappingProxyType({})


class Reason(NamedTuple):
    """Why a call may not be placed now: one stable code, the rule(s) and citation(s).

    Rules that fail with the same code are merged into one reason so that a code appears
    once; ``rules`` keeps every rule id and ``citation`` every citation.
    """

    code: str
    rule: str
    message: str
    citation: str
    rules: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "rule": self.rule,
            "message": self.message,
            "citation": self.citation,
            "rules": list(self.rules or (self.rule,)),
        }


class RuleCheck(NamedTuple):
    """One rule the engine evaluated for this decision, for evidence and ``explain``."""

    rule: str
    passed: bool
    code: str
    citation: str
    message: str = ""


class Decision(NamedTuple):
    """The engine's answer for one attempt (contract v1), plus evidence fields."""

    decision_id: str
    verdict: str
    earliest_allowed_at: datetime | None
    reasons: tuple[Reason, ...]
    time_zones: tuple[str, ...]
    jurisdictions: tuple[str, ...]
    rulepack: str
    at: datetime
    notes: tuple[str, ...] = ()
    input_digest: str = ""
    #: (rule id, code, citation) of every rule evaluated, in evaluation order
    checked: tuple[tuple[str, str, str], ...] = ()
    #: rule id -> (codes, message) of the rules that failed at ``at`` (never mutated)
    failed: Mapping[str, tuple[str, str]] = _NO_FAILURES

    @property
    def checks(self) -> tuple[RuleCheck, ...]:
        """Every rule evaluated at ``at``, passed or failed, for evidence and ``explain``."""
        out = []
        for rid, code, citation in self.checked:
            hit = self.failed.get(rid)
            if hit is None:
                out.append(RuleCheck(rid, True, code, citation, ""))
            else:
                out.append(RuleCheck(rid, False, hit[0], citation, hit[1]))
        return tuple(out)

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(r.code for r in self.reasons)

    def to_json(self) -> dict[str, Any]:
        """The wire form of the decision (contract v1 plus added evidence fields)."""
        return {
            "decision_id": self.decision_id,
            "verdict": self.verdict,
            "earliest_allowed_at": _iso(self.earliest_allowed_at),
            "reasons": [r.to_json() for r in self.reasons],
            "time_zones": list(self.time_zones),
            "jurisdictions": list(self.jurisdictions),
            "rulepack": self.rulepack,
            "at": _iso(self.at),
            "notes": list(self.notes),
            "checked": [
                {"rule": c.rule, "result": "pass" if c.passed else "fail", "citation": c.citation}
                for c in self.checks
            ],
            "input_digest": self.input_digest,
        }


def _iso(value: datetime | None) -> str | None:
    if value is None:
        return None
    return value.strftime("%Y-%m-%dT%H:%M:%SZ")
