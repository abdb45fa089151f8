"""What a campaign did, from the store alone (so it is the same after a restart).

Rule: "opt-outs honoured" is checked, not counted: an opt-out is honoured when the
number has a do-not-call entry from that moment and no call to it was placed afterwards.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Any

from lexdial.domain.states import PLACED_ATTEMPTS, AttemptStatus
from lexdial.service.campaigns import abandonment_30d, load_campaign, queue_counts
from lexdial.service.storage import UnitOfWork

_PLACED = PLACED_ATTEMPTS


def campaign_report(
    uow: UnitOfWork, firm_id: int, campaign_id: int, at: datetime, *, verify_chain: bool = True
) -> dict[str, Any]:
    """Dialled, blocked by reason, deferred, outcomes, opt-outs, abandonment, audit, of one of
    the firm's campaigns (another firm's or an unknown campaign is a RequestError).

    ``verify_chain=False`` skips re-reading the whole audit trail: a progress page that
    refreshes every few seconds shows counts, and the audit page proves the chain.
    """
    load_campaign(uow, firm_id, campaign_id)
    reports = uow.reports
    verdicts = reports.attempt_statuses(campaign_id)
    blocked: Counter[str] = Counter()
    for codes in reports.blocked_codes(campaign_id):
        blocked.update(codes or ["UNKNOWN"])
    deferred = reports.still_deferred(campaign_id)
    outcomes = reports.outcome_counts(campaign_id)
    opted = reports.opted_out_calls(campaign_id)
    honoured = sum(1 for bidx, when in opted if _honoured(uow, firm_id, bidx, when))
    abandoned, live = abandonment_30d(uow, campaign_id, at)
    audit = reports.verify_audit() if verify_chain else None
    return {
        "campaign": campaign_id,
        "queue": queue_counts(uow, campaign_id),
        "decisions": sum(verdicts.values()),
        "dialled": sum(verdicts.get(s, 0) for s in _PLACED),
        "denied": verdicts.get(AttemptStatus.DENIED, 0),
        "deferred_decisions": verdicts.get(AttemptStatus.DEFERRED, 0),
        "rescheduled": verdicts.get(AttemptStatus.RESCHEDULED, 0),
        "blocked_by_reason": dict(sorted(blocked.items())),
        "still_deferred": int(deferred[0]),
        # stored as UTC (SQLite drops the offset): say so, a time without a zone misleads
        "next_due": deferred[1].isoformat() if deferred[1] else None,
        "outcomes": dict(sorted(outcomes.items())),
        "opt_outs": len(opted),
        "opt_outs_honoured": honoured,
        "live_answered_30d": live,
        "abandoned_30d": abandoned,
        "abandonment_rate_30d": abandoned / live if live else 0.0,
        "audit_chain_ok": audit.ok if audit else None,
        "audit_entries": audit.count if audit else None,
    }


def _honoured(uow: UnitOfWork, firm_id: int, bidx: str, when: datetime) -> bool:
    # the firm's own list and calls: an opt-out binds the firm it was given to
    dnc = uow.reports.dnc_entries_until(firm_id, bidx, when)
    later = uow.reports.calls_after(firm_id, bidx, when, _PLACED)
    return bool(dnc) and not later
