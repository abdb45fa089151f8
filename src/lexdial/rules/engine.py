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

import hashlib
from bisect import bisect_right
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from lexdial.domain.decision import Decision, DecisionRequest, Reason
from lexdial.domain.numbers import parse_number
from lexdial.rules.checks import KINDS, NEEDS, TIMELESS
from lexdial.rules.context import MINUTE, Check, Ctx, Fail, Policy
from lexdial.rules.model import Rule, RulePack
from lexdial.rules.policy import firm_check, policy_rules
from lexdial.rules.timezones import Geography, Location, locate, needs_place

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


Pair = tuple[Rule, Check]


class _Selection:
    """The rules that apply to one call classification, split by effective-date segment.

    Between two effective-date boundaries the set of rules in force cannot change, so
    each segment's list is computed once and reused for every decision that falls in it.
    """

    __slots__ = ("cuts", "pairs", "segments")
    #: (rules in force, their (id, code, citation), their ids, the time-dependent ones)
    Segment = tuple[
        tuple[Pair, ...], tuple[tuple[str, str, str], ...], frozenset[str], tuple[Pair, ...]
    ]

    def __init__(self, rules: tuple[Rule, ...]) -> None:
        self.pairs: tuple[Pair, ...] = tuple(
            (r, firm_check(r) if r.jurisdiction == "FIRM" else KINDS[r.kind][0]) for r in rules
        )
        cuts = {r.effective_from for r in rules}
        cuts.update(r.effective_to + timedelta(days=1) for r in rules if r.effective_to)
        self.cuts = sorted(cuts)
        self.segments: dict[int, _Selection.Segment] = {}

    def on(self, day: date) -> _Selection.Segment:
        """(rule, evaluator) pairs in force on ``day``, and their (id, code, citation)."""
        i = bisect_right(self.cuts, day)
        hit = self.segments.get(i)
        if hit is None:
            pairs = tuple(p for p in self.pairs if p[0].in_force(day))
            meta = tuple((r.id, r.code, r.citation) for r, _ in pairs)
            timed = tuple(p for p in pairs if p[0].kind not in TIMELESS)
            hit = self.segments[i] = (pairs, meta, frozenset(r.id for r, _ in pairs), timed)
        return hit


