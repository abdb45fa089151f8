"""Firm policy as rules: stricter-than-law settings a firm chooses (protective defaults).

They are generated from ``Policy`` so they appear in decisions and ``explain`` exactly
like pack rules, under jurisdiction ``FIRM`` and with the setting named as citation.
"""

from __future__ import annotations

from datetime import date

from lexdial.rules.checks import KINDS
from lexdial.rules.context import Policy
from lexdial.rules.model import Rule

_SINCE = date(2000, 1, 1)
_NON_MARKETING = frozenset(
    {"reminder", "notification", "informational", "debt_collection", "callback"}
)


def policy_rules(policy: Policy) -> tuple[Rule, ...]:
    """The rules the firm's settings add to every decision."""
    rules: list[Rule] = []
    if policy.all_calls_window is not None:
        start, end = policy.all_calls_window
        params = {"windows": {"daily": [[start, end]]}}
        rules.append(
            Rule(
                id="firm.calling-hours",
                kind="calling_window",
                code="CALLING_HOURS",
                jurisdiction="FIRM",
                summary=f"Firm policy: every call only {start}-{end} at the called person's "
                "location",
                citation="Firm policy (settings: policy.all_calls_window); cf. 12 CFR "
                "1006.6(b)(1)(i), 47 CFR 64.1200(c)(1)",
                effective_from=_SINCE,
                params=params,
                prepared=KINDS["calling_window"][1](params, None),
            )
        )
    if policy.dialer_rules_all_purposes:
        rules.append(
            Rule(
                id="firm.ring-timeout",
                kind="ring_timeout",
                code="RING_TIMEOUT",
                jurisdiction="FIRM",
                summary="Firm policy: every campaign rings at least 15 seconds",
                citation="Firm policy (settings: policy.dialer_rules_all_purposes); cf. 47 CFR "
                "64.1200(a)(6)",
                effective_from=_SINCE,
                purposes=_NON_MARKETING,
                params={"min_seconds": 15},
            )
        )
        rules.append(
            Rule(
                id="firm.abandonment",
                kind="abandonment",
                code="ABANDONMENT_LIMIT",
                jurisdiction="FIRM",
                summary="Firm policy: every campaign keeps 30-day abandonment at or below 3 %",
                citation="Firm policy (settings: policy.dialer_rules_all_purposes); cf. 47 CFR "
                "64.1200(a)(7)",
                effective_from=_SINCE,
                purposes=_NON_MARKETING,
                params={"max_rate": 0.03},
            )
        )
    if policy.require_ai_disclosure:
        params2 = {"require": ["discloses_ai"]}
        rules.append(
            Rule(
                id="firm.ai-disclosure",
                kind="script",
                code="SCRIPT_NONCOMPLIANT",
                jurisdiction="FIRM",
                summary="Firm policy: an artificial or AI voice says it is one at the start",
                citation="Firm policy (settings: policy.require_ai_disclosure); cf. FCC 24-84 "
                "(NPRM), Utah Code 13-77, 10 M.R.S. 1500-DD",
                effective_from=_SINCE,
                technologies=frozenset({"artificial_voice", "interactive_voice"}),
                params=params2,
                prepared=KINDS["script"][1](params2, None),
            )
        )
    return tuple(rules)
