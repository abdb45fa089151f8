"""The rule pack as values: rules with ids, parameters, effective dates and citations.

Rule 1: a rule is data. Its ``kind`` names one small evaluator in ``rules.checks``; its
``params`` are that evaluator's knobs (windows, caps, periods). A decision at instant
``at`` uses only the rules in force on ``at``'s date (``effective_from`` inclusive,
``effective_to`` inclusive: the last day the rule is in force).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any


@dataclass(frozen=True, slots=True, eq=False)
class Rule:
    """One rule of the pack, with its applicability filters and its evaluator's params."""

    id: str
    kind: str
    code: str
    jurisdiction: str
    summary: str
    citation: str
    effective_from: date
    effective_to: date | None = None
    purposes: frozenset[str] | None = None
    technologies: frozenset[str] | None = None
    line_types: frozenset[str] | None = None
    subscribers: frozenset[str] | None = None
    params: Mapping[str, Any] = field(default_factory=dict)
    #: ``params`` after the evaluator's ``prepare`` step (parsed windows, sets, ...)
    prepared: Any = None
    note: str = ""
    tag: str = ""
    source_file: str = ""

    def in_force(self, day: date) -> bool:
        """True when the rule is in force on ``day``."""
        if day < self.effective_from:
            return False
        return self.effective_to is None or day <= self.effective_to

    def applies(self, purpose: str, technology: str, line_type: str, subscriber: str) -> bool:
        """True when the call's classification falls inside the rule's filters."""
        return (
            (self.purposes is None or purpose in self.purposes)
            and (self.technologies is None or technology in self.technologies)
            and (self.line_types is None or line_type in self.line_types)
            and (self.subscribers is None or subscriber in self.subscribers)
        )

    def comparable(self) -> dict[str, Any]:
        """The fields a pack diff compares (everything a reviewer would care about)."""
        return {
            "kind": self.kind,
            "code": self.code,
            "jurisdiction": self.jurisdiction,
            "summary": self.summary,
            "citation": self.citation,
            "effective_from": self.effective_from.isoformat(),
            "effective_to": self.effective_to.isoformat() if self.effective_to else None,
            "purposes": sorted(self.purposes) if self.purposes is not None else None,
            "technologies": sorted(self.technologies) if self.technologies is not None else None,
            "line_types": sorted(self.line_types) if self.line_types is not None else None,
            "subscribers": sorted(self.subscribers) if self.subscribers is not None else None,
            "params": dict(self.params),
            "note": self.note,
        }


@dataclass(frozen=True, slots=True)
class RulePack:
    """A versioned set of rules; ``version`` is recorded in every decision."""

    version: str
    rules: tuple[Rule, ...]
    released_on: date | None = None

    def by_id(self) -> dict[str, Rule]:
        return {r.id: r for r in self.rules}

    def abandonment_limit(self) -> float:
        """The strictest abandonment rate the pack allows (47 CFR 64.1200(a)(7); 16 CFR
        310.4(b)(4)(i): 3 % of live-answered calls per campaign per 30 days), read from its
        ``abandonment`` rules so the pack is the one place the number lives."""
        rates: list[float] = [r.params["max_rate"] for r in self.rules if r.kind == "abandonment"]
        if not rates:
            raise LookupError(f"rule pack {self.version} has no abandonment rule")
        return min(rates)

    def ring_timeout_floor(self) -> float:
        """The longest minimum ring the pack requires, in seconds (47 CFR 64.1200(a)(6);
        16 CFR 310.4(b)(4)(ii): 15 s), read from its ``ring_timeout`` rules."""
        floors: list[float] = [
            r.params["min_seconds"] for r in self.rules if r.kind == "ring_timeout"
        ]
        if not floors:
            raise LookupError(f"rule pack {self.version} has no ring-timeout rule")
        return max(floors)

    # (for dialer)
    def agent_connect_limit(self) -> float:
        """The shortest time the pack allows between a person's completed greeting and a
        live agent on the line, in seconds (47 CFR 64.1200(a)(7)(i); 16 CFR 310.4(b)(4)(i):
        2 s), read from its ``safe_harbor`` rules' ``agent_within_s``."""
        limits: list[float] = [
            r.params["agent_within_s"]
            for r in self.rules
            if r.kind == "safe_harbor" and "agent_within_s" in r.params
        ]
        if not limits:
            raise LookupError(f"rule pack {self.version} has no agent connect limit")
        return min(limits)

    def for_jurisdictions(self, jurisdictions: tuple[str, ...]) -> tuple[Rule, ...]:
        """Rules of any of ``jurisdictions``, and the rules of every place ("*"), in pack
        order."""
        wanted = {*jurisdictions, "*"}
        return tuple(r for r in self.rules if r.jurisdiction in wanted)
