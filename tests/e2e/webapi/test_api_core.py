"""The REST API's core: health, who-am-I, decisions over HTTP, rules, campaigns; and the
route audit — every route but the open ones refuses an anonymous and a wrong-role caller."""

from __future__ import annotations

import importlib

import pytest
from fastapi.routing import APIRoute

from lexdial.entrypoints.api.app import OPEN_PATHS, ROUTERS, SELF_AUTHENTICATED
from lexdial.entrypoints.api.deps import Require
from lexdial.service.users import ALLOWED, ROLES

from .conftest import Api

REQUEST = {
    "at": "2026-12-01T15:15:00Z",
    "number": "+1 614 555 0101",
    "purpose": "reminder",
    "technology": "prerecorded",
    "line_type": "wireless",
}


def _action(route: APIRoute) -> str | None:
    for dep in route.dependant.dependencies:
        if isinstance(dep.call, Require):
            return dep.call.action
    return None


def _routes(api: Api) -> list[APIRoute]:
    """Every route of every router module, checked against the published OpenAPI paths."""
    routes = [
        r
        for name in ROUTERS
        for r in importlib.import_module(f"lexdial.entrypoints.api.{name}").router.routes
        if isinstance(r, APIRoute)
    ]
    published = {
        (path, method.upper())
        for path, ops in api.client.get("/openapi.json").json()["paths"].items()
        for method in ops
    }
    ours = {(r.path, m) for r in routes for m in r.methods}
    assert published <= ours, published - ours  # nothing served that the audit cannot see
    return routes


def test_health_is_open_and_everything_else_needs_a_caller(api: Api) -> None:
    assert api.client.get("/health").json() == {"status": "ok"}
    assert api.client.get("/v1/me").status_code == 401


def test_every_route_names_its_action_or_is_listed_as_open(api: Api) -> None:
    for route in _routes(api):
        if route.path in OPEN_PATHS or route.path.startswith(SELF_AUTHENTICATED):
            continue
        if route.path in ("/docs", "/openapi.json", "/redoc"):
            continue
        assert _action(route) is not None, f"{route.path} has no role check"


def _call(api: Api, route: APIRoute, headers: dict[str, str]) -> int:
    path = route.path
    for name in route.param_convertors:
        path = path.replace("{" + name + "}", "1" if name.endswith("id") else "start")
    method = sorted(route.methods)[0]
    return api.client.request(method, path, headers=headers, json={}).status_code


def test_every_route_refuses_an_anonymous_and_a_wrong_role_caller(api: Api) -> None:
    checked = 0
    for route in _routes(api):
        action = _action(route)
        if action is None:
            continue
        assert _call(api, route, {}) == 401, route.path
        allowed = ALLOWED.get(action, frozenset({"admin"}))
        wrong = [r for r in ROLES if r not in allowed]
        if wrong:
            assert _call(api, route, api.headers(wrong[0])) == 403, (route.path, wrong[0])
        else:  # every role may read it: a revoked or unknown token still may not
            bad = {"Authorization": "Bearer ldk_not-a-token"}
            assert _call(api, route, bad) == 401, route.path
        checked += 1
    assert checked >= 10


def test_a_decision_over_http_is_the_contract_v1_decision(api: Api) -> None:
    res = api.client.post("/v1/decisions", json=REQUEST, headers=api.headers("agent"))
    assert res.status_code == 200
    body = res.json()
    assert body["verdict"] == "deny" and "NO_CONSENT" in {r["code"] for r in body["reasons"]}
    assert body["rulepack"]


def test_a_bad_decision_request_names_the_field_and_does_not_echo_the_number(api: Api) -> None:
    res = api.client.post(
        "/v1/decisions", json={**REQUEST, "purpose": "spam"}, headers=api.headers("agent")
    )
    assert res.status_code == 422
    assert res.json()["error"]["field"] == "purpose"
    assert "555" not in res.text


@pytest.mark.parametrize("role", ["admin", "auditor", "agent"])
def test_me_tells_the_caller_their_role(api: Api, role: str) -> None:
    assert api.client.get("/v1/me", headers=api.headers(role)).json()["role"] == role


def test_the_rule_pack_is_listed_with_citations(api: Api) -> None:
    body = api.client.get("/v1/rules?jurisdiction=US-FL", headers=api.headers("auditor")).json()
    assert body["rules"] and all(r["citation"] for r in body["rules"])


def test_a_campaign_is_created_linted_and_refused_to_start_with_its_problems(api: Api) -> None:
    h = api.headers("manager")
    spec = {"name": "R", "purpose": "reminder", "mode": "broadcast", "caller_id": "+16145550199",
            "message": {"text": "Your appointment is on Friday."}}  # fmt: skip
    res = api.client.post("/v1/campaigns", json=spec, headers=h)
    assert res.status_code == 201
    cid = res.json()["campaign"]
    lint = api.client.get(f"/v1/campaigns/{cid}/lint", headers=h).json()["problems"]
    assert any("contacts" in p for p in lint)
    res = api.client.post(f"/v1/campaigns/{cid}/start", headers=h)
    assert res.status_code == 409 and res.json()["error"]["problems"] == lint
    assert api.client.get(f"/v1/campaigns/{cid}", headers=h).json()["status"] == "draft"
    bad = api.client.post("/v1/campaigns", json={**spec, "mode": "x"}, headers=h)
    assert bad.status_code == 422 and bad.json()["error"]["field"] == "mode"


def test_a_body_that_is_not_json_is_a_clear_422(api: Api) -> None:
    res = api.client.post(
        "/v1/decisions", content=b"{not json", headers={**api.headers("agent"),
                                                        "content-type": "application/json"},
    )  # fmt: skip
    assert res.status_code == 422 and "not JSON" in res.json()["error"]["message"]
