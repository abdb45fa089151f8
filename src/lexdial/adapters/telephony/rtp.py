"""The media plane: every call's RTP in this process, on one 20 ms clock, no process per call.

Rule 1: a *leg* is one RTP endpoint (a UDP socket on ``bind_address``, an even port of
``rtp_ports``) talking PCMU (payload type 0, 8 kHz, 20 ms packets) with RFC 2833
telephone-events (payload type 101 unless the far end's SDP says another). Every leg
sends exactly one packet per 20 ms from the moment its far end is known: a prompt,
audio bridged from another leg, or u-law silence, with consecutive sequence numbers and
timestamps, so the far end sees a gap only where the network lost a packet.
Rule 2: one clock for all legs (``MediaEngine``): each tick first drains every leg's
socket (non-blocking ``recv`` until empty: no per-socket reader in the event loop), then
sends the frames that are due. A tick that comes late (the loop was busy) sends the
frames it owes at once, up to ``MAX_CATCH_UP`` frames, so a busy moment shows as jitter
at the far end, not as loss; the lateness is kept (``stats``) as the honest figure.
Rule 3: a leg plays a prompt (``rtp_codec``'s u-law, shared) from its first sample and
reports its end exactly (``on_played``), then goes back to silence; received audio is
kept for ``take_audio`` only while ``capture`` is on; a telephone-event reports once.
Rule 4: ``connect(a, b)`` bridges two legs (live agents: the called person's leg and
the agent's nailed-up leg): what one receives the other sends, payload for payload (no
transcoding, no mixing), until ``disconnect``; a prompt plays over the bridged audio.
``on_heard`` (set by whoever connects) fires once on the next RTP packet received (any
payload: a phone with voice activity detection sends comfort noise): it is how a bridge
is known to carry media both ways.
Rule 4b: a leg with ``crypto`` (``srtp.Crypto``, set from the SDP answer before
``start``) encrypts every packet it sends as the last step, and decrypts every packet it
receives first once its source passed (rule 6): one that does not authenticate is
dropped as lost. A bridge carries
plain payloads between legs, so each leg protects with its own keys (an SRTP leg bridged
to a plain one is decrypted on one side and sent plain on the other).
Rule 5: received audio is the far end's voice (personal data): it lives in memory only,
is dropped when read and when the leg closes, and nothing here logs it.
Rule 6 (strict source, ``rtp_source``): a leg accepts RTP only from the far end its SDP
gave (``start``), or a NAT's port of that IP it latched to; anything else (before
``start`` too) is dropped and counted (``Leg.foreign``, ``Stats.foreign``) before SRTP
and before any audio, digit or ``on_heard`` sees it. One tuple compare per packet.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import random
import socket
import struct
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from lexdial.adapters.telephony.rtp_clock import MediaClock
from lexdial.adapters.telephony.rtp_codec import FRAME_BYTES, SILENCE, load_prompt
from lexdial.adapters.telephony.rtp_source import StrictSource
from lexdial.adapters.telephony.srtp import Crypto, Key

log = logging.getLogger(__name__)

PCMU = 0
DTMF_EVENTS = "0123456789*#ABCD"
_HEADER = struct.Struct(">BBHII")


@dataclass(frozen=True, slots=True)
class Stats:
    """The clock's health since the engine started."""

    legs: int
    ticks: int
    late_ticks: int  # ticks more than one frame late
    max_late_ms: float
    skipped_frames: int  # frames never sent: a tick later than MAX_CATCH_UP frames
    sent: int
    received: int
    busy_s: float  # wall seconds the clock spent pumping legs (its share of a core)
    foreign: int = 0  # RTP packets dropped: not from a leg's far end (rule 6)


