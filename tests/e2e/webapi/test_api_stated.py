"""The REST API for what a person told the firm (contract v1.1): stated inconvenient times
and workplace facts on a contact, a cease request and time-barred flag on a debt — stored
and read by the dial-time gate; a bad field is a 422 naming it, never a 500."""

from __future__ import annotations

from typing import Any

from lexdial.adapters.db.uow import SqlUnitOfWork
from lexdial.service.gate import CallPlan, gate

from .conftest import NOW, Api

NUMBER = "+1 614 555 0101"
CONTACT: dict[str, Any] = {
    "numbers": [{"number": NUMBER, "line_type": "landline"}],
    "address": {"country": "US", "state": "OH", "time_zone": "America/New_York"},
    "relationship": "none",
}
WORKDAYS = {"days": ["mon", "tue", "wed", "thu", "fri"], "from": "09:00", "to": "17:00"}


def _collect(api: Api, contact_id: int) -> set[str]:
    s = api.store
    with s.db.begin() as conn:
        result = gate(SqlUnitOfWork(conn), s.rules, s.cipher, s.audit, s.registry,
                      firm_id=s.firm_id, contact_id=contact_id, at=NOW,
                      plan=CallPlan("debt_collection", "manual", None, "ACME-4471"))  # fmt: skip
    return set(result.decision.codes)


def test_stated_preferences_and_debt_facts_reach_the_gate(api: Api) -> None:
    res = api.client.post("/v1/contacts", json=CONTACT, headers=api.headers("agent"))
    assert res.status_code == 201, res.text
    cid = int(res.json()["contact"])
    before = _collect(api, cid)
    assert not before & {"INCONVENIENT_TIME", "WORKPLACE_CALLS_BARRED", "CEASE_COMMUNICATION"}

    res = api.client.put(
        "/v1/contacts/preferences",
        json={"number": NUMBER, "inconvenient_times": [WORKDAYS], "workplace_number": True,
              "no_calls_at_work": True},
        headers=api.headers("agent"),
    )  # fmt: skip
    assert res.status_code == 200, res.text
    assert res.json()["preferences"]["inconvenient_times"] == [WORKDAYS]
    res = api.client.put(
        "/v1/debts/ACME-4471",
        json={"cease_requested_at": "2026-11-30T10:00:00Z", "time_barred": True},
        headers=api.headers("agent"),
    )
    assert res.status_code == 200, res.text
    assert res.json()["debt"]["time_barred"] is True

    after = _collect(api, cid)
    assert {"INCONVENIENT_TIME", "WORKPLACE_CALLS_BARRED", "CEASE_COMMUNICATION"} <= after


def test_a_bad_stated_fact_is_a_422_naming_the_field(api: Api) -> None:
    api.client.post("/v1/contacts", json=CONTACT, headers=api.headers("agent"))
    res = api.client.put(
        "/v1/contacts/preferences",
        json={"number": NUMBER, "inconvenient_times": [{"from": "9am", "to": "17:00"}]},
        headers=api.headers("agent"),
    )
    assert res.status_code == 422, res.text
    assert "preferences.inconvenient_times[0].from" in res.text
    res = api.client.put("/v1/debts/ACME-4471", json={"cease_requested_at": "yesterday"},
                         headers=api.headers("agent"))  # fmt: skip
    assert res.status_code == 422, res.text
    assert "debt.cease_requested_at" in res.text
