"""Who is calling the API or using the web app: tokens, passwords, sessions.

Rule 1: secrets are never stored — a token or session cookie is kept as its SHA-256 (they
are long random strings, so a fast hash is enough), a password as scrypt with its own salt.
Rule 2: a revoked token, an expired session or a deactivated user is anonymous; the role is
read from the user row on every request (``users.authorize``), so a demotion is immediate.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import TYPE_CHECKING

from lexdial.errors import NotFoundError, PermissionDeniedError, RequestError
from lexdial.service.ports import Audit
from lexdial.service.users import Caller, authorize, user_in_firm

if TYPE_CHECKING:
    from lexdial.service.storage import UnitOfWork

TOKEN_PREFIX = "ldk_"
SESSION_HOURS = 12
_SCRYPT = {"n": 2**14, "r": 8, "p": 1, "dklen": 32}


@dataclass(frozen=True, slots=True)
class NewToken:
    id: int
    token: str  # shown once, never stored


@dataclass(frozen=True, slots=True)
class Session:
    token: str
    csrf: str
    user_id: int
    expires_at: datetime


def _sha(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    key = hashlib.scrypt(password.encode(), salt=salt, **_SCRYPT)
    return f"scrypt${salt.hex()}${key.hex()}"


def check_password(password: str, stored: str | None) -> bool:
    if not stored or not stored.startswith("scrypt$"):
        return False
    _, salt, key = stored.split("$")
    got = hashlib.scrypt(password.encode(), salt=bytes.fromhex(salt), **_SCRYPT)
    return hmac.compare_digest(got.hex(), key)


def set_password(
    uow: UnitOfWork,
    audit: Audit,
    user_id: int,
    password: str,
    caller: Caller,
    at: datetime,
    firm_id: int | None = None,
) -> None:
    """Set a user's web log-in password (the firm's admins, or the user themself)."""
    target = user_in_firm(uow, user_id, firm_id)
    if caller.user_id != user_id:
        authorize(uow, caller, "users.write", target)
    if len(password) < 12:
        raise RequestError("password", "must be at least 12 characters")
    uow.users.set_password_hash(user_id, hash_password(password))
    # a new password ends every open session: whoever knew the old one is logged out
    uow.users.end_sessions(user_id)
    audit.record(
        uow,
        at=at,
        actor=caller.label,
        action="user.password_set",
        subject=f"user:{user_id}",
        data={},
    )


def issue_token(
    uow: UnitOfWork,
    audit: Audit,
    user_id: int,
    name: str,
    caller: Caller,
    at: datetime,
    firm_id: int | None = None,
) -> NewToken:
    """A new personal API token for ``user_id`` (the firm's admins, or the user themself)."""
    target = user_in_firm(uow, user_id, firm_id)
    if caller.user_id != user_id:
        authorize(uow, caller, "users.write", target)
    if not name.strip() or len(name) > 100:
        raise RequestError("name", "give the token a name (at most 100 characters)")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token_id = uow.users.add_token(
        user_id, name.strip(), token[:10], _sha(token), at.astimezone(UTC)
    )
    audit.record(
        uow,
        at=at,
        actor=caller.label,
        action="token.issued",
        subject=f"token:{token_id}",
        data={"user": user_id, "name": name.strip()},
    )
    return NewToken(token_id, token)


def revoke_token(
    uow: UnitOfWork,
    audit: Audit,
    token_id: int,
    caller: Caller,
    at: datetime,
    firm_id: int | None = None,
) -> None:
    owner = uow.users.token_owner(token_id)
    if owner is None or (firm_id is not None and owner.firm_id != firm_id):
        raise NotFoundError("token", f"no token #{token_id}")
    if caller.user_id != owner.user_id:
        authorize(uow, caller, "users.write", owner.firm_id)
    uow.users.revoke_token(token_id, at.astimezone(UTC))
    audit.record(
        uow,
        at=at,
        actor=caller.label,
        action="token.revoked",
        subject=f"token:{token_id}",
        data={},
    )


def caller_for_token(uow: UnitOfWork, token: str, at: datetime) -> Caller | None:
    """The user a bearer token speaks for, or None (unknown, revoked, inactive user)."""
    if not token.startswith(TOKEN_PREFIX):
        return None
    found = uow.users.live_token(_sha(token))
    if found is None or not found.active:
        return None
    uow.users.token_used(found.id, at.astimezone(UTC))
    return Caller.user(found.user_id)


def log_in(uow: UnitOfWork, audit: Audit, email: str, password: str, at: datetime) -> Session:
    """Check e-mail and password; a new session, or PermissionDeniedError (one message for all)."""
    user = uow.users.login_user(email.strip().lower())
    # an unknown or inactive e-mail costs the same scrypt work: timing must not tell which
    stored = user.password_hash if user is not None and user.active else _dummy_hash()
    ok = check_password(password, stored) and user is not None and user.active
    if not ok:
        raise PermissionDeniedError("wrong e-mail or password")
    assert user is not None
    token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(24)
    expires = at.astimezone(UTC) + timedelta(hours=SESSION_HOURS)
    uow.users.add_session(_sha(token), user.user_id, csrf, at.astimezone(UTC), expires)
    audit.record(
        uow,
        at=at,
        actor=f"user:{user.user_id}",
        action="user.logged_in",
        subject=f"user:{user.user_id}",
        data={},
    )
    return Session(token, csrf, user.user_id, expires)


def session_caller(uow: UnitOfWork, token: str, at: datetime) -> tuple[Caller, str] | None:
    """The user and CSRF token of a live session cookie, or None."""
    row = uow.users.session(_sha(token))
    if row is None or not row.active:
        return None
    if row.expires_at <= at:
        return None
    return Caller.user(row.user_id), row.csrf


@cache
def _dummy_hash() -> str:
    """A hash no password matches, checked when the e-mail is unknown (equal timing)."""
    return hash_password(secrets.token_urlsafe(16))


def record_failed_login(uow: UnitOfWork, audit: Audit, email: str, at: datetime) -> None:
    """Audit a refused log-in (the e-mail is masked in the trail: it is personal data)."""
    audit.record(
        uow,
        at=at,
        actor="anonymous",
        action="user.login_failed",
        subject="login:0",  # no user: the e-mail may not even belong to one
        data={"email": email.strip().lower()[:320]},
        personal=("email",),
    )


def log_out(uow: UnitOfWork, token: str) -> None:
    uow.users.end_session(_sha(token))
