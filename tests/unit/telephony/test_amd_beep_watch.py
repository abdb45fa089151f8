"""The SIP adapter's AMD hook (``baresip_ctrl.detect``) on a recorded call leg: after a
"person" verdict it keeps listening, and a record-prompt beep is reported, so the call
flow restarts the voicemail version after it (``domain.call``)."""

from __future__ import annotations

import asyncio
import wave
from pathlib import Path

import numpy as np

from lexdial.adapters.telephony.amd import Samples
from lexdial.adapters.telephony.amd_feed import detect
from lexdial.domain import telephony as tel

RATE = 8000


def quiet(seconds: float, seed: int = 1) -> Samples:
    rng = np.random.default_rng(seed)
    return rng.normal(0, 20, int(seconds * RATE)).astype(np.int16)


def hello(seconds: float = 0.5, seed: int = 2) -> Samples:
    """Noise with a syllable envelope at speech level: a short "Hello?"."""
    rng = np.random.default_rng(seed)
    n = int(seconds * RATE)
    envelope = 0.1 + 0.9 * np.abs(np.sin(2 * np.pi * 2 * np.arange(n) / RATE))
    return (rng.standard_normal(n) * envelope * 3000).astype(np.int16)


def tone(hz: float, seconds: float) -> Samples:
    t = np.arange(int(seconds * RATE)) / RATE
    return (0.4 * 32767 * np.sin(2 * np.pi * hz * t)).astype(np.int16)


def reports_for(tmp_path: Path, audio: Samples) -> list[tuple[str, str]]:
    """Write the leg as baresip's sndfile filter does and run the hook until it stops."""
    with wave.open(str(tmp_path / "dump-1-dec.wav"), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(RATE)
        w.writeframes(audio.astype("<i2").tobytes())
    seen: list[tuple[str, str]] = []

    async def run() -> None:
        report = lambda kind, detail: seen.append((kind, detail))  # noqa: E731
        await asyncio.wait_for(
            detect(tmp_path, None, report, lambda: False, poll_s=0.01, beep_watch_s=0.3), 5.0
        )

    asyncio.run(run())
    return seen


def test_a_beep_after_a_person_verdict_is_reported_so_the_voicemail_restarts(
    tmp_path: Path,
) -> None:
    # "Hello." then a pause longer than the after-greeting silence, then the rest of the
    # greeting and its beep: judged a person at the pause, a machine at the beep
    audio = np.concatenate(
        [
            quiet(0.4),
            hello(),
            quiet(1.2),
            hello(1.0, seed=3),
            quiet(0.3),
            tone(1000, 0.5),
            quiet(1.0),
        ]
    )
    seen = reports_for(tmp_path, audio)
    assert [kind for kind, _ in seen] == [tel.HUMAN, tel.BEEP]
    assert seen[0][1] == "after_greeting_silence"
    assert seen[1][1].startswith("1000")


def test_a_person_with_no_beep_gets_only_the_person_verdict(tmp_path: Path) -> None:
    seen = reports_for(tmp_path, np.concatenate([quiet(0.4), hello(), quiet(4.0)]))
    assert seen == [(tel.HUMAN, "after_greeting_silence")]


def test_a_machine_verdict_is_followed_by_its_beep(tmp_path: Path) -> None:
    audio = np.concatenate([quiet(0.3), hello(5.0, seed=4), tone(850, 0.4), quiet(1.0)])
    seen = reports_for(tmp_path, audio)
    assert [kind for kind, _ in seen] == [tel.MACHINE, tel.BEEP]
