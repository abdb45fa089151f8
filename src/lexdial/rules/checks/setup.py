"""Campaign, script and voicemail rules: the call's set-up rather than the person.

Rule 1: ``campaign`` and ``script`` absent = not part of this decision (the campaign lint
judges them once); present = every field *given* is judged. A campaign without a caller
ID is a campaign whose caller ID is missing.
Rule 2: voicemail screening is a word screen, not understanding: it flags text that
names a debt or a confidential matter, so a person reviews the template.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from lexdial.rules.checks.exempt import exempt, prepare_exempt
from lexdial.rules.context import Ctx, Fail
from lexdial.rules.model import Rule


def check_ring_timeout(rule: Rule, ctx: Ctx, t: datetime) -> Fail | None:
    c = ctx.req.campaign
    floor = float(rule.params["min_seconds"])  # the pack states it (us.ring-timeout)
    if c is None or c.ring_timeout_s is None or c.ring_timeout_s >= floor:
        return None
    return Fail(
        (rule.code,),
        f"{rule.summary}: ring timeout is {c.ring_timeout_s:g} s (minimum {floor:g} s).",
    )


def check_abandonment(rule: Rule, ctx: Ctx, t: datetime) -> Fail | None:
    c = ctx.req.campaign
    ceiling = float(rule.params["max_rate"])  # the pack states it (us.abandonment)
    if c is None or c.abandonment_rate_30d is None or c.abandonment_rate_30d <= ceiling:
        return None
    return Fail(
        (rule.code,),
        f"{rule.summary}: the campaign's 30-day abandonment rate is "
        f"{c.abandonment_rate_30d:.1%} (limit {ceiling:.0%}).",
    )


def check_safe_harbor(rule: Rule, ctx: Ctx, t: datetime) -> Fail | None:
    c = ctx.req.campaign
    modes = rule.params.get("modes", ["predictive", "progressive"])
    if c is None or c.mode not in modes or c.safe_harbor_message is not False:
        return None
    return Fail(
        (rule.code,),
        f"{rule.summary}: this {c.mode} campaign has no safe-harbor "
        "message for calls no agent can take within 2 seconds.",
    )


def check_caller_id(rule: Rule, ctx: Ctx, t: datetime) -> Fail | None:
    c = ctx.req.campaign
    if c is None:
        return None
    if c.caller_id is None or c.caller_id.strip().lower() == "withheld":
        return Fail((rule.code,), f"{rule.summary}: the campaign transmits no caller ID.")
    return None


_SCRIPT_ITEMS = {
    "identifies_firm_at_start": "the message does not identify the firm at the start",
    "states_callback_number": "the message does not give a callback number",
    "offers_opt_out": "the message offers no automated opt-out",
    "opt_out_within_2s": "the opt-out is not offered within 2 seconds of the identification",
    "offers_dnc_list": "the caller does not offer to add the number to the do-not-call list",
    "discloses_ai": "the artificial voice does not say it is artificial",
}


def prepare_script(params: dict[str, Any], _subdiv: str | None) -> dict[str, Any]:
    return {
        "require": tuple(params["require"]),
        "only_for": params.get("only_for", {}),
        # a statute's exclusions (Cal. Pub. Util. Code 2872(f)) reach its script duties too
        "exempt": prepare_exempt(params),
    }


def check_script(rule: Rule, ctx: Ctx, t: datetime) -> Fail | None:
    """Each required script flag that was given must be true."""
    s = ctx.req.script
    if s is None:
        return None
    p = rule.prepared
    if p["exempt"] is not None and exempt(p["exempt"], ctx, t):
        return None  # outside the statute's regulated call
    missing: list[str] = []
    for item in p["require"]:
        only = p["only_for"].get(item)
        if only and not _matches(only, ctx):
            continue
        if item in s.given and getattr(s, item) is False:
            missing.append(_SCRIPT_ITEMS[item])
    if not missing:
        return None
    return Fail((rule.code,), f"{rule.summary}: " + "; ".join(missing) + ".")


def _matches(only: dict[str, Any], ctx: Ctx) -> bool:
    purposes = only.get("purposes")
    lines = only.get("line_types")
    if purposes and lines:  # either condition makes the item required
        return ctx.req.purpose in purposes or ctx.line_type in lines
    if purposes:
        return ctx.req.purpose in purposes
    if lines:
        return ctx.line_type in lines
    return True


def prepare_voicemail(params: dict[str, Any], _subdiv: str | None) -> dict[str, Any]:
    words = [re.escape(w) for w in params["terms"]]
    pattern = re.compile(r"(?<![a-z0-9])(?:" + "|".join(words) + r")(?![a-z0-9])", re.I)
    return {
        "pattern": pattern,
        "client_may_waive": bool(params.get("client_may_waive")),
        "seen": {},  # text -> words found: campaigns reuse a handful of templates
    }


def check_voicemail(rule: Rule, ctx: Ctx, t: datetime) -> Fail | None:
    """Voicemail text must not reveal a debt (Reg F LCM) or a confidential matter (1.6)."""
    s = ctx.req.script
    if s is None or not s.voicemail_text:
        return None
    p = rule.prepared
    prefs = ctx.req.preferences
    waived = prefs is not None and prefs.voicemail_details_ok and not prefs.shared_line
    if p["client_may_waive"] and waived:
        return None
    seen: dict[str, list[str]] = p["seen"]
    found = seen.get(s.voicemail_text)
    if found is None:
        if len(seen) > 4096:
            seen.clear()
        words = {m.group(0).lower() for m in p["pattern"].finditer(s.voicemail_text)}
        found = seen[s.voicemail_text] = sorted(words)
    if not found:
        return None
    return Fail(
        (rule.code,),
        f"{rule.summary}: the voicemail text mentions " + ", ".join(repr(w) for w in found) + ".",
    )
