"""The agent desk page over HTTP: each role sees the desk or a
403 page, the desk runs only lexdial's own script, an agent of firm 2 sees nothing of
firm 1's, a session's change needs its CSRF token, and a refusal names the field.
(The desk in a real browser: tests/e2e/browser/test_agent_desk_chromium.py.)"""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from lexdial.adapters.db import tables as t
from lexdial.service.auth import set_password
from lexdial.service.campaign_lint import lint_campaign
from lexdial.service.campaigns import add_contacts, create_campaign, set_status
from lexdial.service.consent import ConsentEvidence, NewConsent, record_consent
from lexdial.service.contacts import NewContact, add_contact
from lexdial.service.firms import add_firm
from lexdial.service.users import OPERATOR, add_user, attest_training

from .conftest import FIRM, NOW, PASSWORD, Api
from .test_web_pages import CAMPAIGN, login

NUMBER = "+16145550161"
NAME = "Morgan Quill"
DESK_ROLES = ("agent", "manager", "admin")


def _desk_campaign(api: Api) -> tuple[int, int]:
    """A running preview campaign of firm 1 with one consenting client on it."""
    s, at = api.store, NOW - timedelta(days=30)
    with s.unit_of_work() as uow:
        new = NewContact(
            numbers=((NUMBER, "wireless"),),
            name=NAME,
            address={"country": "US", "state": "OH"},
            relationship="current_client",
            subscriber="consumer",
        )
        contact = add_contact(uow, s.cipher, s.firm_id, new, at, audit=s.audit, caller=OPERATOR)
        evidence = ConsentEvidence("signed letter", "You may call me.", "2026-06", "intake")
        consent = NewConsent(NUMBER, "express", ["reminder"], [FIRM], at, evidence)
        record_consent(uow, s.cipher, s.audit, s.firm_id, consent, OPERATOR, at)
        spec = {**CAMPAIGN, "name": "Firm One Desk", "mode": "preview"}
        cid = create_campaign(uow, s.audit, s.firm_id, spec, OPERATOR, at)
        add_contacts(uow, s.audit, s.firm_id, cid, [contact], OPERATOR, at)
        problems = lint_campaign(uow, s.rules, s.cipher, s.registry, firm_id=s.firm_id,
                                 campaign_id=cid, at=NOW)  # fmt: skip
        set_status(uow, s.audit, s.firm_id, cid, "start", OPERATOR, NOW, problems)
    return cid, contact


def _login_as(client: TestClient, email: str) -> str:
    """Log in through the form as ``email``; returns the session's CSRF token."""
    client.cookies.clear()
    form = client.get("/login")
    token = form.text.split('name="login_csrf" value="')[1].split('"')[0]
    res = client.post("/login", data={"email": email, "password": PASSWORD, "login_csrf": token,
                                      "next": "/desk"}, follow_redirects=False)  # fmt: skip
    assert res.status_code == 303, res.text
    page = client.get("/desk")
    return page.text.split('name="csrf" value="')[1].split('"')[0]


@pytest.mark.parametrize("role", DESK_ROLES)
def test_the_desk_renders_for_a_role_that_sits_at_it_with_only_lexdials_script(
    api: Api, role: str
) -> None:
    cid, _ = _desk_campaign(api)
    login(api.client, role)
    res = api.client.get("/desk")
    assert res.status_code == 200, res.text
    assert 'id="desk"' in res.text and "Firm One Desk" in res.text
    assert f'<option value="{cid}">' in res.text
    assert '<script src="/static/desk.js" defer></script>' in res.text
    assert "softphone.js" not in res.text  # no browser endpoint chosen: no softphone
    csp = res.headers["content-security-policy"]
    assert "script-src 'self';" in csp and "connect-src 'self';" in csp
    assert "unsafe-inline" not in csp and "http" not in csp
    assert 'id="nav-desk"' in res.text


@pytest.mark.parametrize("role", ["compliance", "auditor"])
def test_a_role_that_does_not_sit_at_the_desk_gets_a_403_page_and_no_desk_link(
    api: Api, role: str
) -> None:
    login(api.client, role)
    res = api.client.get("/desk")
    assert res.status_code == 403 and res.headers["content-type"].startswith("text/html")
    assert "desk" in res.text and "Traceback" not in res.text and "<script" not in res.text
    other = api.client.get("/compliance").text
    assert 'id="nav-desk"' not in other and 'href="/campaigns"' in other


