"""Two API processes (two apps over one store) sharing one Redis share the log-in throttle
and the public pages' rate limits: an attacker gains nothing by spreading tries across
processes. A Redis that does not answer stops ``lexdial serve`` with one clear line."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from fastapi.testclient import TestClient

from lexdial.adapters.limits_redis import RedisLimits
from lexdial.entrypoints.api import login_throttle as lt
from lexdial.entrypoints.api.app import create_app
from lexdial.entrypoints.api.routes_webhooks import InterfaceSettings
from lexdial.errors import ConfigError
from lexdial.service.public_codes import MemorySender

from .conftest import BASE_URL, NOW, Api

REDIS_URL = os.environ.get("LEXDIAL_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
VICTIM = "admin@firm.test"
IP = "203.0.113.50"


@pytest.fixture
def two(api: Api) -> Iterator[tuple[TestClient, TestClient]]:
    """The fixture's app and a second app over the same store, both counting in one Redis
    (under a key prefix of this test's own), as two client connections from ``IP``."""
    url, prefix = redis_or_skip(), f"lexdial-test:{uuid.uuid4().hex}:"
    second = create_app(api.store, clock=lambda: NOW, dial=False)
    apps = (api.client.app, second)
    for app in apps:
        app.state.limits = RedisLimits.connect(url, prefix)  # type: ignore[attr-defined]
        app.state.code_sender = MemorySender()  # type: ignore[attr-defined]
        app.state.interfaces = InterfaceSettings()  # type: ignore[attr-defined]
    with (
        TestClient(apps[0], base_url=BASE_URL, client=(IP, 50000)) as a,
        TestClient(apps[1], base_url=BASE_URL, client=(IP, 50001)) as b,
    ):
        yield a, b
    shared = RedisLimits.connect(url, prefix)
    for key in shared.client.scan_iter(f"{prefix}*"):
        shared.client.delete(key)


def redis_or_skip() -> str:
    """The test Redis URL; skipped where none answers (a failure under CI)."""
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1.0).ping()
    except redis.RedisError as exc:
        if os.environ.get("CI"):
            raise
        pytest.skip(f"no Redis at {REDIS_URL}: {exc}")
    return REDIS_URL


def _log_in(client: TestClient, password: str) -> int:
    form = client.get("/login")
    found = re.search(r'name="login_csrf" value="([^"]*)"', form.text)
    assert found
    data = {"email": VICTIM, "password": password, "login_csrf": found.group(1)}
    return client.post("/login", data=data, follow_redirects=False).status_code


def _request_code(client: TestClient, number: str) -> int:
    page = client.get("/public/optout").text
    found = re.search(r'name="csrf" value="([^"]*)"', page)
    assert found
    data = {"csrf": found.group(1), "step": "start", "number": number}
    return client.post("/public/optout", data=data).status_code


def test_log_in_failures_count_across_both_processes(two: tuple[TestClient, TestClient]) -> None:
    codes = [_log_in(two[n % 2], f"guess {n}") for n in range(lt.PAIR_LIMIT + 1)]
    assert codes == [401] * lt.PAIR_LIMIT + [429]
    res_other = _log_in(two[1], "guess again")
    assert res_other == 429  # neither process lets this address try again


def test_the_6th_code_request_is_refused_across_both_processes(
    two: tuple[TestClient, TestClient],
) -> None:
    codes = [_request_code(two[n % 2], f"+1614555{n:04d}") for n in range(200, 206)]
    assert codes == [200] * 5 + [429]


def test_an_unreachable_redis_is_a_config_error_when_the_app_is_made(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LEXDIAL_REDIS_URL", "redis://127.0.0.1:1/0")
    with pytest.raises(ConfigError, match="LEXDIAL_REDIS_URL"):
        create_app(api.store, clock=lambda: NOW, dial=False)


def test_lexdial_serve_with_an_unreachable_redis_says_so_in_one_line(tmp_path: Path) -> None:
    env = {**os.environ, "LEXDIAL_DATA_DIR": str(tmp_path / "data")}
    env.pop("LEXDIAL_DATABASE_URL", None)
    run = [sys.executable, "-m", "lexdial"]
    subprocess.run([*run, "init", "--firm", "F"], env=env, cwd=tmp_path, check=True,
                   capture_output=True, timeout=120)  # fmt: skip
    env["LEXDIAL_REDIS_URL"] = "redis://127.0.0.1:1/0"
    done = subprocess.run([*run, "serve", "--port", "1"], env=env, cwd=tmp_path,
                          capture_output=True, text=True, timeout=120)  # fmt: skip
    assert done.returncode != 0
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith("error: Redis for shared rate limits is not reachable")
    assert "Traceback" not in done.stderr
