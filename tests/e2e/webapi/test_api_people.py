"""The REST API for people: contacts, consents, opt-outs, evidence bundles, privacy rights."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest
from sqlalchemy import Table, func, select

from lexdial.adapters.db import tables as t
from lexdial.adapters.db.uow import SqlUnitOfWork
from lexdial.service.gate import CallPlan, gate

from .conftest import FIRM, NOW, Api

NUMBER = "+1 614 555 0101"
E164 = "+16145550101"
DISCLOSURE = "I agree that Hartwell & Ruiz LLP may call me with reminders about my case."
CONTACT: dict[str, Any] = {
    "numbers": [{"number": NUMBER, "line_type": "wireless"}],
    "name": "Dana Client",
    "address": {"country": "US", "state": "OH", "time_zone": "America/New_York"},
    "relationship": "current_client",
}
CONSENT: dict[str, Any] = {
    "number": NUMBER,
    "kind": "express",
    "scope": ["reminder"],
    "sellers": [FIRM],
    "given_at": "2026-06-01T12:00:00Z",
    "evidence": {
        "method": "web form",
        "disclosure_text": DISCLOSURE,
        "disclosure_version": "intake-v3",
        "captured_by": "intake:jdoe",
        "source_ip": "203.0.113.7",
    },
}


def _count(api: Api, table: Table) -> int:
    with api.store.db.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def _contact(api: Api, **over: Any) -> int:
    res = api.client.post("/v1/contacts", json={**CONTACT, **over}, headers=api.headers("agent"))
    assert res.status_code == 201, res.text
    return int(res.json()["contact"])


def _consent(api: Api, **over: Any) -> int:
    res = api.client.post("/v1/consents", json={**CONSENT, **over}, headers=api.headers("agent"))
    assert res.status_code == 201, res.text
    return int(res.json()["consent"])


def _gate(api: Api, contact_id: int) -> tuple[str, set[str]]:
    s = api.store
    with s.db.begin() as conn:
        result = gate(
            SqlUnitOfWork(conn),
            s.rules,
            s.cipher,
            s.audit,
            s.registry,
            firm_id=s.firm_id,
            contact_id=contact_id,
            at=NOW,
            plan=CallPlan("reminder", "prerecorded"),
        )
    return result.decision.verdict, set(result.decision.codes)


def test_a_contact_is_added_and_its_page_shows_name_numbers_and_utc_times(api: Api) -> None:
    cid = _contact(api)
    page = api.client.get(f"/v1/contacts/{cid}", headers=api.headers("compliance")).json()
    assert page["contact"] == cid and page["name"] == "Dana Client"
    assert page["numbers"] == [{"number": E164, "line_type": "wireless", "primary": True}]
    assert page["relationship"] == "current_client"
    assert page["created_at"] == "2026-12-02T15:00:00Z"
    assert page["consents"] == page["opt_outs"] == page["decisions"] == []


def test_a_contact_is_added_with_its_matter_ref_which_its_page_shows(api: Api) -> None:
    cid = _contact(api, matter_ref="2026-PI-0142")
    page = api.client.get(f"/v1/contacts/{cid}", headers=api.headers("agent")).json()
    assert page["matter_ref"] == "2026-PI-0142"
    with api.store.db.connect() as conn:
        stored = conn.execute(select(t.contacts.c.matter_ref_enc)).scalar_one()
    assert stored is not None and "0142" not in stored  # encrypted at rest
    bad = api.client.post(
        "/v1/contacts",
        json={**CONTACT, "numbers": [{"number": "+1 614 555 0177"}], "matter_ref": "A\nB"},
        headers=api.headers("agent"),
    )
    assert bad.status_code == 422 and "matter_ref" in bad.text


def test_an_agent_sees_the_number_masked_while_compliance_sees_it_in_full(api: Api) -> None:
    cid = _contact(api)
    _consent(api)
    agent = api.client.get(f"/v1/contacts/{cid}", headers=api.headers("agent"))
    assert agent.json()["numbers"][0]["number"] == "+1614•••••01"
    assert agent.json()["consents"][0]["number"] == "+1614•••••01"
    assert "5550101" not in agent.text and "203.0.113.7" not in agent.text
    full = api.client.get(f"/v1/contacts/{cid}", headers=api.headers("compliance")).json()
    assert full["numbers"][0]["number"] == E164
    assert full["consents"][0]["source_ip"] == "203.0.113.7"


def test_a_contact_is_found_by_number_and_an_unknown_number_finds_nothing(api: Api) -> None:
    cid = _contact(api)
    h = api.headers("agent")
    assert api.client.get(
        "/v1/contacts", params={"number": "(614) 555-0101"}, headers=h
    ).json() == [{"contact": cid}]
    assert (
        api.client.get("/v1/contacts", params={"number": "+1 614 555 0199"}, headers=h).json() == []
    )
    bad = api.client.get("/v1/contacts", params={"number": "555"}, headers=h)
    assert bad.status_code == 422 and bad.json()["error"]["field"] == "number"


@pytest.mark.parametrize(
    ("over", "field"),
    [
        pytest.param({"numbers": []}, "numbers", id="no-number"),
        pytest.param({"numbers": "+1 614 555 0101"}, "numbers", id="numbers-not-a-list"),
        pytest.param({"numbers": [{"number": "+1 614 555"}]}, "numbers[0]", id="not-dialable"),
        pytest.param(
            {"numbers": [{"number": NUMBER, "line_type": "pager"}]},
            "numbers[0].line_type",
            id="bad-line-type",
        ),
        pytest.param({"relationship": "friend"}, "relationship", id="bad-relationship"),
        pytest.param({"lawful_basis": {"sales": "consent"}}, "lawful_basis", id="bad-basis"),
        pytest.param({"nickname": "Dee"}, "nickname", id="unknown-field"),
    ],
)
def test_a_bad_contact_names_the_field_and_adds_nothing(
    api: Api, over: dict[str, Any], field: str
) -> None:
    res = api.client.post("/v1/contacts", json={**CONTACT, **over}, headers=api.headers("manager"))
    assert res.status_code == 422
    assert res.json()["error"]["field"] == field
    assert "555" not in res.json()["error"]["message"] and "Dana" not in res.text
    assert _count(api, t.contacts) == _count(api, t.contact_numbers) == 0


def test_a_number_already_on_file_is_refused_for_a_second_contact(api: Api) -> None:
    _contact(api)
    res = api.client.post("/v1/contacts", json=CONTACT, headers=api.headers("agent"))
    assert res.status_code == 422 and res.json()["error"]["field"] == "numbers[0]"
    assert _count(api, t.contacts) == 1


def test_a_consent_is_recorded_and_listed_with_its_evidence(api: Api) -> None:
    _contact(api)
    cid = _consent(api)
    rows = api.client.get(
        "/v1/consents", params={"number": NUMBER}, headers=api.headers("auditor")
    ).json()
    assert [r["id"] for r in rows] == [cid]
    assert rows[0]["disclosure_text"] == DISCLOSURE
    assert rows[0]["disclosure_sha256"] == hashlib.sha256(DISCLOSURE.encode()).hexdigest()
    assert rows[0]["given_at"] == "2026-06-01T12:00:00Z" and rows[0]["revoked_at"] is None
    assert rows[0]["source_ip"] == "203.0.113.7"
    agent = api.client.get("/v1/consents", params={"number": NUMBER}, headers=api.headers("agent"))
    assert "source_ip" not in agent.json()[0]


@pytest.mark.parametrize(
    ("over", "field"),
    [
        pytest.param({"kind": "oral"}, "kind", id="unknown-kind"),
        pytest.param({"scope": []}, "scope", id="no-scope"),
        pytest.param({"scope": ["sales"]}, "scope[0]", id="bad-purpose"),
        pytest.param({"sellers": []}, "sellers", id="no-seller"),
        pytest.param({"given_at": "2026-06-01T12:00:00"}, "given_at", id="naive-time"),
        pytest.param({"given_at": "last June"}, "given_at", id="not-a-time"),
        pytest.param(
            {"evidence": {**CONSENT["evidence"], "captured_by": " "}},
            "evidence.captured_by",
            id="blank-captured-by",
        ),
        pytest.param(
            {"evidence": {"method": "web form"}},
            "evidence.disclosure_text",
            id="missing-disclosure",
        ),
    ],
)
def test_a_bad_consent_names_the_field_and_records_nothing(
    api: Api, over: dict[str, Any], field: str
) -> None:
    _contact(api)
    audited = _count(api, t.audit_log)
    res = api.client.post("/v1/consents", json={**CONSENT, **over}, headers=api.headers("agent"))
    assert res.status_code == 422
    assert res.json()["error"]["field"] == field
    assert "555" not in res.text
    assert _count(api, t.consents) == 0
    assert _count(api, t.audit_log) == audited


def test_a_consent_for_an_unknown_contact_is_not_found_and_records_nothing(api: Api) -> None:
    _contact(api)
    audited = _count(api, t.audit_log)
    over = {"number": "+1 614 555 0199"}
    res = api.client.post("/v1/consents", json={**CONSENT, **over}, headers=api.headers("agent"))
    assert res.status_code == 404
    assert res.json()["error"]["field"] == "number"
    assert res.json()["error"]["code"] == "not_found"
    assert "555" not in res.text
    assert _count(api, t.consents) == 0
    assert _count(api, t.audit_log) == audited


def test_a_duplicate_consent_is_refused_naming_the_one_on_file(api: Api) -> None:
    _contact(api)
    first = _consent(api)
    res = api.client.post("/v1/consents", json=CONSENT, headers=api.headers("agent"))
    assert res.status_code == 422 and f"#{first}" in res.json()["error"]["message"]
    assert _count(api, t.consents) == 1


def test_a_consent_is_revoked_once_and_then_listed_as_revoked(api: Api) -> None:
    _contact(api)
    cid = _consent(api)
    h = api.headers("agent")
    future = api.client.post(
        f"/v1/consents/{cid}/revoke",
        headers=h,
        json={"channel": "sms", "revoked_at": "2027-01-01T00:00:00Z"},
    )
    assert future.status_code == 422 and future.json()["error"]["field"] == "revoked_at"
    bad = api.client.post(f"/v1/consents/{cid}/revoke", json={"channel": "pigeon"}, headers=h)
    assert bad.status_code == 422 and bad.json()["error"]["field"] == "channel"
    assert _count(api, t.revocations) == 0
    res = api.client.post(
        f"/v1/consents/{cid}/revoke",
        json={"channel": "sms", "revoked_at": "2026-12-01T09:00:00-05:00", "evidence": "STOP"},
        headers=h,
    )
    assert res.status_code == 201 and res.json()["consent"] == cid
    again = api.client.post(f"/v1/consents/{cid}/revoke", json={"channel": "sms"}, headers=h)
    assert again.status_code == 422 and again.json()["error"]["field"] == "consent_id"
    rows = api.client.get("/v1/consents", params={"number": NUMBER}, headers=h).json()
    assert rows[0]["revoked_at"] == "2026-12-01T14:00:00Z" and rows[0]["revoked_via"] == "sms"


def test_an_opt_out_makes_the_next_gate_decision_deny_and_shows_on_the_contact_page(
    api: Api,
) -> None:
    cid = _contact(api)
    _consent(api)
    assert _gate(api, cid) == ("allow", set())
    res = api.client.post(
        "/v1/optouts",
        json={"number": "614-555-0101", "channel": "api", "evidence": "caller asked us to stop"},
        headers=api.headers("agent"),
    )
    assert res.status_code == 201
    assert res.json()["consents_revoked"] == 1 and res.json()["contact_id"] == cid
    verdict, codes = _gate(api, cid)
    assert verdict == "deny" and "INTERNAL_DNC" in codes
    page = api.client.get(f"/v1/contacts/{cid}", headers=api.headers("agent")).json()
    assert [o["channel"] for o in page["opt_outs"]] == ["api"]
    assert page["consents"][0]["revoked_via"] == "api"
    assert [d["verdict"] for d in page["decisions"]] == ["allow", "deny"]
    internal = [r for r in page["decisions"][-1]["reasons"] if r["code"] == "INTERNAL_DNC"]
    assert internal and "do-not-call" in internal[0]["message"]


def test_a_bad_opt_out_names_the_field_and_writes_nothing(api: Api) -> None:
    _contact(api)
    h = api.headers("agent")
    for body, field in (
        ({"number": NUMBER, "channel": "pigeon"}, "channel"),
        ({"number": "12", "channel": "api"}, "number"),
        ({"channel": "api"}, "number"),
    ):
        res = api.client.post("/v1/optouts", json=body, headers=h)
        assert res.status_code == 422 and res.json()["error"]["field"] == field
    assert _count(api, t.dnc_entries) == 0


def test_the_evidence_bundle_holds_the_disclosure_hash_and_its_download_is_audited(
    api: Api,
) -> None:
    cid = _contact(api)
    consent_id = _consent(api)
    _gate(api, cid)
    res = api.client.get("/v1/evidence", params={"number": NUMBER}, headers=api.headers("auditor"))
    bundle = res.json()
    digest = hashlib.sha256(DISCLOSURE.encode()).hexdigest()
    assert bundle["consents"][0]["disclosure_sha256"] == digest
    recorded = [e for e in bundle["audit_entries"] if e["subject"] == f"consent:{consent_id}"]
    assert digest in recorded[0]["data"]  # the entry's data as stored: canonical JSON text
    assert len(bundle["decisions"]) == 1 and bundle["chain"]["intact"] is True
    with api.store.db.connect() as conn:
        last = conn.execute(select(t.audit_log).order_by(t.audit_log.c.seq.desc())).first()
    assert last is not None and (last.action, last.subject) == (
        "evidence.exported",
        f"contact:{cid}",
    )
    denied = api.client.get("/v1/evidence", params={"number": NUMBER}, headers=api.headers("agent"))
    assert denied.status_code == 403


def test_a_privacy_export_holds_everything_and_an_erasure_keeps_the_number_suppressed(
    api: Api,
) -> None:
    cid = _contact(api)
    _consent(api)
    h = api.headers("compliance")
    export = api.client.post("/v1/privacy/export", json={"number": NUMBER}, headers=h).json()
    assert export["contact"]["name"] == "Dana Client"
    assert export["numbers"][0]["number"] == E164 and len(export["consents"]) == 1
    csv = api.client.post("/v1/privacy/export", json={"number": NUMBER, "format": "csv"}, headers=h)
    assert csv.headers["content-type"].startswith("text/csv") and "Dana Client" in csv.text
    res = api.client.post("/v1/privacy/erase", json={"number": NUMBER}, headers=h)
    assert res.status_code == 200 and res.json() == {"contact": cid, "erased": True}
    page = api.client.get(f"/v1/contacts/{cid}", headers=h).json()
    assert page["name"] is None and page["numbers"] == [] and page["erased_at"]
    assert api.client.get("/v1/contacts", params={"number": NUMBER}, headers=h).json() == []
    again = api.client.post("/v1/contacts", json=CONTACT, headers=h)
    assert again.status_code == 422 and again.json()["error"]["field"] == "numbers[0]"


def test_privacy_requests_name_the_field_when_the_number_is_unknown(api: Api) -> None:
    h = api.headers("admin")
    for path in ("/v1/privacy/export", "/v1/privacy/erase"):
        res = api.client.post(path, json={"number": NUMBER}, headers=h)
        assert res.status_code == 404 and res.json()["error"]["field"] == "number"
    res = api.client.post("/v1/privacy/erase", json={"number": NUMBER, "format": "csv"}, headers=h)
    assert res.status_code == 422 and res.json()["error"]["field"] == "format"


def test_an_unknown_contact_id_is_named_in_the_error(api: Api) -> None:
    res = api.client.get("/v1/contacts/99", headers=api.headers("agent"))
    assert res.status_code == 404 and res.json()["error"]["field"] == "contact_id"
