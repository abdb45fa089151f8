"""Webhooks in: SMS replies (token or Twilio signature), the CRM's signed contacts, and the
Twilio call callbacks forwarded to the adapter. A bad credential changes nothing."""

from __future__ import annotations

import itertools
import json
from datetime import timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import func, select
from twilio.request_validator import RequestValidator  # type: ignore[import-untyped]

from lexdial.adapters.db import tables as t
from lexdial.adapters.db.uow import SqlUnitOfWork
from lexdial.adapters.telephony.twilio_webhooks import CallBook, TwilioWebhooks
from lexdial.entrypoints.api.routes_webhooks import InterfaceSettings
from lexdial.service.contacts import NewContact, add_contact, find_contact_id, number_index
from lexdial.service.fakes import ListAudit
from lexdial.service.users import OPERATOR
from lexdial.service.webhook_guard import signature

from .conftest import NOW, Api

SMS_TOKEN = "sms-token-0123456789"
CRM_SECRET = "crm-secret-0123456789"
TWILIO_TOKEN = "twilio-auth-token"
NUMBER = "+16145550101"


@pytest.fixture(autouse=True)
def settings(api: Api) -> InterfaceSettings:
    cfg = InterfaceSettings(sms_token=SMS_TOKEN, crm_secret=CRM_SECRET,
                            twilio_auth_token=TWILIO_TOKEN)  # fmt: skip
    api.client.app.state.interfaces = cfg  # type: ignore[attr-defined]
    return cfg


def _count(api: Api, table: Any) -> int:
    with api.store.db.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def _dnc_channels(api: Api, number: str) -> list[str]:
    bidx = number_index(api.store.cipher, number)
    with api.store.db.connect() as conn:
        rows = conn.execute(
            select(t.dnc_entries.c.channel).where(t.dnc_entries.c.number_bidx == bidx)
        ).scalars()
        return list(rows)


#: each request is signed a second apart, as a sender signs each request anew
_SECONDS = itertools.count()


def _signed(secret: str, raw: bytes) -> dict[str, str]:
    at = NOW - timedelta(seconds=next(_SECONDS) % 200)
    return {"Content-Type": "application/json", "X-Lexdial-Signature": signature(secret, raw, at)}


def _sms(api: Api, body: str, token: str | None = SMS_TOKEN, sender: str = NUMBER) -> Any:
    raw = json.dumps({"from": sender, "body": body}).encode()
    headers = {"Content-Type": "application/json"} if token is None else _signed(token, raw)
    return api.client.post("/webhooks/sms", content=raw, headers=headers)


# --- SMS -----------------------------------------------------------------------------------


@pytest.mark.parametrize("word", ["STOP", "stop.", "Opt-Out", "unsubscribe", " Quit "])
def test_a_stop_word_is_an_opt_out_at_once(api: Api, word: str) -> None:
    res = _sms(api, word)
    assert res.status_code == 200 and res.json() == {"action": "optout"}
    assert _dnc_channels(api, NUMBER) == ["sms"]


def test_free_text_that_may_be_a_revocation_goes_to_review(api: Api) -> None:
    res = _sms(api, "please don't call me again, I have a lawyer")
    assert res.json() == {"action": "review"}
    assert _count(api, t.review_items) == 1 and _dnc_channels(api, NUMBER) == []
    with api.store.db.connect() as conn:
        row = conn.execute(select(t.review_items)).mappings().one()
    assert row["channel"] == "sms" and row["status"] == "open"
    assert "lawyer" not in row["text_enc"]  # stored encrypted


def test_other_replies_are_answered_but_ignored(api: Api) -> None:
    res = _sms(api, "See you on Friday at 10")
    assert res.status_code == 200 and res.json() == {"action": "ignored"}
    assert _count(api, t.review_items) == 0 and _count(api, t.dnc_entries) == 0


@pytest.mark.parametrize("token", [None, "", "wrong-token"])
def test_an_unauthenticated_sms_changes_nothing(api: Api, token: str | None) -> None:
    res = _sms(api, "STOP", token=token)
    assert res.status_code == 401 and "555" not in res.text
    assert _count(api, t.dnc_entries) == 0


def test_an_sms_signed_by_twilio_is_accepted_and_answered_with_twiml(api: Api) -> None:
    url = "https://testserver/webhooks/sms"
    params = {"From": NUMBER, "Body": "STOP", "MessageSid": "SM123"}
    sig = RequestValidator(TWILIO_TOKEN).compute_signature(url, params)
    res = api.client.post("/webhooks/sms", data=params, headers={"X-Twilio-Signature": sig})
    assert res.status_code == 200 and res.text.endswith("<Response/>")
    assert res.headers["content-type"].startswith("application/xml")
    assert _dnc_channels(api, NUMBER) == ["sms"]
    bad = api.client.post("/webhooks/sms", data={**params, "From": "+16145550102"},
                          headers={"X-Twilio-Signature": sig})  # fmt: skip
    assert bad.status_code == 401 and _dnc_channels(api, "+16145550102") == []


