"""The webhook relay over PostgreSQL (``webhook_relay.Relay``): the store's own database,
so the distributed mode needs no Redis for Twilio (any broker will do).

Rule 1: a claim is a row of ``relay_routes`` (kind, name) → worker, ``expires_at`` set by
the database's clock (one clock for every host): an upsert claims or refreshes it, a
lookup ignores expired rows, and expired rows are reaped at most once per TTL by whoever
claims. A killed worker stops refreshing: its claims run out.
Rule 2: a request is NOTIFYed on its owner's channel (``lexdial_req_`` + a digest of the
worker id; LISTENed on a connection of the listener's own), its answer NOTIFYed back on
the asking process's reply channel, matched to the waiting request by id. Nothing is
stored: a NOTIFY while the LISTEN connection it is for is being reopened is lost, so the
asking side sends the request again (same id) until answered, each time once its own
reply channel is LISTENed, and the owner answers a copy from memory without applying it
again (``webhook_relay_once``). A callback no one listens for within the web process's
bounded wait is handed to the unknown-call handler.
Rule 3: a message is JSON of exactly what the Redis relay sends (``RELAYED_FIELDS``, ids,
the URL, the signature; never a number of the callee). Requests are small, but an answer
is TwiML that may ``<Say>`` a campaign's whole message: NOTIFY refuses payloads over 8000
bytes, so a message is cut into chunks NOTIFYed in one transaction (delivered together, in
order, at its commit) and put back together by id. Kept off any table: nothing of a call
rests in the database for the relay's sake.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any, Final

from sqlalchemy import text
from sqlalchemy.engine import Engine

from lexdial.adapters.webhook_relay import Message, find_owner
from lexdial.adapters.webhook_relay_once import ask

log = logging.getLogger(__name__)

#: a chunk's data, well under NOTIFY's 8000 bytes with its header (JSON is ASCII-only)
CHUNK: Final = 7000
_CLAIM = text(
    "INSERT INTO relay_routes (kind, name, worker, expires_at) "
    "VALUES (:kind, :name, :worker, now() + make_interval(secs => :ttl)) "
    "ON CONFLICT (kind, name) DO UPDATE "
    "SET worker = EXCLUDED.worker, expires_at = EXCLUDED.expires_at"
)
_OWNER = text(
    "SELECT worker FROM relay_routes WHERE kind = :kind AND name = :name AND expires_at > now()"
)
#: rows another transaction holds are skipped, never waited for: a reap never deadlocks
#: with a worker's claims (nor makes a dial wait)
_REAP = text(
    "DELETE FROM relay_routes WHERE (kind, name) IN (SELECT kind, name FROM relay_routes "
    "WHERE expires_at <= now() FOR UPDATE SKIP LOCKED)"
)
_NOTIFY = text("SELECT pg_notify(:channel, :payload)")


def request_channel(worker: str) -> str:
    """A worker's inbox channel: a valid identifier (63 bytes at most) whatever its id."""
    return "lexdial_req_" + hashlib.sha256(worker.encode()).hexdigest()[:40]


def chunks(message: Message) -> list[str]:
    """``message`` as NOTIFY payloads: ``<id> <i> <n> <data>``, each under 8000 bytes."""
    body = json.dumps(message)  # ensure_ascii: one byte per character
    mid = uuid.uuid4().hex[:16]
    parts = [body[i : i + CHUNK] for i in range(0, len(body), CHUNK)] or [""]
    return [f"{mid} {i} {len(parts)} {part}" for i, part in enumerate(parts)]


class Assembler:
    """Messages put back together from their chunks (rule 3)."""

    def __init__(self) -> None:
        self._parts: dict[str, list[str | None]] = {}

    def add(self, payload: str) -> Message | None:
        """The whole message once ``payload`` completes it, else None."""
        mid, i, n, data = payload.split(" ", 3)
        parts = self._parts.setdefault(mid, [None] * int(n))
        parts[int(i)] = data
        if any(p is None for p in parts):
            if len(self._parts) > 1000:  # never expected (a commit delivers them all)
                self._parts.clear()
            return None
        del self._parts[mid]
        return dict(json.loads("".join(p for p in parts if p is not None)))


def _conninfo(url: str) -> str:
    from sqlalchemy import make_url

    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def _listening(url: str, channel: str) -> Any:
    """A connection of its own, autocommit, LISTENing on ``channel``."""
    import psycopg

    conn = psycopg.connect(_conninfo(url), autocommit=True, connect_timeout=5)
    conn.execute(f'LISTEN "{channel}"')  # a channel of ours: hex and underscores only
    return conn


