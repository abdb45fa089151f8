"""Twilio's callbacks, received by any web process, relayed over Redis to the dial worker
that owns the call (the distributed mode).

Rule 1: a worker claims in Redis what it owns before Twilio can call back about it: a call
id before the call is placed, an agent label before the agent's leg is opened, the rooms of
its agents' legs (keys ``lexdial:route:<kind>:<name>`` → worker id, with a TTL refreshed
while the call or leg lives, so a killed worker's claims run out). Only ids, labels and room
names: never a phone number.
Rule 2: the web process checks Twilio's signature first (it has the auth token): a forged
callback is refused there (403) and never relayed. Only the fields the adapters read
(``RELAYED_FIELDS``: sids, statuses, AMD, digits; never ``To``/``From`` or a place) cross
Redis, signed again with the auth token over what is relayed; the owner checks that
signature (the same ``TwilioWebhooks.handle`` as in one process): a request pushed into
Redis by someone without the token is no shortcut past it.
Rule 3: a relayed callback waits at most ``wait_s`` for the owner's answer (status and
TwiML), returned to Twilio in the same HTTP response. No owner, or no answer in time: the
unknown-call handler answers (``<Hangup/>``, a call still up ended through the REST API)
and it is logged (call id, route, no number): a person is never left in silence.
Rule 4: one listener thread per worker process takes the callbacks relayed to it and hands
each to the webhooks of its own carrier that owns the call.
"""

from __future__ import annotations

import json
import logging
import os
import re
import socket
import threading
import uuid
from collections.abc import AsyncIterator, Iterable, Mapping
from typing import Any, Final, Protocol
from urllib.parse import parse_qs, urlsplit

from twilio.request_validator import RequestValidator  # type: ignore[import-untyped]

from lexdial.adapters.telephony.twilio_webhooks import WebhookResponse
from lexdial.domain.telephony import (
    AGENT_DOWN,
    BUSY,
    FAILED,
    HANGUP,
    NO_ANSWER,
    AgentLeg,
    CallEvent,
    Dial,
)
from lexdial.service.ports import Telephony

log = logging.getLogger(__name__)

PREFIX: Final = "lexdial:route:"
#: what a callback's query may name, and the key kind each is claimed under
KINDS: Final = ("call", "agent", "room")
_CALL_ENDS: Final = frozenset({BUSY, NO_ANSWER, FAILED, HANGUP})
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


def _key(kind: str, name: str) -> str:
    return f"{PREFIX}{kind}:{name}"


def _queue(worker: str) -> str:
    return f"{PREFIX}req:{worker}"


def _redis(url: str) -> Any:
    import redis

    return redis.Redis.from_url(url, socket_timeout=10, socket_connect_timeout=5)


def routable(query: Mapping[str, str]) -> bool:
    """Whether a callback's query names something a worker may own."""
    return any(query.get(kind) for kind in KINDS)


class _Handler(Protocol):
    def handle(
        self, path: str, url: str, params: Mapping[str, str], signature: str | None
    ) -> WebhookResponse: ...

    def owns(self, query: Mapping[str, str]) -> bool: ...


class Owners:
    """The claims in Redis: who owns a call, an agent's leg, a room."""

    def __init__(self, redis_url: str, ttl_s: float = 90.0) -> None:
        self.redis = _redis(redis_url)
        self.ttl_ms = int(ttl_s * 1000)

    def claim(self, worker: str, claims: Iterable[tuple[str, str]]) -> None:
        """Set (or refresh) ``worker``'s claims, (kind, name) each."""
        pipe = self.redis.pipeline(transaction=False)
        for kind, name in claims:
            pipe.set(_key(kind, name), worker, px=self.ttl_ms)
        pipe.execute()

    def owner(self, query: Mapping[str, str]) -> str | None:
        """The worker that owns what the query names, or None."""
        for kind in KINDS:
            name = query.get(kind)
            if not name:
                continue
            found = self.redis.get(_key(kind, name))
            if found is None and kind == "room":
                agent = _AGENT_ROOM.fullmatch(name)  # claimed later than its first callback
                if agent is not None:
                    found = self.redis.get(_key("agent", f"user:{agent.group(1)}"))
            return found.decode() if found is not None else None
        return None


