"""Data-protection rules: GDPR erasure, objection to direct marketing, lawful basis.

Rule 1: an objection to direct marketing is absolute (Art. 21(3)) and blocks marketing
only; erasure blocks every call; a lawful basis is judged when one is stated (a missing
basis is noted: the controller's records of processing hold it, Art. 30).
"""

from __future__ import annotations

from datetime import datetime

from lexdial.rules.checks.consent import consent_verdict
from lexdial.rules.context import Ctx, Fail
from lexdial.rules.model import Rule


def check_erased(rule: Rule, ctx: Ctx, t: datetime) -> Fail | None:
    g = ctx.req.gdpr
    if g is None or not g.erased:
        return None
    return Fail(
        (rule.code,),
        "The person's data was erased on request; only a suppression "
        "record remains, and it must not be used to contact them.",
    )


def check_objection(rule: Rule, ctx: Ctx, t: datetime) -> Fail | None:
    g = ctx.req.gdpr
    if g is None or g.objected_at is None or g.objected_at > t:
        return None
    return Fail(
        (rule.code,),
        f"The person objected to direct marketing on "
        f"{g.objected_at:%Y-%m-%d}; the objection is absolute.",
    )


def check_lawful_basis(rule: Rule, ctx: Ctx, t: datetime) -> Fail | None:
    g = ctx.req.gdpr
    if g is None or g.lawful_basis is None:
        return None
    purpose = ctx.req.purpose
    basis = (
        g.lawful_basis if isinstance(g.lawful_basis, str) else g.lawful_basis.get(purpose, "none")
    )
    if basis == "none":
        return Fail((rule.code,), f"No lawful basis is recorded for '{purpose}' calls.")
    if basis == "contract" and purpose == "marketing":
        return Fail(
            (rule.code,),
            "Direct marketing cannot rest on 'contract'; it needs consent or legitimate interests.",
        )
    if basis == "consent":
        verdict = consent_verdict(ctx, t, "pec")
        if not verdict.ok:
            return Fail((rule.code,), f"The lawful basis is consent, but {verdict.message}.")
    return None
