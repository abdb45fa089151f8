"""The REST API for administration: users, training, API tokens, audit chain, registries."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Table, func, select, update

from lexdial.adapters.db import tables as t
from lexdial.adapters.registry.loader import load_full

from .conftest import NOW, Api

NEW_USER = {"email": "Ana@Firm.test", "name": "Ana Diaz", "role": "agent"}


def _count(api: Api, table: Table) -> int:
    with api.store.db.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def _users(api: Api) -> dict[str, dict[str, Any]]:
    res = api.client.get("/v1/users", headers=api.headers("auditor"))
    assert res.status_code == 200
    return {u["email"]: u for u in res.json()}


def test_users_are_listed_with_role_activity_training_and_tokens(api: Api) -> None:
    users = _users(api)
    assert set(users) == {f"{role}@firm.test" for role in api.users}
    agent = users["agent@firm.test"]
    assert agent["role"] == "agent" and agent["active"] is True and agent["name"] == "Agent User"
    assert agent["training"] == {"current": True, "expires_on": "2027-12-02"}
    assert users["admin@firm.test"]["training"] == {"current": False, "expires_on": None}
    token = agent["tokens"][0]
    assert token["name"] == "tests" and token["revoked_at"] is None
    assert api.tokens["agent"].startswith(token["prefix"])
    assert "token_hash" not in token and api.tokens["agent"] not in str(users)


def test_an_admin_adds_a_user_who_then_appears_in_the_list(api: Api) -> None:
    res = api.client.post("/v1/users", json=NEW_USER, headers=api.headers("admin"))
    assert res.status_code == 201 and res.json()["role"] == "agent"
    ana = _users(api)["ana@firm.test"]
    assert ana["id"] == res.json()["user"] and ana["training"]["current"] is False


@pytest.mark.parametrize(
    ("over", "field"),
    [
        pytest.param({"role": "boss"}, "role", id="unknown-role"),
        pytest.param({"email": "ana"}, "email", id="not-an-email"),
        pytest.param({"email": "agent@firm.test"}, "email", id="e-mail-taken"),
        pytest.param({"name": ""}, "name", id="no-name"),
        pytest.param({"name": "Ana \u202eCCL"}, "name", id="bidi-override-in-name"),
        pytest.param({"name": "Ana\nDiaz"}, "name", id="line-break-in-name"),
        pytest.param({"password": "x"}, "password", id="unknown-field"),
    ],
)
def test_a_bad_user_names_the_field_and_adds_nobody(
    api: Api, over: dict[str, Any], field: str
) -> None:
    before = _count(api, t.users)
    res = api.client.post("/v1/users", json={**NEW_USER, **over}, headers=api.headers("admin"))
    assert res.status_code == 422 and res.json()["error"]["field"] == field
    assert _count(api, t.users) == before


def test_a_training_attestation_makes_a_new_agent_current(api: Api) -> None:
    h = api.headers("admin")
    uid = api.client.post("/v1/users", json=NEW_USER, headers=h).json()["user"]
    before = _count(api, t.training_attestations)
    for body, field in (
        ({"course": "TCPA", "on": "2026-11-20", "valid_days": 0}, "valid_days"),
        ({"course": "TCPA", "on": "20 Nov"}, "on"),
        ({"course": " ", "on": "2026-11-20"}, "course"),
    ):
        bad = api.client.post(f"/v1/users/{uid}/attestations", json=body, headers=h)
        assert bad.status_code == 422 and bad.json()["error"]["field"] == field
    unknown = api.client.post(
        "/v1/users/99/attestations", headers=h, json={"course": "TCPA", "on": "2026-11-20"}
    )
    assert unknown.status_code == 404 and unknown.json()["error"]["field"] == "user_id"
    assert _count(api, t.training_attestations) == before
    res = api.client.post(
        f"/v1/users/{uid}/attestations",
        headers=h,
        json={"course": "TCPA/DNC 2026", "on": "2026-11-20", "valid_days": 30},
    )
    assert res.status_code == 201 and res.json()["expires_on"] == "2026-12-20"
    assert _users(api)["ana@firm.test"]["training"] == {"current": True, "expires_on": "2026-12-20"}


def test_a_token_issued_via_the_api_works_for_me_and_stops_working_after_delete(
    api: Api,
) -> None:
    h = api.headers("admin")
    res = api.client.post(
        f"/v1/users/{api.users['manager']}/tokens", json={"name": "laptop"}, headers=h
    )
    assert res.status_code == 201 and res.headers["cache-control"] == "no-store"
    token, token_id = res.json()["token"], res.json()["token_id"]
    with api.store.db.connect() as conn:
        stored = " ".join(str(v) for row in conn.execute(select(t.api_tokens)) for v in row)
        audit = " ".join(conn.execute(select(t.audit_log.c.data)).scalars())
    assert token not in stored and token not in audit
    mine = {"Authorization": f"Bearer {token}"}
    assert api.client.get("/v1/me", headers=mine).json()["role"] == "manager"
    gone = api.client.delete(f"/v1/tokens/{token_id}", headers=h)
    assert gone.status_code == 200 and gone.json()["revoked_at"] == "2026-12-02T15:00:00Z"
    assert api.client.get("/v1/me", headers=mine).status_code == 401
    api.client.app.state.clock = lambda: NOW + timedelta(hours=1)  # type: ignore[attr-defined]
    again = api.client.delete(f"/v1/tokens/{token_id}", headers=h)
    assert again.json() == gone.json()  # revoking again changes nothing: the first time stands
    assert api.client.get("/v1/me", headers=api.headers("manager")).status_code == 200


def test_a_bad_token_request_names_the_field_and_issues_nothing(api: Api) -> None:
    h = api.headers("admin")
    before = _count(api, t.api_tokens)
    for path, body, field in (
        (f"/v1/users/{api.users['agent']}/tokens", {"name": " "}, "name"),
        (f"/v1/users/{api.users['agent']}/tokens", {}, "name"),
        ("/v1/users/99/tokens", {"name": "x"}, "user_id"),
    ):
        res = api.client.post(path, json=body, headers=h)
        assert res.status_code == (404 if field == "user_id" else 422)
        assert res.json()["error"]["field"] == field
    assert _count(api, t.api_tokens) == before
    res = api.client.delete("/v1/tokens/99", headers=h)
    assert res.status_code == 404 and res.json()["error"]["field"] == "token_id"


def test_audit_verify_says_ok_then_names_the_first_bad_seq_after_a_row_is_tampered(
    api: Api,
) -> None:
    h = api.headers("auditor")
    ok = api.client.get("/v1/audit/verify", headers=h).json()
    entries = _count(api, t.audit_log)
    assert ok["ok"] is True and ok["count"] == entries and ok["bad_seq"] is None
    assert ok["head"]["seq"] == entries and len(ok["head"]["hash"]) == 64
    anchor = f"{ok['head']['seq']}:{ok['head']['hash']}"
    assert api.client.get("/v1/audit/verify", params={"anchor": anchor}, headers=h).json()["ok"]
    bad = api.client.get("/v1/audit/verify", params={"anchor": "head"}, headers=h)
    assert bad.status_code == 422 and bad.json()["error"]["field"] == "anchor"
    with api.store.db.begin() as conn:
        conn.execute(update(t.audit_log).where(t.audit_log.c.seq == 3).values(actor="intruder"))
    broken = api.client.get("/v1/audit/verify", headers=h).json()
    assert broken["ok"] is False and broken["bad_seq"] == 3 and broken["problem"] == "edited"
    assert broken["count"] == 2 and broken["head"]["seq"] == 2


def _load(api: Api, tmp_path: Path, name: str, lines: list[str], age_days: int) -> None:
    source = tmp_path / f"{name}.txt"
    source.write_text("\n".join(lines) + "\n")
    load_full(
        api.store.data_dir / "registry",
        name,
        [source],
        snapshot_on=NOW.date() - timedelta(days=age_days),
        loaded_at=NOW,
    )


def test_the_registry_lists_each_loaded_list_with_its_age_and_stale_flag(
    api: Api, tmp_path: Path
) -> None:
    h = api.headers("agent")
    assert api.client.get("/v1/registry", headers=h).json() == {"today": "2026-12-02", "lists": []}
    _load(api, tmp_path, "us-national", ["6145550101", "6145550102"], 31)
    _load(api, tmp_path, "us-state-TX", ["2145550101"], 32)
    _load(api, tmp_path, "uk-tps", ["02079460000"], 29)
    lists = {r["list"]: r for r in api.client.get("/v1/registry", headers=h).json()["lists"]}
    assert lists["us-national"]["count"] == 2
    assert lists["us-national"]["snapshot_on"] == "2026-11-01"
    assert (lists["us-national"]["age_days"], lists["us-national"]["stale"]) == (31, False)
    assert (lists["us-state-TX"]["max_age_days"], lists["us-state-TX"]["stale"]) == (31, True)
    assert (lists["uk-tps"]["max_age_days"], lists["uk-tps"]["stale"]) == (28, True)


def test_the_suppression_list_shows_entries_by_contact_never_by_number(api: Api) -> None:
    h = api.headers("compliance")
    made = api.client.post(
        "/v1/contacts", json={"numbers": [{"number": "+16145550188"}]}, headers=h
    )
    assert made.status_code == 201
    api.client.post("/v1/optouts", json={"number": "+16145550188", "channel": "staff"}, headers=h)
    rows = api.client.get("/v1/suppression", headers=h).json()
    assert rows[0]["channel"] == "staff" and rows[0]["contact"] == made.json()["contact"]
    assert "5550188" not in str(rows)


def test_the_rules_diff_against_the_bundled_pack_is_empty_without_a_firm_pack(api: Api) -> None:
    body = api.client.get("/v1/rules/diff", headers=api.headers("auditor")).json()
    assert body["old_version"] == body["new_version"] == api.store.rules.pack.version
    assert (body["added"], body["removed"], body["changed"]) == ([], [], [])


def test_audit_verify_names_a_changed_record_to_its_firm_and_only_counts_it_for_another(
    api: Api,
) -> None:
    from .test_api_people import NUMBER, _contact
    from .test_attacker_sweep import _firm2_admin

    _contact(api)
    optout = {"number": NUMBER, "channel": "api"}
    assert api.client.post("/v1/optouts", json=optout, headers=api.headers("agent")).is_success
    h = api.headers("auditor")
    check = api.headers("compliance")
    assert api.client.post("/v1/audit/records-check", headers=check).status_code == 202
    assert api.client.get("/v1/audit/verify", headers=h).json()["records"]["ok"] is True
    with api.store.db.begin() as conn:  # the chain is untouched: only the row says otherwise
        conn.execute(update(t.dnc_entries).values(channel="web_form"))
    assert api.client.post("/v1/audit/records-check", headers=check).status_code == 202
    mine = api.client.get("/v1/audit/verify", headers=h).json()
    assert mine["ok"] is False and mine["bad_seq"] is None
    (problem,) = mine["records"]["problems"]
    assert (problem["table"], problem["field"], problem["firm_id"]) == ("dnc_entries", "channel", 1)
    assert problem["audit_seq"] and NUMBER not in str(mine)
    h2, _ = _firm2_admin(api)
    # each firm keeps its own last check: the other firm's admin runs one for theirs
    assert api.client.get("/v1/audit/verify", headers=h2).json()["records"]["ok"] is None
    assert api.client.post("/v1/audit/records-check", headers=h2).status_code == 202
    theirs = api.client.get("/v1/audit/verify", headers=h2).json()
    assert theirs["ok"] is False and theirs["records"]["problems"] == []
    assert theirs["records"]["other_firms_problems"] == 1


HEX = "a" * 64


@pytest.mark.parametrize(
    ("path", "params", "field"),
    [
        pytest.param("/v1/audit/verify", {"anchor": "0:x"}, "anchor", id="anchor-0:x"),
        pytest.param("/v1/audit/verify", {"anchor": f"0:{HEX}"}, "anchor", id="seq-0-not-genesis"),
        pytest.param("/v1/audit/verify", {"anchor": f"\u2460:{HEX}"}, "anchor", id="unicode-seq"),
        pytest.param("/v1/audit/verify", {"anchor": f"{2**31}:{HEX}"}, "anchor", id="huge-seq"),
        pytest.param("/v1/audit/verify", {"anchor": "\x00"}, "anchor", id="nul"),
        pytest.param("/v1/audit/verify", {"anchor": "9" * 5000}, "anchor", id="long"),
        pytest.param("/v1/evidence", {"number": "\x00"}, "number", id="evidence-nul"),
        pytest.param("/v1/evidence", {}, "number", id="evidence-no-number"),
        pytest.param("/v1/evidence", {"number": "1" * 5000}, "number", id="evidence-long"),
        pytest.param("/v1/evidence.pdf", {"number": "x"}, "number", id="pdf-short"),
        # bytes that are not UTF-8 (a lone surrogate's encoding), sent as they are
        pytest.param("/v1/evidence.pdf?number=%ED%A0%80x%00", {}, "number", id="pdf-not-utf8"),
        pytest.param("/v1/audit/verify?anchor=%ED%A0%80", {}, "anchor", id="anchor-not-utf8"),
    ],
)
def test_a_malformed_query_value_on_an_audit_route_is_a_422_naming_it(
    api: Api, path: str, params: dict[str, str], field: str
) -> None:
    res = api.client.get(path, params=params or None, headers=api.headers("auditor"))
    assert res.status_code == 422, res.text
    error = res.json()["error"]
    assert error["field"] == field and "int()" not in error["message"]
    assert "Traceback" not in res.text
