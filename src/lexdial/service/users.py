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
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, insert, select

from lexdial.adapters.db import tables as t
from lexdial.domain.roles import ROLES as ROLES
from lexdial.errors import PermissionDeniedError, RequestError
from lexdial.service.ports import Audit, Cipher

if TYPE_CHECKING:
    from lexdial.service.storage import UnitOfWork

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


def _connection(target: Any) -> Connection:
    # transitional (issue 10): callers pass a unit of work or, until they move, a connection
    if isinstance(target, Connection):  # its own .connection is the DBAPI connection
        return target
    conn: Connection = target.connection
    return conn


def authorize(
    uow: UnitOfWork | Connection, caller: Caller, action: str, firm_id: int | None = None
) -> str:
    """The caller's audit label if its role allows ``action`` (and, given ``firm_id``, if a
    user caller belongs to that firm: a user acts for their own firm only); else
    PermissionDeniedError."""
    conn = _connection(uow)
    role = _user(conn, caller.user_id) if caller.user_id is not None else caller.role
    if role not in ALLOWED.get(action, frozenset({"admin"})):
        raise PermissionDeniedError(f"a caller with role '{role}' may not do '{action}'")
    if firm_id is not None:
        check_same_firm(conn, caller, firm_id)
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
    actor = authorize(conn, caller, "users.write", firm_id)
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
    firm_id: int | None = None,
) -> int:
    """Record that the user completed ``course`` on ``on``, valid for ``valid_days``
    (a user of ``firm_id`` when given; a user caller's own firm always)."""
    target = user_in_firm(conn, user_id, firm_id)
    actor = authorize(conn, caller, "users.write", target)
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


def trained_agents(conn: Connection, firm_id: int, day: date) -> list[int]:
    """The firm's active agents with a training attestation covering ``day``: who may take
    its live calls (another firm's agents never take this firm's calls)."""
    u = t.users.c
    ids = conn.execute(
        select(u.id).where(u.firm_id == firm_id, u.role == "agent", u.active.is_(True))
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


def user_in_firm(conn: Connection, user_id: int, firm_id: int | None) -> int:
    """The firm of user ``user_id``; a RequestError naming it when it is not ``firm_id``'s
    (another firm's user is answered like an unknown one)."""
    firm = conn.execute(select(t.users.c.firm_id).where(t.users.c.id == user_id)).scalar()
    if firm is None or (firm_id is not None and firm != firm_id):
        raise RequestError("user_id", f"no user #{user_id} in this firm")
    return int(firm)


def firm_of(uow: UnitOfWork | Connection, user_id: int) -> int:
    """The one firm a user belongs to (PermissionDeniedError for an unknown user)."""
    conn = _connection(uow)
    firm = conn.execute(select(t.users.c.firm_id).where(t.users.c.id == user_id)).scalar()
    if firm is None:
        raise PermissionDeniedError(f"no active user #{user_id}")
    return int(firm)


def check_same_firm(uow: UnitOfWork | Connection, caller: Caller, firm_id: int) -> None:
    """Refuse a user acting on a firm that is not theirs (as if the record did not exist,
    for the caller: another firm's user ids and records are not confirmed)."""
    conn = _connection(uow)
    if caller.user_id is not None and firm_of(conn, caller.user_id) != firm_id:
        raise PermissionDeniedError(f"user #{caller.user_id} does not belong to this firm")
