"""Campaign pages: the list, one campaign's live progress, and its start/pause/resume/stop.

Rule 1: the buttons call the very function the JSON API calls (``campaign_actions.act``:
the lint before a start or a resume, the seating check, then the status change), and a
running campaign is handed to ``app.state.runner``.
Rule 2: the progress page is read from the store (``campaign_report``), so it is the same
after a restart; while the campaign dials, the page reloads itself every two seconds.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta
from typing import Any

from fastapi import Request, Response
from fastapi.responses import RedirectResponse
from sqlalchemy import Connection, select

from lexdial.adapters.db import tables as t
from lexdial.adapters.db.uow import SqlUnitOfWork
from lexdial.entrypoints.api.campaign_actions import act
from lexdial.entrypoints.api.deps import CampaignWriter, Reader, now, store
from lexdial.entrypoints.api.web_charts import bars, columns, gauge
from lexdial.entrypoints.api.web_common import page, utc, web_router
from lexdial.service import views
from lexdial.service.campaign_control import ACTIONS
from lexdial.service.campaign_lint import lint_campaign
from lexdial.service.campaign_report import campaign_report
from lexdial.service.campaigns import OPEN, TRANSITIONS, load_campaign

router = web_router()
#: outcomes where a person picked up (the "answered" figure)
ANSWERED = ("human", "bridged", "opted_out", "abandoned")
OUTCOME_WORDS = {
    "human": "answered by a person",
    "machine": "answering machine",
    "no_answer": "no answer",
    "busy": "busy",
    "failed": "failed",
    "opted_out": "opted out (pressed the key)",
    "abandoned": "abandoned",
    "bridged": "put through to an agent",
}
ABANDONMENT_LIMIT = 0.03  # 47 CFR 64.1200(a)(7)(i); 16 CFR 310.4(b)(4)(i)
_LISTED = 50  # blocked / deferred contacts shown on the page


@router.get("/campaigns")
def campaigns(request: Request, caller: Reader) -> Response:
    """Every campaign of the firm, newest first, with its size and calls placed."""
    s = store(request)
    with s.reading() as uow:
        rows = views.campaign_list(uow, s.firm_id)
    runner = getattr(request.app.state, "runner", None)
    items = [{**views.as_dict(r), "dialling": bool(runner and runner.running(r.id))} for r in rows]
    return page(request, "campaigns.html", caller, campaigns=items)


@router.get("/campaigns/{campaign_id}")
def campaign(request: Request, campaign_id: int, caller: Reader) -> Response:
    """Live progress: counts, calls per hour, outcomes, the abandonment gauge, who is
    blocked and why, who is deferred and until when, and the life-cycle buttons."""
    s = store(request)
    at = now(request)
    with s.db.connect() as conn:
        camp = load_campaign(SqlUnitOfWork(conn), s.firm_id, campaign_id)
        report = campaign_report(
            SqlUnitOfWork(conn), s.firm_id, campaign_id, at, verify_chain=False
        )
        hours = _calls_per_hour(conn, campaign_id)
        blocked, waiting = _contacts(conn, campaign_id)
        problems = (
            lint_campaign(
                SqlUnitOfWork(conn),
                s.rules,
                s.cipher,
                s.registry,
                firm_id=s.firm_id,
                campaign_id=campaign_id,
                at=at,
            )
            if camp.status in ("draft", "paused")
            else []
        )
    runner = getattr(request.app.state, "runner", None)
    dialling = bool(runner and runner.running(campaign_id))
    queue = report["queue"]
    open_now = sum(queue.get(k, 0) for k in (*OPEN, "dialing"))
    outcomes = report["outcomes"]
    summary = {
        "contacts": sum(queue.values()),
        "dialled": report["dialled"],
        "answered": sum(outcomes.get(k, 0) for k in ANSWERED),
        "machine": outcomes.get("machine", 0),
        "opted_out": report["opt_outs"],
        "blocked": queue.get("blocked", 0),
        "deferred": report["still_deferred"],
        "next_due": report["next_due"],
    }
    if dialling:
        state = "dialling"
    elif camp.status in ("running", "completed") and open_now == 0:
        state = "finished"
    else:
        state = "idle"
    actions = [a for a in ACTIONS if (camp.status, a) in TRANSITIONS]
    return page(
        request,
        "campaign.html",
        caller,
        refresh=2 if dialling else None,
        camp=camp,
        report=report,
        summary=summary,
        state=state,
        open_now=open_now,
        actions=actions,
        problems=problems,
        blocked=blocked,
        waiting=waiting,
        hours=hours,
        outcome_words=OUTCOME_WORDS,
        limit=ABANDONMENT_LIMIT,
        chart_hours=columns("Calls placed per hour (UTC)", hours),
        chart_outcomes=bars(
            "Call outcomes", [(OUTCOME_WORDS.get(k, k), n) for k, n in outcomes.items()]
        ),
        chart_gauge=gauge(report["abandonment_rate_30d"], ABANDONMENT_LIMIT),
    )


@router.post("/campaigns/{campaign_id}/{action}")
async def change(
    request: Request, campaign_id: int, action: str, caller: CampaignWriter
) -> Response:
    """A life-cycle button: the very action the API takes, then back to the page."""
    await act(request, campaign_id, action, caller)
    return RedirectResponse(f"/campaigns/{campaign_id}", status_code=303)


def _calls_per_hour(conn: Connection, campaign_id: int) -> list[tuple[str, int]]:
    """Calls placed per hour (UTC) over the campaign's last 48 hours of dialling, gaps as 0."""
    a = t.call_attempts.c
    stamps = conn.execute(
        select(a.at).where(a.campaign_id == campaign_id, a.status.in_(("dialled", "completed")))
    ).scalars()
    per: Counter[datetime] = Counter(
        utc(x).replace(minute=0, second=0, microsecond=0) for x in stamps
    )
    if not per:
        return []
    last = max(per)
    first = max(min(per), last - timedelta(hours=47))
    span = int((last - first).total_seconds() // 3600) + 1
    days = first.date() != last.date()
    return [
        (f"{h:%a %H}:00" if days else f"{h:%H}:00", per.get(h, 0))
        for h in (first + timedelta(hours=i) for i in range(span))
    ]


def _contacts(conn: Connection, campaign_id: int) -> tuple[list[Any], list[Any]]:
    """The blocked contacts with their codes, and the waiting ones with their time."""
    q = t.campaign_contacts.c
    blocked = (
        conn.execute(
            select(q.contact_id, q.codes)
            .where(q.campaign_id == campaign_id, q.status == "blocked")
            .order_by(q.contact_id)
            .limit(_LISTED)
        )
        .mappings()
        .all()
    )
    waiting = (
        conn.execute(
            select(q.contact_id, q.status, q.next_at, q.codes, q.last_outcome)
            .where(q.campaign_id == campaign_id, q.status.in_(("deferred", "retry")))
            .order_by(q.next_at)
            .limit(_LISTED)
        )
        .mappings()
        .all()
    )
    return list(blocked), list(waiting)