class PgRelay:
    """Claims in ``relay_routes`` and inboxes on LISTEN/NOTIFY, in the store's database."""

    def __init__(self, url: str, ttl_s: float = 90.0, engine: Engine | None = None) -> None:
        from lexdial.adapters.db.database import make_engine

        self._url = url
        self.ttl_s = ttl_s
        self.db = engine or make_engine(url)
        self._reaped = float("-inf")
        # the web side: one reply channel per process, answers matched by request id
        self._reply_channel = "lexdial_rep_" + uuid.uuid4().hex
        self._waiting: dict[str, list[Any]] = {}  # id -> [Event, answer]
        self._lock = threading.Lock()
        self._ready = threading.Event()
        self._replies: threading.Thread | None = None
        self._stop = threading.Event()

    # --- claims (rule 1) ------------------------------------------------------------
    def claim(self, worker: str, claims: Iterable[tuple[str, str]]) -> None:
        # sorted: two workers refreshing overlapping rooms lock their rows in one order
        rows = [{"kind": k, "name": n, "worker": worker, "ttl": self.ttl_s}
                for k, n in sorted(set(claims))]  # fmt: skip
        if rows:
            with self.db.begin() as conn:
                conn.execute(_CLAIM, rows)
        if time.monotonic() - self._reaped > self.ttl_s:
            self._reaped = time.monotonic()
            try:
                with self.db.begin() as conn:  # after the claims: their failure is not ours
                    conn.execute(_REAP)
            except Exception as exc:  # expired rows are ignored anyway: next time
                log.warning("webhook relay: expired claims not reaped (%s)", type(exc).__name__)

    def owner(self, query: Mapping[str, str]) -> str | None:
        with self.db.connect() as conn:

            def get(kind: str, name: str) -> str | None:
                found = conn.execute(_OWNER, {"kind": kind, "name": name}).scalar()
                return None if found is None else str(found)

            return find_owner(get, query)

    # --- delivery (rules 2 and 3) ---------------------------------------------------
    def _notify(self, channel: str, message: Message) -> None:
        with self.db.begin() as conn:  # one transaction: its chunks arrive together
            conn.execute(_NOTIFY, [{"channel": channel, "payload": p} for p in chunks(message)])

    def deliver(self, worker: str, request: Message, wait_s: float) -> Message | None:
        self._start_replies()
        rid = uuid.uuid4().hex
        slot: list[Any] = [threading.Event(), None]
        with self._lock:
            self._waiting[rid] = slot
        msg = {**request, "reply": self._reply_channel, "id": rid}

        def send(left: float) -> None:
            # an answer NOTIFYed while the reply channel is not LISTENed would be lost:
            # (re-)send only once it is (again)
            if self._ready.wait(left):
                self._notify(request_channel(worker), msg)

        def take(timeout: float) -> Message | None:
            slot[0].wait(timeout)
            return slot[1]  # type: ignore[no-any-return]

        try:
            return ask(send, take, wait_s)
        finally:
            with self._lock:
                self._waiting.pop(rid, None)

    def _start_replies(self) -> None:
        with self._lock:
            if self._replies is None:
                self._replies = threading.Thread(
                    target=self._take_replies, name="webhook-relay-replies", daemon=True
                )
                self._replies.start()

    def _take_replies(self) -> None:
        assembler = Assembler()
        for payload in self._listen(self._reply_channel, self._stop, self._ready):
            try:
                answer = assembler.add(payload)
            except Exception as exc:  # not one of ours: someone NOTIFYed our channel
                log.warning("webhook relay: a bad answer (%s)", type(exc).__name__)
                continue
            if answer is None:
                continue
            with self._lock:
                slot = self._waiting.get(str(answer.pop("id", "")))
            if slot is not None:  # else: asked long ago, its wait is over
                slot[1] = answer
                slot[0].set()

    def serve(
        self, worker: str, answer: Callable[[Message], Message], stop: threading.Event
    ) -> None:
        assembler = Assembler()
        for payload in self._listen(request_channel(worker), stop, threading.Event()):
            try:
                request = assembler.add(payload)
                if request is None:
                    continue
                answered = {**answer(request), "id": request["id"]}
                self._notify(str(request["reply"]), answered)
            except Exception as exc:  # the database or a bad message: log, go on listening
                log.warning("webhook relay: listener: %s", type(exc).__name__)

    def _listen(self, channel: str, stop: threading.Event, ready: threading.Event) -> Iterator[str]:
        """The payloads NOTIFYed on ``channel`` until ``stop``; ``ready`` set while LISTENing
        (a lost connection is opened again)."""
        while not stop.is_set():
            try:
                conn = _listening(self._url, channel)
            except Exception as exc:
                log.warning("webhook relay: cannot listen (%s)", type(exc).__name__)
                stop.wait(1.0)
                continue
            ready.set()
            try:
                while not stop.is_set():
                    for note in conn.notifies(timeout=1.0):
                        yield str(note.payload)
            except Exception as exc:  # the server went away: listen again
                # not ready from now on, not after the pause: what is sent meanwhile
                # is lost, and the asking side re-sends only once ready again
                ready.clear()
                log.warning("webhook relay: listening stopped (%s)", type(exc).__name__)
                stop.wait(0.5)
            finally:
                ready.clear()
                conn.close()

    def close(self) -> None:
        self._stop.set()
        if self._replies is not None:
            self._replies.join(timeout=5)
        self.db.dispose()
