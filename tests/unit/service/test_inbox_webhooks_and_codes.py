"""Signed webhooks in (replays refused) and one-time public codes, on the in-memory unit of
work."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import cast

from lexdial.service import public_codes as codes
from lexdial.service import webhook_guard
from lexdial.service.fakes import Reversible
from lexdial.service.fakes.inbox import MemoryInboxRepository
from lexdial.service.fakes.uow import memory_uow

NOW = datetime(2026, 12, 2, 15, 0, tzinfo=UTC)
NUMBER = "+16145550101"
KEEP = webhook_guard.timed_keep()


def test_the_same_signed_request_twice_is_a_replay() -> None:
    uow = memory_uow()
    assert webhook_guard.first_time(uow, "sms", "t=1,v1=ab", NOW, KEEP)
    assert not webhook_guard.first_time(uow, "sms", "t=1,v1=ab", NOW + timedelta(seconds=5), KEEP)
    assert webhook_guard.first_time(uow, "crm", "t=1,v1=ab", NOW, KEEP)  # another source
    assert webhook_guard.first_time(uow, "sms", "t=2,v1=cd", NOW, KEEP)


def test_receipts_older_than_the_window_are_forgotten_as_new_ones_arrive() -> None:
    uow = memory_uow()
    assert webhook_guard.first_time(uow, "sms", "old", NOW, KEEP)
    later = NOW + KEEP + timedelta(seconds=1)
    assert webhook_guard.first_time(uow, "sms", "new", later, KEEP)
    assert [s for s, _ in cast(MemoryInboxRepository, uow.inbox).receipts.values()] == ["sms"]
    assert webhook_guard.first_time(uow, "sms", "old", later, KEEP)  # out of the window


def test_a_signature_is_good_only_with_the_secret_and_inside_the_window() -> None:
    body = b'{"from":"+16145550101"}'
    header = webhook_guard.signature("s3cret", body, NOW)
    assert webhook_guard.problem("s3cret", header, body, NOW) is None
    assert "wrong" in str(webhook_guard.problem("other", header, body, NOW))
    late = NOW + timedelta(seconds=webhook_guard.WINDOW_S + 1)
    assert "timestamp" in str(webhook_guard.problem("s3cret", header, body, late))
    assert "missing" in str(webhook_guard.problem("s3cret", None, body, NOW))


def test_an_issued_code_is_redeemed_once_and_only_for_its_purpose() -> None:
    uow, cipher = memory_uow(), Reversible()
    code = codes.issue_code(uow, cipher, "optout", NUMBER, NOW)
    assert code is not None and len(code) == codes.DIGITS
    assert not codes.check_code(uow, cipher, "consent", NUMBER, code, NOW)
    assert not codes.check_code(uow, cipher, "optout", "+16145550102", code, NOW)
    assert codes.check_code(uow, cipher, "optout", NUMBER, code, NOW + timedelta(minutes=1))
    assert not codes.check_code(uow, cipher, "optout", NUMBER, code, NOW + timedelta(minutes=2))
    stored = cast(MemoryInboxRepository, uow.inbox).codes
    assert all(code not in (c.code.code_hash, c.number_bidx) for c in stored)


def test_a_code_expires_and_only_the_newest_counts() -> None:
    uow, cipher = memory_uow(), Reversible()
    first = codes.issue_code(uow, cipher, "optout", NUMBER, NOW, draw=lambda n: 111111)
    assert first == "111111"
    assert not codes.check_code(uow, cipher, "optout", NUMBER, first, NOW + codes.TTL)
    later = NOW + codes.TTL + timedelta(minutes=1)
    second = codes.issue_code(uow, cipher, "optout", NUMBER, later, draw=lambda n: 222222)
    assert second == "222222"
    assert not codes.check_code(uow, cipher, "optout", NUMBER, first, later)
    assert codes.check_code(uow, cipher, "optout", NUMBER, "222-222", later)


def test_wrong_guesses_use_up_the_code() -> None:
    uow, cipher = memory_uow(), Reversible()
    code = codes.issue_code(uow, cipher, "consent", NUMBER, NOW, draw=lambda n: 123456)
    assert code == "123456"
    for _ in range(codes.MAX_ATTEMPTS):
        assert not codes.check_code(uow, cipher, "consent", NUMBER, "000000", NOW)
    assert not codes.check_code(uow, cipher, "consent", NUMBER, code, NOW)


def test_a_number_gets_at_most_five_codes_an_hour() -> None:
    uow, cipher = memory_uow(), Reversible()
    issued = [
        codes.issue_code(uow, cipher, "optout", NUMBER, NOW + timedelta(minutes=i))
        for i in range(codes.MAX_PER_HOUR + 1)
    ]
    assert all(issued[:-1]) and issued[-1] is None
    assert codes.issue_code(uow, cipher, "optout", "+16145550102", NOW) is not None
    assert codes.issue_code(uow, cipher, "optout", NUMBER, NOW + timedelta(hours=1)) is not None
