"""``Limits`` in Redis, shared by every process that names the same server (and prefix).

Rule 1: a token bucket is one hash (tokens, seen) updated by a Lua script, so two
processes taking from one bucket at once never both take its last token.
Rule 2: a sliding window is one sorted set of event times (a unique member per event);
``recent`` drops the events older than the window and counts the rest in one MULTI.
Rule 3: every key expires once it can no longer matter (a full bucket, an empty window),
so Redis keeps nothing forever. Time is the caller's (see ``service.limits``).
"""

from __future__ import annotations

import math
import secrets
from collections.abc import Sequence
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


# (for shared-channels) a trunk's channels: a counting semaphore with leased holders
#: KEYS[1] the holders (sorted set, score = lease end); ARGV: holder, limit, now, until, ttl.
#: Drops the expired holders, then holds (or renews) ``holder`` if there is room: 1 or 0.
_ACQUIRE = """
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[3])
local held = redis.call('ZSCORE', KEYS[1], ARGV[1])
if (not held) and redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[2]) then return 0 end
redis.call('ZADD', KEYS[1], ARGV[4], ARGV[1])
redis.call('EXPIRE', KEYS[1], tonumber(ARGV[5]))
return 1
"""
#: KEYS[1] the holders; ARGV: until, ttl, holder... Extends the holders still there and
#: returns the others (one another acquire dropped is not put back: over the limit, maybe).
_RENEW = """
local lost = {}
for i = 3, #ARGV do
  if redis.call('ZSCORE', KEYS[1], ARGV[i]) then
    redis.call('ZADD', KEYS[1], ARGV[1], ARGV[i])
  else
    table.insert(lost, ARGV[i])
  end
end
if redis.call('EXISTS', KEYS[1]) == 1 then redis.call('EXPIRE', KEYS[1], tonumber(ARGV[2])) end
return lost
"""


class RedisChannels:
    """``Channels`` in Redis under ``prefix`` (``service.channels``): one sorted set per key,
    changed only by Lua scripts, so two processes never both take the last channel. The key
    expires one lease after its last change: by then every holder in it has expired."""

    def __init__(self, client: redis.Redis, prefix: str = "lexdial:limits:") -> None:
        self.client = client
        self.prefix = prefix
        self._acquire = client.register_script(_ACQUIRE)
        self._renew = client.register_script(_RENEW)

    def acquire(self, key: str, holder: str, limit: int, lease_s: float, now: float) -> bool:
        ttl = math.ceil(lease_s) + 1
        args: list[str | int] = [holder, limit, repr(now), repr(now + lease_s), ttl]
        return bool(self._acquire(keys=[self.prefix + key], args=args))

    def renew(self, key: str, holders: Sequence[str], lease_s: float, now: float) -> list[str]:
        args: list[str | int] = [repr(now + lease_s), math.ceil(lease_s) + 1, *holders]
        lost = cast(list[bytes], self._renew(keys=[self.prefix + key], args=args))
        return [h.decode() for h in lost]

    def release(self, key: str, holder: str) -> None:
        self.client.zrem(self.prefix + key, holder)

    def held(self, key: str, now: float) -> int:
        name = self.prefix + key
        with self.client.pipeline(transaction=True) as pipe:
            pipe.zremrangebyscore(name, "-inf", repr(now))
            pipe.zcard(name)
            _, count = pipe.execute()
        return int(count)
