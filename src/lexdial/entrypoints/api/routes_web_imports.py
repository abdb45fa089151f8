"""The imports page: upload a CSV or XLSX, check the column mapping on a masked preview,
then import every row or none (``service.imports``), optionally onto a campaign's list.

Rule 1: a browser cannot send a file twice without a script, so the upload is kept in the
web process's memory (never on disk: it is personal data) under a random key bound to the
user who sent it, for ``KEEP_S`` seconds or until it is imported. A restart forgets it;
the user uploads again.
Rule 2: the mapping is the service's (guessed from the headers, then the user's choices
in the form); errors name row, field and why, never a cell's value.
"""

from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import File, HTTPException, Request, Response, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse

from lexdial.entrypoints.api.deps import ImportWriter, now, store
from lexdial.entrypoints.api.routes_imports import MAX_UPLOAD
from lexdial.entrypoints.api.web_common import page, web_router
from lexdial.errors import RequestError
from lexdial.service import imports, views
from lexdial.service.import_to_campaign import import_onto_campaign
from lexdial.service.users import Caller

router = web_router()
KEEP_S = 30 * 60
MAX_KEPT = 5  # uploads waiting at once per user, per process (their oldest is dropped)
#: the kept uploads are touched from the event loop and from worker threads
_LOCK = threading.Lock()
#: campaigns an import may fill (a stopped or completed campaign takes no contacts)
FILLABLE = views.FILLABLE


@dataclass(frozen=True, slots=True)
class _Upload:
    data: bytes
    name: str
    user: str
    expires: float


def _kept(request: Request) -> dict[str, _Upload]:
    """The uploads still waiting (expired ones dropped); use under ``_LOCK``."""
    state = request.app.state
    if not hasattr(state, "web_uploads"):
        state.web_uploads = {}
    kept: dict[str, _Upload] = state.web_uploads
    clock = time.monotonic()
    for key in [k for k, u in kept.items() if u.expires < clock]:
        kept.pop(key, None)
    return kept


def _upload(request: Request, key: str, caller: Caller) -> _Upload:
    with _LOCK:
        found = _kept(request).get(key)
    if found is None or found.user != caller.label:
        raise HTTPException(404, "This upload has expired or is not yours: upload the file again.")
    return found


def _campaigns(request: Request) -> list[Any]:
    s = store(request)
    with s.reading() as uow:
        return list(views.fillable_campaigns(uow, s.firm_id))


@router.get("/imports")
def imports_page(request: Request, caller: ImportWriter) -> Response:
    """The upload form."""
    return page(request, "imports.html", caller, fields=imports.FIELDS, limit_mb=MAX_UPLOAD >> 20)


@router.post("/imports")
async def upload(
    request: Request, caller: ImportWriter, file: Annotated[UploadFile, File()]
) -> Response:
    """Keep the file (checked readable first), then show its preview."""
    data = await file.read(MAX_UPLOAD + 1)
    if len(data) > MAX_UPLOAD:
        raise RequestError("file", f"is larger than {MAX_UPLOAD >> 20} MB; split it into parts")
    if not data:
        raise RequestError("file", "is empty; choose a CSV or XLSX file")
    name = file.filename or "upload"
    await run_in_threadpool(imports.read_table, data, name)  # refuse unreadable files now
    key = secrets.token_urlsafe(18)
    with _LOCK:
        kept = _kept(request)
        mine = [k for k, u in kept.items() if u.user == caller.label]
        for old in sorted(mine, key=lambda k: kept[k].expires)[: max(0, len(mine) - MAX_KEPT + 1)]:
            kept.pop(old, None)  # one user's uploads never push out another's
        kept[key] = _Upload(data, name, caller.label, time.monotonic() + KEEP_S)
    return RedirectResponse(f"/imports/{key}", status_code=303)


def _resolve(table: imports.Table, given: dict[str, str]) -> tuple[dict[str, str], str | None]:
    """The mapping to use, and the problem with the user's choice if it cannot be used."""
    try:
        return imports.resolve_mapping(table.headers, given), None
    except RequestError as exc:
        try:
            return imports.resolve_mapping(table.headers, {}), f"{exc.field}: {exc.message}"
        except RequestError:
            return {}, f"{exc.field}: {exc.message}"


@router.get("/imports/{key}")
def preview(request: Request, key: str, caller: ImportWriter) -> Response:
    """The mapping (guessed, or as chosen in the form), every row problem, the first rows
    masked, and the button that imports."""
    kept = _upload(request, key, caller)
    given = {f: v for f, v in request.query_params.items() if f in imports.FIELDS}
    return _preview(request, key, kept, given, caller, 200)


def _preview(
    request: Request, key: str, kept: _Upload, given: dict[str, str], caller: Caller, status: int
) -> Response:
    table = imports.read_table(kept.data, kept.name)
    mapping, problem = _resolve(table, given)
    errors: list[imports.RowError] = []
    rows: list[dict[str, Any]] = []
    if problem is None:
        s = store(request)
        with s.reading() as uow:
            errors = imports.check(uow, s.cipher, s.firm_id, table, mapping)
        rows = imports.preview(table, mapping, 20)
    return page(
        request,
        "import_preview.html",
        caller,
        status=status,
        key=key,
        name=kept.name,
        table=table,
        mapping=mapping,
        problem=problem,
        errors=errors[:200],
        error_count=len(errors),
        rows=rows,
        fields=imports.FIELDS,
        campaigns=_campaigns(request),
    )


@router.post("/imports/{key}")
async def commit(request: Request, key: str, caller: ImportWriter) -> Response:
    """Import every row or none; then, if a campaign was chosen, put the rows on its list."""
    kept = _upload(request, key, caller)
    form = await request.form()
    given = {f: str(form.get(f) or "") for f in imports.FIELDS if f in form}
    chosen = str(form.get("campaign") or "")
    campaign = int(chosen) if chosen.isdigit() else None
    report, added = await run_in_threadpool(_import, request, kept, given, caller, campaign)
    if report.errors:  # the file changed nothing: show the problems where they are fixed
        return await run_in_threadpool(_preview, request, key, kept, given, caller, 422)
    with _LOCK:
        _kept(request).pop(key, None)
    return page(
        request,
        "import_done.html",
        caller,
        report=report,
        added=added,
        campaign=campaign,
        name=kept.name,
    )


def _import(
    request: Request, kept: _Upload, given: dict[str, str], caller: Caller, campaign: int | None
) -> tuple[imports.ImportReport, int]:
    s = store(request)
    at = now(request)
    table = imports.read_table(kept.data, kept.name)
    mapping = imports.resolve_mapping(table.headers, given)
    with s.unit_of_work() as uow:  # one transaction with the campaign's list
        return import_onto_campaign(
            uow, s.cipher, s.audit, s.firm_id, table, mapping, caller, at, campaign
        )
