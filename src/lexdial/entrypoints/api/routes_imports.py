"""Contact imports over HTTP: upload a CSV or XLSX, preview the mapping, then import.

Rule 1: the upload is read whole (up to ``MAX_UPLOAD`` bytes) and checked before the
store is touched; a refused import answers 422 with every bad row (row, field, why) and
writes nothing, the same all-or-nothing as the CLI.
Rule 2: the preview shows numbers and names masked and never echoes a cell in an error.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import JSONResponse

from lexdial.entrypoints.api.deps import UPLOAD_BODY, ImportWriter, now, store
from lexdial.errors import RequestError, UploadTooLargeError
from lexdial.service import imports

router = APIRouter(prefix="/v1/imports", tags=["imports"])
MAX_UPLOAD = 20 * 1024 * 1024


def _read(upload: UploadFile) -> imports.Table:
    data = upload.file.read(MAX_UPLOAD + 1)
    if len(data) > MAX_UPLOAD:
        raise UploadTooLargeError(
            "file", f"is larger than {MAX_UPLOAD // (1024 * 1024)} MB; split it into parts"
        )
    if not data:
        raise RequestError("file", "is empty; upload a CSV or XLSX file")
    return imports.read_table(data, upload.filename or "")


def _mapping(text: str | None, table: imports.Table) -> dict[str, str]:
    given: Any = {}
    if text:
        try:
            given = json.loads(text)
        except json.JSONDecodeError:
            raise RequestError("mapping", "is not valid JSON") from None
    if not isinstance(given, dict) or not all(
        isinstance(k, str) and isinstance(v, str | None) for k, v in given.items()
    ):
        raise RequestError("mapping", 'must be a JSON object {"field": "header", ...}')
    return imports.resolve_mapping(table.headers, {k: v or "" for k, v in given.items()})


def _errors(errors: Iterable[imports.RowError]) -> list[dict[str, Any]]:
    return [{"row": e.row, "field": e.field, "why": e.why} for e in errors]


@router.post("/preview", max_body_size=UPLOAD_BODY)
def preview(
    request: Request,
    caller: ImportWriter,
    file: UploadFile = File(description="the CSV or XLSX file"),
    mapping: str | None = Form(None, description='JSON {field: header}; "" unmaps a field'),
    limit: int = Form(20, ge=1, le=200),
) -> dict[str, Any]:
    """The detected mapping, the headers, the first rows (masked) and every row problem."""
    table = _read(file)
    chosen = _mapping(mapping, table)
    s = store(request)
    with s.reading() as uow:
        errors = imports.check(uow, s.cipher, s.firm_id, table, chosen)
    return {
        "headers": list(table.headers),
        "mapping": chosen,
        "fields": imports.FIELDS,
        "rows_in_file": len(table.rows),
        "rows": imports.preview(table, chosen, limit),
        "errors": _errors(errors),
    }


@router.post("", response_model=None, max_body_size=UPLOAD_BODY)
def run_import(
    request: Request,
    caller: ImportWriter,
    file: UploadFile = File(description="the CSV or XLSX file"),
    mapping: str | None = Form(None, description='JSON {field: header}; "" unmaps a field'),
) -> dict[str, Any] | JSONResponse:
    """Import every row or none: the report, or 422 with every bad row (nothing written)."""
    table = _read(file)
    chosen = _mapping(mapping, table)
    s = store(request)
    with s.unit_of_work() as uow:
        report = imports.import_rows(
            uow, s.cipher, s.audit, s.firm_id, table, chosen, caller, now(request)
        )
    if report.errors:
        body = {
            "type": "RequestError",
            "field": "file",
            "message": f"{len(report.errors)} problem(s); nothing was imported",
            "rows": _errors(report.errors),
        }
        return JSONResponse({"error": body}, status_code=422)
    return report.to_json()
