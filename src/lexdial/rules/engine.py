"""The decision engine: facts in, allow / deny / defer-until out.

Rule 1: pure. ``at`` is the instant judged; nothing reads a clock, file or network here.
The pack, the geography and the firm policy are values handed in by ``bootstrap``.
Rule 2: every applicable rule is evaluated (a refusal lists every failing rule, not the
first). Any permanent failure denies; otherwise the earliest allowed instant is found by
jumping to the latest "cannot pass before" bound of the failing time rules and
re-evaluating *every* rule there, until all pass (defer) or a permanent failure or the
400-day horizon ends the search (deny).
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from lexdial.domain.decision import Decision, DecisionRequest, Reason, RuleCheck
from lexdial.domain.numbers import parse_number
from lexdial.rules.checks import KINDS
from lexdial.rules.context import MINUTE, Ctx, Fail, Policy
from lexdial.rules.model import Rule, RulePack
from lexdial.rules.policy import policy_rules
from lexdial.rules.timezones import Geography, Location, locate

HORIZON = timedelta(days=400)
_MAX_STEPS = 5000

VALID_NUMBER = Rule(
    id="core.valid-number",
    kind="core",
    code="INVALID_NUMBER",
    jurisdiction="*",
    summary="The number must be a dialable telephone number",
    citation="ITU-T Rec. E.164; North American Numbering Plan (47 CFR Part 52)",
    effective_from=date(1990, 1, 1),
)

Failure = tuple[Rule, Fail]


@dataclass(slots=True)
class Engine:
    """A rule pack, reference geography and firm policy, ready to decide."""

    pack: RulePack
    geo: Geography
    policy: Policy = field(default_factory=Policy)
    _select: dict[tuple[object, ...], tuple[Rule, ...]] = field(default_factory=dict)
    _extra: tuple[Rule, ...] = ()

    def __post_init__(self) -> None:
        self._extra = policy_rules(self.policy)

    def decide(self, req: DecisionRequest, digest: str = "") -> Decision:
        """Judge one call attempt."""
        number = parse_number(req.number, self.policy.default_region)
        if not number.valid:
            return self._invalid(req, digest)
        loc = locate(number, req.address, self.geo)
        line = req.line_type if req.line_type in ("landline",) else "wireless"
        subscriber = req.subscriber or "consumer"
        ctx = Ctx(
            req=req,
            number=number,
            loc=loc,
            policy=self.policy,
            line_type=line,
            subscriber=subscriber,
        )
        rules = self._rules(loc, req.purpose, req.technology, line, subscriber)
        first, checks = self._evaluate(rules, ctx, req.at, record=True)
        notes = list(loc.notes) + _notes(req)
        if not first:
            return self._decision(req, digest, "allow", None, [], loc, notes, checks)
        if any(f.next_at is None for _, f in first):
            return self._decision(req, digest, "deny", None, first, loc, notes, checks)
        verdict, when, later = self._search(rules, ctx, req.at, first)
        if verdict == "deny":
            if later is None:
                notes.append("No instant within 400 days satisfies every time-based rule.")
            failures = first + (later or [])
            return self._decision(req, digest, "deny", None, failures, loc, notes, checks)
        return self._decision(req, digest, "defer", when, first, loc, notes, checks)

    # --- internals ---------------------------------------------------------------------

    def _rules(
        self, loc: Location, purpose: str, technology: str, line: str, subscriber: str
    ) -> tuple[Rule, ...]:
        key = (loc.jurisdictions, purpose, technology, line, subscriber)
        hit = self._select.get(key)
        if hit is None:
            pool = self.pack.for_jurisdictions(loc.jurisdictions) + self._extra
            hit = tuple(r for r in pool if r.applies(purpose, technology, line, subscriber))
            self._select[key] = hit
        return hit

    def _evaluate(
        self, rules: tuple[Rule, ...], ctx: Ctx, t: datetime, record: bool = False
    ) -> tuple[list[Failure], list[RuleCheck]]:
        failures: list[Failure] = []
        checks: list[RuleCheck] = []
        day = t.date()
        for rule in rules:
            if not rule.in_force(day):
                continue
            fail = KINDS[rule.kind][0](rule, ctx, t)
            if fail is not None:
                if fail.next_at is not None and fail.next_at <= t:  # guard the search
                    fail = Fail(fail.codes, fail.message, t + MINUTE)
                failures.append((rule, fail))
            if record:
                checks.append(
                    RuleCheck(
                        rule.id,
                        fail is None,
                        rule.code if fail is None else ",".join(fail.codes),
                        rule.citation,
                        fail.message if fail else "",
                    )
                )
        return failures, checks

    def _search(
        self, rules: tuple[Rule, ...], ctx: Ctx, at: datetime, first: list[Failure]
    ) -> tuple[str, datetime | None, list[Failure] | None]:
        """Earliest instant at which every rule passes, or why there is none."""
        horizon = at + HORIZON
        failures = first
        for _ in range(_MAX_STEPS):
            t = max(f.next_at for _, f in failures if f.next_at is not None)
            if t > horizon:
                return "deny", None, None
            failures, _ = self._evaluate(rules, ctx, t)
            if not failures:
                return "defer", t, None
            permanent = [(r, f) for r, f in failures if f.next_at is None]
            if permanent:
                stamp = f"{t:%Y-%m-%d %H:%M} UTC"
                return (
                    "deny",
                    None,
                    [
                        (
                            r,
                            Fail(
                                f.codes,
                                f"By {stamp}, when the time rules would allow the call: "
                                f"{f.message}",
                            ),
                        )
                        for r, f in permanent
                    ],
                )
        return "deny", None, None

    def _invalid(self, req: DecisionRequest, digest: str) -> Decision:
        rule = VALID_NUMBER
        fail = Fail((rule.code,), "The number is not a valid, dialable telephone number.")
        check = RuleCheck(rule.id, False, rule.code, rule.citation, fail.message)
        loc = Location(zones=(), states=frozenset(), country=None, jurisdictions=())
        return self._decision(req, digest, "deny", None, [(rule, fail)], loc, [], [check])

    def _decision(
        self,
        req: DecisionRequest,
        digest: str,
        verdict: str,
        when: datetime | None,
        failures: list[Failure],
        loc: Location,
        notes: list[str],
        checks: list[RuleCheck],
    ) -> Decision:
        return Decision(
            decision_id=decision_id(digest, self.pack.version, verdict, when),
            verdict=verdict,
            earliest_allowed_at=when,
            reasons=merge_reasons(failures),
            time_zones=loc.zones,
            jurisdictions=loc.jurisdictions,
            rulepack=self.pack.version,
            at=req.at,
            notes=tuple(notes),
            checks=tuple(checks),
            input_digest=digest,
        )


def merge_reasons(failures: list[Failure]) -> tuple[Reason, ...]:
    """One reason per code, in order of first failure; every rule and citation kept."""
    grouped: dict[str, list[tuple[Rule, Fail]]] = {}
    for rule, fail in failures:
        for code in fail.codes:
            grouped.setdefault(code, []).append((rule, fail))
    out: list[Reason] = []
    for code, items in grouped.items():
        rules = tuple(dict.fromkeys(r.id for r, _ in items))
        citations = list(dict.fromkeys(r.citation for r, _ in items))
        messages = list(dict.fromkeys(f.message for _, f in items))
        out.append(Reason(code, rules[0], " ".join(messages), "; ".join(citations), rules))
    return tuple(out)


def decision_id(digest: str, version: str, verdict: str, when: datetime | None) -> str:
    """A ULID-shaped id derived from the facts: replaying a decision gives the same id."""
    raw = hashlib.sha256(f"{digest}|{version}|{verdict}|{when}".encode()).digest()
    text = base64.b32encode(raw).decode().rstrip("=")
    return text[:26].translate(str.maketrans("ILOU", "1105"))


def _notes(req: DecisionRequest) -> list[str]:
    notes: list[str] = []
    if req.reassigned is None and req.technology != "manual" and req.consents:
        notes.append("No Reassigned Numbers Database check given: the safe harbor is not claimed.")
    if req.firm_name is None and req.consents:
        notes.append("firm.name not given: consents were not checked for naming the seller.")
    if req.gdpr is not None and req.gdpr.lawful_basis is None:
        notes.append("gdpr.lawful_basis not given: the lawful basis was not judged.")
    return notes
