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
from typing import TYPE_CHECKING

from lexdial.domain.person_names import name_problem
from lexdial.domain.roles import ROLES as ROLES
from lexdial.errors import NotFoundError, PermissionDeniedError, RequestError
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
    #: pausing: staff, and the dialler itself when the carrier keeps failing
    "campaign.pause": frozenset({"admin", "compliance", "manager", "system"}),
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
    #: running the store-wide record check (minutes on a large store): not for every reader
    "audit.check": frozenset({"admin", "compliance"}),
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


def authorize(
    uow: UnitOfWork,
    caller: Caller,
    action: str,
    firm_id: int | None = None,
) -> str:
    """The caller's audit label if its role allows ``action`` (and, given ``firm_id``, if a
    user caller belongs to that firm: a user acts for their own firm only); else
    PermissionDeniedError."""
    role = _user(uow, caller.user_id) if caller.user_id is not None else caller.role
    if role not in ALLOWED.get(action, frozenset({"admin"})):
        raise PermissionDeniedError(f"a caller with role '{role}' may not do '{action}'")
    if firm_id is not None:
        check_same_firm(uow, caller, firm_id)
    return caller.label


def add_user(
    uow: UnitOfWork,
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
    actor = authorize(uow, caller, "users.write", firm_id)
    if role not in ROLES:
        raise RequestError("role", "must be one of " + ", ".join(ROLES))
    if "@" not in email or len(email) > 320:
        raise RequestError("email", "is not an e-mail address")
    if not name.strip():
        raise RequestError("name", "is required")
    # the name is shown on the dashboard, the desk and reports: refused as a contact's is
    if why := name_problem(name):
        raise RequestError("name", why)
    if uow.users.email_taken(email.lower()):
        raise RequestError("email", "a user with this e-mail already exists")
    user_id = uow.users.add(
        firm_id, email.lower(), cipher.encrypt(name, context="users.name"), role, at
    )
    # the e-mail and name are personal data: the entry names the user by id and role
    audit.record(
        uow, at=at, actor=actor, action="user.created", subject=f"user:{user_id}",
        data={"role": role},
    )  # fmt: skip
    return user_id


def attest_training(
    uow: UnitOfWork,
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
    target = user_in_firm(uow, user_id, firm_id)
    actor = authorize(uow, caller, "users.write", target)
    if valid_days <= 0:
        raise RequestError("valid_days", "must be a positive number of days")
    if not course.strip():
        raise RequestError("course", "is required")
    _user(uow, user_id)
    try:
        expires = on + timedelta(days=valid_days)
    except OverflowError:  # past 9999-12-31: no calendar (nor database) holds the date
        raise RequestError("valid_days", "would end after the year 9999") from None
    attestation_id = uow.users.add_attestation(user_id, course, on, expires, at)
    audit.record(
        uow,
        at=at,
        actor=actor,
        action="training.attested",
        subject=f"user:{user_id}",
        data={"attestation": attestation_id, "course": course, "on": str(on),
              "expires_on": str(expires)},
    )  # fmt: skip
    return attestation_id


def trained_on(uow: UnitOfWork, user_id: int, day: date) -> bool:
    """True when an attestation covers ``day``."""
    return uow.users.trained_on(user_id, day)


def trained_agents(uow: UnitOfWork, firm_id: int, day: date) -> list[int]:
    """The firm's active agents with a training attestation covering ``day``: who may take
    its live calls (another firm's agents never take this firm's calls)."""
    return [i for i in uow.users.active_agents(firm_id) if uow.users.trained_on(i, day)]


def check_agent(uow: UnitOfWork, user_id: int, mode: str, day: date) -> None:
    """Refuse an agent for a live-agent campaign without current training."""
    _user(uow, user_id)
    if mode in LIVE_MODES and not uow.users.trained_on(user_id, day):
        raise PermissionDeniedError(
            f"user #{user_id} has no current training attestation and may not take live calls"
        )


def _user(uow: UnitOfWork, user_id: int) -> str:
    role = uow.users.active_role(user_id)
    if role is None:
        raise PermissionDeniedError(f"no active user #{user_id}")
    return role


def user_in_firm(uow: UnitOfWork, user_id: int, firm_id: int | None) -> int:
    """The firm of user ``user_id``; a RequestError naming it when it is not ``firm_id``'s
    (another firm's user is answered like an unknown one)."""
    firm = uow.users.firm_of(user_id)
    if firm is None or (firm_id is not None and firm != firm_id):
        raise NotFoundError("user_id", f"no user #{user_id} in this firm")
    return firm


def firm_of(uow: UnitOfWork, user_id: int) -> int:
    """The one firm a user belongs to (PermissionDeniedError for an unknown user)."""
    firm = uow.users.firm_of(user_id)
    if firm is None:
        raise PermissionDeniedError(f"no active user #{user_id}")
    return firm


def check_same_firm(uow: UnitOfWork, caller: Caller, firm_id: int) -> None:
    """Refuse a user acting on a firm that is not theirs (as if the record did not exist,
    for the caller: another firm's user ids and records are not confirmed)."""
    if caller.user_id is not None and firm_of(uow, caller.user_id) != firm_id:
        raise PermissionDeniedError(f"user #{caller.user_id} does not belong to this firm")
