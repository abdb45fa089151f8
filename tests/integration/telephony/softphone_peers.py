"""The two far ends of the softphone gateway, for its tests and bench: a browser (an aiortc
peer, as Chromium would be) and the media plane's own SIP UA and RTP leg (as the dialler
opens an agent's nailed-up leg), with known signals and correlation to prove who hears what.
"""

from __future__ import annotations

import asyncio
import fractions
import time
from typing import Any

import numpy as np
from aiortc import RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack
from av import AudioFrame, AudioResampler

from lexdial.adapters.telephony.rtp import MediaEngine
from lexdial.adapters.telephony.rtp_codec import FRAME_BYTES, ulaw_decode, ulaw_encode
from lexdial.adapters.telephony.sip_dialog import Dialog
from lexdial.adapters.telephony.sip_message import parse_sdp, sdp_offer
from lexdial.adapters.telephony.sip_trunk import Trunk
from lexdial.adapters.telephony.sip_ua import SipUa

RATE = 8000


def chirp(f0: float, f1: float, seconds: float = 1.0, gap: float = 0.5) -> np.ndarray[Any, Any]:
    """A linear sweep from ``f0`` to ``f1`` Hz at 8 kHz (amplitude 0.5), then silence."""
    t = np.arange(int(seconds * RATE)) / RATE
    sweep = 0.5 * np.sin(2 * np.pi * (f0 * t + (f1 - f0) * t * t / (2 * seconds)))
    return np.concatenate((sweep, np.zeros(int(gap * RATE))))


def best_match(heard: np.ndarray[Any, Any], template: np.ndarray[Any, Any]) -> float:
    """The highest normalised cross-correlation of ``template`` in ``heard`` (0..1)."""
    heard = heard.astype(np.float64)
    template = template.astype(np.float64)
    template = template[np.abs(template) > 0] if template.size else template
    n = len(template)
    if len(heard) < n or n == 0:
        return 0.0
    size = 1 << int(np.ceil(np.log2(len(heard) + n)))
    corr = np.fft.irfft(np.fft.rfft(heard, size) * np.conj(np.fft.rfft(template, size)), size)
    corr = corr[: len(heard) - n + 1]
    energy = np.convolve(heard * heard, np.ones(n), "valid")
    norm = np.sqrt(np.maximum(energy, 1e-9) * float(template @ template))
    return float(np.max(np.abs(corr) / norm))


class LoopTrack(MediaStreamTrack):
    """A browser microphone playing ``signal`` (8 kHz floats) over and over, in real time."""

    kind = "audio"

    def __init__(self, signal: np.ndarray[Any, Any]) -> None:
        super().__init__()
        self.pcm = (signal * 32767).astype(np.int16)
        self._pos = 0
        self._start: float | None = None
        self._pts = 0

    async def recv(self) -> AudioFrame:
        if self.readyState != "live":
            raise MediaStreamError
        n = 160
        if self._start is None:
            self._start = time.monotonic()
        else:
            self._pts += n
            wait = self._start + self._pts / RATE - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
        idx = (np.arange(self._pos, self._pos + n)) % len(self.pcm)
        self._pos = (self._pos + n) % len(self.pcm)
        frame = AudioFrame(format="s16", layout="mono", samples=n)
        frame.planes[0].update(self.pcm[idx].tobytes())
        frame.pts, frame.sample_rate = self._pts, RATE
        frame.time_base = fractions.Fraction(1, RATE)
        return frame


class Browser:
    """An aiortc peer that talks ``signal`` and records what it hears (8 kHz mono)."""

    def __init__(self, signal: np.ndarray[Any, Any]) -> None:
        self.pc = RTCPeerConnection()
        self.pc.addTrack(LoopTrack(signal))
        self.heard: list[np.ndarray[Any, Any]] = []
        self.recording = False
        self._tasks: set[asyncio.Task[None]] = set()

        @self.pc.on("track")
        def on_track(track: MediaStreamTrack) -> None:
            task = asyncio.ensure_future(self._record(track))
            self._tasks.add(task)

    async def offer(self) -> str:
        await self.pc.setLocalDescription(await self.pc.createOffer())
        assert self.pc.localDescription is not None
        return self.pc.localDescription.sdp

    async def answer(self, sdp: str) -> None:
        await self.pc.setRemoteDescription(RTCSessionDescription(sdp=sdp, type="answer"))

    async def _record(self, track: MediaStreamTrack) -> None:
        resampler = AudioResampler(format="s16", layout="mono", rate=RATE)
        try:
            while True:
                frame = await track.recv()
                for out in resampler.resample(frame):  # type: ignore[arg-type]
                    if self.recording:
                        pcm = np.frombuffer(bytes(out.planes[0]), dtype=np.int16)
                        self.heard.append(pcm[: out.samples] / 32767.0)
        except MediaStreamError:
            return

    def take(self) -> np.ndarray[Any, Any]:
        heard, self.heard = self.heard, []
        return np.concatenate(heard) if heard else np.zeros(0)

    async def close(self) -> None:
        for task in self._tasks:
            task.cancel()
        await self.pc.close()


class PlaneSide:
    """The media plane's SIP UA and one RTP leg, opening an agent's leg as the dialler does."""

    def __init__(self, gateway_sip: str) -> None:
        self.ua = SipUa(Trunk(address=gateway_sip))
        self.engine = MediaEngine(rtp_ports=(40000, 49999))
        self.legs: dict[str, Any] = {}
        self.results: dict[str, asyncio.Future[int]] = {}
        self.byes: set[str] = set()

    async def start(self) -> None:
        await self.ua.start()

    async def open(self, uri: str, signal: np.ndarray[Any, Any] | None) -> Dialog:
        """INVITE ``uri``; on 200 the leg plays ``signal`` (looped) and records."""
        leg = self.engine.open(f"leg-{len(self.legs)}-{time.monotonic_ns()}")
        d = self.ua.invite(uri, "lexdial", sdp_offer(leg.port))
        done: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        self.legs[d.call_id], self.results[d.call_id] = leg, done

        def on_response(msg: Any) -> None:
            if msg.status < 200 or done.done():
                return
            if msg.status == 200:
                media = parse_sdp(msg.body)
                assert media is not None
                leg.start(media.host, media.port)
                leg.capture = True
                if signal is not None:
                    pcm = ulaw_encode((signal * 32767).astype(np.int16))
                    pcm += b"\xff" * (-len(pcm) % FRAME_BYTES)
                    leg.play("signal", pcm * 60)  # about a minute of it
            else:
                leg.close()
            done.set_result(msg.status)

        def on_request(msg: Any) -> None:
            if msg.method == "BYE":
                self.byes.add(d.call_id)
                leg.close()

        d.on_response, d.on_request = on_response, on_request
        return d

    def heard(self, d: Dialog) -> np.ndarray[Any, Any]:
        return ulaw_decode(self.legs[d.call_id].take_audio()) / 32767.0

    async def bye(self, d: Dialog) -> int:
        reply = await self.ua.request(d, "BYE")
        self.legs[d.call_id].close()
        return 0 if reply is None else reply.status

    async def close(self) -> None:
        await self.engine.close()
        self.ua.close()
