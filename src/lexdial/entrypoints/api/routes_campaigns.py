"""Campaigns over HTTP: create, fill, take a contact off, lint, start/pause/resume/stop,
progress, attempts."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body, Request

from lexdial.domain.states import CampaignStatus
from lexdial.entrypoints.api.campaign_actions import act
from lexdial.entrypoints.api.deps import CampaignWriter, Reader, now, store
from lexdial.entrypoints.api.id_range import MAX_ID
from lexdial.errors import RequestError
from lexdial.service import views
from lexdial.service.campaign_lint import lint_campaign
from lexdial.service.campaign_report import campaign_report
from lexdial.service.campaigns import (
    add_contacts,
    create_campaign,
    load_campaign,
    status_reason,
)
from lexdial.service.contacts_campaign import remove_from_campaign

router = APIRouter(prefix="/v1/campaigns", tags=["campaigns"])


@router.post("", status_code=201)
def create(
    request: Request, caller: CampaignWriter, body: dict[str, Any] = Body()
) -> dict[str, Any]:
    """Create a campaign (draft) from its settings; errors name the bad field."""
    s = store(request)
    with s.unit_of_work() as uow:
        cid = create_campaign(uow, s.audit, s.firm_id, body, caller, now(request))
    return {"campaign": cid, "status": CampaignStatus.DRAFT}


@router.get("")
def list_campaigns(request: Request, caller: Reader) -> list[dict[str, Any]]:
    """Every campaign of the firm, newest first."""
    s = store(request)
    with s.reading() as uow:
        rows = views.campaign_list(uow, s.firm_id)
    return [
        {"id": r.id, "name": r.name, "purpose": r.purpose, "mode": r.mode, "status": r.status}
        for r in rows
    ]


@router.get("/{campaign_id}")
def progress(request: Request, campaign_id: int, caller: Reader) -> dict[str, Any]:
    """Status, settings and progress (the campaign report, read from the store)."""
    s = store(request)
    with s.reading() as uow:
        camp = load_campaign(uow, s.firm_id, campaign_id)
        reason = status_reason(uow, campaign_id)
        report = campaign_report(uow, s.firm_id, campaign_id, now(request), verify_chain=False)
    runner = getattr(request.app.state, "runner", None)
    return {
        "campaign": campaign_id,
        "status": camp.status,
        # why the dialler put it in that status (e.g. paused: the carrier is failing)
        "status_reason": reason,
        "dialling": bool(runner and runner.running(campaign_id)),
        "settings": camp.spec.to_json(),
        "progress": report,
    }


@router.post("/{campaign_id}/contacts")
def add(
    request: Request, campaign_id: int, caller: CampaignWriter, body: dict[str, Any] = Body()
) -> dict[str, int]:
    """Put contacts (``{"contacts": [ids]}``) on the campaign's list."""
    ids = body.get("contacts")
    if not isinstance(ids, list) or not all(isinstance(i, int) for i in ids):
        raise RequestError("contacts", "give a list of contact ids")
    if not all(0 < i <= MAX_ID for i in ids):  # no table holds it: named, not a store error
        raise RequestError("contacts", f"a contact id is between 1 and {MAX_ID}")
    s = store(request)
    with s.unit_of_work() as uow:
        n = add_contacts(uow, s.audit, s.firm_id, campaign_id, ids, caller, now(request))
    return {"added": n}


@router.delete("/{campaign_id}/contacts/{contact_id}")
def remove_contact(
    request: Request, campaign_id: int, contact_id: int, caller: CampaignWriter
) -> dict[str, Any]:
    """Take a contact off the campaign before they are called (409 while their call is in
    progress); the calls already made stay. ``cancelled`` false: the contact's place had
    already ended (``was``) and nothing changed."""
    s = store(request)
    with s.unit_of_work() as uow:
        done = remove_from_campaign(
            uow, s.audit, s.firm_id, campaign_id, contact_id, now(request), caller=caller
        )
    return {
        "campaign": done.campaign_id,
        "contact": done.contact_id,
        "was": done.was,
        "cancelled": done.cancelled,
    }


@router.get("/{campaign_id}/lint")
def lint(request: Request, campaign_id: int, caller: Reader) -> dict[str, Any]:
    """Every problem that blocks the start (empty list = may start)."""
    s = store(request)
    with s.reading() as uow:
        problems = lint_campaign(
            uow,
            s.rules,
            s.cipher,
            s.registry,
            firm_id=s.firm_id,
            campaign_id=campaign_id,
            at=now(request),
        )
    return {"campaign": campaign_id, "problems": problems}


@router.post("/{campaign_id}/{action}")
async def change(
    request: Request, campaign_id: int, action: str, caller: CampaignWriter
) -> dict[str, Any]:
    """start (after the lint) | pause | resume | stop; a running campaign begins dialling."""
    status = await act(request, campaign_id, action, caller)
    runner = getattr(request.app.state, "runner", None)
    if status == CampaignStatus.RUNNING and runner is not None and campaign_id in runner.refused:
        return {
            "campaign": campaign_id,
            "status": status,
            "dialling": False,
            "note": "not dialled: the simulated carrier never writes into a live store; "
            "set a real [telephony] carrier, or rehearse with 'lexdial campaign run "
            f"{campaign_id}' (a throw-away copy)",
        }
    return {"campaign": campaign_id, "status": status}


@router.get("/{campaign_id}/attempts")
def attempts(
    request: Request, campaign_id: int, caller: Reader, limit: int = 100, offset: int = 0
) -> list[dict[str, Any]]:
    """The campaign's gate decisions and call outcomes, oldest first (paged)."""
    s = store(request)
    with s.reading() as uow:
        load_campaign(uow, s.firm_id, campaign_id)
        rows = views.campaign_attempts(uow, campaign_id, limit, offset)
    return [
        {
            "attempt": r.id,
            "contact": r.contact_id,
            "at": str(r.at),
            "status": r.status,
            "verdict": r.verdict,
            "decision_id": r.decision_id,
            "earliest_allowed_at": str(r.earliest_allowed_at or "") or None,
            "reasons": views.reasons(r),
            "outcome": r.outcome,
            "ring_s": r.ring_s,
            "talk_s": r.talk_s,
        }
        for r in rows
    ]
