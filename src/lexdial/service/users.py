"""Users, roles and training: who may do what, and who may speak to the public.

Rule 1: every service that changes the store is called on behalf of a user whose role is
checked here; an auditor reads only (47 CFR 64.1200(c)(2)(i)(B) and (d)(2): personnel are
trained; TSR 310.4(b)(3)(ii)).
Rule 2: an agent without a current training attestation cannot be assigned to a campaign
where a live person speaks (preview, progressive, predictive, manual).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import Connection, insert, select

from lexdial.adapters.db import tables as t
from lexdial.domain.roles import ROLES as ROLES
from lexdial.errors import PermissionDeniedError, RequestError
from lexdial.service.ports import Audit, Cipher

#: what each action needs; an action not listed needs admin. "system" is lexdial itself
#: (the dialer, the IVR, webhooks), never a person.
ALLOWED: dict[str, frozenset[str]] = {
    "read": frozenset({*ROLES, "system"}),
    "decision.write": frozenset({"admin", "compliance", "manager", "agent", "system"}),
    #: "public" is the firm's consent page, recording what a person gave there themself
    "consent.write": frozenset({"admin", "compliance", "manager", "agent", "public"}),
    #: creating a person: staff, lexdial's own webhooks (CRM) and the public consent page
    "contact.write": frozenset({"admin", "compliance", "manager", "agent", "system", "public"}),
    "optout.write": frozenset({"admin", "compliance", "manager", "agent", "system"}),
    "campaign.write": frozenset({"admin", "compliance", "manager"}),
    "privacy.write": frozenset({"admin", "compliance"}),
    "registry.write": frozenset({"admin", "compliance"}),
    "users.write": frozenset({"admin"}),
    "keys.rotate": frozenset({"admin"}),
    #: the audit trail, evidence bundles and the user list: not for agents' eyes
    "audit.read": frozenset({"admin", "compliance", "auditor"}),
    "import.write": frozenset({"admin", "compliance", "manager"}),
    #: deciding whether a free-text message was a revocation is a compliance judgement
    "review.write": frozenset({"admin", "compliance"}),
    "users.read": frozenset({"admin", "compliance", "auditor"}),
}
LIVE_MODES = frozenset({"manual", "preview", "progressive", "predictive"})
#: roles that see a person's telephone number whole (API and dashboard alike); an agent sees it
#: masked: the dialler dials for them, and a screen or screenshot then cannot leak it. The
#: auditor checks consent evidence against the number, so sees it.
FULL_NUMBER_ROLES = frozenset({"admin", "compliance", "manager", "auditor"})


@dataclass(frozen=True, slots=True)
class Caller:
    """Who is acting: a user (role read from the store), lexdial itself, or the local
    operator of the command line (who holds the key file, so acts as admin)."""

    label: str
    role: str
    user_id: int | None = None

    @classmethod
    def user(cls, user_id: int) -> Caller:
        return cls(f"user:{user_id}", "", user_id)


SYSTEM = Caller("system:lexdial", "system")
OPERATOR = Caller("cli:operator", "admin")


def authorize(conn: Connection, caller: Caller, action: str) -> str:
    """The caller's audit label if its role allows ``action``; PermissionDeniedError if not."""
    role = _user(conn, caller.user_id) if caller.user_id is not None else caller.role
    if role not in ALLOWED.get(action, frozenset({"admin"})):
        raise PermissionDeniedError(f"a caller with role '{role}' may not do '{action}'")
    return caller.label


def add_user(
    conn: Connection,
    cipher: Cipher,
    firm_id: int,
    email: str,
    name: str,
    role: str,
    at: datetime,
    *,
    audit: Audit,
    caller: Caller,
) -> int:
    """A new user of the firm; only an admin may create one (admins included), audited."""
    actor = authorize(conn, caller, "users.write")
    if role not in ROLES:
        raise RequestError("role", "must be one of " + ", ".join(ROLES))
    if "@" not in email or len(email) > 320:
        raise RequestError("email", "is not an e-mail address")
    known = conn.execute(select(t.users.c.id).where(t.users.c.email == email.lower())).first()
    if known is not None:
        raise RequestError("email", "a user with this e-mail already exists")
    user_id = t.new_id(
        conn.execute(
            insert(t.users).values(
                firm_id=firm_id,
                email=email.lower(),
                name_enc=cipher.encrypt(name, context="users.name"),
                role=role,
                created_at=at,
            )
        )
    )
    # the e-mail and name are personal data: the entry names the user by id and role
    audit.record(
        conn, at=at, actor=actor, action="user.created", subject=f"user:{user_id}",
        data={"role": role},
    )  # fmt: skip
    return user_id


def attest_training(
    conn: Connection,
    user_id: int,
    course: str,
    on: date,
    valid_days: int,
    at: datetime,
    caller: Caller,
    *,
    audit: Audit,
) -> int:
    """Record that the user completed ``course`` on ``on``, valid for ``valid_days``."""
    actor = authorize(conn, caller, "users.write")
    if valid_days <= 0:
        raise RequestError("valid_days", "must be a positive number of days")
    if not course.strip():
        raise RequestError("course", "is required")
    _user(conn, user_id)
    expires = on + timedelta(days=valid_days)
    attestation_id = t.new_id(
        conn.execute(
            insert(t.training_attestations).values(
                user_id=user_id,
                course=course,
                attested_on=on,
                expires_on=expires,
                created_at=at,
            )
        )
    )
    audit.record(
        conn,
        at=at,
        actor=actor,
        action="training.attested",
        subject=f"user:{user_id}",
        data={"attestation": attestation_id, "course": course, "on": str(on),
              "expires_on": str(expires)},
    )  # fmt: skip
    return attestation_id


def trained_on(conn: Connection, user_id: int, day: date) -> bool:
    """True when an attestation covers ``day``."""
    hit = conn.execute(
        select(t.training_attestations.c.id).where(
            t.training_attestations.c.user_id == user_id,
            t.training_attestations.c.attested_on <= day,
            t.training_attestations.c.expires_on >= day,
        )
    ).first()
    return hit is not None


def trained_agents(conn: Connection, day: date) -> list[int]:
    """Active agents with a training attestation covering ``day``: who may take live calls."""
    ids = conn.execute(
        select(t.users.c.id).where(t.users.c.role == "agent", t.users.c.active.is_(True))
    ).scalars()
    return [int(i) for i in ids if trained_on(conn, int(i), day)]


def check_agent(conn: Connection, user_id: int, mode: str, day: date) -> None:
    """Refuse an agent for a live-agent campaign without current training."""
    _user(conn, user_id)
    if mode in LIVE_MODES and not trained_on(conn, user_id, day):
        raise PermissionDeniedError(
            f"user #{user_id} has no current training attestation and may not take live calls"
        )


def _user(conn: Connection, user_id: int) -> str:
    row = conn.execute(
        select(t.users.c.role, t.users.c.active).where(t.users.c.id == user_id)
    ).first()
    if row is None or not row[1]:
        raise PermissionDeniedError(f"no active user #{user_id}")
    return str(row[0])