# --- CRM -----------------------------------------------------------------------------------

CLIO = {
    "data": {
        "id": 1188376,
        "name": "Maria Ruiz",
        "phone_numbers": [{"number": "(614) 555-0123", "name": "Mobile"},
                          {"number": "ext. 12", "name": "Work"}],
        "primary_address": {"street": "1 Main St", "city": "Columbus", "province": "OH",
                            "postal_code": "43215", "country": "United States"},
    }
}  # fmt: skip


def _crm(api: Api, payload: dict[str, Any], secret: str | None = CRM_SECRET) -> Any:
    raw = json.dumps(payload).encode()
    headers = {"Content-Type": "application/json"}
    if secret is not None:
        headers = _signed(secret, raw)
    return api.client.post("/webhooks/crm/contacts", content=raw, headers=headers)


def _contact(api: Api, number: str) -> int | None:
    with api.store.db.connect() as conn:
        return find_contact_id(
            SqlUnitOfWork(conn), api.store.firm_id, number_index(api.store.cipher, number)
        )


def test_a_signed_crm_contact_is_created_then_updated_idempotently(api: Api) -> None:
    res = _crm(api, CLIO)
    assert res.status_code == 201, res.text
    cid = res.json()["contact"]
    assert _contact(api, "+16145550123") == cid
    again = _crm(api, CLIO)
    assert again.status_code == 200 and again.json() == {"contact": cid, "created": False,
                                                         "changed": False}  # fmt: skip
    renamed = {"data": {**CLIO["data"], "name": "Maria Ruiz-Ortega"}}
    assert _crm(api, renamed).json()["changed"] is True
    assert _count(api, t.contacts) == 1
    with api.store.db.connect() as conn:
        row = conn.execute(select(t.contacts).where(t.contacts.c.id == cid)).mappings().one()
    name = api.store.cipher.decrypt(row["name_enc"], context="contacts.name")
    address = json.loads(api.store.cipher.decrypt(row["address_enc"], context="contacts.address"))
    assert name == "Maria Ruiz-Ortega"
    assert address == {"country": "US", "state": "OH", "zip": "43215"}


@pytest.mark.parametrize("secret", [None, "another-secret"])
def test_an_unsigned_or_mis_signed_crm_request_writes_nothing(api: Api, secret: str | None) -> None:
    res = _crm(api, CLIO, secret=secret)
    assert res.status_code == 401
    assert _count(api, t.contacts) == 0


def test_a_tampered_body_fails_the_signature(api: Api) -> None:
    raw = json.dumps(CLIO).encode()
    tampered = raw.replace(b"Maria", b"Mario")
    res = api.client.post("/webhooks/crm/contacts", content=tampered,
                          headers=_signed(CRM_SECRET, raw))  # fmt: skip
    assert res.status_code == 401 and _count(api, t.contacts) == 0


def test_the_crm_webhook_is_closed_until_a_secret_is_configured(api: Api) -> None:
    api.client.app.state.interfaces = InterfaceSettings()  # type: ignore[attr-defined]
    assert _crm(api, CLIO).status_code == 503
    assert _count(api, t.contacts) == 0


def test_a_crm_contact_without_a_dialable_number_is_refused_by_field(api: Api) -> None:
    res = _crm(api, {"data": {"id": 1, "name": "X", "phone_numbers": [{"number": "n/a"}]}})
    assert res.status_code == 422 and res.json()["error"]["field"] == "data.phone_numbers"


def test_a_crm_update_finds_the_contact_by_any_of_its_numbers(api: Api) -> None:
    with api.store.db.begin() as conn:
        cid = add_contact(SqlUnitOfWork(conn), api.store.cipher, api.store.firm_id,
                          NewContact((("+16145550123", "wireless"),), "M. Ruiz"), NOW,
                              audit=ListAudit(), caller=OPERATOR)  # fmt: skip
    res = _crm(api, CLIO)
    assert res.status_code == 200 and res.json()["contact"] == cid


# --- Twilio call callbacks -----------------------------------------------------------------


def test_twilio_call_callbacks_are_404_when_the_carrier_is_not_twilio(api: Api) -> None:
    assert api.client.post("/webhooks/twilio/status", data={}).status_code == 404


