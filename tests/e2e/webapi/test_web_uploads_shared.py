"""An import previewed on one API process and finished on another: the upload is kept in
the store (encrypted), not in a process's memory. Two app instances over one store file
stand for two ``lexdial serve`` processes."""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, func, select, text

from lexdial.adapters.db import tables as t
from lexdial.bootstrap import init_store, open_store
from lexdial.config import Settings
from lexdial.entrypoints.api.app import create_app
from lexdial.rules.context import Policy
from lexdial.service.auth import set_password
from lexdial.service.pending_uploads import KEEP_S, key_hash
from lexdial.service.users import OPERATOR, add_user

from .conftest import BASE_URL, FIRM, NOW, PASSWORD, Api
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
        client = TestClient(create_app(store, clock=lambda: at, dial=False), base_url=BASE_URL)
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


PG_ADMIN = os.environ.get(
    "LEXDIAL_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A fresh PostgreSQL database for one test (skipped when none is reachable)."""
    try:
        admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text("select 1"))
    except Exception as exc:  # any connection failure means "not available"
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL not reachable at {PG_ADMIN} ({type(exc).__name__})")
        pytest.skip(f"PostgreSQL not reachable ({type(exc).__name__})")
    name = f"lexdial_up_{uuid.uuid4().hex[:10]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield f"{PG_ADMIN.rsplit('/', 1)[0]}/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def test_on_postgresql_two_processes_share_an_upload_and_only_one_imports_it(
    pg_url: str, tmp_path: Path
) -> None:
    settings = Settings(policy=Policy(), firm_name=FIRM)
    env = {"LEXDIAL_DATA_DIR": str(tmp_path / "data"), "LEXDIAL_DATABASE_URL": pg_url}
    first = init_store(settings, env, now=NOW)
    with first.unit_of_work() as uow:
        uid = add_user(uow, first.cipher, first.firm_id, "manager@firm.test", "Manager User",
                       "manager", NOW, audit=first.audit, caller=OPERATOR)  # fmt: skip
        set_password(uow, first.audit, uid, PASSWORD, OPERATOR, NOW)
    other_store = open_store(settings, env, now=NOW)
    try:
        with (
            TestClient(create_app(first, clock=lambda: NOW, dial=False), base_url=BASE_URL) as one,
            TestClient(
                create_app(other_store, clock=lambda: NOW, dial=False), base_url=BASE_URL
            ) as two,
        ):
            csrf = login(one, "manager")
            res = one.post(
                "/imports",
                data={"csrf": csrf},
                files={"file": ("clients.csv", CSV.encode(), "text/csv")},
            )
            key = res.url.path.rsplit("/", 1)[1]
            two.cookies = one.cookies
            assert two.get(f"/imports/{key}").status_code == 200
            assert two.post(f"/imports/{key}", data={"csrf": csrf}).status_code == 200
            assert one.post(f"/imports/{key}", data={"csrf": csrf}).status_code == 404
            with first.db.connect() as conn:
                count = conn.execute(select(func.count()).select_from(t.contacts)).scalar_one()
                kept = conn.execute(select(func.count()).select_from(t.pending_uploads))
                assert count == 2 and kept.scalar_one() == 0
    finally:
        other_store.db.dispose()
        first.db.dispose()
