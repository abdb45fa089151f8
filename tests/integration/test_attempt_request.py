"""Each attempt keeps the request its decision judged (``gate`` rule 4): encrypted, its
SHA-256 the decision's ``input_digest``, decided again to the same decision; shown in the
evidence bundle and the person's access copy; re-encrypted by a key rotation; blanked by
an erasure — on both stores."""

from __future__ import annotations

import hashlib
import random
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, select, update
from tests.integration.test_gate_one_read import PLANS, START, _registry, _seed

from lexdial.adapters.audit.sql import SqlAudit
from lexdial.adapters.crypto import Keyring
from lexdial.adapters.db import tables as t
from lexdial.adapters.db.uow import SqlUnitOfWork, transactions
from lexdial.api import decide_json
from lexdial.rules.engine import Engine as RulesEngine
from lexdial.service import evidence, privacy
from lexdial.service.gate import REQUEST_CTX, gate
from lexdial.service.keys import rotate_keys
from lexdial.service.users import OPERATOR

pytestmark = pytest.mark.integration


def _gated(store: Engine, rules: RulesEngine, cipher: Keyring, n: int) -> list[int]:
    rng = random.Random(7)
    ids = _seed(store, cipher, rng, 12)
    attempts, at = [], START
    for _ in range(n):
        at += timedelta(minutes=rng.choice((3, 60, 600)))
        with store.begin() as conn:
            attempts.append(gate(
                SqlUnitOfWork(conn), rules, cipher, SqlAudit(), _registry(), firm_id=1,
                contact_id=rng.choice(ids), at=at, plan=rng.choice(PLANS),
            ).attempt_id)  # fmt: skip
    return attempts


def _rows(store: Engine) -> list[Any]:
    a = t.call_attempts.c
    with store.connect() as conn:
        return list(conn.execute(select(a.id, a.contact_id, a.decision, a.request_enc)))


def test_each_attempt_keeps_the_request_it_was_judged_on_and_it_decides_again_alike(
    store: Engine, rules: RulesEngine
) -> None:
    cipher = Keyring.from_master_key(b"r" * 32)
    _gated(store, rules, cipher, 40)
    rows = _rows(store)
    assert len(rows) == 40
    for row in rows:
        text = cipher.decrypt(row.request_enc, context=REQUEST_CTX)
        assert hashlib.sha256(text.encode()).hexdigest() == row.decision["input_digest"]
        assert decide_json(text, rules).to_json() == row.decision  # what `lexdial decide` says
        assert "+1" in text  # personal data: hence encrypted
        assert "+1" not in row.request_enc


def test_the_evidence_bundle_and_the_access_copy_show_the_request_and_its_digest_check(
    store: Engine, rules: RulesEngine
) -> None:
    cipher = Keyring.from_master_key(b"r" * 32)
    _gated(store, rules, cipher, 20)
    row = _rows(store)[0]
    with store.connect() as conn:
        number = cipher.decrypt(
            conn.execute(select(t.contact_numbers.c.number_enc)
                         .where(t.contact_numbers.c.contact_id == row.contact_id)).scalar_one(),
            context="contact_numbers.number",
        )  # fmt: skip
        got = evidence.bundle(SqlUnitOfWork(conn), cipher, 1, number)
    shown = {d["attempt_id"]: d for d in got["decisions"]}[row.id]
    assert shown["request"]["number"] == number and shown["request_matches_digest"] is True
    with store.begin() as conn:  # the stored decision's digest edited: the check says so
        decision = {**row.decision, "input_digest": "0" * 64}
        conn.execute(update(t.call_attempts).where(t.call_attempts.c.id == row.id)
                     .values(decision=decision))  # fmt: skip
    with store.connect() as conn:
        got = evidence.bundle(SqlUnitOfWork(conn), cipher, 1, number)
        held = privacy.export_person(SqlUnitOfWork(conn), cipher, 1, number)
    assert {d["attempt_id"]: d for d in got["decisions"]}[row.id]["request_matches_digest"] is False
    copy = {a["id"]: a for a in held["call_attempts"]}[row.id]
    assert copy["request"]["number"] == number and "request_enc" not in copy


def test_a_key_rotation_re_encrypts_the_requests_and_an_erasure_blanks_them(
    store: Engine, rules: RulesEngine
) -> None:
    cipher = Keyring.from_master_key(b"r" * 32)
    _gated(store, rules, cipher, 20)
    before = {r.id: cipher.decrypt(r.request_enc, context=REQUEST_CTX) for r in _rows(store)}
    kept: list[Keyring] = []
    new, _ = rotate_keys(transactions(store), cipher, kept.append, SqlAudit(), START, OPERATOR)
    rows = _rows(store)
    for r in rows:  # under the new key, the same text
        assert r.request_enc.split(":")[1] == new.current != cipher.current
        assert new.decrypt(r.request_enc, context=REQUEST_CTX) == before[r.id]
    victim = rows[0].contact_id
    with store.connect() as conn:
        number = new.decrypt(
            conn.execute(select(t.contact_numbers.c.number_enc)
                         .where(t.contact_numbers.c.contact_id == victim)).scalar_one(),
            context="contact_numbers.number",
        )  # fmt: skip
    with store.begin() as conn:
        privacy.erase_person(SqlUnitOfWork(conn), new, SqlAudit(), 1, number, OPERATOR, START)
    after = _rows(store)
    assert all(r.request_enc is None for r in after if r.contact_id == victim)
    assert all(r.request_enc is not None for r in after if r.contact_id != victim)
