"""The imports page: upload a CSV or XLSX, check the column mapping on a masked preview,
then import every row or none (``service.imports``), optionally onto a campaign's list.

Rule 1: a browser cannot send a file twice without a script, so the upload is kept between
the preview and the import in the store (``service.pending_uploads``: encrypted, bound to
the user who sent it, for ``KEEP_S`` seconds or until it is imported), so that any API
process can show the preview or finish the import.
Rule 2: the mapping is the service's (guessed from the headers, then the user's choices
in the form); errors name row, field and why, never a cell's value.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import File, HTTPException, Request, Response, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse

from lexdial.entrypoints.api.deps import UPLOAD_BODY, ImportWriter, now, store
from lexdial.entrypoints.api.id_range import MAX_ID
from lexdial.entrypoints.api.routes_imports import MAX_UPLOAD
from lexdial.entrypoints.api.web_common import page, web_router
from lexdial.errors import NotFoundError, RequestError
from lexdial.service import imports, pending_uploads, views
from lexdial.service.import_to_campaign import import_onto_campaign
from lexdial.service.pending_uploads import Upload
from lexdial.service.users import Caller

router = web_router()
#: campaigns an import may fill (a stopped or completed campaign takes no contacts)
FILLABLE = views.FILLABLE


class _RefusedError(Exception):
    """The file had bad rows: roll the taking of the upload back (nothing else was written)."""

    def __init__(self, report: imports.ImportReport) -> None:
        super().__init__("import refused")
        self.report = report


def _gone(exc: NotFoundError) -> HTTPException:
    return HTTPException(404, exc.message)


def _upload(request: Request, key: str, caller: Caller) -> Upload:
    s = store(request)
    try:
        with s.reading() as uow:
            return pending_uploads.read(uow, s.cipher, s.firm_id, key, caller.label, now(request))
    except NotFoundError as exc:
        raise _gone(exc) from None


def _keep(request: Request, caller: Caller, upload: Upload) -> str:
    s = store(request)
    with s.unit_of_work() as uow:
        return pending_uploads.keep(uow, s.cipher, s.firm_id, caller.label, upload, now(request))


def _campaigns(request: Request) -> list[Any]:
    s = store(request)
    with s.reading() as uow:
        return list(views.fillable_campaigns(uow, s.firm_id))


@router.get("/imports")
def imports_page(request: Request, caller: ImportWriter) -> Response:
    """The upload form."""
    return page(request, "imports.html", caller, fields=imports.FIELDS, limit_mb=MAX_UPLOAD >> 20)


@router.post("/imports", max_body_size=UPLOAD_BODY)
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
    key = await run_in_threadpool(_keep, request, caller, Upload(data, name))
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
    request: Request, key: str, kept: Upload, given: dict[str, str], caller: Caller, status: int
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
    form = await request.form()
    given = {f: str(form.get(f) or "") for f in imports.FIELDS if f in form}
    campaign = _campaign_choice(str(form.get("campaign") or ""))
    try:
        kept, report, added = await run_in_threadpool(
            _import, request, key, given, caller, campaign
        )
    except NotFoundError as exc:
        raise _gone(exc) from None
    except _RefusedError:  # the file changed nothing: show the problems where they are fixed
        kept = await run_in_threadpool(_upload, request, key, caller)
        return await run_in_threadpool(_preview, request, key, kept, given, caller, 422)
    return page(
        request,
        "import_done.html",
        caller,
        report=report,
        added=added,
        campaign=campaign,
        name=kept.name,
    )


def _campaign_choice(chosen: str) -> int | None:
    """The campaign chosen in the form (its select sends an id, or nothing); anything else
    (a huge number, a superscript digit) names the field instead of failing in the store."""
    chosen = chosen.strip()
    if not chosen:
        return None
    if not (chosen.isascii() and chosen.isdigit()) or not 0 < int(chosen) <= MAX_ID:
        raise RequestError("campaign", "choose one of the campaigns offered")
    return int(chosen)


def _import(
    request: Request, key: str, given: dict[str, str], caller: Caller, campaign: int | None
) -> tuple[Upload, imports.ImportReport, int]:
    """Take the upload and import it in one transaction (another process finishing the same
    upload gets a ``NotFoundError``); ``_RefusedError`` (rolled back, the upload kept) when a row
    is bad."""
    s = store(request)
    at = now(request)
    with s.unit_of_work() as uow:  # one transaction with the campaign's list
        kept = pending_uploads.take(uow, s.cipher, s.firm_id, key, caller.label, at)
        table = imports.read_table(kept.data, kept.name)
        mapping = imports.resolve_mapping(table.headers, given)
        report, added = import_onto_campaign(
            uow, s.cipher, s.audit, s.firm_id, table, mapping, caller, at, campaign
        )
        if report.errors:
            raise _RefusedError(report)
    return kept, report, added