class Leg:
    """One RTP endpoint (see the module rules); made by ``MediaEngine.open``."""

    def __init__(self, engine: MediaEngine, sock: socket.socket, key: str) -> None:
        self.engine, self.sock, self.key = engine, sock, key
        self.port: int = sock.getsockname()[1]
        self.remote: tuple[str, int] | None = None
        self.dtmf_pt = 101
        self.ssrc = random.getrandbits(32)
        self._seq = random.getrandbits(16)
        self._ts = random.getrandbits(32)
        self._prompt: bytes | None = None
        self._prompt_name = ""
        self._pos = 0
        self.capture = False
        self._heard: list[bytes] = []
        self._last_event_ts: int | None = None
        self.peer: Leg | None = None
        self._bridged: deque[bytes] = deque(maxlen=10)  # 200 ms: more is a stalled peer
        self.on_digit: Callable[[str], None] | None = None
        self.on_played: Callable[[str], None] | None = None
        self.on_heard: Callable[[], None] | None = None  # once, on the next RTP packet
        self.closed = False
        self.sent = self.received = 0
        self.keys: tuple[Key, ...] = ()  # the SDES keys our offer carried (rule 4b)
        self.crypto: Crypto | None = None
        self.source = StrictSource(key)  # rule 6

    # --- control -------------------------------------------------------------------

    def start(self, host: str, port: int, *, dtmf_pt: int = 101) -> None:
        """Begin sending to the far end's media address (from its SDP), and accept RTP
        only from it (rule 6); a new SDP (re-INVITE) starts over."""
        self.remote, self.dtmf_pt = (host, port), dtmf_pt
        self.source.start(self.sock.family, host, port, self.received)

    @property
    def foreign(self) -> int:
        """RTP packets dropped: not from the far end (rule 6)."""
        return self.source.dropped

    @property
    def latch(self) -> bool:
        """Whether this leg may latch to a NAT's port (``rtp_source`` rule 2)."""
        return self.engine.latch

    def play(self, name: str, audio: bytes) -> None:
        """Play u-law ``audio`` (whole frames) from its start; ``on_played(name)`` at its end."""
        self._prompt, self._prompt_name, self._pos = audio, name, 0

    def stop_playing(self) -> None:
        """Back to silence (or the bridged audio) without reporting PLAYED."""
        self._prompt = None

    @property
    def playing(self) -> str | None:
        """The prompt playing now, if any."""
        return self._prompt_name if self._prompt is not None else None

    def take_audio(self) -> bytes:
        """The u-law received since the last call (while ``capture`` is on)."""
        heard, self._heard = self._heard, []
        return b"".join(heard)

    def close(self) -> None:
        """Stop sending and free the port; a bridge to it ends."""
        if self.closed:
            return
        self.closed = True
        if self.foreign:
            log.info("rtp leg %s: %d packets from elsewhere dropped", self.key, self.foreign)
        self.engine.disconnect(self)
        self._heard.clear()
        self.keys, self.crypto = (), None
        self.engine._legs.pop(self.key, None)
        self.sock.close()

    # --- the clock's work ----------------------------------------------------------

    def pump(self, frames: int) -> None:
        """Drain the socket, then send ``frames`` frames (rule 2)."""
        sock, source = self.sock, self.source
        while True:
            try:
                data, addr = sock.recvfrom(2048)
            except (BlockingIOError, InterruptedError):
                break
            except OSError:  # e.g. ICMP port unreachable reported on a later call
                break
            if addr != source.addr and not source.admit(data, addr, self):
                self.engine._foreign += 1
                continue  # rule 6: before SRTP, audio, digits and on_heard
            self.received += 1
            if len(data) < 12 or data[0] >> 6 != 2:
                continue
            if self.crypto is not None:
                plain = self.crypto.unprotect(data)
                if plain is None:
                    continue
                data = plain
            if self.on_heard is not None:  # one-shot: "media flows" watches (rule 4)
                heard, self.on_heard = self.on_heard, None
                heard()
            pt = data[1] & 0x7F
            start = 12 + 4 * (data[0] & 0x0F)
            if pt == PCMU:
                payload = data[start:]
                if self.capture:
                    self._heard.append(payload)
                peer = self.peer
                if peer is not None:
                    peer._bridged.append(payload)
            elif pt == self.dtmf_pt and len(data) >= start + 4:
                ts = int.from_bytes(data[4:8], "big")
                if ts != self._last_event_ts:  # one report per event (its packets repeat)
                    self._last_event_ts = ts
                    event = data[start]
                    if event < len(DTMF_EVENTS) and self.on_digit is not None:
                        self.on_digit(DTMF_EVENTS[event])
        if self.remote is None or self.closed:
            return
        crypto = self.crypto
        for _ in range(frames):
            prompt = self._prompt
            if prompt is not None:
                payload = prompt[self._pos : self._pos + FRAME_BYTES]
                self._pos += FRAME_BYTES
                if self._pos >= len(prompt):
                    name, self._prompt = self._prompt_name, None
                    if self.on_played is not None:
                        self.on_played(name)
                self._bridged.clear()
            elif self._bridged:
                payload = self._bridged.popleft()
            else:
                payload = SILENCE
            packet = _HEADER.pack(0x80, PCMU, self._seq, self._ts, self.ssrc) + payload
            self._seq = (self._seq + 1) & 0xFFFF
            self._ts = (self._ts + FRAME_BYTES) & 0xFFFFFFFF
            if crypto is not None:
                packet = crypto.protect(packet)
            try:
                sock.sendto(packet, self.remote)
                self.sent += 1
            except (BlockingIOError, InterruptedError):
                self.engine._send_drops += 1  # the socket buffer is full: a real loss
            except OSError:
                pass  # unreachable far end: it is the call's signalling that ends it


