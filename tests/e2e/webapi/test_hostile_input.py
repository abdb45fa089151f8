"""Hostile input to the API is a 422 naming the field, never a 500: ids no table can hold,
documents nested thousands deep."""

from __future__ import annotations

import pytest

from .conftest import Api

HUGE = "99999999999999999999"


@pytest.mark.parametrize(
    ("method", "path", "field"),
    [
        ("GET", f"/v1/contacts/{HUGE}", "contact_id"),
        ("GET", f"/v1/contacts/-{HUGE}", "contact_id"),
        ("GET", f"/v1/campaigns/{HUGE}", "campaign_id"),
        ("POST", f"/v1/consents/{HUGE}/revoke", "consent_id"),
        ("GET", f"/v1/campaigns/{2**31}", "campaign_id"),
    ],
)
def test_an_id_no_table_can_hold_is_refused_naming_the_parameter(
    api: Api, method: str, path: str, field: str
) -> None:
    body = {"channel": "staff"} if method == "POST" else None
    res = api.client.request(method, path, json=body, headers=api.headers("admin"))
    assert res.status_code == 422, res.text
    assert res.json()["error"]["field"] == field


def test_the_largest_id_is_still_an_ordinary_not_found(api: Api) -> None:
    res = api.client.get(f"/v1/contacts/{2**31 - 1}", headers=api.headers("admin"))
    assert res.status_code == 404 and "no contact" in res.json()["error"]["message"]


def test_a_web_page_with_an_id_no_table_can_hold_is_not_a_500(api: Api) -> None:
    res = api.client.get(f"/contacts/{HUGE}", headers=api.headers("admin"))
    assert res.status_code == 422


@pytest.mark.parametrize("depth", [2_000, 100_000])
def test_a_decision_request_nested_thousands_deep_is_a_422(api: Api, depth: int) -> None:
    body = (
        '{"at": "2026-12-01T15:15:00Z", "number": "+16145550101", "purpose": "reminder", '
        '"technology": "manual", "x": ' + "[" * depth + "]" * depth + "}"
    )
    res = api.client.post("/v1/decisions", content=body, headers=api.headers("admin"))
    assert res.status_code == 422 and "nests" in res.json()["error"]["message"]


def test_a_contact_name_that_reorders_the_text_shown_is_a_422_naming_it(api: Api) -> None:
    from .test_api_people import CONTACT

    body = {**CONTACT, "name": "Dana \u202eCCL nosliW"}
    res = api.client.post("/v1/contacts", json=body, headers=api.headers("agent"))
    assert res.status_code == 422 and res.json()["error"]["field"] == "name"
    ok = api.client.post(
        "/v1/contacts", json={**CONTACT, "name": "Zoë 李"}, headers=api.headers("agent")
    )
    assert ok.status_code == 201
