"""The gate reads the contact's call history in the same statement as its other facts
(``gate_reads.gate_facts``, issue 15 item 6), and a what-if check still judges exactly what
the dial judged.

What matters: over many varied contacts and calls, on both stores, the request built from
the one read is the request the separate reads built, and ``lexdial decide`` given that
request as JSON text gives the decision the durable gate recorded, digest and id included.
"""

from __future__ import annotations

import json
import random
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, insert

from lexdial.adapters.audit.sql import SqlAudit
from lexdial.adapters.crypto import Keyring
from lexdial.adapters.db import tables as t
from lexdial.adapters.db.repos.calls import SqlAttemptRepository
from lexdial.adapters.db.uow import SqlUnitOfWork
from lexdial.api import decide_json
from lexdial.domain.digest import request_digest
from lexdial.rules.engine import Engine as RulesEngine
from lexdial.service.consent import ConsentEvidence, NewConsent, record_consent
from lexdial.service.contacts import NewContact, add_contact
from lexdial.service.fakes import ListAudit, MemoryRegistry
from lexdial.service.gate import CallPlan, gate
from lexdial.service.gate_request import COUNTED_STATUSES, build_request
from lexdial.service.repos.calls import NewAttempt, NewOutcome
from lexdial.service.users import OPERATOR

pytestmark = pytest.mark.integration

FIRM = "Hartwell & Ruiz LLP"
START = datetime(2026, 12, 2, 13, 0, tzinfo=UTC)  # Wed 08:00 in New York
PLANS = (
    CallPlan("reminder", "prerecorded"),
    CallPlan("reminder", "manual"),
    CallPlan("marketing", "autodialed"),
    CallPlan("informational", "manual"),
    CallPlan("notification", "prerecorded"),
)
STATES = ("OH", "FL", "CA", "TX", "NY", "WA", "HI", None)
AREAS = {"OH": "614", "FL": "813", "CA": "415", "TX": "512", "NY": "212", "WA": "206"}
OUTCOMES = ("human", "machine", "opted_out", "bridged", "no_answer", "busy")


class _SeparateReads:
    """The attempts repository read as before the one-statement read: the contact first,
    its history by a statement of its own (``contact_for_gate`` given no window)."""

    def __init__(self, repo: SqlAttemptRepository) -> None:
        self._repo = repo

    def contact_for_gate(self, contact_id: int, history: object = None) -> Any:
        return self._repo.contact_for_gate(contact_id)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._repo, name)


class _SeparateUow:
    def __init__(self, uow: SqlUnitOfWork) -> None:
        self.attempts = _SeparateReads(uow.attempts)
        self._uow = uow

    def __getattr__(self, name: str) -> Any:
        return getattr(self._uow, name)


def _seed(store: Engine, cipher: Keyring, rng: random.Random, n: int) -> list[int]:
    """``n`` contacts with varied facts: relationship, state, line type, consents (some
    revoked, some given to another seller), do-not-call entries, reassigned checks."""
    ids = []
    with store.begin() as conn:
        uow = SqlUnitOfWork(conn)
        for i in range(n):
            state = rng.choice(STATES)
            area = AREAS.get(state or "", "808")
            number = f"+1 {area} 555 {i:04d}"
            rel = rng.choice(("current_client", "former_client", "inquiry", "none"))
            contact = NewContact(
                numbers=((number, rng.choice(("wireless", "landline", None))),),
                relationship=rel,
                address={"country": "US", "state": state} if state else None,
                last_transaction_on=date(2026, rng.randint(1, 11), 3)
                if rel == "former_client"
                else None,
                inquiry_on=date(2026, 11, rng.randint(1, 28)) if rel == "inquiry" else None,
            )
            cid = add_contact(uow, cipher, 1, contact, START, audit=ListAudit(), caller=OPERATOR)
            ids.append(cid)
            for k in range(rng.randint(0, 2)):
                consent = NewConsent(
                    number=number, kind=rng.choice(("express", "express_written")),
                    scope=rng.sample(["reminder", "marketing", "informational"], rng.randint(1, 2)),
                    sellers=[FIRM] if rng.random() < 0.8 else ["Another Firm LLP"],
                    given_at=START - timedelta(days=rng.randint(1, 400)),
                    evidence=ConsentEvidence(
                        "engagement letter", "I agree.", "v1", "staff", document_ref="doc-1"
                    ),
                    technologies=rng.choice((None, ["prerecorded"], ["manual", "autodialed"])),
                )  # fmt: skip
                consent_id = record_consent(uow, cipher, ListAudit(), 1, consent, OPERATOR, START)
                if k and rng.random() < 0.5:
                    conn.execute(insert(t.revocations).values(
                        consent_id=consent_id, at=START - timedelta(hours=1), channel="sms",
                        created_at=START,
                    ))  # fmt: skip
            bidx = cipher.blind_index(number, kind="number")
            if rng.random() < 0.1:
                conn.execute(insert(t.dnc_entries).values(
                    firm_id=1, number_bidx=bidx, at=START, channel="staff", created_at=START
                ))  # fmt: skip
            if rng.random() < 0.2:
                conn.execute(insert(t.reassigned_checks).values(
                    firm_id=1, number_bidx=bidx, result=rng.choice(("yes", "no", "no_data")),
                    checked_on=date(2026, 11, rng.randint(1, 30)), created_at=START,
                ))  # fmt: skip
    return ids


def _registry() -> MemoryRegistry:
    listed = {"+18135550003", "+12125550004"}  # on the national do-not-call list
    return MemoryRegistry(
        lists={"us-national": listed}, snapshots={"us-national": date(2026, 11, 25)}
    )


