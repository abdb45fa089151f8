"""Agents' endpoints over the API (GET/POST/DELETE /v1/users/{id}/endpoints): an admin
manages them, others may not; and a live-agent campaign on the SIP carrier whose agents have
no SIP address is refused before it is marked running."""

from __future__ import annotations

from dataclasses import replace

from .conftest import NOW, Api
from .test_campaign_actions import _live_campaign, _state


def test_an_admin_adds_lists_and_removes_an_agents_endpoints(api: Api) -> None:
    agent, admin = api.users["agent"], api.headers("admin")
    url = f"/v1/users/{agent}/endpoints"
    res = api.client.post(url, json={"kind": "sip", "address": "sip:1001@pbx.example.com"},
                          headers=admin)  # fmt: skip
    assert res.status_code == 201, res.text
    sip = res.json()["id"]
    res = api.client.post(url, json={"kind": "twilio_client", "address": "ana"}, headers=admin)
    assert res.status_code == 201, res.text
    listed = api.client.get(url, headers=api.headers("compliance"))
    assert [(e["kind"], e["address"]) for e in listed.json()] == [
        ("sip", "sip:1001@pbx.example.com"),
        ("twilio_client", "ana"),
    ]
    res = api.client.delete(f"{url}/{sip}", headers=admin)
    assert res.status_code == 200 and res.json()["removed"] is True, res.text
    assert [e["kind"] for e in api.client.get(url, headers=admin).json()] == ["twilio_client"]


def test_a_bad_address_names_the_field_and_a_manager_or_unknown_user_is_refused(
    api: Api,
) -> None:
    agent, admin = api.users["agent"], api.headers("admin")
    url = f"/v1/users/{agent}/endpoints"
    res = api.client.post(url, json={"kind": "sip", "address": "1001@pbx"}, headers=admin)
    assert res.status_code == 422, res.text
    assert res.json()["error"]["field"] == "address"
    res = api.client.post(url, json={"kind": "browser"}, headers=api.headers("manager"))
    assert res.status_code == 403, res.text
    res = api.client.get("/v1/users/999/endpoints", headers=admin)
    assert res.status_code == 404, res.text
    res = api.client.delete(f"{url}/999", headers=admin)
    assert res.status_code == 404, res.text


def test_a_sip_campaign_whose_agents_lack_a_sip_address_stays_draft(api: Api) -> None:
    cid = _live_campaign(api)
    s = api.store
    s.settings = replace(s.settings, telephony=replace(s.settings.telephony, carrier="sip"))
    runner = api.client.app.state.runner  # type: ignore[attr-defined]
    runner.clock = lambda: NOW  # the agent's training is current: only the endpoint lacks
    agent = api.users["agent"]
    # a Twilio Client identity: the sip carrier cannot reach it (a browser softphone it can)
    api.client.post(f"/v1/users/{agent}/endpoints", json={"kind": "twilio_client",
                    "address": "ana"}, headers=api.headers("admin"))  # fmt: skip
    before = _state(api, cid)
    res = api.client.post(f"/v1/campaigns/{cid}/start", headers=api.headers("manager"))
    assert res.status_code == 409, res.text
    message = res.json()["error"]["message"]
    assert f"user #{agent} lacks a SIP address" in message and "sip carrier" in message
    assert _state(api, cid) == before and before[0] == "draft"
