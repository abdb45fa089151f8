"""The evidence store on SQLite and PostgreSQL: schema, consent ledger, opt-out, gate."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, func, insert, select

from lexdial.adapters.db import tables as t
from lexdial.adapters.db.uow import SqlUnitOfWork
from lexdial.adapters.geodata import load_geography
from lexdial.adapters.rulepack import load_pack
from lexdial.domain.replies import classify_reply
from lexdial.errors import RequestError
from lexdial.rules.context import Policy
from lexdial.rules.engine import Engine as RulesEngine
from lexdial.service.consent import (
    ConsentEvidence,
    NewConsent,
    consents_for,
    record_consent,
    revoke_consent,
)
from lexdial.service.contacts import NewContact, add_contact
from lexdial.service.fakes import ListAudit, MemoryRegistry, Reversible
from lexdial.service.gate import CallPlan, gate
from lexdial.service.optout import opt_out
from lexdial.service.users import OPERATOR as STAFF
from lexdial.service.users import SYSTEM

pytestmark = pytest.mark.integration

NOW = datetime(2026, 12, 2, 16, 0, tzinfo=UTC)  # Wed 11:00 in New York
NUMBER = "+1 614 555 0101"
FIRM = "Hartwell & Ruiz LLP"
EVIDENCE = ConsentEvidence(
    method="signed engagement letter",
    disclosure_text="I agree that Hartwell & Ruiz LLP may call me with reminders...",
    disclosure_version="engagement-2026-01",
    captured_by="intake:jdoe",
    document_ref="DMS-4471",
)


@pytest.fixture(scope="module")
def rules() -> RulesEngine:
    return RulesEngine(pack=load_pack(), geo=load_geography(), policy=Policy())


def _contact(store: Engine, cipher: Reversible, number: str = NUMBER) -> int:
    with store.begin() as conn:
        return add_contact(
            SqlUnitOfWork(conn),
            cipher,
            1,
            NewContact(
                numbers=((number, "wireless"),),
                name="Dana Client",
                address={"country": "US", "state": "OH", "time_zone": "America/New_York"},
                relationship="current_client",
            ),
            NOW,
            audit=ListAudit(),
            caller=STAFF,
        )


def _consent(store: Engine, cipher: Reversible, audit: ListAudit, **over: object) -> int:
    fields: dict[str, object] = {
        "number": NUMBER,
        "kind": "express",
        "scope": ["reminder"],
        "sellers": [FIRM],
        "given_at": NOW - timedelta(days=30),
        "evidence": EVIDENCE,
    }
    fields.update(over)
    with store.begin() as conn:
        return record_consent(
            SqlUnitOfWork(conn), cipher, audit, 1, NewConsent(**fields), STAFF, NOW
        )  # type: ignore[arg-type]


def _count(store: Engine, table: object) -> int:
    with store.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())  # type: ignore[arg-type]


def test_the_migrations_build_exactly_the_schema_the_code_queries(store: Engine) -> None:
    with store.connect() as conn:
        diffs = compare_metadata(MigrationContext.configure(conn), t.metadata)
    assert diffs == []


def test_a_consent_is_recorded_with_its_evidence_and_shown_back(store: Engine) -> None:
    cipher, audit = Reversible(), ListAudit()
    _contact(store, cipher)
    cid = _consent(store, cipher, audit)
    with store.connect() as conn:
        shown = consents_for(SqlUnitOfWork(conn), cipher, 1, "(614) 555-0101")
    assert [c["id"] for c in shown] == [cid]
    assert shown[0]["disclosure_text"] == EVIDENCE.disclosure_text
    assert len(shown[0]["disclosure_sha256"]) == 64
    assert shown[0]["revoked_at"] is None
    assert audit.entries[-1]["action"] == "consent.recorded"


@pytest.mark.parametrize(
    ("over", "field"),
    [
        pytest.param({"kind": "oral"}, "kind", id="an-unknown-kind"),
        pytest.param({"scope": []}, "scope", id="no-scope"),
        pytest.param({"scope": ["sales"]}, "scope[0]", id="a-bad-purpose"),
        pytest.param({"sellers": []}, "sellers", id="no-seller"),
        pytest.param({"number": "+1 614 555 0199"}, "number", id="an-unknown-contact"),
        pytest.param({"number": "12"}, "number", id="not-a-number"),
        pytest.param(
            {
                "kind": "express_written",
                "evidence": ConsentEvidence(
                    method="web form",
                    disclosure_text="x",
                    disclosure_version="v1",
                    captured_by="web",
                ),
            },
            "evidence",
            id="written-without-signature-evidence",
        ),
    ],
)
def test_a_bad_consent_is_refused_naming_the_field_and_writes_nothing(
    store: Engine, over: dict[str, object], field: str
) -> None:
    cipher, audit = Reversible(), ListAudit()
    _contact(store, cipher)
    with pytest.raises(RequestError) as err:
        _consent(store, cipher, audit, **over)
    assert err.value.field == field
    assert _count(store, t.consents) == 0
    assert audit.entries == []


def test_the_same_consent_twice_is_refused_as_a_duplicate(store: Engine) -> None:
    cipher, audit = Reversible(), ListAudit()
    _contact(store, cipher)
    first = _consent(store, cipher, audit)
    with pytest.raises(RequestError, match=f"#{first}"):
        _consent(store, cipher, audit)
    assert _count(store, t.consents) == 1


def test_a_revocation_for_an_unknown_consent_is_refused(store: Engine) -> None:
    cipher, audit = Reversible(), ListAudit()
    with store.begin() as conn, pytest.raises(RequestError) as err:
        revoke_consent(SqlUnitOfWork(conn), cipher, audit, 1, 999, "sms", NOW, "STOP", STAFF, NOW)
    assert err.value.field == "consent_id"
    assert _count(store, t.revocations) == 0


def test_a_consent_is_revoked_once_and_the_record_itself_is_never_edited(store: Engine) -> None:
    cipher, audit = Reversible(), ListAudit()
    _contact(store, cipher)
    cid = _consent(store, cipher, audit)
    with store.begin() as conn:
        revoke_consent(
            SqlUnitOfWork(conn), cipher, audit, 1, cid, "email", NOW, "please stop", STAFF, NOW
        )
    with store.begin() as conn, pytest.raises(RequestError, match="already revoked"):
        revoke_consent(SqlUnitOfWork(conn), cipher, audit, 1, cid, "sms", NOW, "STOP", STAFF, NOW)
    with store.connect() as conn:
        shown = consents_for(SqlUnitOfWork(conn), cipher, 1, NUMBER)
    assert shown[0]["revoked_via"] == "email"
    assert shown[0]["kind"] == "express"


def test_the_gate_allows_a_consented_reminder_and_records_the_decision(
    store: Engine, rules: RulesEngine
) -> None:
    cipher, audit = Reversible(), ListAudit()
    contact = _contact(store, cipher)
    _consent(store, cipher, audit)
    with store.begin() as conn:
        result = gate(
            SqlUnitOfWork(conn),
            rules,
            cipher,
            audit,
            MemoryRegistry(),
            firm_id=1,
            contact_id=contact,
            at=NOW,
            plan=CallPlan(purpose="reminder", technology="prerecorded"),
        )
    assert result.decision.verdict == "allow", result.decision.reasons
    with store.connect() as conn:
        row = conn.execute(select(t.call_attempts)).mappings().one()
    assert row["status"] == "allowed"
    assert row["decision_id"] == result.decision.decision_id
    assert row["decision"]["rulepack"] == rules.pack.version
    assert audit.entries[-1]["action"] == "decision.recorded"


def test_after_an_opt_out_the_gate_denies_and_queued_attempts_are_cancelled(
    store: Engine, rules: RulesEngine
) -> None:
    cipher, audit = Reversible(), ListAudit()
    contact = _contact(store, cipher)
    _consent(store, cipher, audit)
    with store.begin() as conn:
        conn.execute(
            insert(t.call_attempts).values(
                firm_id=1,
                contact_id=contact,
                number_bidx=cipher.blind_index("+16145550101", kind="number"),
                at=NOW + timedelta(hours=2),
                purpose="reminder",
                technology="prerecorded",
                status="queued",
                created_at=NOW,
            )
        )
    with store.begin() as conn:
        done = opt_out(
            SqlUnitOfWork(conn), cipher, audit, 1, NUMBER, "key_press", "pressed 9", SYSTEM, NOW
        )
    assert (done.consents_revoked, done.attempts_cancelled, done.contact_id) == (1, 1, contact)
    with store.begin() as conn:
        result = gate(
            SqlUnitOfWork(conn),
            rules,
            cipher,
            audit,
            MemoryRegistry(),
            firm_id=1,
            contact_id=contact,
            at=NOW + timedelta(minutes=1),
            plan=CallPlan(purpose="reminder", technology="prerecorded"),
        )
    assert result.decision.verdict == "deny"
    assert {"INTERNAL_DNC", "CONSENT_REVOKED"} <= set(result.decision.codes)
    with store.connect() as conn:
        statuses = sorted(conn.execute(select(t.call_attempts.c.status)).scalars())
    assert statuses == ["cancelled", "denied"]


def test_the_gate_reads_the_registry_and_its_snapshot_date(
    store: Engine, rules: RulesEngine
) -> None:
    cipher, audit = Reversible(), ListAudit()
    contact = _contact(store, cipher)
    registry = MemoryRegistry(
        {"us-national": {"+16145550101"}}, {"us-national": date(2026, 11, 30)}
    )
    with store.begin() as conn:
        result = gate(
            SqlUnitOfWork(conn),
            rules,
            cipher,
            audit,
            registry,
            firm_id=1,
            contact_id=contact,
            at=NOW,
            plan=CallPlan(purpose="marketing", technology="manual"),
        )
    # a current client: the established business relationship exempts the registry listing
    assert "NATIONAL_DNC" not in result.decision.codes
    with store.begin() as conn:
        conn.execute(t.contacts.update().values(relationship="prospect"))
    with store.begin() as conn:
        result = gate(
            SqlUnitOfWork(conn),
            rules,
            cipher,
            audit,
            registry,
            firm_id=1,
            contact_id=contact,
            at=NOW,
            plan=CallPlan(purpose="marketing", technology="manual"),
        )
    assert "NATIONAL_DNC" in result.decision.codes


def test_an_erased_number_cannot_be_imported_again(store: Engine) -> None:
    cipher = Reversible()
    with store.begin() as conn:
        conn.execute(
            insert(t.erasure_tombstones).values(
                firm_id=1,
                number_bidx=cipher.blind_index("+16145550101", kind="number"),
                erased_at=NOW,
            )
        )
    with pytest.raises(RequestError, match="erased"):
        _contact(store, cipher)
    assert _count(store, t.contacts) == 0


def test_personal_data_is_not_stored_in_clear(store: Engine, rules: RulesEngine) -> None:
    cipher, _audit = Reversible(), ListAudit()
    _contact(store, cipher)
    with store.connect() as conn:
        row = conn.execute(select(t.contact_numbers)).mappings().one()
        person = conn.execute(select(t.contacts)).mappings().one()
    assert "5550101" not in str(dict(row)) and "Dana" not in str(dict(person))


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        pytest.param("STOP", "revocation", id="stop"),
        pytest.param(" stop. ", "revocation", id="stop-with-punctuation"),
        pytest.param("Opt-Out", "revocation", id="opt-out"),
        pytest.param("unsubscribe", "revocation", id="unsubscribe"),
        pytest.param("End", "revocation", id="end"),
        pytest.param("please don't call me again", "review", id="free-text-revocation"),
        pytest.param("not interested, remove my number", "review", id="remove-my-number"),
        pytest.param("See you at the hearing", "none", id="an-ordinary-reply"),
        pytest.param("stop by the office tomorrow?", "none", id="stop-inside-a-sentence"),
    ],
)
def test_sms_replies_are_classified_as_revocations_or_for_review(text: str, kind: str) -> None:
    assert classify_reply(text) == kind


def test_allowed_attempts_count_toward_the_frequency_caps_even_without_an_outcome(
    store: Engine, rules: RulesEngine
) -> None:
    """Florida: 3 solicitation calls per 24 h; the gate's own allowed attempts count."""
    cipher, audit = Reversible(), ListAudit()
    with store.begin() as conn:
        contact = add_contact(
            SqlUnitOfWork(conn),
            cipher,
            1,
            NewContact(
                numbers=(("+1 813 555 0143", "landline"),),
                relationship="current_client",
                address={"country": "US", "state": "FL"},
            ),
            NOW,
            audit=ListAudit(),
            caller=STAFF,
        )
    registry = MemoryRegistry({"us-national": set()}, {"us-national": date(2026, 11, 30)})
    verdicts = []
    for minutes in (0, 60, 120, 180):
        with store.begin() as conn:
            verdicts.append(
                gate(
                    SqlUnitOfWork(conn),
                    rules,
                    cipher,
                    audit,
                    registry,
                    firm_id=1,
                    contact_id=contact,
                    at=NOW + timedelta(minutes=minutes),
                    plan=CallPlan("marketing", "manual", "estate plan"),
                ).decision.verdict
            )
    assert verdicts == ["allow", "allow", "allow", "defer"]


def test_instants_given_with_an_offset_are_stored_as_the_same_instant(store: Engine) -> None:
    """SQLite keeps no offset: a consent given at 09:00-05:00 must read back as 14:00 UTC."""
    cipher, audit = Reversible(), ListAudit()
    _contact(store, cipher)
    local = datetime(2026, 6, 1, 9, 0, tzinfo=timezone(timedelta(hours=-5)))
    _consent(store, cipher, audit, given_at=local)
    with store.connect() as conn:
        shown = consents_for(SqlUnitOfWork(conn), cipher, 1, NUMBER)
    given = shown[0]["given_at"]
    if given.tzinfo is None:
        given = given.replace(tzinfo=UTC)
    assert given == local
