"""Imports over HTTP: upload, preview (masked), import, re-import (nothing new), a refused
file (422 with every bad row, nothing written), the size limit and the role check."""

from __future__ import annotations

import io
import json

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from lexdial.adapters.db import tables as t
from lexdial.entrypoints.api import routes_imports

from .conftest import Api

CSV = (
    "Mobile,Full Name,State,Consent Type,Scope,Consent Date,Method,Disclosure,"
    "Disclosure Version,Captured By,Document Ref,Seller\n"
    "+1 614 555 0101,Dana Quillfeather,OH,express,reminder,2026-06-01T12:00:00Z,letter,"
    "You agree we may call you.,v3,intake:jdoe,DMS-1,Hartwell & Ruiz LLP\n"
    "614 555 0102,Bo Brightwater,OH,,,,,,,,,\n"
)


def _file(text: str = CSV, name: str = "clients.csv") -> dict[str, tuple[str, bytes, str]]:
    return {"file": (name, text.encode(), "text/csv")}


def _contacts(api: Api) -> int:
    with api.store.db.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(t.contacts)).scalar_one())


def test_the_preview_detects_the_mapping_and_masks_the_rows(api: Api) -> None:
    res = api.client.post("/v1/imports/preview", files=_file(), headers=api.headers("manager"))
    assert res.status_code == 200, res.text
    body = res.json()
    assert body["mapping"]["number"] == "Mobile" and body["mapping"]["seller"] == "Seller"
    assert body["headers"][0] == "Mobile" and body["rows_in_file"] == 2
    assert [r["number"] for r in body["rows"]] == ["+1614•••••01", "614•••••02"]
    assert body["errors"] == []
    assert "555" not in res.text and "Quillfeather" not in res.text
    assert _contacts(api) == 0


def test_a_mapping_given_as_json_overrides_the_guess(api: Api) -> None:
    mapping = json.dumps({"name": "", "state": "State"})
    res = api.client.post("/v1/imports/preview", files=_file(), data={"mapping": mapping},
                          headers=api.headers("compliance"))  # fmt: skip
    assert res.status_code == 200 and "name" not in res.json()["mapping"]
    res = api.client.post("/v1/imports/preview", files=_file(), data={"mapping": "[1]"},
                          headers=api.headers("compliance"))  # fmt: skip
    assert res.status_code == 422 and res.json()["error"]["field"] == "mapping"


def test_an_import_reports_its_counts_and_a_second_import_adds_nothing(api: Api) -> None:
    h = api.headers("manager")
    res = api.client.post("/v1/imports", files=_file(), headers=h)
    assert res.status_code == 200, res.text
    assert res.json() == {"created": 2, "existing": 0, "consents_added": 1,
                          "consents_existing": 0, "errors": []}  # fmt: skip
    again = api.client.post("/v1/imports", files=_file(), headers=h).json()
    assert again == {"created": 0, "existing": 2, "consents_added": 0,
                     "consents_existing": 1, "errors": []}  # fmt: skip
    assert _contacts(api) == 2


def test_an_xlsx_upload_imports(api: Api) -> None:
    book = Workbook()
    for line in CSV.splitlines():
        book.active.append(line.split(","))
    out = io.BytesIO()
    book.save(out)
    files = {"file": ("clients.xlsx", out.getvalue(), "application/octet-stream")}
    res = api.client.post("/v1/imports", files=files, headers=api.headers("admin"))
    assert res.status_code == 200 and res.json()["created"] == 2, res.text


def test_a_bad_file_is_422_with_every_bad_row_and_nothing_is_written(api: Api) -> None:
    bad = CSV.replace("2026-06-01T12:00:00Z", "yesterday").replace("614 555 0102", "555")
    res = api.client.post("/v1/imports", files=_file(bad), headers=api.headers("manager"))
    assert res.status_code == 422
    error = res.json()["error"]
    assert error["field"] == "file" and "nothing was imported" in error["message"]
    assert [(r["row"], r["field"]) for r in error["rows"]] == [
        (2, "consent_given_at"), (3, "number"),
    ]  # fmt: skip
    assert all(r["why"] for r in error["rows"])
    assert "555" not in res.text and "yesterday" not in res.text
    assert _contacts(api) == 0


def test_a_file_that_is_not_csv_or_xlsx_is_refused_clearly(api: Api) -> None:
    files = {"file": ("old.xls", b"\xd0\xcf\x11\xe0 not really", "application/vnd.ms-excel")}
    res = api.client.post("/v1/imports", files=files, headers=api.headers("manager"))
    assert res.status_code == 422 and ".xls" in res.json()["error"]["message"]
    res = api.client.post("/v1/imports", files=_file(""), headers=api.headers("manager"))
    assert res.status_code == 422 and res.json()["error"]["field"] == "file"


def test_an_upload_over_the_limit_is_413(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(routes_imports, "MAX_UPLOAD", 100)
    res = api.client.post("/v1/imports", files=_file(), headers=api.headers("manager"))
    assert res.status_code == 413 and res.json()["error"]["field"] == "file"
    assert _contacts(api) == 0


@pytest.mark.parametrize("path", ["/v1/imports", "/v1/imports/preview"])
@pytest.mark.parametrize("role", ["agent", "auditor"])
def test_a_role_that_may_not_import_is_refused(api: Api, path: str, role: str) -> None:
    res = api.client.post(path, files=_file(), headers=api.headers(role))
    assert res.status_code == 403
    assert api.client.post(path, files=_file()).status_code == 401
    assert _contacts(api) == 0
