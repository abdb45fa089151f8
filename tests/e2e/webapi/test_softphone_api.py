"""The softphone's signalling routes over HTTP: who may open one, and what a refusal says."""

from __future__ import annotations

from .conftest import Api

OFFER = {"type": "offer", "sdp": "v=0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\n"}


def test_an_agent_without_a_browser_endpoint_is_told_to_add_one(api: Api) -> None:
    r = api.client.post("/desk/webrtc/offer", json=OFFER, headers=api.headers("agent"))
    assert r.status_code == 422
    error = r.json()["error"]
    assert error["field"] == "endpoint" and "--browser" in error["message"]


def test_the_softphone_routes_need_a_caller(api: Api) -> None:
    assert api.client.post("/desk/webrtc/offer", json=OFFER).status_code == 401
    assert api.client.get("/desk/webrtc").status_code == 401
    assert api.client.delete("/desk/webrtc").status_code == 401
    assert api.client.get("/desk/softphone").status_code == 401


def test_an_offer_that_is_not_an_offer_is_refused_naming_the_field(api: Api) -> None:
    bad = {"type": "answer", "sdp": OFFER["sdp"]}
    r = api.client.post("/desk/webrtc/offer", json=bad, headers=api.headers("agent"))
    assert r.status_code == 422 and "type" in r.text
