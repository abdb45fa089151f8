"""Webhooks out against a real HTTP receiver on 127.0.0.1: the signature verifies, a 500 is
retried on the backoff schedule with the same idempotency key, and delivery gives up."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlalchemy import Engine, select

from lexdial.adapters.db import tables as t
from lexdial.adapters.db.uow import SqlUnitOfWork
from lexdial.service import outbox
from lexdial.service.outbox import BACKOFF, MAX_ATTEMPTS, deliver_due, enqueue, http_sender, verify
from lexdial.service.storage import UnitOfWork

from .conftest import NOW

SECRET = "whsec_test_0123456789abcdef"


@dataclass
class Receiver:
    url: str
    statuses: list[int] = field(default_factory=list)  # answered in turn; then 200
    seen: list[tuple[dict[str, str], bytes]] = field(default_factory=list)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    box: list[Receiver] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            rec = box[0]
            rec.seen.append(({k.lower(): v for k, v in self.headers.items()}, body))
            status = rec.statuses.pop(0) if rec.statuses else 200
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:
            pass  # keep the test output clean

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    box.append(Receiver(f"http://127.0.0.1:{server.server_address[1]}/hooks"))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield box[0]
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@contextmanager
def _transaction(store: Engine) -> Iterator[UnitOfWork]:
    with store.begin() as conn:
        yield SqlUnitOfWork(conn)


def _event(store: Engine) -> int:
    with store.begin() as conn:
        return enqueue(SqlUnitOfWork(conn), "optout.honoured",
                       {"dnc_entry": 7, "contact": 3, "channel": "sms"}, NOW)  # fmt: skip


def _deliver(store: Engine, rec: Receiver, at: datetime) -> outbox.Delivery:
    send = http_sender(rec.url, timeout_s=5)
    return deliver_due(lambda: _transaction(store), send, at, SECRET)


def _row(store: Engine, oid: int) -> dict[str, object]:
    with store.connect() as conn:
        return dict(conn.execute(select(t.outbox).where(t.outbox.c.id == oid)).mappings().one())


def test_an_event_is_posted_signed_with_its_idempotency_key(
    store: Engine, receiver: Receiver
) -> None:
    oid = _event(store)
    assert _deliver(store, receiver, NOW) == outbox.Delivery(delivered=1)
    ((headers, body),) = receiver.seen
    assert verify(SECRET, headers["x-lexdial-signature"], body, NOW)
    assert not verify("another-secret", headers["x-lexdial-signature"], body, NOW)
    assert not verify(SECRET, headers["x-lexdial-signature"], body + b" ", NOW)
    assert not verify(SECRET, headers["x-lexdial-signature"], body, NOW + timedelta(minutes=6))
    assert headers["idempotency-key"] == str(oid)
    assert headers["content-type"] == "application/json"
    sent = json.loads(body)
    assert sent["id"] == oid and sent["event"] == "optout.honoured" and sent["attempt"] == 1
    assert sent["data"] == {"dnc_entry": 7, "contact": 3, "channel": "sms"}
    assert _row(store, oid)["delivered_at"] is not None
    assert _deliver(store, receiver, NOW + timedelta(days=1)) == outbox.Delivery()  # once


def test_a_500_is_retried_after_the_backoff_with_the_same_key(
    store: Engine, receiver: Receiver
) -> None:
    oid = _event(store)
    receiver.statuses = [500]
    assert _deliver(store, receiver, NOW) == outbox.Delivery(failed=1)
    row = _row(store, oid)
    assert row["attempts"] == 1 and row["last_error"] == "HTTP 500"
    assert _deliver(store, receiver, NOW + timedelta(seconds=59)) == outbox.Delivery()
    assert _deliver(store, receiver, NOW + timedelta(minutes=1)) == outbox.Delivery(delivered=1)
    keys = [h["idempotency-key"] for h, _ in receiver.seen]
    assert keys == [str(oid), str(oid)]
    assert _row(store, oid)["last_error"] is None


def test_delivery_gives_up_after_the_schedule_and_keeps_the_error(
    store: Engine, receiver: Receiver
) -> None:
    oid = _event(store)
    receiver.statuses = [500] * 100
    at = NOW
    for i in range(MAX_ATTEMPTS):
        report = _deliver(store, receiver, at)
        assert report.failed == 1, i
        assert report.given_up == (1 if i == MAX_ATTEMPTS - 1 else 0)
        if i < len(BACKOFF):
            assert _deliver(store, receiver, at + BACKOFF[i] - timedelta(seconds=1)).failed == 0
            at += BACKOFF[i]
    assert list(BACKOFF) == [timedelta(minutes=1), timedelta(minutes=5),
                                    timedelta(minutes=30), timedelta(hours=2),
                                    timedelta(hours=12)]  # fmt: skip
    assert _deliver(store, receiver, at + timedelta(days=30)) == outbox.Delivery()
    row = _row(store, oid)
    assert row["attempts"] == MAX_ATTEMPTS and row["delivered_at"] is None
    assert row["last_error"] == "HTTP 500"
    assert len(receiver.seen) == MAX_ATTEMPTS


def test_an_unreachable_receiver_is_a_retry_not_a_crash(store: Engine, receiver: Receiver) -> None:
    oid = _event(store)
    dead = Receiver("http://127.0.0.1:9/hooks")  # discard port: nothing listens
    assert _deliver(store, dead, NOW) == outbox.Delivery(failed=1)
    assert str(_row(store, oid)["last_error"]).startswith("URLError")


def test_personal_data_and_unknown_events_are_refused(store: Engine) -> None:
    with store.begin() as conn:
        with pytest.raises(ValueError, match="personal"):
            enqueue(SqlUnitOfWork(conn), "optout.honoured", {"number": "+16145550101"}, NOW)
        with pytest.raises(ValueError, match="unknown"):
            enqueue(SqlUnitOfWork(conn), "contact.created", {}, NOW)


def test_an_attempt_is_claimed_and_committed_before_the_post(store: Engine) -> None:
    oid = _event(store)
    seen: list[object] = []

    def send(body: bytes, headers: Mapping[str, str]) -> int:
        seen.append(_row(store, oid)["attempts"])  # another connection sees the claim
        return 200

    assert deliver_due(lambda: _transaction(store), send, NOW, SECRET).delivered == 1
    assert seen == [1]


def test_the_real_sender_insists_on_https_off_this_machine() -> None:
    with pytest.raises(ValueError, match="https"):
        http_sender("http://example.com/hooks")
