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


#: what may lift a do-not-call register, by the name a rule's ``overridden_by`` uses
OVERRIDES = frozenset({"pewc", "pec", "ebr", "current_client"})


def prepare_dnc(params: dict[str, Any], _subdiv: str | None) -> dict[str, Any]:
    ways = frozenset(params.get("overridden_by", ("pewc", "ebr")))
    if not ways <= OVERRIDES:  # a misspelt name would silently drop the statute's exemption
        raise ValueError(f"overridden_by: unknown names {sorted(ways - OVERRIDES)}")
    return {
        "ebr_months": int(params.get("ebr_months", 18)),
        "inquiry_months": int(params.get("inquiry_months", 3)),
        "max_age_days": int(params.get("max_age_days", 31)),
        "listed_grace_days": int(params.get("listed_grace_days", 0)),
        # what lifts the register for a call: a signed written agreement ("pewc"), an
        # established business relationship ("ebr"), any prior consent ("pec", e.g. PECR
        # reg. 21(4)), a current client's ongoing contract ("current_client")
        "overridden_by": ways,
        # states whose own list rule (with that state's exemptions) replaces this one
        "states_with_own_rule": frozenset(params.get("states_with_own_rule", ())),
    }


def _exempt(rule: Rule, ctx: Ctx, t: datetime) -> tuple[bool, str]:
    p = rule.prepared
    ways = p["overridden_by"]
    if "pewc" in ways and consent_verdict(ctx, t, "pewc", "marketing").ok:
        return True, "signed written agreement on file"
    if "pec" in ways and consent_verdict(ctx, t, "pec", "marketing").ok:
        return True, "the person's consent to marketing calls from this firm is on file"
    rel = ctx.req.relationship
    if (
        "current_client" in ways
        and rel is not None
        and rel.type == "current_client"
        and (ctx.req.suppression is None or not ctx.req.suppression.internal_dnc)
    ):
        return True, "current client (an existing contract not yet performed)"
    if "ebr" in ways:
        return ebr_status(ctx, t, p["ebr_months"], p["inquiry_months"])
    return False, "none of this list's exemptions applies (" + ", ".join(sorted(ways)) + ")"


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
    own = rule.prepared["states_with_own_rule"]
    if own and ctx.loc.states and ctx.loc.states <= own:
        return None  # each candidate state's own rule applies its own exemptions
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
    """The registry copy used must be no older than ``max_age_days`` (H3(D), G10), when
    the register matters to the call: a consent or exemption that overrides the register
    makes the copy's age moot (contract v1.1; 64.1200(c)(2)(ii))."""
    sup = ctx.req.suppression
    synced = None if sup is None else sup.registry_synced_on
    limit = rule.prepared["max_age_days"]
    age = None if synced is None else (ctx.call_date(t) - synced).days
    if age is not None and -1 <= age <= limit:
        return None
    if _exempt(rule, ctx, t)[0]:
        return None
    if synced is None or age is None:
        return Fail((rule.code,), f"{rule.summary}: the date of the registry copy is unknown.")
    if age < -1:  # a day's slack: the sync date may be written in another zone than the call's
        return Fail(
            (rule.code,),
            f"{rule.summary}: the registry copy is dated {synced}, after "
            "the call, so it cannot have been the copy used for it.",
        )
    return Fail(
        (rule.code,),
        f"{rule.summary}: the registry copy from {synced} is {age} days old (limit {limit}).",
    )


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
