"""baresip 1.0.0 as a real far end that answers by itself: one process, one account per
called number (each with its own ``mediaenc`` and its own audio file to play), the audio
it receives decoded to WAV files (``sndfile``), digits sent on command (``ctrl_tcp``).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import subprocess
import wave
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from .ports import band_ports

RATE = 8000


def free_port(kind: int = socket.SOCK_DGRAM) -> int:
    with socket.socket(socket.AF_INET, kind) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def write_wav(path: Path, samples: npt.NDArray[np.int16]) -> Path:
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(RATE)
        out.writeframes(samples.astype("<i2").tobytes())
    return path


def read_wav(path: Path) -> npt.NDArray[np.int16]:
    with wave.open(str(path), "rb") as w:
        return np.frombuffer(w.readframes(w.getnframes()), dtype="<i2").astype(np.int16)


def best_match(received: npt.NDArray[Any], expected: npt.NDArray[Any]) -> float:
    """Peak normalised cross-correlation of ``expected`` over every window of ``received``
    (as the SIPp tests measure it)."""
    x, y = received.astype(np.float64), expected.astype(np.float64)
    if len(x) < len(y):
        return 0.0
    size = 1 << (len(x) + len(y)).bit_length()
    corr = np.fft.irfft(np.fft.rfft(x, size) * np.conj(np.fft.rfft(y, size)), size)
    corr = corr[: len(x) - len(y) + 1]
    energy = np.convolve(x * x, np.ones(len(y)), "valid")
    return float(np.max(corr / (np.sqrt(energy * float(y @ y)) + 1e-9)))


@dataclass
class Callee:
    """One called number: its account's ``mediaenc`` ("" for plain RTP) and what it plays."""

    user: str
    mediaenc: str
    plays: Path


@dataclass
class Baresip:
    """A baresip callee process in ``workdir`` (``start``/``stop``)."""

    workdir: Path
    callees: list[Callee]
    # SIP on UDP and TCP at ``port``, TLS at ``port + 1``, the control socket at ``port + 2``
    # (baresip binds all three), from the band no one binds implicitly.
    port: int = field(default_factory=lambda: band_ports(4))
    ctrl_port: int = 0
    proc: asyncio.subprocess.Process | None = None

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def rec(self) -> Path:
        return self.workdir / "rec"

    def __post_init__(self) -> None:
        self.ctrl_port = self.ctrl_port or self.port + 2

    async def start(self) -> None:
        self.rec.mkdir(parents=True, exist_ok=True)
        rtp = band_ports(40)
        config = [
            "poll_method epoll",
            f"sip_listen 127.0.0.1:{self.port}",
            "net_interface 127.0.0.1",
            f"audio_source aufile,{self.callees[0].plays}",
            "ausrc_srate 8000", "auplay_srate 8000",
            "ausrc_channels 1", "auplay_channels 1",
            f"rtp_ports {rtp}-{rtp + 39}",
            "module_path /usr/lib/baresip/modules",
            "module g711.so", "module aufile.so", "module sndfile.so", "module srtp.so",
            "module_tmp account.so", "module_app menu.so", "module_app ctrl_tcp.so",
            f"ctrl_tcp_listen 127.0.0.1:{self.ctrl_port}",
            f"snd_path {self.rec}",
        ]  # fmt: skip
        (self.workdir / "config").write_text("\n".join(config) + "\n")
        accounts = []
        for c in self.callees:
            enc = f";mediaenc={c.mediaenc}" if c.mediaenc else ""
            accounts.append(
                f"<sip:{c.user}@127.0.0.1>;audio_codecs=PCMU;answermode=auto;regint=0"
                f";audio_source=aufile,{c.plays}{enc}"
            )
        (self.workdir / "accounts").write_text("\n".join(accounts) + "\n")
        with (self.workdir / "baresip.log").open("wb") as log:
            self.proc = await asyncio.create_subprocess_exec(
                "baresip", "-f", str(self.workdir), "-v",
                stdin=subprocess.DEVNULL, stdout=log, stderr=log,
            )  # fmt: skip
        for _ in range(250):  # ready once the control port answers
            with contextlib.suppress(OSError):
                _, writer = await asyncio.open_connection("127.0.0.1", self.ctrl_port)
                writer.close()
                return
            if self.proc.returncode is not None:
                break
            await asyncio.sleep(0.02)
        raise AssertionError(f"baresip did not start:\n{self.log()}")

    async def command(self, name: str, params: str = "") -> None:
        """One ctrl_tcp command (e.g. ``sndcode 5``: an RFC 2833 digit on the call)."""
        reader, writer = await asyncio.open_connection("127.0.0.1", self.ctrl_port)
        body = json.dumps({"command": name, "params": params, "token": "t"}).encode()
        writer.write(str(len(body)).encode() + b":" + body + b",")
        await writer.drain()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(reader.read(4096), 2)
        writer.close()

    def recordings(self) -> list[npt.NDArray[np.int16]]:
        """The decoded audio of every call, one array per call."""
        return [read_wav(p) for p in sorted(self.rec.glob("dump-*-dec.wav"))]

    def log(self) -> str:
        path = self.workdir / "baresip.log"
        return path.read_text(errors="replace") if path.exists() else ""

    async def stop(self) -> None:
        if self.proc is not None and self.proc.returncode is None:
            self.proc.terminate()
            try:
                await asyncio.wait_for(self.proc.wait(), 5)
            except TimeoutError:
                self.proc.kill()
                await self.proc.wait()
