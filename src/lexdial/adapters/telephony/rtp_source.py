"""Whose RTP a media-plane leg hears (``rtp`` rule 6): strict source, with NAT latching.

Why: a leg's port is in 20000-59999; a stranger who guesses one could force an AMD
verdict, fake a digit (an opt-out, a menu choice) or speak into a bridged agent's ear.
Rule 1: a leg accepts RTP only from the address and port its far end's SDP gave (``c=``,
``m=``; a re-INVITE's ``start`` begins again). Anything else, before ``start`` too, is
dropped and counted (``dropped``); a warning once per leg (a flood must not flood logs).
Rule 2 (NAT, as Asterisk's strictrtp learning and rtpengine's endpoint learning do):
until the leg has accepted a packet since ``start``, a stream from the SDP's IP on
another port (a NAT that kept the IP and rewrote the port) is latched to once
``PROBATION`` packets in a row are valid for this leg: RTP v2, one SSRC, consecutive
sequence numbers, PCMU or the leg's telephone-event type. Another IP is never latched
(a carrier's media from an address its SDP did not name is its fault, and the attack).
The SDP's own address always takes over again (a stale stream that latched first loses).
Rule 3: latching changes only what the leg hears, never where it sends (no "comedia"),
so no packet can redirect a call's audio; an SRTP leg still authenticates every packet
after this check.
Rule 4: the per-packet cost is the caller's one tuple compare (``addr``, as ``recvfrom``
names it); only a stranger's packets come here.
"""

from __future__ import annotations

import ipaddress
import logging
import socket
from typing import Any, Protocol

log = logging.getLogger("lexdial.adapters.telephony.rtp")

#: valid packets in a row from a NAT-rewritten port before a leg latches to it (rule 2):
#: Asterisk's strictrtp probation is 4, GStreamer's 2; each costs 20 ms of audio once
PROBATION = 3
_PCMU = 0


class _Leg(Protocol):
    received: int
    dtmf_pt: int

    @property
    def latch(self) -> bool: ...


class StrictSource:
    """One leg's accepted source (see the module rules)."""

    __slots__ = ("_candidate", "_learning_at", "_warned", "addr", "dropped", "key", "sdp")

    def __init__(self, key: str) -> None:
        self.key = key
        self.sdp: tuple[str, int] | None = None  # the SDP's address as recvfrom names it
        self.addr: tuple[Any, ...] | None = None  # the source accepted now
        self.dropped = 0
        self._learning_at = -1  # the leg's ``received`` at ``start``: latching until it moves
        self._candidate: tuple[tuple[Any, ...], bytes, int, int] | None = None
        self._warned = False

    def start(self, family: int, host: str, port: int, received: int) -> None:
        """The far end's SDP named ``host:port`` (rule 1); learning starts again."""
        self.sdp = self.addr = as_received(family, host, port)
        self._learning_at, self._candidate = received, None

    def admit(self, data: bytes, addr: tuple[Any, ...], leg: _Leg) -> bool:
        """Whether a packet not from ``self.addr`` is accepted (rules 1-2)."""
        sdp = self.sdp
        if sdp is not None:
            if addr[:2] == sdp:  # the signalled address always wins (IPv6: any flow/scope)
                if self.addr is not None and self.addr[:2] != sdp:
                    log.info("rtp leg %s: the far end's SDP address is back", self.key)
                self.addr = addr
                return True
            if (
                leg.latch
                and leg.received == self._learning_at
                and addr[0] == sdp[0]
                and self._probation(data, addr, leg.dtmf_pt)
            ):
                self.addr = addr
                log.info("rtp leg %s: latched to the far end's NAT port", self.key)
                return True
        self.dropped += 1
        if sdp is not None and not self._warned:
            self._warned = True
            log.warning("rtp leg %s: dropping RTP from an address its SDP did not give", self.key)
        return False

    def _probation(self, data: bytes, addr: tuple[Any, ...], dtmf_pt: int) -> bool:
        """Whether ``data`` is the ``PROBATION``th valid packet in a row from ``addr``."""
        if len(data) < 12 or data[0] >> 6 != 2 or data[1] & 0x7F not in (_PCMU, dtmf_pt):
            return False
        seq, ssrc = int.from_bytes(data[2:4], "big"), data[8:12]
        c = self._candidate
        row = c[3] + 1 if c and c[0] == addr and c[1] == ssrc and seq == (c[2] + 1) & 0xFFFF else 1
        self._candidate = (addr, ssrc, seq, row)
        return row >= PROBATION


def as_received(family: int, host: str, port: int) -> tuple[str, int]:
    """``host:port`` as ``recvfrom`` names it on a socket of ``family`` (so the per-packet
    check is a plain tuple compare): canonical text, IPv4 mapped on an IPv6 socket. A
    name that is not an address (an FQDN in c=) is kept, and so matches nothing."""
    try:
        ip = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return host, port
    if family == socket.AF_INET6 and ip.version == 4:
        return f"::ffff:{ip}", port  # as Linux prints a mapped address (not ::ffff:102:304)
    return str(ip), port
