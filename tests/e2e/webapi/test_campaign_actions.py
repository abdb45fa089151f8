"""A campaign's start over the API and from the web page is one action (``apply_action``):
a start the runner cannot seat (a live-agent campaign with no trained agent that day) is
refused before ``running`` commits, so the campaign stays as it was and nothing is audited."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from lexdial.adapters.db import tables as t
from lexdial.adapters.db.uow import SqlUnitOfWork
from lexdial.entrypoints.api.runner import CampaignRunner
from lexdial.service.campaigns import add_contacts, create_campaign, load_campaign
from lexdial.service.consent import ConsentEvidence, NewConsent, record_consent
from lexdial.service.contacts import NewContact, add_contact
from lexdial.service.users import OPERATOR

from .conftest import FIRM, NOW, Api
from .test_web_pages import CAMPAIGN, login

NUMBER = "+16145550101"


def _live_campaign(api: Api) -> int:
    """A preview (live-agent) campaign with one consenting contact: it passes the lint."""
    s, at = api.store, NOW - timedelta(days=30)
    with s.db.begin() as conn:
        new = NewContact(
            numbers=((NUMBER, "wireless"),),
            name="Client 01",
            address={"country": "US", "state": "OH"},
            relationship="current_client",
            subscriber="consumer",
        )
        uow = SqlUnitOfWork(conn)
        contact = add_contact(uow, s.cipher, s.firm_id, new, at, audit=s.audit, caller=OPERATOR)
        evidence = ConsentEvidence("signed letter", "You may call me.", "2026-06", "intake")
        consent = NewConsent(NUMBER, "express", ["reminder"], [FIRM], at, evidence)
        record_consent(SqlUnitOfWork(conn), s.cipher, s.audit, s.firm_id, consent, OPERATOR, at)
        spec = {**CAMPAIGN, "mode": "preview"}
        cid = create_campaign(SqlUnitOfWork(conn), s.audit, s.firm_id, spec, OPERATOR, at)
        add_contacts(SqlUnitOfWork(conn), s.audit, s.firm_id, cid, [contact], OPERATOR, at)
    # the runner's day is after every agent's training lapsed: nobody can be seated
    api.client.app.state.runner = CampaignRunner(  # type: ignore[attr-defined]
        s, clock=lambda: NOW + timedelta(days=800)
    )
    return cid


def _state(api: Api, cid: int) -> tuple[str, int]:
    with api.store.db.connect() as conn:
        status = load_campaign(SqlUnitOfWork(conn), api.store.firm_id, cid).status
        entries = conn.execute(select(func.count()).select_from(t.audit_log)).scalar_one()
    return status, int(entries)


def test_an_api_start_no_agent_can_staff_leaves_the_campaign_not_running(api: Api) -> None:
    cid = _live_campaign(api)
    before = _state(api, cid)
    res = api.client.post(f"/v1/campaigns/{cid}/start", headers=api.headers("manager"))
    assert res.status_code == 409, res.text
    assert res.json()["error"]["code"] == "campaign_refused"
    assert res.json()["error"]["message"] == ("no active agent has a current training attestation")
    assert _state(api, cid) == before and before[0] == "draft"


def test_a_web_start_no_agent_can_staff_leaves_the_campaign_not_running(api: Api) -> None:
    cid = _live_campaign(api)
    csrf = login(api.client, "manager")
    before = _state(api, cid)
    res = api.client.post(f"/campaigns/{cid}/start", data={"csrf": csrf})
    assert res.status_code == 409 and "training" in res.text
    assert res.headers["content-type"].startswith("text/html")
    assert _state(api, cid) == before and before[0] == "draft"
