"""Statutory exemptions shared by state rules: "this chapter does not apply to calls ...".

Rule 1: many state telemarketing statutes define the regulated call narrowly (Louisiana
45:816, Pennsylvania 2242, Connecticut 42-288a(a)): a call the definition excludes is
outside *every* rule of that chapter — hours, day bans and consent alike. A rule lists
its statute's exclusions in ``params.exempt_if``; each names a fact the request carries.
Rule 2: only exclusions the facts can prove are applied; anything else is left out
(protective), and the rule's note says which of the statute's exclusions were not modelled.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from lexdial.rules.context import Ctx

#: exclusion name -> what it means, for messages and the pack's validation
KNOWN = {
    "consent": "the person's prior express consent covers the call",
    "written_consent": "prior express written consent covers the call",
    "current_client": "the person is a current client",
    # the same, as packs before 2026.12.4 spelled it for technology_ban (Indiana): kept so
    # an older pack still loads for `lexdial rules --diff`
    "current_relationship": "the person is a current client",
    "former_client": "the person is a current or former client",
    "ebr": "an established business relationship within the statute's period",
    "live_operator": "a live person introduces the call",
}


@dataclass(frozen=True, slots=True)
class Exemptions:
    ways: tuple[str, ...]
    ebr_months: int
    inquiry_months: int


def prepare_exempt(params: dict[str, Any]) -> Exemptions | None:
    """The ``exempt_if`` list of a rule's params (None when it has none)."""
    ways = tuple(params.get("exempt_if", ()))
    if not ways:
        return None
    for way in ways:
        if way not in KNOWN:
            raise ValueError(f"unknown exemption {way!r} (known: {', '.join(sorted(KNOWN))})")
    return Exemptions(ways, int(params.get("ebr_months", 18)), int(params.get("inquiry_months", 3)))


def exempt(spec: Exemptions, ctx: Ctx, t: datetime) -> bool:
    """True when the call falls under one of the statute's exclusions."""
    # imported here: consent and dnc import this module's neighbours (no cycle at import)
    from lexdial.rules.checks.consent import consent_covers
    from lexdial.rules.checks.dnc import ebr_status

    rel = ctx.req.relationship.type if ctx.req.relationship is not None else "none"
    for way in spec.ways:
        if way in ("current_client", "current_relationship") and rel == "current_client":
            return True
        if way == "former_client" and rel in ("current_client", "former_client"):
            return True
        if way == "live_operator" and ctx.req.technology in ("manual", "autodialed"):
            return True
        if way == "consent" and consent_covers(ctx, t, "pec"):
            return True
        if way == "written_consent" and consent_covers(ctx, t, "pewc"):
            return True
        if way == "ebr" and ebr_status(ctx, t, spec.ebr_months, spec.inquiry_months)[0]:
            return True
    return False
