"""What a campaign did, from the store alone (so it is the same after a restart).

Rule: "opt-outs honoured" is checked, not counted: an opt-out is honoured when the
number has a do-not-call entry from that moment and no call to it was placed afterwards.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, func, select

from lexdial.adapters.audit.chain import verify
from lexdial.adapters.audit.sql import SqlAuditStore
from lexdial.adapters.db import tables as t
from lexdial.service.campaigns import abandonment_30d, load_campaign, queue_counts

_PLACED = ("dialled", "completed")


def campaign_report(
    conn: Connection, firm_id: int, campaign_id: int, at: datetime, *, verify_chain: bool = True
) -> dict[str, Any]:
    """Dialled, blocked by reason, deferred, outcomes, opt-outs, abandonment, audit, of one of
    the firm's campaigns (another firm's or an unknown campaign is a RequestError).

    ``verify_chain=False`` skips re-reading the whole audit trail: a progress page that
    refreshes every few seconds shows counts, and the audit page proves the chain.
    """
    load_campaign(conn, firm_id, campaign_id)
    a, q, o = t.call_attempts.c, t.campaign_contacts.c, t.call_outcomes.c
    verdicts: dict[str, int] = {
        str(k): int(v)
        for k, v in conn.execute(
            select(a.status, func.count()).where(a.campaign_id == campaign_id).group_by(a.status)
        ).all()
    }
    blocked: Counter[str] = Counter()
    for (codes,) in conn.execute(
        select(q.codes).where(q.campaign_id == campaign_id, q.status == "blocked")
    ):
        blocked.update(codes or ["UNKNOWN"])
    deferred = conn.execute(
        select(func.count(), func.min(q.next_at)).where(
            q.campaign_id == campaign_id, q.status.in_(("deferred", "retry"))
        )
    ).one()
    outcomes: dict[str, int] = {
        str(k): int(v)
        for k, v in conn.execute(
            select(o.outcome, func.count())
            .select_from(t.call_outcomes.join(t.call_attempts, a.id == o.attempt_id))
            .where(a.campaign_id == campaign_id)
            .group_by(o.outcome)
        ).all()
    }
    opted = conn.execute(
        select(a.number_bidx, o.at)
        .select_from(t.call_outcomes.join(t.call_attempts, a.id == o.attempt_id))
        .where(a.campaign_id == campaign_id, o.opted_out.is_(True))
    ).all()
    honoured = sum(1 for bidx, when in opted if _honoured(conn, firm_id, bidx, when))
    abandoned, live = abandonment_30d(conn, campaign_id, at)
    audit = verify(SqlAuditStore(conn)) if verify_chain else None
    return {
        "campaign": campaign_id,
        "queue": queue_counts(conn, campaign_id),
        "decisions": sum(verdicts.values()),
        "dialled": sum(verdicts.get(s, 0) for s in _PLACED),
        "denied": verdicts.get("denied", 0),
        "deferred_decisions": verdicts.get("deferred", 0),
        "rescheduled": verdicts.get("rescheduled", 0),
        "blocked_by_reason": dict(sorted(blocked.items())),
        "still_deferred": int(deferred[0]),
        # stored as UTC (SQLite drops the offset): say so, a time without a zone misleads
        "next_due": deferred[1].replace(tzinfo=UTC).isoformat() if deferred[1] else None,
        "outcomes": dict(sorted(outcomes.items())),
        "opt_outs": len(opted),
        "opt_outs_honoured": honoured,
        "live_answered_30d": live,
        "abandoned_30d": abandoned,
        "abandonment_rate_30d": abandoned / live if live else 0.0,
        "audit_chain_ok": audit.ok if audit else None,
        "audit_entries": audit.count if audit else None,
    }


def _honoured(conn: Connection, firm_id: int, bidx: str, when: datetime) -> bool:
    # the firm's own list and calls: an opt-out binds the firm it was given to
    d = t.dnc_entries.c
    dnc = conn.execute(
        select(func.count()).where(d.firm_id == firm_id, d.number_bidx == bidx, d.at <= when)
    ).scalar_one()
    later = conn.execute(
        select(func.count()).where(
            t.call_attempts.c.firm_id == firm_id,
            t.call_attempts.c.number_bidx == bidx,
            t.call_attempts.c.at > when,
            t.call_attempts.c.status.in_(_PLACED),
        )
    ).scalar_one()
    return bool(dnc) and not later
