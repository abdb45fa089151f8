"""Signed webhooks in: a signed timestamp inside a window, and no request acted on twice.

Rule 1: a sender signs ``"<t>." + body`` with HMAC-SHA256 under the shared secret and sends
``X-Lexdial-Signature: t=<unix seconds>,v1=<hex>`` (the scheme lexdial's own outgoing
webhooks use, ``service.outbox.sign``). A signature whose ``t`` is more than ``WINDOW_S``
from now is refused: a captured request cannot be replayed later.
Rule 2: within the window, a request is remembered by the SHA-256 of its signature (or the
provider's message id) in ``webhook_receipts``, in the transaction that acts on it; the
same request again is a replay and changes nothing. Receipts older than the window are
pruned as new ones arrive.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime, timedelta

from lexdial.service.storage import UnitOfWork

HEADER = "X-Lexdial-Signature"
#: how far a signed timestamp may be from the receiver's clock (either way)
WINDOW_S = 300
#: Twilio signs no timestamp: its message ids are remembered this long instead
PROVIDER_KEEP = timedelta(days=7)


def signature(secret: str, body: bytes, at: datetime) -> str:
    """The header value a sender puts on ``body`` sent at ``at`` (for integrators, tests)."""
    ts = int(at.timestamp())
    mac = hmac.new(secret.encode(), f"{ts}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={ts},v1={mac}"


def problem(secret: str, header: str | None, body: bytes, now: datetime) -> str | None:
    """Why the signed request is refused, or None when its signature and time are good."""
    if not header:
        return f"missing {HEADER} (t=<unix seconds>,v1=<HMAC-SHA256 of '<t>.' + body>)"
    parts = dict(p.strip().split("=", 1) for p in header.split(",") if "=" in p)
    try:
        ts = int(parts.get("t", ""))
    except ValueError:
        return f"{HEADER} has no t=<unix seconds>"
    given = parts.get("v1", "")
    expected = hmac.new(secret.encode(), f"{ts}.".encode() + body, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(given.encode(), expected.encode()):
        return f"wrong {HEADER}"
    if abs(now.timestamp() - ts) > WINDOW_S:
        return f"{HEADER} timestamp is more than {WINDOW_S} s from this server's clock"
    return None


def first_time(uow: UnitOfWork, source: str, identity: str, at: datetime, keep: timedelta) -> bool:
    """Remember this request (in the caller's transaction); False when it was seen before.

    A concurrent twin that commits first makes this transaction's insert fail on the key
    (an ``IntegrityError`` the caller treats as a replay)."""
    at = at.astimezone(UTC)
    key = hashlib.sha256(f"{source}\n{identity}".encode()).hexdigest()
    return uow.inbox.first_receipt(key, source, at, forget_before=at - keep)


def timed_keep() -> timedelta:
    """How long a timestamped signature must be remembered: it is valid from t - window to
    t + window, and t may be up to a window ahead of the receiver's clock."""
    return timedelta(seconds=2 * WINDOW_S)
