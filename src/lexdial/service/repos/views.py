"""Repository ports for read-only views the faces (CLI, API, web) show: lists, directories,
dashboards.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Protocol


@dataclass(frozen=True, slots=True)
class AttemptView:
    """One call attempt as the faces list it: the gate's decision and the call's outcome
    (None until the call ended, or when it was never placed)."""

    id: int
    contact_id: int
    campaign_id: int | None
    at: datetime
    purpose: str
    technology: str
    status: str
    verdict: str | None
    decision_id: str | None
    earliest_allowed_at: datetime | None
    rulepack: str | None
    decision: dict[str, Any] | None  #: the stored decision (reasons, zones...)
    outcome: str | None = None
    ring_s: float | None = None
    talk_s: float | None = None


@dataclass(frozen=True, slots=True)
class UserBadge:
    """Who a signed-in user is, as a page or /v1/me names them."""

    id: int
    email: str
    role: str


@dataclass(frozen=True, slots=True)
class CampaignSummary:
    """A campaign as the lists show it; ``contacts`` on its list, ``dialled`` calls placed."""

    id: int
    name: str
    purpose: str
    mode: str
    status: str
    contacts: int = 0
    dialled: int = 0


@dataclass(frozen=True, slots=True)
class QueueEntry:
    """A contact on a campaign's list, as its progress page lists it (blocked or waiting)."""

    contact_id: int
    status: str
    next_at: datetime | None = None
    codes: list[str] | None = None
    last_outcome: str | None = None


# (for a1)
@dataclass(frozen=True, slots=True)
class ContactRow:
    """A contact as its page shows it (name and matter ref still encrypted)."""

    id: int
    name_enc: str | None
    relationship: str
    subscriber: str | None
    matter_type: str | None
    lawful_basis: Any
    objected_at: datetime | None
    erased_at: datetime | None
    created_at: datetime
    #: the firm's matter/case number, encrypted (``contacts.MATTER_REF_CTX``)
    matter_ref_enc: str | None = None


@dataclass(frozen=True, slots=True)
class NumberRow:
    """One of a contact's numbers (encrypted, with its keyed index)."""

    number_enc: str
    number_bidx: str
    line_type: str | None
    primary: bool


@dataclass(frozen=True, slots=True)
class DncView:
    """A do-not-call entry: when asked (``at``), when in force (``created_at``), how."""

    id: int
    at: datetime
    created_at: datetime
    channel: str


@dataclass(frozen=True, slots=True)
class QueueView:
    """A contact's place on one campaign's list."""

    campaign_id: int
    name: str
    status: str
    next_at: datetime | None
    codes: list[str] | None
    attempts: int
    last_outcome: str | None


@dataclass(frozen=True, slots=True)
class UserRow:
    """A user as the users list shows it (name still encrypted)."""

    id: int
    email: str
    name_enc: str
    role: str
    active: bool
    created_at: datetime


@dataclass(frozen=True, slots=True)
class TokenView:
    """An API token as listed (never the token itself: only its prefix)."""

    id: int
    name: str
    prefix: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


@dataclass(frozen=True, slots=True)
class SuppressionRow:
    """A do-not-call entry with the contact holding its number (None: no contact)."""

    entry: int
    at: datetime
    channel: str
    contact: int | None


@dataclass(frozen=True, slots=True)
class DncListing:
    """A do-not-call entry with its keyed number and the contact holding it (if any)."""

    id: int
    at: datetime
    created_at: datetime
    channel: str
    number_bidx: str
    contact_id: int | None


@dataclass(frozen=True, slots=True)
class ConfirmedReview:
    """A message a person confirmed as a revocation: when it came, when it was decided."""

    contact_id: int | None
    number_bidx: str | None
    received_at: datetime
    decided_at: datetime


