"""``lexdial telephony check`` through the media plane's UA, the engine calls use by default.

Rule 1: the UA starts as for calls (UDP bound, or the TCP/TLS connection made with the
certificate verified; REGISTER for a registering trunk), else an OPTIONS request is
sent; what came back is worded by ``sip_check`` (``explain_status``/``explain_error``),
so both engines say the same thing for the same fault. After a timeout ``sip_check.probe``
looks for why (refused, no route, no name).
Rule 2: a registration made by the check is removed (Expires 0) before it returns.
Rule 3: the trunk is found as for calls (``sip_resolve``: SRV, ``dns_server``); a name
that does not resolve is a "dns" verdict naming the name and the record type, and the
probe after a timeout goes to the address the UA found (an SRV port included).
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import socket
from dataclasses import replace

from lexdial.adapters.telephony.sip_check import (
    Verdict,
    _timeout,
    explain_error,
    explain_status,
    probe,
)
from lexdial.adapters.telephony.sip_message import branch
from lexdial.adapters.telephony.sip_trunk import Trunk
from lexdial.adapters.telephony.sip_ua import SipUa
from lexdial.errors import TelephonyError


async def check_on_plane(trunk: Trunk, *, timeout: float = 10.0) -> Verdict:
    """The same check through the media plane's UA, the engine calls use by default (for
    sip-transport): over TLS the trunk's certificate is verified as for a call; a
    registering trunk is unregistered afterwards."""
    ua = SipUa(trunk)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    try:
        try:
            await asyncio.wait_for(ua.start(), timeout)
        except TelephonyError as exc:
            reg = ua.registration
            found = ua.failure or (reg.verdict if reg is not None else None)
            verdict = found or Verdict(False, "other", str(exc))
        except socket.gaierror as exc:
            verdict = explain_error(f"name not found: {exc.strerror}", trunk)
        except TimeoutError:
            verdict = _timeout(trunk)
        except OSError as exc:
            return Verdict(
                False,
                "engine",
                f"the SIP UA could not bind {trunk.bind_address}:{trunk.sip_port} "
                f"({exc.strerror or exc}); check bind_address (an address of this host) and "
                "sip_port (free)",
            )
        else:
            if ua.registration is not None and ua.registration.verdict is not None:
                verdict = ua.registration.verdict
            else:
                verdict = await _plane_options(ua, trunk, max(deadline - loop.time(), 0.1))
        if verdict.problem == "timeout":  # why no answer: refused, no route, no name?
            probed: Verdict | None = await asyncio.to_thread(probe, _resolved(trunk, ua))
            verdict = probed or verdict
        return verdict
    finally:
        with contextlib.suppress(TimeoutError):
            await ua.unregister()
        ua.close()


def _resolved(trunk: Trunk, ua: SipUa) -> Trunk:
    """The trunk with its next hop as the UA resolved it (rule 3): ``probe`` asks only
    A/AAAA on the default port, which misses a port found by SRV."""
    host, port = ua.next_hop
    if not port:
        return trunk  # never resolved: the probe says why
    hop = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    return replace(trunk, address=hop, outbound_proxy=None, domain=None)


async def _plane_options(ua: SipUa, trunk: Trunk, timeout: float) -> Verdict:
    call_id, me, uri = f"{secrets.token_hex(10)}@lexdial", ua.me, trunk.server_uri()
    lines = [
        f"OPTIONS {uri} SIP/2.0", me.via(branch()), "Max-Forwards: 70",
        f"From: <sip:{trunk.registrant}@{trunk.from_domain}>;tag={secrets.token_hex(6)}",
        f"To: <{uri}>", f"Call-ID: {call_id}", "CSeq: 1 OPTIONS", me.contact,
        "Accept: application/sdp", *me.tail(b""),
    ]  # fmt: skip
    try:
        reply = await asyncio.wait_for(
            ua.transactions.run(call_id, "OPTIONS", "\r\n".join(lines).encode()), timeout
        )
    except TimeoutError:
        reply = None
    if reply is None:
        return _timeout(trunk)
    return explain_status(reply.status, reply.reason, trunk, "OPTIONS")
