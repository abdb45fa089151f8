"""SQL implementations of ``service.repos.calls`` (call attempts and outcomes (the dial queue), and
the audit log table the hash chain lives in).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Column, Connection, Integer, bindparam, func, insert, select, text, update

from lexdial.adapters.db import fast_pipe
from lexdial.adapters.db import tables as t
from lexdial.adapters.db.fast import Fast
from lexdial.adapters.db.json_text import JsonText, json_text
from lexdial.adapters.db.queries import abandonment_counts, record_day_counts
from lexdial.adapters.db.repos import dial_statements as ds
from lexdial.adapters.db.repos.gate_reads import (
    CONSENTS,
    CONTACT_BUNDLE_FAST,
    gate_facts,
    gate_facts_many,
    history,
    ids_param,
)
from lexdial.service.repos.calls import (
    DebtFacts,
    DueBatch,
    GateCampaign,
    GateConsent,
    GateContact,
    GateNumber,
    HistoryWindow,
    Interrupted,
    NewAttempt,
    NewOutcome,
    PastCall,
    QueueRow,
    ReassignedCheck,
)

#: a fact ``_bundled`` does not have (None is a fact: "never checked")
_MISSING: Any = object()
#: the gate's write, on the driver's cursor (``fast``), returning the new id; the decision
#: is bound as JSON text made by orjson (``json_text``)
_INSERT_ATTEMPT = Fast(
    insert(t.call_attempts)
    .values(decision=bindparam("decision", type_=JsonText()))
    .returning(t.call_attempts.c.id)
)
#: the same with an id reserved beforehand (``prefetch_for_gates``): nothing to wait for,
#: so a pipelined batch sends it and goes on (``fast_pipe``)
_INSERT_RESERVED = Fast(
    insert(t.call_attempts).values(decision=bindparam("decision", type_=JsonText()))
)
#: ``:n`` attempt ids taken from the table's own sequence (PostgreSQL): a reserved id that
#: is never used is a gap, as a rolled-back INSERT leaves one
_RESERVE_IDS = Fast(
    text(
        "SELECT nextval(pg_get_serial_sequence('call_attempts', 'id')) AS id"
        " FROM generate_series(1, :n)"
    ).columns(id=Integer)
)


def _consent(r: Any) -> GateConsent:
    """A consent from a ``CONTACT_BUNDLE`` row's ``consent_*`` columns."""
    return GateConsent(
        id=int(r["consent_id"]),
        kind=r["consent_kind"],
        given_at=r["consent_given_at"],
        scope=r["consent_scope"],
        sellers=r["consent_sellers"],
        method=r["consent_method"],
        technologies=r["consent_technologies"],
        revoked_at=r["consent_revoked_at"],
    )


def _past_call(r: Any) -> PastCall:
    """A call from a ``gate_facts`` history row's ``h_*`` columns."""
    return PastCall(
        at=r["h_at"],
        purpose=r["h_purpose"],
        technology=r["h_technology"],
        subject=r["h_subject"],
        debt_ref=r["h_debt_ref"],
        outcome=r["h_outcome"],
    )


