"""The shortcuts that make a 100 000-row import fast change nothing a person can see.

Cells a file repeats are worked out once (numbers, choices, dates, scopes), a number
already in E.164 skips re-parsing for its blind index, and an audit batch puts each
entry's canonical JSON together around its data's text: each is checked here against the
long way it replaced, and against its duties (dedupe, errors on every row, the chain).
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime, timedelta, timezone

import pytest

from lexdial.adapters.audit.memory import MemoryAuditStore
from lexdial.adapters.crypto import Keyring
from lexdial.domain.audit_chain import AuditItem, AuditLog, canonical_json, verify
from lexdial.domain.numbers import parse_number
from lexdial.service import imports

T0 = datetime(2026, 12, 2, 16, 0, tzinfo=UTC)
HEADER = "Phone,Name,State,Line type,Consent kind,Consent scope,Consent given at," \
         "Consent method,Disclosure text,Disclosure version,Captured by,Seller"  # fmt: skip
CONSENT = 'express,"reminder,notification",2026-06-01T12:00:00Z,letter,You agree.,v3,intake,Firm'


def _plan(*lines: str) -> tuple[dict[str, imports._Person], list[imports.RowError]]:
    table = imports.read_csv(("\n".join([HEADER, *lines]) + "\n").encode())
    return imports._plan(table, imports.resolve_mapping(table.headers, {}))


def test_one_number_written_in_several_formats_is_one_person() -> None:
    people, errors = _plan(
        f"+1 614 555 0101,Dana Q,OH,wireless,{CONSENT}",
        f"(614) 555-0101,Dana Q,OH,Wireless,{CONSENT}",
        f"614.555.0101,Dana Q,OH,mobile,{CONSENT}",
        f"+1 614 555 0101,Dana Q,OH,wireless,{CONSENT}",
    )
    assert errors == [] and list(people) == ["+16145550101"]
    assert len(people["+16145550101"].consents) == 4  # duplicates are found when written


def test_a_repeated_cell_is_still_checked_on_every_row_that_has_it() -> None:
    people, errors = _plan(
        f"not a number,A,OH,wireless,{CONSENT}",
        f"+1 614 555 0102,B,OH,cordless,{CONSENT}",
        f"not a number,C,OH,wireless,{CONSENT}",
        f"+1 614 555 0103,D,OH,cordless,{CONSENT}",
        f"(614) 555-0102,B,OH,landline,{CONSENT}",
        "+1 614 555 0104,E,OH,wireless,express,reminder,2026-06-01T12:00:00,letter,x,v3,i,Firm",
        "+1 614 555 0105,F,OH,wireless,express,reminder,2026-06-01T12:00:00,letter,x,v3,i,Firm",
    )
    assert sorted((e.row, e.field) for e in errors) == [
        (2, "number"), (3, "line_type"), (4, "number"), (5, "line_type"),
        (6, "line_type"), (7, "consent_given_at"), (8, "consent_given_at"),
    ]  # fmt: skip
    assert "+16145550102" in people and not people["+16145550102"].consents


@pytest.mark.parametrize(
    "number",
    ["+16145550101", "+12125550123", "+19999999999", "+10005550101", "+18005550199",
     "+442079460958", "+1614555010", "+161455501012"],
)  # fmt: skip
def test_the_blind_index_of_an_e164_number_is_the_one_parsing_gives(number: str) -> None:
    keys = Keyring.generate()
    digits = parse_number(number).e164.lstrip("+").encode("ascii")
    message = b"\0".join((b"lexdial blind index v1", b"number", digits))
    expected = hmac.new(keys.index_key, message, hashlib.sha256).hexdigest()
    assert keys.blind_index(number, kind="number") == expected
    assert keys.blind_index(number, kind="number") == keys.blind_index(
        " " + number[:2] + " " + number[2:], kind="number"
    )


AWKWARD = [
    {"numbers": 1, "relationship": "current_client", "via": "import"},
    {"contact": 5, "scope": ["notification", "reminder"], "given_at": "2026-06-01T12:00:00Z"},
    {"é": 'naïve ☎ \u2028 \x00 \x1f "quoted" back\\slash', "𝄞": ["\ud7ff", "\U0010ffff"]},
    {"rate": 0.1, "big": 10**30, "small": 1e-7, "huge": 1e16, "neg": -0.0, "t": True},
    {"nested": {"b": [1, {"a": None}], "a": []}, "": ""},
    {"when": T0 + timedelta(microseconds=5), "day": T0.date()},
]


def test_a_batch_hashes_each_entry_exactly_as_the_canonical_json_of_its_body() -> None:
    odd = timezone(timedelta(hours=-5))
    items = [
        AuditItem(at, actor, action, f"contact:{i}", data)
        for i, (data, at, actor, action) in enumerate(
            (d, t, a, act)
            for d in AWKWARD
            for t in (T0, T0.astimezone(odd) + timedelta(microseconds=1))
            for a in ("operator:cli", 'user:"ü"\n')
            for act in ("contact.created", "consent.recorded")
        )
    ]
    log = AuditLog(MemoryAuditStore())
    log.record(at=T0, actor="a", action="store.opened", subject="store:x", data={"x": 1.5})
    entries = log.record_many(items)
    for entry in entries:
        body = entry.prev_hash.encode("ascii") + canonical_json(entry.body())
        assert entry.hash == hashlib.sha256(body).hexdigest() == entry.computed_hash()
    result = verify(log.store)
    assert result.ok and result.count == len(items) + 1


def test_a_batch_masks_what_it_is_told_to_and_hashes_the_masked_form() -> None:
    item = AuditItem(T0, "a", "contact.created", "contact:1", {"number": "+14105550146"},
                     ("number",))  # fmt: skip
    [entry] = AuditLog(MemoryAuditStore()).record_many([item])
    assert entry.masked == ("number",) and "0146" not in str(entry.data)
    assert entry.hash == entry.computed_hash()


def test_the_collector_paused_for_an_import_comes_back_as_it_was() -> None:
    import gc

    from lexdial.adapters.db.bulk import gc_paused

    assert gc.isenabled()
    with gc_paused():
        with gc_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()  # the outer pause still runs
    assert gc.isenabled()
    gc.disable()
    try:
        with gc_paused():
            pass
        assert not gc.isenabled()  # it was off: it stays off
    finally:
        gc.enable()
    with pytest.raises(RuntimeError), gc_paused():
        raise RuntimeError("an import that fails")
    assert gc.isenabled()
