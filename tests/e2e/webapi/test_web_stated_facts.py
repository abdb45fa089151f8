"""The contact page records what a person told the firm (contract v1.1, issue 14): stated
inconvenient times, a workplace number and "no calls at work", a debt's cease request and
time-barred flag — by the roles that may write consents, with the session's CSRF token,
audited, a bad value shown on the page naming the field; the gate then honours the fact."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from lexdial.adapters.db import tables as t
from lexdial.adapters.db.uow import SqlUnitOfWork
from lexdial.service.gate import CallPlan, GateResult, gate

from .conftest import NOW, Api
from .test_web_pages import login

NUMBER = "+1 614 555 0101"
CONTACT: dict[str, Any] = {
    "numbers": [{"number": NUMBER, "line_type": "landline"}],
    "address": {"country": "US", "state": "OH", "time_zone": "America/New_York"},
    "relationship": "none",
}
#: NOW is Wednesday 10:00 in New York: inside this window
MORNINGS = {"days": ["mon", "tue", "wed", "thu", "fri"], "from": "09:00", "to": "12:00"}


def _contact(api: Api) -> int:
    res = api.client.post("/v1/contacts", json=CONTACT, headers=api.headers("admin"))
    assert res.status_code == 201, res.text
    return int(res.json()["contact"])


def _gate(api: Api, contact_id: int, purpose: str = "debt_collection") -> GateResult:
    s = api.store
    with s.db.begin() as conn:
        return gate(SqlUnitOfWork(conn), s.rules, s.cipher, s.audit, s.registry,
                    firm_id=s.firm_id, contact_id=contact_id, at=NOW,
                    plan=CallPlan(purpose, "manual", None, "ACME-4471"))  # fmt: skip


def _audited(api: Api, action: str) -> int:
    with api.store.db.connect() as conn:
        query = select(func.count()).select_from(t.audit_log).where(t.audit_log.c.action == action)
        return int(conn.execute(query).scalar_one())


def _preferences(api: Api, contact_id: int) -> Any:
    with api.store.db.connect() as conn:
        query = select(t.contacts.c.preferences).where(t.contacts.c.id == contact_id)
        return conn.execute(query).scalar_one()


def test_an_agent_records_a_stated_inconvenient_time_and_the_gate_defers_past_it(
    api: Api,
) -> None:
    cid = _contact(api)
    assert "INCONVENIENT_TIME" not in _gate(api, cid, "reminder").decision.codes
    csrf = login(api.client, "agent")
    page = api.client.get(f"/contacts/{cid}").text
    assert 'id="preferences-form"' in page and "none stated" in page

    res = api.client.post(
        f"/contacts/{cid}/preferences",
        data={"csrf": csrf, "days": MORNINGS["days"], "from": "09:00", "to": "12:00"},
    )

    assert res.status_code == 200, res.text
    assert "stated preferences are recorded" in res.text
    assert "mon, tue, wed, thu, fri 09:00-12:00" in res.text
    assert _preferences(api, cid) == {"inconvenient_times": [MORNINGS]}
    assert _audited(api, "contact.preferences") == 1
    result = _gate(api, cid, "reminder")
    assert result.decision.verdict == "defer"
    assert "INCONVENIENT_TIME" in result.decision.codes


def test_a_workplace_number_with_no_calls_at_work_bars_collection_calls_until_unticked(
    api: Api,
) -> None:
    cid = _contact(api)
    csrf = login(api.client, "manager")
    res = api.client.post(
        f"/contacts/{cid}/preferences",
        data={"csrf": csrf, "workplace_number": "yes", "no_calls_at_work": "yes"},
    )
    assert res.status_code == 200, res.text
    assert 'id="pref-no-work">yes' in res.text
    assert "WORKPLACE_CALLS_BARRED" in _gate(api, cid).decision.codes

    res = api.client.post(f"/contacts/{cid}/preferences", data={"csrf": csrf})  # both unticked
    assert res.status_code == 200 and _preferences(api, cid) is None
    assert "WORKPLACE_CALLS_BARRED" not in _gate(api, cid).decision.codes


def test_a_debts_cease_request_and_time_barred_flag_are_recorded_and_honoured(api: Api) -> None:
    cid = _contact(api)
    csrf = login(api.client, "compliance")
    res = api.client.post(
        f"/contacts/{cid}/debt",
        data={"csrf": csrf, "debt_ref": "ACME-4471", "cease_requested_at": "2026-11-30",
              "time_barred": "yes"},
    )  # fmt: skip
    assert res.status_code == 200, res.text
    assert "The facts of debt ACME-4471 are recorded" in res.text
    assert 'id="debts"' in res.text and "2026-11-30" in res.text
    assert _audited(api, "debt.facts") == 1
    assert "CEASE_COMMUNICATION" in _gate(api, cid).decision.codes
    page = api.client.get(f"/contacts/{cid}").text  # the attempt names the debt: listed
    assert "ACME-4471" in page


def test_a_bad_value_is_shown_on_the_contact_page_naming_the_field_and_nothing_is_stored(
    api: Api,
) -> None:
    cid = _contact(api)
    csrf = login(api.client, "agent")
    res = api.client.post(
        f"/contacts/{cid}/preferences", data={"csrf": csrf, "from": "25:00", "to": "12:00"}
    )
    assert res.status_code == 422
    assert 'id="facts-error"' in res.text and "preferences.inconvenient_times[0].from" in res.text
    assert "What the person told us" in res.text  # the contact page, not a bare error page
    res = api.client.post(f"/contacts/{cid}/preferences", data={"csrf": csrf, "days": ["mon"]})
    assert res.status_code == 422 and "preferences.inconvenient_times[0].from" in res.text
    res = api.client.post(
        f"/contacts/{cid}/debt", data={"csrf": csrf, "debt_ref": "A-1", "cease_requested_at": "x"}
    )
    assert res.status_code == 422 and "debt.cease_requested_at" in res.text
    res = api.client.post(f"/contacts/{cid}/debt", data={"csrf": csrf, "time_barred": "yes"})
    assert res.status_code == 422 and "debt_ref" in res.text
    assert _preferences(api, cid) is None
    assert _audited(api, "contact.preferences") == _audited(api, "debt.facts") == 0


def test_an_auditor_sees_the_facts_but_no_form_and_may_not_post(api: Api) -> None:
    cid = _contact(api)
    csrf = login(api.client, "auditor")
    page = api.client.get(f"/contacts/{cid}").text
    assert "What the person told us" in page and 'id="preferences-form"' not in page
    assert 'id="debt-form"' not in page
    res = api.client.post(f"/contacts/{cid}/preferences", data={"csrf": csrf, "from": "09:00",
                                                                 "to": "12:00"})  # fmt: skip
    assert res.status_code == 403
    res = api.client.post(f"/contacts/{cid}/debt", data={"csrf": csrf, "debt_ref": "A-1",
                                                          "time_barred": "yes"})  # fmt: skip
    assert res.status_code == 403
    assert _preferences(api, cid) is None and _audited(api, "debt.facts") == 0


def test_a_stated_facts_post_without_the_csrf_token_is_refused(api: Api) -> None:
    cid = _contact(api)
    login(api.client, "admin")
    for data in ({}, {"csrf": "not-the-token"}):
        res = api.client.post(
            f"/contacts/{cid}/preferences", data={**data, "workplace_number": "yes"}
        )
        assert res.status_code == 403 and "CSRF" in res.text
        res = api.client.post(f"/contacts/{cid}/debt", data={**data, "debt_ref": "A-1",
                                                              "time_barred": "yes"})  # fmt: skip
        assert res.status_code == 403 and "CSRF" in res.text
    assert _preferences(api, cid) is None and _audited(api, "debt.facts") == 0


def test_an_unknown_contact_is_not_found(api: Api) -> None:
    csrf = login(api.client, "admin")
    res = api.client.post(
        "/contacts/9999/preferences", data={"csrf": csrf, "workplace_number": "y"}
    )
    assert res.status_code == 404
