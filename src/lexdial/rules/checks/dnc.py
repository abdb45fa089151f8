"""Do-not-call rules: national and state registries, the firm's own list, UK TPS, and
the freshness of the registry copy the scrub used.

Rule 1: an established business relationship is a purchase/transaction within 18 months
or an inquiry within 3 months before the call (47 CFR 64.1200(f)(5); TSR 310.2(q)),
measured to the protective call date; a current client has an ongoing relationship.
Rule 2: an absent ``national_dnc`` for a telemarketing call means "not known to be
clear" and is treated as listed (contract v1).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from lexdial.rules.checks.consent import consent_verdict
from lexdial.rules.context import Ctx, Fail, minus_months
from lexdial.rules.model import Rule


def ebr_status(
    ctx: Ctx, t: datetime, months: int = 18, inquiry_months: int = 3
) -> tuple[bool, str]:
    """(valid, explanation) of the established business relationship at ``t``."""
    rel = ctx.req.relationship
    if rel is None or rel.type in ("none", "prospect"):
        return False, "no established business relationship"
    if ctx.req.suppression is not None and ctx.req.suppression.internal_dnc:
        return False, "the relationship was ended by a do-not-call request to this firm"
    if rel.type == "current_client":
        return True, "current client"
    day = ctx.call_date(t)
    if rel.last_transaction_on is not None:
        limit = minus_months(day, months)
        if rel.last_transaction_on >= limit:
            return True, f"last transaction {rel.last_transaction_on} within {months} months"
    if rel.inquiry_on is not None:
        limit = minus_months(day, inquiry_months)
        if rel.inquiry_on >= limit:
            return True, f"inquiry {rel.inquiry_on} within {inquiry_months} months"
    parts = []
    if rel.last_transaction_on is not None:
        parts.append(f"last transaction {rel.last_transaction_on} is more than {months} months ago")
    if rel.inquiry_on is not None:
        parts.append(f"inquiry {rel.inquiry_on} is more than {inquiry_months} months ago")
    if not parts:
        parts.append(f"{rel.type.replace('_', ' ')} with no transaction or inquiry date on record")
    return False, "; ".join(parts)


def prepare_dnc(params: dict[str, Any], _subdiv: str | None) -> dict[str, Any]:
    return {
        "ebr_months": int(params.get("ebr_months", 18)),
        "inquiry_months": int(params.get("inquiry_months", 3)),
        "max_age_days": int(params.get("max_age_days", 31)),
        "listed_grace_days": int(params.get("listed_grace_days", 0)),
    }


def _exempt(rule: Rule, ctx: Ctx, t: datetime) -> tuple[bool, str]:
    p = rule.prepared
    if consent_verdict(ctx, t, "pewc", "marketing").ok:
        return True, "signed written agreement on file"
    return ebr_status(ctx, t, p["ebr_months"], p["inquiry_months"])


def check_national_dnc(rule: Rule, ctx: Ctx, t: datetime) -> Fail | None:
    """National DNC Registry: no telephone solicitation without PEWC or an EBR (H2, H4)."""
    sup = ctx.req.suppression
    listed = None if sup is None else sup.national_dnc
    if listed is False:
        return None
    ok, why = _exempt(rule, ctx, t)
    if ok:
        return None
    status = (
        "is on the National Do Not Call Registry"
        if listed
        else ("is not known to be clear of the National Do Not Call Registry")
    )
    return Fail((rule.code,), f"The number {status} and there is no exemption ({why}).")


def check_state_dnc(rule: Rule, ctx: Ctx, t: datetime) -> Fail | None:
    """A state do-not-call list: same exemptions, with the state's own EBR period."""
    sup = ctx.req.suppression
    if sup is None or not sup.state_dnc:
        return None
    ok, why = _exempt(rule, ctx, t)
    if ok:
        return None
    return Fail(
        (rule.code,),
        f"The number is on a state do-not-call list and there is no exemption ({why}).",
    )


def check_internal_dnc(rule: Rule, ctx: Ctx, t: datetime) -> Fail | None:
    """The firm's own do-not-call list: honoured at once, on every purpose (R2, H5)."""
    sup = ctx.req.suppression
    if sup is None or not sup.internal_dnc:
        return None
    return Fail((rule.code,), "The person asked this firm not to call (internal do-not-call list).")


def check_registry_fresh(rule: Rule, ctx: Ctx, t: datetime) -> Fail | None:
    """The registry copy used must be no older than ``max_age_days`` (H3(D), G10)."""
    sup = ctx.req.suppression
    synced = None if sup is None else sup.registry_synced_on
    limit = rule.prepared["max_age_days"]
    if synced is None:
        return Fail((rule.code,), f"{rule.summary}: the date of the registry copy is unknown.")
    age = (ctx.call_date(t) - synced).days
    if age < -1:  # a day's slack: the sync date may be written in another zone than the call's
        return Fail(
            (rule.code,),
            f"{rule.summary}: the registry copy is dated {synced}, after "
            "the call, so it cannot have been the copy used for it.",
        )
    if age > limit:
        return Fail(
            (rule.code,),
            f"{rule.summary}: the registry copy from {synced} is {age} days old (limit {limit}).",
        )
    return None


def check_tps(rule: Rule, ctx: Ctx, t: datetime) -> Fail | None:
    """UK TPS: no unsolicited marketing call once a number has been listed 28 days (G10)."""
    sup = ctx.req.suppression
    registered = None if sup is None else sup.tps_registered_on
    if registered is None:
        return None
    days = (ctx.call_date(t) - registered).days
    if days < rule.prepared["listed_grace_days"]:
        return None
    if consent_verdict(ctx, t, "pec", "marketing").ok:
        return None  # reg. 21(4): the subscriber told this caller they do not object
    return Fail(
        (rule.code,),
        f"The number has been on the Telephone Preference Service for "
        f"{days} days and this caller holds no consent to marketing calls.",
    )
