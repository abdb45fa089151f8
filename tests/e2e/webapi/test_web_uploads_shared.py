"""An import previewed on one API process and finished on another: the upload is kept in
the store (encrypted), not in a process's memory. Two app instances over one store file
stand for two ``lexdial serve`` processes."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from lexdial.adapters.db import tables as t
from lexdial.bootstrap import open_store
from lexdial.config import Settings
from lexdial.entrypoints.api.app import create_app
from lexdial.rules.context import Policy
from lexdial.service.pending_uploads import KEEP_S, key_hash

from .conftest import FIRM, NOW, Api
from .test_web_pages import CSV, login

Second = Callable[[datetime], TestClient]


@pytest.fixture
def second(api: Api, tmp_path: Path) -> Iterator[Second]:
    """Another app (another process) over the same store file, with its own clock, logged
    in with the first client's session."""
    settings = Settings(policy=Policy(), firm_name=FIRM)
    store = open_store(settings, {"LEXDIAL_DATA_DIR": str(tmp_path / "data")}, now=NOW)
    clients: list[TestClient] = []

    def make(at: datetime) -> TestClient:
        client = TestClient(create_app(store, clock=lambda: at, dial=False))
        client.__enter__()
        client.cookies = api.client.cookies
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.__exit__(None, None, None)
    store.db.dispose()


def _upload(api: Api, csv: str = CSV) -> tuple[str, str]:
    """Log in as a manager and upload on the first app; (csrf, key)."""
    csrf = login(api.client, "manager")
    res = api.client.post(
        "/imports", data={"csrf": csrf}, files={"file": ("clients.csv", csv.encode(), "text/csv")}
    )
    assert res.status_code == 200, res.text
    return csrf, res.url.path.rsplit("/", 1)[1]


def _contacts(api: Api) -> int:
    with api.store.db.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(t.contacts)).scalar_one())


def test_an_import_previewed_on_one_process_is_finished_on_another(
    api: Api, second: Second
) -> None:
    csrf, key = _upload(api)
    other = second(NOW)
    res = other.get(f"/imports/{key}")
    assert res.status_code == 200 and "+1614•••••41" in res.text and "Dana" not in res.text
    hidden = dict(re.findall(r'type="hidden" name="(\w+)" value="([^"]*)"', res.text))
    res = other.post(f"/imports/{key}", data={**hidden, "csrf": csrf})
    assert res.status_code == 200, res.text
    assert "2 new contact(s)" in res.text and _contacts(api) == 2
    assert api.client.get(f"/imports/{key}").status_code == 404  # used up, on both
    assert other.post(f"/imports/{key}", data={"csrf": csrf}).status_code == 404
    assert _contacts(api) == 2


def test_a_refused_import_keeps_the_upload_for_a_fix_on_either_process(
    api: Api, second: Second
) -> None:
    csrf, key = _upload(api, CSV + "not a number,Cy Clay,OH,wireless,,,,,,,,\n")
    other = second(NOW)
    assert other.post(f"/imports/{key}", data={"csrf": csrf}).status_code == 422
    assert api.client.get(f"/imports/{key}").status_code == 200  # still kept (rolled back)
    assert _contacts(api) == 0


def test_an_expired_upload_is_refused_on_the_other_process(api: Api, second: Second) -> None:
    csrf, key = _upload(api)
    late = second(NOW + timedelta(seconds=KEEP_S + 1))
    res = late.post(f"/imports/{key}", data={"csrf": csrf})
    assert res.status_code == 404 and "expired" in res.text
    assert late.get(f"/imports/{key}").status_code == 404
    assert _contacts(api) == 0


def test_another_users_upload_is_refused_on_the_other_process(api: Api, second: Second) -> None:
    _, key = _upload(api)
    other = second(NOW)
    other_csrf = login(other, "compliance")
    assert other.get(f"/imports/{key}").status_code == 404
    assert other.post(f"/imports/{key}", data={"csrf": other_csrf}).status_code == 404
    assert _contacts(api) == 0


def test_the_upload_is_not_kept_plain_in_the_store(api: Api) -> None:
    _, key = _upload(api)
    with api.store.db.connect() as conn:
        (row,) = conn.execute(select(t.pending_uploads)).mappings().all()
    raw = " ".join(str(v) for v in row.values())
    assert row["key_hash"] == key_hash(key) and key not in raw
    for plain in ("Dana Quill", "Mobile", "clients.csv"):
        assert plain not in raw
