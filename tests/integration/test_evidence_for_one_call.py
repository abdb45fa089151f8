"""The evidence for one call after a real campaign, and what it says when a row under it
was changed in the database: the hash chain holds (its entries were not touched), so only
comparing each row with its audit entries can catch it (``service.evidence_records``)."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pypdf import PdfReader
from sqlalchemy import Engine, delete, select, text, update

from lexdial.adapters.audit.sql import SqlAudit
from lexdial.adapters.db import tables as t
from lexdial.adapters.db.uow import SqlUnitOfWork
from lexdial.adapters.telephony.simulated import SimProfile, SimulatedCarrier
from lexdial.errors import NotFoundError
from lexdial.rules.engine import Engine as RulesEngine
from lexdial.service import evidence
from lexdial.service.fakes import Reversible
from lexdial.service.privacy import purge
from lexdial.service.report_pdf import campaign_pdf, evidence_pdf
from lexdial.service.users import OPERATOR

from .test_dialer import START, _campaign, _people, _run, _start

pytestmark = pytest.mark.integration


def _called(store: Engine, rules: RulesEngine, cipher: Reversible) -> tuple[str, int]:
    """A campaign where everyone answers and presses 9: one opted-out number and its
    contact id."""
    with store.begin() as conn:  # one snapshot loaded before the campaign, one after it
        for on, loaded in (
            (START.date() - timedelta(days=12), START - timedelta(days=10)),
            (START.date() + timedelta(days=5), START + timedelta(days=6)),
        ):
            conn.execute(t.registry_snapshots.insert().values(list_name="ftc", snapshot_on=on,
                         count=10, manifest_sha256="0" * 64, loaded_at=loaded))  # fmt: skip
    ids = _people(store, cipher, 2)
    cid = _campaign(store, ids)
    _start(store, rules, cipher, cid)
    carrier = SimulatedCarrier(SimProfile(human=1.0, opt_out=1.0), seed=1, timescale=0.0005)
    _run(store, rules, cipher, cid, carrier)
    return "+16145551000", ids[0]


def _bundle(store: Engine, cipher: Reversible, number: str) -> dict[str, Any]:
    with store.connect() as conn:
        return evidence.bundle(SqlUnitOfWork(conn), cipher, 1, number)


def _problems(found: dict[str, Any]) -> list[tuple[str, str]]:
    return [(p["record"], p["problem"]) for p in found["records"]["problems"]]


def test_the_evidence_for_one_called_number_holds_every_fact_and_agrees_with_the_audit_trail(
    store: Engine, rules: RulesEngine
) -> None:
    cipher = Reversible()
    number, contact = _called(store, rules, cipher)
    found = _bundle(store, cipher, number)
    assert found["contact_id"] == contact
    assert found["intact"] and found["chain"]["intact"] and found["records"]["intact"]
    assert found["records"]["problems"] == []
    (decision,) = found["decisions"]
    assert decision["verdict"] == "allow" and decision["decision"]["input_digest"]
    assert decision["rulepack"] == rules.pack.version
    assert [c["outcome"] for c in found["calls"]] == ["opted_out"]
    assert [o["channel"] for o in found["opt_outs"]] == ["key_press"]
    (consent,) = found["consents"]
    assert consent["revoked_via"] == "key_press" and consent["disclosure_text"]
    # what the records held at the decision: the consent (revoked only later, by the 9),
    # no do-not-call entry yet (the 9 came after), the registry snapshot loaded before
    then = decision["facts_then"]
    assert then["consents_in_force"] == [consent["id"]]
    assert then["do_not_call_entries"] == []
    assert [(r["list"], r["snapshot_on"]) for r in then["registry_snapshots"]] == [
        ("ftc", "2026-11-20")
    ]
    actions = {e["action"] for e in found["audit_entries"]}
    assert {"decision.recorded", "call.outcome", "optout.honoured", "consent.recorded"} <= actions


def _attempt_id(store: Engine, contact: int) -> int:
    with store.connect() as conn:
        return int(
            conn.execute(
                select(t.call_attempts.c.id).where(t.call_attempts.c.contact_id == contact)
            ).scalar_one()
        )


@pytest.mark.parametrize(
    ("change", "record", "words"),
    [
        ("verdict", "attempt", 'verdict is "deny" in the store'),
        ("reasons", "attempt", "reason codes"),
        ("scope", "consent", "scope is"),
        ("opt-out deleted", "dnc", "no longer in the store"),
        ("revocation deleted", "consent", "the revocation was deleted"),
        ("outcome", "call", 'outcome is "human" in the store'),
        ("outcome deleted", "call", "no longer in the store"),
    ],
)
def test_a_row_changed_in_the_database_is_named_in_the_evidence_though_the_chain_holds(
    store: Engine, rules: RulesEngine, change: str, record: str, words: str
) -> None:
    cipher = Reversible()
    number, contact = _called(store, rules, cipher)
    attempt = _attempt_id(store, contact)
    a, c, o = t.call_attempts, t.consents, t.call_outcomes
    with store.begin() as conn:
        if change == "verdict":
            conn.execute(update(a).where(a.c.id == attempt).values(verdict="deny"))
        elif change == "reasons":
            decision = conn.execute(select(a.c.decision).where(a.c.id == attempt)).scalar_one()
            forged = {**decision, "reasons": [{"code": "FORGED"}]}
            conn.execute(update(a).where(a.c.id == attempt).values(decision=forged))
        elif change == "scope":
            conn.execute(
                update(c).where(c.c.contact_id == contact).values(scope=["marketing", "reminder"])
            )
        elif change == "opt-out deleted":
            conn.execute(delete(t.dnc_entries))
        elif change == "revocation deleted":
            conn.execute(delete(t.revocations))
        elif change == "outcome":
            conn.execute(
                update(o).where(o.c.attempt_id == attempt).values(outcome="human", opted_out=False)
            )
        else:
            conn.execute(delete(o).where(o.c.attempt_id == attempt))
    found = _bundle(store, cipher, number)
    assert found["chain"]["intact"]  # the audit entries themselves were not touched
    assert not found["intact"] and not found["records"]["intact"]
    problems = _problems(found)
    assert any(r.startswith(f"{record}:") and words in p for r, p in problems), problems


def test_a_row_written_behind_lexdials_back_is_named_as_not_audited(
    store: Engine, rules: RulesEngine
) -> None:
    cipher = Reversible()
    number, contact = _called(store, rules, cipher)
    attempt = _attempt_id(store, contact)
    a = t.call_attempts
    with store.begin() as conn:
        row = dict(conn.execute(select(a).where(a.c.id == attempt)).mappings().one())
        conn.execute(a.insert().values({**row, "id": 9999}))
    problems = _problems(_bundle(store, cipher, number))
    assert [r for r, p in problems if "no decision.recorded entry" in p] == ["attempt:9999"]


def test_a_retention_purge_after_a_campaign_runs_and_its_deletions_are_no_tampering(
    store: Engine, rules: RulesEngine
) -> None:
    cipher = Reversible()
    number, _ = _called(store, rules, cipher)
    later = START + timedelta(days=11 * 366)  # every record past its retention period
    with store.begin() as conn:
        # the campaign's list points at each contact's last attempt: the purge clears it
        report = purge(SqlUnitOfWork(conn), SqlAudit(), later, {}, OPERATOR)
    assert report.call_attempts == 2 and report.dnc_entries == 2
    with store.connect() as conn:
        pointers = conn.execute(select(t.campaign_contacts.c.last_attempt_id)).scalars().all()
        tombstones = conn.execute(text("SELECT count(*) FROM dnc_tombstones")).scalar_one()
    assert pointers == [None, None] and tombstones == 2
    found = _bundle(store, cipher, number)
    assert found["decisions"] == [] and found["opt_outs"] == []
    assert found["intact"], found["records"]["problems"]


def test_a_chain_cut_after_a_signed_checkpoint_is_not_called_intact_when_the_bundle_is_given_it(
    store: Engine, rules: RulesEngine
) -> None:
    cipher = Reversible()
    number, _ = _called(store, rules, cipher)
    with store.connect() as conn:
        head = SqlUnitOfWork(conn).reports.audit_head()
    with store.begin() as conn:  # the tail after the signed head is cut off
        conn.execute(delete(t.audit_log).where(t.audit_log.c.seq > head.seq - 3))
    with store.connect() as conn:
        unanchored = evidence.bundle(SqlUnitOfWork(conn), cipher, 1, number)
        anchored = evidence.bundle(
            SqlUnitOfWork(conn), cipher, 1, number, anchors=[(head.seq, head.hash)]
        )
    assert unanchored["chain"]["intact"]  # alone, a shorter chain still chains
    assert not anchored["intact"] and anchored["chain"]["problem"] == "truncated"


def _pdf_text(pdf: bytes) -> str:
    return "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)


def _campaign_pdf(store: Engine, rules: RulesEngine, cipher: Reversible) -> str:
    from lexdial.service.fakes import MemoryRegistry
    from lexdial.service.report_data import campaign_data

    with store.connect() as conn:
        data = campaign_data(SqlUnitOfWork(conn), rules, cipher, MemoryRegistry(), firm_id=1,
                             campaign_id=1, at=START + timedelta(hours=4))  # fmt: skip
    assert data["simulated"] is _sandbox(store)
    return _pdf_text(campaign_pdf(data))


def _sandbox(store: Engine) -> bool:
    with store.connect() as conn:
        return bool(
            conn.execute(
                select(t.audit_log.c.seq).where(t.audit_log.c.action == "store.sandboxed")
            ).first()
        )


@pytest.mark.parametrize("marked", [False, True])
def test_a_sandboxs_evidence_and_campaign_report_say_on_every_page_that_nothing_happened(
    store: Engine, rules: RulesEngine, marked: bool
) -> None:
    cipher = Reversible()
    if marked:  # a database made a sandbox (bootstrap.mark_sandbox) carries the mark itself
        with store.begin() as conn:
            SqlAudit().record(SqlUnitOfWork(conn), at=datetime.now(UTC), actor="system:lexdial",
                              action="store.sandboxed", subject="firm:1",
                              data={"note": "every record may be simulated"})  # fmt: skip
    number, _ = _called(store, rules, cipher)
    found = _bundle(store, cipher, number)
    assert found["simulated"] is marked
    evidence_text = _pdf_text(evidence_pdf(found, firm="F", generated_at="2026-12-02T19:00:00Z"))
    campaign_text = _campaign_pdf(store, rules, cipher)
    for pdf_text in (evidence_text, campaign_text):
        words = " ".join(pdf_text.split())  # the PDF wraps lines anywhere
        assert ("SIMULATED" in words) is marked
        assert ("this document is no evidence of any real call" in words) is marked
    # a face that knows from the folder's mark says so for a store without the entry
    with store.connect() as conn:
        told = evidence.bundle(SqlUnitOfWork(conn), cipher, 1, number, simulated=True)
    assert told["simulated"]


def test_after_an_erasure_the_numbers_evidence_still_shows_its_opt_out(
    store: Engine, rules: RulesEngine
) -> None:
    from lexdial.service.privacy import erase_person

    cipher = Reversible()
    number, _ = _called(store, rules, cipher)
    with store.begin() as conn:
        erase_person(SqlUnitOfWork(conn), cipher, SqlAudit(), 1, number, OPERATOR,
                     START + timedelta(days=1))  # fmt: skip
    found = _bundle(store, cipher, number)
    assert found["contact_id"] is None and "erased" in found["note"]
    assert [o["channel"] for o in found["opt_outs"]] == ["key_press"]
    assert [e["action"] for e in found["audit_entries"]] == ["optout.honoured"]
    assert found["intact"] and found["consents"] == found["decisions"] == []
    with pytest.raises(NotFoundError, match="no contact has this number"):
        _bundle(store, cipher, "+16145559999")  # never known, never opted out
