"""The facts behind a campaign's evidence report, read from the store as JSON-ready data.

Why a data step apart from the PDF: the PDF only lays out what is here, so tests check the
figures against the database without parsing a PDF, and the same dict can be served as
JSON. Personal data stays out: contacts appear by id, numbers never.

Rule 1: "calls outside any window" is re-checked, not trusted. Every placed call's stored
decision names its candidate time zones and instant; the call is outside when it was before
08:00 or from 21:00 local in ANY of them (47 CFR 64.1200(c)(1)). The gate should make it
zero; a call without a zone to check is listed as unverifiable, not assumed fine.
Rule 2: abandonment is given per successive 30-day period from the campaign's first call
(47 CFR 64.1200(a)(7)(i): "each successive 30-day period or portion thereof") and as the
rolling 30 days before the report, with the worst rolling window seen.
Rule 3: an opt-out's time to honour runs from its receipt (the do-not-call entry's ``at``) to
the next gate decision for that number that denied; a call placed after receipt is a breach
and is listed by attempt id. The entry itself is written in the receiving transaction
(``optout.opt_out``), so it is in force from receipt.
"""

from __future__ import annotations

from collections import deque
from datetime import datetime, time, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, func, select, union

from lexdial.adapters.audit.chain import verify
from lexdial.adapters.audit.sql import SqlAuditStore
from lexdial.adapters.db import tables as t
from lexdial.domain.zones import zone
from lexdial.errors import RequestError
from lexdial.service.campaign_lint import lint_campaign
from lexdial.service.campaign_report import campaign_report
from lexdial.service.campaigns import load_campaign
from lexdial.service.report_policy import dnc_policy_data, iso, roster_data, snapshots, utc

if TYPE_CHECKING:
    from lexdial.bootstrap import Store

__all__ = ["ABANDON_LIMIT", "WINDOW", "campaign_data", "dnc_policy_data", "roster_data"]

#: the federal calling window, local time at the called party (47 CFR 64.1200(c)(1))
WINDOW = (time(8, 0), time(21, 0))
#: 47 CFR 64.1200(a)(7)(i): at most 3 % of live-answered calls abandoned per 30 days
ABANDON_LIMIT = 0.03
PERIOD = timedelta(days=30)
PLACED = ("dialled", "completed")


def campaign_data(store: Store, campaign_id: int, at: datetime) -> dict[str, Any]:
    """Everything the campaign evidence PDF states, as of ``at`` (see module rules)."""
    at = utc(at)
    c = t.campaigns.c
    with store.db.connect() as conn:
        camp = load_campaign(conn, store.firm_id, campaign_id)
        row = conn.execute(
            select(
                c.name, c.status, c.purpose, c.technology, c.mode, c.created_at, c.updated_at
            ).where(c.id == campaign_id)
        ).one()
        firm = conn.execute(select(t.firms.c.name).where(t.firms.c.id == store.firm_id))
        try:
            lint = lint_campaign(
                conn,
                store.rules,
                store.cipher,
                store.registry,
                firm_id=store.firm_id,
                campaign_id=campaign_id,
                at=at,
            )
        except RequestError as exc:  # e.g. a contact erased since: say so, do not fail
            lint = [f"the lint could not run: {exc}"]
        summary = campaign_report(conn, store.firm_id, campaign_id, at)
        for key in ("audit_chain_ok", "audit_entries"):  # stated once, under "audit"
            summary.pop(key, None)
        calls = _placed_calls(conn, campaign_id)
        first = calls[0][1] if calls else None
        last = calls[-1][1] if calls else None
        return {
            "firm": str(firm.scalar_one()),
            "generated_at": iso(at),
            "campaign": {
                "id": campaign_id,
                "name": row.name,
                "status": row.status,
                "purpose": row.purpose,
                "technology": row.technology,
                "mode": row.mode,
                "created_at": iso(row.created_at),
                "updated_at": iso(row.updated_at),
                "first_call_at": iso(first),
                "last_call_at": iso(last),
            },
            "settings": camp.spec.to_json(),
            "lint": lint,
            "rulepacks": _rulepacks(conn, campaign_id),
            "summary": summary,
            "calls_by_local_hour": _by_local_hour(calls),
            "outside_window": _outside(calls),
            "abandonment": _abandonment(conn, campaign_id, first, at),
            "opt_outs": _opt_outs(conn, store.firm_id, campaign_id),
            "registry_snapshots": snapshots(conn, first or at, at),
            "audit": audit_head(conn),
        }


