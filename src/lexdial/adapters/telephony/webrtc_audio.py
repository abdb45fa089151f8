"""Audio between one agent's browser (an aiortc track) and the media plane's RTP (PCMU 8 kHz).

Rule 1: plane → browser: each PCMU packet received on the leg's UDP socket is decoded to
8 kHz linear and queued; ``PlaneTrack`` (the track the browser hears) hands out one 20 ms
frame per 20 ms of wall clock, the oldest queued or silence, so the browser gets a steady
stream whatever the network did. The queue holds at most ``MAX_QUEUED`` frames (200 ms):
more means the clocks drifted, and the oldest are dropped (latency stays bounded).
Rule 2: browser → plane: each frame aiortc decodes from the browser (Opus, 48 kHz) is
resampled to 8 kHz mono (av's resampler), cut into 160-sample frames, u-law encoded and
sent as one RTP packet each (consecutive sequence numbers and timestamps), paced by the
browser's own 20 ms packets. Telephone-events from the plane are ignored (agents do not
get DTMF from the called person).
Rule 3: only packets from the host named in the plane's SDP are played to the agent.
Rule 3b: a leg keyed by SDES (``crypto``: the plane offered SRTP, ``srtp`` rule 5) protects
every packet it sends as its last step and unprotects every packet from the plane first,
before anything reads it; one that fails authentication (or replays) is dropped as lost.
Rule 4: the audio is a person's voice (personal data): in memory only, never logged,
dropped when the leg closes.
"""

from __future__ import annotations

import asyncio
import contextlib
import fractions
import logging
import random
import struct
import time
from collections import deque
from collections.abc import Callable
from typing import Any, cast

import numpy as np
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack
from av import AudioFrame, AudioResampler

from lexdial.adapters.telephony.rtp_codec import FRAME_BYTES, ulaw_decode, ulaw_encode
from lexdial.adapters.telephony.srtp import Crypto

log = logging.getLogger(__name__)

RATE = 8000
FRAME_S = 0.02
MAX_QUEUED = 10
_HEADER = struct.Struct(">BBHII")


class PlaneTrack(MediaStreamTrack):
    """What the browser hears: the plane's audio, one 20 ms frame per 20 ms (rule 1)."""

    kind = "audio"

    def __init__(self) -> None:
        super().__init__()
        self.queue: deque[bytes] = deque(maxlen=MAX_QUEUED)
        self._start: float | None = None
        self._pts = 0

    def feed(self, pcm: bytes) -> None:
        """Queue one frame of 8 kHz 16-bit linear audio from the plane."""
        self.queue.append(pcm)

    async def recv(self) -> AudioFrame:
        if self.readyState != "live":
            raise MediaStreamError
        samples = int(FRAME_S * RATE)
        if self._start is None:
            self._start = time.monotonic()
        else:
            self._pts += samples
            wait = self._start + self._pts / RATE - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
        pcm = self.queue.popleft() if self.queue else bytes(2 * samples)
        frame = AudioFrame(format="s16", layout="mono", samples=samples)
        frame.planes[0].update(pcm)
        frame.pts = self._pts
        frame.sample_rate = RATE
        frame.time_base = fractions.Fraction(1, RATE)
        return frame


class RtpEndpoint(asyncio.DatagramProtocol):
    """The gateway's side of an agent's SIP leg: one UDP socket speaking PCMU (rule 1, 2)."""

    def __init__(self, track: PlaneTrack) -> None:
        self.track = track
        self.transport: asyncio.DatagramTransport | None = None
        self.remote: tuple[str, int] | None = None
        self.crypto: Crypto | None = None  # rule 3b; None: plain RTP
        self.ssrc = random.getrandbits(32)
        self._seq = random.getrandbits(16)
        self._ts = random.getrandbits(32)
        self.sent = self.received = 0

    @classmethod
    async def open(cls, host: str, track: PlaneTrack) -> RtpEndpoint:
        """A new endpoint on a free port of ``host``."""
        loop = asyncio.get_running_loop()
        _, proto = await loop.create_datagram_endpoint(lambda: cls(track), local_addr=(host, 0))
        return proto

    @property
    def port(self) -> int:
        assert self.transport is not None
        return int(self.transport.get_extra_info("sockname")[1])

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # asyncio's UDP transport does not subclass DatagramTransport: cast, not check
        self.transport = cast(asyncio.DatagramTransport, transport)

    def datagram_received(self, data: bytes, addr: tuple[str | Any, int]) -> None:
        if self.remote is None or addr[0] != self.remote[0]:
            return  # only the plane that opened the leg speaks into the agent's ear
        if self.crypto is not None:  # rule 3b
            plain = self.crypto.unprotect(data)
            if plain is None:
                return
            data = plain
        if len(data) < 12 or data[0] >> 6 != 2 or data[1] & 0x7F != 0:
            return  # not RTP, or not PCMU (a telephone-event): rule 2
        self.received += 1
        start = 12 + 4 * (data[0] & 0x0F)
        self.track.feed(ulaw_decode(data[start:]).tobytes())

    def send_pcm(self, pcm: np.ndarray[Any, np.dtype[np.int16]]) -> None:
        """Send one 160-sample frame of 8 kHz linear audio to the plane."""
        if self.transport is None or self.remote is None or self.transport.is_closing():
            return
        packet = _HEADER.pack(0x80, 0, self._seq, self._ts, self.ssrc) + ulaw_encode(pcm)
        self._seq = (self._seq + 1) & 0xFFFF
        self._ts = (self._ts + FRAME_BYTES) & 0xFFFFFFFF
        if self.crypto is not None:  # rule 3b
            packet = self.crypto.protect(packet)
        self.transport.sendto(packet, self.remote)
        self.sent += 1

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()
        self.track.queue.clear()


async def pump_browser(
    track: MediaStreamTrack, endpoint_of: Callable[[], RtpEndpoint | None]
) -> None:
    """Forward what the browser says to the plane until its track ends (rule 2). The track
    is read from the start, leg or no leg: what is said with no leg open is dropped (a
    track not read would queue the browser's audio without bound)."""
    resampler = AudioResampler(format="s16", layout="mono", rate=RATE)
    pending = np.zeros(0, dtype=np.int16)
    samples = int(FRAME_S * RATE)
    with contextlib.suppress(MediaStreamError):
        while True:
            frame = await track.recv()
            assert isinstance(frame, AudioFrame)
            endpoint = endpoint_of()
            for out in resampler.resample(frame):
                pcm = np.frombuffer(bytes(out.planes[0]), dtype=np.int16)[: out.samples]
                pending = np.concatenate((pending, pcm)) if endpoint is not None else pending[:0]
            while endpoint is not None and len(pending) >= samples:
                endpoint.send_pcm(pending[:samples])
                pending = pending[samples:]
