"""The webhook relay over Redis (``webhook_relay.Relay``).

Rule 1: a claim is a key ``lexdial:route:<kind>:<name>`` → worker id with a TTL (Redis
expires it: a killed worker's claims run out by themselves).
Rule 2: a worker's inbox is the list ``lexdial:route:req:<worker>`` (expiring, so a dead
worker's does not grow for ever); each request names a reply list of its own, where the
owner pushes its answer and the web process waits on it with BLPOP.
"""

from __future__ import annotations

import json
import logging
import threading
import uuid
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Final

from lexdial.adapters.webhook_relay import Message, find_owner

log = logging.getLogger(__name__)

PREFIX: Final = "lexdial:route:"


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
        reply = f"{PREFIX}reply:{uuid.uuid4().hex}"
        pipe = self.redis.pipeline(transaction=False)
        pipe.rpush(_queue(worker), json.dumps({**request, "reply": reply}))
        pipe.expire(_queue(worker), 60)  # a dead worker's queue does not grow for ever
        pipe.execute()
        got = self.redis.blpop([reply], timeout=wait_s)
        return None if got is None else dict(json.loads(got[1]))

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
