"""An API over a fresh SQLite store: one user and one token per role, a test client."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from lexdial.adapters.db.uow import SqlUnitOfWork
from lexdial.bootstrap import Store, init_store
from lexdial.config import Settings
from lexdial.entrypoints.api.app import create_app
from lexdial.rules.context import Policy
from lexdial.service.auth import issue_token, set_password
from lexdial.service.users import OPERATOR, ROLES, add_user, attest_training

NOW = datetime(2026, 12, 2, 15, 0, tzinfo=UTC)  # Wed 10:00 in New York
FIRM = "Hartwell & Ruiz LLP"
PASSWORD = "correct horse battery staple"
#: where the test client sends its requests
BASE_URL = "https://testserver"


@dataclass
class Api:
    client: TestClient
    store: Store
    tokens: dict[str, str]  # role -> bearer token
    users: dict[str, int]  # role -> user id

    def headers(self, role: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[role]}"}


@pytest.fixture
def api(tmp_path: Path) -> Iterator[Api]:
    settings = Settings(policy=Policy(), firm_name=FIRM)
    store = init_store(settings, {"LEXDIAL_DATA_DIR": str(tmp_path / "data")}, now=NOW)
    tokens, users = {}, {}
    with store.db.begin() as conn:
        for role in ROLES:
            uid = add_user(SqlUnitOfWork(conn), store.cipher, store.firm_id, f"{role}@firm.test",
                           f"{role.title()} User", role, NOW, audit=store.audit,
                           caller=OPERATOR)  # fmt: skip
            if role == "agent":
                attest_training(SqlUnitOfWork(conn),
                                uid, "TCPA basics", NOW.date(), 365, NOW, OPERATOR,
                                audit=store.audit)  # fmt: skip
            set_password(SqlUnitOfWork(conn), store.audit, uid, PASSWORD, OPERATOR, NOW)
            tokens[role] = issue_token(
                SqlUnitOfWork(conn), store.audit, uid, "tests", OPERATOR, NOW
            ).token
            users[role] = uid
    app = create_app(store, clock=lambda: NOW, dial=False)
    # over HTTPS, as a site is reached in production: its cookies are Secure (``cookies``)
    with TestClient(app, base_url=BASE_URL) as client:
        yield Api(client, store, tokens, users)
    store.db.dispose()