def audit_head(conn: Connection) -> dict[str, Any]:
    """The verified audit chain's head: the hash an auditor can compare later."""
    result = verify(SqlAuditStore(conn))
    return {
        "ok": result.ok,
        "entries": result.count,
        "head_seq": result.head.seq,
        "head_hash": result.head.hash,
        "anchor": str(result.head),
        "problem": result.problem,
        "bad_seq": result.bad_seq,
        "detail": result.detail,
    }


def _rulepacks(conn: Connection, campaign_id: int) -> dict[str, int]:
    a = t.call_attempts.c
    rows = conn.execute(
        select(a.rulepack, func.count()).where(a.campaign_id == campaign_id).group_by(a.rulepack)
    ).all()
    return {str(v or "none"): int(n) for v, n in sorted(rows, key=lambda r: str(r[0]))}


_Call = tuple[int, datetime, tuple[str, ...]]


def _placed_calls(conn: Connection, campaign_id: int) -> list[_Call]:
    """(attempt id, decision instant, candidate zones) of every call placed, oldest first."""
    a = t.call_attempts.c
    out: list[_Call] = []
    for attempt_id, when, decision in conn.execute(
        select(a.id, a.at, a.decision)
        .where(a.campaign_id == campaign_id, a.status.in_(PLACED))
        .order_by(a.at, a.id)
    ):
        d = decision or {}
        stamp = d.get("at")
        at = datetime.fromisoformat(stamp.replace("Z", "+00:00")) if stamp else when
        out.append((int(attempt_id), utc(at), tuple(d.get("time_zones") or ())))
    return out


def _by_local_hour(calls: list[_Call]) -> list[int]:
    """Calls per local hour of day at the called party (first candidate zone)."""
    hours = [0] * 24
    for _, at, zones in calls:
        try:
            hours[at.astimezone(zone(zones[0])).hour] += 1
        except (IndexError, KeyError):
            continue
    return hours


def _outside(calls: list[_Call]) -> dict[str, Any]:
    """Rule 1: every placed call against the federal window in every candidate zone."""
    start, end = WINDOW
    hits: list[dict[str, Any]] = []
    unverifiable: list[dict[str, Any]] = []
    for attempt_id, at, zones in calls:
        if not zones:
            unverifiable.append({"attempt": attempt_id, "at": iso(at), "why": "no time zone"})
            continue
        for name in zones:
            try:
                local = at.astimezone(zone(name))
            except KeyError:
                unverifiable.append({"attempt": attempt_id, "at": iso(at), "why": name})
                continue
            if not start <= local.time().replace(tzinfo=None) < end:
                hits.append(
                    {
                        "attempt": attempt_id,
                        "at": iso(at),
                        "zone": name,
                        "local": local.strftime("%Y-%m-%d %H:%M"),
                    }
                )
    return {
        "window": [start.strftime("%H:%M"), end.strftime("%H:%M")],
        "checked": len(calls),
        "count": len({h["attempt"] for h in hits}),
        "calls": hits,
        "unverifiable": unverifiable,
    }


def _rate(abandoned: int, live: int) -> float | None:
    return abandoned / live if live else None


