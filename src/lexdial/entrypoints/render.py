"""Text for people: ``explain``, the rules listing, pack diffs and the demo table.

Numbers are shown masked (the middle digits hidden): an explanation is often pasted into
e-mails and tickets, and the number is not needed to understand the decision.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from lexdial.domain.decision import Decision, DecisionRequest
from lexdial.domain.zones import zone
from lexdial.rules.engine import Engine
from lexdial.rules.model import Rule
from lexdial.rules.policy import policy_rules

_WIDTH = 78


def mask_number(raw: str) -> str:
    """'+1 813 555 0123' -> '+1813•••••23': enough to tell numbers apart, not to dial."""
    digits = "".join(ch for ch in raw if ch.isdigit())
    if len(digits) <= 4:
        return "•" * len(digits)
    head = digits[:4] if raw.strip().startswith("+") else digits[:3]
    prefix = "+" if raw.strip().startswith("+") else ""
    return prefix + head + "•" * (len(digits) - len(head) - 2) + digits[-2:]


def _utc(t: datetime) -> str:
    return f"{t:%Y-%m-%d %H:%M} UTC"


def _local_list(t: datetime, zones: Sequence[str]) -> str:
    return "; ".join(f"{t.astimezone(zone(z)):%a %Y-%m-%d %H:%M} {z}" for z in zones)


def _wrap(text: str, indent: str) -> str:
    return textwrap.fill(text, _WIDTH, initial_indent=indent, subsequent_indent=indent)


def explain(engine: Engine, req: DecisionRequest, decision: Decision) -> str:
    """The decision as a person reads it: verdict, where, and every rule checked."""
    # the firm's policy rules are judged like pack rules, so they are described like them
    rules = {r.id: r for r in (*engine.pack.rules, *policy_rules(engine.policy, engine.pack))}
    lines = [
        f"Call to {mask_number(req.number)} at {_utc(req.at)} "
        f"(rule pack {decision.rulepack}, decision {decision.decision_id})",
        f"Purpose: {req.purpose}; technology: {req.technology}; line type: "
        f"{req.line_type or 'unknown (judged as wireless)'}",
    ]
    verdict = decision.verdict.upper()
    if decision.earliest_allowed_at is not None:
        when = decision.earliest_allowed_at
        lines.append(f"VERDICT: {verdict} until {_utc(when)}")
        lines.append(_wrap(f"that is {_local_list(when, decision.time_zones)}", "  "))
    else:
        lines.append(f"VERDICT: {verdict}")
    if decision.time_zones:
        lines.append("Candidate time zones (local time of the attempt):")
        lines.extend(f"  - {_local_list(req.at, [z])}" for z in decision.time_zones)
    if decision.jurisdictions:
        lines.append("Jurisdictions: " + ", ".join(decision.jurisdictions))
    failed = [c for c in decision.checks if not c.passed]
    passed = [c for c in decision.checks if c.passed]
    lines.append("")
    lines.append(f"Rules failed ({len(failed)}):" if failed else "Rules failed: none")
    for c in failed:
        lines.append(f"  FAIL  {c.rule}  [{c.code}]")
        lines.append(_wrap(c.message, "        "))
        lines.append(_wrap(f"Citation: {c.citation}", "        "))
    lines.append(f"Rules passed ({len(passed)}):")
    for c in passed:
        rule = rules.get(c.rule)
        summary = rule.summary if rule is not None else c.rule
        lines.append(f"  pass  {c.rule}")
        lines.append(_wrap(summary, "        "))
        lines.append(_wrap(f"Citation: {c.citation}", "        "))
    if decision.reasons and decision.verdict == "deny":
        extra = [r for r in decision.reasons if r.message.startswith("By ")]
        for r in extra:
            lines.append(_wrap(f"Later: {r.message}", "  "))
    if decision.notes:
        lines.append("Notes:")
        lines.extend(_wrap(n, "  - ") for n in decision.notes)
    return "\n".join(lines)


def rules_text(version: str, rules: Sequence[Rule]) -> str:
    out = [f"Rule pack {version}: {len(rules)} rules", ""]
    for r in rules:
        until = r.effective_to.isoformat() if r.effective_to else "open"
        out.append(f"{r.id}  [{r.jurisdiction}]  {r.effective_from} .. {until}  ({r.code})")
        out.append(_wrap(r.summary, "    "))
        out.append(_wrap(f"Citation: {r.citation}", "    "))
        if r.note:
            out.append(_wrap(f"Note: {r.note}", "    "))
    return "\n".join(out)


def diff_text(changes: dict[str, Any]) -> str:
    out = [f"Rule pack {changes['old_version']} -> {changes['new_version']}"]
    if not (changes["added"] or changes["removed"] or changes["changed"]):
        out.append("No rule changed.")
    for item in changes["added"]:
        out.append(
            f"+ added    {item['id']}  [{item['jurisdiction']}] from "
            f"{item['effective_from']}: {item['summary']}"
        )
    for item in changes["removed"]:
        out.append(f"- removed  {item['id']}  [{item['jurisdiction']}]: {item['summary']}")
    for item in changes["changed"]:
        out.append(f"~ changed  {item['id']}")
        for field, pair in item["changes"].items():
            out.append(f"      {field}: {pair['old']!r} -> {pair['new']!r}")
    return "\n".join(out)


def demo_table(rows: Sequence[tuple[str, Decision]], version: str) -> str:
    head = f"{'#':>2}  {'attempt':<46} {'verdict':<7} {'earliest allowed':<21} reasons"
    out = [f"lexdial gate, rule pack {version}", head, "-" * len(head)]
    counts: dict[str, int] = {}
    for i, (title, d) in enumerate(rows, start=1):
        counts[d.verdict] = counts.get(d.verdict, 0) + 1
        when = f"{d.earliest_allowed_at:%Y-%m-%d %H:%M} UTC" if d.earliest_allowed_at else "-"
        codes = ", ".join(d.codes) or "-"
        short = textwrap.shorten(title, 46, placeholder="...")  # whole words only
        out.append(f"{i:>2}  {short:<46} {d.verdict:<7} {when:<21} {codes}")
    out.append("-" * len(head))
    out.append(
        "  ".join(f"{k}: {v}" for k, v in sorted(counts.items()))
        + "   (times in UTC; run 'lexdial explain' on an attempt for the full reasoning)"
    )
    return "\n".join(out)


def _utc_text(value: Any) -> str:
    """An instant from a report for people, with its zone (reports keep UTC)."""
    text = str(value)
    try:
        at = datetime.fromisoformat(text)
    except ValueError:
        return text
    at = at if at.tzinfo else at.replace(tzinfo=UTC)
    return f"{at.astimezone(UTC):%Y-%m-%d %H:%M} UTC"


def campaign_report(r: dict[str, Any]) -> str:
    """A campaign's report for a person: what was dialled, blocked, and proven."""
    lines = [f"Campaign #{r['campaign']} report" + (f" — {r['firm']}" if r.get("firm") else "")]
    if r.get("simulated_start"):
        lines.append(
            f"  simulated clock from {r['simulated_start']} for {r['simulated_hours']} h "
            f"(simulated carrier, seed {r.get('seed')}; store in {r['data_dir']})"
        )
    if r.get("ended"):
        end = r["ended"]
        lines.append(
            f"  campaign {end['status']} at {_utc_text(end['at'])}, when the clock stopped: "
            f"{end['why']}"
        )
    lines += [
        "",
        f"  contacts on the list        {r.get('contacts', sum(r['queue'].values()))}",
        f"  gate decisions recorded     {r['decisions']}",
        f"  calls dialled               {r['dialled']}",
        f"  denied by the gate          {r['denied']}",
        f"  deferred by the gate        {r['deferred_decisions']} (dialled later, at the "
        "earliest allowed instant)",
        *(f"      {who}: {why}" for who, why in (r.get("why_deferred") or {}).items()),
        f"  outside campaign schedule   {r['rescheduled']} (waited for the schedule)",
        f"  still waiting               {r['still_deferred']}"
        + (f" (next due {_utc_text(r['next_due'])})" if r["next_due"] else ""),
        "",
        "  blocked contacts, by reason code (a contact may have several):",
    ]
    lines += [f"    {code:<26} {n}" for code, n in r["blocked_by_reason"].items()] or ["    none"]
    for who, why in (r.get("why_blocked") or {}).items():
        lines.append(f"      {who}: {why}")
    lines += ["", "  call outcomes:"]
    lines += [f"    {name:<26} {n}" for name, n in r["outcomes"].items()] or ["    none"]
    rate = r["abandonment_rate_30d"]
    ok = "intact" if r["audit_chain_ok"] else "BROKEN"
    lines += [
        "",
        f"  opt-outs pressed            {r['opt_outs']}, honoured {r['opt_outs_honoured']} "
        "(do-not-call entry at once, no later call)",
        f"  abandonment (30 days)       {r['abandoned_30d']} of {r['live_answered_30d']} "
        f"live answers = {rate:.1%} (limit 3%)",
        f"  audit chain                 {ok}, {r['audit_entries']} entries verified",
        "  queue now                   "
        + ", ".join(f"{k} {v}" for k, v in sorted(r["queue"].items())),
    ]
    return "\n".join(lines)
