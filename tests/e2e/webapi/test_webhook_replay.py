"""Signed webhooks cannot be replayed: a CRM update replayed later does not revert the
contact, a replayed SMS STOP adds no second do-not-call row, a stale or unsigned timestamp
is refused, and a repeated STOP is idempotent."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select
from twilio.request_validator import RequestValidator  # type: ignore[import-untyped]

from lexdial.adapters.db import tables as t
from lexdial.adapters.db.uow import SqlUnitOfWork
from lexdial.entrypoints.api.routes_webhooks import InterfaceSettings
from lexdial.service.contacts import find_contact_id, number_index
from lexdial.service.webhook_guard import WINDOW_S, signature

from .conftest import NOW, Api

SMS_TOKEN = "sms-token-0123456789"
CRM_SECRET = "crm-secret-0123456789"
TWILIO_TOKEN = "twilio-auth-token"
NUMBER = "+16145550123"


@pytest.fixture(autouse=True)
def settings(api: Api) -> None:
    api.client.app.state.interfaces = InterfaceSettings(  # type: ignore[attr-defined]
        sms_token=SMS_TOKEN, crm_secret=CRM_SECRET, twilio_auth_token=TWILIO_TOKEN
    )


def _post(api: Api, path: str, raw: bytes, header: str | None) -> Any:
    headers = {"Content-Type": "application/json"}
    if header is not None:
        headers["X-Lexdial-Signature"] = header
    return api.client.post(path, content=raw, headers=headers)


def _clio(name: str, state: str) -> bytes:
    return json.dumps(
        {"data": {"id": 9, "name": name, "phone_numbers": [{"number": NUMBER}],
                  "primary_address": {"province": state, "country": "US"}}}
    ).encode()  # fmt: skip


def _person(api: Api) -> tuple[str, dict[str, str]]:
    s = api.store
    with s.db.connect() as conn:
        cid = find_contact_id(SqlUnitOfWork(conn), s.firm_id, number_index(s.cipher, NUMBER))
        row = conn.execute(select(t.contacts).where(t.contacts.c.id == cid)).mappings().one()
    name = s.cipher.decrypt(row["name_enc"], context="contacts.name")
    return name, json.loads(s.cipher.decrypt(row["address_enc"], context="contacts.address"))


def _dnc_rows(api: Api) -> int:
    with api.store.db.connect() as conn:
        q = select(func.count()).select_from(t.dnc_entries)
        return int(conn.execute(q).scalar_one())


def test_a_replayed_crm_update_is_refused_and_does_not_revert_the_contact(api: Api) -> None:
    first, later = _clio("Maria Ruiz", "OH"), _clio("Maria Ruiz-Ortega", "FL")
    old_sig = signature(CRM_SECRET, first, NOW - timedelta(seconds=60))
    assert _post(api, "/webhooks/crm/contacts", first, old_sig).status_code == 201
    new_sig = signature(CRM_SECRET, later, NOW - timedelta(seconds=30))
    assert _post(api, "/webhooks/crm/contacts", later, new_sig).status_code == 200
    replay = _post(api, "/webhooks/crm/contacts", first, old_sig)
    assert replay.status_code == 409 and replay.json()["error"]["type"] == "Replay"
    assert _person(api) == ("Maria Ruiz-Ortega", {"country": "US", "state": "FL"})


@pytest.mark.parametrize("age_s", [WINDOW_S + 1, -(WINDOW_S + 1)])
def test_a_crm_request_signed_outside_the_window_is_refused(api: Api, age_s: int) -> None:
    raw = _clio("Maria Ruiz", "OH")
    res = _post(api, "/webhooks/crm/contacts", raw,
                signature(CRM_SECRET, raw, NOW - timedelta(seconds=age_s)))  # fmt: skip
    assert res.status_code == 401 and "timestamp" in res.json()["error"]["message"]
    with api.store.db.connect() as conn:
        assert conn.execute(select(func.count()).select_from(t.contacts)).scalar_one() == 0


def test_a_crm_request_with_the_old_body_only_signature_is_refused(api: Api) -> None:
    import hashlib
    import hmac

    raw = _clio("Maria Ruiz", "OH")
    body_only = hmac.new(CRM_SECRET.encode(), raw, hashlib.sha256).hexdigest()
    res = api.client.post("/webhooks/crm/contacts", content=raw,
                          headers={"X-Hook-Signature": body_only})  # fmt: skip
    assert res.status_code == 401 and "X-Lexdial-Signature" in res.json()["error"]["message"]


def test_a_replayed_sms_stop_adds_no_second_do_not_call_row(api: Api) -> None:
    raw = json.dumps({"from": NUMBER, "body": "STOP"}).encode()
    sig = signature(SMS_TOKEN, raw, NOW)
    assert _post(api, "/webhooks/sms", raw, sig).json() == {"action": "optout"}
    assert _post(api, "/webhooks/sms", raw, sig).status_code == 409
    assert _dnc_rows(api) == 1


def test_a_second_genuine_stop_is_idempotent(api: Api) -> None:
    raw = json.dumps({"from": NUMBER, "body": "STOP"}).encode()
    for seconds in (90, 30):  # two messages, each signed when it was sent
        sig = signature(SMS_TOKEN, raw, NOW - timedelta(seconds=seconds))
        assert _post(api, "/webhooks/sms", raw, sig).json() == {"action": "optout"}
    assert _dnc_rows(api) == 1
    with api.store.db.connect() as conn:
        q = select(t.audit_log.c.data).where(t.audit_log.c.action == "optout.honoured")
        repeats = [json.loads(d)["already_listed"] for d in conn.execute(q).scalars()]
    assert repeats == [False, True]  # both requests are in the audit trail


def test_a_replayed_twilio_stop_is_answered_but_changes_nothing(api: Api) -> None:
    params = {"From": NUMBER, "Body": "STOP", "MessageSid": "SM0123"}
    sig = RequestValidator(TWILIO_TOKEN).compute_signature(
        "https://testserver/webhooks/sms", params
    )
    for _ in range(2):
        res = api.client.post("/webhooks/sms", data=params, headers={"X-Twilio-Signature": sig})
        assert res.status_code == 200 and res.text.endswith("<Response/>")
    assert _dnc_rows(api) == 1
    with api.store.db.connect() as conn:
        q = (
            select(func.count())
            .select_from(t.audit_log)
            .where(t.audit_log.c.action == "optout.honoured")
        )
        assert conn.execute(q).scalar_one() == 1


def test_the_bare_shared_token_is_no_longer_enough(api: Api) -> None:
    res = api.client.post("/webhooks/sms", json={"from": NUMBER, "body": "STOP"},
                          headers={"X-Lexdial-Token": SMS_TOKEN})  # fmt: skip
    assert res.status_code == 401 and _dnc_rows(api) == 0


def test_deeply_nested_json_to_the_sms_webhook_is_refused_without_a_500(api: Api) -> None:
    raw = b"[" * 30_000 + b"]" * 30_000
    assert _post(api, "/webhooks/sms", raw, None).status_code == 401  # not even parsed
    res = _post(api, "/webhooks/sms", raw, signature(SMS_TOKEN, raw, NOW))
    assert res.status_code == 422 and res.json()["error"]["field"] == "body"
    nested = b'{"from": "+16145550123", "body": "x", "n": ' + b"[" * 5000 + b"]" * 5000 + b"}"
    res = _post(api, "/webhooks/sms", nested, signature(SMS_TOKEN, nested, NOW))
    assert res.status_code == 422 and res.json()["error"]["field"].startswith("body")