@dataclass(slots=True)
class Engine:
    """A rule pack, reference geography and firm policy, ready to decide."""

    pack: RulePack
    geo: Geography
    policy: Policy = field(default_factory=Policy)
    _select: dict[tuple[object, ...], _Selection] = field(default_factory=dict)
    _places: dict[tuple[object, ...], Location] = field(default_factory=dict)
    _extra: tuple[Rule, ...] = ()

    def __post_init__(self) -> None:
        self._extra = policy_rules(self.policy, self.pack)

    def decide(self, req: DecisionRequest, digest: str) -> Decision:
        """Judge one call attempt.

        ``digest`` is the request's digest (``domain.digest.request_digest``): the decision
        id is derived from it, so an empty one is a caller's bug and is refused.
        """
        if not digest:
            raise ValueError("Engine.decide needs the request's digest (request_digest(raw))")
        policy = self.policy
        number = parse_number(req.number, policy.default_region)
        if not number.valid:
            return self._invalid(req, digest)
        # locates are cached; the geocoder's place is part of the key only where it is read
        spot = number.place if needs_place(number, self.geo) else ""
        place = (
            number.region,
            number.area_code,
            number.zones,
            spot,
            req.address,
            req.line_type == "landline",
        )
        loc = self._places.get(place)
        if loc is None:
            loc = self._places[place] = locate(
                number, req.address, self.geo, landline=req.line_type == "landline"
            )
        line = "landline" if req.line_type == "landline" else "wireless"
        subscriber = req.subscriber or "consumer"
        ctx = Ctx(req, number, loc, policy, line, subscriber)
        rules = self._rules(
            loc, req.purpose, req.technology, line, subscriber, _present(req, policy)
        )
        at = req.at
        segment = rules.on(at.date())
        first = _run(segment[0], ctx, at)
        if self._extra and len(first) > 1:
            first = _stricter_only(first)
        notes = list(loc.notes) + _notes(req) if loc.notes else _notes(req)
        if not first:
            return self._decision(req, digest, "allow", None, [], loc, notes, segment)
        if any(f.next_at is None for _, f in first):
            return self._decision(req, digest, "deny", None, first, loc, notes, segment)
        verdict, when, later = self._search(rules, ctx, req.at, first, segment)
        if verdict == "deny":
            if later is None:
                notes.append("No instant within 400 days satisfies every time-based rule.")
            seen = {r.id for r, _ in first}
            failures = first + [(r, f) for r, f in later or [] if r.id not in seen]
            return self._decision(req, digest, "deny", None, failures, loc, notes, segment)
        return self._decision(req, digest, "defer", when, first, loc, notes, segment)

    # --- internals ---------------------------------------------------------------------

    def _rules(
        self,
        loc: Location,
        purpose: str,
        technology: str,
        line: str,
        subscriber: str,
        present: int,
    ) -> _Selection:
        key = (loc.jurisdictions, purpose, technology, line, subscriber, present)
        hit = self._select.get(key)
        if hit is None:
            pool = self.pack.for_jurisdictions(loc.jurisdictions) + self._extra
            chosen = tuple(
                r
                for r in pool
                if r.applies(purpose, technology, line, subscriber)
                and (r.kind not in NEEDS or present & _FACT_BITS[NEEDS[r.kind]])
            )
            hit = self._select[key] = _Selection(chosen)
        return hit

    def _evaluate(
        self,
        rules: _Selection,
        ctx: Ctx,
        t: datetime,
        passed: _Selection.Segment | None = None,
    ) -> list[Failure]:
        """Failures of the rules in force at ``t``. With ``passed`` (the segment already
        judged at ``at``), rules whose answer cannot change with time are not re-run."""
        segment = rules.on(t.date())
        todo = segment[0]
        if passed is not None:
            todo = segment[3]
            if segment is not passed:
                fresh = tuple(p for p in segment[0] if p[0].id not in passed[2])
                todo = todo + tuple(p for p in fresh if p[0].kind in TIMELESS)
        return _run(todo, ctx, t)

    def _search(
        self,
        rules: _Selection,
        ctx: Ctx,
        at: datetime,
        first: list[Failure],
        at_segment: _Selection.Segment,
    ) -> tuple[str, datetime | None, list[Failure] | None]:
        """Earliest instant at which every rule passes, or why there is none."""
        horizon = at + HORIZON
        failures = first
        ctx.quiet = True  # intermediate failures' messages are never shown
        for _ in range(_MAX_STEPS):
            t = max(f.next_at for _, f in failures if f.next_at is not None)
            if t > horizon:
                return "deny", None, None
            failures = self._evaluate(rules, ctx, t, at_segment)
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
        segment = ((), ((rule.id, rule.code, rule.citation),), frozenset({rule.id}), ())
        loc = Location(zones=(), states=frozenset(), country=None, jurisdictions=())
        return self._decision(req, digest, "deny", None, [(rule, fail)], loc, [], segment)

    def _decision(
        self,
        req: DecisionRequest,
        digest: str,
        verdict: str,
        when: datetime | None,
        failures: list[Failure],
        loc: Location,
        notes: list[str],
        segment: _Selection.Segment,
    ) -> Decision:
        at_ids = segment[2]
        version = self.pack.version
        # positional: a NamedTuple built by keyword costs twice as much, once per decision
        return Decision(
            decision_id(digest, version, verdict, when),
            verdict,
            when,
            merge_reasons(failures),
            loc.zones,
            loc.jurisdictions,
            version,
            req.at,
            tuple(notes),
            digest,
            segment[1],
            {r.id: (",".join(f.codes), f.message) for r, f in failures if r.id in at_ids}
            if failures
            else {},
        )


def _run(todo: tuple[Pair, ...], ctx: Ctx, t: datetime) -> list[Failure]:
    """Evaluate ``todo`` at ``t``: the failures, in rule order."""
    failures: list[Failure] = []
    for rule, check in todo:
        fail = check(rule, ctx, t)
        if fail is not None:
            if fail.next_at is not None and fail.next_at <= t:  # guard the search
                fail = Fail(fail.codes, fail.message, t + MINUTE)
            failures.append((rule, fail))
    return failures


_SAME_MEASURE = frozenset({"calling_window", "ring_timeout", "abandonment"})


