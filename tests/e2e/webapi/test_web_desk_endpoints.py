"""The desk page for an agent WITH phones (endpoints) of each kind: it renders, lists each
phone by its kind and address, and, once the agent sits with one, loads exactly that
kind's softphone script (``softphone.js`` for a browser, ``twilio_phone.js`` for a Twilio
Client identity, none for a SIP desk phone), with the matching Content-Security-Policy."""

from __future__ import annotations

import pytest

from lexdial.service.agent_endpoints import add_endpoint
from lexdial.service.users import OPERATOR

from .conftest import NOW, Api
from .test_web_desk import _desk_campaign
from .test_web_pages import login

#: each kind, an address of it, and the softphone script the desk must load for it
KINDS = {
    "sip": ("sip:agent7@desk.firm.test:5060", None),
    "browser": (None, "/static/softphone.js"),
    "twilio_client": ("agent.seven", "/static/twilio_phone.js"),
}
SOFTPHONES = ("/static/softphone.js", "/static/twilio_phone.js")


def _endpoints(api: Api) -> dict[str, int]:
    """One endpoint of every kind for the agent (added as the firm's admin would)."""
    s, uid = api.store, api.users["agent"]
    out = {}
    with s.unit_of_work() as uow:
        for kind, (address, _) in KINDS.items():
            out[kind] = add_endpoint(uow, uid, kind, address, NOW, audit=s.audit,
                                     caller=OPERATOR, firm_id=s.firm_id)  # fmt: skip
    return out


def _scripts(html: str) -> list[str]:
    return [part.split('"')[0] for part in html.split('<script src="')[1:]]


def test_the_desk_renders_for_an_agent_with_a_phone_of_every_kind(api: Api) -> None:
    _desk_campaign(api)
    ids = _endpoints(api)
    login(api.client, "agent")
    res = api.client.get("/desk")
    assert res.status_code == 200, res.text
    for kind, (address, _) in KINDS.items():
        label = kind.replace("_", " ") + (f": {address}" if address else "")
        assert f'<option value="{ids[kind]}">{label}</option>' in res.text, kind
    # not seated yet: only the desk's own script
    assert _scripts(res.text) == ["/static/desk.js"]


@pytest.mark.parametrize("kind", list(KINDS))
def test_seated_with_a_phone_the_desk_loads_that_kinds_softphone_only(api: Api, kind: str) -> None:
    cid, _ = _desk_campaign(api)
    ids = _endpoints(api)
    csrf = login(api.client, "agent")
    res = api.client.post("/desk/api/login", json={"campaign_id": cid, "endpoint_id": ids[kind]},
                          headers={"X-CSRF-Token": csrf})  # fmt: skip
    assert res.status_code == 200, res.text
    page = api.client.get("/desk")
    assert page.status_code == 200, page.text
    want = KINDS[kind][1]
    assert _scripts(page.text) == ["/static/desk.js", *([want] if want else [])]
    assert f'data-endpoint-kind="{kind}"' in page.text
    for other in SOFTPHONES:
        if other != want:
            assert other not in page.text
    csp = page.headers["content-security-policy"]
    assert ("twilio.com" in csp) is (kind == "twilio_client")
    if kind == "sip":
        assert "Your desk phone rings" in page.text
    for src in _scripts(page.text):  # every script the page names is served
        assert api.client.get(src).status_code == 200, src
