"""PATCH /v1/contacts/{id} and DELETE /v1/campaigns/{id}/contacts/{contact_id}: the same
service as the command line, refusals in the API's error shape naming the field, another
firm's or a missing contact a 404, a call in progress a 409."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update

from lexdial.adapters.db import tables as t

from .conftest import Api
from .test_api_people import CONTACT, _contact

SPEC: dict[str, Any] = {
    "name": "Reminders",
    "purpose": "reminder",
    "mode": "broadcast",
    "caller_id": "+16145550199",
    "message": {
        "text": "Hello, this is Hartwell and Ruiz with a reminder. Please call us at "
        "614-555-0199. To stop these calls, press 9 now."
    },
}


def _patch(api: Api, contact_id: int, body: dict[str, Any], role: str = "agent") -> Any:
    return api.client.patch(f"/v1/contacts/{contact_id}", json=body, headers=api.headers(role))


def test_a_patch_corrects_the_fields_given_and_the_contact_page_shows_them(api: Api) -> None:
    cid = _contact(api)

    res = _patch(api, cid, {"address": {"state": "MD", "zip": "21201", "time_zone": None},
                            "matter_type": "debt", "line_type": "landline"})  # fmt: skip

    assert res.status_code == 200, res.text
    assert res.json() == {
        "contact": cid,
        "changed": ["address.state", "address.time_zone", "address.zip", "line_type[0]",
                    "matter_type"],
    }  # fmt: skip
    page = api.client.get(f"/v1/contacts/{cid}", headers=api.headers("admin")).json()
    assert page["matter_type"] == "debt" and page["numbers"][0]["line_type"] == "landline"
    assert page["relationship"] == CONTACT["relationship"]  # not given: unchanged


def test_a_wrong_patch_is_refused_naming_the_field_and_a_number_is_never_edited(
    api: Api,
) -> None:
    cid = _contact(api)
    for body, field in (
        ({"address": {"state": "ZZ"}}, "address.state"),
        ({"relationship": "friend"}, "relationship"),
        ({"number": "+16145550199"}, "number"),
        ({}, "changes"),
    ):
        res = _patch(api, cid, body)
        assert res.status_code == 422, res.text
        assert res.json()["error"]["field"] == field
    assert "own consents" in _patch(api, cid, {"number": "+16145550199"}).json()["error"]["message"]


def test_a_missing_contact_is_404_and_a_role_without_contact_writes_is_403(api: Api) -> None:
    cid = _contact(api)
    assert _patch(api, cid + 1, {"name": "Eli"}).status_code == 404
    assert _patch(api, cid, {"name": "Eli"}, role="auditor").status_code == 403


def test_a_delete_takes_a_pending_contact_off_and_refuses_a_call_in_progress(api: Api) -> None:
    first = _contact(api)
    second = _contact(api, numbers=[{"number": "+1 614 555 0102", "line_type": "wireless"}])
    admin = api.headers("admin")
    campaign = api.client.post("/v1/campaigns", json=SPEC, headers=admin).json()["campaign"]
    res = api.client.post(
        f"/v1/campaigns/{campaign}/contacts", json={"contacts": [first, second]}, headers=admin
    )
    assert res.status_code == 200, res.text
    q = t.campaign_contacts.c
    with api.store.db.begin() as conn:
        conn.execute(
            update(t.campaign_contacts).where(q.contact_id == second).values(status="dialing")
        )

    res = api.client.delete(f"/v1/campaigns/{campaign}/contacts/{first}", headers=admin)
    assert res.status_code == 200, res.text
    assert res.json() == {"campaign": campaign, "contact": first, "was": "pending",
                          "cancelled": True}  # fmt: skip
    busy = api.client.delete(f"/v1/campaigns/{campaign}/contacts/{second}", headers=admin)
    assert busy.status_code == 409 and "call in progress" in busy.json()["error"]["message"]
    missing = api.client.delete(f"/v1/campaigns/{campaign + 1}/contacts/{first}", headers=admin)
    assert missing.status_code == 404
    agent = api.client.delete(
        f"/v1/campaigns/{campaign}/contacts/{first}", headers=api.headers("agent")
    )
    assert agent.status_code == 403
    with api.store.db.connect() as conn:
        places = {r[0]: r[1] for r in conn.execute(select(q.contact_id, q.status))}
    assert places == {first: "cancelled", second: "dialing"}