def _stricter_only(failures: list[Failure]) -> list[Failure]:
    """Drop a firm-policy failure that a law rule of the same kind already explains at
    least as strictly (contract v1.1: FIRM_POLICY reports a setting *stricter* than the
    law). The search is unchanged: the law's bound is at least the firm's."""
    law: dict[str, list[datetime | None]] = {}
    for rule, fail in failures:
        # only kinds where the firm's setting and the law's rule measure the same thing
        # (a window, a ring time, a rate); a firm script rule asks for something else
        if rule.jurisdiction != "FIRM" and rule.kind in _SAME_MEASURE:
            law.setdefault(rule.kind, []).append(fail.next_at)
    if not law:
        return failures
    kept: list[Failure] = []
    for rule, fail in failures:
        if rule.jurisdiction == "FIRM":
            bounds = law.get(rule.kind, ())
            mine = fail.next_at
            if any(b is None or (mine is not None and b >= mine) for b in bounds):
                continue
        kept.append((rule, fail))
    return kept


_FACT_BITS = {
    name: 1 << i
    for i, name in enumerate(
        ("campaign", "script", "suppression", "gdpr", "incident", "debt", "history", "reassigned")
    )
}


def _present(req: DecisionRequest, policy: Policy) -> int:
    """Bitmask of the optional facts the request carries (rules needing others are moot)."""
    bits = 0
    if req.campaign is not None:
        bits |= 1
    if req.script is not None:
        bits |= 2
    if req.suppression is not None:
        bits |= 4
    if req.gdpr is not None:
        bits |= 8
    if req.incident is not None:
        bits |= 16
    if req.debt is not None:
        bits |= 32
    if req.history:
        bits |= 64
    if req.reassigned is not None or policy.require_reassigned_check:
        bits |= 128
    return bits


def merge_reasons(failures: list[Failure]) -> tuple[Reason, ...]:
    """One reason per code, in order of first failure; every rule and citation kept."""
    if not failures:
        return ()
    if len(failures) == 1 and len(failures[0][1].codes) == 1:
        rule, fail = failures[0]
        return (Reason(fail.codes[0], rule.id, fail.message, rule.citation, (rule.id,)),)
    grouped: dict[str, list[tuple[Rule, Fail]]] = {}
    for rule, fail in failures:
        for code in fail.codes:
            group = grouped.get(code)
            if group is None:
                grouped[code] = [(rule, fail)]
            else:
                group.append((rule, fail))
    out: list[Reason] = []
    said: dict[tuple[str, tuple[str, ...]], str] = {}  # (message, rules) -> first code
    for code, items in grouped.items():
        rules = tuple(dict.fromkeys(r.id for r, _ in items))
        citations = "; ".join(dict.fromkeys(r.citation for r, _ in items))
        message = _one_message([f.message for _, f in items])
        first = said.setdefault((message, rules), code)
        if first != code:  # the same rules failing under several codes: say it once
            message = f"The same failure as {first} ({', '.join(rules)}): see {first}."
        out.append(Reason(code, rules[0], message, citations, rules))
    return tuple(out)


def _one_message(messages: list[str]) -> str:
    """Several rules' messages as one text, each detail said once: "Title A; Title B:
    detail." where the rules fail for the same reason (TCPA and TSR on one consent)."""
    by_detail: dict[str, list[str]] = {}
    for message in dict.fromkeys(messages):
        title, sep, detail = message.partition(": ")
        key = detail if sep else message
        by_detail.setdefault(key, []).append(title if sep else "")
    parts = []
    for detail, titles in by_detail.items():
        named = "; ".join(t for t in titles if t)
        parts.append(f"{named}: {detail}" if named else detail)
    return " ".join(parts)


def decision_id(digest: str, version: str, verdict: str, when: datetime | None) -> str:
    """A 26-character id derived from the facts: replaying a decision gives the same id."""
    raw = hashlib.blake2b(f"{digest}|{version}|{verdict}|{when}".encode(), digest_size=13)
    return raw.hexdigest().upper()


def _notes(req: DecisionRequest) -> list[str]:
    notes: list[str] = []
    if req.technology != "manual" and req.consents:
        if req.reassigned is None:
            notes.append(
                "No Reassigned Numbers Database check given: the safe harbor is not claimed."
            )
        elif req.reassigned.result == "no_data":
            notes.append(
                "The Reassigned Numbers Database has no data for this number: the safe "
                "harbor of 47 CFR 64.1200(m) is not claimed (not a reason to deny)."
            )
    undated = [c for c in req.consents if c.given_at is None]
    if undated:
        notes.append(
            f"{len(undated)} consent(s) without given_at: a consent with no date cannot "
            "prove prior consent and was counted as none."
        )
    if req.firm_name is None and req.consents:
        notes.append("firm.name not given: consents were not checked for naming the seller.")
    if req.gdpr is not None and req.gdpr.lawful_basis is None:
        notes.append("gdpr.lawful_basis not given: the lawful basis was not judged.")
    return notes
