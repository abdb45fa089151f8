"""Campaign pages: the list, one campaign's live progress, and its start/pause/resume/stop.

Rule 1: the buttons call the very function the JSON API calls (``campaign_actions.act``:
the lint before a start or a resume, the seating check, then the status change), and a
running campaign is handed to ``app.state.runner``.
Rule 2: the progress page is read from the store (``campaign_report``), so it is the same
after a restart; while the campaign dials, the page reloads itself every two seconds.
"""

from __future__ import annotations

from datetime import datetime

from fastapi import Request, Response
from fastapi.responses import RedirectResponse

from lexdial.domain.states import CampaignStatus, QueueStatus
from lexdial.entrypoints.api.campaign_actions import act
from lexdial.entrypoints.api.deps import CampaignWriter, Reader, now, store
from lexdial.entrypoints.api.web_charts import bars, columns, gauge
from lexdial.entrypoints.api.web_common import page, web_router
from lexdial.service import views
from lexdial.service.campaign_control import ACTIONS
from lexdial.service.campaign_lint import lint_campaign
from lexdial.service.campaign_report import campaign_report
from lexdial.service.campaigns import OPEN, TRANSITIONS, load_campaign, status_reason

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
    with s.reading() as uow:
        camp = load_campaign(uow, s.firm_id, campaign_id)
        reason = status_reason(uow, campaign_id)
        report = campaign_report(uow, s.firm_id, campaign_id, at, verify_chain=False)
        hours = _hour_labels(views.calls_per_hour(uow, campaign_id))
        blocked = views.blocked_entries(uow, campaign_id)
        waiting = views.waiting_entries(uow, campaign_id)
        problems = (
            lint_campaign(
                uow,
                s.rules,
                s.cipher,
                s.registry,
                firm_id=s.firm_id,
                campaign_id=campaign_id,
                at=at,
            )
            if camp.status in (CampaignStatus.DRAFT, CampaignStatus.PAUSED)
            else []
        )
    # 47 CFR 64.1200(a)(7)(i); 16 CFR 310.4(b)(4)(i): the rule pack is where the 3 % lives
    limit = s.rules.pack.abandonment_limit()
    runner = getattr(request.app.state, "runner", None)
    dialling = bool(runner and runner.running(campaign_id))
    queue = report["queue"]
    open_now = sum(queue.get(k, 0) for k in (*OPEN, QueueStatus.DIALING))
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
    elif camp.status in (CampaignStatus.RUNNING, CampaignStatus.COMPLETED) and open_now == 0:
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
        status_reason=reason,
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
        limit=limit,
        chart_hours=columns("Calls placed per hour (UTC)", hours),
        chart_outcomes=bars(
            "Call outcomes", [(OUTCOME_WORDS.get(k, k), n) for k, n in outcomes.items()]
        ),
        chart_gauge=gauge(report["abandonment_rate_30d"], limit),
    )


@router.post("/campaigns/{campaign_id}/{action}")
async def change(
    request: Request, campaign_id: int, action: str, caller: CampaignWriter
) -> Response:
    """A life-cycle button: the very action the API takes, then back to the page."""
    await act(request, campaign_id, action, caller)
    return RedirectResponse(f"/campaigns/{campaign_id}", status_code=303)


def _hour_labels(per_hour: list[tuple[datetime, int]]) -> list[tuple[str, int]]:
    """Each hour's label: its time of day, with the weekday when the hours span days."""
    if not per_hour:
        return []
    days = per_hour[0][0].date() != per_hour[-1][0].date()
    return [(f"{h:%a %H}:00" if days else f"{h:%H}:00", n) for h, n in per_hour]
