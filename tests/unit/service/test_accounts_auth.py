"""API tokens, passwords and web sessions on the in-memory unit of work (``service.auth``)."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

import pytest

from lexdial.errors import PermissionDeniedError, RequestError
from lexdial.service.auth import (
    caller_for_token,
    issue_token,
    log_in,
    log_out,
    record_failed_login,
    revoke_token,
    session_caller,
    set_password,
)
from lexdial.service.fakes import ListAudit
from lexdial.service.fakes.uow import MemoryUnitOfWork
from lexdial.service.users import OPERATOR, Caller

NOW = datetime(2026, 12, 2, 16, 0, tzinfo=UTC)
PASSWORD = "correct horse battery staple"


def test_a_token_is_shown_once_stored_only_as_its_hash_and_finds_its_user() -> None:
    uow, audit = MemoryUnitOfWork(), ListAudit()
    uid = uow.users.seed(1, "agent")
    new = issue_token(uow, audit, uid, " laptop ", OPERATOR, NOW)
    stored = uow.users.tokens[new.id]
    assert stored["token_hash"] == hashlib.sha256(new.token.encode()).hexdigest()
    assert new.token not in str(uow.users.tokens) and stored["name"] == "laptop"
    assert caller_for_token(uow, new.token, NOW + timedelta(hours=1)) == Caller.user(uid)
    assert stored["last_used_at"] == NOW + timedelta(hours=1)
    assert audit.entries[0]["action"] == "token.issued"
    assert new.token not in str(audit.entries)


def test_an_unknown_revoked_or_foreign_looking_token_or_an_inactive_user_is_anonymous() -> None:
    uow = MemoryUnitOfWork()
    uid = uow.users.seed(1, "agent")
    kept = issue_token(uow, ListAudit(), uid, "kept", OPERATOR, NOW)
    revoked = issue_token(uow, ListAudit(), uid, "revoked", OPERATOR, NOW)
    revoke_token(uow, ListAudit(), revoked.id, OPERATOR, NOW, firm_id=1)
    assert caller_for_token(uow, revoked.token, NOW) is None
    assert caller_for_token(uow, "ldk_not-a-token", NOW) is None
    assert caller_for_token(uow, kept.token.removeprefix("ldk_"), NOW) is None
    uow.users.rows[uid]["active"] = False
    assert caller_for_token(uow, kept.token, NOW) is None


def test_a_user_manages_their_own_tokens_and_only_their_firms_admin_manages_others() -> None:
    uow = MemoryUnitOfWork()
    agent, other_agent = uow.users.seed(1, "agent"), uow.users.seed(1, "agent")
    admin2 = Caller.user(uow.users.seed(2, "admin"))
    own = issue_token(uow, ListAudit(), agent, "mine", Caller.user(agent), NOW)
    with pytest.raises(PermissionDeniedError):
        issue_token(uow, ListAudit(), other_agent, "theirs", Caller.user(agent), NOW)
    with pytest.raises(RequestError, match="no token"):
        revoke_token(uow, ListAudit(), own.id, admin2, NOW, firm_id=2)
    with pytest.raises(PermissionDeniedError):
        revoke_token(uow, ListAudit(), own.id, admin2, NOW)
    with pytest.raises(RequestError, match="no token"):
        revoke_token(uow, ListAudit(), 999, OPERATOR, NOW)
    revoke_token(uow, ListAudit(), own.id, Caller.user(agent), NOW)
    assert uow.users.tokens[own.id]["revoked_at"] == NOW


def test_a_log_in_opens_a_session_that_expires_and_a_new_password_ends_it() -> None:
    uow, audit = MemoryUnitOfWork(), ListAudit()
    uid = uow.users.seed(1, "manager", email="m@firm.test")
    set_password(uow, audit, uid, PASSWORD, OPERATOR, NOW)
    assert PASSWORD not in str(uow.users.rows)
    session = log_in(uow, audit, " M@Firm.test ", PASSWORD, NOW)
    assert session.user_id == uid and session.expires_at == NOW + timedelta(hours=12)
    assert session_caller(uow, session.token, NOW + timedelta(hours=1)) == (
        Caller.user(uid),
        session.csrf,
    )
    assert session_caller(uow, session.token, NOW + timedelta(hours=12)) is None
    assert session_caller(uow, "not-a-session", NOW) is None
    set_password(uow, audit, uid, "another long passphrase", Caller.user(uid), NOW)
    assert session_caller(uow, session.token, NOW) is None
    assert [e["action"] for e in audit.entries] == [
        "user.password_set",
        "user.logged_in",
        "user.password_set",
    ]


def test_a_naive_stored_expiry_is_read_as_utc() -> None:
    uow = MemoryUnitOfWork()
    uid = uow.users.seed(1, "agent")
    token_hash = hashlib.sha256(b"cookie").hexdigest()
    uow.users.add_session(token_hash, uid, "csrf", NOW, datetime(2026, 12, 2, 18, 0))
    assert session_caller(uow, "cookie", NOW) == (Caller.user(uid), "csrf")
    assert session_caller(uow, "cookie", NOW + timedelta(hours=2)) is None


def test_a_wrong_password_an_unknown_e_mail_or_an_inactive_user_get_the_same_refusal() -> None:
    uow = MemoryUnitOfWork()
    uid = uow.users.seed(1, "agent", email="a@firm.test")
    set_password(uow, ListAudit(), uid, PASSWORD, OPERATOR, NOW)
    for email, password in (("a@firm.test", "wrong password!"), ("b@firm.test", PASSWORD)):
        with pytest.raises(PermissionDeniedError, match="wrong e-mail or password"):
            log_in(uow, ListAudit(), email, password, NOW)
    uow.users.rows[uid]["active"] = False
    with pytest.raises(PermissionDeniedError, match="wrong e-mail or password"):
        log_in(uow, ListAudit(), "a@firm.test", PASSWORD, NOW)
    assert uow.users.sessions == {}


def test_a_short_password_is_refused_and_a_log_out_ends_the_session() -> None:
    uow = MemoryUnitOfWork()
    uid = uow.users.seed(1, "agent", email="a@firm.test")
    with pytest.raises(RequestError, match="12 characters"):
        set_password(uow, ListAudit(), uid, "short", OPERATOR, NOW)
    set_password(uow, ListAudit(), uid, PASSWORD, OPERATOR, NOW)
    session = log_in(uow, ListAudit(), "a@firm.test", PASSWORD, NOW)
    log_out(uow, session.token)
    assert session_caller(uow, session.token, NOW) is None


def test_a_failed_log_in_is_audited_with_the_e_mail_marked_personal() -> None:
    audit = ListAudit()
    record_failed_login(MemoryUnitOfWork(), audit, " Who@Firm.test ", NOW)
    assert audit.entries == [
        {
            "at": NOW,
            "actor": "anonymous",
            "action": "user.login_failed",
            "subject": "login:0",
            "data": {"email": "who@firm.test"},
        }
    ]
