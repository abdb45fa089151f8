"""The error tree and its one map per face: every class has its exit status, HTTP status
and stable code; the JSON API answers every error, FastAPI's own too, in one shape; the
CLI never shows a traceback."""

from __future__ import annotations

import inspect
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import BaseModel

import lexdial.errors as errors
from lexdial.entrypoints import cli
from lexdial.entrypoints.api.errors import describe, install
from lexdial.errors import (
    AuditBrokenError,
    AuditConflictError,
    CallStateError,
    CampaignError,
    CheckpointMismatchError,
    ConfigError,
    CryptoError,
    LexdialError,
    NotFoundError,
    PermissionDeniedError,
    RequestError,
    RulePackError,
    TelephonyError,
    UploadTooLargeError,
)

#: (an instance, exit status, HTTP status, code) per class of the tree
TREE = [
    pytest.param(
        RequestError("number", "is not a number"), 2, 422, "invalid_request", id="request"
    ),
    pytest.param(NotFoundError("contact_id", "no contact #9"), 7, 404, "not_found", id="notfound"),
    pytest.param(UploadTooLargeError("file", "too big"), 2, 413, "upload_too_large", id="upload"),
    pytest.param(RulePackError("bad pack"), 3, 500, "rule_pack_invalid", id="rulepack"),
    pytest.param(ConfigError("bad settings"), 3, 500, "config_invalid", id="config"),
    pytest.param(PermissionDeniedError("no"), 4, 403, "permission_denied", id="permission"),
    pytest.param(CampaignError("refused", ("a", "b")), 5, 409, "campaign_refused", id="campaign"),
    pytest.param(CheckpointMismatchError("lost"), 5, 500, "checkpoint_mismatch", id="checkpoint"),
    pytest.param(AuditBrokenError("broken"), 5, 500, "audit_broken", id="audit-broken"),
    pytest.param(AuditConflictError("raced"), 1, 500, "audit_conflict", id="audit"),
    pytest.param(CryptoError("tampered"), 1, 500, "crypto_error", id="crypto"),
    pytest.param(
        CallStateError("c1", "idle", "hangup", "why"), 1, 500, "call_state_error", id="call"
    ),
    pytest.param(TelephonyError("down"), 6, 502, "telephony_error", id="telephony"),
]


def test_every_class_of_the_tree_lives_in_errors_and_is_covered_here() -> None:
    defined = {
        obj
        for obj in vars(errors).values()
        if inspect.isclass(obj) and issubclass(obj, LexdialError) and obj is not LexdialError
    }
    assert defined == {type(p.values[0]) for p in TREE}
    assert set(errors.__all__) == {c.__name__ for c in defined} | {"LexdialError"}


def test_the_adapters_error_classes_are_the_trees_own() -> None:
    from lexdial.adapters import crypto
    from lexdial.adapters.audit import checkpoint
    from lexdial.domain import audit_chain as chain

    assert (chain.AuditConflictError, checkpoint.CheckpointMismatchError, crypto.CryptoError) == (
        AuditConflictError,
        CheckpointMismatchError,
        CryptoError,
    )


@pytest.mark.parametrize(("exc", "exit_code", "status", "code"), TREE)
def test_each_error_has_one_exit_status_one_http_status_and_one_shape(
    exc: LexdialError, exit_code: int, status: int, code: str
) -> None:
    assert exc.exit_code == exit_code
    info = describe(exc)
    assert (info.status, info.code, info.type) == (status, code, type(exc).__name__)
    body = info.body()
    assert set(body) == {"error"}
    assert {"type", "code", "message"} <= set(body["error"])
    if isinstance(exc, RequestError):
        assert body["error"]["field"] == exc.field
    if isinstance(exc, CampaignError):
        assert body["error"]["message"] == "refused" and body["error"]["problems"] == ["a", "b"]


def test_a_missing_thing_is_still_bad_input_to_code_that_catches_request_errors() -> None:
    assert issubclass(NotFoundError, RequestError)


class _Body(BaseModel):
    count: int


def _app() -> TestClient:
    app = FastAPI()
    install(app)

    @app.post("/things")
    def make(body: _Body) -> dict[str, int]:
        return {"count": body.count}

    @app.get("/things/{thing_id}")
    def read(thing_id: int) -> dict[str, int]:
        raise NotFoundError("thing_id", f"no thing #{thing_id}")

    @app.get("/boom")
    def boom() -> None:
        raise ZeroDivisionError("a bug")

    return TestClient(app, raise_server_exceptions=False)


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "code", "field"),
    [
        pytest.param("POST", "/things", {"count": "many"}, 422, "invalid_request", "count",
                      id="validation"),
        pytest.param("POST", "/things", None, 422, "invalid_request", "body", id="no-body"),
        pytest.param("GET", "/things/3", None, 404, "not_found", "thing_id", id="not-found"),
        pytest.param("GET", "/nowhere", None, 404, "not_found", None, id="unknown-route"),
        pytest.param("DELETE", "/things", None, 405, "method_not_allowed", None, id="method"),
        pytest.param("GET", "/boom", None, 500, "internal_error", None, id="bug"),
    ],
)  # fmt: skip
def test_fastapis_own_errors_have_the_same_shape_as_lexdials(
    method: str, path: str, body: object, status: int, code: str, field: str | None
) -> None:
    res = _app().request(method, path, json=body)
    assert res.status_code == status
    error = res.json()["error"]
    assert set(res.json()) == {"error"} and error["code"] == code
    assert error.get("field") == field
    assert "a bug" not in error["message"]  # a bug's own words stay in the log


def test_an_unexpected_error_on_the_command_line_is_one_line_and_a_report_file(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    def explode(args: object) -> None:
        raise ZeroDivisionError("a bug")

    monkeypatch.setenv("TMPDIR", str(tmp_path))
    monkeypatch.setattr("tempfile.tempdir", None)
    monkeypatch.setitem(cli.COMMANDS, "rules", explode)
    assert cli.main(["rules"]) == 1
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1 and "Traceback" not in err
    assert err.startswith("error: unexpected ZeroDivisionError;")
    report = next(tmp_path.glob("lexdial-error-*.log"))
    assert str(report) in err and "ZeroDivisionError: a bug" in report.read_text()
    assert report.stat().st_mode & 0o077 == 0


def test_the_help_lists_every_exit_status_of_the_tree() -> None:
    text = cli.build_parser().format_help()
    for exc in (p.values[0] for p in TREE):
        assert f"  {exc.exit_code}  " in text  # type: ignore[attr-defined]
