"""The agent desk over HTTP on a real store: an agent logs in to a live-agent campaign,
takes a call the dialler hands over (the dialler's writes are made here as it makes them:
a recorded gate decision, then ``desk_line``), sees the screen pop, records a disposition
before going ready, schedules a callback the gate checks, and a verbal opt-out stops every
later call at once. The refusals name their field; another firm's agent touches nothing.
One run of the opt-out/disposition path is on PostgreSQL."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from lexdial.adapters.db import tables as t
from lexdial.adapters.db.uow import SqlUnitOfWork
from lexdial.bootstrap import Store, init_store
from lexdial.config import Settings
from lexdial.config.desk import DeskSettings
from lexdial.entrypoints.api.app import create_app
from lexdial.rules.context import Policy
from lexdial.service import desk_line
from lexdial.service.auth import issue_token
from lexdial.service.firms import add_firm
from lexdial.service.gate import CallPlan, gate
from lexdial.service.users import OPERATOR, add_user, attest_training

from .conftest import BASE_URL, FIRM, NOW, Api
from .test_api_people import CONSENT, CONTACT, E164
from .test_web_uploads_shared import pg_url  # noqa: F401 (a fixture)

CAMPAIGN = {
    "name": "Case updates",
    "purpose": "reminder",
    "mode": "preview",
    "caller_id": "+16145550199",
    "message": {"text": "Hello, this is Hartwell & Ruiz LLP calling about your case."},
}


class Desk:
    """Firm 1's contact, consent and running preview campaign, and the agent's calls."""

    def __init__(self, client: TestClient, store: Store, tokens: dict[str, str]) -> None:
        self.client, self.store, self.tokens = client, store, tokens
        admin = self.h("admin")
        post = client.post
        self.contact = post("/v1/contacts", json=CONTACT, headers=admin).json()["contact"]
        assert post("/v1/consents", json=CONSENT, headers=admin).status_code == 201
        self.campaign = post("/v1/campaigns", json=CAMPAIGN, headers=admin).json()["campaign"]
        post(f"/v1/campaigns/{self.campaign}/contacts", json={"contacts": [self.contact]},
             headers=admin).raise_for_status()  # fmt: skip
        with store.db.begin() as conn:  # running, as the start route leaves it
            conn.execute(t.campaigns.update().values(status="running"))

    def h(self, role: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[role]}"}

    def post(self, path: str, role: str = "agent", **body: Any) -> Any:
        return self.client.post(path, json=body, headers=self.h(role))

    def ok(self, path: str, role: str = "agent", **body: Any) -> dict[str, Any]:
        res = self.post(path, role, **body)
        assert res.status_code < 300, (path, res.status_code, res.text)
        out: dict[str, Any] = res.json()
        return out

    def refused(self, path: str, status: int, field: str, role: str = "agent", **body: Any) -> str:
        res = self.post(path, role, **body)
        assert res.status_code == status, (path, res.status_code, res.text)
        error = res.json()["error"]
        assert error.get("field") == field, error
        return str(error["message"])

    def gate(self, at: datetime = NOW, campaign: int | None = None) -> str:
        s = self.store
        with s.db.begin() as conn:
            return gate(SqlUnitOfWork(conn), s.rules, s.cipher, s.audit, s.registry,
                        firm_id=s.firm_id, contact_id=self.contact, at=at,
                        campaign_id=campaign,
                        plan=None if campaign else CallPlan("reminder", "manual"),
                        ).decision.verdict  # fmt: skip

    def hand_call(self, agent_id: int) -> int:
        """What the dialler does: gate the call (recorded), dial, hand it to the agent."""
        s = self.store
        with s.db.begin() as conn:
            uow = SqlUnitOfWork(conn)
            result = gate(uow, s.rules, s.cipher, s.audit, s.registry, firm_id=s.firm_id,
                          contact_id=self.contact, at=NOW, campaign_id=self.campaign)  # fmt: skip
            assert result.decision.verdict == "allow", result.decision.reasons
            desk_line.leg_changed(uow, s.firm_id, agent_id, True)
            desk_line.call_assigned(uow, s.audit, s.firm_id, agent_id, result.attempt_id, NOW)
        return result.attempt_id

    def end_call(self, agent_id: int, attempt: int) -> None:
        with self.store.db.begin() as conn:
            desk_line.call_ended(SqlUnitOfWork(conn), self.store.firm_id, agent_id, attempt, NOW)


@pytest.fixture
def desk(api: Api) -> Desk:
    return Desk(api.client, api.store, api.tokens)


def test_an_agent_takes_a_call_dispositions_it_and_schedules_a_lawful_callback(
    api: Api, desk: Desk
) -> None:
    seat = desk.ok("/v1/desk/login", campaign_id=desk.campaign)
    assert (seat["state"], seat["reason"]) == ("paused", "logging in")
    assert desk.ok("/v1/desk/ready")["state"] == "ready"
    attempt = desk.hand_call(api.users["agent"])

    pop = api.client.get("/v1/desk/screen", headers=desk.h("agent")).json()
    assert (pop["kind"], pop["attempt_id"], pop["state"]) == ("call", attempt, "on_call")
    assert pop["contact"]["name"] == "Dana Client" and E164 not in json.dumps(pop)
    assert pop["decision"]["verdict"] == "allow" and pop["decision"]["recorded"] is True
    assert [c["kind"] for c in pop["consents"]] == ["express"]
    assert pop["script"] == CAMPAIGN["message"]["text"]  # type: ignore[index]
    assert {d["code"] for d in pop["disclosures"]} == {"identity", "purpose"}

    assert desk.ok("/v1/desk/hangup")["line_request"] == "hangup"
    desk.end_call(api.users["agent"], attempt)
    desk.refused("/v1/desk/ready", 422, "disposition")
    d = desk.ok("/v1/desk/disposition", code="callback_requested", notes="Call after 3pm")
    assert (d["attempt_id"], d["code"], d["notes"]) == (attempt, "callback_requested", True)
    desk.refused("/v1/desk/disposition", 422, "code", code="reached")

    message = desk.refused("/v1/desk/callback", 422, "when", when="2026-12-03T07:00:00+00:00")
    assert "earliest lawful time is 2026-12-03T08:00:00-05:00" in message  # 08:00 in Ohio
    cb = desk.ok("/v1/desk/callback", when="2026-12-03T20:00:00+00:00")
    assert cb["when"].startswith("2026-12-03T20:00:00")
    with api.store.db.connect() as conn:
        q = t.campaign_contacts.c
        row = conn.execute(select(q.status, q.next_at)).one()
        notes = conn.execute(select(t.call_dispositions.c.notes_enc)).scalar_one()
        attempts = conn.execute(select(t.call_attempts.c.id)).scalars().all()
    assert row[0] == "retry" and row[1].replace(tzinfo=UTC) == datetime(2026, 12, 3, 20, 0,
                                                                        tzinfo=UTC)  # fmt: skip
    assert "3pm" not in notes and attempts == [attempt]  # the check recorded no attempt
    assert desk.ok("/v1/desk/ready")["state"] == "ready"
    assert desk.ok("/v1/desk/logout")["state"] == "logged_out"


def test_the_refusals_name_their_field(api: Api, desk: Desk) -> None:
    desk.refused("/v1/desk/ready", 422, "state")
    desk.refused("/v1/desk/login", 404, "campaign_id", campaign_id=999)
    desk.refused("/v1/desk/login", 404, "endpoint_id", campaign_id=desk.campaign, endpoint_id=77)
    desk.ok("/v1/desk/login", campaign_id=desk.campaign)
    desk.refused("/v1/desk/pause", 422, "reason", reason="bored")
    desk.refused("/v1/desk/hangup", 422, "state")
    desk.refused("/v1/desk/opt-out", 422, "state")
    desk.refused("/v1/desk/call", 422, "state", contact_id=desk.contact)  # no line yet
    attempt = desk.hand_call(api.users["agent"])
    desk.refused("/v1/desk/logout", 422, "state")
    desk.refused("/v1/desk/transfer", 422, "target", target="user:9999")
    desk.refused("/v1/desk/transfer", 422, "target", target="not a number")
    desk.refused("/v1/desk/disposition", 422, "state", code="reached")  # hang up first
    desk.refused("/v1/desk/callback", 422, "disposition", when="2026-12-03T20:00:00Z")
    desk.end_call(api.users["agent"], attempt)
    desk.refused("/v1/desk/disposition", 422, "code", code="no_such_code")
    # an auditor may not sit at the desk; an agent may not edit the disposition list
    assert desk.post("/v1/desk/login", "auditor", campaign_id=desk.campaign).status_code == 403
    assert desk.post("/v1/dispositions", code="x_y", label="X").status_code == 403
    res = api.client.get("/v1/desk/screen", headers=desk.h("agent"))
    assert res.json()["disposition_due"] is True


def test_a_call_is_transferred_only_to_a_line_the_firm_lists_and_not_a_contacts(
    api: Api, desk: Desk
) -> None:
    line = "+16145550100"  # reception; the contact's own number listed by mistake
    desk.store.settings = replace(
        desk.store.settings, desk=DeskSettings(transfer_numbers=(line, E164))
    )
    desk.ok("/v1/desk/login", campaign_id=desk.campaign)
    desk.hand_call(api.users["agent"])
    why = desk.refused("/v1/desk/transfer", 422, "target", target="+1 614 555 0177")
    assert "[desk] transfer_numbers" in why
    assert "person's number" in desk.refused("/v1/desk/transfer", 422, "target", target=E164)
    seat = desk.ok("/v1/desk/transfer", target="+1 (614) 555-0100", warm=False)
    assert seat["line_request"] == f"transfer:cold:{line}"
    with api.store.db.connect() as conn:
        audited = conn.execute(
            select(t.audit_log.c.data).where(t.audit_log.c.action == "desk.transfer_requested")
        ).scalars().all()  # fmt: skip
    assert len(audited) == 1 and json.loads(audited[0])["target"] == line


def test_a_verbal_opt_out_stops_every_later_call_and_no_disposition_undoes_it(
    api: Api, desk: Desk
) -> None:
    _verbal_opt_out_path(desk, api.users["agent"])


def _verbal_opt_out_path(desk: Desk, agent_id: int) -> None:
    desk.ok("/v1/desk/login", campaign_id=desk.campaign)
    desk.ok("/v1/desk/ready")
    desk.hand_call(agent_id)
    done = desk.ok("/v1/desk/opt-out", notes="said never call again")
    assert done["contact"] == desk.contact and done["consents_revoked"] == 1
    again = desk.ok("/v1/desk/opt-out")
    assert again["dnc_entry_id"] == done["dnc_entry_id"]
    desk.refused("/v1/desk/disposition", 422, "code", code="callback_requested")
    desk.refused("/v1/desk/callback", 422, "when", when="2026-12-03T20:00:00Z")
    # from this campaign, another campaign, a manual call: now and for a month, no allow
    other = desk.ok("/v1/campaigns", "admin", **{**CAMPAIGN, "name": "Another"})["campaign"]
    verdicts = {desk.gate(NOW + timedelta(days=d), c) for d in (0, 1, 30)
                for c in (desk.campaign, other, None)}  # fmt: skip
    assert verdicts == {"deny"}
    with desk.store.db.connect() as conn:
        (code,) = conn.execute(select(t.call_dispositions.c.code)).scalars().all()
        (channel,) = conn.execute(select(t.dnc_entries.c.channel)).scalars().all()
    assert (code, channel) == ("asked_not_to_call", "voice")


def test_on_postgresql_a_verbal_opt_out_stops_every_later_call(
    pg_url: str,  # noqa: F811 (the fixture)
    tmp_path: Path,
) -> None:
    settings = Settings(policy=Policy(), firm_name=FIRM)
    env = {"LEXDIAL_DATA_DIR": str(tmp_path / "data"), "LEXDIAL_DATABASE_URL": pg_url}
    store = init_store(settings, env, now=NOW)
    try:
        tokens = {}
        with store.unit_of_work() as uow:
            for role in ("admin", "agent"):
                uid = add_user(uow, store.cipher, store.firm_id, f"{role}@firm.test", "U", role,
                               NOW, audit=store.audit, caller=OPERATOR)  # fmt: skip
                tokens[role] = issue_token(uow, store.audit, uid, "t", OPERATOR, NOW).token
            attest_training(uow, uid, "TCPA", NOW.date(), 365, NOW, OPERATOR, audit=store.audit)
        with TestClient(
            create_app(store, clock=lambda: NOW, dial=False), base_url=BASE_URL
        ) as client:
            _verbal_opt_out_path(Desk(client, store, tokens), uid)
    finally:
        store.db.dispose()


def test_the_directory_finds_by_name_words_and_exact_number_masked_for_an_agent(
    api: Api, desk: Desk
) -> None:
    get = api.client.get
    found = get("/v1/contacts/search", params={"name": "dana"}, headers=desk.h("agent")).json()
    assert [(c["id"], c["name"], c["numbers_masked"]) for c in found] == [
        (desk.contact, "Dana Client", True)
    ]
    assert E164 not in json.dumps(found)
    assert get("/v1/contacts/search", params={"name": "dan"}, headers=desk.h("agent")).json() == []
    by_number = get("/v1/contacts/search", params={"number": "(614) 555-0101"},
                    headers=desk.h("manager")).json()  # fmt: skip
    assert by_number[0]["numbers"] == [E164]
    res = get("/v1/contacts/search", params={"number": "12"}, headers=desk.h("agent"))
    assert res.status_code == 422 and res.json()["error"]["field"] == "number"
    with api.store.db.connect() as conn:
        looked = (
            conn.execute(
                select(t.audit_log.c.data).where(t.audit_log.c.action == "contact.looked_up")
            )
            .scalars()
            .all()
        )
    assert len(looked) == 1 and E164 not in looked[0]  # masked in the trail


def test_the_directory_limits_number_searches_by_a_masked_role(api: Api, desk: Desk) -> None:
    codes = [
        api.client.get("/v1/contacts/search", params={"number": f"+1614555{1000 + i}"},
                       headers=desk.h("agent")).status_code
        for i in range(25)
    ]  # fmt: skip
    assert codes[:20] == [200] * 20 and 429 in codes[20:]


def test_a_manager_edits_the_disposition_list_and_the_agent_sees_it(api: Api, desk: Desk) -> None:
    first = api.client.get("/v1/dispositions", headers=desk.h("agent")).json()
    assert "asked_not_to_call" in {c["code"] for c in first}
    added = desk.ok("/v1/dispositions", "manager", code="paid", label="Paid in full")
    assert added["active"] is True
    desk.ok("/v1/dispositions/retire", "manager", code="left_message")
    desk.refused("/v1/dispositions/retire", 422, "code", "manager", code="asked_not_to_call")
    active = api.client.get("/v1/dispositions", params={"active_only": "true"},
                            headers=desk.h("agent")).json()  # fmt: skip
    codes = [c["code"] for c in active]
    assert "paid" in codes and "left_message" not in codes


def test_another_firms_agent_cannot_sit_on_or_touch_firm_1s_desk(api: Api, desk: Desk) -> None:
    s = api.store
    with s.db.begin() as conn:
        uow = SqlUnitOfWork(conn)
        firm2 = add_firm(uow, s.audit, "Other Firm PLLC", NOW, "test")
        uid = add_user(uow, s.cipher, firm2, "agent@other.test", "O", "agent", NOW,
                       audit=s.audit, caller=OPERATOR)  # fmt: skip
        attest_training(uow, uid, "TCPA", NOW.date(), 365, NOW, OPERATOR, audit=s.audit)
        desk.tokens["other"] = issue_token(uow, s.audit, uid, "t", OPERATOR, NOW).token
    desk.ok("/v1/desk/login", campaign_id=desk.campaign)
    desk.ok("/v1/desk/ready")
    desk.hand_call(api.users["agent"])
    desk.refused("/v1/desk/login", 404, "campaign_id", "other", campaign_id=desk.campaign)
    desk.refused("/v1/desk/opt-out", 422, "state", "other")
    desk.refused("/v1/desk/hangup", 422, "state", "other")
    found = api.client.get("/v1/contacts/search", params={"name": "dana"}, headers=desk.h("other"))
    assert found.json() == []
    with s.db.connect() as conn:
        assert conn.execute(select(t.dnc_entries.c.id)).all() == []


def test_retention_purges_a_calls_disposition_with_its_attempt(api: Api, desk: Desk) -> None:
    from lexdial.service.privacy import purge

    desk.ok("/v1/desk/login", campaign_id=desk.campaign)
    desk.ok("/v1/desk/ready")
    attempt = desk.hand_call(api.users["agent"])
    desk.ok("/v1/desk/hangup")
    desk.ok("/v1/desk/disposition", code="reached", notes="fine")
    s = api.store
    with s.db.begin() as conn:
        report = purge(SqlUnitOfWork(conn), s.audit, NOW + timedelta(days=10),
                       {"call_records": 1}, OPERATOR)  # fmt: skip
    assert report.call_attempts == 1
    with s.db.connect() as conn:
        assert conn.execute(select(t.call_dispositions.c.id)).all() == []
        seat = conn.execute(select(t.agent_sessions.c.attempt_id)).scalar_one()
    assert seat is None and attempt


def test_contacts_made_before_the_name_index_are_indexed_when_the_store_is_opened(
    api: Api, desk: Desk, tmp_path: Path
) -> None:
    from lexdial.bootstrap import open_store

    with api.store.db.begin() as conn:  # as a store migrated from before 0012 holds it
        conn.execute(t.contact_name_tokens.delete())
    get = api.client.get
    assert get("/v1/contacts/search", params={"name": "dana"}, headers=desk.h("agent")).json() == []
    settings = Settings(policy=Policy(), firm_name=FIRM)
    again = open_store(settings, {"LEXDIAL_DATA_DIR": str(tmp_path / "data")}, now=NOW)
    again.db.dispose()
    found = get("/v1/contacts/search", params={"name": "Client"}, headers=desk.h("agent")).json()
    assert [c["id"] for c in found] == [desk.contact]


def test_imported_contacts_are_found_by_name_and_an_erased_one_is_not(api: Api) -> None:
    from .test_api_imports import CSV as IMPORT_CSV

    h = api.headers("manager")
    files = {"file": ("clients.csv", IMPORT_CSV.encode(), "text/csv")}
    assert api.client.post("/v1/imports", files=files, headers=h).json()["created"] == 2
    search = api.client.get
    found = search("/v1/contacts/search", params={"name": "brightwater bo"}, headers=h).json()
    assert [c["name"] for c in found] == ["Bo Brightwater"]
    erase = {"number": "+1 614 555 0102"}
    assert api.client.post("/v1/privacy/erase", json=erase, headers=api.headers("admin")).is_success
    assert search("/v1/contacts/search", params={"name": "bo"}, headers=h).json() == []
    with api.store.db.connect() as conn:
        tokened = conn.execute(select(t.contact_name_tokens.c.contact_id).distinct()).all()
    assert len(tokened) == 1  # the erased person left no token


def test_a_key_rotation_re_encrypts_the_agents_notes(api: Api, desk: Desk) -> None:
    from lexdial.service.keys import rotate_keys

    desk.ok("/v1/desk/login", campaign_id=desk.campaign)
    desk.ok("/v1/desk/ready")
    attempt = desk.hand_call(api.users["agent"])
    desk.end_call(api.users["agent"], attempt)
    desk.ok("/v1/desk/disposition", code="reached", notes="Prefers mornings")
    s = api.store
    with s.db.connect() as conn:
        before = conn.execute(select(t.call_dispositions.c.notes_enc)).scalar_one()
    new, changed = rotate_keys(s.unit_of_work, s.cipher, lambda ring: None, s.audit, NOW, OPERATOR)
    with s.db.connect() as conn:
        after = conn.execute(select(t.call_dispositions.c.notes_enc)).scalar_one()
    assert after != before and changed >= 1
    assert new.decrypt(after, context="call_dispositions.notes") == "Prefers mornings"


def test_the_persons_export_holds_the_agents_notes_and_erasure_removes_them(
    api: Api, desk: Desk
) -> None:
    desk.ok("/v1/desk/login", campaign_id=desk.campaign)
    desk.ok("/v1/desk/ready")
    attempt = desk.hand_call(api.users["agent"])
    desk.end_call(api.users["agent"], attempt)
    desk.ok("/v1/desk/disposition", code="reached", notes="Spoke with her daughter")
    admin = desk.h("admin")
    export = api.client.post("/v1/privacy/export", json={"number": E164}, headers=admin).json()
    assert export["call_dispositions"][0]["notes"] == "Spoke with her daughter"
    assert api.client.post("/v1/privacy/erase", json={"number": E164}, headers=admin).is_success
    with api.store.db.connect() as conn:
        row = conn.execute(select(t.call_dispositions.c.code, t.call_dispositions.c.notes_enc))
        assert row.one() == ("reached", None)
