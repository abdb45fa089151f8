"""The store-wide record check runs only when an admin or compliance user asks, one at a
time per firm; the API and the Audit page show the last one kept in the store (when, by
whom, at which audit head, what it found), never running it to show a page."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select, update

from lexdial.adapters.db import tables as t
from lexdial.adapters.db.uow import SqlUnitOfWork
from lexdial.service import record_checks, record_sweep
from lexdial.service.repos.record_checks import Claim

from .conftest import NOW, Api
from .test_api_people import _contact
from .test_web_pages import login

OPT_OUT = {"number": "+1 614 555 0101", "channel": "api"}


@pytest.fixture
def sweeps(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many times the record sweep ran (it still runs: this only counts)."""
    ran: list[int] = []
    real = record_sweep.check_store

    def counted(*args: Any, **kw: Any) -> record_sweep.RecordsCheck:
        ran.append(1)
        return real(*args, **kw)

    monkeypatch.setattr(record_sweep, "check_store", counted)
    return ran


def _opted_out(api: Api) -> None:
    _contact(api)
    assert api.client.post("/v1/optouts", json=OPT_OUT, headers=api.headers("agent")).is_success


def _verify(api: Api, role: str = "auditor") -> dict[str, Any]:
    res = api.client.get("/v1/audit/verify", headers=api.headers(role))
    assert res.status_code == 200, res.text
    return dict(res.json())


def _held_elsewhere(api: Api, since: Any = NOW) -> None:
    """Another API process's check, claimed in the store at ``since``."""
    with api.store.db.begin() as conn:
        claimed = SqlUnitOfWork(conn).record_checks.claim(
            api.store.firm_id, Claim("user:9", "other-process"), since,
            since + record_checks.LEASE,
        )  # fmt: skip
    assert claimed


def test_reading_the_verification_or_the_audit_page_never_runs_the_record_check(
    api: Api, sweeps: list[int]
) -> None:
    _opted_out(api)
    for role in ("auditor", "compliance", "admin"):
        body = _verify(api, role)
        assert body["ok"] is True and body["count"] > 0  # the chain is still verified
        assert body["records"]["ok"] is None and body["records"]["checked_at"] is None
    login(api.client, "auditor")
    assert "No record check yet" in api.client.get("/audit").text
    assert sweeps == []


def test_a_check_asked_for_is_kept_with_when_who_and_the_audit_head_it_covered(
    api: Api, sweeps: list[int]
) -> None:
    _opted_out(api)
    started = api.client.post("/v1/audit/records-check", headers=api.headers("compliance"))
    assert started.status_code == 202 and started.json()["started"] is True
    assert sweeps == [1]
    with api.store.db.connect() as conn:
        head = conn.execute(select(func.max(t.audit_log.c.seq))).scalar_one()
    records = _verify(api)["records"]
    assert records["ok"] is True and records["numbers_checked"] == 1
    assert records["head_seq"] == head and records["running"] is None
    assert records["checked_at"].startswith("2026-12-02T15:00:00")
    assert records["checked_by"] == f"user:{api.users['compliance']}"
    with api.store.db.begin() as conn:  # changed after the check: shown at the next one only
        conn.execute(update(t.dnc_entries).values(channel="web_form"))
    assert _verify(api)["records"]["ok"] is True and sweeps == [1]
    assert api.client.post("/v1/audit/records-check", headers=api.headers("admin")).is_success
    after = _verify(api)
    assert after["ok"] is False and after["records"]["ok"] is False
    (problem,) = after["records"]["problems"]
    assert (problem["table"], problem["field"]) == ("dnc_entries", "channel")


@pytest.mark.parametrize("role", ["auditor", "manager", "agent"])
def test_only_admin_or_compliance_may_start_a_check(api: Api, sweeps: list[int], role: str) -> None:
    res = api.client.post("/v1/audit/records-check", headers=api.headers(role))
    assert res.status_code == 403 and "audit.check" in res.text
    assert sweeps == [] and _verify(api)["records"]["running"] is None


def test_a_second_request_while_one_runs_says_so_and_starts_nothing(
    api: Api, sweeps: list[int]
) -> None:
    _held_elsewhere(api)
    res = api.client.post("/v1/audit/records-check", headers=api.headers("admin"))
    assert res.status_code == 200 and res.json()["started"] is False
    running = res.json()["records"]["running"]
    assert running["by"] == "user:9" and running["since"].startswith("2026-12-02T15:00:00")
    assert sweeps == [] and _verify(api)["records"]["checked_at"] is None


