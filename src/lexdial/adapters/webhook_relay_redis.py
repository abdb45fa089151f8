"""The webhook relay over Redis (``webhook_relay.Relay``).

Rule 1: a claim is a key ``lexdial:route:<kind>:<name>`` → worker id with a TTL (Redis
expires it: a killed worker's claims run out by themselves).
Rule 2: a worker's inbox is the list ``lexdial:route:req:<worker>`` (expiring, so a dead
worker's does not grow for ever); each request names a reply list of its own, where the
owner pushes its answer and the web process waits on it with BLPOP.
Rule 3: the lists are stored, but a command cut with its connection is not: the web
process's BLPOP failing, a request popped but never received, an answer not pushed. So
the web process waits again after a failure and re-sends its request (same id, same
reply list) until answered; the owner answers a copy from memory, never applying it
twice (``webhook_relay_once``).
"""

from __future__ import annotations

import json
import logging
import threading
import uuid
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Final

from lexdial.adapters.webhook_relay import Message, find_owner
from lexdial.adapters.webhook_relay_once import ask

log = logging.getLogger(__name__)

PREFIX: Final = "lexdial:route:"
#: BLPOP's shortest wait: Redis reads its timeout in whole milliseconds, and 0 would block
#: for ever
_SHORTEST_S: Final = 0.01


def _key(kind: str, name: str) -> str:
    return f"{PREFIX}{kind}:{name}"


def _queue(worker: str) -> str:
    return f"{PREFIX}req:{worker}"


def _redis(url: str) -> Any:
    import redis

    return redis.Redis.from_url(url, socket_timeout=10, socket_connect_timeout=5)


class RedisRelay:
    """Claims and inboxes in one Redis (the broker's, or ``$LEXDIAL_REDIS_URL``)."""

    def __init__(self, redis_url: str, ttl_s: float = 90.0) -> None:
        self._url = redis_url
        self.redis = _redis(redis_url)
        self.ttl_s = ttl_s

    def claim(self, worker: str, claims: Iterable[tuple[str, str]]) -> None:
        pipe = self.redis.pipeline(transaction=False)
        for kind, name in claims:
            pipe.set(_key(kind, name), worker, px=int(self.ttl_s * 1000))
        pipe.execute()

    def owner(self, query: Mapping[str, str]) -> str | None:
        return find_owner(self._get, query)

    def _get(self, kind: str, name: str) -> str | None:
        found = self.redis.get(_key(kind, name))
        return found.decode() if found is not None else None

    def deliver(self, worker: str, request: Message, wait_s: float) -> Message | None:
        rid = uuid.uuid4().hex
        reply = f"{PREFIX}reply:{rid}"
        message = json.dumps({**request, "reply": reply, "id": rid})

        def send(left: float) -> None:
            pipe = self.redis.pipeline(transaction=False)
            pipe.rpush(_queue(worker), message)
            pipe.expire(_queue(worker), 60)  # a dead worker's queue does not grow for ever
            pipe.execute()

        def take(timeout: float) -> Message | None:
            got = self.redis.blpop([reply], timeout=max(timeout, _SHORTEST_S))
            return None if got is None else dict(json.loads(got[1]))

        return ask(send, take, wait_s)

    def serve(
        self, worker: str, answer: Callable[[Message], Message], stop: threading.Event
    ) -> None:
        redis = _redis(self._url)  # a connection of its own: BLPOP blocks it
        while not stop.is_set():
            try:
                got = redis.blpop([_queue(worker)], timeout=1)
                if got is None:
                    continue
                request = json.loads(got[1])
                answered = answer(request)
                pipe = redis.pipeline(transaction=False)
                pipe.rpush(request["reply"], json.dumps(answered))
                pipe.expire(request["reply"], 30)
                pipe.execute()
            except Exception as exc:  # Redis down or a bad message: log, go on listening
                log.warning("webhook relay: listener: %s", type(exc).__name__)
                stop.wait(0.5)