def test_the_desk_script_and_stylesheet_are_served_by_lexdial_and_nothing_else_is(
    api: Api,
) -> None:
    js = api.client.get("/static/desk.js")
    assert js.status_code == 200 and js.headers["content-type"].startswith("text/javascript")
    assert "/desk/api/state" in js.text
    assert api.client.get("/static/desk.css").headers["content-type"].startswith("text/css")
    for name in ("app.py", ".hidden.js", "..%2Fapp.py", "nope.js"):
        assert api.client.get(f"/static/{name}").status_code == 404, name


def test_an_agent_of_another_firm_sees_nothing_of_firm_1_at_the_desk(
    api: Api,
) -> None:
    cid, contact = _desk_campaign(api)
    s = api.store
    with s.unit_of_work() as uow:
        firm2 = add_firm(uow, s.audit, "Other Firm PLLC", NOW, "test")
        uid = add_user(uow, s.cipher, firm2, "agent@other.test", "Other Agent", "agent", NOW,
                       audit=s.audit, caller=OPERATOR)  # fmt: skip
        attest_training(uow, uid, "TCPA", NOW.date(), 365, NOW, OPERATOR, audit=s.audit)
        set_password(uow, s.audit, uid, PASSWORD, OPERATOR, NOW)
    csrf = _login_as(api.client, "agent@other.test")
    desk = api.client.get("/desk")
    assert desk.status_code == 200 and "Firm One Desk" not in desk.text
    assert f'<option value="{cid}">' not in desk.text and 'id="no-campaign"' in desk.text
    # the desk's API refuses firm 1's campaign to firm 2's agent
    res = api.client.post("/desk/api/login", json={"campaign_id": cid, "endpoint_id": None},
                          headers={"X-CSRF-Token": csrf})  # fmt: skip
    assert res.status_code in (404, 422), res.text
    # click-to-call on firm 1's contact: refused, nothing asked of any seat
    res = api.client.post(f"/contacts/{contact}/call", data={"csrf": csrf})
    assert res.status_code >= 400 and "Traceback" not in res.text
    with s.db.connect() as conn:
        dial = (
            select(func.count())
            .select_from(t.agent_sessions)
            .where(t.agent_sessions.c.dial_contact_id.is_not(None))
        )
        assert conn.execute(dial).scalar_one() == 0


def test_a_desk_action_from_the_page_needs_the_sessions_csrf_token(api: Api) -> None:
    cid, contact = _desk_campaign(api)
    csrf = login(api.client, "agent")
    for headers in ({}, {"X-CSRF-Token": "not-the-token"}):
        res = api.client.post("/desk/api/login", json={"campaign_id": cid}, headers=headers)
        assert res.status_code == 403, res.text
        assert "CSRF" in res.json()["error"]["message"]
    res = api.client.post(f"/contacts/{contact}/call", data={})
    assert res.status_code == 403 and "CSRF" in res.text
    ok = api.client.post("/desk/api/login", json={"campaign_id": cid, "endpoint_id": None},
                         headers={"X-CSRF-Token": csrf})  # fmt: skip
    assert ok.status_code == 200, ok.text
    assert api.client.get("/desk/api/state").json()["state"] == "paused"


def test_a_refused_desk_action_names_the_field_the_page_shows(api: Api) -> None:
    cid, _ = _desk_campaign(api)
    csrf = login(api.client, "agent")
    h = {"X-CSRF-Token": csrf}
    res = api.client.post("/desk/api/login", json={"campaign_id": 999999}, headers=h)
    assert res.status_code in (404, 422) and "Traceback" not in res.text
    api.client.post("/desk/api/login", json={"campaign_id": cid, "endpoint_id": None},
                    headers=h).raise_for_status()  # fmt: skip
    res = api.client.post("/desk/api/disposition", json={"code": "made_up"}, headers=h)
    assert res.status_code in (409, 422)
    assert res.json()["error"]["field"] in ("code", "disposition", "attempt")


def test_the_contact_page_offers_click_to_call_to_desk_roles_only(api: Api) -> None:
    _, contact = _desk_campaign(api)
    login(api.client, "agent")
    assert 'id="click-to-call"' in api.client.get(f"/contacts/{contact}").text
    login(api.client, "auditor")
    assert 'id="click-to-call"' not in api.client.get(f"/contacts/{contact}").text


def test_click_to_call_without_a_seat_is_refused_and_says_why(api: Api) -> None:
    _, contact = _desk_campaign(api)
    csrf = login(api.client, "agent")
    res = api.client.post(f"/contacts/{contact}/call", data={"csrf": csrf})
    assert res.status_code in (409, 422) and res.headers["content-type"].startswith("text/html")
    assert 'role="alert"' in res.text and "desk" in res.text.lower()
