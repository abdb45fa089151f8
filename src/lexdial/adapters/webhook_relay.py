"""Twilio's callbacks, received by any web process, relayed to the dial worker that owns
the call (the distributed mode), over a ``Relay``: Redis (``webhook_relay_redis``) or
PostgreSQL (``webhook_relay_pg``), chosen in ``bootstrap.distributed``.

Rule 1: a worker claims in the relay what it owns before Twilio can call back about it
(``webhook_relay_claims``): a call id before the call is placed, an agent label before the
agent's leg is opened, the rooms of its agents' legs ((kind, name) → worker id, with a TTL
refreshed while the call or leg lives, so a killed worker's claims run out). Only ids,
labels and room names: never a phone number.
Rule 2: the web process checks Twilio's signature first (it has the auth token): a forged
callback is refused there (403) and never relayed. Only the fields the adapters read
(``RELAYED_FIELDS``: sids, statuses, AMD, digits; never ``To``/``From`` or a place) cross
the relay, signed again with the auth token over what is relayed; the owner checks that
signature (the same ``TwilioWebhooks.handle`` as in one process): a request pushed into
the relay by someone without the token is no shortcut past it.
Rule 3: a relayed callback waits at most ``wait_s`` for the owner's answer (status and
TwiML), returned to Twilio in the same HTTP response; an owner lookup that fails (the store
or Redis away for a moment) is tried again within that wait. No owner, or no answer in time: the
unknown-call handler answers (``<Hangup/>``, a call still up ended through the REST API)
and it is logged (call id, route, no number): a person is never left in silence.
Rule 4: one listener thread per worker process takes the callbacks relayed to it and hands
each to the webhooks of its own carrier that owns the call.
Rule 5: a connection reopened (a restart, a dropped link) loses no callback and applies
none twice: the web process re-sends a request until answered, the owner answers each
request once and gives a copy the same answer (``webhook_relay_once``).
"""

from __future__ import annotations

import logging
import os
import re
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Final, Protocol
from urllib.parse import parse_qs, urlsplit

from twilio.request_validator import RequestValidator  # type: ignore[import-untyped]

from lexdial.adapters.telephony.twilio_webhooks import WebhookResponse
from lexdial.adapters.webhook_relay_once import Once

log = logging.getLogger(__name__)

#: what a callback's query may name, and the key kind each is claimed under
KINDS: Final = ("call", "agent", "room")
#: the pause between two failed owner lookups (the store or Redis away for a moment): a
#: reconnect takes ~0.5 s, and the 5 s wait leaves room for a dozen tries
LOOKUP_RETRY_S: Final = 0.25
#: the callback fields relayed to the owner: what ``twilio_webhooks`` and ``twilio_agents``
#: read, and other ids and states; numbers and places stay in the web process
RELAYED_FIELDS: Final = frozenset({
    "AccountSid", "ApiVersion", "CallSid", "ParentCallSid", "CallStatus", "Direction",
    "SipResponseCode", "CallDuration", "Timestamp", "SequenceNumber", "AnsweredBy",
    "MachineDetectionDuration", "Digits", "FinishedOnKey", "ConferenceSid",
    "StatusCallbackEvent", "FriendlyName", "EndConferenceOnExit", "StartConferenceOnEnter",
    "Hold", "Muted", "Coaching", "ReasonParticipantLeft",
})  # fmt: skip
#: a room named for an agent (``twilio_agents.new_room``): "agent-<id>" or "agent-<id>-<n>"
_AGENT_ROOM: Final = re.compile(r"agent-(\d+)(?:-\d+)?")


def worker_id() -> str:
    """A name for this process, unique in the cluster (host, pid, random)."""
    return f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:8]}"


def routable(query: Mapping[str, str]) -> bool:
    """Whether a callback's query names something a worker may own."""
    return any(query.get(kind) for kind in KINDS)


class _Handler(Protocol):
    def handle(
        self, path: str, url: str, params: Mapping[str, str], signature: str | None
    ) -> WebhookResponse: ...

    def owns(self, query: Mapping[str, str]) -> bool: ...


#: one relayed callback, or the owner's answer to it (JSON-able: strings, a dict of them)
Message = dict[str, Any]


class Relay(Protocol):
    """How a callback crosses processes: claims with a TTL, and each worker's inbox."""

    #: how long a claim lives unless refreshed
    ttl_s: float

    def claim(self, worker: str, claims: Iterable[tuple[str, str]]) -> None:
        """Set (or refresh) ``worker``'s claims, (kind, name) each, for ``ttl_s``."""
        ...

    def owner(self, query: Mapping[str, str]) -> str | None:
        """The worker whose live claim covers what the query names, or None."""
        ...

    def deliver(self, worker: str, request: Message, wait_s: float) -> Message | None:
        """Hand ``request`` to ``worker``'s inbox; its answer, or None after ``wait_s``
        (sent again, the same id, until answered: ``webhook_relay_once.ask``)."""
        ...

    def serve(
        self, worker: str, answer: Callable[[Message], Message], stop: threading.Event
    ) -> None:
        """Answer the requests delivered to ``worker`` until ``stop`` is set (a listener's
        loop: the transport's failures are logged and retried, never raised). A request
        may come more than once: ``answer`` applies it once (``webhook_relay_once.Once``)."""
        ...