def test_twilio_call_callbacks_reach_the_adapter_which_checks_the_signature(api: Api) -> None:
    hooks = TwilioWebhooks(
        CallBook(lambda: 0.0), TWILIO_TOKEN, "https://testserver/webhooks/twilio", 5
    )
    api.client.app.state.telephony = SimpleNamespace(webhooks=hooks)  # type: ignore[attr-defined]
    url = "https://testserver/webhooks/twilio/status?call=c-1"
    params = {"CallSid": "CA1", "CallStatus": "ringing"}
    sig = RequestValidator(TWILIO_TOKEN).compute_signature(url, params)
    ok = api.client.post("/webhooks/twilio/status?call=c-1", data=params,
                         headers={"X-Twilio-Signature": sig})  # fmt: skip
    # signed; the call is not this process's: hung up, never left in silence
    assert ok.status_code == 200 and "<Hangup />" in ok.text
    forged = api.client.post("/webhooks/twilio/status?call=c-1", data=params,
                             headers={"X-Twilio-Signature": "forged"})  # fmt: skip
    assert forged.status_code == 403


def test_a_twilio_callback_no_carrier_here_placed_is_hung_up_not_404(api: Api) -> None:
    """``lexdial serve`` while the campaign runs in another process (or after a restart):
    with Twilio's credentials in the environment the call is hung up, not left silent."""
    from dataclasses import replace

    from lexdial.bootstrap import twilio_unknown_call_webhooks
    from lexdial.config import TelephonySettings

    settings = replace(
        api.store.settings,
        telephony=TelephonySettings(
            carrier="twilio", webhook_base_url="https://dialer.example.com/webhooks/twilio"
        ),
    )
    env = {"LEXDIAL_TWILIO_ACCOUNT_SID": "AC" + "0" * 32, "LEXDIAL_TWILIO_AUTH_TOKEN": TWILIO_TOKEN}
    hooks = twilio_unknown_call_webhooks(settings, env)
    assert twilio_unknown_call_webhooks(api.store.settings, env) is None  # no base URL
    api.client.app.state.twilio_unknown = hooks  # type: ignore[attr-defined]
    api.client.app.state.runner = SimpleNamespace(carriers={})  # type: ignore[attr-defined]
    # this store's settings name no base URL: the app checks the URL as it saw it
    signed_url = "https://testserver/webhooks/twilio/gather?call=a77&prompt=message"
    params = {"CallSid": "CA1", "CallStatus": "in-progress", "Digits": "1"}
    sig = RequestValidator(TWILIO_TOKEN).compute_signature(signed_url, params)
    res = api.client.post("/webhooks/twilio/gather?call=a77&prompt=message", data=params,
                          headers={"X-Twilio-Signature": sig})  # fmt: skip
    assert (res.status_code, res.headers["content-type"]) == (200, "application/xml; charset=utf-8")
    assert "<Hangup />" in res.text
    forged = api.client.post("/webhooks/twilio/gather?call=a77&prompt=message", data=params,
                             headers={"X-Twilio-Signature": "forged"})  # fmt: skip
    assert forged.status_code == 403


def test_twilio_callbacks_reach_the_carrier_of_the_campaign_that_placed_the_call() -> None:
    from types import SimpleNamespace

    from lexdial.entrypoints.api.routes_webhooks import _twilio_handler

    def carrier(calls: set[str], agents: set[str] = frozenset()) -> SimpleNamespace:
        # a carrier's webhooks say which callbacks they own: a call, or an agent's leg
        def owns(query: dict[str, str]) -> bool:
            return query.get("call") in calls or query.get("agent") in agents

        return SimpleNamespace(webhooks=SimpleNamespace(owns=owns, name=sorted(calls)))

    first, second = carrier({"a1"}), carrier({"a2"}, {"user:7"})
    state = SimpleNamespace(runner=SimpleNamespace(carriers={1: first, 2: second}))
    request = SimpleNamespace(app=SimpleNamespace(state=state), query_params={"call": "a2"})
    assert _twilio_handler(request) is second.webhooks  # type: ignore[arg-type]
    request.query_params = {"agent": "user:7"}  # an agent's leg: no call id in the query
    assert _twilio_handler(request) is second.webhooks  # type: ignore[arg-type]
    request.query_params = {"call": "a9"}
    assert _twilio_handler(request) is None  # type: ignore[arg-type]


def test_behind_a_proxy_signed_sms_are_checked_against_the_public_url() -> None:
    from types import SimpleNamespace

    from lexdial.entrypoints.api.routes_webhooks import InterfaceSettings, public_url

    hooks = InterfaceSettings(public_url="https://firm.example/lexdial/")
    url = SimpleNamespace(path="/webhooks/sms", query="a=1")
    request = SimpleNamespace(app=SimpleNamespace(state=SimpleNamespace(interfaces=hooks)),
                              url=url)  # fmt: skip
    got = public_url(request, None)  # type: ignore[arg-type]
    assert got == "https://firm.example/lexdial/webhooks/sms?a=1"
