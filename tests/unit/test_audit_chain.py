"""The audit trail: canonical JSON, the hash chain, masking, and what verify can prove.

Each tampering row does to a stored chain what an intruder with write access to the table
could do, and states the seq and the problem verify must name. What the chain alone
cannot see (the newest entries cut off, the whole chain recomputed) is tested too, both
without an anchor (undetected, as documented) and with an exported one (detected).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from lexdial.adapters.audit.memory import MemoryAuditStore
from lexdial.domain.audit_chain import (
    GENESIS,
    Anchor,
    AuditConflictError,
    AuditEntry,
    AuditLog,
    canonical_json,
    verify,
)
from lexdial.domain.masking import MASK, mask, mask_value

T0 = datetime(2026, 12, 2, 16, 0, tzinfo=UTC)
NUMBER = "+14105550146"
NAME = "Maria del Carmen Ruiz"

EVENTS: list[dict[str, Any]] = [
    {
        "actor": "user:7",
        "action": "consent.recorded",
        "subject": "consent:1",
        "data": {"contact": 42, "number": NUMBER, "name": NAME, "kind": "express_written"},
        "personal": {"number": "number", "name": "name"},
    },
    {
        "actor": "system",
        "action": "decision.recorded",
        "subject": "attempt:1",
        "data": {"contact": 42, "verdict": "allow", "codes": []},
    },
    {
        "actor": "system",
        "action": "call.outcome",
        "subject": "attempt:1",
        "data": {"outcome": "voicemail", "seconds": 31},
    },
    {
        "actor": "system",
        "action": "optout.received",
        "subject": "contact:42",
        "data": {"channel": "ivr_key", "number": NUMBER},
        "personal": ["number"],
    },
    {
        "actor": "user:3",
        "action": "rulepack.changed",
        "subject": "rulepack:2026.2",
        "data": {"from": "2026.1", "to": "2026.2"},
    },
]


def build(n: int = len(EVENTS)) -> tuple[AuditLog, MemoryAuditStore]:
    store = MemoryAuditStore()
    log = AuditLog(store)
    for i, event in enumerate(EVENTS[:n]):
        log.record(at=T0 + timedelta(minutes=i), **event)
    return log, store


def rehash(entry: AuditEntry) -> AuditEntry:
    return replace(entry, hash=entry.computed_hash())


def relink(entries: list[AuditEntry]) -> list[AuditEntry]:
    """What a careful forger does after an edit: renumber and recompute every link."""
    out: list[AuditEntry] = []
    prev = GENESIS
    for seq, entry in enumerate(entries, 1):
        out.append(rehash(replace(entry, seq=seq, prev_hash=prev)))
        prev = out[-1].hash
    return out


# --- canonical JSON and hashing ---------------------------------------------------------


def test_canonical_json_is_the_same_bytes_whatever_the_key_order() -> None:
    a = {"b": 1, "a": {"y": [1, 2], "x": "é"}, "c": None}
    b = {"c": None, "a": {"x": "é", "y": [1, 2]}, "b": 1}
    expected = '{"a":{"x":"é","y":[1,2]},"b":1,"c":null}'.encode()
    assert canonical_json(a) == canonical_json(b) == expected


def test_records_with_data_in_another_key_order_hash_the_same() -> None:
    def one(data: dict[str, Any]) -> str:
        return (
            AuditLog(MemoryAuditStore())
            .record(at=T0, actor="system", action="call.outcome", subject="attempt:9", data=data)
            .hash
        )

    assert one({"outcome": "busy", "seconds": 0}) == one({"seconds": 0, "outcome": "busy"})


def test_an_entry_hashes_its_predecessor_and_its_canonical_body() -> None:
    _, store = build(2)
    first, second = store.entries
    assert first.prev_hash == GENESIS == "0" * 64 and second.prev_hash == first.hash
    body = json.dumps(
        {
            "action": "decision.recorded",
            "actor": "system",
            "at": "2026-12-02T16:01:00Z",
            "data": {"codes": [], "contact": 42, "verdict": "allow"},
            "masked": [],
            "prev_hash": first.hash,
            "seq": 2,
            "subject": "attempt:1",
        },
        sort_keys=True,
        separators=(",", ":"),
    )
    assert second.hash == hashlib.sha256((first.hash + body).encode()).hexdigest()


@pytest.mark.parametrize(
    ("at", "written"),
    [
        pytest.param(T0, "2026-12-02T16:00:00Z", id="utc"),
        pytest.param(
            datetime(2026, 12, 2, 11, 0, tzinfo=timezone(timedelta(hours=-5))),
            "2026-12-02T16:00:00Z",
            id="an-offset-is-converted-to-utc",
        ),
        pytest.param(
            T0.replace(microsecond=250_000), "2026-12-02T16:00:00.250000Z", id="microseconds"
        ),
    ],
)
def test_times_are_written_as_utc_iso_8601_with_z(at: datetime, written: str) -> None:
    entry = AuditLog(MemoryAuditStore()).record(
        at=at, actor="system", action="call.outcome", subject="attempt:1", data={"at": at}
    )
    assert entry.body()["at"] == written and entry.data["at"] == written


def test_an_entry_survives_a_round_trip_through_json_with_its_hash_intact() -> None:
    _, store = build()
    rows = [json.loads(json.dumps(e.to_dict())) for e in store.entries]
    reloaded = MemoryAuditStore(AuditEntry.from_dict(r) for r in rows)
    assert reloaded.entries == store.entries
    assert verify(reloaded).ok
    naive = [{**r, "at": AuditEntry.from_dict(r).at.replace(tzinfo=None)} for r in rows]
    assert [AuditEntry.from_dict(r) for r in naive] == store.entries, "a zone-less store"


# --- verify ----------------------------------------------------------------------------


def test_an_intact_chain_verifies_and_reports_its_head() -> None:
    log, store = build()
    result = verify(store)
    assert result.ok and result.problem is None and result.bad_seq is None
    assert result.count == 5
    assert result.head == Anchor(5, store.entries[-1].hash) == log.head()


def test_an_empty_log_verifies_with_the_genesis_head() -> None:
    result = verify(MemoryAuditStore())
    assert result.ok and result.count == 0 and result.head == Anchor(0, GENESIS)


Tamper = Callable[[list[AuditEntry]], list[AuditEntry]]


def _edit(i: int, **changes: Any) -> Tamper:
    return lambda es: [replace(e, **changes) if e.seq == i else e for e in es]


def _edit_rehashed(i: int, **changes: Any) -> Tamper:
    return lambda es: [rehash(replace(e, **changes)) if e.seq == i else e for e in es]


def _delete(i: int) -> Tamper:
    return lambda es: [e for e in es if e.seq != i]


def _delete_and_renumber(i: int) -> Tamper:
    """Close the seq gap and rehash each moved entry, but leave its prev_hash."""
    return lambda es: [
        e if e.seq < i else rehash(replace(e, seq=e.seq - 1)) for e in es if e.seq != i
    ]


def _swap(i: int, j: int) -> Tamper:
    def go(es: list[AuditEntry]) -> list[AuditEntry]:
        out = list(es)
        out[i - 1], out[j - 1] = out[j - 1], out[i - 1]
        return out

    return go


@pytest.mark.parametrize(
    ("tamper", "bad_seq", "problem"),
    [
        pytest.param(_edit(3, data={"outcome": "conversation", "seconds": 31}), 3, "edited",
                     id="editing-data"),
        pytest.param(_edit(2, action="decision.revoked"), 2, "edited", id="editing-the-action"),
        pytest.param(_edit(1, actor="user:8"), 1, "edited", id="editing-the-actor"),
        pytest.param(_edit(4, at=T0 - timedelta(days=1)), 4, "edited", id="backdating"),
        pytest.param(_edit(4, masked=()), 4, "edited", id="hiding-what-was-masked"),
        pytest.param(_edit(4, prev_hash="f" * 64), 4, "edited", id="changing-a-prev-hash"),
        pytest.param(_edit_rehashed(4, prev_hash="f" * 64), 4, "relinked",
                     id="changing-a-prev-hash-and-rehashing-the-entry"),
        pytest.param(_edit_rehashed(2, data={"verdict": "deny"}), 3, "relinked",
                     id="editing-and-rehashing-one-entry-breaks-the-next-link"),
        pytest.param(_delete(3), 3, "deleted", id="deleting-the-middle-entry"),
        pytest.param(_delete(1), 1, "deleted", id="deleting-the-first-entry"),
        pytest.param(_delete_and_renumber(3), 3, "relinked",
                     id="deleting-and-renumbering-the-rest"),
        pytest.param(_swap(2, 3), 2, "reordered", id="reordering-two-entries"),
        pytest.param(_swap(1, 5), 1, "reordered", id="swapping-first-and-last"),
        pytest.param(lambda es: [*es[:3], es[1], *es[3:]], 4, "reordered",
                     id="replaying-an-old-entry"),
    ],
)  # fmt: skip
def test_tampering_is_detected_at_the_first_bad_seq(
    tamper: Tamper, bad_seq: int, problem: str
) -> None:
    _, store = build()
    result = verify(MemoryAuditStore(tamper(store.entries)))
    assert (result.ok, result.bad_seq, result.problem) == (False, bad_seq, problem)
    assert result.count == bad_seq - 1
    assert result.head.seq == bad_seq - 1
    assert result.detail


@pytest.mark.parametrize(
    "tamper",
    [
        pytest.param(_delete(5), id="deleting-the-last-entry"),
        pytest.param(lambda es: es[:2], id="cutting-off-the-newest-three"),
    ],
)
def test_a_cut_off_end_is_invisible_to_the_chain_but_not_to_an_anchor(tamper: Tamper) -> None:
    log, store = build()
    anchor = log.head()
    cut = MemoryAuditStore(tamper(store.entries))
    assert verify(cut).ok, "documented limit: a shorter chain is still a valid chain"
    result = verify(cut, anchor=anchor)
    kept = len(cut.entries)
    assert (result.ok, result.problem, result.bad_seq) == (False, "truncated", kept + 1)
    assert result.head.seq == kept


@pytest.mark.parametrize(
    ("forge", "problem"),
    [
        pytest.param(
            lambda es: relink([replace(e, data={"verdict": "deny"}) if e.seq == 2 else e
                               for e in es]),
            "rewritten",
            id="an-edit-then-every-link-recomputed",
        ),
        pytest.param(
            lambda es: relink(_delete(3)(es)),
            "truncated",
            id="a-deletion-then-every-link-recomputed",
        ),
    ],
)  # fmt: skip
def test_a_wholly_recomputed_chain_is_invisible_to_the_chain_but_not_to_an_anchor(
    forge: Tamper, problem: str
) -> None:
    log, store = build()
    anchor = log.head()
    forged = MemoryAuditStore(forge(store.entries))
    assert verify(forged).ok, "documented limit: the chain has no secret"
    result = verify(forged, anchor=anchor)
    assert (result.ok, result.problem, result.bad_seq) == (False, problem, 5)


def test_an_older_anchor_still_verifies_after_the_log_grows() -> None:
    log, store = build(3)
    anchor = Anchor.parse(str(log.head()))
    for event in EVENTS[3:]:
        log.record(at=T0 + timedelta(hours=1), **event)
    assert anchor == Anchor(3, store.entries[2].hash)
    assert log.verify(anchor=anchor).ok


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("3", id="no-hash"),
        pytest.param("x:" + "0" * 64, id="a-seq-that-is-not-a-number"),
        pytest.param("3:" + "0" * 63, id="a-short-hash"),
        pytest.param("\u2460:" + "a" * 64, id="a-unicode-digit"),
        pytest.param(f"{2**31}:" + "a" * 64, id="a-seq-no-entry-can-have"),
        pytest.param("0:" + "a" * 64, id="seq-0-that-is-not-the-empty-trails-head"),
    ],
)
def test_a_malformed_anchor_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match="seq") as refused:
        Anchor.parse(text)
    assert "int()" not in str(refused.value)  # said for a person, not by Python


def test_the_empty_trails_head_is_an_anchor() -> None:
    assert Anchor.parse("0:" + "0" * 64) == Anchor(0, "0" * 64)


# --- the store -------------------------------------------------------------------------


def test_the_memory_store_refuses_an_append_that_does_not_extend_its_head() -> None:
    _, store = build(2)
    stale = AuditLog(MemoryAuditStore(store.entries[:1]))
    entry = stale.record(at=T0, actor="system", action="call.outcome", subject="attempt:2")
    assert entry.seq == 2
    with pytest.raises(AuditConflictError, match="next seq is 3"):
        store.append(entry)
    assert len(store.entries) == 2


# --- masking ---------------------------------------------------------------------------


def test_a_recorded_entry_lists_what_it_masked_and_no_number_or_name_survives() -> None:
    _, store = build()
    first, fourth = store.entries[0], store.entries[3]
    assert first.masked == ("name", "number") and fourth.masked == ("number",)
    assert first.data["number"] == "+1410•••••46" and first.data["name"] == "M. D. C. R."
    written = b"".join(canonical_json(e.to_dict()) for e in store.entries).decode()
    for secret in (NUMBER, "4105550146", "5550146", "Maria", "Ruiz", "Carmen"):
        assert secret not in written
    assert first.data["contact"] == 42, "ids stay: they reference, they do not identify"


@pytest.mark.parametrize(
    ("value", "kind", "masked"),
    [
        pytest.param("+14105550146", "number", "+1410•••••46", id="a-us-number"),
        pytest.param("+442079460958", "number", "+4420••••••58", id="a-uk-number"),
        pytest.param("(410) 555-0146", "number", "410•••••46", id="a-national-number"),
        pytest.param("+4930123", "number", "+•••••23", id="a-short-number-hides-more"),
        pytest.param("+14105550146", "auto", "+1410•••••46", id="auto-reads-a-number"),
        pytest.param("call me at 5pm", "auto", MASK, id="auto-redacts-anything-else"),
        pytest.param("not a number", "number", MASK, id="a-number-that-is-not-one"),
        pytest.param(NAME, "name", "M. D. C. R.", id="a-name-becomes-initials"),
        pytest.param("maria.ruiz@hartwell-ruiz.com", "email", "m•••@•••.com", id="an-email"),
        pytest.param("12 Elm St, Columbus OH", "address", MASK, id="an-address"),
        pytest.param("Client says her ex calls her", "text", MASK, id="free-text"),
        pytest.param({"street": "12 Elm St"}, "address", MASK, id="a-structured-address"),
        pytest.param(4105550146, "number", MASK, id="a-number-stored-as-an-int"),
    ],
)
def test_each_kind_of_personal_data_has_its_masked_form(
    value: object, kind: str, masked: str
) -> None:
    assert mask_value(value, kind) == masked


def test_masking_follows_nested_paths_and_wildcards_and_records_each_concrete_path() -> None:
    data: dict[str, Any] = {
        "contact": {"name": NAME, "numbers": [NUMBER, "+442079460958"], "email": None},
        "notes": ["first", "second"],
    }
    out, paths = mask(
        data, {"contact.name": "name", "contact.numbers.*": "number", "contact.email": "email",
               "notes.1": "text"}
    )  # fmt: skip
    assert paths == ("contact.name", "contact.numbers.0", "contact.numbers.1", "notes.1")
    assert out["contact"]["numbers"] == ["+1410•••••46", "+4420••••••58"]
    assert out["contact"]["email"] is None, "nothing there, nothing masked or recorded"
    assert out["notes"] == ["first", MASK]
    assert data["contact"]["name"] == NAME, "the caller's data is not changed"


@pytest.mark.parametrize(
    ("personal", "message"),
    [
        pytest.param(["contact.numbr"], "contact.numbr is not in data", id="a-misspelt-path"),
        pytest.param(["contact.numbers.5"], "contact.numbers.5", id="an-index-past-the-end"),
        pytest.param(["contact..name"], "dotted path", id="an-empty-segment"),
        pytest.param({"contact.name": "initials"}, "mask kind", id="an-unknown-kind"),
        pytest.param(["contact.name.*"], "list or mapping", id="a-wildcard-over-a-string"),
    ],
)
def test_a_personal_path_that_does_not_fit_the_data_is_an_error(
    personal: Any, message: str
) -> None:
    data = {"contact": {"name": NAME, "numbers": [NUMBER]}}
    with pytest.raises(ValueError, match=message):
        mask(data, personal)


# --- recording ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        pytest.param({"at": datetime(2026, 12, 2, 16, 0)}, "timezone-aware", id="a-naive-time"),
        pytest.param({"subject": "contact:+14105550146"}, "subject", id="a-number-as-subject"),
        pytest.param({"subject": "Maria Ruiz"}, "subject", id="a-name-as-subject"),
        pytest.param({"action": "Consent Recorded"}, "action", id="an-action-not-dotted"),
        pytest.param({"actor": ""}, "actor", id="no-actor"),
        pytest.param({"action": "a." + "b" * 60}, "action", id="an-action-too-long"),
        pytest.param({"data": {"x": {1, 2}}}, "data.x: set", id="data-that-is-not-json"),
        pytest.param({"data": {"x": float("nan")}}, "JSON", id="a-nan"),
    ],
)
def test_a_malformed_record_is_refused_and_nothing_is_stored(
    changes: dict[str, Any], message: str
) -> None:
    store = MemoryAuditStore()
    fields: dict[str, Any] = {
        "at": T0, "actor": "system", "action": "call.outcome", "subject": "attempt:1",
        "data": {}, **changes,
    }  # fmt: skip
    with pytest.raises(ValueError, match=message):
        AuditLog(store).record(**fields)
    assert store.entries == []
