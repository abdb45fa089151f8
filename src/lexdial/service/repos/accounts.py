"""Repository ports for firms, users, API tokens, web sessions, training attestations; erasure
(privacy) and key rotation, which reach every table holding encrypted personal data.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Protocol


@dataclass(frozen=True, slots=True)
class TokenOwner:
    """Whose API token it is: the user and the user's firm."""

    user_id: int
    firm_id: int


@dataclass(frozen=True, slots=True)
class LiveToken:
    """An unrevoked API token found by its hash, and whether its user is still active."""

    id: int
    user_id: int
    active: bool


@dataclass(frozen=True, slots=True)
class LoginUser:
    """What a log-in checks: the user, the stored password hash, whether active."""

    user_id: int
    password_hash: str | None
    active: bool


@dataclass(frozen=True, slots=True)
class SessionRow:
    """A stored web session found by its token hash, with its user's active flag."""

    user_id: int
    csrf: str
    expires_at: datetime
    active: bool


@dataclass(frozen=True, slots=True)
class PersonRecords:
    """Every stored row about one contact, as column -> value dicts (tokens still encrypted)."""

    contact: dict[str, Any]
    numbers: list[dict[str, Any]]
    consents: list[dict[str, Any]]
    revocations: list[dict[str, Any]]
    do_not_call: list[dict[str, Any]]
    call_attempts: list[dict[str, Any]]
    call_outcomes: list[dict[str, Any]]


@dataclass(frozen=True, slots=True)
class DncRow:
    """A firm's do-not-call entry old enough to purge."""

    id: int
    firm_id: int
    number_bidx: str
    at: datetime


@dataclass(frozen=True, slots=True)
class PurgeCandidates:
    """The ids of what is older than its retention period (what a purge deletes)."""

    attempt_ids: list[int]
    outcome_ids: list[int]
    consent_ids: list[int]
    dnc_rows: list[DncRow]


class UserRepository(Protocol):
    """Users, their training attestations, API tokens and web sessions."""

    def active_role(self, user_id: int) -> str | None:
        """The user's role, or None when there is no such user or it is inactive."""
        ...

    def firm_of(self, user_id: int) -> int | None:
        """The user's firm (active or not), or None for an unknown user."""
        ...

    def email_taken(self, email: str) -> bool: ...

    def add(self, firm_id: int, email: str, name_enc: str, role: str, at: datetime) -> int:
        """A new user row; its id."""
        ...

    def add_attestation(
        self, user_id: int, course: str, on: date, expires_on: date, at: datetime
    ) -> int:
        """A new training attestation; its id."""
        ...

    def trained_on(self, user_id: int, day: date) -> bool:
        """True when one of the user's attestations covers ``day``."""
        ...

    def active_agents(self, firm_id: int) -> list[int]:
        """The ids of the firm's active users with the agent role."""
        ...

    def set_password_hash(self, user_id: int, password_hash: str) -> None: ...

    def end_sessions(self, user_id: int) -> None:
        """Delete every web session of the user."""
        ...

    def add_token(self, user_id: int, name: str, prefix: str, token_hash: str, at: datetime) -> int:
        """A new API token row (only its hash); its id."""
        ...

    def token_owner(self, token_id: int) -> TokenOwner | None: ...

    def revoke_token(self, token_id: int, at: datetime) -> None: ...

    def live_token(self, token_hash: str) -> LiveToken | None:
        """The unrevoked token with this hash, or None."""
        ...

    def token_used(self, token_id: int, at: datetime) -> None:
        """Note when a token was last used."""
        ...

    def login_user(self, email: str) -> LoginUser | None:
        """The user with this (already normalised) e-mail, or None."""
        ...

    def add_session(
        self, token_hash: str, user_id: int, csrf: str, at: datetime, expires_at: datetime
    ) -> None: ...

    def session(self, token_hash: str) -> SessionRow | None: ...

    def end_session(self, token_hash: str) -> None: ...

    # (for endpoints)
    def add_endpoint(self, user_id: int, kind: str, address: str | None, at: datetime) -> int:
        """A new agent endpoint row; its id."""
        ...

    def endpoints(self, user_id: int) -> list[AgentEndpoint]:
        """The user's endpoints, oldest first."""
        ...

    def endpoint(self, endpoint_id: int) -> AgentEndpoint | None: ...

    def endpoint_holders(self, kind: str, address: str) -> list[int]:
        """The users, of any firm, holding an endpoint of ``kind`` at ``address`` (compared
        without case), in id order."""
        ...

    def remove_endpoint(self, endpoint_id: int) -> None: ...


class FirmRepository(Protocol):
    """The firms a store holds."""

    def names(self) -> dict[int, str]:
        """Every firm, id -> name."""
        ...

    def add(self, name: str, at: datetime) -> int:
        """A new firm row; its id."""
        ...

    def rename(self, firm_id: int, name: str) -> None: ...


class PrivacyRepository(Protocol):
    """Data-subject rights and retention: reading, erasing and purging across tables."""

    def contact_id_for(self, firm_id: int, number_bidx: str) -> int | None:
        """The firm's contact holding the number with this blind index, or None."""
        ...

    def person_records(self, firm_id: int, contact_id: int) -> PersonRecords:
        """Everything stored about the contact (its numbers' do-not-call entries: the firm's)."""
        ...

    def number_indexes(self, contact_id: int) -> list[str]:
        """The blind indexes of the contact's numbers."""
        ...

    def tombstone_erased(self, firm_id: int, number_bidx: str, at: datetime) -> None:
        """Keep an erasure tombstone for the number (once per firm and number)."""
        ...

    def erase_personal_data(
        self, firm_id: int, contact_id: int, number_bidxs: list[str], at: datetime
    ) -> None:
        """Delete the contact's numbers and blank its personal data (contact, consents,
        revocations, and the firm's do-not-call evidence for those numbers)."""
        ...

    def purge_candidates(
        self, calls_before: datetime, revoked_before: datetime, dnc_before: datetime
    ) -> PurgeCandidates: ...

    def delete_call_and_consent_records(
        self, outcome_ids: list[int], attempt_ids: list[int], consent_ids: list[int]
    ) -> None:
        """Delete the outcomes, attempts, and the consents (with their revocations)."""
        ...

    def tombstone_dnc(
        self, firm_id: int, number_bidx: str, first_at: datetime, at: datetime
    ) -> None:
        """Keep a purged do-not-call entry's keyed hash (once per firm and number)."""
        ...

    def delete_dnc_entries(self, dnc_ids: list[int]) -> None: ...

    def mark_objected(self, contact_id: int, at: datetime) -> None: ...

    def add_reassigned_check(
        self, firm_id: int, number_bidx: str, result: str, checked_on: date, at: datetime
    ) -> int:
        """A Reassigned Numbers Database answer; its id."""
        ...


class KeyRepository(Protocol):
    """Every encrypted value of the store, read and rewritten by key rotation."""

    def encrypted_values(self, table: str, column: str) -> list[tuple[int, str]]:
        """(row id, token) of every non-empty value of ``table.column``."""
        ...

    def replace_value(self, table: str, column: str, row_id: int, token: str) -> None: ...


# (for endpoints)
@dataclass(frozen=True, slots=True)
class AgentEndpoint:
    """Where a live-agent call reaches an agent: ``kind`` sip (``address`` a SIP URI),
    browser (the agent desk's softphone; no address) or twilio_client (the identity)."""

    id: int
    user_id: int
    kind: str
    address: str | None
    created_at: datetime
