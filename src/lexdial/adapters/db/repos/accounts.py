"""SQL implementations of ``service.repos.accounts`` (firms, users, API tokens, web sessions,
training attestations; erasure (privacy) and key rotation, which reach every table holding
encrypted personal data).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, delete, func, insert, select, update

from lexdial.adapters.db import tables as t
from lexdial.adapters.db.queries import contact_id_by_number
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


class SqlUserRepository:
    """``UserRepository`` over the evidence store."""

    __slots__ = ("conn",)

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def active_role(self, user_id: int) -> str | None:
        row = self.conn.execute(
            select(t.users.c.role, t.users.c.active).where(t.users.c.id == user_id)
        ).first()
        if row is None or not row[1]:
            return None
        return str(row[0])

    def firm_of(self, user_id: int) -> int | None:
        firm = self.conn.execute(select(t.users.c.firm_id).where(t.users.c.id == user_id)).scalar()
        return None if firm is None else int(firm)

    def email_taken(self, email: str) -> bool:
        known = self.conn.execute(select(t.users.c.id).where(t.users.c.email == email)).first()
        return known is not None

    def add(self, firm_id: int, email: str, name_enc: str, role: str, at: datetime) -> int:
        return t.new_id(
            self.conn.execute(
                insert(t.users).values(
                    firm_id=firm_id, email=email, name_enc=name_enc, role=role, created_at=at
                )
            )
        )

    def add_attestation(
        self, user_id: int, course: str, on: date, expires_on: date, at: datetime
    ) -> int:
        return t.new_id(
            self.conn.execute(
                insert(t.training_attestations).values(
                    user_id=user_id,
                    course=course,
                    attested_on=on,
                    expires_on=expires_on,
                    created_at=at,
                )
            )
        )

    def trained_on(self, user_id: int, day: date) -> bool:
        hit = self.conn.execute(
            select(t.training_attestations.c.id).where(
                t.training_attestations.c.user_id == user_id,
                t.training_attestations.c.attested_on <= day,
                t.training_attestations.c.expires_on >= day,
            )
        ).first()
        return hit is not None

    def active_agents(self, firm_id: int) -> list[int]:
        u = t.users.c
        ids = self.conn.execute(
            select(u.id).where(u.firm_id == firm_id, u.role == "agent", u.active.is_(True))
        ).scalars()
        return [int(i) for i in ids]

    def set_password_hash(self, user_id: int, password_hash: str) -> None:
        self.conn.execute(
            update(t.users).where(t.users.c.id == user_id).values(password_hash=password_hash)
        )

    def end_sessions(self, user_id: int) -> None:
        self.conn.execute(t.web_sessions.delete().where(t.web_sessions.c.user_id == user_id))

    def add_token(self, user_id: int, name: str, prefix: str, token_hash: str, at: datetime) -> int:
        return t.new_id(
            self.conn.execute(
                insert(t.api_tokens).values(
                    user_id=user_id,
                    name=name,
                    prefix=prefix,
                    token_hash=token_hash,
                    created_at=at,
                )
            )
        )

    def token_owner(self, token_id: int) -> TokenOwner | None:
        row = self.conn.execute(
            select(t.api_tokens.c.user_id, t.users.c.firm_id)
            .join(t.users, t.users.c.id == t.api_tokens.c.user_id)
            .where(t.api_tokens.c.id == token_id)
        ).first()
        return None if row is None else TokenOwner(int(row[0]), int(row[1]))

    def revoke_token(self, token_id: int, at: datetime) -> None:
        self.conn.execute(
            update(t.api_tokens).where(t.api_tokens.c.id == token_id).values(revoked_at=at)
        )

    def live_token(self, token_hash: str) -> LiveToken | None:
        row = self.conn.execute(
            select(t.api_tokens.c.id, t.api_tokens.c.user_id, t.users.c.active)
            .join(t.users, t.users.c.id == t.api_tokens.c.user_id)
            .where(t.api_tokens.c.token_hash == token_hash, t.api_tokens.c.revoked_at.is_(None))
        ).first()
        return None if row is None else LiveToken(int(row[0]), int(row[1]), bool(row[2]))

    def token_used(self, token_id: int, at: datetime) -> None:
        self.conn.execute(
            update(t.api_tokens).where(t.api_tokens.c.id == token_id).values(last_used_at=at)
        )

    def login_user(self, email: str) -> LoginUser | None:
        row = self.conn.execute(
            select(t.users.c.id, t.users.c.password_hash, t.users.c.active).where(
                t.users.c.email == email
            )
        ).first()
        return None if row is None else LoginUser(int(row[0]), row[1], bool(row[2]))

    def add_session(
        self, token_hash: str, user_id: int, csrf: str, at: datetime, expires_at: datetime
    ) -> None:
        self.conn.execute(
            insert(t.web_sessions).values(
                token_hash=token_hash,
                user_id=user_id,
                csrf=csrf,
                created_at=at,
                expires_at=expires_at,
            )
        )

    def session(self, token_hash: str) -> SessionRow | None:
        row = self.conn.execute(
            select(
                t.web_sessions.c.user_id,
                t.web_sessions.c.csrf,
                t.web_sessions.c.expires_at,
                t.users.c.active,
            )
            .join(t.users, t.users.c.id == t.web_sessions.c.user_id)
            .where(t.web_sessions.c.token_hash == token_hash)
        ).first()
        if row is None:
            return None
        return SessionRow(int(row[0]), str(row[1]), row[2], bool(row[3]))

    def end_session(self, token_hash: str) -> None:
        self.conn.execute(t.web_sessions.delete().where(t.web_sessions.c.token_hash == token_hash))

    # (for endpoints)
    def add_endpoint(self, user_id: int, kind: str, address: str | None, at: datetime) -> int:
        return t.new_id(
            self.conn.execute(
                insert(t.agent_endpoints).values(
                    user_id=user_id, kind=kind, address=address, created_at=at
                )
            )
        )

    def endpoints(self, user_id: int) -> list[AgentEndpoint]:
        e = t.agent_endpoints
        rows = self.conn.execute(select(e).where(e.c.user_id == user_id).order_by(e.c.id))
        return [_endpoint(r._mapping) for r in rows]

    def endpoint(self, endpoint_id: int) -> AgentEndpoint | None:
        e = t.agent_endpoints
        row = self.conn.execute(select(e).where(e.c.id == endpoint_id)).first()
        return None if row is None else _endpoint(row._mapping)

    def endpoint_holders(self, kind: str, address: str) -> list[int]:
        e = t.agent_endpoints
        rows = self.conn.execute(
            select(e.c.user_id)
            .where(e.c.kind == kind, func.lower(e.c.address) == address.lower())
            .distinct()
            .order_by(e.c.user_id)
        )
        return [int(r[0]) for r in rows]

    def remove_endpoint(self, endpoint_id: int) -> None:
        self.conn.execute(delete(t.agent_endpoints).where(t.agent_endpoints.c.id == endpoint_id))


class SqlFirmRepository:
    """``FirmRepository`` over the evidence store."""

    __slots__ = ("conn",)

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def names(self) -> dict[int, str]:
        return {
            int(r[0]): str(r[1]) for r in self.conn.execute(select(t.firms.c.id, t.firms.c.name))
        }

    def add(self, name: str, at: datetime) -> int:
        return t.new_id(self.conn.execute(insert(t.firms).values(name=name, created_at=at)))

    def rename(self, firm_id: int, name: str) -> None:
        self.conn.execute(update(t.firms).where(t.firms.c.id == firm_id).values(name=name))


class SqlPrivacyRepository:
    """``PrivacyRepository`` over the evidence store."""

    __slots__ = ("conn",)

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def contact_id_for(self, firm_id: int, number_bidx: str) -> int | None:
        return contact_id_by_number(self.conn, firm_id, number_bidx)

    def person_records(self, firm_id: int, contact_id: int) -> PersonRecords:
        conn = self.conn
        contact = conn.execute(select(t.contacts).where(t.contacts.c.id == contact_id)).mappings()
        numbers = self._rows(
            select(t.contact_numbers).where(t.contact_numbers.c.contact_id == contact_id)
        )
        bidxs = [n["number_bidx"] for n in numbers]
        return PersonRecords(
            contact=dict(contact.one()),
            numbers=numbers,
            consents=self._rows(select(t.consents).where(t.consents.c.contact_id == contact_id)),
            revocations=self._rows(
                select(t.revocations)
                .join(t.consents, t.consents.c.id == t.revocations.c.consent_id)
                .where(t.consents.c.contact_id == contact_id)
            ),
            do_not_call=self._rows(
                select(t.dnc_entries).where(
                    t.dnc_entries.c.firm_id == firm_id, t.dnc_entries.c.number_bidx.in_(bidxs)
                )
            ),
            call_attempts=self._rows(
                select(t.call_attempts).where(t.call_attempts.c.contact_id == contact_id)
            ),
            call_outcomes=self._rows(
                select(t.call_outcomes)
                .join(t.call_attempts, t.call_attempts.c.id == t.call_outcomes.c.attempt_id)
                .where(t.call_attempts.c.contact_id == contact_id)
            ),
        )

    def _rows(self, query: Any) -> list[dict[str, Any]]:
        return [dict(r) for r in self.conn.execute(query).mappings()]

    def number_indexes(self, contact_id: int) -> list[str]:
        return list(
            self.conn.execute(
                select(t.contact_numbers.c.number_bidx).where(
                    t.contact_numbers.c.contact_id == contact_id
                )
            )
            .scalars()
            .all()
        )

    def tombstone_erased(self, firm_id: int, number_bidx: str, at: datetime) -> None:
        known = self.conn.execute(
            select(t.erasure_tombstones.c.id).where(
                t.erasure_tombstones.c.firm_id == firm_id,
                t.erasure_tombstones.c.number_bidx == number_bidx,
            )
        ).first()
        if known is None:
            self.conn.execute(
                insert(t.erasure_tombstones).values(
                    firm_id=firm_id, number_bidx=number_bidx, erased_at=at
                )
            )

    def erase_personal_data(
        self, firm_id: int, contact_id: int, number_bidxs: list[str], at: datetime
    ) -> None:
        conn = self.conn
        conn.execute(delete(t.contact_numbers).where(t.contact_numbers.c.contact_id == contact_id))
        conn.execute(
            update(t.contacts)
            .where(t.contacts.c.id == contact_id)
            .values(
                name_enc=None, address_enc=None, matter_ref_enc=None, preferences=None, erased_at=at
            )
        )
        consent_ids = select(t.consents.c.id).where(t.consents.c.contact_id == contact_id)
        conn.execute(
            update(t.consents)
            .where(t.consents.c.contact_id == contact_id)
            .values(
                source_ip_enc=None,
                user_agent=None,
                user_agent_enc=None,
                disclosure_text=None,
                disclosure_text_enc=None,
            )
        )
        conn.execute(
            update(t.revocations)
            .where(t.revocations.c.consent_id.in_(consent_ids))
            .values(evidence_enc=None)
        )
        conn.execute(
            update(t.dnc_entries)
            .where(
                t.dnc_entries.c.firm_id == firm_id, t.dnc_entries.c.number_bidx.in_(number_bidxs)
            )
            .values(evidence_enc=None)
        )
        # the requests the gate judged hold the number, the address and the consents
        conn.execute(
            update(t.call_attempts)
            .where(t.call_attempts.c.contact_id == contact_id)
            .values(request_enc=None)
        )

    def purge_candidates(
        self, calls_before: datetime, revoked_before: datetime, dnc_before: datetime
    ) -> PurgeCandidates:
        conn = self.conn
        attempt_ids = (
            conn.execute(select(t.call_attempts.c.id).where(t.call_attempts.c.at < calls_before))
            .scalars()
            .all()
        )
        outcome_ids = (
            conn.execute(
                select(t.call_outcomes.c.id).where(t.call_outcomes.c.attempt_id.in_(attempt_ids))
            )
            .scalars()
            .all()
        )
        consent_ids = (
            conn.execute(
                select(t.revocations.c.consent_id).where(t.revocations.c.at < revoked_before)
            )
            .scalars()
            .all()
        )
        dnc_rows = conn.execute(
            select(
                t.dnc_entries.c.id,
                t.dnc_entries.c.firm_id,
                t.dnc_entries.c.number_bidx,
                t.dnc_entries.c.at,
            ).where(t.dnc_entries.c.at < dnc_before)
        ).all()
        return PurgeCandidates(
            attempt_ids=list(attempt_ids),
            outcome_ids=list(outcome_ids),
            consent_ids=list(consent_ids),
            dnc_rows=[DncRow(int(r[0]), int(r[1]), str(r[2]), r[3]) for r in dnc_rows],
        )

    def delete_call_and_consent_records(
        self, outcome_ids: list[int], attempt_ids: list[int], consent_ids: list[int]
    ) -> None:
        conn = self.conn
        conn.execute(delete(t.call_outcomes).where(t.call_outcomes.c.id.in_(outcome_ids)))
        # a campaign's list still points at its contacts' last attempt: the pointer goes
        # with the attempt (the list's status and last outcome stay), or the foreign key
        # refuses the whole purge
        cc = t.campaign_contacts.c
        conn.execute(
            update(t.campaign_contacts)
            .where(cc.last_attempt_id.in_(attempt_ids))
            .values(last_attempt_id=None)
        )
        conn.execute(delete(t.call_attempts).where(t.call_attempts.c.id.in_(attempt_ids)))
        conn.execute(delete(t.revocations).where(t.revocations.c.consent_id.in_(consent_ids)))
        conn.execute(delete(t.consents).where(t.consents.c.id.in_(consent_ids)))

    def tombstone_dnc(
        self, firm_id: int, number_bidx: str, first_at: datetime, at: datetime
    ) -> None:
        d = t.dnc_tombstones.c
        known = self.conn.execute(
            select(d.id).where(d.firm_id == firm_id, d.number_bidx == number_bidx)
        ).first()
        if known is None:
            self.conn.execute(
                insert(t.dnc_tombstones).values(
                    firm_id=firm_id, number_bidx=number_bidx, first_at=first_at, purged_at=at
                )
            )

    def delete_dnc_entries(self, dnc_ids: list[int]) -> None:
        self.conn.execute(delete(t.dnc_entries).where(t.dnc_entries.c.id.in_(dnc_ids)))

    def mark_objected(self, contact_id: int, at: datetime) -> None:
        self.conn.execute(
            update(t.contacts).where(t.contacts.c.id == contact_id).values(objected_at=at)
        )

    def add_reassigned_check(
        self, firm_id: int, number_bidx: str, result: str, checked_on: date, at: datetime
    ) -> int:
        return t.new_id(
            self.conn.execute(
                insert(t.reassigned_checks).values(
                    firm_id=firm_id,
                    number_bidx=number_bidx,
                    result=result,
                    checked_on=checked_on,
                    created_at=at,
                )
            )
        )


class SqlKeyRepository:
    """``KeyRepository`` over the evidence store."""

    __slots__ = ("conn",)

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def encrypted_values(self, table: str, column: str) -> list[tuple[int, str]]:
        tab = t.metadata.tables[table]
        col = tab.c[column]
        rows = self.conn.execute(select(tab.c.id, col).where(col.is_not(None))).all()
        return [(int(r[0]), str(r[1])) for r in rows]

    def replace_value(self, table: str, column: str, row_id: int, token: str) -> None:
        tab = t.metadata.tables[table]
        self.conn.execute(update(tab).where(tab.c.id == row_id).values({column: token}))


# (for endpoints)
def _endpoint(row: Any) -> AgentEndpoint:
    return AgentEndpoint(
        id=int(row["id"]),
        user_id=int(row["user_id"]),
        kind=str(row["kind"]),
        address=row["address"],
        created_at=row["created_at"],
    )
