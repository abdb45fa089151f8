"""An agent, who sees numbers masked, cannot recover the hidden digits by guessing through
the exact-number lookups: they are limited per user and every one is audited."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from lexdial.adapters.db import tables as t
from lexdial.entrypoints.api.number_lookups import LOOKUPS_AT_ONCE

from .conftest import Api

NUMBER = "+16145550101"
PATHS = ("/v1/contacts", "/v1/consents")


@pytest.fixture
def known(api: Api) -> int:
    body = {"numbers": [{"number": NUMBER}], "name": "Dana Client"}
    res = api.client.post("/v1/contacts", json=body, headers=api.headers("admin"))
    return int(res.json()["contact"])


def _guesses(n: int) -> list[str]:
    return [f"+1614555{i:04d}" for i in range(n)]


def _lookups(api: Api) -> list[tuple[str, str, dict[str, object]]]:
    a = t.audit_log.c
    with api.store.db.connect() as conn:
        rows = conn.execute(
            select(a.actor, a.subject, a.data).where(a.action == "contact.looked_up")
        ).all()
    return [(r[0], r[1], json.loads(r[2])) for r in rows]


@pytest.mark.parametrize("path", PATHS)
def test_an_agent_guessing_digits_is_stopped_after_a_few_lookups(
    api: Api, known: int, path: str
) -> None:
    codes = [
        api.client.get(path, params={"number": g}, headers=api.headers("agent")).status_code
        for g in _guesses(LOOKUPS_AT_ONCE + 5)
    ]
    assert 429 not in codes[:LOOKUPS_AT_ONCE]
    assert codes[LOOKUPS_AT_ONCE:] == [429] * 5
    last = api.client.get(path, params={"number": NUMBER}, headers=api.headers("agent"))
    assert last.status_code == 429 and last.headers["retry-after"] == "30"


def test_every_lookup_by_an_agent_is_audited_with_the_number_masked(api: Api, known: int) -> None:
    h = api.headers("agent")
    assert api.client.get("/v1/contacts", params={"number": NUMBER}, headers=h).json() == [
        {"contact": known}
    ]
    assert api.client.get("/v1/contacts", params={"number": "+16145550199"}, headers=h).json() == []
    miss = api.client.get("/v1/consents", params={"number": "+16145550198"}, headers=h)
    assert miss.status_code == 404  # no contact has this number
    entries = _lookups(api)
    assert [(e[1], e[2]["found"], e[2]["what"]) for e in entries] == [
        (f"contact:{known}", True, "contacts"),
        ("contact:none", False, "contacts"),
        ("contact:none", False, "consents"),
    ]
    assert all(e[0] == f"user:{api.users['agent']}" or "agent" in e[0] for e in entries)
    assert all("0101" not in json.dumps(e[2]) and "0199" not in json.dumps(e[2]) for e in entries)


@pytest.mark.parametrize("role", ["admin", "compliance", "manager", "auditor"])
def test_roles_that_see_whole_numbers_are_neither_limited_nor_audited_here(
    api: Api, known: int, role: str
) -> None:
    for g in _guesses(LOOKUPS_AT_ONCE + 5):
        res = api.client.get("/v1/contacts", params={"number": g}, headers=api.headers(role))
        assert res.status_code == 200
    assert _lookups(api) == []


def test_one_agents_guessing_does_not_limit_another_user(api: Api, known: int) -> None:
    for g in _guesses(LOOKUPS_AT_ONCE + 1):
        api.client.get("/v1/contacts", params={"number": g}, headers=api.headers("agent"))
    res = api.client.get("/v1/contacts", params={"number": NUMBER}, headers=api.headers("admin"))
    assert res.status_code == 200 and res.json() == [{"contact": known}]


def test_an_agent_reads_consent_evidence_as_the_dashboard_shows_it(api: Api, known: int) -> None:
    consent = {
        "number": NUMBER, "kind": "express", "scope": ["reminder"], "sellers": ["Firm"],
        "given_at": "2026-06-01T12:00:00Z",
        "evidence": {"method": "web form", "disclosure_text": "You agree.",
                     "disclosure_version": "v1", "captured_by": "web",
                     "source_ip": "203.0.113.7"},
    }  # fmt: skip
    assert api.client.post("/v1/consents", json=consent, headers=api.headers("admin")).is_success
    for path in ("/v1/consents", f"/v1/contacts/{known}"):
        params = {"number": NUMBER} if path == "/v1/consents" else None
        agent = api.client.get(path, params=params, headers=api.headers("agent")).json()
        full = api.client.get(path, params=params, headers=api.headers("compliance")).json()
        seen = agent if isinstance(agent, list) else agent["consents"]
        whole = full if isinstance(full, list) else full["consents"]
        assert "source_ip" not in seen[0] and whole[0]["source_ip"] == "203.0.113.7"


def test_writes_that_answer_whether_a_number_is_on_file_share_the_agents_lookup_limit(
    api: Api, known: int
) -> None:
    # "no contact has this number" (a consent) or "already on file" (a contact) answers a
    # guess as well as a lookup does: an agent's writes by number spend the same bucket
    h = api.headers("agent")
    consent = {
        "kind": "express", "scope": ["reminder"], "sellers": ["Hartwell & Ruiz LLP"],
        "given_at": "2026-06-01T12:00:00Z",
        "evidence": {"method": "letter", "disclosure_text": "We may call you.",
                     "disclosure_version": "v1", "captured_by": "intake:jdoe"},
    }  # fmt: skip
    codes = [
        api.client.post("/v1/consents", json={**consent, "number": g}, headers=h).status_code
        for g in _guesses(LOOKUPS_AT_ONCE)
    ]
    assert codes == [404] * LOOKUPS_AT_ONCE  # no contact has these numbers (not found)
    contact = {"numbers": [{"number": NUMBER}], "name": "Guess"}
    assert api.client.post("/v1/contacts", json=contact, headers=h).status_code == 429
    admin = api.client.post("/v1/contacts", json=contact, headers=api.headers("admin"))
    assert admin.status_code == 422  # a role that sees whole numbers is not limited
