"""Lawyer-specific rules: solicitation bans, waiting periods after accidents, and the
state technology bans and Regulation F representation rule that sit beside them.

Rule 1: a solicitation is a marketing call to someone with no current or prior
professional relationship; an ``inquiry`` is a request for information, not a target
(ABA Model Rule 7.3 cmt [1]). Where a rule only reaches calls about a particular matter
(``requires_matter``), a call with neither ``matter`` nor ``incident`` is not one.
Rule 2: waiting periods count calendar days at the called person's location; the call
may be placed once that day has begun in every candidate zone.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from lexdial.domain.decision import TECHNOLOGIES
from lexdial.rules.checks.consent import known_relationships
from lexdial.rules.checks.exempt import Exemptions, exempt, prepare_exempt
from lexdial.rules.context import Ctx, Fail, local_midnight
from lexdial.rules.model import Rule

_RELATED = frozenset({"current_client", "former_client", "inquiry"})


def prepare_bar(params: dict[str, Any], _subdiv: str | None) -> dict[str, Any]:
    return {
        "requires_matter": bool(params.get("requires_matter", False)),
        "exempt": known_relationships(params.get("exempt_relationships", sorted(_RELATED))),
        "days": int(params.get("days", 0)),
        "incident_kinds": frozenset(params.get("incident_kinds", ())),
        # ABA Model Rule 7.3(b)(3) and the state rules whose text has the same exception: a
        # person who routinely uses, for business, the kind of legal services offered is no
        # target of the ban. True = for every technology the rule reaches; a list = only for
        # those (Texas: 7.03(b)(3) lifts 7.03(b), which reaches live and interactive
        # contact, not the barratry statute's ban on recorded calls)
        "routine_users": _routine_users(params.get("routine_users_exempt", False)),
    }


def _routine_users(value: Any) -> frozenset[str] | None:
    """The technologies for which the routine-user exception applies (None = none)."""
    if value is True:
        return TECHNOLOGIES
    if not value:
        return None
    techs = frozenset(str(t) for t in value)
    if not techs <= TECHNOLOGIES:  # a typo would silently drop the exception
        unknown = sorted(techs - TECHNOLOGIES)
        raise ValueError(f"routine_users_exempt: unknown technologies {unknown}")
    return techs


def check_solicitation(rule: Rule, ctx: Ctx, t: datetime) -> Fail | None:
    p = rule.prepared
    rel = ctx.req.relationship.type if ctx.req.relationship else "none"
    if rel in p["exempt"]:
        return None
    routine = p["routine_users"]
    if (
        routine is not None
        and ctx.req.technology in routine
        and ctx.req.relationship is not None
        and ctx.req.relationship.routinely_uses_services
    ):
        return None
    if p["requires_matter"] and ctx.req.matter_type is None and ctx.req.incident is None:
        return None
    who = "a prospective client" if rel == "prospect" else "a person"
    return Fail(
        (rule.code,),
        f"{rule.summary}: this call would solicit {who} with no "
        "family or prior professional relationship with the firm.",
    )


def check_waiting_period(rule: Rule, ctx: Ctx, t: datetime) -> Fail | None:
    p = rule.prepared
    inc = ctx.req.incident
    if inc is None or inc.kind not in p["incident_kinds"]:
        return None
    free = inc.occurred_on + timedelta(days=p["days"])
    late = [(tz, lt) for tz, lt, _m in ctx.zone_times(t) if lt.date() < free]
    if not late:
        return None
    return Fail(
        (rule.code,),
        f"{rule.summary}: the {inc.kind.replace('_', ' ')} was on {inc.occurred_on}; "
        f"no solicitation before {free}.",
        max(local_midnight(free, tz) for tz, _ in late),
    )


def prepare_ban(params: dict[str, Any], _subdiv: str | None) -> Exemptions | None:
    """A technology ban's exemptions, checked by name when the pack loads: a misspelt
    name would otherwise drop the statute's exemption without a word (over- or
    under-blocking every call it covers)."""
    unknown = sorted(set(params) - {"exempt_if", "ebr_months", "inquiry_months"})
    if unknown:
        raise ValueError(f"technology_ban: unknown params {unknown}")
    return prepare_exempt(params)


def check_technology_ban(rule: Rule, ctx: Ctx, t: datetime) -> Fail | None:
    """A state bans this technology for this purpose unless an exemption applies."""
    spec: Exemptions | None = rule.prepared
    if spec is not None and exempt(spec, ctx, t):
        return None
    return Fail((rule.code,), f"{rule.summary}.")


def check_represented(rule: Rule, ctx: Ctx, t: datetime) -> Fail | None:
    """Regulation F: no contact once the consumer is known to have an attorney."""
    debt = ctx.req.debt
    if debt is None:
        return None
    since = debt.represented_since
    if debt.represented_by_attorney or (since is not None and since <= t):
        return Fail(
            (rule.code,),
            "The consumer is represented by an attorney about this "
            "debt; communicate with the attorney instead.",
        )
    return None
