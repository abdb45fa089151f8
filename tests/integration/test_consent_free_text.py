"""Consent disclosure text and user agents are encrypted at rest and erased on request."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, select, text, update

from lexdial.adapters.crypto import Keyring
from lexdial.adapters.db import tables as t
from lexdial.adapters.db.uow import SqlUnitOfWork
from lexdial.service.consent import (
    ConsentEvidence,
    NewConsent,
    consents_for,
    encrypt_plain_evidence,
    record_consent,
)
from lexdial.service.contacts import NewContact, add_contact
from lexdial.service.fakes import ListAudit
from lexdial.service.privacy import erase_person, export_person
from lexdial.service.users import OPERATOR

pytestmark = pytest.mark.integration

NOW = datetime(2026, 12, 2, 16, 0, tzinfo=UTC)
NUMBER = "+1 614 555 0101"
DISCLOSURE = "I agree that Hartwell & Ruiz LLP may call me about my hearing on Tuesday."
AGENT = "Mozilla/5.0 (X11; Linux x86_64) DanaBrowser/7.1"


def _setup(store: Engine, cipher: Keyring) -> int:
    audit = ListAudit()
    with store.begin() as conn:
        add_contact(
            SqlUnitOfWork(conn),
            cipher,
            1,
            NewContact(
                numbers=((NUMBER, "wireless"),),
                name="Dana Client",
                address={"country": "US", "state": "OH"},
                relationship="current_client",
            ),
            NOW,
            audit=ListAudit(),
            caller=OPERATOR,
        )
        return record_consent(
            SqlUnitOfWork(conn),
            cipher,
            audit,
            1,
            NewConsent(
                number=NUMBER,
                kind="express_written",
                scope=["reminder"],
                sellers=["Hartwell & Ruiz LLP"],
                given_at=NOW - timedelta(days=3),
                evidence=ConsentEvidence(
                    method="web form",
                    disclosure_text=DISCLOSURE,
                    disclosure_version="web-v2",
                    captured_by="public:consent-page",
                    source_ip="203.0.113.9",
                    user_agent=AGENT,
                ),
            ),
            OPERATOR,
            NOW,
        )


def _raw_consents(store: Engine) -> str:
    """Every stored value of the consents table, as the database itself returns it."""
    with store.connect() as conn:
        return repr(conn.execute(text("SELECT * FROM consents")).all())


def test_the_disclosure_text_and_user_agent_are_not_stored_in_plain_text(store: Engine) -> None:
    cipher = Keyring.generate()
    _setup(store, cipher)
    raw = _raw_consents(store)
    assert "hearing on Tuesday" not in raw and "DanaBrowser" not in raw
    with store.connect() as conn:
        shown = consents_for(SqlUnitOfWork(conn), cipher, 1, NUMBER)[0]
        exported = export_person(SqlUnitOfWork(conn), cipher, 1, NUMBER)["consents"][0]
    assert (shown["disclosure_text"], shown["user_agent"]) == (DISCLOSURE, AGENT)
    assert (exported["disclosure_text"], exported["user_agent"]) == (DISCLOSURE, AGENT)


def test_privacy_erase_removes_the_disclosure_text_and_user_agent(store: Engine) -> None:
    cipher = Keyring.generate()
    _setup(store, cipher)
    with store.begin() as conn:
        erase_person(SqlUnitOfWork(conn), cipher, ListAudit(), 1, NUMBER, OPERATOR, NOW)
        row = conn.execute(select(t.consents)).mappings().one()
    assert row["disclosure_text_enc"] is None and row["user_agent_enc"] is None
    assert row["disclosure_text"] is None and row["user_agent"] is None
    assert len(row["disclosure_sha256"]) == 64  # which text was shown stays provable
    assert "hearing on Tuesday" not in _raw_consents(store)


def test_consent_text_stored_in_plain_before_the_migration_is_encrypted_on_open(
    store: Engine,
) -> None:
    cipher = Keyring.generate()
    consent_id = _setup(store, cipher)
    with store.begin() as conn:  # how a row written before migration 0004 looks
        conn.execute(
            update(t.consents)
            .where(t.consents.c.id == consent_id)
            .values(
                disclosure_text=DISCLOSURE,
                user_agent=AGENT,
                disclosure_text_enc=None,
                user_agent_enc=None,
            )
        )
    assert "DanaBrowser" in _raw_consents(store)
    with store.begin() as conn:
        assert encrypt_plain_evidence(SqlUnitOfWork(conn), cipher) == 1
        assert encrypt_plain_evidence(SqlUnitOfWork(conn), cipher) == 0
    raw = _raw_consents(store)
    assert "hearing on Tuesday" not in raw and "DanaBrowser" not in raw
    with store.connect() as conn:
        shown = consents_for(SqlUnitOfWork(conn), cipher, 1, NUMBER)[0]
    assert (shown["disclosure_text"], shown["user_agent"]) == (DISCLOSURE, AGENT)
