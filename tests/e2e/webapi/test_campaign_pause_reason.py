"""A campaign the dialler paused for a failing carrier says why: on its page, in the API's
``GET /v1/campaigns/{id}``, until a person resumes it."""

from __future__ import annotations

from lexdial.service.campaigns import create_campaign, set_status
from lexdial.service.users import OPERATOR, SYSTEM

from .conftest import NOW, Api
from .test_web_pages import CAMPAIGN, login

WHY = (
    "carrier failing: 10 calls in a row failed at the carrier (503 Service Unavailable); "
    "the campaign was paused — check the trunk or the carrier account, then resume it"
)


def _paused_by_the_dialler(api: Api) -> int:
    s = api.store
    with s.unit_of_work() as uow:
        cid = create_campaign(uow, s.audit, s.firm_id, CAMPAIGN, OPERATOR, NOW)
        set_status(uow, s.audit, s.firm_id, cid, "start", OPERATOR, NOW)
        set_status(uow, s.audit, s.firm_id, cid, "pause", SYSTEM, NOW, reason=WHY)
    return cid


def test_the_api_gives_the_reason_the_dialler_paused_a_campaign(api: Api) -> None:
    cid = _paused_by_the_dialler(api)
    res = api.client.get(f"/v1/campaigns/{cid}", headers=api.headers("auditor"))
    assert res.status_code == 200, res.text
    assert (res.json()["status"], res.json()["status_reason"]) == ("paused", WHY)


def test_the_campaign_page_shows_why_the_dialler_paused_it(api: Api) -> None:
    cid = _paused_by_the_dialler(api)
    login(api.client, "manager")
    page = api.client.get(f"/campaigns/{cid}").text
    assert 'id="status-reason"' in page and "503 Service Unavailable" in page
    assert "calls in a row failed at the carrier" in page


def test_a_resume_clears_the_reason_from_the_page_and_the_api(api: Api) -> None:
    cid = _paused_by_the_dialler(api)
    s = api.store
    with s.unit_of_work() as uow:
        set_status(uow, s.audit, s.firm_id, cid, "resume", OPERATOR, NOW)
    res = api.client.get(f"/v1/campaigns/{cid}", headers=api.headers("manager"))
    assert (res.json()["status"], res.json()["status_reason"]) == ("running", None)
    login(api.client, "manager")
    assert 'id="status-reason"' not in api.client.get(f"/campaigns/{cid}").text
