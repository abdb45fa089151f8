"""The compliance page: is the firm in a position to call lawfully, at a glance.

Consent coverage per campaign; opt-outs with the time from receipt to effect (the law asks
for "immediately"; 10 business days is a ceiling); the free-text messages waiting for a
person to decide whether they revoke; the do-not-call registry copies' age (the national
registry must be synced at least every 31 days: 16 CFR 310.4(b)(3)(iv)); and the rule pack
in force, with the versions decisions were judged under and the rules whose effect starts
or ends around today (what changed in the law the pack encodes).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from fastapi import Request, Response

from lexdial.bootstrap import Store, registry_lists
from lexdial.entrypoints.api.deps import Reader, now, store
from lexdial.entrypoints.api.web_common import page, web_router
from lexdial.service import compliance_view
from lexdial.service.compliance_view import CONSENT_CODES as CONSENT_CODES

router = web_router()
#: rules whose effective dates fall this close to today are listed as recent changes
RECENT = timedelta(days=365)
_LISTED = 50


@router.get("/compliance")
def compliance(request: Request, caller: Reader) -> Response:
    """Consent coverage, opt-outs, review queue, registry freshness, rule pack."""
    s = store(request)
    today = now(request).date()
    with s.reading() as uow:
        coverage = compliance_view.consent_coverage(uow, s.firm_id)
        optouts = compliance_view.opt_out_delays(uow, s.firm_id)
        review = compliance_view.open_reviews(uow, s.firm_id)
        versions = compliance_view.rulepack_versions(uow, s.firm_id)
    pack = s.rules.pack
    recent = [
        r
        for r in pack.rules
        if abs(r.effective_from - today) <= RECENT
        or (r.effective_to is not None and abs(r.effective_to - today) <= RECENT)
    ]
    slowest = max((o["delay_s"] for o in optouts), default=None)
    return page(
        request,
        "compliance.html",
        caller,
        coverage=coverage,
        optouts=optouts[:_LISTED],
        optout_total=len(optouts),
        slowest=slowest,
        review_open=review[0],
        review_due=review[1],
        registries=_registries(s, today),
        pack=pack,
        today=today,
        versions=versions,
        recent=sorted(recent, key=lambda r: r.effective_from, reverse=True),
    )


def _registries(s: Store, today: date) -> list[dict[str, Any]]:
    """Each loaded do-not-call list's snapshot age against its limit; the national list is
    always shown, as "never loaded" if it is missing (its status is then unknown)."""
    loaded = {r.list: r for r in registry_lists(s.data_dir, today)}
    out: list[dict[str, Any]] = []
    for name in sorted({"us-national", *loaded}):
        r = loaded.get(name)
        if r is None:
            out.append(
                {
                    "list": name,
                    "snapshot_on": None,
                    "age_days": None,
                    "max_age_days": 31,
                    "stale": True,
                }
            )
            continue
        out.append(
            {
                "list": name,
                "snapshot_on": r.snapshot_on,
                "age_days": r.age_days,
                "max_age_days": r.max_age_days,
                "stale": r.stale,
            }
        )
    return out
