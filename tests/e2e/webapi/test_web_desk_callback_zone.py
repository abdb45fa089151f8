"""The desk page's callback is written in the person's local time, never silently in UTC:
the screen pop offers the zones the gate judged the call in, the page's endpoint reads a
time without offset in the zone chosen, refuses one without a zone (naming ``zone``), a
zone that is none, and a local time the zone skips (naming ``when``); the gate then checks
the instant, in the person's zone."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from lexdial.adapters.db import tables as t
from lexdial.bootstrap import Store

from .conftest import Api
from .test_api_people import CONSENT, CONTACT
from .test_desk_api import CAMPAIGN, Desk
from .test_web_pages import login

CHI = "+13125550143"  # Chicago: 15:00 there is 21:00 UTC in December


class CentralDesk(Desk):
    """``Desk`` with a person in Illinois (zone America/Chicago on the record)."""

    def __init__(self, client: TestClient, store: Store, tokens: dict[str, str]) -> None:
        self.client, self.store, self.tokens = client, store, tokens
        admin = self.h("admin")
        contact = {**CONTACT, "numbers": [{"number": CHI, "line_type": "wireless"}],
                   "address": {"country": "US", "state": "IL",
                               "time_zone": "America/Chicago"}}  # fmt: skip
        res = client.post("/v1/contacts", json=contact, headers=admin)
        self.contact = res.json()["contact"]
        res = client.post("/v1/consents", json={**CONSENT, "number": CHI}, headers=admin)
        assert res.status_code == 201, res.text
        self.campaign = client.post("/v1/campaigns", json=CAMPAIGN, headers=admin).json()[
            "campaign"
        ]
        added = {"contacts": [self.contact]}
        client.post(
            f"/v1/campaigns/{self.campaign}/contacts", json=added, headers=admin
        ).raise_for_status()
        with store.db.begin() as conn:  # running, as the start route leaves it
            conn.execute(t.campaigns.update().values(status="running"))


@pytest.fixture
def wrapped(api: Api) -> tuple[CentralDesk, dict[str, str]]:
    """The agent, on the page's session, in wrap-up after a call, disposition recorded."""
    desk = CentralDesk(api.client, api.store, api.tokens)
    h = {"X-CSRF-Token": login(api.client, "agent")}
    post = api.client.post
    post("/desk/api/login", json={"campaign_id": desk.campaign}, headers=h).raise_for_status()
    post("/desk/api/ready", headers=h).raise_for_status()
    attempt = desk.hand_call(api.users["agent"])
    desk.end_call(api.users["agent"], attempt)
    post("/desk/api/disposition", json={"code": "callback_requested"}, headers=h).raise_for_status()
    return desk, h


def _refused(api: Api, h: dict[str, str], body: dict[str, Any], field: str) -> str:
    res = api.client.post("/desk/api/callback", json=body, headers=h)
    assert res.status_code == 422, res.text
    error = res.json()["error"]
    assert error["field"] == field, error
    return str(error["message"])


def test_the_screen_pop_offers_the_persons_zone_for_the_callback(
    api: Api, wrapped: tuple[CentralDesk, dict[str, str]]
) -> None:
    pop = api.client.get("/desk/api/screen").json()
    assert pop["callback_zones"] == ["America/Chicago"]
    page = api.client.get("/desk").text
    form = page.split('id="callback-form"')[1].split("</form>")[0]
    assert "When (UTC)" not in form and "the person's local time" in form
    assert '<select id="callback-zone" name="zone" required' in form
    assert 'type="hidden"' not in form  # no silent zone


def test_a_callback_is_read_in_the_zone_chosen_and_never_silently_in_utc(
    api: Api, wrapped: tuple[CentralDesk, dict[str, str]]
) -> None:
    _, h = wrapped
    assert "time zone" in _refused(api, h, {"when": "2026-12-03T15:00"}, "zone")
    _refused(api, h, {"when": "2026-12-03T15:00", "zone": "Mars/Olympus"}, "zone")
    _refused(api, h, {"when": "2026-12-03T15:00", "zone": "../../etc/passwd"}, "zone")
    _refused(api, h, {"when": "tomorrow at three", "zone": "America/Chicago"}, "when")
    # 02:30 on the morning the clocks go forward does not exist in Chicago
    skipped = _refused(api, h, {"when": "2027-03-14T02:30", "zone": "America/Chicago"}, "when")
    assert "does not exist" in skipped
    # 07:00 in Chicago is too early there (the gate judges the person's zone)
    early = _refused(api, h, {"when": "2026-12-03T07:00", "zone": "America/Chicago"}, "when")
    assert "earliest lawful time is 2026-12-03T08:00:00-06:00" in early
    res = api.client.post("/desk/api/callback",
                          json={"when": "2026-12-03T15:00", "zone": "America/Chicago"},
                          headers=h)  # fmt: skip
    assert res.status_code == 200, res.text
    body = res.json()
    assert body["when"] == "2026-12-03T21:00:00+00:00"  # 15:00 Central, not 15:00 UTC
    assert (body["local"], body["zone"]) == ("2026-12-03T15:00:00-06:00", "America/Chicago")
    with api.store.db.connect() as conn:
        next_at = conn.execute(select(t.campaign_contacts.c.next_at)).scalar_one()
    assert next_at.strftime("%Y-%m-%d %H:%M") == "2026-12-03 21:00"


def test_a_callback_in_utc_is_utc_only_when_the_agent_says_so(
    api: Api, wrapped: tuple[CentralDesk, dict[str, str]]
) -> None:
    _, h = wrapped
    res = api.client.post("/desk/api/callback",
                          json={"when": "2026-12-03T20:00", "zone": "UTC"}, headers=h)  # fmt: skip
    assert res.status_code == 200, res.text
    assert res.json()["when"] == "2026-12-03T20:00:00+00:00" and res.json()["zone"] == "UTC"
