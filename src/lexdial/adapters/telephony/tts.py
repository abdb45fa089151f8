"""Prompt audio for the SIP adapter: 8 kHz 16-bit mono WAV, rendered or converted.

baresip's ``aufile`` source plays such a file on a call, and hangs the call up when the
file ends. So every prompt file gets silence appended (``pad_s``): the adapter switches
the call back to silence when the prompt's speech is over, well before the file ends,
and the far end has time to press a key.

Text-only prompts are spoken with espeak-ng and resampled with sox (Debian packages
``espeak-ng`` and ``sox``); a WAV in another format is converted with sox. A WAV
already in the right format needs neither: it is padded with the stdlib ``wave``.
"""

from __future__ import annotations

import asyncio
import hashlib
import shutil
import subprocess
import tempfile
import wave
from pathlib import Path

from lexdial.domain.telephony import Prompt
from lexdial.errors import TelephonyError

RATE = 8000
#: seconds of silence appended to every prompt (see the module doc)
PAD_S = 3.0
_TIMEOUT_S = 60.0


def wav_seconds(path: Path | str) -> float:
    """Duration of a WAV file in seconds."""
    with wave.open(str(path), "rb") as wav:
        return wav.getnframes() / float(wav.getframerate())


def _is_telephone_wav(path: Path) -> bool:
    try:
        with wave.open(str(path), "rb") as wav:
            return (wav.getframerate(), wav.getsampwidth(), wav.getnchannels()) == (RATE, 2, 1)
    except (wave.Error, EOFError):
        return False  # not PCM WAV (e.g. u-law or float): sox converts it


def _run(args: list[str], stdin: bytes | None = None) -> None:
    tool = shutil.which(args[0])
    if tool is None:
        raise TelephonyError(f"{args[0]} not found (Debian packages espeak-ng and sox)")
    done = subprocess.run(
        [tool, *args[1:]], input=stdin, capture_output=True, timeout=_TIMEOUT_S, check=False
    )
    if done.returncode != 0:  # its stderr may quote the input: only the status goes on
        raise TelephonyError(f"{args[0]} failed ({done.returncode})")


def _pad(src: Path, dst: Path, pad_s: float) -> float:
    with wave.open(str(src), "rb") as wav:
        frames = wav.readframes(wav.getnframes())
    tmp = dst.with_suffix(".tmp")
    with wave.open(str(tmp), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(RATE)
        out.writeframes(frames + b"\x00\x00" * round(pad_s * RATE))
    tmp.replace(dst)  # atomic: a concurrent reader never sees half a file
    return len(frames) / 2 / RATE


def prepare_wav(src: Path | str, dst: Path | str, *, pad_s: float = PAD_S) -> float:
    """Write ``src`` to ``dst`` as 8 kHz 16-bit mono plus ``pad_s`` of silence.

    Returns the duration of the audio itself (without the padding).
    """
    src, dst = Path(src), Path(dst)
    if _is_telephone_wav(src):
        return _pad(src, dst, pad_s)
    with tempfile.TemporaryDirectory() as tmp:
        converted = Path(tmp) / "converted.wav"
        _run(
            [
                "sox",
                str(src),
                "-r",
                str(RATE),
                "-b",
                "16",
                "-c",
                "1",
                "-e",
                "signed-integer",
                str(converted),
            ]
        )
        return _pad(converted, dst, pad_s)


def render_prompt(
    text: str, path: Path | str, *, pad_s: float = PAD_S, voice: str = "en-us"
) -> float:
    """Speak ``text`` into an 8 kHz 16-bit mono WAV at ``path``, padded with silence.

    Returns the duration of the speech (without the padding).
    """
    with tempfile.TemporaryDirectory() as tmp:
        spoken = Path(tmp) / "spoken.wav"
        # on stdin, so a text starting with "-" is never taken for an option
        _run(["espeak-ng", "-v", voice, "-w", str(spoken), "--stdin"], stdin=text.encode())
        return prepare_wav(spoken, path, pad_s=pad_s)


def write_silence(path: Path | str, seconds: float) -> None:
    """An all-zero 8 kHz 16-bit mono WAV (the call's audio between prompts)."""
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(RATE)
        out.writeframes(b"\x00\x00" * round(seconds * RATE))


class PromptCache:
    """Prompt files ready for baresip, made once per prompt (in a worker thread).

    A file prompt is known by its path and modification time, so an edited recording is
    prepared again; a text prompt by its text. Concurrent requests share one job.
    """

    def __init__(self, directory: Path) -> None:
        """Keep the prepared files in ``directory`` (created if missing)."""
        self.directory = directory
        directory.mkdir(parents=True, exist_ok=True)
        self._jobs: dict[tuple[str, ...], asyncio.Future[tuple[Path, float]]] = {}

    async def get(self, spec: Prompt) -> tuple[Path, float]:
        """The padded WAV for ``spec`` and the duration of its audio (without the pad)."""
        src = Path(spec.audio_path) if spec.audio_path else None
        key: tuple[str, ...] = ("text", spec.text)
        if src is not None:
            key = ("file", str(src.resolve()), str(src.stat().st_mtime_ns))
        job = self._jobs.get(key)
        if job is None:
            dst = self.directory / f"{hashlib.sha256(repr(key).encode()).hexdigest()[:24]}.wav"

            def make() -> tuple[Path, float]:
                if src is not None:
                    return dst, prepare_wav(src, dst)
                return dst, render_prompt(spec.text, dst)

            job = self._jobs[key] = asyncio.ensure_future(asyncio.to_thread(make))
        try:
            return await asyncio.shield(job)
        except TelephonyError:
            self._jobs.pop(key, None)  # let a later dial try again
            raise