def _abandonment(
    conn: Connection, campaign_id: int, first: datetime | None, at: datetime
) -> dict[str, Any]:
    """Rule 2: per successive 30-day period, rolling 30 days, and the worst window."""
    a, o = t.call_attempts.c, t.call_outcomes.c
    rows = [
        (utc(when), bool(live), bool(abandoned))
        for when, live, abandoned in conn.execute(
            select(o.at, o.live_answered, o.abandoned)
            .select_from(t.call_outcomes.join(t.call_attempts, a.id == o.attempt_id))
            .where(a.campaign_id == campaign_id, o.at <= at)
            .order_by(o.at, o.id)
        )
    ]
    periods: list[dict[str, Any]] = []
    if first is not None and rows:
        start = min(first, rows[0][0])
        while start <= rows[-1][0]:
            end = start + PERIOD
            inside = [r for r in rows if start <= r[0] < end]
            live, ab = sum(r[1] for r in inside), sum(r[2] for r in inside)
            rate = _rate(ab, live)
            periods.append(
                {
                    "start": iso(start),
                    "end": iso(end),
                    "live": live,
                    "abandoned": ab,
                    "rate": rate,
                    "complete": end <= at,
                    "over_limit": rate is not None and rate > ABANDON_LIMIT,
                }
            )
            start = end
    recent = [r for r in rows if r[0] > at - PERIOD]
    live, ab = sum(r[1] for r in recent), sum(r[2] for r in recent)
    worst: dict[str, Any] | None = None
    window: deque[tuple[datetime, bool, bool]] = deque()
    w_live = w_ab = 0
    for r in rows:
        window.append(r)
        w_live, w_ab = w_live + r[1], w_ab + r[2]
        while window[0][0] <= r[0] - PERIOD:
            old = window.popleft()
            w_live, w_ab = w_live - old[1], w_ab - old[2]
        rate = _rate(w_ab, w_live)
        if rate is not None and (worst is None or rate >= worst["rate"]):
            worst = {"end": iso(r[0]), "live": w_live, "abandoned": w_ab, "rate": rate}
    return {
        "limit": ABANDON_LIMIT,
        "periods": periods,
        "rolling": {"end": iso(at), "live": live, "abandoned": ab, "rate": _rate(ab, live)},
        "worst_rolling": worst,
    }


def _opt_outs(conn: Connection, firm_id: int, campaign_id: int) -> list[dict[str, Any]]:
    """Rule 3: every do-not-call entry for a number on the campaign's list."""
    a, d, cn, cc = t.call_attempts.c, t.dnc_entries.c, t.contact_numbers.c, t.campaign_contacts.c
    numbers = union(
        select(a.number_bidx).where(a.campaign_id == campaign_id),
        select(cn.number_bidx)
        .select_from(t.contact_numbers.join(t.campaign_contacts, cc.contact_id == cn.contact_id))
        .where(cc.campaign_id == campaign_id),
    ).subquery()
    entries = conn.execute(
        select(d.id, d.number_bidx, d.at, d.channel, d.created_at)
        .where(d.firm_id == firm_id, d.number_bidx.in_(select(numbers.c.number_bidx)))
        .order_by(d.at, d.id)
    ).all()
    out = []
    for entry_id, bidx, received, channel, created in entries:
        received = utc(received)
        later = conn.execute(
            select(a.id, a.at, a.verdict, a.status, a.contact_id)
            .where(a.firm_id == firm_id, a.number_bidx == bidx, a.at >= received)
            .order_by(a.at, a.id)
        ).all()
        owner = conn.execute(
            select(cn.contact_id).where(cn.firm_id == firm_id, cn.number_bidx == bidx)
        ).scalar()
        denial = next((r for r in later if r.verdict == "deny"), None)
        placed = [int(r.id) for r in later if r.status in PLACED]
        honour_s = (utc(denial.at) - received).total_seconds() if denial is not None else None
        if placed:
            status = f"BREACH: attempt #{placed[0]} placed after it"
        elif denial is not None:
            status = "honoured"
        else:
            status = "no later attempt"
        out.append(
            {
                "entry": int(entry_id),
                "contact": int(owner) if owner is not None else None,
                "channel": channel,
                "received_at": iso(received),
                "in_force_after_s": max((utc(created) - received).total_seconds(), 0.0),
                "next_denial": None
                if denial is None
                else {"attempt": int(denial.id), "at": iso(denial.at)},
                "time_to_honour_s": honour_s,
                "placed_after": placed,
                "status": status,
            }
        )
    return out
