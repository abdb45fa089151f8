"""The compliance page: is the firm in a position to call lawfully, at a glance.

Consent coverage per campaign; opt-outs with the time from receipt to effect (the law asks
for "immediately"; 10 business days is a ceiling); the free-text messages waiting for a
person to decide whether they revoke; the do-not-call registry copies' age (the national
registry must be synced at least every 31 days: 16 CFR 310.4(b)(3)(iv)); and the rule pack
in force, with the versions decisions were judged under and the rules whose effect starts
or ends around today (what changed in the law the pack encodes).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta
from typing import Any

from fastapi import Request, Response
from sqlalchemy import Connection, func, select

from lexdial.adapters.db import tables as t
from lexdial.bootstrap import Store, registry_lists
from lexdial.domain.campaign_spec import parse_spec
from lexdial.entrypoints.api.deps import Reader, now, store
from lexdial.entrypoints.api.web_common import page, utc, web_router

router = web_router()
CONSENT_CODES = (
    "NO_CONSENT",
    "CONSENT_SCOPE",
    "CONSENT_REVOKED",
    "WRITTEN_CONSENT_REQUIRED",
    "SELLER_NOT_NAMED",
)
#: rules whose effective dates fall this close to today are listed as recent changes
RECENT = timedelta(days=365)
_LISTED = 50


@router.get("/compliance")
def compliance(request: Request, caller: Reader) -> Response:
    """Consent coverage, opt-outs, review queue, registry freshness, rule pack."""
    s = store(request)
    today = now(request).date()
    with s.db.connect() as conn:
        coverage = _coverage(conn, s)
        optouts = _opt_outs(conn, s)
        review = conn.execute(
            select(func.count(), func.min(t.review_items.c.due_at)).where(
                t.review_items.c.firm_id == s.firm_id, t.review_items.c.status == "open"
            )
        ).one()
        versions = conn.execute(
            select(
                t.call_attempts.c.rulepack,
                func.count(),
                func.min(t.call_attempts.c.at),
                func.max(t.call_attempts.c.at),
            )
            .where(t.call_attempts.c.firm_id == s.firm_id, t.call_attempts.c.rulepack.is_not(None))
            .group_by(t.call_attempts.c.rulepack)
            .order_by(func.min(t.call_attempts.c.at))
        ).all()
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


def _coverage(conn: Connection, s: Store) -> list[dict[str, Any]]:
    """Per campaign: contacts with an unrevoked consent covering its purpose and technology."""
    c, q = t.campaigns.c, t.campaign_contacts.c
    camps = conn.execute(
        select(c.id, c.name, c.status, c.settings)
        .where(c.firm_id == s.firm_id)
        .order_by(c.id.desc())
    ).all()
    k, r = t.consents.c, t.revocations.c
    consents: dict[int, list[tuple[list[str], list[str] | None]]] = defaultdict(list)
    for contact_id, scope, techs in conn.execute(
        select(k.contact_id, k.scope, k.technologies)
        .select_from(t.consents.outerjoin(t.revocations, r.consent_id == k.id))
        .where(k.firm_id == s.firm_id, r.id.is_(None))
    ):
        consents[int(contact_id)].append((list(scope or []), techs))
    out = []
    for cid, name, status, settings in camps:
        spec = parse_spec(settings)
        listed = conn.execute(select(q.contact_id, q.codes).where(q.campaign_id == cid)).all()
        covered = sum(
            1
            for contact_id, _ in listed
            if any(
                spec.purpose in scope and (techs is None or spec.technology in techs)
                for scope, techs in consents.get(int(contact_id), [])
            )
        )
        blocked = sum(1 for _, codes in listed if set(codes or ()) & set(CONSENT_CODES))
        total = len(listed)
        out.append(
            {
                "id": cid,
                "name": name,
                "status": status,
                "purpose": spec.purpose,
                "technology": spec.technology,
                "contacts": total,
                "covered": covered,
                "share": covered / total if total else None,
                "blocked": blocked,
            }
        )
    return out


def _opt_outs(conn: Connection, s: Store) -> list[dict[str, Any]]:
    """Do-not-call entries, newest first, with the contact and the delay from receipt to
    effect. An entry made when a person confirmed that a free-text message was a revocation
    was received when the message was: its delay is the review's."""
    r = t.review_items.c
    received: dict[tuple[object, datetime], datetime] = {}
    for contact_id, bidx, got, decided in conn.execute(
        select(r.contact_id, r.number_bidx, r.received_at, r.decided_at).where(
            r.firm_id == s.firm_id, r.status == "confirmed", r.decided_at.is_not(None)
        )
    ):
        for key in (contact_id, bidx):
            if key is not None:
                received[(key, utc(decided))] = utc(got)
    d, n = t.dnc_entries.c, t.contact_numbers.c
    rows = (
        conn.execute(
            select(d.id, d.at, d.created_at, d.channel, d.number_bidx, n.contact_id)
            .select_from(
                t.dnc_entries.outerjoin(
                    t.contact_numbers, (n.number_bidx == d.number_bidx) & (n.firm_id == d.firm_id)
                )
            )
            .where(d.firm_id == s.firm_id)
            .order_by(d.at.desc(), d.id.desc())
        )
        .mappings()
        .all()
    )
    out = []
    for row in rows:
        at = utc(row["at"])
        got = received.get((row["contact_id"], at)) or received.get((row["number_bidx"], at))
        effect = utc(row["created_at"])
        out.append(
            {
                **row,
                "received": got or at,
                "reviewed": got is not None,
                "delay_s": max(0.0, (effect - (got or at)).total_seconds()),
            }
        )
    return out


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
