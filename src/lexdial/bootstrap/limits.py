"""Where rate limits and the log-in throttle keep their counts (the ``Limits`` port).

Without ``$LEXDIAL_REDIS_URL`` (the embedded default) each process counts in its own memory
(``MemoryLimits``). With it (``redis://host:6379/0``), every API process counts in that
Redis (``adapters.limits_redis``), so limits hold across processes. A Redis that does not
answer is a ConfigError when the app starts, never a failure at the first request.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # nothing of the service layer at import time (tests/unit/test_cli_startup)
    from lexdial.service.limits import Limits

#: the environment variable naming the Redis that shares the limits
REDIS_URL_ENV = "LEXDIAL_REDIS_URL"


def open_limits(url: str | None = None, environ: Mapping[str, str] | None = None) -> Limits:
    """Redis-backed limits at ``url`` (default ``$LEXDIAL_REDIS_URL``), else in memory."""
    env = os.environ if environ is None else environ
    found = url or env.get(REDIS_URL_ENV) or None
    if found is None:
        from lexdial.service.limits import MemoryLimits

        return MemoryLimits()
    from lexdial.adapters.limits_redis import RedisLimits

    return RedisLimits.connect(found)
