"""In-memory fakes of ``service.repos.accounts`` for unit tests of the services.

Each fake keeps its own rows (plain dicts, as the tables' columns): a test seeds what the
use case reads (e.g. ``users.rows``, ``privacy.contacts``) and asserts on what it wrote.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from lexdial.service.fakes.instants import stored
from lexdial.service.repos.accounts import (
    AgentEndpoint,
    DncRow,
    LiveToken,
    LoginUser,
    PersonRecords,
    PurgeCandidates,
    SessionRow,
    TokenOwner,
)


@dataclass
class MemoryUserRepository:
    """``UserRepository`` kept in dicts and lists; no database."""

    rows: dict[int, dict[str, Any]] = field(default_factory=dict)
    attestations: dict[int, dict[str, Any]] = field(default_factory=dict)
    tokens: dict[int, dict[str, Any]] = field(default_factory=dict)
    sessions: dict[str, dict[str, Any]] = field(default_factory=dict)
    agent_endpoints: dict[int, AgentEndpoint] = field(default_factory=dict)

    def seed(self, firm_id: int, role: str, *, active: bool = True, email: str = "") -> int:
        """A user row for a test (no audit, no checks); its id."""
        user_id = len(self.rows) + 1
        self.rows[user_id] = {
            "firm_id": firm_id,
            "email": email or f"user{user_id}@firm.test",
            "name_enc": "",
            "role": role,
            "active": active,
            "password_hash": None,
        }
        return user_id

    def active_role(self, user_id: int) -> str | None:
        row = self.rows.get(user_id)
        return None if row is None or not row["active"] else str(row["role"])

    def firm_of(self, user_id: int) -> int | None:
        row = self.rows.get(user_id)
        return None if row is None else int(row["firm_id"])

    def email_taken(self, email: str) -> bool:
        return any(r["email"] == email for r in self.rows.values())

    def add(self, firm_id: int, email: str, name_enc: str, role: str, at: datetime) -> int:
        user_id = len(self.rows) + 1
        self.rows[user_id] = {
            "firm_id": firm_id,
            "email": email,
            "name_enc": name_enc,
            "role": role,
            "active": True,
            "created_at": at,
            "password_hash": None,
        }
        return user_id

    def add_attestation(
        self, user_id: int, course: str, on: date, expires_on: date, at: datetime
    ) -> int:
        attestation_id = len(self.attestations) + 1
        self.attestations[attestation_id] = {
            "user_id": user_id,
            "course": course,
            "attested_on": on,
            "expires_on": expires_on,
            "created_at": at,
        }
        return attestation_id

    def trained_on(self, user_id: int, day: date) -> bool:
        return any(
            a["user_id"] == user_id and a["attested_on"] <= day <= a["expires_on"]
            for a in self.attestations.values()
        )

    def active_agents(self, firm_id: int) -> list[int]:
        return [
            i
            for i, r in self.rows.items()
            if r["firm_id"] == firm_id and r["role"] == "agent" and r["active"]
        ]

    def set_password_hash(self, user_id: int, password_hash: str) -> None:
        if user_id in self.rows:
            self.rows[user_id]["password_hash"] = password_hash

    def end_sessions(self, user_id: int) -> None:
        for key in [k for k, s in self.sessions.items() if s["user_id"] == user_id]:
            del self.sessions[key]

    def add_token(self, user_id: int, name: str, prefix: str, token_hash: str, at: datetime) -> int:
        token_id = len(self.tokens) + 1
        self.tokens[token_id] = {
            "user_id": user_id,
            "name": name,
            "prefix": prefix,
            "token_hash": token_hash,
            "created_at": at,
            "last_used_at": None,
            "revoked_at": None,
        }
        return token_id

    def token_owner(self, token_id: int) -> TokenOwner | None:
        tok = self.tokens.get(token_id)
        if tok is None or tok["user_id"] not in self.rows:
            return None
        return TokenOwner(tok["user_id"], int(self.rows[tok["user_id"]]["firm_id"]))

    def revoke_token(self, token_id: int, at: datetime) -> None:
        if token_id in self.tokens:
            self.tokens[token_id]["revoked_at"] = at

    def live_token(self, token_hash: str) -> LiveToken | None:
        for token_id, tok in self.tokens.items():
            user = self.rows.get(tok["user_id"])
            if tok["token_hash"] == token_hash and tok["revoked_at"] is None and user:
                return LiveToken(token_id, tok["user_id"], bool(user["active"]))
        return None

    def token_used(self, token_id: int, at: datetime) -> None:
        if token_id in self.tokens:
            self.tokens[token_id]["last_used_at"] = at

    def login_user(self, email: str) -> LoginUser | None:
        for user_id, r in self.rows.items():
            if r["email"] == email:
                return LoginUser(user_id, r["password_hash"], bool(r["active"]))
        return None

    def add_session(
        self, token_hash: str, user_id: int, csrf: str, at: datetime, expires_at: datetime
    ) -> None:
        self.sessions[token_hash] = {
            "user_id": user_id,
            "csrf": csrf,
            "created_at": stored(at),
            "expires_at": stored(expires_at),
        }

    def session(self, token_hash: str) -> SessionRow | None:
        found = self.sessions.get(token_hash)
        if found is None or found["user_id"] not in self.rows:
            return None
        active = bool(self.rows[found["user_id"]]["active"])
        return SessionRow(found["user_id"], found["csrf"], found["expires_at"], active)

    def end_session(self, token_hash: str) -> None:
        self.sessions.pop(token_hash, None)

    # (for endpoints)
    def add_endpoint(self, user_id: int, kind: str, address: str | None, at: datetime) -> int:
        endpoint_id = max(self.agent_endpoints, default=0) + 1
        self.agent_endpoints[endpoint_id] = AgentEndpoint(
            endpoint_id, user_id, kind, address, stored(at)
        )
        return endpoint_id

    def endpoints(self, user_id: int) -> list[AgentEndpoint]:
        return [e for _, e in sorted(self.agent_endpoints.items()) if e.user_id == user_id]

    def endpoint(self, endpoint_id: int) -> AgentEndpoint | None:
        return self.agent_endpoints.get(endpoint_id)

    def endpoint_holders(self, kind: str, address: str) -> list[int]:
        wanted = address.lower()
        return sorted({e.user_id for e in self.agent_endpoints.values()
                       if e.kind == kind and (e.address or "").lower() == wanted})  # fmt: skip

    def remove_endpoint(self, endpoint_id: int) -> None:
        self.agent_endpoints.pop(endpoint_id, None)


@dataclass
class MemoryFirmRepository:
    """``FirmRepository`` kept in dicts and lists; no database."""

    rows: dict[int, str] = field(default_factory=dict)

    def names(self) -> dict[int, str]:
        return dict(self.rows)

    def add(self, name: str, at: datetime) -> int:
        firm_id = max(self.rows, default=0) + 1
        self.rows[firm_id] = name
        return firm_id

    def rename(self, firm_id: int, name: str) -> None:
        self.rows[firm_id] = name


@dataclass
class MemoryPrivacyRepository:
    """``PrivacyRepository`` kept in dicts and lists; no database. Rows are dicts keyed by
    the tables' column names; every row has an ``id``."""

    contacts: dict[int, dict[str, Any]] = field(default_factory=dict)
    numbers: list[dict[str, Any]] = field(default_factory=list)
    consents: list[dict[str, Any]] = field(default_factory=list)
    revocations: list[dict[str, Any]] = field(default_factory=list)
    dnc_entries: list[dict[str, Any]] = field(default_factory=list)
    attempts: list[dict[str, Any]] = field(default_factory=list)
    outcomes: list[dict[str, Any]] = field(default_factory=list)
    erasure_tombstones: dict[tuple[int, str], datetime] = field(default_factory=dict)
    dnc_tombstones: dict[tuple[int, str], tuple[datetime, datetime]] = field(default_factory=dict)
    reassigned_checks: list[dict[str, Any]] = field(default_factory=list)

    def contact_id_for(self, firm_id: int, number_bidx: str) -> int | None:
        for n in self.numbers:
            if n["firm_id"] == firm_id and n["number_bidx"] == number_bidx:
                return int(n["contact_id"])
        return None

    def person_records(self, firm_id: int, contact_id: int) -> PersonRecords:
        numbers = [dict(n) for n in self.numbers if n["contact_id"] == contact_id]
        bidxs = {n["number_bidx"] for n in numbers}
        consents = [dict(c) for c in self.consents if c["contact_id"] == contact_id]
        consent_ids = {c["id"] for c in consents}
        attempts = [dict(a) for a in self.attempts if a["contact_id"] == contact_id]
        attempt_ids = {a["id"] for a in attempts}
        return PersonRecords(
            contact=dict(self.contacts[contact_id]),
            numbers=numbers,
            consents=consents,
            revocations=[dict(r) for r in self.revocations if r["consent_id"] in consent_ids],
            do_not_call=[
                dict(d)
                for d in self.dnc_entries
                if d["firm_id"] == firm_id and d["number_bidx"] in bidxs
            ],
            call_attempts=attempts,
            call_outcomes=[dict(o) for o in self.outcomes if o["attempt_id"] in attempt_ids],
        )

    def number_indexes(self, contact_id: int) -> list[str]:
        return [n["number_bidx"] for n in self.numbers if n["contact_id"] == contact_id]

    def tombstone_erased(self, firm_id: int, number_bidx: str, at: datetime) -> None:
        self.erasure_tombstones.setdefault((firm_id, number_bidx), at)

    def erase_personal_data(
        self, firm_id: int, contact_id: int, number_bidxs: list[str], at: datetime
    ) -> None:
        self.numbers[:] = [n for n in self.numbers if n["contact_id"] != contact_id]
        blank = {"name_enc", "address_enc", "matter_ref_enc", "preferences"}
        self.contacts[contact_id].update(dict.fromkeys(blank), erased_at=at)
        consent_ids = set()
        for c in self.consents:
            if c["contact_id"] == contact_id:
                consent_ids.add(c["id"])
                c.update(
                    source_ip_enc=None,
                    user_agent=None,
                    user_agent_enc=None,
                    disclosure_text=None,
                    disclosure_text_enc=None,
                )
        for r in self.revocations:
            if r["consent_id"] in consent_ids:
                r["evidence_enc"] = None
        for d in self.dnc_entries:
            if d["firm_id"] == firm_id and d["number_bidx"] in number_bidxs:
                d["evidence_enc"] = None

    def purge_candidates(
        self, calls_before: datetime, revoked_before: datetime, dnc_before: datetime
    ) -> PurgeCandidates:
        attempt_ids = [a["id"] for a in self.attempts if a["at"] < calls_before]
        return PurgeCandidates(
            attempt_ids=attempt_ids,
            outcome_ids=[o["id"] for o in self.outcomes if o["attempt_id"] in attempt_ids],
            consent_ids=[r["consent_id"] for r in self.revocations if r["at"] < revoked_before],
            dnc_rows=[
                DncRow(d["id"], d["firm_id"], d["number_bidx"], d["at"])
                for d in self.dnc_entries
                if d["at"] < dnc_before
            ],
        )

    def delete_call_and_consent_records(
        self, outcome_ids: list[int], attempt_ids: list[int], consent_ids: list[int]
    ) -> None:
        self.outcomes[:] = [o for o in self.outcomes if o["id"] not in outcome_ids]
        self.attempts[:] = [a for a in self.attempts if a["id"] not in attempt_ids]
        self.revocations[:] = [r for r in self.revocations if r["consent_id"] not in consent_ids]
        self.consents[:] = [c for c in self.consents if c["id"] not in consent_ids]

    def tombstone_dnc(
        self, firm_id: int, number_bidx: str, first_at: datetime, at: datetime
    ) -> None:
        self.dnc_tombstones.setdefault((firm_id, number_bidx), (first_at, at))

    def delete_dnc_entries(self, dnc_ids: list[int]) -> None:
        self.dnc_entries[:] = [d for d in self.dnc_entries if d["id"] not in dnc_ids]

    def mark_objected(self, contact_id: int, at: datetime) -> None:
        self.contacts[contact_id]["objected_at"] = at

    def add_reassigned_check(
        self, firm_id: int, number_bidx: str, result: str, checked_on: date, at: datetime
    ) -> int:
        rid = len(self.reassigned_checks) + 1
        self.reassigned_checks.append(
            {
                "id": rid,
                "firm_id": firm_id,
                "number_bidx": number_bidx,
                "result": result,
                "checked_on": checked_on,
                "created_at": at,
            }
        )
        return rid


@dataclass
class MemoryKeyRepository:
    """``KeyRepository`` kept in dicts and lists; no database: ``values[(table, column)]``
    maps row id -> token (None: no value)."""

    values: dict[tuple[str, str], dict[int, str | None]] = field(default_factory=dict)

    def encrypted_values(self, table: str, column: str) -> list[tuple[int, str]]:
        rows = self.values.get((table, column), {})
        return [(i, tok) for i, tok in sorted(rows.items()) if tok is not None]

    def replace_value(self, table: str, column: str, row_id: int, token: str) -> None:
        self.values.setdefault((table, column), {})[row_id] = token
