"""No request runs SQL on the web app's event loop (issue 15, item 5): the caller's token
or session, their firm and their role are read in the threadpool, and so is a campaign's
seating when it starts."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import event

from lexdial.entrypoints.api.runner import CampaignRunner
from lexdial.service.campaigns import add_contacts, create_campaign
from lexdial.service.consent import ConsentEvidence, NewConsent, record_consent
from lexdial.service.contacts import NewContact, add_contact
from lexdial.service.users import OPERATOR

from .conftest import FIRM, NOW, Api
from .test_web_pages import CAMPAIGN, login


@pytest.fixture
def on_loop(api: Api) -> Iterator[list[str]]:
    """The SQL statements run on a thread with a running event loop, while the test runs."""
    found: list[str] = []

    def seen(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return  # a worker thread: fine
        found.append(statement)

    event.listen(api.store.db, "before_cursor_execute", seen)
    yield found
    event.remove(api.store.db, "before_cursor_execute", seen)


def test_a_bearer_request_reads_the_store_off_the_event_loop(api: Api, on_loop: list[str]) -> None:
    res = api.client.get("/v1/rules", headers=api.headers("manager"))
    assert res.status_code == 200, res.text
    bad = api.client.get("/v1/rules", headers={"Authorization": "Bearer ldk_nope"})
    assert bad.status_code == 401
    assert on_loop == []


def test_a_session_request_reads_the_store_off_the_event_loop(api: Api, on_loop: list[str]) -> None:
    login(api.client, "manager")
    res = api.client.get("/compliance")
    assert res.status_code == 200, res.text
    assert on_loop == []


def test_a_campaign_start_seats_and_dials_off_the_event_loop(api: Api, on_loop: list[str]) -> None:
    s, at = api.store, NOW - timedelta(days=30)
    number = "+16145550101"
    with s.unit_of_work() as uow:
        new = NewContact(
            numbers=((number, "wireless"),),
            name="Client 01",
            address={"country": "US", "state": "OH"},
            relationship="current_client",
            subscriber="consumer",
        )
        contact = add_contact(uow, s.cipher, s.firm_id, new, at, audit=s.audit, caller=OPERATOR)
        evidence = ConsentEvidence("signed letter", "You may call me.", "2026-06", "intake")
        consent = NewConsent(number, "express", ["reminder"], [FIRM], at, evidence)
        record_consent(uow, s.cipher, s.audit, s.firm_id, consent, OPERATOR, at)
        cid = create_campaign(uow, s.audit, s.firm_id, CAMPAIGN, OPERATOR, at)
        add_contacts(uow, s.audit, s.firm_id, cid, [contact], OPERATOR, at)
    on_loop.clear()
    api.client.app.state.runner = CampaignRunner(s, clock=lambda: NOW)  # type: ignore[attr-defined]
    res = api.client.post(f"/v1/campaigns/{cid}/start", headers=api.headers("manager"))
    assert res.status_code == 200, res.text
    assert res.json()["status"] == "running"
    assert on_loop == []
