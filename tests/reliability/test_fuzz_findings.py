"""What the fuzzers found, each pinned by the smallest input that showed it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from lexdial.adapters.db.uow import SqlUnitOfWork
from lexdial.bootstrap import open_store
from lexdial.config import Settings, load_settings
from lexdial.domain.campaign_spec import parse_spec
from lexdial.domain.request_parse import parse_request
from lexdial.entrypoints.api.app import create_app
from lexdial.entrypoints.cli import main
from lexdial.errors import ConfigError, RequestError
from lexdial.rules.context import Policy
from lexdial.service.auth import issue_token
from lexdial.service.users import OPERATOR, add_user

NOW = datetime(2026, 12, 2, 15, 0, tzinfo=UTC)


@pytest.mark.parametrize(("key", "field"), [("", '""'), (" x", '" x"'), ("\ud800", '"\\ud800"')])
def test_an_unknown_field_with_an_empty_or_odd_name_is_still_named(key: str, field: str) -> None:
    with pytest.raises(RequestError) as caught:
        parse_request({key: 1})
    assert caught.value.field == field
    assert str(caught.value).startswith(field + ": unknown field")


@pytest.mark.parametrize("section", ["policy", "firm", "retention", "telephony", "rules", "store"])
def test_a_settings_section_that_is_not_a_table_is_refused_naming_it(
    tmp_path: Path, section: str
) -> None:
    path = tmp_path / "lexdial.toml"
    path.write_text(f"{section} = true\n")
    named = rf"lexdial.toml: {section} must be a \[{section}\] table"
    with pytest.raises(ConfigError, match=named):
        load_settings(path)


@pytest.mark.parametrize(("key", "field"), [("", '""'), ("\n", '"\\n"')])
def test_an_unknown_campaign_setting_with_an_empty_or_odd_name_is_still_named(
    key: str, field: str
) -> None:
    with pytest.raises(RequestError) as caught:
        parse_spec({"name": "R", "purpose": "reminder", "mode": "broadcast",
                    "message": {"text": "Hello."}, key: 1})  # fmt: skip
    assert caught.value.field == field


@pytest.mark.parametrize("anchor", [" ", "12", "x:y", "1:" + "g" * 64])
def test_a_malformed_audit_anchor_is_refused_naming_the_option(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], anchor: str
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("LEXDIAL_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("LEXDIAL_DATABASE_URL", raising=False)
    monkeypatch.delenv("LEXDIAL_MASTER_KEY", raising=False)
    assert main(["init", "--firm", "Hartwell & Ruiz LLP"]) == 0
    capsys.readouterr()
    assert main(["audit", "verify", "--anchor", anchor]) == 2
    last = capsys.readouterr().err.splitlines()[-1]  # after the line naming the store
    assert last.startswith("error: --anchor: an audit anchor is written")


@pytest.fixture
def api(tmp_path: Path) -> Iterator[tuple[TestClient, dict[str, str]]]:
    env = {"LEXDIAL_DATA_DIR": str(tmp_path / "data")}
    firm = Settings(policy=Policy(), firm_name="Hartwell & Ruiz LLP")
    store = open_store(firm, env, now=NOW, create=True)
    with store.db.begin() as conn:
        uid = add_user(SqlUnitOfWork(conn),
                       store.cipher, store.firm_id, "a@firm.test", "A", "admin", NOW,
                       audit=store.audit, caller=OPERATOR)  # fmt: skip
        token = issue_token(SqlUnitOfWork(conn), store.audit, uid, "t", OPERATOR, NOW).token
    with TestClient(create_app(store, clock=lambda: NOW, dial=False)) as client:
        yield client, {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    store.db.dispose()


@pytest.mark.parametrize(
    ("path", "body", "status"),
    [
        ("/v1/contacts", b"{", 422),  # broken JSON
        ("/v1/contacts", b"\xff{}", 400),  # not UTF-8: FastAPI's "error parsing the body"
        ("/v1/campaigns", b"[]", 422),  # JSON, but not an object
        ("/v1/decisions", b"not json", 422),  # lexdial's reader: whole-body problem
    ],
)
def test_a_body_that_cannot_be_read_is_refused_naming_the_body(
    api: tuple[TestClient, dict[str, str]], path: str, body: bytes, status: int
) -> None:
    client, headers = api
    res = client.post(path, content=body, headers=headers)
    assert res.status_code == status
    assert res.json()["error"]["field"] == "body"


@pytest.mark.parametrize(
    "path", ["/v1/campaigns/18446744073709551616", "/v1/review/-99999999999999999999/confirm"]
)
def test_an_id_outside_64_bits_is_refused_not_a_500(
    api: tuple[TestClient, dict[str, str]], path: str
) -> None:
    client, headers = api
    method = "POST" if path.endswith("confirm") else "GET"
    res = client.request(method, path, headers=headers, json={})
    assert res.status_code in (404, 422)


def test_a_deeply_nested_request_file_is_refused_without_a_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "deep.json"
    path.write_text("[" * 100_000 + "]" * 100_000)
    assert main(["decide", str(path)]) == 2
    assert capsys.readouterr().err.startswith("error: ")
