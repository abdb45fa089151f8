"""The review queue over HTTP: possible revocations listed with their deadline, confirmed
into an opt-out or dismissed with a reason, by compliance only, and audited."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy import select

from lexdial.adapters.db import tables as t
from lexdial.adapters.db.uow import SqlUnitOfWork
from lexdial.entrypoints.api import routes_review
from lexdial.entrypoints.api.routes_webhooks import InterfaceSettings
from lexdial.service.contacts import NewContact, add_contact, number_index
from lexdial.service.fakes import ListAudit
from lexdial.service.users import OPERATOR
from lexdial.service.webhook_guard import signature

from .conftest import NOW, Api

NUMBER = "+16145550101"
OTHER = "+16145550102"


@pytest.fixture(autouse=True)
def mounted(api: Api) -> None:
    """Until app.ROUTERS names routes_review, mount it here (once)."""
    app: FastAPI = api.client.app  # type: ignore[assignment]
    if not any(getattr(r, "path", "") == "/v1/review" for r in app.routes):
        app.include_router(routes_review.router)
    app.state.interfaces = InterfaceSettings(sms_token="tok-0123456789")


def _sms(api: Api, text: str, sender: str = NUMBER) -> None:
    raw = json.dumps({"from": sender, "body": text}).encode()
    headers = {"Content-Type": "application/json",
               "X-Lexdial-Signature": signature("tok-0123456789", raw, NOW)}  # fmt: skip
    res = api.client.post("/webhooks/sms", content=raw, headers=headers)
    assert res.json() == {"action": "review"}


def _items(api: Api, role: str = "compliance") -> list[dict[str, Any]]:
    res = api.client.get("/v1/review", headers=api.headers(role))
    assert res.status_code == 200
    items: list[dict[str, Any]] = res.json()
    return items


def _dnc(api: Api, number: str) -> list[str]:
    bidx = number_index(api.store.cipher, number)
    with api.store.db.connect() as conn:
        q = select(t.dnc_entries.c.channel).where(t.dnc_entries.c.number_bidx == bidx)
        return list(conn.execute(q).scalars())


def _audit(api: Api, action: str) -> list[dict[str, Any]]:
    with api.store.db.connect() as conn:
        rows = conn.execute(select(t.audit_log.c.data).where(t.audit_log.c.action == action))
        return [json.loads(r) for r in rows.scalars()]


def test_an_item_shows_the_time_left_before_the_ten_business_day_limit(api: Api) -> None:
    _sms(api, "Please stop calling my mother's phone")
    (item,) = _items(api)
    assert item["channel"] == "sms" and item["text"] == "Please stop calling my mother's phone"
    assert item["number"] == NUMBER
    assert item["due_at"] == (NOW + timedelta(days=14)).isoformat()  # Wed -> Wed, 2 weeks
    assert item["seconds_left"] == 14 * 86400 and item["business_days_left"] == 10
    assert item["overdue"] is False


def test_agents_may_list_but_see_the_number_masked(api: Api) -> None:
    _sms(api, "don't text me")
    (item,) = _items(api, "agent")
    assert item["number"] != NUMBER and item["number"].endswith("01")


def test_confirming_opts_the_sender_out_and_is_audited(api: Api) -> None:
    _sms(api, "no more calls please")
    (item,) = _items(api)
    assert _dnc(api, NUMBER) == []
    res = api.client.post(f"/v1/review/{item['id']}/confirm", headers=api.headers("compliance"))
    assert res.status_code == 200 and res.json()["status"] == "confirmed"
    assert _dnc(api, NUMBER) == ["sms"]
    assert _items(api) == []
    (entry,) = _audit(api, "review.confirmed")
    assert entry["channel"] == "sms" and len(entry["dnc_entries"]) == 1
    assert _audit(api, "optout.honoured")
    again = api.client.post(f"/v1/review/{item['id']}/confirm", headers=api.headers("compliance"))
    assert again.status_code == 422 and again.json()["error"]["field"] == "item_id"


def test_dismissing_needs_a_reason_and_is_audited(api: Api) -> None:
    _sms(api, "stop calling before noon, afternoons are fine")
    (item,) = _items(api)
    url = f"/v1/review/{item['id']}/dismiss"
    h = api.headers("compliance")
    assert api.client.post(url, json={"reason": "  "}, headers=h).status_code == 422
    assert api.client.post(url, json={}, headers=h).status_code == 422
    res = api.client.post(url, json={"reason": "asks for a time preference"}, headers=h)
    assert res.status_code == 200 and res.json()["status"] == "dismissed"
    assert _items(api) == [] and _dnc(api, NUMBER) == []
    (entry,) = _audit(api, "review.dismissed")
    assert entry["reason"] == "asks for a time preference"


@pytest.mark.parametrize("role", ["agent", "manager", "auditor"])
def test_only_compliance_and_admin_decide(api: Api, role: str) -> None:
    _sms(api, "leave me alone")
    (item,) = _items(api)
    for action, body in (("confirm", None), ("dismiss", {"reason": "no"})):
        res = api.client.post(f"/v1/review/{item['id']}/{action}", json=body,
                              headers=api.headers(role))  # fmt: skip
        assert res.status_code == 403, (role, action)
    assert api.client.get("/v1/review").status_code == 401
    assert len(_items(api)) == 1


def test_an_agents_note_on_a_contact_opts_out_every_number_when_confirmed(api: Api) -> None:
    with api.store.db.begin() as conn:
        cid = add_contact(SqlUnitOfWork(conn), api.store.cipher, api.store.firm_id,
                          NewContact(((NUMBER, "wireless"), (OTHER, "landline")), "M. R."),
                          NOW, audit=ListAudit(), caller=OPERATOR)  # fmt: skip
    note = {"channel": "voice", "text": "Caller said: take me off your list", "contact": cid}
    res = api.client.post("/v1/review", json=note, headers=api.headers("agent"))
    assert res.status_code == 201
    assert (
        api.client.post("/v1/review", json=note, headers=api.headers("auditor")).status_code == 403
    )
    item = res.json()["item"]
    done = api.client.post(f"/v1/review/{item}/confirm", headers=api.headers("admin"))
    assert done.status_code == 200 and len(done.json()["optouts"]) == 2
    assert _dnc(api, NUMBER) == ["voice"] and _dnc(api, OTHER) == ["voice"]


def test_a_bad_flag_names_the_field_not_the_value(api: Api) -> None:
    h = api.headers("agent")
    bad = api.client.post("/v1/review", json={"channel": "fax", "text": "x", "number": NUMBER},
                          headers=h)  # fmt: skip
    assert bad.status_code == 422 and bad.json()["error"]["field"] == "channel"
    bad = api.client.post("/v1/review", json={"channel": "email", "text": "x", "number": "55501"},
                          headers=h)  # fmt: skip
    assert bad.status_code == 422 and "55501" not in bad.text
