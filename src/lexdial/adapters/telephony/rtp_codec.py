"""G.711 u-law for the media plane: 20 ms frames of 8 kHz audio, prompts encoded once.

Rule 1: a frame is 160 bytes of u-law (20 ms at 8 kHz); u-law silence is 0xFF.
Rule 2: a prepared prompt (an 8 kHz 16-bit mono WAV) is cut to its spoken length and
padded to whole frames, so a leg sends it frame by frame without a partial one.
"""

from __future__ import annotations

import wave
from pathlib import Path

import numpy as np
import numpy.typing as npt

FRAME_S = 0.02
FRAME_BYTES = 160  # 20 ms of 8 kHz u-law
SILENCE = b"\xff" * FRAME_BYTES


def _ulaw_decode_table() -> npt.NDArray[np.int16]:
    u = ~np.arange(256, dtype=np.int32) & 0xFF
    mag = (((u & 0x0F) << 3) + 0x84 << ((u >> 4) & 7)) - 0x84
    return np.where(u & 0x80, -mag, mag).astype(np.int16)


ULAW_DECODE = _ulaw_decode_table()


def ulaw_encode(samples: npt.NDArray[np.int16]) -> bytes:
    """G.711 u-law of 16-bit linear samples."""
    x = samples.astype(np.int32)
    mag = np.minimum(np.abs(x), 32635) + 0x84
    exp = np.clip(np.floor(np.log2(mag)).astype(np.int32) - 7, 0, 7)
    mant = (mag >> (exp + 3)) & 0x0F
    return bytes((~(((x < 0) << 7) | (exp << 4) | mant) & 0xFF).astype(np.uint8).tobytes())


def ulaw_decode(data: bytes) -> npt.NDArray[np.int16]:
    """16-bit linear samples of u-law bytes."""
    return ULAW_DECODE[np.frombuffer(data, dtype=np.uint8)]


def load_prompt(path: Path | str, seconds: float | None = None) -> bytes:
    """A prepared prompt (8 kHz 16-bit mono WAV) as u-law, cut to ``seconds`` if given
    (the prepared files carry padding baresip needed) and padded to whole frames."""
    with wave.open(str(path), "rb") as w:
        if (w.getframerate(), w.getsampwidth(), w.getnchannels()) != (8000, 2, 1):
            raise ValueError(f"{path}: not an 8 kHz 16-bit mono WAV")
        pcm = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2")
    if seconds is not None:
        pcm = pcm[: round(seconds * 8000)]
    data = ulaw_encode(pcm.astype(np.int16))
    return data + SILENCE[: -len(data) % FRAME_BYTES]