class ViewRepository(Protocol):
    """Storage for the use cases of this area. Methods are added as services move here."""

    def contact_attempts(self, contact_id: int) -> list[AttemptView]:
        """Every attempt for the contact with its outcome, oldest first (time, then id)."""
        ...

    def campaign_attempts(self, campaign_id: int, limit: int, offset: int) -> list[AttemptView]:
        """A page of the campaign's attempts with their outcomes, in the order they were made."""
        ...

    def user_badge(self, user_id: int) -> UserBadge | None:
        """The user's e-mail and role (None: no such user)."""
        ...

    def decision(self, firm_id: int, decision_id: str) -> AttemptView | None:
        """The attempt that recorded the decision, if it is the firm's (else None)."""
        ...

    def campaigns(self, firm_id: int) -> list[CampaignSummary]:
        """The firm's campaigns, newest first, with their list size and calls placed."""
        ...

    def firm_name(self, firm_id: int) -> str:
        """The firm's name, as its reports print it."""
        ...

    # (for api campaign pages and public pages)
    def placed_call_times(self, campaign_id: int) -> list[datetime]:
        """When each of the campaign's calls was placed (attempts dialled or completed)."""
        ...

    def queue_entries(
        self, campaign_id: int, statuses: tuple[str, ...], limit: int
    ) -> list[QueueEntry]:
        """The campaign's list entries in ``statuses``: blocked ones by contact id, the others
        by the time they are next due; at most ``limit``."""
        ...

    def consent_fingerprint(self, consent_id: int) -> str:
        """The stored evidence fingerprint (SHA-256 hex) of a consent."""

    # (for a1)
    def contact(self, firm_id: int, contact_id: int) -> ContactRow | None:
        """The firm's contact (None: no such contact in this firm)."""
        ...

    def contact_numbers(self, firm_id: int, contact_id: int) -> list[NumberRow]:
        """The contact's numbers, in the order they were added."""
        ...

    def dnc_entries(self, firm_id: int, number_bidxs: list[str]) -> list[DncView]:
        """The firm's do-not-call entries for these numbers, oldest first."""
        ...

    def contact_queues(self, contact_id: int) -> list[QueueView]:
        """The contact's place on each campaign list, by campaign id."""
        ...

    def firm_users(self, firm_id: int) -> list[UserRow]:
        """The firm's users, by id."""
        ...

    def training_expires(self, user_id: int) -> date | None:
        """When the user's latest-ending training attestation expires (None: none)."""
        ...

    def user_tokens(self, user_id: int) -> list[TokenView]:
        """The user's API tokens, by id."""
        ...

    def attestation_expires(self, attestation_id: int) -> date | None:
        """When the attestation expires."""
        ...

    def token_revoked_at(self, token_id: int) -> datetime | None:
        """When the token was revoked (None: it was not)."""
        ...

    def suppression_list(self, firm_id: int, limit: int) -> list[SuppressionRow]:
        """The firm's latest ``limit`` do-not-call entries, newest (highest id) first."""
        ...

    def campaign_settings(self, firm_id: int) -> list[tuple[int, str, str, dict[str, Any]]]:
        """The firm's campaigns (id, name, status, settings), newest first."""
        ...

    def open_consent_scopes(self, firm_id: int) -> list[tuple[int, list[str], list[str] | None]]:
        """Each unrevoked consent of the firm: (contact id, scope, technologies or None)."""
        ...

    def campaign_list_codes(self, campaign_id: int) -> list[tuple[int, list[str] | None]]:
        """Each contact on the campaign's list with the codes of its latest decision."""
        ...

    def confirmed_reviews(self, firm_id: int) -> list[ConfirmedReview]:
        """The firm's review items confirmed as revocations."""
        ...

    def dnc_listing(self, firm_id: int) -> list[DncListing]:
        """The firm's do-not-call entries, newest first (time, then id)."""
        ...

    def open_reviews(self, firm_id: int) -> tuple[int, datetime | None]:
        """How many review items are open, and the earliest due time."""
        ...

    def rulepack_versions(self, firm_id: int) -> list[tuple[str, int, datetime, datetime]]:
        """Each rule pack version attempts were judged under: (version, attempts, first,
        last), by first use."""

    # (for cli)
    def live_contact_ids(self, firm_id: int) -> list[int]:
        """The ids of the firm's contacts that are not erased, ascending."""
        ...

    # (for prefs)
    def contact_debt_refs(self, contact_id: int) -> list[str]:
        """The debt references the contact's call attempts name, first use first."""
        ...
