"""The audit page: is the chain intact (verified on every view: cheap), the last
comparison of every record with the trail (kept in the store, run again only when an
admin or compliance user presses the button), and the latest entries about the firm.

Rule 1: viewing the page never compares the records (minutes on a large store: reloading
must not load the server); the button does, one check at a time per firm
(``service.record_checks``), in the background of the process that took the request.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Annotated

from fastapi import BackgroundTasks, Depends, Request, Response
from fastapi.responses import RedirectResponse

from lexdial.bootstrap import (
    record_check_status,
    run_record_check,
    start_record_check,
    verify_audit,
)
from lexdial.entrypoints.api.deps import AuditReader, Require, now, store
from lexdial.entrypoints.api.web_common import page, web_router
from lexdial.errors import RequestError
from lexdial.service.audit_reads import firm_entries
from lexdial.service.users import Caller

router = web_router()
AuditChecker = Annotated[Caller, Depends(Require("audit.check"))]
#: what the page says after the button (``?check=``)
NOTICES = {
    "started": "The record check started: this page shows its result when it is done.",
    "running": "A record check is already running; no other was started.",
}


@router.get("/audit")
def audit(request: Request, caller: AuditReader, check: str | None = None) -> Response:
    """Is the store's audit chain intact (and its head, to export), the last record check,
    and the latest entries about this firm's own records (another firm's are not shown)."""
    s = store(request)
    status = record_check_status(s, now(request))
    result = replace(verify_audit(s, records=False), last_check=status)
    with s.reading() as uow:
        latest = firm_entries(uow, s.firm_id)
    return page(
        request, "audit.html", caller, result=result, latest=latest, firm_id=s.firm_id,
        checks=status, notice=NOTICES.get(check or ""),
        refresh=10 if status.running_by is not None else None,
    )  # fmt: skip


@router.post("/audit/records-check")
def audit_records_check(
    request: Request, background: BackgroundTasks, caller: AuditChecker
) -> Response:
    """The audit page's button: compare every record with the trail, in the background,
    unless a check is running already (then the page says so)."""
    s = store(request)
    claim = start_record_check(s, caller, now(request))
    if claim is None:
        return RedirectResponse("/audit?check=running", status_code=303)
    background.add_task(run_record_check, s, claim, request.app.state.clock)
    return RedirectResponse("/audit?check=started", status_code=303)


@router.get("/audit/evidence")
def audit_evidence(request: Request, caller: AuditReader, contact: int | None = None) -> Response:
    """The audit page's download form: go to that contact's evidence bundle."""
    if contact is None:
        raise RequestError("contact", "give the id of the contact to export")
    return RedirectResponse(f"/contacts/{contact}/evidence.json", status_code=303)
