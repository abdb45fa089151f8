"""Webhooks out: events the firm's systems must hear of, delivered at least once, signed.

Rule 1: an event is written to ``outbox`` in the same transaction as the fact it reports
(``enqueue``), so an opt-out that commits is never lost to a crashed HTTP call, and one that
rolls back is never announced.
Rule 2: ``deliver_due`` POSTs each due event as JSON signed like Stripe's webhooks:
``X-Lexdial-Signature: t=<unix>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>``; the receiver
checks it (``verify``) and rejects old timestamps, so a captured request cannot be replayed
later. ``Idempotency-Key`` is the outbox id: a receiver that saw it already ignores it,
because delivery is at-least-once (a timeout after the receiver committed is re-sent).
Rule 3: a failed delivery is retried on a fixed schedule (1 min, 5 min, 30 min, 2 h, 12 h);
after ``max_attempts`` the event stays undelivered with its ``last_error`` for a person.
Each attempt is claimed first (``attempts`` + 1 and the next retry time, committed) so two
workers never post the same attempt and a crash mid-POST just waits for the retry.
Rule 4: payloads are ids and codes, never numbers, names or message text: the outbox
table is not encrypted (``tables`` Rule 1). ``enqueue`` refuses keys that would hold them.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from lexdial.service.storage import UnitOfWork

log = logging.getLogger(__name__)

EVENTS = frozenset({"optout.honoured", "call.outcome", "audit.checkpoint"})
#: payload keys that would carry personal data into an unencrypted table and a third party
PERSONAL_KEYS = frozenset({"number", "phone", "name", "email", "address", "text", "body"})
#: wait after the n-th failed attempt (index n - 1)
BACKOFF = (
    timedelta(minutes=1),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=12),
)
MAX_ATTEMPTS = len(BACKOFF) + 1
SIGNATURE_HEADER = "X-Lexdial-Signature"
#: a signature older (or newer) than this is refused by ``verify``
TOLERANCE_S = 300

#: posts ``body`` with ``headers`` to the configured URL; returns the HTTP status, or
#: raises on a network failure
Send = Callable[[bytes, Mapping[str, str]], int]
#: opens one transaction (``Store.unit_of_work``): it commits when its block ends
Transaction = Callable[[], AbstractContextManager[UnitOfWork]]


def enqueue(uow: UnitOfWork, event: str, payload: Mapping[str, Any], at: datetime) -> int:
    """Queue ``event`` for delivery, in the caller's transaction; due at once."""
    if event not in EVENTS:
        raise ValueError(f"unknown outbox event {event!r}; one of {sorted(EVENTS)}")
    bad = PERSONAL_KEYS & {k.lower() for k in payload}
    if bad:
        raise ValueError(f"outbox payloads carry ids, not personal data: {sorted(bad)}")
    json.dumps(payload)  # refuse what the JSON column could not store, here and not later
    return uow.outbox.add(event, payload, at.astimezone(UTC))


def sign(secret: str, body: bytes, at: datetime) -> str:
    """The signature header's value for ``body`` sent at ``at``."""
    ts = int(at.timestamp())
    mac = hmac.new(secret.encode(), f"{ts}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={ts},v1={mac}"


def verify(
    secret: str, header: str, body: bytes, now: datetime, tolerance_s: int = TOLERANCE_S
) -> bool:
    """What a receiver does: the signature matches and its time is within the tolerance."""
    parts = dict(p.split("=", 1) for p in header.split(",") if "=" in p)
    try:
        ts = int(parts.get("t", ""))
    except ValueError:
        return False
    if abs(now.timestamp() - ts) > tolerance_s:
        return False
    expected = hmac.new(secret.encode(), f"{ts}.".encode() + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, parts.get("v1", ""))


def backoff(failed_attempts: int) -> timedelta:
    """How long to wait after the ``failed_attempts``-th failure (the last step repeats)."""
    return BACKOFF[min(max(failed_attempts, 1), len(BACKOFF)) - 1]


@dataclass(frozen=True, slots=True)
class Delivery:
    delivered: int = 0
    failed: int = 0
    given_up: int = 0


def deliver_due(
    transaction: Transaction,
    send: Send,
    now: datetime,
    secret: str,
    *,
    limit: int = 100,
    max_attempts: int = MAX_ATTEMPTS,
) -> Delivery:
    """Post every due event once. Each claim and each result is its own ``transaction()``
    (committed as it goes), so no database lock is held while a POST waits on the network."""
    now = now.astimezone(UTC)
    with transaction() as uow:
        items = uow.outbox.due(now, limit, max_attempts)
    delivered = failed = given_up = 0
    for item in items:
        attempt = item.attempts + 1
        with transaction() as uow:
            claimed = uow.outbox.claim(item.id, item.attempts, now + backoff(attempt))
        if not claimed:
            continue  # another worker took this attempt
        body = json.dumps(
            {
                "id": item.id,
                "event": item.event,
                "created_at": item.created_at.isoformat(),
                "attempt": attempt,
                "data": item.payload,
            },
            sort_keys=True,
            separators=(",", ":"),
        ).encode()
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "lexdial-webhooks/1",
            "Idempotency-Key": str(item.id),
            "X-Lexdial-Event": item.event,
            SIGNATURE_HEADER: sign(secret, body, now),
        }
        error = _post(send, body, headers)
        with transaction() as uow:
            if error is None:
                uow.outbox.mark_delivered(item.id, now)
                delivered += 1
            else:
                uow.outbox.mark_failed(item.id, error[:200])
                failed += 1
                if attempt >= max_attempts:
                    given_up += 1
                    log.warning(
                        "outbox event %s (%s) given up after %d attempts",
                        item.id,
                        item.event,
                        attempt,
                    )
    return Delivery(delivered, failed, given_up)


def _post(send: Send, body: bytes, headers: Mapping[str, str]) -> str | None:
    """None when the receiver took it (2xx), else a short error without personal data."""
    try:
        status = send(body, headers)
    except Exception as exc:  # any failure to deliver is a retry, never a crash of the worker
        return f"{type(exc).__name__}: {exc}"
    return None if 200 <= status < 300 else f"HTTP {status}"


def http_sender(url: str, timeout_s: float = 10.0) -> Send:
    """The real ``send``: urllib POST with a timeout; an HTTP error is a status, not a raise."""
    if not url.startswith(("https://", "http://127.0.0.1", "http://localhost", "http://[::1]")):
        raise ValueError("the webhook URL must be https:// (plain http only to this machine)")

    def send(body: bytes, headers: Mapping[str, str]) -> int:
        request = urllib.request.Request(url, data=body, headers=dict(headers), method="POST")
        try:
            with urllib.request.urlopen(request, timeout=timeout_s) as response:
                return int(response.status)
        except urllib.error.HTTPError as exc:
            exc.close()
            return int(exc.code)

    return send


async def deliver_forever(
    transaction: Transaction,
    send: Send,
    clock: Callable[[], datetime],
    secret: str,
    *,
    every_s: float = 15.0,
) -> None:
    """A background loop for the web process's lifespan: deliver, sleep, repeat (cancel to
    stop). The blocking work runs in a thread so the event loop keeps serving."""

    def once() -> Delivery:
        return deliver_due(transaction, send, clock(), secret)

    while True:
        try:
            await asyncio.to_thread(once)
        except Exception:  # a database hiccup must not end deliveries for good
            log.exception("outbox delivery round failed")
        await asyncio.sleep(every_s)