class ClaimingTelephony:
    """A worker's carrier that claims its calls, legs and rooms (rule 1) and lets this
    process's ``Listener`` hand it the callbacks relayed here; otherwise the carrier."""

    def __init__(self, inner: Telephony, owners: Owners, listener: Listener) -> None:
        self.inner = inner
        self.channels, self.cps, self.timescale = inner.channels, inner.cps, inner.timescale
        self._owners, self._listener = owners, listener
        self._calls: set[str] = set()
        self._agents: set[str] = set()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._refresher: threading.Thread | None = None

    def _claim(self, claims: list[tuple[str, str]]) -> None:
        self._owners.claim(self._listener.worker, claims)

    def _rooms(self) -> set[str]:
        legs: Any = getattr(self.inner, "legs", None)
        if legs is None:
            return set()
        with legs.lock:
            rooms = {r for r, _ in legs.with_agent.values()} | set(legs.conference_sids)
            for agent in list(self._agents):
                leg = legs.leg(agent)
                if leg is not None:
                    rooms.add(leg.room)
        return rooms

    def _refresh(self) -> None:
        every = self._owners.ttl_ms / 3000
        while not self._stop.wait(every):
            with self._lock:
                claims = [("call", c) for c in self._calls] + [("agent", a) for a in self._agents]
            claims += [("room", r) for r in self._rooms()]
            try:
                self._claim(claims)
            except Exception as exc:  # Redis is down: callbacks fall to the unknown handler
                log.warning("webhook relay: claims not refreshed (%s)", type(exc).__name__)

    async def start(self) -> None:
        await self.inner.start()
        hooks = getattr(self.inner, "webhooks", None)
        if hooks is not None:
            self._listener.add(hooks)
        self._refresher = threading.Thread(target=self._refresh, name="claims", daemon=True)
        self._refresher.start()

    async def close(self) -> None:
        self._stop.set()
        hooks = getattr(self.inner, "webhooks", None)
        if hooks is not None:
            self._listener.remove(hooks)
        await self.inner.close()

    async def dial(self, dial: Dial) -> None:
        import asyncio

        # claimed before Twilio hears of the call: its first callback may beat the reply
        await asyncio.to_thread(self._claim, [("call", dial.call_id)])
        with self._lock:
            self._calls.add(dial.call_id)
        await self.inner.dial(dial)

    async def play(self, call_id: str, prompt: str) -> None:
        await self.inner.play(call_id, prompt)

    async def bridge(self, call_id: str, agent: str) -> None:
        await self.inner.bridge(call_id, agent)

    async def agent_login(self, leg: AgentLeg) -> None:
        import asyncio

        await asyncio.to_thread(self._claim, [("agent", leg.agent)])
        with self._lock:
            self._agents.add(leg.agent)
        await self.inner.agent_login(leg)
        await asyncio.to_thread(self._claim, [("room", r) for r in self._rooms()])

    async def agent_logout(self, agent: str) -> None:
        await self.inner.agent_logout(agent)

    async def transfer(self, call_id: str, target: str, *, warm: bool) -> None:
        await self.inner.transfer(call_id, target, warm=warm)

    async def hangup(self, call_id: str) -> None:
        await self.inner.hangup(call_id)

    async def events(self) -> AsyncIterator[CallEvent]:
        async for event in self.inner.events():
            # an ended call's claim is no longer refreshed: it runs out after the TTL,
            # so late callbacks still reach the carrier that knows the call ended
            if event.kind in _CALL_ENDS:
                with self._lock:
                    self._calls.discard(event.call_id)
            elif event.kind == AGENT_DOWN and event.detail:
                with self._lock:
                    self._agents.discard(event.detail)
            yield event


class Listener:
    """This worker process's relayed callbacks, handed to its carriers' webhooks (rule 4)."""

    def __init__(self, redis_url: str, worker: str | None = None) -> None:
        self.worker = worker or worker_id()
        self._url = redis_url
        self._hooks: list[_Handler] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

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
        redis = _redis(self._url)
        while not self._stop.is_set():
            try:
                got = redis.blpop([_queue(self.worker)], timeout=1)
                if got is None:
                    continue
                request = json.loads(got[1])
                answer = self.answer(request)
                pipe = redis.pipeline(transaction=False)
                pipe.rpush(request["reply"], json.dumps(answer))
                pipe.expire(request["reply"], 30)
                pipe.execute()
            except Exception as exc:  # Redis down or a bad message: log, go on listening
                log.warning("webhook relay: listener: %s", type(exc).__name__)
                self._stop.wait(0.5)

    def answer(self, request: Mapping[str, Any]) -> dict[str, Any]:
        """The owner's answer to one relayed callback (status 0: no carrier here)."""
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
        self, owners: Owners, auth_token: str, unknown: _Handler | None, wait_s: float = 5.0
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
        try:
            owner = self._owners.owner(query)
            got = self._relay(owner, path, url, query, relayed, resigned) if owner else None
        except Exception as exc:  # Redis is down: nobody can be reached
            log.error("webhook relay: %s callback for %s: %s", route, what, type(exc).__name__)
            got = None
        if got is not None:
            return got
        log.warning(
            "webhook relay: %s callback for %s: %s", route, what,
            "no worker answered in time" if owner else "no worker owns it",
        )  # fmt: skip
        if self._unknown is None:
            return WebhookResponse(404, "no Twilio carrier")
        return self._unknown.handle(path, url, params, signature)

    def _relay(
        self,
        owner: str,
        path: str,
        url: str,
        query: Mapping[str, str],
        params: Mapping[str, str],
        signature: str,
    ) -> WebhookResponse | None:
        reply = f"{PREFIX}reply:{uuid.uuid4().hex}"
        request = {"reply": reply, "path": path, "url": url, "query": dict(query),
                   "params": dict(params), "signature": signature}  # fmt: skip
        redis = self._owners.redis
        pipe = redis.pipeline(transaction=False)
        pipe.rpush(_queue(owner), json.dumps(request))
        pipe.expire(_queue(owner), 60)  # a dead worker's queue does not grow for ever
        pipe.execute()
        got = redis.blpop([reply], timeout=self._wait_s)
        if got is None:
            # the owner may still take it later: its answer then expires unread
            return None
        answer = json.loads(got[1])
        if not answer.get("status"):
            return None
        return WebhookResponse(
            int(answer["status"]), str(answer.get("body", "")), str(answer["content_type"])
        )


class RelayCarrier:
    """What the web process's runner lists among its carriers: only ``webhooks``."""

    def __init__(self, webhooks: RelayWebhooks) -> None:
        self.webhooks = webhooks
