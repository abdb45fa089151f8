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

from sqlalchemy import Connection, insert, select, update

from lexdial.adapters.db import tables as t
from lexdial.errors import PermissionDeniedError, RequestError
from lexdial.service.ports import Audit
from lexdial.service.users import Caller, authorize, user_in_firm

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
    conn: Connection,
    audit: Audit,
    user_id: int,
    password: str,
    caller: Caller,
    at: datetime,
    firm_id: int | None = None,
) -> None:
    """Set a user's web log-in password (the firm's admins, or the user themself)."""
    target = user_in_firm(conn, user_id, firm_id)
    if caller.user_id != user_id:
        authorize(conn, caller, "users.write", target)
    if len(password) < 12:
        raise RequestError("password", "must be at least 12 characters")
    conn.execute(
        update(t.users).where(t.users.c.id == user_id).values(password_hash=hash_password(password))
    )
    # a new password ends every open session: whoever knew the old one is logged out
    conn.execute(t.web_sessions.delete().where(t.web_sessions.c.user_id == user_id))
    audit.record(
        conn,
        at=at,
        actor=caller.label,
        action="user.password_set",
        subject=f"user:{user_id}",
        data={},
    )


def issue_token(
    conn: Connection,
    audit: Audit,
    user_id: int,
    name: str,
    caller: Caller,
    at: datetime,
    firm_id: int | None = None,
) -> NewToken:
    """A new personal API token for ``user_id`` (the firm's admins, or the user themself)."""
    target = user_in_firm(conn, user_id, firm_id)
    if caller.user_id != user_id:
        authorize(conn, caller, "users.write", target)
    if not name.strip() or len(name) > 100:
        raise RequestError("name", "give the token a name (at most 100 characters)")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token_id = t.new_id(
        conn.execute(
            insert(t.api_tokens).values(
                user_id=user_id,
                name=name.strip(),
                prefix=token[:10],
                token_hash=_sha(token),
                created_at=at.astimezone(UTC),
            )
        )
    )
    audit.record(
        conn,
        at=at,
        actor=caller.label,
        action="token.issued",
        subject=f"token:{token_id}",
        data={"user": user_id, "name": name.strip()},
    )
    return NewToken(token_id, token)


def revoke_token(
    conn: Connection,
    audit: Audit,
    token_id: int,
    caller: Caller,
    at: datetime,
    firm_id: int | None = None,
) -> None:
    row = conn.execute(
        select(t.api_tokens.c.user_id, t.users.c.firm_id)
        .join(t.users, t.users.c.id == t.api_tokens.c.user_id)
        .where(t.api_tokens.c.id == token_id)
    ).first()
    if row is None or (firm_id is not None and row[1] != firm_id):
        raise RequestError("token", f"no token #{token_id}")
    if caller.user_id != row[0]:
        authorize(conn, caller, "users.write", int(row[1]))
    conn.execute(
        update(t.api_tokens)
        .where(t.api_tokens.c.id == token_id)
        .values(revoked_at=at.astimezone(UTC))
    )
    audit.record(
        conn,
        at=at,
        actor=caller.label,
        action="token.revoked",
        subject=f"token:{token_id}",
        data={},
    )


def caller_for_token(conn: Connection, token: str, at: datetime) -> Caller | None:
    """The user a bearer token speaks for, or None (unknown, revoked, inactive user)."""
    if not token.startswith(TOKEN_PREFIX):
        return None
    row = conn.execute(
        select(t.api_tokens.c.id, t.api_tokens.c.user_id, t.users.c.active)
        .join(t.users, t.users.c.id == t.api_tokens.c.user_id)
        .where(t.api_tokens.c.token_hash == _sha(token), t.api_tokens.c.revoked_at.is_(None))
    ).first()
    if row is None or not row[2]:
        return None
    conn.execute(
        update(t.api_tokens)
        .where(t.api_tokens.c.id == row[0])
        .values(last_used_at=at.astimezone(UTC))
    )
    return Caller.user(int(row[1]))


def log_in(conn: Connection, audit: Audit, email: str, password: str, at: datetime) -> Session:
    """Check e-mail and password; a new session, or PermissionDeniedError (one message for all)."""
    row = conn.execute(
        select(t.users.c.id, t.users.c.password_hash, t.users.c.active).where(
            t.users.c.email == email.strip().lower()
        )
    ).first()
    # an unknown or inactive e-mail costs the same scrypt work: timing must not tell which
    stored = row[1] if row is not None and row[2] else _dummy_hash()
    ok = check_password(password, stored) and row is not None and bool(row[2])
    if not ok:
        raise PermissionDeniedError("wrong e-mail or password")
    assert row is not None
    token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(24)
    expires = at.astimezone(UTC) + timedelta(hours=SESSION_HOURS)
    conn.execute(
        insert(t.web_sessions).values(
            token_hash=_sha(token),
            user_id=row[0],
            csrf=csrf,
            created_at=at.astimezone(UTC),
            expires_at=expires,
        )
    )
    audit.record(
        conn,
        at=at,
        actor=f"user:{row[0]}",
        action="user.logged_in",
        subject=f"user:{row[0]}",
        data={},
    )
    return Session(token, csrf, int(row[0]), expires)


def session_caller(conn: Connection, token: str, at: datetime) -> tuple[Caller, str] | None:
    """The user and CSRF token of a live session cookie, or None."""
    row = conn.execute(
        select(
            t.web_sessions.c.user_id,
            t.web_sessions.c.csrf,
            t.web_sessions.c.expires_at,
            t.users.c.active,
        )
        .join(t.users, t.users.c.id == t.web_sessions.c.user_id)
        .where(t.web_sessions.c.token_hash == _sha(token))
    ).first()
    if row is None or not row[3]:
        return None
    expires = row[2] if row[2].tzinfo else row[2].replace(tzinfo=UTC)
    if expires <= at:
        return None
    return Caller.user(int(row[0])), str(row[1])


@cache
def _dummy_hash() -> str:
    """A hash no password matches, checked when the e-mail is unknown (equal timing)."""
    return hash_password(secrets.token_urlsafe(16))


def record_failed_login(conn: Connection, audit: Audit, email: str, at: datetime) -> None:
    """Audit a refused log-in (the e-mail is masked in the trail: it is personal data)."""
    audit.record(
        conn,
        at=at,
        actor="anonymous",
        action="user.login_failed",
        subject="login:0",  # no user: the e-mail may not even belong to one
        data={"email": email.strip().lower()[:320]},
        personal=("email",),
    )


def log_out(conn: Connection, token: str) -> None:
    conn.execute(t.web_sessions.delete().where(t.web_sessions.c.token_hash == _sha(token)))