def find_owner(get: Callable[[str, str], str | None], query: Mapping[str, str]) -> str | None:
    """The owner of the first kind the query names, looked up with ``get(kind, name)``."""
    for kind in KINDS:
        name = query.get(kind)
        if not name:
            continue
        found = get(kind, name)
        if found is None and kind == "room":
            agent = _AGENT_ROOM.fullmatch(name)  # claimed later than its first callback
            if agent is not None:
                found = get("agent", f"user:{agent.group(1)}")
        return found
    return None


class Listener:
    """This worker process's relayed callbacks, handed to its carriers' webhooks (rule 4)."""

    def __init__(self, relay: Relay, worker: str | None = None) -> None:
        self.worker = worker or worker_id()
        #: the transport callbacks arrive over (the worker's claims are made in it too)
        self.relay = relay
        self._hooks: list[_Handler] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._once = Once()

    def add(self, hooks: _Handler) -> None:
        with self._lock:
            self._hooks.append(hooks)

    def remove(self, hooks: _Handler) -> None:
        with self._lock:
            if hooks in self._hooks:
                self._hooks.remove(hooks)

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="webhook-relay", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _run(self) -> None:
        self.relay.serve(self.worker, self.answer, self._stop)

    def answer(self, request: Message) -> Message:
        """The owner's answer to one relayed callback (status 0: no carrier here), applied
        once: a copy of a request already answered gets the same answer (rule 5)."""
        return self._once(request, self._apply)

    def _apply(self, request: Message) -> Message:
        query = {str(k): str(v) for k, v in request["query"].items()}
        with self._lock:
            hooks = list(self._hooks)
        mine = next((h for h in hooks if h.owns(query)), None)
        if mine is None:
            return {"status": 0}
        params = {str(k): str(v) for k, v in request["params"].items()}
        try:
            got = mine.handle(request["path"], request["url"], params, request["signature"])
        except Exception as exc:
            log.error("webhook relay: the carrier failed on a callback: %r", exc)
            return {"status": 0}
        return {"status": got.status, "body": got.body, "content_type": got.content_type}


class RelayWebhooks:
    """The web process's Twilio webhooks in the distributed mode: signature checked here,
    the callback relayed to its owner, whose answer is returned (rules 2 and 3)."""

    def __init__(
        self, owners: Relay, auth_token: str, unknown: _Handler | None, wait_s: float = 5.0
    ) -> None:
        self._owners = owners
        self._validator = RequestValidator(auth_token)
        self._unknown = unknown
        self._wait_s = wait_s

    def owns(self, query: Mapping[str, str]) -> bool:
        # no I/O here (the web app asks on its event loop): ``handle`` looks the owner up
        return routable(query)

    def handle(
        self, path: str, url: str, params: Mapping[str, str], signature: str | None
    ) -> WebhookResponse:
        if not signature or not self._validator.validate(url, dict(params), signature):
            return WebhookResponse(403, "invalid Twilio signature")
        query = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
        route = path.rstrip("/").rsplit("/", 1)[-1]
        relayed = {k: v for k, v in params.items() if k in RELAYED_FIELDS}
        resigned = str(self._validator.compute_signature(url, relayed))
        what = next((f"{k} {query[k]}" for k in KINDS if query.get(k)), "nothing")
        deadline = time.monotonic() + self._wait_s
        owner: str | None = None
        got: WebhookResponse | None = None
        try:
            owner = self._owner(query, deadline)
            if owner:
                got = self._relay(owner, path, url, query, relayed, resigned, deadline)
        except Exception as exc:  # the relay stayed down for the whole wait
            log.error("webhook relay: %s callback for %s: %s", route, what, type(exc).__name__)
        if got is not None:
            return got
        log.warning(
            "webhook relay: %s callback for %s: %s", route, what,
            "no worker answered in time" if owner else "no worker owns it",
        )  # fmt: skip
        if self._unknown is None:
            return WebhookResponse(404, "no Twilio carrier")
        return self._unknown.handle(path, url, params, signature)

    def _owner(self, query: Mapping[str, str], deadline: float) -> str | None:
        """The callback's owner, the lookup tried again until ``deadline`` while it fails:
        the store or Redis away for a moment (a restart, a reconnect) must not hang up a
        live call that a retry a few hundred ms later would have reached."""
        while True:
            try:
                return self._owners.owner(query)
            except Exception:
                if time.monotonic() + LOOKUP_RETRY_S >= deadline:
                    raise
                time.sleep(LOOKUP_RETRY_S)

    def _relay(
        self,
        owner: str,
        path: str,
        url: str,
        query: Mapping[str, str],
        params: Mapping[str, str],
        signature: str,
        deadline: float,
    ) -> WebhookResponse | None:
        request = {"path": path, "url": url, "query": dict(query), "params": dict(params),
                   "signature": signature}  # fmt: skip
        # what is left of the one wait (the lookup may have taken part of it)
        answer = self._owners.deliver(owner, request, max(0.0, deadline - time.monotonic()))
        if answer is None:
            # the owner may still take it later: its answer then goes unread
            return None
        if not answer.get("status"):
            return None
        return WebhookResponse(
            int(answer["status"]), str(answer.get("body", "")), str(answer["content_type"])
        )


class RelayCarrier:
    """What the web process's runner lists among its carriers: only ``webhooks``."""

    def __init__(self, webhooks: RelayWebhooks) -> None:
        self.webhooks = webhooks
