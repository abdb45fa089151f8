"""Who created a person or a user is on the audit trail, whatever face they came through."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import func, select

from lexdial.adapters.db import tables as t
from lexdial.entrypoints.api.routes_webhooks import InterfaceSettings

from .conftest import Api
from .test_api_imports import _file
from .test_webhooks import CLIO, CRM_SECRET, _crm


def _entries(api: Api, action: str) -> list[dict[str, Any]]:
    with api.store.db.connect() as conn:
        rows = conn.execute(
            select(t.audit_log.c.actor, t.audit_log.c.subject, t.audit_log.c.data)
            .where(t.audit_log.c.action == action)
            .order_by(t.audit_log.c.seq)
        ).mappings()
        return [{**r, "data": json.loads(r["data"])} for r in rows]


def test_a_contact_created_through_the_api_is_audited_with_its_creator(api: Api) -> None:
    body = {"numbers": [{"number": "+1 614 555 0101", "line_type": "wireless"}]}
    res = api.client.post("/v1/contacts", json=body, headers=api.headers("agent"))
    assert res.status_code == 201, res.text
    [entry] = _entries(api, "contact.created")
    assert entry["actor"] == f"user:{api.users['agent']}"
    assert entry["subject"] == f"contact:{res.json()['contact']}"
    assert "5550101" not in json.dumps(entry)


def test_contacts_created_by_an_import_are_audited_one_by_one(api: Api) -> None:
    res = api.client.post("/v1/imports", files=_file(), headers=api.headers("manager"))
    assert res.status_code == 200, res.text
    entries = _entries(api, "contact.created")
    assert len(entries) == 2
    assert {e["actor"] for e in entries} == {f"user:{api.users['manager']}"}


def test_a_contact_created_by_the_crm_webhook_is_audited_as_the_crm(api: Api) -> None:
    api.client.app.state.interfaces = InterfaceSettings(crm_secret=CRM_SECRET)  # type: ignore[attr-defined]
    res = _crm(api, CLIO)
    assert res.status_code == 201, res.text
    [entry] = _entries(api, "contact.created")
    assert entry["actor"] == "crm:webhook"


def test_creating_a_user_and_a_training_attestation_are_audited(api: Api) -> None:
    h = api.headers("admin")
    res = api.client.post(
        "/v1/users",
        json={"email": "new.admin@firm.test", "name": "Noor Admin", "role": "admin"},
        headers=h,
    )
    assert res.status_code == 201, res.text
    uid = res.json()["user"]
    created = [e for e in _entries(api, "user.created") if e["subject"] == f"user:{uid}"]
    assert created == [
        {"actor": f"user:{api.users['admin']}", "subject": f"user:{uid}", "data": {"role": "admin"}}
    ]
    res = api.client.post(
        f"/v1/users/{uid}/attestations",
        json={"course": "TCPA 2026", "on": "2026-11-30", "valid_days": 365},
        headers=h,
    )
    assert res.status_code == 201, res.text
    [attested] = [e for e in _entries(api, "training.attested") if e["subject"] == f"user:{uid}"]
    assert attested["actor"] == f"user:{api.users['admin']}"
    assert attested["data"]["course"] == "TCPA 2026"


def test_only_an_admin_may_create_a_user_and_a_refusal_writes_nothing(api: Api) -> None:
    with api.store.db.connect() as conn:
        before = conn.execute(select(func.count()).select_from(t.users)).scalar_one()
    for role in ("compliance", "manager", "agent", "auditor"):
        res = api.client.post(
            "/v1/users",
            json={"email": f"x-{role}@firm.test", "name": "X", "role": "admin"},
            headers=api.headers(role),
        )
        assert res.status_code == 403, (role, res.text)
    with api.store.db.connect() as conn:
        assert conn.execute(select(func.count()).select_from(t.users)).scalar_one() == before
