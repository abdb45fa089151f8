"""What the compliance page shows, computed once over the unit of work: consent coverage
per campaign, opt-outs with the delay from receipt to effect, the review queue and the rule
pack versions decisions were judged under.

Rule: an opt-out confirmed from a free-text message was received when the message was, so
its delay is the review's (the law asks for "immediately"; 10 business days is a ceiling).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any

from lexdial.domain.campaign_spec import parse_spec
from lexdial.service.storage import UnitOfWork

#: the decision codes that mean "no consent covers this call"
CONSENT_CODES = (
    "NO_CONSENT",
    "CONSENT_SCOPE",
    "CONSENT_REVOKED",
    "WRITTEN_CONSENT_REQUIRED",
    "SELLER_NOT_NAMED",
)


def _utc(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def consent_coverage(uow: UnitOfWork, firm_id: int) -> list[dict[str, Any]]:
    """Per campaign, newest first: contacts with an unrevoked consent covering its purpose
    and technology, and contacts whose latest decision was refused for want of consent."""
    consents: dict[int, list[tuple[list[str], list[str] | None]]] = defaultdict(list)
    for contact_id, scope, techs in uow.views.open_consent_scopes(firm_id):
        consents[contact_id].append((scope, techs))
    out = []
    for cid, name, status, settings in uow.views.campaign_settings(firm_id):
        spec = parse_spec(settings)
        listed = uow.views.campaign_list_codes(cid)
        covered = sum(
            1
            for contact_id, _ in listed
            if any(
                spec.purpose in scope and (techs is None or spec.technology in techs)
                for scope, techs in consents.get(contact_id, [])
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


def opt_out_delays(uow: UnitOfWork, firm_id: int) -> list[dict[str, Any]]:
    """Do-not-call entries, newest first, with the contact and the delay from receipt to
    effect (see the module's rule)."""
    received: dict[tuple[object, datetime], datetime] = {}
    for review in uow.views.confirmed_reviews(firm_id):
        for key in (review.contact_id, review.number_bidx):
            if key is not None:
                received[(key, _utc(review.decided_at))] = _utc(review.received_at)
    out = []
    for row in uow.views.dnc_listing(firm_id):
        at = _utc(row.at)
        got = received.get((row.contact_id, at)) or received.get((row.number_bidx, at))
        effect = _utc(row.created_at)
        out.append(
            {
                **asdict(row),
                "received": got or at,
                "reviewed": got is not None,
                "delay_s": max(0.0, (effect - (got or at)).total_seconds()),
            }
        )
    return out


def open_reviews(uow: UnitOfWork, firm_id: int) -> tuple[int, datetime | None]:
    """How many messages wait for a person's decision, and when the first is due."""
    return uow.views.open_reviews(firm_id)


def rulepack_versions(uow: UnitOfWork, firm_id: int) -> list[tuple[str, int, datetime, datetime]]:
    """The rule pack versions the firm's decisions were judged under, by first use."""
    return uow.views.rulepack_versions(firm_id)
