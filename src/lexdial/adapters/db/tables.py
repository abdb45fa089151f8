"""The evidence store's tables (SQLAlchemy Core), one schema for SQLite and PostgreSQL.

Rule 1: personal data (names, numbers, addresses, free text, IP addresses) is stored only
as AES-GCM tokens (``*_enc`` columns); numbers are found through the keyed blind index
(``*_bidx``), never by their digits.
Rule 2: the ledger is append-only: consents, revocations, do-not-call entries, attempts,
outcomes and audit entries are inserted, never updated (an attempt's status is the one
exception: queued -> dialled / cancelled, and every change is audited).
Rule 3: the Alembic migrations are the source of truth for the database; this module is
what the code queries with, and a test checks the two agree.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    CursorResult,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from lexdial.adapters.db.utc import UtcDateTime

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)


def _ts(name: str, nullable: bool = False) -> Column[object]:
    """A timestamp column: stored as UTC, always read back as an aware UTC datetime."""
    return Column(name, UtcDateTime(), nullable=nullable)


firms = Table(
    "firms",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(200), nullable=False, unique=True),
    Column("default_region", String(2), nullable=False, server_default="US"),
    _ts("created_at"),
)

users = Table(
    "users",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("firm_id", ForeignKey("firms.id"), nullable=False),
    Column("email", String(320), nullable=False, unique=True),
    Column("name_enc", Text, nullable=False),
    Column("role", String(20), nullable=False),
    Column("active", Boolean, nullable=False, server_default="1"),
    _ts("created_at"),
    #: scrypt hash for the web log-in (None: API tokens only)
    Column("password_hash", String(200), nullable=True),
)

#: personal API tokens: only a SHA-256 of the token is kept; the prefix identifies it to people
api_tokens = Table(
    "api_tokens",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("user_id", ForeignKey("users.id"), nullable=False, index=True),
    Column("name", String(100), nullable=False),
    Column("prefix", String(16), nullable=False),
    Column("token_hash", String(64), nullable=False, unique=True),
    _ts("created_at"),
    _ts("last_used_at", nullable=True),
    _ts("revoked_at", nullable=True),
)

#: web log-in sessions (cookie holds the token; only its hash is stored)
web_sessions = Table(
    "web_sessions",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("user_id", ForeignKey("users.id"), nullable=False),
    Column("csrf", String(64), nullable=False),
    _ts("created_at"),
    _ts("expires_at"),
)

#: messages that may be revocations but are not a stop word: a person decides, in time
review_items = Table(
    "review_items",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("firm_id", ForeignKey("firms.id"), nullable=False),
    Column("contact_id", ForeignKey("contacts.id"), nullable=True),
    Column("number_bidx", String(64), nullable=True, index=True),
    Column("channel", String(30), nullable=False),
    Column("text_enc", Text, nullable=False),
    _ts("received_at"),
    _ts("due_at"),
    Column("status", String(20), nullable=False, server_default="open"),
    Column("decided_by", String(100), nullable=True),
    _ts("decided_at", nullable=True),
)

#: events to deliver to the firm's webhook URL (signed, retried with backoff)
outbox = Table(
    "outbox",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("event", String(40), nullable=False),
    Column("payload", JSON, nullable=False),
    _ts("created_at"),
    Column("attempts", Integer, nullable=False, server_default="0"),
    _ts("next_attempt_at"),
    _ts("delivered_at", nullable=True),
    Column("last_error", String(200), nullable=True),
    Index("ix_outbox_due", "delivered_at", "next_attempt_at"),
)

#: one-time codes sent to a number to confirm a public opt-out or a double opt-in consent
public_codes = Table(
    "public_codes",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("purpose", String(20), nullable=False),
    Column("number_bidx", String(64), nullable=False, index=True),
    Column("code_hash", String(64), nullable=False),
    _ts("created_at"),
    _ts("expires_at"),
    _ts("used_at", nullable=True),
    Column("attempts", Integer, nullable=False, server_default="0"),
)

#: signed webhook requests already acted on (key: SHA-256 of the signature or the provider's
#: message id), kept for the replay window: a request seen twice is refused the second time
webhook_receipts = Table(
    "webhook_receipts",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("source", String(20), nullable=False),
    _ts("seen_at"),
    Index("ix_webhook_receipts_seen_at", "seen_at"),
)

#: uploaded import files waiting between the preview and the import (any API process can
#: finish one): the key's SHA-256, whose upload it is, the name and file ENCRYPTED; expired
#: rows are purged on the next upload (``service.pending_uploads``)
pending_uploads = Table(
    "pending_uploads",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("key_hash", String(64), nullable=False, unique=True),
    Column("firm_id", Integer, ForeignKey("firms.id"), nullable=False),
    Column("user_label", String(100), nullable=False),
    Column("name_enc", Text, nullable=False),
    Column("file_enc", Text, nullable=False),
    _ts("created_at"),
    _ts("expires_at"),
    Index("ix_pending_uploads_expires_at", "expires_at"),
)

#: where a live-agent call reaches an agent: ``kind`` sip (``address`` a SIP URI), browser
#: (the agent desk's softphone, no address) or twilio_client (``address`` the identity)
agent_endpoints = Table(
    "agent_endpoints",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("user_id", ForeignKey("users.id"), nullable=False, index=True),
    Column("kind", String(20), nullable=False),
    Column("address", String(200), nullable=True),
    _ts("created_at"),
)

#: each agent's seat on the desk (issue 12): one per user; the dialler reads the seats of
#: its campaign every turn and writes the line's facts (leg up, call assigned, call ended)
agent_sessions = Table(
    "agent_sessions",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("firm_id", ForeignKey("firms.id"), nullable=False),
    Column("user_id", ForeignKey("users.id"), nullable=False, unique=True),
    Column("campaign_id", ForeignKey("campaigns.id"), nullable=True),
    Column("state", String(20), nullable=False),
    Column("reason", String(100), nullable=True),
    _ts("since"),
    Column("attempt_id", ForeignKey("call_attempts.id"), nullable=True),
    Column("preview_contact_id", ForeignKey("contacts.id"), nullable=True),
    Column("dial_contact_id", ForeignKey("contacts.id"), nullable=True),
    Column("leg_up", Boolean, nullable=False, server_default="0"),
    Column("endpoint_id", ForeignKey("agent_endpoints.id"), nullable=True),
    Column("version", Integer, nullable=False, server_default="0"),
    Index("ix_agent_sessions_campaign", "firm_id", "campaign_id"),
    # (for desk) a request from the desk to the line ("hangup", "transfer:warm:TARGET",
    # "transfer:cold:TARGET") that the dialler carries out and clears
    Column("line_request", String(200), nullable=True),
    # (for desk) the dial_contact_id was a manual click-to-call, not a preview click
    Column("dial_manual", Boolean, nullable=False, server_default="0"),
)

training_attestations = Table(
    "training_attestations",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("user_id", ForeignKey("users.id"), nullable=False, index=True),
    Column("course", String(100), nullable=False),
    Column("attested_on", Date, nullable=False),
    Column("expires_on", Date, nullable=False),
    _ts("created_at"),
)

contacts = Table(
    "contacts",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("firm_id", ForeignKey("firms.id"), nullable=False, index=True),
    Column("name_enc", Text, nullable=True),
    #: the address as an encrypted JSON object {country, state, zip, time_zone}
    Column("address_enc", Text, nullable=True),
    Column("relationship", String(20), nullable=False, server_default="none"),
    Column("last_transaction_on", Date, nullable=True),
    Column("inquiry_on", Date, nullable=True),
    Column("subscriber", String(10), nullable=True),
    Column("matter_type", String(30), nullable=True),
    Column("matter_ref_enc", Text, nullable=True),
    Column("preferences", JSON, nullable=True),
    #: GDPR: purpose -> basis, or one basis; objection to direct marketing
    Column("lawful_basis", JSON, nullable=True),
    _ts("objected_at", nullable=True),
    _ts("erased_at", nullable=True),
    _ts("created_at"),
)

contact_numbers = Table(
    "contact_numbers",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("contact_id", ForeignKey("contacts.id"), nullable=False, index=True),
    Column("firm_id", ForeignKey("firms.id"), nullable=False),
    Column("number_enc", Text, nullable=False),
    Column("number_bidx", String(64), nullable=False),
    Column("line_type", String(10), nullable=True),
    Column("is_primary", Boolean, nullable=False, server_default="1"),
    _ts("created_at"),
    UniqueConstraint("firm_id", "number_bidx", name="uq_contact_numbers_firm_number"),
)

consents = Table(
    "consents",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("contact_id", ForeignKey("contacts.id"), nullable=False, index=True),
    Column("number_bidx", String(64), nullable=False, index=True),
    Column("kind", String(20), nullable=False),
    Column("scope", JSON, nullable=False),
    Column("technologies", JSON, nullable=True),
    Column("sellers", JSON, nullable=False),
    _ts("given_at"),
    Column("method", String(100), nullable=False),
    #: plaintext before 0004 (emptied on open); the text lives in disclosure_text_enc
    Column("disclosure_text", Text, nullable=True),
    Column("disclosure_version", String(50), nullable=False),
    Column("disclosure_sha256", String(64), nullable=False),
    Column("captured_by", String(200), nullable=False),
    Column("source_ip_enc", Text, nullable=True),
    Column("user_agent", Text, nullable=True),
    Column("document_ref", String(200), nullable=True),
    #: the same evidence recorded twice is one consent (idempotent imports), within a firm
    Column("evidence_sha256", String(64), nullable=False),
    _ts("created_at"),
    #: the exact disclosure and the browser's user agent, encrypted like other free text
    Column("disclosure_text_enc", Text, nullable=True),
    Column("user_agent_enc", Text, nullable=True),
    #: a consent binds the firm whose contact gave it, never another firm in the store
    Column("firm_id", ForeignKey("firms.id"), nullable=False),
    UniqueConstraint("firm_id", "evidence_sha256", name="uq_consents_firm_evidence"),
    Index("ix_consents_firm_number", "firm_id", "number_bidx"),
)

revocations = Table(
    "revocations",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("consent_id", ForeignKey("consents.id"), nullable=False, unique=True),
    _ts("at"),
    Column("channel", String(30), nullable=False),
    Column("evidence_enc", Text, nullable=True),
    _ts("created_at"),
)

dnc_entries = Table(
    "dnc_entries",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("firm_id", ForeignKey("firms.id"), nullable=False),
    Column("number_bidx", String(64), nullable=False),
    _ts("at"),
    Column("channel", String(30), nullable=False),
    Column("evidence_enc", Text, nullable=True),
    _ts("created_at"),
    Index("ix_dnc_entries_firm_number", "firm_id", "number_bidx"),
    #: ``audit verify`` walks every number of every firm in order
    Index("ix_dnc_entries_number", "number_bidx"),
)

#: a do-not-call entry purged after its retention period leaves its keyed hash here, so the
#: number stays suppressed (the request is honoured at least 5 years, 47 CFR 64.1200(d)(6))
dnc_tombstones = Table(
    "dnc_tombstones",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("firm_id", ForeignKey("firms.id"), nullable=False),
    Column("number_bidx", String(64), nullable=False),
    _ts("first_at"),
    _ts("purged_at"),
    UniqueConstraint("firm_id", "number_bidx", name="uq_dnc_tombstones_firm_number"),
)

registry_snapshots = Table(
    "registry_snapshots",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("list_name", String(40), nullable=False),
    Column("snapshot_on", Date, nullable=False),
    Column("count", BigInteger, nullable=False),
    Column("manifest_sha256", String(64), nullable=False),
    _ts("loaded_at"),
)

reassigned_checks = Table(
    "reassigned_checks",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("number_bidx", String(64), nullable=False, index=True),
    Column("result", String(10), nullable=False),
    Column("checked_on", Date, nullable=False),
    _ts("created_at"),
    #: the firm that queried the database: 64.1200(m)'s safe harbor is the querying caller's
    Column("firm_id", ForeignKey("firms.id"), nullable=False),
)

#: what the firm knows about one debt it collects (contract v1.1, issue 14): the consumer's
#: written request to cease communication (12 CFR 1006.6(c)) and whether the debt is
#: time-barred (1006.26); one row per firm and debt reference, read at dial time
debt_facts = Table(
    "debt_facts",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("firm_id", ForeignKey("firms.id"), nullable=False),
    Column("debt_ref", String(100), nullable=False),
    _ts("cease_requested_at", nullable=True),
    Column("time_barred", Boolean, nullable=True),
    _ts("updated_at"),
    UniqueConstraint("firm_id", "debt_ref", name="uq_debt_facts_firm_id"),
)

erasure_tombstones = Table(
    "erasure_tombstones",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("firm_id", ForeignKey("firms.id"), nullable=False),
    Column("number_bidx", String(64), nullable=False),
    _ts("erased_at"),
    UniqueConstraint("firm_id", "number_bidx", name="uq_erasure_tombstones_firm_number"),
)

campaigns = Table(
    "campaigns",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("firm_id", ForeignKey("firms.id"), nullable=False),
    Column("name", String(200), nullable=False),
    Column("purpose", String(20), nullable=False),
    Column("technology", String(20), nullable=False),
    Column("mode", String(20), nullable=False),
    Column("subject", String(200), nullable=True),
    Column("ring_timeout_s", Float, nullable=False, server_default="20"),
    Column("caller_id", String(20), nullable=True),
    Column("safe_harbor_message", Boolean, nullable=False, server_default="0"),
    Column("script", JSON, nullable=True),
    Column("status", String(20), nullable=False, server_default="draft"),
    _ts("created_at"),
    #: the whole campaign spec (message, schedule, retries, pacing): see service.campaigns
    Column("settings", JSON, nullable=True),
    _ts("updated_at", nullable=True),
    #: which dialler process holds the campaign, until when (wall clock): one at a time
    Column("lease_owner", String(40), nullable=True),
    _ts("lease_until", nullable=True),
    #: why the campaign is in its status when the dialler said (a failing carrier paused it)
    Column("status_reason", String(500), nullable=True),
)

#: a campaign's contact list and where each contact stands (the scheduler's queue)
campaign_contacts = Table(
    "campaign_contacts",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("campaign_id", ForeignKey("campaigns.id"), nullable=False),
    Column("contact_id", ForeignKey("contacts.id"), nullable=False),
    #: pending | deferred | dialing | retry | done | blocked | cancelled
    Column("status", String(20), nullable=False, server_default="pending"),
    _ts("next_at", nullable=True),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("last_attempt_id", ForeignKey("call_attempts.id"), nullable=True),
    Column("last_outcome", String(20), nullable=True),
    Column("codes", JSON, nullable=True),
    UniqueConstraint("campaign_id", "contact_id"),
    Index("ix_campaign_contacts_due", "campaign_id", "status", "next_at"),
)

call_attempts = Table(
    "call_attempts",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("firm_id", ForeignKey("firms.id"), nullable=False),
    Column("contact_id", ForeignKey("contacts.id"), nullable=False, index=True),
    Column("campaign_id", ForeignKey("campaigns.id"), nullable=True, index=True),
    Column("number_bidx", String(64), nullable=False, index=True),
    _ts("at"),
    Column("purpose", String(20), nullable=False),
    Column("technology", String(20), nullable=False),
    Column("subject", String(200), nullable=True),
    Column("debt_ref", String(100), nullable=True),
    Column("status", String(20), nullable=False),
    Column("decision_id", String(32), nullable=True),
    Column("verdict", String(10), nullable=True),
    _ts("earliest_allowed_at", nullable=True),
    Column("rulepack", String(20), nullable=True),
    Column("decision", JSON, nullable=True),
    _ts("created_at"),
    #: the canonical decision request the gate judged, encrypted (``call_attempts.request``)
    Column("request_enc", Text, nullable=True),
)

call_outcomes = Table(
    "call_outcomes",
    metadata,
    Column("id", Integer, primary_key=True),
    #: one outcome per attempt, ever: a second write is a bug, refused by the database
    Column("attempt_id", ForeignKey("call_attempts.id"), nullable=False, unique=True),
    Column("outcome", String(20), nullable=False),
    _ts("at"),
    Column("ring_s", Float, nullable=True),
    Column("talk_s", Float, nullable=True),
    _ts("created_at"),
    #: answered by a person: the denominator of the FCC/FTC abandonment rate
    Column("live_answered", Boolean, nullable=False, server_default="0"),
    Column("abandoned", Boolean, nullable=False, server_default="0"),
    Column("opted_out", Boolean, nullable=False, server_default="0"),
    Column("agent_id", ForeignKey("users.id"), nullable=True),
    Column("detail", String(200), nullable=True),
    #: the boundary day of the 30-day abandonment window is counted from the outcomes
    #: themselves (``queries.abandonment_counts``)
    Index("ix_call_outcomes_at", "at"),
)

audit_log = Table(
    "audit_log",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=False),
    _ts("at"),
    Column("actor", String(100), nullable=False),
    Column("action", String(60), nullable=False),
    Column("subject", String(100), nullable=False),
    Column("data", Text, nullable=False),
    Column("masked", Text, nullable=False),
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False, unique=True),
    #: the entries about a row (evidence bundles, ``audit verify``'s record comparison)
    Index("ix_audit_log_subject", "subject"),
)


def new_id(result: CursorResult[Any]) -> int:
    """The primary key an INSERT just created."""
    key = result.inserted_primary_key
    if key is None or key[0] is None:  # pragma: no cover - every table has an int key
        raise RuntimeError("INSERT returned no primary key")
    return int(key[0])


# (for desk) the firm's disposition list: what an agent may record at the end of a call
disposition_codes = Table(
    "disposition_codes",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("firm_id", ForeignKey("firms.id"), nullable=False),
    Column("code", String(40), nullable=False),
    Column("label", String(100), nullable=False),
    Column("is_callback", Boolean, nullable=False, server_default="0"),
    Column("active", Boolean, nullable=False, server_default="1"),
    Column("sort_order", Integer, nullable=False, server_default="0"),
    UniqueConstraint("firm_id", "code", name="uq_disposition_codes_firm_code"),
)

# (for desk) one disposition per call attempt; notes encrypted ("call_dispositions.notes")
call_dispositions = Table(
    "call_dispositions",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("attempt_id", ForeignKey("call_attempts.id"), nullable=False, unique=True),
    Column("firm_id", ForeignKey("firms.id"), nullable=False, index=True),
    Column("user_id", ForeignKey("users.id"), nullable=False),
    Column("code", String(40), nullable=False),
    Column("notes_enc", Text, nullable=True),
    _ts("callback_at", nullable=True),
    _ts("created_at"),
)

# (for desk) blind-index tokens of contacts' names and matter refs: the directory's name
# search (an exact word match; a blind index cannot answer a prefix)
contact_name_tokens = Table(
    "contact_name_tokens",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("firm_id", ForeignKey("firms.id"), nullable=False),
    Column("contact_id", ForeignKey("contacts.id"), nullable=False, index=True),
    Column("token_bidx", String(64), nullable=False),
    Index("ix_contact_name_tokens_lookup", "firm_id", "token_bidx"),
)


#: per campaign and UTC day, the outcomes that count toward the 30-day abandonment rate
#: (47 CFR 64.1200(a)(7)(i)), kept up to date as each outcome is recorded so the gate and
#: the reports add up at most 31 rows instead of scanning the campaign's calls (issue 15)
campaign_day_counts = Table(
    "campaign_day_counts",
    metadata,
    Column("campaign_id", ForeignKey("campaigns.id"), primary_key=True),
    Column("day", Date, primary_key=True),
    Column("live_answered", Integer, nullable=False, server_default="0"),
    Column("abandoned", Integer, nullable=False, server_default="0"),
)


# (for relay) the PostgreSQL webhook relay's claims (adapters.webhook_relay_pg): which dial
# worker owns a call, an agent's leg or a room until ``expires_at`` (the database's clock);
# ids, labels and room names only, never a number
relay_routes = Table(
    "relay_routes",
    metadata,
    Column("kind", String(16), primary_key=True),
    Column("name", String(255), primary_key=True),
    Column("worker", String(255), nullable=False),
    _ts("expires_at"),
    Index("ix_relay_routes_expires_at", "expires_at"),
)


#: per firm, the last completed comparison of every record with the audit trail
#: (``service.record_checks``: the web Audit page and ``/v1/audit/verify`` show it) and the
#: check running now, claimed until ``running_until`` (renewed as it goes: a process that
#: died leaves a claim that lapses); problems are the firm's own, others' only counted
record_checks = Table(
    "record_checks",
    metadata,
    Column("firm_id", ForeignKey("firms.id"), primary_key=True),
    Column("running_by", String(100), nullable=True),
    #: this run's own token: a run that lost its lapsed claim to another cannot end that one
    Column("running_token", String(32), nullable=True),
    _ts("running_since", nullable=True),
    _ts("running_until", nullable=True),
    Column("last_by", String(100), nullable=True),
    _ts("last_started_at", nullable=True),
    _ts("last_finished_at", nullable=True),
    Column("last_head_seq", Integer, nullable=True),
    Column("last_numbers", Integer, nullable=True),
    Column("last_problems", JSON, nullable=True),
    Column("last_other_problems", Integer, nullable=True),
)

#: the tables whose ids are named outside their row (audit entries' subjects and data,
#: evidence bundles, reports, exports, webhooks, the API): on SQLite they are
#: ``AUTOINCREMENT`` (migration 0017), so an id once given is never given again, even after
#: the newest rows were deleted (a purge, an erasure, a rolled-back import); without it
#: SQLite gives max(id)+1, and an old audit entry would then name a new, different row.
#: PostgreSQL's sequences never go back. The tables left out are reached only through
#: their parent or a hash (a campaign's queue rows, a contact's numbers and name tokens,
#: log-in sessions, one-time codes, pending uploads), their ids never leave the store.
IDS_NEVER_REUSED = (
    "firms",
    "users",
    "api_tokens",
    "review_items",
    "outbox",
    "agent_endpoints",
    "agent_sessions",
    "training_attestations",
    "contacts",
    "consents",
    "revocations",
    "dnc_entries",
    "dnc_tombstones",
    "registry_snapshots",
    "reassigned_checks",
    "debt_facts",
    "erasure_tombstones",
    "campaigns",
    "call_attempts",
    "call_outcomes",
    "disposition_codes",
    "call_dispositions",
)
for _name in IDS_NEVER_REUSED:
    metadata.tables[_name].dialect_options["sqlite"]["autoincrement"] = True