class SqlAttemptRepository:
    """``AttemptRepository`` over the evidence store.

    The gate's first read (``contact_for_gate``) fetches the contact with its number, firm
    name, suppression facts and consents in one statement and keeps them for the calls
    that follow it in the same gate (``number_for_gate``, ``firm_name``, ``consents_for``,
    ``internally_suppressed``, ``last_reassigned_check``), each served once; given a
    history window, the same statement reads the contact's calls in it for the ``history``
    call with that window (``gate_reads`` rule 3), served once too.

    A batch of gates may read all its contacts' facts first (``prefetch_for_gates``, one
    statement): each contact's are then served once, to the first ``contact_for_gate`` of
    that contact whose window the read covers, in place of its own read; a second gate
    of the same contact in the batch reads again, so it sees the first one's attempt.
    """

    __slots__ = ("_bundle", "_history", "_prefetched", "_reserved", "_served", "conn")

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self._bundle: tuple[int, Any] | None = None
        self._served: set[str] = set()
        #: the history read with the bundle: (contact, since, until, statuses) and its calls
        self._history: tuple[tuple[Any, ...], list[PastCall]] | None = None
        #: a batch's read ahead: contact -> (its window's (since, until, statuses), rows)
        self._prefetched: dict[int, tuple[tuple[Any, ...], list[dict[str, Any]]]] = {}
        #: attempt ids reserved for a pipelined batch's gates, next first (``record``)
        self._reserved: list[int] = []

    # --- what the gate reads (prepared statements: ``gate_reads``)
    def prefetch_for_gates(self, contact_ids: Collection[int], history: HistoryWindow) -> None:
        since, until, statuses = history
        ids = sorted(set(contact_ids))
        dialect = self.conn.dialect.name
        # in a pipelined batch, an id for each gate's attempt, read in the same round trip
        # as the facts: its INSERT then waits for nothing (``record``)
        reserve = (
            _RESERVE_IDS.later(self.conn, {"n": len(contact_ids)})
            if fast_pipe.allowed(self.conn)
            else None
        )
        rows = gate_facts_many(dialect, tuple(statuses)).rows(
            self.conn, {"ids": ids_param(dialect, ids), "since": since, "until": until}
        )
        if reserve is not None:
            self._reserved = [int(r["id"]) for r in reversed(reserve())]
        window = (since, until, tuple(statuses))
        # every contact asked for has an entry: one with no rows is a contact not found
        read: dict[int, tuple[tuple[Any, ...], list[dict[str, Any]]]] = {
            i: (window, []) for i in ids
        }
        for r in rows:
            read[int(r["g_contact"])][1].append(r)
        self._prefetched = read

    def drop_prefetched(self) -> None:
        self._prefetched = {}
        self._reserved = []

    def _read_ahead(self, contact_id: int, key: tuple[Any, ...]) -> list[dict[str, Any]] | None:
        """This gate's rows from the batch's read, if it covers the gate's window: the
        bundle's rows, then the history rows inside [since, until] (the read's window
        holds it, so the same rows as its own read would give, in the same order)."""
        ahead = self._prefetched.pop(contact_id, None)
        if ahead is None:
            return None
        (p_since, p_until, p_statuses), rows = ahead
        _, since, until, statuses = key
        if statuses != p_statuses or since < p_since or until > p_until:
            return None
        return [r for r in rows if r["kind"] == 0 or since <= r["h_at"] <= until]

    def contact_for_gate(
        self, contact_id: int, history: HistoryWindow | None = None
    ) -> GateContact | None:
        self._served = set()
        self._history = None
        if history is None:
            rows = CONTACT_BUNDLE_FAST.rows(self.conn, {"contact_id": contact_id})
        else:
            since, until, statuses = history
            key = (contact_id, since, until, tuple(statuses))
            both = self._read_ahead(contact_id, key) if self._prefetched else None
            if both is None:
                both = gate_facts(key[3]).rows(
                    self.conn, {"contact_id": contact_id, "since": since, "until": until}
                )
            rows = [r for r in both if r["kind"] == 0]
            self._history = (key, [_past_call(r) for r in both if r["kind"] == 1])
        if not rows:
            self._bundle = None
            return None
        row = rows[0]
        row["consents"] = [_consent(r) for r in rows if r["consent_id"] is not None]
        self._bundle = (contact_id, row)
        return GateContact(
            firm_id=int(row["firm_id"]),
            relationship=row["relationship"],
            address_enc=row["address_enc"],
            last_transaction_on=row["last_transaction_on"],
            inquiry_on=row["inquiry_on"],
            subscriber=row["subscriber"],
            matter_type=row["matter_type"],
            preferences=row["preferences"],
            objected_at=row["objected_at"],
            erased_at=row["erased_at"],
            lawful_basis=row["lawful_basis"],
        )

    def _bundled(self, key: str, firm_id: int, bidx: str | None = None) -> Any:
        """One fact of the rows ``contact_for_gate`` just read, if it is about this firm
        (and number); ``_MISSING`` otherwise. Each fact is served once: a later read in
        the same transaction goes to the database again."""
        if self._bundle is None:
            return _MISSING
        _, row = self._bundle
        if int(row["firm_id"]) != firm_id or (bidx is not None and row["number_bidx"] != bidx):
            return _MISSING
        served = self._served
        if key in served:
            return _MISSING
        served.add(key)
        return row[key]

    def number_for_gate(self, contact_id: int) -> GateNumber | None:
        bundle = self._bundle
        row: Any
        if bundle is not None and bundle[0] == contact_id and "number" not in self._served:
            self._served.add("number")
            row = bundle[1]
        else:
            found = CONTACT_BUNDLE_FAST.rows(self.conn, {"contact_id": contact_id})
            row = found[0] if found else None
        if row is None or row["number_bidx"] is None:
            return None
        return GateNumber(row["number_enc"], str(row["number_bidx"]), row["line_type"])

    def firm_name(self, firm_id: int) -> str:
        name = self._bundled("firm_name", firm_id)
        if name is _MISSING:
            name = self.conn.execute(
                select(t.firms.c.name).where(t.firms.c.id == firm_id)
            ).scalar_one()
        return str(name)

    def campaign_for_gate(self, campaign_id: int) -> GateCampaign | None:
        rows = ds.CAMPAIGN.rows(self.conn, {"campaign_id": campaign_id})
        if not rows:
            return None
        c = rows[0]
        return GateCampaign(
            firm_id=int(c["firm_id"]),
            purpose=c["purpose"],
            technology=c["technology"],
            mode=c["mode"],
            subject=c["subject"],
            ring_timeout_s=c["ring_timeout_s"],
            caller_id=c["caller_id"],
            safe_harbor_message=bool(c["safe_harbor_message"]),
            script=c["script"],
        )

    def consents_for(self, firm_id: int, number_bidx: str) -> list[GateConsent]:
        bundled = self._bundled("consents", firm_id, number_bidx)
        if bundled is not _MISSING:
            return list(bundled)
        rows = self.conn.execute(CONSENTS, {"firm_id": firm_id, "number_bidx": number_bidx})
        return [
            GateConsent(
                id=int(r.id),
                kind=r.kind,
                given_at=r.given_at,
                scope=r.scope,
                sellers=r.sellers,
                method=r.method,
                technologies=r.technologies,
                revoked_at=r.revoked_at,
            )
            for r in rows
        ]

    def internally_suppressed(self, firm_id: int, number_bidx: str) -> bool:
        listed = self._bundled("internal_dnc", firm_id, number_bidx)
        if listed is not _MISSING:
            return bool(listed)
        conn = self.conn
        return bool(
            conn.execute(
                select(func.count())
                .select_from(t.dnc_entries)
                .where(
                    t.dnc_entries.c.firm_id == firm_id, t.dnc_entries.c.number_bidx == number_bidx
                )
            ).scalar_one()
            or conn.execute(  # an entry purged after its retention still suppresses
                select(func.count())
                .select_from(t.dnc_tombstones)
                .where(
                    t.dnc_tombstones.c.firm_id == firm_id,
                    t.dnc_tombstones.c.number_bidx == number_bidx,
                )
            ).scalar_one()
        )

    def last_reassigned_check(self, firm_id: int, number_bidx: str) -> ReassignedCheck | None:
        result = self._bundled("reassigned_result", firm_id, number_bidx)
        if result is not _MISSING:
            assert self._bundle is not None
            on = self._bundle[1]["reassigned_on"]
            return None if result is None else ReassignedCheck(result, on)
        check = (
            self.conn.execute(
                select(t.reassigned_checks)
                .where(
                    t.reassigned_checks.c.firm_id == firm_id,
                    t.reassigned_checks.c.number_bidx == number_bidx,
                )
                .order_by(t.reassigned_checks.c.checked_on.desc())
                .limit(1)
            )
            .mappings()
            .first()
        )
        if check is None:
            return None
        return ReassignedCheck(check["result"], check["checked_on"])

    def debt_facts(self, firm_id: int, debt_ref: str) -> DebtFacts | None:
        row = (
            self.conn.execute(
                select(t.debt_facts).where(
                    t.debt_facts.c.firm_id == firm_id, t.debt_facts.c.debt_ref == debt_ref
                )
            )
            .mappings()
            .first()
        )
        if row is None:
            return None
        when = row["cease_requested_at"]
        if when is not None and when.tzinfo is None:  # SQLite keeps no offset: stored as UTC
            when = when.replace(tzinfo=UTC)
        barred = row["time_barred"]
        return DebtFacts(when, None if barred is None else bool(barred))

    def history(
        self, contact_id: int, since: datetime, until: datetime, statuses: Sequence[str]
    ) -> list[PastCall]:
        read, self._history = self._history, None  # served once, as the bundle's facts
        if read is not None and read[0] == (contact_id, since, until, tuple(statuses)):
            return read[1]
        params = {"contact_id": contact_id, "since": since, "until": until}
        rows = history(tuple(statuses)).rows(self.conn, params)
        return [
            PastCall(
                at=r["at"],
                purpose=r["purpose"],
                technology=r["technology"],
                subject=r["subject"],
                debt_ref=r["debt_ref"],
                outcome=r["outcome"],
            )
            for r in rows
        ]

    def abandonment_30d(self, campaign_id: int, at: datetime) -> tuple[int, int]:
        # 47 CFR 64.1200(a)(7)(i) and 16 CFR 310.4(b)(4)(i): per campaign, over 30 days
        since = at.astimezone(UTC) - timedelta(days=30)
        return abandonment_counts(self.conn, campaign_id, since)

    # --- attempts and outcomes
    def record(self, attempt: NewAttempt) -> int:
        a = attempt
        # this contact's read ahead (if any) no longer holds its whole history
        self._prefetched.pop(a.contact_id, None)
        values = {
            "firm_id": a.firm_id,
            "contact_id": a.contact_id,
            "campaign_id": a.campaign_id,
            "number_bidx": a.number_bidx,
            "at": a.at,
            "purpose": a.purpose,
            "technology": a.technology,
            "subject": a.subject,
            "debt_ref": a.debt_ref,
            "status": a.status,
            "decision_id": a.decision_id,
            "verdict": a.verdict,
            "earliest_allowed_at": a.earliest_allowed_at,
            "rulepack": a.rulepack,
            # the decision's wire form holds strings, lists and nulls only (``json_text``)
            "decision": json_text(a.decision),
            "created_at": a.created_at,
            "request_enc": a.request_enc,
        }
        if self._reserved:  # a pipelined batch's: sent, answered at its next read or end
            values["id"] = attempt_id = self._reserved.pop()
            _INSERT_RESERVED.send(self.conn, values)
            return attempt_id
        # one prebuilt statement with the values as parameters: no expression build per call
        return int(_INSERT_ATTEMPT.rows(self.conn, values)[0]["id"])

    def set_status(self, attempt_id: int, status: str) -> None:
        ds.SET_ATTEMPT_STATUS.run(self.conn, {"attempt_id": attempt_id, "status": status})

    def record_outcome(self, outcome: NewOutcome) -> None:
        o = outcome
        values = {
            "attempt_id": o.attempt_id,
            "outcome": o.outcome,
            "at": o.at,
            "ring_s": o.ring_s,
            "talk_s": o.talk_s,
            "created_at": o.at,
            "live_answered": o.live_answered,
            "abandoned": o.abandoned,
            "opted_out": o.opted_out,
            "agent_id": o.agent_id,
            "detail": o.detail,
        }
        ds.INSERT_OUTCOME.run(self.conn, values)
        record_day_counts(
            self.conn, o.attempt_id, o.at, live_answered=o.live_answered, abandoned=o.abandoned
        )

    # --- the campaign queue
    def campaign_status(self, campaign_id: int) -> str:
        rows = ds.CAMPAIGN_STATUS.rows(self.conn, {"campaign_id": campaign_id})
        return str(ds.one(rows, "status"))

    def due(self, campaign_id: int, now: datetime, limit: int, statuses: Sequence[str]) -> DueBatch:
        conn = self.conn
        q = t.campaign_contacts.c
        due = q.next_at.is_(None) | (q.next_at <= now)
        rows = (
            conn.execute(
                select(q.id, q.contact_id, q.attempts)
                .where(q.campaign_id == campaign_id, q.status.in_(statuses), due)
                .order_by(q.next_at.is_(None).desc(), q.next_at, q.id)
                .limit(limit)
            ).all()
            if limit > 0
            else []
        )
        waiting = conn.execute(
            select(func.count()).where(q.campaign_id == campaign_id, q.status.in_(statuses), due)
        ).scalar_one()
        nxt = conn.execute(
            select(func.min(q.next_at)).where(
                q.campaign_id == campaign_id, q.status.in_(statuses), q.next_at > now
            )
        ).scalar()
        if nxt is not None and nxt.tzinfo is None:  # SQLite: stored as UTC without offset
            nxt = nxt.replace(tzinfo=UTC)
        items = tuple(QueueRow(int(r[0]), int(r[1]), int(r[2])) for r in rows)
        return DueBatch(items, int(waiting), nxt)

    def claim(self, queue_id: int, statuses: Sequence[str]) -> bool:
        return bool(ds.claim(statuses).count(self.conn, {"queue_id": queue_id}))

    def _queue(self, queue_id: int, **values: object) -> None:
        # a write nobody reads the answer of: sent, not waited for, in a pipelined batch
        ds.queue_update(tuple(values)).send(self.conn, {**values, "queue_id": queue_id})

    def block(
        self, queue_id: int, *, codes: Sequence[str], attempt_id: int, clear_next_at: bool = False
    ) -> None:
        extra: dict[str, object] = {"next_at": None} if clear_next_at else {}
        self._queue(
            queue_id, status="blocked", **extra, codes=list(codes), last_attempt_id=attempt_id
        )

    def defer(
        self, queue_id: int, *, until: datetime | None, codes: Sequence[str], attempt_id: int
    ) -> None:
        self._queue(
            queue_id,
            status="deferred",
            next_at=until,
            codes=list(codes),
            last_attempt_id=attempt_id,
        )

    def start_dialing(self, queue_id: int, *, attempts: int, attempt_id: int) -> None:
        self._queue(
            queue_id, status="dialing", attempts=attempts, codes=None, last_attempt_id=attempt_id
        )

    def close_call(
        self, queue_id: int, *, status: str, outcome: str, next_at: datetime | None
    ) -> None:
        params = {"queue_id": queue_id, "status": status, "last_outcome": outcome}
        ds.CLOSE_CALL.run(self.conn, {**params, "next_at": next_at})

    def interrupted(self, campaign_id: int) -> list[Interrupted]:
        q = t.campaign_contacts.c
        rows = self.conn.execute(
            select(q.id, q.attempts, q.last_attempt_id).where(
                q.campaign_id == campaign_id, q.status == "dialing", q.last_attempt_id.is_not(None)
            )
        ).all()
        return [Interrupted(int(r[0]), int(r[1]), int(r[2])) for r in rows]

    def requeue_unclaimed(self, campaign_id: int) -> None:
        q = t.campaign_contacts.c
        self.conn.execute(
            update(t.campaign_contacts)
            .where(q.campaign_id == campaign_id, q.status == "dialing", q.last_attempt_id.is_(None))
            .values(status="pending")
        )

    # (for desk)
    def stored_attempt(self, attempt_id: int) -> NewAttempt | None:
        a = t.call_attempts.c
        r = self.conn.execute(select(t.call_attempts).where(a.id == attempt_id)).first()
        if r is None:
            return None
        m = r._mapping
        return NewAttempt(**{k: m[k] for k in NewAttempt.__dataclass_fields__})

    # (for desk)
    def queue_callback(self, campaign_id: int, contact_id: int, due_at: datetime) -> bool:
        q = t.campaign_contacts.c
        row = self.conn.execute(
            select(q.id, q.status).where(q.campaign_id == campaign_id, q.contact_id == contact_id)
        ).first()
        if row is None:
            self.conn.execute(
                insert(t.campaign_contacts).values(
                    campaign_id=campaign_id, contact_id=contact_id, status="retry", next_at=due_at
                )
            )
            return True
        if row[1] == "cancelled":
            return False
        self.conn.execute(
            update(t.campaign_contacts)
            .where(q.id == row[0], q.status != "cancelled")
            .values(status="retry", next_at=due_at)
        )
        return True

    # (for preview)
    def offer(self, queue_id: int, statuses: Sequence[str]) -> bool:
        q = t.campaign_contacts.c
        return bool(
            self.conn.execute(
                update(t.campaign_contacts)
                .where(q.id == queue_id, q.status.in_(statuses))
                .values(status="offered")
            ).rowcount
        )

    # (for preview)
    def withdraw_offer(self, queue_id: int, next_at: datetime | None) -> bool:
        q = t.campaign_contacts.c
        return bool(
            self.conn.execute(
                update(t.campaign_contacts)
                .where(q.id == queue_id, q.status == "offered")
                .values(status="pending", next_at=next_at)
            ).rowcount
        )

    # (for preview)
    def requeue_offered(self, campaign_id: int) -> int:
        q = t.campaign_contacts.c
        return int(
            self.conn.execute(
                update(t.campaign_contacts)
                .where(q.campaign_id == campaign_id, q.status == "offered")
                .values(status="pending")
            ).rowcount
        )

    # (for preview)
    def dialled_without_outcome(self, campaign_id: int) -> list[int]:
        a, o = t.call_attempts.c, t.call_outcomes.c
        done = select(o.attempt_id).where(o.attempt_id == a.id).exists()
        return [
            int(i)
            for i in self.conn.scalars(
                select(a.id)
                .where(a.campaign_id == campaign_id, a.status == "dialled", ~done)
                .order_by(a.id)
            )
        ]


