"""Answering-machine detection fed from a call's received audio, on either SIP engine.

Rule 1: the detector (``amd.AmdDetector``) is fed every ``poll_s`` with the samples
received since the last read: from baresip's per-call recording (``DumpTail``, ``detect``)
or from the media plane's leg in memory (``detect_stream``).
Rule 2: HUMAN or MACHINE is reported once, then BEEP when a record-prompt beep has ended
(after a person verdict too, for ``beep_watch_s``); ``over()`` ends the watch.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

import numpy as np

from lexdial.adapters.telephony.amd import AmdConfig, AmdDetector
from lexdial.domain.call import BEEP_WAIT_S
from lexdial.domain.telephony import BEEP, HUMAN, MACHINE


class DumpTail:
    """Follows the received-audio file baresip's ``sndfile`` filter writes for a call.

    The file is a 16-bit mono WAV whose 44-byte header is rewritten only at the end, so
    the samples are read straight from offset 44 as they are appended.
    """

    HEADER = 44

    def __init__(self, rec_dir: Path) -> None:
        self._dir = rec_dir
        self._path: Path | None = None
        self._offset = self.HEADER
        self._carry = b""

    def read(self) -> bytes:
        """New 16-bit little-endian samples since the last call (b"" if none yet)."""
        if self._path is None:
            found = sorted(self._dir.glob("dump-*-dec.wav"))
            if not found:
                return b""
            self._path = found[-1]
        try:
            with self._path.open("rb") as f:
                f.seek(self._offset)
                data = self._carry + f.read()
        except FileNotFoundError:
            return b""
        self._offset += len(data) - len(self._carry)
        whole = len(data) // 2 * 2  # a write may end mid-sample
        self._carry = data[whole:]
        return data[:whole]


async def detect(
    rec_dir: Path,
    config: AmdConfig | None,
    report: Callable[[str, str], None],
    over: Callable[[], bool],
    *,
    poll_s: float = 0.1,
    beep_watch_s: float = BEEP_WAIT_S,
) -> None:
    """Run answering-machine detection on a call's received audio as baresip records it.

    ``report(kind, detail)`` gets HUMAN or MACHINE once, then BEEP when a beep has ended —
    after a machine verdict, and also after a person verdict, for up to ``beep_watch_s``:
    a greeting that paused like a person ends in a record-prompt beep, and the call flow
    then restarts the voicemail version after it. Audio that never comes (the far end
    sends no RTP) gives the detector's fallback verdict once its analysis time has passed;
    ``over()`` ends the watch.
    """
    await detect_stream(
        DumpTail(rec_dir).read, config, report, over, poll_s=poll_s, beep_watch_s=beep_watch_s
    )


async def detect_stream(
    read: Callable[[], bytes],
    config: AmdConfig | None,
    report: Callable[[str, str], None],
    over: Callable[[], bool],
    *,
    poll_s: float = 0.1,
    beep_watch_s: float = BEEP_WAIT_S,
) -> None:
    """``detect`` on any source: ``read()`` gives the 16-bit little-endian samples received
    since its last call (the media plane's legs, or baresip's recording)."""
    detector = AmdDetector(config)
    loop = asyncio.get_running_loop()
    give_up = loop.time() + detector.config.total_analysis_s + 1.0
    verdict: str | None = None
    watch_until = 0.0
    while not over():
        await asyncio.sleep(poll_s)
        data = read()
        if data:
            now = detector.feed(np.frombuffer(data, dtype="<i2").astype(np.int16))
        else:
            now = detector.finish().verdict if loop.time() > give_up else None
        if verdict is None and now is not None:
            verdict = now
            report(HUMAN if verdict == "human" else MACHINE, detector.result().reason)
            watch_until = loop.time() + beep_watch_s
        if verdict is not None and detector.beep.end_s is not None:
            report(BEEP, f"{detector.beep.hz} Hz")
            return
        if verdict == "human" and loop.time() > watch_until:
            return  # no beep while the message played: a person
        if verdict == "machine" and loop.time() > give_up + 60.0:
            return  # no beep: the call flow's own timer drops the voicemail
