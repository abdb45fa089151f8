"""What the kernel carries on the loopback interface, read with a raw packet socket (root
only): the tests' evidence of what crosses the hop between the media plane and the WebRTC
gateway, taken outside the code under test.
"""

from __future__ import annotations

import base64
import socket
import struct
import threading
import time
from dataclasses import dataclass
from typing import Any

import numpy as np
import pylibsrtp

from lexdial.adapters.telephony.rtp_codec import ulaw_decode
from lexdial.adapters.telephony.sip_message import parse, parse_sdp

_ETH_P_IP = 0x0800
_PACKET_OUTGOING = 4  # on lo each datagram is seen leaving and arriving: keep one


@dataclass(frozen=True)
class Datagram:
    src: tuple[str, int]
    dst: tuple[str, int]
    data: bytes


def capture_denied() -> str | None:
    """Why a loopback capture cannot be made here, or None."""
    try:
        socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(_ETH_P_IP)).close()
    except (PermissionError, AttributeError, OSError) as exc:
        return f"a raw packet socket on lo needs root (CAP_NET_RAW): {exc}"
    return None


class LoopbackCapture:
    """Every UDP/IPv4 datagram on ``lo`` from ``start`` to ``stop``."""

    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(_ETH_P_IP))
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
        self.sock.bind(("lo", _ETH_P_IP))
        self.sock.settimeout(0.2)
        self.datagrams: list[Datagram] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> LoopbackCapture:
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._stop.set()
        self._thread.join(5)
        self.sock.close()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                frame, addr = self.sock.recvfrom(65535)
            except TimeoutError:
                continue
            except OSError:
                return
            if addr[2] == _PACKET_OUTGOING or len(frame) < 14 + 20 + 8:
                continue
            ip = frame[14:]
            ihl = (ip[0] & 0x0F) * 4
            if ip[0] >> 4 != 4 or ip[9] != 17:  # IPv4 UDP only
                continue
            sport, dport, length = struct.unpack(">HHH", ip[ihl : ihl + 6])
            src, dst = socket.inet_ntoa(ip[12:16]), socket.inet_ntoa(ip[16:20])
            data = ip[ihl + 8 : ihl + length]
            with self._lock:
                self.datagrams.append(Datagram((src, sport), (dst, dport), bytes(data)))

    def snapshot(self) -> list[Datagram]:
        with self._lock:
            return list(self.datagrams)

    def between(self, src_port: int, dst_port: int) -> list[bytes]:
        """The payloads sent from ``src_port`` to ``dst_port`` (any loopback address)."""
        return [d.data for d in self.snapshot() if (d.src[1], d.dst[1]) == (src_port, dst_port)]

    def wait_for(self, src_port: int, dst_port: int, count: int, seconds: float = 10) -> None:
        deadline = time.monotonic() + seconds
        while len(self.between(src_port, dst_port)) < count:
            assert time.monotonic() < deadline, f"fewer than {count} datagrams captured"
            time.sleep(0.05)


@dataclass(frozen=True)
class SdpSeen:
    """An INVITE to ``sip_port`` and its 200 as they crossed the wire."""

    offer_port: int
    offer_profile: str
    offer_crypto: tuple[str, ...]
    answer_port: int
    answer_profile: str
    answer_crypto: tuple[str, ...]


def _profile(body: bytes) -> str:
    for line in body.decode("utf-8", "replace").splitlines():
        if line.startswith("m=audio "):
            return line.split()[2]
    return ""


def sdp_exchange(capture: LoopbackCapture, sip_port: int) -> SdpSeen:
    """The last INVITE sent to ``sip_port`` and the 200 (with SDP) that answered it."""
    offers, answers = {}, {}
    for d in capture.snapshot():
        msg = parse(d.data) if d.data[:3] in (b"INV", b"SIP") else None
        if msg is None or not msg.body:
            continue
        if msg.method == "INVITE" and d.dst[1] == sip_port:
            offers[msg.call_id] = msg.body
        elif msg.status == 200 and d.src[1] == sip_port:
            answers[msg.call_id] = msg.body
    call_id = [c for c in offers if c in answers][-1]
    offer, answer = parse_sdp(offers[call_id]), parse_sdp(answers[call_id])
    assert offer is not None and answer is not None
    return SdpSeen(offer.port, _profile(offers[call_id]), offer.crypto,
                   answer.port, _profile(answers[call_id]), answer.crypto)  # fmt: skip


def as_plain_pcmu(packets: list[bytes]) -> np.ndarray[Any, Any]:
    """The packets read as plain PCMU RTP would be: 160 payload bytes after the header, in
    sequence order, decoded (what a listener without the keys could hear)."""
    ordered = sorted(packets, key=lambda p: struct.unpack(">H", p[2:4])[0] if len(p) > 4 else 0)
    payload = b"".join(p[12:172] for p in ordered if len(p) >= 172)
    return ulaw_decode(payload) / 32767.0


def decrypted(packets: list[bytes], crypto_line: str) -> list[bytes]:
    """The packets unprotected with the SDES key of ``crypto_line`` (as read off the wire)."""
    suite, inline = crypto_line.split()[1], crypto_line.split("inline:")[1].split("|")[0]
    profile = {
        "AES_CM_128_HMAC_SHA1_80": pylibsrtp.Policy.SRTP_PROFILE_AES128_CM_SHA1_80,
        "AES_CM_128_HMAC_SHA1_32": pylibsrtp.Policy.SRTP_PROFILE_AES128_CM_SHA1_32,
    }[suite]
    session = pylibsrtp.Session(
        pylibsrtp.Policy(
            key=base64.b64decode(inline),
            ssrc_type=pylibsrtp.Policy.SSRC_ANY_INBOUND,
            srtp_profile=profile,
        )
    )
    out = []
    for p in packets:
        try:
            out.append(session.unprotect(p))
        except pylibsrtp.Error:
            continue
    return out
