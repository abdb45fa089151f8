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
from typing import Any

from lexdial.domain.states import PLACED_ATTEMPTS
from lexdial.domain.zones import zone
from lexdial.errors import RequestError
from lexdial.rules.engine import Engine
from lexdial.service.audit_reads import sandbox_marked
from lexdial.service.campaign_lint import lint_campaign
from lexdial.service.campaign_report import campaign_report
from lexdial.service.campaigns import load_campaign
from lexdial.service.ports import Cipher, Registry
from lexdial.service.report_policy import dnc_policy_data, iso, roster_data, snapshots, utc
from lexdial.service.storage import UnitOfWork

__all__ = ["WINDOW", "campaign_data", "dnc_policy_data", "roster_data"]

#: the federal calling window, local time at the called party (47 CFR 64.1200(c)(1))
WINDOW = (time(8, 0), time(21, 0))
PERIOD = timedelta(days=30)
PLACED = PLACED_ATTEMPTS


def campaign_data(
    uow: UnitOfWork,
    rules: Engine,
    cipher: Cipher,
    registry: Registry,
    *,
    firm_id: int,
    campaign_id: int,
    at: datetime,
    simulated: bool = False,
) -> dict[str, Any]:
    """Everything the campaign evidence PDF states, as of ``at`` (see module rules).
    ``simulated``: the store is a sandbox (see ``evidence.bundle``); said in the data and on
    every page of the PDF."""
    at = utc(at)
    camp = load_campaign(uow, firm_id, campaign_id)
    row = uow.campaigns.get(campaign_id)
    assert row is not None  # load_campaign found it
    firm = uow.campaigns.firm_name(firm_id)
    try:
        lint = lint_campaign(
            uow,
            rules,
            cipher,
            registry,
            firm_id=firm_id,
            campaign_id=campaign_id,
            at=at,
        )
    except RequestError as exc:  # e.g. a contact erased since: say so, do not fail
        lint = [f"the lint could not run: {exc}"]
    summary = campaign_report(uow, firm_id, campaign_id, at)
    for key in ("audit_chain_ok", "audit_entries"):  # stated once, under "audit"
        summary.pop(key, None)
    calls = _placed_calls(uow, campaign_id)
    first = calls[0][1] if calls else None
    last = calls[-1][1] if calls else None
    return {
        "firm": firm,
        "simulated": simulated or sandbox_marked(uow, firm_id),
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
        "rulepacks": uow.reports.rulepacks(campaign_id),
        "summary": summary,
        "calls_by_local_hour": _by_local_hour(calls),
        "outside_window": _outside(calls),
        "abandonment": _abandonment(uow, campaign_id, first, at, rules.pack.abandonment_limit()),
        "opt_outs": _opt_outs(uow, firm_id, campaign_id),
        "registry_snapshots": snapshots(uow, first or at, at),
        "audit": audit_head(uow),
    }


def audit_head(uow: UnitOfWork) -> dict[str, Any]:
    """The verified audit chain's head: the hash an auditor can compare later."""
    result = uow.reports.verify_audit()
    return {
        "ok": result.ok,
        "entries": result.count,
        "head_seq": result.head_seq,
        "head_hash": result.head_hash,
        "anchor": result.anchor,
        "problem": result.problem,
        "bad_seq": result.bad_seq,
        "detail": result.detail,
    }


_Call = tuple[int, datetime, tuple[str, ...]]


def _placed_calls(uow: UnitOfWork, campaign_id: int) -> list[_Call]:
    """(attempt id, decision instant, candidate zones) of every call placed, oldest first."""
    out: list[_Call] = []
    for call in uow.reports.placed_calls(campaign_id, PLACED):
        d = call.decision or {}
        stamp = d.get("at")
        at = datetime.fromisoformat(stamp.replace("Z", "+00:00")) if stamp else call.at
        out.append((call.attempt_id, utc(at), tuple(d.get("time_zones") or ())))
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
    uow: UnitOfWork, campaign_id: int, first: datetime | None, at: datetime, limit: float
) -> dict[str, Any]:
    """Rule 2: per successive 30-day period, rolling 30 days, and the worst window; ``limit``
    is the rule pack's (47 CFR 64.1200(a)(7)(i): at most 3 % of live-answered calls)."""
    rows = [
        (r.at, r.live_answered, r.abandoned) for r in uow.reports.outcome_flags(campaign_id, at)
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
                    "over_limit": rate is not None and rate > limit,
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
        "limit": limit,
        "periods": periods,
        "rolling": {"end": iso(at), "live": live, "abandoned": ab, "rate": _rate(ab, live)},
        "worst_rolling": worst,
    }


def _opt_outs(uow: UnitOfWork, firm_id: int, campaign_id: int) -> list[dict[str, Any]]:
    """Rule 3: every do-not-call entry for a number on the campaign's list."""
    entries = [
        (e.id, e.number_bidx, e.at, e.channel, e.created_at)
        for e in uow.reports.dnc_entries_for_campaign(firm_id, campaign_id)
    ]
    out = []
    for entry_id, bidx, received, channel, created in entries:
        received = utc(received)
        later = uow.reports.attempts_since(firm_id, bidx, received)
        owner = uow.reports.number_owner(firm_id, bidx)
        denial = next((r for r in later if r.verdict == "deny"), None)
        placed = [r.id for r in later if r.status in PLACED]
        honour_s = (denial.at - received).total_seconds() if denial is not None else None
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
                "in_force_after_s": max((created - received).total_seconds(), 0.0),
                "next_denial": None
                if denial is None
                else {"attempt": denial.id, "at": iso(denial.at)},
                "time_to_honour_s": honour_s,
                "placed_after": placed,
                "status": status,
            }
        )
    return out