class SqlAuditLogRepository:
    """``AuditLogRepository`` over the evidence store."""

    __slots__ = ("conn",)

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    # (for contracts)
    def entries_before(self, before: int | None, limit: int) -> list[dict[str, Any]]:
        a = t.audit_log.c
        query = select(a.seq, a.at, a.actor, a.action, a.subject).order_by(a.seq.desc())
        if before is not None:
            query = query.where(a.seq < before)
        return [dict(r) for r in self.conn.execute(query.limit(limit)).mappings()]

    # (for contracts)
    def owned_ids(self, firm_id: int, kind: str, ids: Collection[int]) -> set[int]:
        if kind == "token":  # a token is its user's, and so their firm's
            k = t.api_tokens.c
            query = (
                select(k.id)
                .join(t.users, t.users.c.id == k.user_id)
                .where(k.id.in_(ids), t.users.c.firm_id == firm_id)
            )
        else:
            # the subject kind's table: its id column and its firm column
            owned: dict[str, tuple[Column[Any], Column[Any]]] = {
                "attempt": (t.call_attempts.c.id, t.call_attempts.c.firm_id),
                "campaign": (t.campaigns.c.id, t.campaigns.c.firm_id),
                "consent": (t.consents.c.id, t.consents.c.firm_id),
                "contact": (t.contacts.c.id, t.contacts.c.firm_id),
                "dnc": (t.dnc_entries.c.id, t.dnc_entries.c.firm_id),
                "firm": (t.firms.c.id, t.firms.c.id),
                "review": (t.review_items.c.id, t.review_items.c.firm_id),
                "rnd": (t.reassigned_checks.c.id, t.reassigned_checks.c.firm_id),
                "user": (t.users.c.id, t.users.c.firm_id),
            }
            id_col, firm_col = owned[kind]
            query = select(id_col).where(id_col.in_(ids), firm_col == firm_id)
        return set(self.conn.execute(query).scalars())
