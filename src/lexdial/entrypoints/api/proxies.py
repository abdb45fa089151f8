"""Which proxies may say who the client is: ``$LEXDIAL_TRUSTED_PROXIES``, default none.

Rule 1: uvicorn believes ``X-Forwarded-For`` from 127.0.0.1 unless told otherwise, so any
local process, or a proxy that passes the header through, could pick the client address
that per-IP limits (log-in, public pages) count. lexdial believes the header only from
the addresses or networks listed (comma-separated, e.g. ``127.0.0.1`` or ``10.0.0.0/8``
for a TLS proxy in front); with none listed the header is ignored.
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Mapping
from typing import Any

from lexdial.errors import ConfigError

ENV = "LEXDIAL_TRUSTED_PROXIES"


def trusted_proxies(environ: Mapping[str, str] | None = None) -> tuple[str, ...]:
    """The configured proxies (each an IP address or network); a bad entry is named."""
    env = os.environ if environ is None else environ
    out = []
    for item in (p.strip() for p in env.get(ENV, "").split(",")):
        if not item:
            continue
        try:
            ipaddress.ip_network(item, strict=False)
        except ValueError:
            raise ConfigError(
                f"${ENV}: {item!r} is not an IP address or network (e.g. 127.0.0.1, 10.0.0.0/8)"
            ) from None
        out.append(item)
    return tuple(out)


def server_options(environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """uvicorn's proxy options: forwarded headers only from the configured proxies."""
    proxies = trusted_proxies(environ)
    return {"proxy_headers": bool(proxies), "forwarded_allow_ips": ",".join(proxies)}