class MediaEngine:
    """All legs of this process on one clock (see the module rules)."""

    def __init__(
        self,
        *,
        bind_address: str = "127.0.0.1",
        rtp_ports: tuple[int, int] = (20000, 59999),
        latch: bool = True,
    ) -> None:
        self.bind_address, self.rtp_ports = bind_address, rtp_ports
        self.latch = latch  # rule 6: latch to a NAT-rewritten port of the SDP's IP
        self._legs: dict[str, Leg] = {}
        self._next_port = rtp_ports[0] + (random.randrange(rtp_ports[1] - rtp_ports[0]) & ~1)
        self.clock = MediaClock(self._pump)
        self._prompts: dict[tuple[str, float | None], bytes] = {}
        self._send_drops = 0
        self._foreign = 0

    # --- legs ----------------------------------------------------------------------

    def open(self, key: str) -> Leg:
        """A new leg named ``key`` on a free even port of ``rtp_ports``."""
        if key in self._legs:
            raise ValueError(f"leg {key} is open")
        lo, hi = self.rtp_ports
        span = max(2, (hi - lo + 1) & ~1)
        for _ in range(span // 2):
            port = self._next_port
            self._next_port = lo + ((port - lo + 2) % span)
            sock = socket.socket(socket.AF_INET6 if ":" in self.bind_address else socket.AF_INET,
                                 socket.SOCK_DGRAM)  # fmt: skip
            try:
                sock.bind((self.bind_address, port))
            except OSError as exc:
                sock.close()
                if exc.errno in (errno.EADDRINUSE, errno.EACCES):
                    continue
                raise
            sock.setblocking(False)
            with contextlib.suppress(OSError):  # a late tick must find its packets waiting
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 256 << 10)
            leg = self._legs[key] = Leg(self, sock, key)
            self.clock.ensure()
            return leg
        raise OSError(errno.EADDRINUSE, f"no free RTP port in {lo}-{hi}")

    def leg(self, key: str) -> Leg | None:
        """The open leg named ``key``."""
        return self._legs.get(key)

    def connect(self, a: Leg, b: Leg) -> None:
        """Bridge ``a`` and ``b`` (rule 4); each leaves any bridge it was in."""
        self.disconnect(a)
        self.disconnect(b)
        a.peer, b.peer = b, a

    def disconnect(self, leg: Leg) -> None:
        """End ``leg``'s bridge, if any; both legs go back to silence."""
        peer, leg.peer = leg.peer, None
        leg._bridged.clear()
        if peer is not None and peer.peer is leg:
            peer.peer = None
            peer._bridged.clear()

    def prompt(self, path: Path | str, seconds: float | None = None) -> bytes:
        """``load_prompt``, once per file and length."""
        key = (os.fspath(path), seconds)
        data = self._prompts.get(key)
        if data is None:
            data = self._prompts[key] = load_prompt(path, seconds)
        return data

    @property
    def stats(self) -> Stats:
        """The clock's health (rule 2)."""
        legs, c = list(self._legs.values()), self.clock
        return Stats(
            len(legs), c.ticks, c.late_ticks, round(c.max_late_s * 1000, 1),
            c.skipped + self._send_drops, sum(leg.sent for leg in legs),
            sum(leg.received for leg in legs), round(c.busy_s, 3), self._foreign,
        )  # fmt: skip

    async def close(self) -> None:
        """Close every leg and stop the clock."""
        for leg in list(self._legs.values()):
            leg.close()
        await self.clock.close()

    def _pump(self, frames: int) -> int:
        legs = list(self._legs.values())
        for leg in legs:
            try:
                leg.pump(frames)
            except Exception:  # one leg's fault must not stop every call's audio
                log.exception("rtp leg %s failed; closing it", leg.key)
                leg.close()
        return len(legs)
