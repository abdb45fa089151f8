"""``Limits`` in Redis, shared by every process that names the same server (and prefix).

Rule 1: a token bucket is one hash (tokens, seen) updated by a Lua script, so two
processes taking from one bucket at once never both take its last token.
Rule 2: a sliding window is one sorted set of event times (a unique member per event);
``recent`` drops the events older than the window and counts the rest in one MULTI.
Rule 3: every key expires once it can no longer matter (a full bucket, an empty window),
so Redis keeps nothing forever. Time is the caller's (see ``service.limits``).
"""

from __future__ import annotations

import secrets
from typing import Any, cast

import redis

from lexdial.errors import ConfigError

#: KEYS[1] the bucket; ARGV: capacity, refill_s, now. Returns the wait in seconds (string).
_TAKE = """
local capacity = tonumber(ARGV[1])
local refill_s = tonumber(ARGV[2])
local now = tonumber(ARGV[3])
local state = redis.call('HMGET', KEYS[1], 'tokens', 'seen')
local tokens = tonumber(state[1]) or capacity
local seen = tonumber(state[2]) or now
local elapsed = now - seen
if elapsed < 0 then elapsed = 0 end
tokens = math.min(capacity, tokens + elapsed / refill_s)
local wait = 0
if tokens >= 1 then tokens = tokens - 1 else wait = (1 - tokens) * refill_s end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'seen', tostring(now))
redis.call('EXPIRE', KEYS[1], math.ceil(capacity * refill_s) + 1)
return tostring(wait)
"""


class RedisLimits:
    """``Limits`` kept in Redis under ``prefix`` (see the module docstring)."""

    def __init__(self, client: redis.Redis, prefix: str = "lexdial:limits:") -> None:
        self.client = client
        self.prefix = prefix
        self._take = client.register_script(_TAKE)

    @classmethod
    def connect(cls, url: str, prefix: str = "lexdial:limits:") -> RedisLimits:
        """Connect to ``url`` and check that Redis answers (a ConfigError if it does not)."""
        try:
            client = redis.Redis.from_url(url, socket_timeout=2.0, socket_connect_timeout=2.0)
            client.ping()
        except (redis.RedisError, ValueError) as exc:
            raise ConfigError(
                f"Redis for shared rate limits is not reachable at {_safe(url)} "
                f"($LEXDIAL_REDIS_URL): {exc}"
            ) from exc
        return cls(client, prefix)

    def take(self, key: str, capacity: int, refill_s: float, now: float) -> float:
        wait = self._take(keys=[self.prefix + key], args=[capacity, repr(refill_s), repr(now)])
        return float(cast(Any, wait))

    def recent(self, key: str, window_s: float, now: float) -> int:
        name = self.prefix + key
        with self.client.pipeline(transaction=True) as pipe:
            pipe.zremrangebyscore(name, "-inf", f"({now - window_s!r}")
            pipe.zcard(name)
            _, count = pipe.execute()
        return int(count)

    def note(self, key: str, window_s: float, now: float) -> None:
        name = self.prefix + key
        with self.client.pipeline(transaction=True) as pipe:
            pipe.zadd(name, {f"{now!r}:{secrets.token_hex(6)}": now})
            pipe.expire(name, int(window_s) + 1)
            pipe.execute()


def _safe(url: str) -> str:
    """``url`` without its password (error messages end up in logs)."""
    scheme, sep, rest = url.partition("://")
    if "@" in rest:
        rest = "***@" + rest.split("@", 1)[1]
    return scheme + sep + rest