def _requests(store: Engine, cipher: Keyring, contact: int, at: datetime, plan: CallPlan) -> Any:
    """The request built from one read and from separate reads, on the same state."""
    registry = _registry()
    out = []
    for separate in (False, True):
        with store.begin() as conn:
            uow: Any = SqlUnitOfWork(conn)
            raw, _, _ = build_request(
                _SeparateUow(uow) if separate else uow, cipher, registry, firm_id=1,
                contact_id=contact, at=at, campaign_id=None, plan=plan,
            )  # fmt: skip
        out.append(raw)
    return out


def test_a_what_if_decide_and_the_durable_gate_judge_every_contact_alike(
    store: Engine, rules: RulesEngine
) -> None:
    rng = random.Random(20261207)
    cipher = Keyring.from_master_key(b"g" * 32)
    ids = _seed(store, cipher, rng, 30)
    registry = _registry()
    at, verdicts, histories = START, set(), 0
    for _ in range(160):
        at += timedelta(minutes=rng.choice((1, 7, 45, 300, 1440)))
        contact, plan = rng.choice(ids), rng.choice(PLANS)
        one_read, separate = _requests(store, cipher, contact, at, plan)
        assert one_read == separate
        histories += bool(one_read["history"])
        text = json.dumps(one_read)  # what a person would give `lexdial decide`
        what_if = decide_json(text, rules)
        with store.begin() as conn:
            result = gate(
                SqlUnitOfWork(conn), rules, cipher, SqlAudit(), registry, firm_id=1,
                contact_id=contact, at=at, plan=plan,
            )  # fmt: skip
            if result.decision.verdict == "allow" and rng.random() < 0.7:
                SqlUnitOfWork(conn).attempts.record_outcome(NewOutcome(
                    attempt_id=result.attempt_id, outcome=rng.choice(OUTCOMES),
                    at=at + timedelta(seconds=30), ring_s=5.0, talk_s=10.0,
                    live_answered=False, abandoned=False, opted_out=False, agent_id=None,
                    detail=None,
                ))  # fmt: skip
        assert result.decision.to_json() == what_if.to_json()
        assert result.decision.input_digest == request_digest(one_read)
        verdicts.add(result.decision.verdict)
    # the table is varied enough to judge: every verdict, and calls with a history
    assert verdicts == {"allow", "deny", "defer"} and histories > 40


def _attempt(uow: SqlUnitOfWork, contact: int, at: datetime, status: str) -> int:
    return uow.attempts.record(
        NewAttempt(
            firm_id=1, contact_id=contact, campaign_id=None, number_bidx="b1", at=at,
            purpose="reminder", technology="manual", subject=None, debt_ref=None,
            status=status, decision_id="d", verdict="allow", earliest_allowed_at=None,
            rulepack="p", decision=None, created_at=at,
        )
    )  # fmt: skip


def test_the_history_read_with_the_contact_is_the_history_read_on_its_own(
    store: Engine,
) -> None:
    since, until = START - timedelta(days=61), START
    window = (since, until, COUNTED_STATUSES)
    with store.begin() as conn:
        uow = SqlUnitOfWork(conn)
        contact = int(conn.execute(insert(t.contacts).values(
            firm_id=1, relationship="none", created_at=START
        )).inserted_primary_key[0])  # fmt: skip
        conn.execute(insert(t.contact_numbers).values(
            contact_id=contact, firm_id=1, number_enc="enc", number_bidx="b1", created_at=START
        ))  # fmt: skip
        for when, status in (
            (since - timedelta(seconds=1), "allowed"),  # before the window
            (since, "allowed"),  # its first instant counts
            (since + timedelta(days=3), "denied"),  # not a call placed
            (since + timedelta(days=3), "dialled"),
            (START - timedelta(hours=2), "completed"),
            (START - timedelta(hours=2), "allowed"),  # the same instant: by id
            (until, "allowed"),  # its last instant counts
            (until + timedelta(seconds=1), "allowed"),  # after it
        ):
            attempt = _attempt(uow, contact, when, status)
            if status == "completed":
                uow.attempts.record_outcome(NewOutcome(
                    attempt_id=attempt, outcome="machine", at=when, ring_s=None, talk_s=None,
                    live_answered=False, abandoned=False, opted_out=False, agent_id=None,
                    detail=None,
                ))  # fmt: skip
    with store.begin() as conn:
        alone = SqlAttemptRepository(conn)
        first = alone.contact_for_gate(contact)
        expected = alone.history(contact, since, until, COUNTED_STATUSES)
    assert len(expected) == 5 and [c.outcome for c in expected].count("machine") == 1
    with store.begin() as conn:
        repo = SqlAttemptRepository(conn)
        assert repo.contact_for_gate(contact, window) == first
        assert repo.consents_for(1, "b1") == []
        assert repo.history(contact, since, until, COUNTED_STATUSES) == expected
        # served once: a later read in the same transaction sees a new call
        _attempt(SqlUnitOfWork(conn), contact, START - timedelta(minutes=1), "allowed")
        assert len(repo.history(contact, since, until, COUNTED_STATUSES)) == 6
        # another window than the one read with the contact goes to the database
        repo.contact_for_gate(contact, window)
        other = repo.history(contact, since, until - timedelta(days=1), ("allowed",))
        assert [c.at for c in other] == [since]
        assert repo.contact_for_gate(10_000, window) is None
        assert repo.history(10_000, since, until, COUNTED_STATUSES) == []
