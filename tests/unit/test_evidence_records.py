"""``service.evidence_records.check_records``: each row against the audit entries about it."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta
from typing import Any

from lexdial.service.evidence_records import check_records

AT = datetime(2026, 12, 1, 15, 0, tzinfo=UTC)
TEXT = "I agree that the firm may call me with reminders."
SHA = hashlib.sha256(TEXT.encode()).hexdigest()


def _entry(seq: int, action: str, subject: str, at: datetime = AT, **data: Any) -> dict[str, Any]:
    return {"seq": seq, "at": at, "action": action, "subject": subject, "data": json.dumps(data)}


def _consent(**over: Any) -> dict[str, Any]:
    row = {"id": 1, "kind": "express", "scope": ["reminder"], "method": "letter",
           "given_at": AT - timedelta(days=30), "disclosure_sha256": SHA,
           "disclosure_text": TEXT, "revoked_at": None}  # fmt: skip
    return {**row, **over}


CONSENT_ENTRY = _entry(1, "consent.recorded", "consent:1", contact=7, kind="express",
                       scope=["reminder"], method="letter", disclosure_sha256=SHA,
                       given_at=(AT - timedelta(days=30)).isoformat())  # fmt: skip


def _attempt(**over: Any) -> dict[str, Any]:
    decision = {"verdict": "allow", "rulepack": "2026.12.2", "decision_id": "D1",
                "input_digest": "ab", "reasons": []}  # fmt: skip
    return {"id": 5, "contact_id": 7, "verdict": "allow", "rulepack": "2026.12.2",
            "decision": decision, **over}  # fmt: skip


DECISION_ENTRY = _entry(2, "decision.recorded", "attempt:5", contact=7, campaign=None,
                        verdict="allow", codes=[], decision_id="D1", rulepack="2026.12.2",
                        input_digest="ab")  # fmt: skip


def _check(**rows: Any) -> list[tuple[str, str]]:
    found = check_records(
        consents=rows.get("consents", []),
        attempts=rows.get("attempts", []),
        outcomes=rows.get("outcomes", []),
        dnc=rows.get("dnc", []),
        entries=rows.get("entries", []),
        held_elsewhere=rows.get("elsewhere", ()),
    )
    return [(p.record, p.problem) for p in found]


def test_rows_that_say_what_their_entries_recorded_raise_no_problem() -> None:
    assert _check(consents=[_consent()], attempts=[_attempt()],
                  entries=[CONSENT_ENTRY, DECISION_ENTRY]) == []  # fmt: skip


def test_a_disclosure_text_that_no_longer_hashes_to_its_recorded_digest_is_named() -> None:
    problems = _check(consents=[_consent(disclosure_text=TEXT + " Or not.")],
                      entries=[CONSENT_ENTRY])  # fmt: skip
    assert problems and problems[0][0] == "consent:1" and "text was changed" in problems[0][1]


def test_a_given_at_stored_in_utc_matches_the_entry_given_with_its_offset() -> None:
    entry = {**CONSENT_ENTRY, "data": json.dumps({**json.loads(CONSENT_ENTRY["data"]),
             "given_at": (AT - timedelta(days=30)).astimezone().isoformat()})}  # fmt: skip
    assert _check(consents=[_consent()], entries=[entry]) == []


def test_a_row_deleted_by_a_later_retention_purge_is_no_problem_but_one_deleted_before_is() -> None:
    purge = _entry(9, "privacy.purged", "store:retention", at=AT + timedelta(days=2000),
                   deleted={"call_attempts": 1, "call_outcomes": 0, "revoked_consents": 0,
                            "dnc_entries": 0},
                   retention_days={"call_records": 1830, "revoked_consents": 1830,
                                   "dnc_entries": 3660})  # fmt: skip
    assert _check(entries=[DECISION_ENTRY, purge]) == []
    early = {**purge, "seq": 1, "at": AT - timedelta(days=1)}  # a purge before the decision
    assert [r for r, _ in _check(entries=[early, DECISION_ENTRY])] == ["attempt:5"]


def test_an_attempt_id_given_again_after_a_purge_is_not_taken_for_the_old_one() -> None:
    purge = _entry(9, "privacy.purged", "store:retention", at=AT + timedelta(days=2000),
                   deleted={"call_attempts": 1}, retention_days={"call_records": 1830})  # fmt: skip
    new = _entry(10, "decision.recorded", "attempt:5", at=AT + timedelta(days=2001), contact=8,
                 campaign=None, verdict="deny", codes=["X"], decision_id="D2",
                 rulepack="2026.12.2", input_digest="cd")  # fmt: skip
    row = _attempt(contact_id=8, verdict="deny",
                   decision={"verdict": "deny", "rulepack": "2026.12.2", "decision_id": "D2",
                             "input_digest": "cd", "reasons": [{"code": "X"}]})  # fmt: skip
    assert _check(attempts=[row], entries=[DECISION_ENTRY, purge, new]) == []
    # without the purge the same row is another contact's: changed
    assert _check(attempts=[row], entries=[DECISION_ENTRY, new])


def test_a_repeated_opt_out_keeps_the_first_channel_and_revokes_consents_given_before_it() -> None:
    first = _entry(3, "optout.honoured", "dnc:1", contact=7, channel="key_press",
                   already_listed=False)  # fmt: skip
    again = _entry(4, "optout.honoured", "dnc:1", contact=7, channel="sms", already_listed=True)
    dnc = [{"id": 1, "at": AT, "channel": "key_press"}]
    revoked = _consent(revoked_at=AT)
    assert _check(consents=[revoked], dnc=dnc, entries=[CONSENT_ENTRY, first, again]) == []
    in_force = _check(consents=[_consent()], dnc=dnc, entries=[CONSENT_ENTRY, first])
    assert [r for r, _ in in_force] == ["consent:1"]


def test_a_consent_or_opt_out_held_for_another_number_of_the_contact_is_not_missing() -> None:
    optout = _entry(3, "optout.honoured", "dnc:2", contact=7, channel="staff", already_listed=False)
    assert _check(entries=[CONSENT_ENTRY, optout], elsewhere={"consent:1", "dnc:2"}) == []
    assert [r for r, _ in _check(entries=[CONSENT_ENTRY, optout])] == ["consent:1", "dnc:2"]


def test_a_pdf_calls_a_chain_broken_that_ends_before_or_differs_from_its_checkpoint() -> None:
    from lexdial.service.report_pdf_records import checkpoint_contradiction

    signed = {"seq": 209, "head": "a" * 64, "at": "2026-12-07T19:52:06Z"}
    assert checkpoint_contradiction({"head": f"209:{'a' * 64}", "checkpoint": signed}) is None
    assert checkpoint_contradiction({"head": f"210:{'b' * 64}", "checkpoint": signed}) is None
    assert checkpoint_contradiction({"head": f"209:{'a' * 64}", "checkpoint": None}) is None
    cut = checkpoint_contradiction({"head": f"199:{'c' * 64}", "checkpoint": signed})
    assert cut is not None and cut.startswith("truncated") and "entry 209" in cut
    other = checkpoint_contradiction({"head": f"209:{'d' * 64}", "checkpoint": signed})
    assert other is not None and other.startswith("rewritten")
