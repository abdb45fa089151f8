"""Every operation of the published OpenAPI schema, fuzzed by schemathesis as an admin and
as an agent: no 500, no traceback, a 422 names its field, and a refused request leaves
every table of the store as it was.

The app runs in-process over a fresh SQLite store with real keys (no dialling). An admin's
fuzzed calls may revoke its own token or deactivate its own user: the harness then gives
the role a new user and token, as an administrator would.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime
from itertools import count
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode

from lexdial.adapters.db import tables as t
from lexdial.adapters.db.uow import SqlUnitOfWork
from lexdial.bootstrap import Store, open_store
from lexdial.config import Settings
from lexdial.entrypoints.api.app import create_app
from lexdial.rules.context import Policy
from lexdial.service.auth import issue_token
from lexdial.service.users import OPERATOR, add_user, attest_training

from . import sizes

NOW = datetime(2026, 12, 2, 15, 0, tzinfo=UTC)
FIRM = "Hartwell & Ruiz LLP"
#: refusals may leave these: the audit trail records refused attempts (log-ins, access)
#: and the rate limiter counts them; everything else must be exactly as before
MAY_GROW_ON_REFUSAL = frozenset({"audit_log", "login_attempts", "rate_limits", "outbox"})


class Harness:
    def __init__(self, root: Path) -> None:
        self.root = root
        env = {"LEXDIAL_DATA_DIR": str(root / "data")}
        self.store: Store = open_store(
            Settings(policy=Policy(), firm_name=FIRM), env, now=NOW, create=True
        )
        self.tokens: dict[str, str] = {}
        self._n = count()
        for role in ("admin", "agent"):
            self.new_caller(role)
        self.app = create_app(self.store, clock=lambda: NOW, dial=False)
        self.client = TestClient(self.app, raise_server_exceptions=False)

    def new_caller(self, role: str) -> None:
        with self.store.db.begin() as conn:
            uid = add_user(SqlUnitOfWork(conn), self.store.cipher, self.store.firm_id,
                           f"{role}{next(self._n)}@firm.test", f"{role.title()} User", role,
                           NOW, audit=self.store.audit, caller=OPERATOR)  # fmt: skip
            if role == "agent":
                attest_training(SqlUnitOfWork(conn),
                                uid, "TCPA basics", NOW.date(), 365, NOW, OPERATOR,
                                audit=self.store.audit)  # fmt: skip
            token = issue_token(
                SqlUnitOfWork(conn), self.store.audit, uid, "fuzz", OPERATOR, NOW
            ).token
        self.tokens[role] = token

    def headers(self, role: str) -> dict[str, str]:
        """The role's bearer header, renewed if a fuzzed call revoked it."""
        h = {"Authorization": f"Bearer {self.tokens[role]}"}
        if self.client.get("/v1/me", headers=h).status_code == 401:
            self.new_caller(role)
            h = {"Authorization": f"Bearer {self.tokens[role]}"}
        return h

    def counts(self) -> dict[str, int]:
        con = sqlite3.connect(self.root / "data" / "lexdial.sqlite3")
        try:
            return {
                name: con.execute(f'select count(*) from "{name}"').fetchone()[0]
                for name in t.metadata.tables
            }
        finally:
            con.close()


@pytest.fixture(scope="module")
def harness(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Harness]:
    with pytest.MonkeyPatch.context() as mp:
        for name in ("LEXDIAL_DATABASE_URL", "LEXDIAL_MASTER_KEY", "LEXDIAL_WEBHOOK_URL"):
            mp.delenv(name, raising=False)
        h = Harness(tmp_path_factory.mktemp("api-fuzz"))
        with h.client:
            yield h
        h.store.db.dispose()


FUZZ = settings(
    max_examples=sizes.API_CASES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    database=None,
    # CI runs the same cases every time; the long run explores new ones
    derandomize=not sizes.LONG,
)


def check(harness: Harness, case: Any, role: str) -> None:
    headers = harness.headers(role)
    before = harness.counts()
    sizes.add(f"API fuzz cases ({role})")
    response = case.call(headers=headers)  # an exception out of the app fails the case
    status, body = response.status_code, response.content
    where = f"{case.method} {case.formatted_path}: {status} {body[:300]!r}"
    # 502/503 are deliberate answers (a carrier down, a webhook not configured), in
    # lexdial's error shape; 500 is never one
    assert status < 500 or (status in (502, 503) and b'"error"' in body), where
    assert b"Traceback" not in body, where
    if status in (400, 422):
        error = json.loads(body).get("error", {})
        assert error.get("field"), where
    if 400 <= status < 500:
        after = harness.counts()
        changed = {k for k in after if after[k] != before[k] and k not in MAY_GROW_ON_REFUSAL}
        assert not changed, f"{case.method} {case.formatted_path} {status} wrote {changed}"


def _operations(harness: Harness) -> list[Any]:
    schema = schemathesis.openapi.from_asgi("/openapi.json", harness.app)
    return [result.ok() for result in schema.get_all_operations()]


def _fuzz_every_operation(harness: Harness, role: str) -> None:
    """Each operation in turn, valid and invalid inputs; every failing operation is
    reported (one bad route does not hide the next)."""
    failures = []
    operations = _operations(harness)
    for op in operations:
        cases = st.one_of(
            op.as_strategy(GenerationMode.POSITIVE), op.as_strategy(GenerationMode.NEGATIVE)
        )

        @FUZZ
        @given(case=cases)
        def run(case: Any) -> None:
            check(harness, case, role)

        try:
            run()
        except Exception as exc:  # collected and reported together below
            failures.append(f"{op.label}: {str(exc).splitlines()[0][:400]}")
    sizes.add("API operations fuzzed per role", len(operations) if role == "admin" else 0)
    assert not failures, "\n".join(failures)


def test_no_operation_fails_or_half_writes_for_an_admin(harness: Harness) -> None:
    _fuzz_every_operation(harness, "admin")


def test_no_operation_fails_or_half_writes_for_an_agent(harness: Harness) -> None:
    _fuzz_every_operation(harness, "agent")
