"""Reading the clips answering-machine detection is measured on: mono 16-bit PCM WAV, or
G.711 u-law WAV as a call's audio arrives over RTP (and as sox writes it)."""

from __future__ import annotations

import wave
from pathlib import Path

import numpy as np
import numpy.typing as npt

from lexdial.adapters.telephony.amd_config import Samples

_WAVE_FORMAT_MULAW = 7


def _ulaw_to_linear(codes: npt.NDArray[np.uint8]) -> Samples:
    """G.711 u-law decoding (ITU-T G.711, the bias-33 segment formula)."""
    u = ~codes.astype(np.int32) & 0xFF
    magnitude = (((u & 0x0F) << 3) + 0x84) << ((u >> 4) & 0x07)
    return np.where(u & 0x80, 0x84 - magnitude, magnitude - 0x84).astype(np.int16)


def _read_ulaw_wav(data: bytes, path: Path | str) -> tuple[Samples, int] | None:
    """Samples of a mono G.711 u-law WAV (as sox writes it), or None for another format.
    The stdlib ``wave`` module reads PCM only; a call's audio arrives as u-law."""
    if data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        return None
    pos, fmt, rate = 12, None, 0
    while pos + 8 <= len(data):
        kind, size = data[pos : pos + 4], int.from_bytes(data[pos + 4 : pos + 8], "little")
        body = data[pos + 8 : pos + 8 + size]
        if kind == b"fmt ":
            fmt, channels = int.from_bytes(body[0:2], "little"), body[2]
            rate = int.from_bytes(body[4:8], "little")
            if fmt != _WAVE_FORMAT_MULAW:
                return None
            if channels != 1:
                raise ValueError(f"{path}: need mono audio")
        elif kind == b"data" and fmt == _WAVE_FORMAT_MULAW:
            return _ulaw_to_linear(np.frombuffer(body, dtype=np.uint8)), rate
        pos += 8 + size + (size & 1)  # chunks are word-aligned
    return None


def read_wav(path: Path | str) -> tuple[Samples, int]:
    """Read a mono 16-bit PCM or G.711 u-law wav file; returns the samples (16-bit linear)
    and the sample rate."""
    ulaw = _read_ulaw_wav(Path(path).read_bytes(), path)
    if ulaw is not None:
        return ulaw
    with wave.open(str(path), "rb") as wav:
        if wav.getnchannels() != 1 or wav.getsampwidth() != 2:
            raise ValueError(f"{path}: need mono 16-bit PCM")
        data = np.frombuffer(wav.readframes(wav.getnframes()), dtype="<i2")
        return data.astype(np.int16), wav.getframerate()
