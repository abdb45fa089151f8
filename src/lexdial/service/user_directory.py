"""The firm's users as the administration pages list them, and the checks the user and
token routes make before acting (a user or token of another firm is not found, like none).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from lexdial.errors import NotFoundError
from lexdial.service.auth import revoke_token
from lexdial.service.ports import Audit, Cipher
from lexdial.service.repos.views import SuppressionRow, TokenView, UserRow
from lexdial.service.storage import UnitOfWork
from lexdial.service.users import Caller, trained_on

#: the most do-not-call entries one page lists
MAX_SUPPRESSION_PAGE = 1000


@dataclass(frozen=True, slots=True)
class UserEntry:
    """A user with their name decrypted, training status and API tokens."""

    user: UserRow
    name: str
    trained: bool  #: a current training attestation today
    training_expires: date | None
    tokens: list[TokenView]


def firm_users(uow: UnitOfWork, cipher: Cipher, firm_id: int, today: date) -> list[UserEntry]:
    """Every user of the firm, by id."""
    return [
        UserEntry(
            u,
            cipher.decrypt(u.name_enc, context="users.name"),
            trained_on(uow, u.id, today),
            uow.views.training_expires(u.id),
            uow.views.user_tokens(u.id),
        )
        for u in uow.views.firm_users(firm_id)
    ]


def known_user(uow: UnitOfWork, firm_id: int, user_id: int) -> None:
    """NotFoundError unless ``user_id`` is a user of the firm."""
    if uow.users.firm_of(user_id) != firm_id:
        raise NotFoundError("user_id", f"no user #{user_id}")


def attestation_expires(uow: UnitOfWork, attestation_id: int) -> date | None:
    """When a recorded training attestation expires."""
    return uow.views.attestation_expires(attestation_id)


def revoke_once(
    uow: UnitOfWork, audit: Audit, token_id: int, caller: Caller, at: datetime, firm_id: int
) -> datetime | None:
    """Revoke the firm's API token unless it already is; when it was revoked. Another
    firm's token is not found (NotFoundError)."""
    owner = uow.users.token_owner(token_id)
    if owner is None or owner.firm_id != firm_id:
        raise NotFoundError("token_id", f"no token #{token_id}")
    if uow.views.token_revoked_at(token_id) is None:
        revoke_token(uow, audit, token_id, caller, at, firm_id)
    return uow.views.token_revoked_at(token_id)


def suppression_list(uow: UnitOfWork, firm_id: int, limit: int = 200) -> list[SuppressionRow]:
    """The firm's do-not-call entries, newest first: 1 to ``MAX_SUPPRESSION_PAGE`` of them."""
    return uow.views.suppression_list(firm_id, min(max(limit, 1), MAX_SUPPRESSION_PAGE))
