"""The outbox on the in-memory unit of work: enqueue, delivery, retry on the backoff schedule,
giving up, and the webhook events the audit trail publishes."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import cast

import pytest

from lexdial.service import outbox
from lexdial.service.fakes import ListAudit
from lexdial.service.fakes.inbox import MemoryOutboxRepository
from lexdial.service.fakes.uow import memory_uow
from lexdial.service.notify import NotifyingAudit
from lexdial.service.outbox import BACKOFF, MAX_ATTEMPTS, Delivery, deliver_due, enqueue
from lexdial.service.storage import UnitOfWork

NOW = datetime(2026, 12, 2, 15, 0, tzinfo=UTC)
SECRET = "whsec_unit"


class Receiver:
    """A ``Send`` answering the given statuses in turn, then 200."""

    def __init__(self, *statuses: int) -> None:
        self.statuses = list(statuses)
        self.seen: list[tuple[bytes, dict[str, str]]] = []

    def __call__(self, body: bytes, headers: Mapping[str, str]) -> int:
        self.seen.append((body, dict(headers)))
        return self.statuses.pop(0) if self.statuses else 200


def _transaction(uow: UnitOfWork) -> outbox.Transaction:
    @contextmanager
    def begin() -> Iterator[UnitOfWork]:
        yield uow

    return begin


def _rows(uow: UnitOfWork) -> MemoryOutboxRepository:
    return cast(MemoryOutboxRepository, uow.outbox)


def test_an_enqueued_event_is_posted_once_signed_with_its_idempotency_key() -> None:
    uow = memory_uow()
    oid = enqueue(uow, "optout.honoured", {"contact": 3, "channel": "sms"}, NOW)
    send = Receiver()
    assert deliver_due(_transaction(uow), send, NOW, SECRET) == Delivery(delivered=1)
    ((body, headers),) = send.seen
    assert headers["Idempotency-Key"] == str(oid)
    assert outbox.verify(SECRET, headers[outbox.SIGNATURE_HEADER], body, NOW)
    sent = json.loads(body)
    assert sent["event"] == "optout.honoured" and sent["attempt"] == 1
    assert sent["data"] == {"contact": 3, "channel": "sms"}
    assert _rows(uow).rows[oid].delivered_at == NOW
    assert deliver_due(_transaction(uow), send, NOW + timedelta(days=1), SECRET) == Delivery()


def test_a_failed_delivery_waits_for_the_backoff_and_is_retried_with_the_same_key() -> None:
    uow = memory_uow()
    oid = enqueue(uow, "call.outcome", {"attempt": 9}, NOW)
    send = Receiver(500)
    assert deliver_due(_transaction(uow), send, NOW, SECRET) == Delivery(failed=1)
    row = _rows(uow).rows[oid]
    assert row.attempts == 1 and row.last_error == "HTTP 500"
    early = NOW + BACKOFF[0] - timedelta(seconds=1)
    assert deliver_due(_transaction(uow), send, early, SECRET) == Delivery()
    later = NOW + BACKOFF[0]
    assert deliver_due(_transaction(uow), send, later, SECRET) == Delivery(delivered=1)
    assert [h["Idempotency-Key"] for _, h in send.seen] == [str(oid), str(oid)]
    assert row.last_error is None and row.attempts == 2


def test_delivery_gives_up_after_the_last_attempt_and_keeps_the_error() -> None:
    uow = memory_uow()
    oid = enqueue(uow, "call.outcome", {"attempt": 9}, NOW)
    send, at = Receiver(*[503] * 100), NOW
    for i in range(MAX_ATTEMPTS):
        report = deliver_due(_transaction(uow), send, at, SECRET)
        assert report.failed == 1 and report.given_up == (1 if i == MAX_ATTEMPTS - 1 else 0)
        at += outbox.backoff(i + 1)
    assert deliver_due(_transaction(uow), send, at + timedelta(days=30), SECRET) == Delivery()
    row = _rows(uow).rows[oid]
    assert row.attempts == MAX_ATTEMPTS and row.delivered_at is None
    assert row.last_error == "HTTP 503" and len(send.seen) == MAX_ATTEMPTS


def test_a_sender_that_raises_is_a_retry_not_a_crash() -> None:
    uow = memory_uow()
    oid = enqueue(uow, "call.outcome", {"attempt": 9}, NOW)

    def down(body: bytes, headers: Mapping[str, str]) -> int:
        raise ConnectionRefusedError("nobody home")

    assert deliver_due(_transaction(uow), down, NOW, SECRET) == Delivery(failed=1)
    assert str(_rows(uow).rows[oid].last_error).startswith("ConnectionRefusedError")


def test_the_backoff_schedule_repeats_its_last_step() -> None:
    assert [outbox.backoff(n) for n in range(1, 8)] == [*BACKOFF, BACKOFF[-1], BACKOFF[-1]]


@pytest.mark.parametrize(
    ("event", "payload", "why"),
    [
        pytest.param("optout.honoured", {"Number": "+16145550101"}, "personal", id="a-number"),
        pytest.param("optout.honoured", {"name": "Dee"}, "personal", id="a-name"),
        pytest.param("contact.created", {}, "unknown", id="an-unknown-event"),
    ],
)
def test_personal_data_and_unknown_events_are_refused_and_nothing_is_queued(
    event: str, payload: dict[str, object], why: str
) -> None:
    uow = memory_uow()
    with pytest.raises(ValueError, match=why):
        enqueue(uow, event, payload, NOW)
    assert _rows(uow).rows == {}


def test_a_published_audit_action_is_queued_without_its_personal_fields() -> None:
    uow, inner = memory_uow(), ListAudit()
    audit = NotifyingAudit(inner)
    audit.record(
        uow,
        at=NOW,
        actor="system",
        action="optout.honoured",
        subject="contact:4",
        data={"channel": "sms", "number": "+16145550101"},
        personal=("number",),
    )
    audit.record(uow, at=NOW, actor="system", action="contact.created", subject="contact:4",
                 data={})  # fmt: skip
    assert [e["action"] for e in inner.entries] == ["optout.honoured", "contact.created"]
    (row,) = _rows(uow).rows.values()
    assert row.event == "optout.honoured" and row.payload == {"channel": "sms", "contact": 4}