def test_a_claim_left_by_a_process_that_died_lapses_and_a_new_check_runs(
    api: Api, sweeps: list[int]
) -> None:
    _held_elsewhere(api, since=NOW - record_checks.LEASE - timedelta(seconds=1))
    assert _verify(api)["records"]["running"] is None  # lapsed: not shown as running
    res = api.client.post("/v1/audit/records-check", headers=api.headers("admin"))
    assert res.status_code == 202 and sweeps == [1]
    assert _verify(api)["records"]["ok"] is True


def test_a_check_whose_process_died_is_said_to_have_stopped_until_a_new_one_starts(
    api: Api, sweeps: list[int]
) -> None:
    _held_elsewhere(api)
    running = _verify(api)["records"]["running"]  # the page says when it would lapse
    assert running["until"].startswith("2026-12-02T15:15:00")
    csrf = login(api.client, "admin")
    assert "counts as stopped from 2026-12-02 15:15" in api.client.get("/audit").text
    with api.store.db.begin() as conn:  # its process is gone: the claim was not renewed
        SqlUnitOfWork(conn).record_checks.renew(api.store.firm_id, "other-process", NOW)
    records = _verify(api)["records"]
    assert records["running"] is None and records["stopped"]["by"] == "user:9"
    page = api.client.get("/audit").text
    stopped = re.search(r'<p class="bad" id="records-stopped"[^>]*>(.*?)</p>', page, re.S)
    assert stopped and "user:9" in stopped.group(1) and "did not finish" in stopped.group(1)
    assert 'id="run-records-check"' in page
    res = api.client.post("/audit/records-check", data={"csrf": csrf})
    assert res.status_code == 200 and "The record check started" in res.text
    assert 'id="records-stopped"' not in res.text and sweeps == [1]
    assert _verify(api)["records"]["stopped"] is None


def test_a_check_that_fails_keeps_the_last_result_and_frees_the_claim(
    api: Api, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    h = api.headers("admin")
    assert api.client.post("/v1/audit/records-check", headers=h).status_code == 202
    kept = _verify(api)["records"]

    def broken(*_: Any, **__: Any) -> Any:
        raise RuntimeError("the database went away")

    monkeypatch.setattr(record_sweep, "check_store", broken)
    assert api.client.post("/v1/audit/records-check", headers=h).status_code == 202
    assert "the record check asked by user:" in caplog.text
    after = _verify(api)["records"]  # the last completed one, not running any more
    assert after["stopped"]["by"] == f"user:{api.users['admin']}"
    assert {**after, "stopped": None} == kept
    monkeypatch.undo()
    assert api.client.post("/v1/audit/records-check", headers=h).status_code == 202


def test_the_audit_page_offers_the_check_to_compliance_and_shows_its_result(
    api: Api, sweeps: list[int]
) -> None:
    _opted_out(api)
    login(api.client, "auditor")
    assert 'id="run-records-check"' not in api.client.get("/audit").text
    csrf = login(api.client, "compliance")
    page = api.client.get("/audit").text
    assert 'id="run-records-check"' in page and sweeps == []
    res = api.client.post("/audit/records-check", data={"csrf": csrf}, follow_redirects=False)
    assert res.status_code == 303 and res.headers["location"] == "/audit?check=started"
    page = api.client.get(res.headers["location"]).text
    assert "The record check started" in page and "Records agreed with the trail" in page
    when = re.search(r'<p id="records-when">(.*?)</p>', page, re.S)
    assert when and f"user:{api.users['compliance']}" in when.group(1)
    assert sweeps == [1]


def test_the_audit_page_says_a_check_is_running_and_does_not_start_another(
    api: Api, sweeps: list[int]
) -> None:
    _held_elsewhere(api)
    csrf = login(api.client, "admin")
    page = api.client.get("/audit").text
    assert 'id="records-running"' in page and 'id="run-records-check"' not in page
    assert 'http-equiv="refresh"' in page  # the page follows the check without a button
    res = api.client.post("/audit/records-check", data={"csrf": csrf})
    assert "A record check is already running; no other was started." in res.text
    assert sweeps == []


def test_the_button_without_the_forms_token_is_refused(api: Api, sweeps: list[int]) -> None:
    login(api.client, "admin")
    res = api.client.post("/audit/records-check", data={})
    assert res.status_code == 403 and sweeps == []
