"""Ports for the peers the telephony tests start (SIPp, baresip).

Ports the kernel hands out (bind to port 0) are taken again by anyone binding port 0 (sinks,
browsers, outgoing TCP connections, other test processes), and the media plane binds its
legs anywhere in 20000-59999 (``MediaEngine``'s default range): a port probed free and
released was not the peer's for sure when it started. A SIPp that lost its media port still
answered the readiness probe and then exited; a baresip whose SIP port was taken on TCP by
an outgoing connection failed to start ("sip_listen" binds UDP, TCP and TLS). So these ports
come from a band no one binds implicitly, in blocks free on UDP and TCP, never handed out
twice in one process.
"""

from __future__ import annotations

import contextlib
import random
import socket
from pathlib import Path

MEDIA_PLANE_RTP = (20000, 59999)
_HANDED: set[int] = set()


def _band() -> tuple[int, int]:
    """The widest port range outside the kernel's ephemeral range and the media plane's."""
    lo, hi = map(int, Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split())
    taken = sorted([(0, 9999), (lo, hi), MEDIA_PLANE_RTP])
    gaps, edge = [], 0
    for a, b in taken:
        if a > edge + 1:
            gaps.append((edge + 1, a - 1))
        edge = max(edge, b)
    if edge < 65535:
        gaps.append((edge + 1, 65535))
    if not gaps:
        raise AssertionError(f"no port band outside {lo}-{hi} and {MEDIA_PLANE_RTP}")
    return max(gaps, key=lambda g: g[1] - g[0])


def band_ports(size: int = 4) -> int:
    """The first of ``size`` consecutive ports (aligned to 4), each free on UDP and TCP, in
    that band and not handed out before in this process."""
    first, last = _band()
    span = (size + 3) & ~3
    bases = list(range((first + 3) & ~3, last - span + 1, span))
    for base in random.sample(bases, len(bases)):
        if any(b in _HANDED for b in range(base, base + span, 4)):
            continue
        with contextlib.ExitStack() as held:
            try:
                for port in range(base, base + size):
                    for kind in (socket.SOCK_DGRAM, socket.SOCK_STREAM):
                        sock = held.enter_context(socket.socket(socket.AF_INET, kind))
                        sock.bind(("127.0.0.1", port))
            except OSError:
                continue
        _HANDED.update(range(base, base + span, 4))
        return base
    raise AssertionError(f"no {size} free ports in {first}-{last}")


def bound_udp_ports(pid: int) -> set[int]:
    """The UDP ports process ``pid`` itself has bound (its sockets' inodes in /proc)."""
    inodes = set()
    with contextlib.suppress(OSError):
        for fd in Path(f"/proc/{pid}/fd").iterdir():
            with contextlib.suppress(OSError):
                link = str(fd.readlink())
                if link.startswith("socket:["):
                    inodes.add(link[8:-1])
    ports = set()
    for table in ("udp", "udp6"):
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/{pid}/net/{table}").read_text().splitlines()[1:]:
                cols = line.split()
                if len(cols) > 9 and cols[9] in inodes:
                    ports.add(int(cols[1].rsplit(":", 1)[1], 16))
    return ports
