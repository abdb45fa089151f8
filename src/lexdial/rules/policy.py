"""Firm policy as rules: stricter-than-law settings a firm chooses (protective defaults).

They are generated from ``Policy`` so they appear in decisions and ``explain`` exactly
like pack rules, under jurisdiction ``FIRM`` and with the setting named as citation.
Rule 1 (contract v1.1): a firm rule fails with code FIRM_POLICY, and its message names the
setting and says it is the firm's policy, not law — a compliance officer must never read
a firm choice as a statute. Its evaluator is the pack kind's own, wrapped by ``firm_check``.
Rule 2: firm rules reach only the calls in the policy's scope (``in_scope``): by default
automated technologies and marketing and collection calls, not a person's own call to a
current client.
"""

from __future__ import annotations

from datetime import date, datetime

from lexdial.rules.checks import KINDS
from lexdial.rules.context import Check, Ctx, Fail, Policy
from lexdial.rules.model import Rule, RulePack

FIRM_CODE = "FIRM_POLICY"

_SINCE = date(2000, 1, 1)
_NON_MARKETING = frozenset(
    {"reminder", "notification", "informational", "debt_collection", "callback"}
)


def in_scope(ctx: Ctx) -> bool:
    """Whether the firm's settings reach this call (Rule 2)."""
    policy, req = ctx.policy, ctx.req
    if req.technology == "manual":
        rel = req.relationship.type if req.relationship is not None else "none"
        if rel in policy.policy_spares_manual_to:
            return False
    return req.technology in policy.policy_technologies or req.purpose in policy.policy_purposes


def firm_check(rule: Rule) -> Check:
    """The evaluator of a firm rule: its kind's own, scoped, re-coded FIRM_POLICY."""
    inner = KINDS[rule.kind][0]
    setting = str(rule.params.get("setting", "policy"))

    def check(rule: Rule, ctx: Ctx, t: datetime) -> Fail | None:
        if not in_scope(ctx):
            return None
        fail = inner(rule, ctx, t)
        if fail is None:
            return None
        if ctx.quiet:
            return Fail((FIRM_CODE,), fail.message, fail.next_at)
        message = f"{fail.message} This is the firm's own policy (setting {setting}), not law."
        return Fail((FIRM_CODE,), message, fail.next_at)

    return check


def policy_rules(policy: Policy, pack: RulePack) -> tuple[Rule, ...]:
    """The rules the firm's settings add to every decision (limits the law sets, such as
    the abandonment rate, are read from ``pack``)."""
    rules: list[Rule] = []
    if policy.all_calls_window is not None:
        start, end = policy.all_calls_window
        params = {
            "windows": {"daily": [[start, end]]},
            "setting": f"policy.all_calls_window = {start}-{end}",
        }
        rules.append(
            Rule(
                id="firm.calling-hours",
                kind="calling_window",
                code=FIRM_CODE,
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
        limit, floor = pack.abandonment_limit(), pack.ring_timeout_floor()
        rules.append(
            Rule(
                id="firm.ring-timeout",
                kind="ring_timeout",
                code=FIRM_CODE,
                jurisdiction="FIRM",
                summary=f"Firm policy: every campaign rings at least {floor:g} seconds",
                citation="Firm policy (settings: policy.dialer_rules_all_purposes); cf. 47 CFR "
                "64.1200(a)(6)",
                effective_from=_SINCE,
                purposes=_NON_MARKETING,
                params={"min_seconds": floor, "setting": "policy.dialer_rules_all_purposes"},
            )
        )
        rules.append(
            Rule(
                id="firm.abandonment",
                kind="abandonment",
                code=FIRM_CODE,
                jurisdiction="FIRM",
                summary="Firm policy: every campaign keeps 30-day abandonment at or below "
                f"{limit * 100:g} %",
                citation="Firm policy (settings: policy.dialer_rules_all_purposes); cf. 47 CFR "
                "64.1200(a)(7)",
                effective_from=_SINCE,
                purposes=_NON_MARKETING,
                params={"max_rate": limit, "setting": "policy.dialer_rules_all_purposes"},
            )
        )
    if policy.require_ai_disclosure:
        params2 = {"require": ["discloses_ai"], "setting": "policy.require_ai_disclosure"}
        rules.append(
            Rule(
                id="firm.ai-disclosure",
                kind="script",
                code=FIRM_CODE,
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
