"""``[distributed]``: Celery dial workers and several web processes over one PostgreSQL.

    [distributed]
    enabled = true                        # default: true when a broker URL is set
    broker_url = "redis://127.0.0.1:6379/0"   # or amqp://...; $LEXDIAL_BROKER_URL wins
    queue = "lexdial"                     # the Celery queue the dial tasks go to
    lease_s = 60                          # a campaign's dialler holds it this long, renewed
                                          # every turn; a killed holder is replaced after it
    supervise_s = 5                       # how often a worker re-enqueues campaigns whose
                                          # lease is free (a stopped holder is replaced)

Rule 1: the embedded mode (one process, SQLite, the in-process runner) stays the default:
nothing here is on unless a broker is named.
Rule 2: a broker URL that is neither redis nor amqp is refused, naming the key.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lexdial.config.names import refuse_unknown
from lexdial.errors import ConfigError

BROKER_ENV = "LEXDIAL_BROKER_URL"
BROKER_SCHEMES = ("redis://", "rediss://", "amqp://", "amqps://", "pyamqp://")
_KEYS = ("enabled", "broker_url", "queue", "lease_s", "supervise_s")


@dataclass(frozen=True, slots=True)
class DistributedSettings:
    enabled: bool = False
    broker_url: str | None = None
    queue: str = "lexdial"
    lease_s: float = 60.0
    supervise_s: float = 5.0


def read_distributed(
    raw: Mapping[str, Any], path: Path | None, environ: Mapping[str, str]
) -> DistributedSettings:
    """The ``[distributed]`` table (``raw``) with ``$LEXDIAL_BROKER_URL`` over it."""
    where = f"{path}: " if path is not None else ""
    refuse_unknown(dict(raw), _KEYS, "distributed", path)
    broker = environ.get(BROKER_ENV) or raw.get("broker_url")
    name = f"${BROKER_ENV}" if environ.get(BROKER_ENV) else "distributed.broker_url"
    if broker is not None and (
        not isinstance(broker, str) or not broker.startswith(BROKER_SCHEMES)
    ):
        raise ConfigError(f"{where}{name} must be a redis:// or amqp:// URL")
    enabled = raw.get("enabled", broker is not None)
    if not isinstance(enabled, bool):
        raise ConfigError(f"{where}distributed.enabled must be true or false")
    if enabled and broker is None:
        raise ConfigError(
            f"{where}distributed.enabled needs a broker: distributed.broker_url or ${BROKER_ENV}"
        )
    queue = raw.get("queue", "lexdial")
    if not isinstance(queue, str) or not queue.strip():
        raise ConfigError(f"{where}distributed.queue must be a queue name")
    return DistributedSettings(
        enabled=enabled,
        broker_url=broker,
        queue=queue.strip(),
        lease_s=_seconds(raw, "lease_s", 60.0, 2.0, 3600.0, where),
        supervise_s=_seconds(raw, "supervise_s", 5.0, 0.2, 600.0, where),
    )


def _seconds(
    raw: Mapping[str, Any], key: str, default: float, low: float, high: float, where: str
) -> float:
    value = raw.get(key, default)
    ok = isinstance(value, int | float) and not isinstance(value, bool)
    if not ok or not math.isfinite(value) or not low <= value <= high:
        raise ConfigError(f"{where}distributed.{key} must be seconds from {low:g} to {high:g}")
    return float(value)
