"""The concurrency benchmark at a size CI can afford: 60 calls at once on the media plane.

``bench/sip_concurrency.py`` runs as it does by hand (its own process, SIPp as the callee,
the RTP sink in a process of its own as SIPp's media address), for the ``plane`` engine
only, and its figures are the assertions: every call answered, judged a person, hears
the message (its waveform found in the stream at the far end), presses '9' over RFC 2833
and is hung up by us; SIPp passes every call; under 1 % of the RTP packets sent to the
callee are missing at the far end. Also here: two calls bridged in the media plane hear
each other (what live-agent calls build on).
"""

from __future__ import annotations

import asyncio
import json
import shutil
import socket
import struct
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from lexdial.adapters.telephony.rtp import MediaEngine
from lexdial.adapters.telephony.rtp_codec import ulaw_encode

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[3]
BENCH = ROOT / "bench" / "sip_concurrency.py"
CALLS = 60


def test_sixty_concurrent_calls_lose_under_one_percent_at_the_far_end(tmp_path: Path) -> None:
    if shutil.which("sipp") is None or shutil.which("espeak-ng") is None:
        pytest.skip("needs sipp (scripts/telephony.sh)")
    out = tmp_path / "rows.json"
    args = ["--engines", "plane", "--calls", str(CALLS), "--message", "6", "--digit-at", "4"]
    proc = subprocess.run(
        [sys.executable, str(BENCH), *args, "--json", str(out)],
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    (row,) = json.loads(out.read_text())
    report = proc.stdout
    for key in ("answered", "human", "digit 9", "clean hangups", "RTP streams", "with message"):
        assert row[key] == CALLS, f"{key}: {row[key]}\n{report}"
    assert row["peak up"] == CALLS, report
    assert row["sipp exit"] == 0 and row["sipp ok"] == str(CALLS), report
    assert row["RTP loss %"] < 1.0, report


def _rtp(seq: int, payload: bytes) -> bytes:
    return struct.pack(">BBHII", 0x80, 0, seq, seq * 160, 0x1234) + payload


def test_two_bridged_legs_hear_each_other() -> None:
    """A's far end talks: B's far end hears it, payload for payload, and the other way."""

    async def go() -> None:
        engine = MediaEngine()
        far_a = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        far_b = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        for s in (far_a, far_b):
            s.bind(("127.0.0.1", 0))
            s.setblocking(False)
        try:
            a, b = engine.open("a"), engine.open("b")
            a.start("127.0.0.1", far_a.getsockname()[1])
            b.start("127.0.0.1", far_b.getsockname()[1])
            engine.connect(a, b)
            rng = np.random.default_rng(3)
            said = [ulaw_encode(rng.normal(0, 3000, 160).astype(np.int16)) for _ in range(25)]
            for k, payload in enumerate(said):
                far_a.sendto(_rtp(k, payload), ("127.0.0.1", a.port))
                far_b.sendto(_rtp(k, payload[::-1]), ("127.0.0.1", b.port))
                await asyncio.sleep(0.02)
            await asyncio.sleep(0.1)
            heard: dict[str, list[bytes]] = {"a": [], "b": []}
            for name, s in (("a", far_a), ("b", far_b)):
                while True:
                    try:
                        heard[name].append(s.recv(2048)[12:])
                    except BlockingIOError:
                        break
            silence = b"\xff" * 160
            b_heard = [p for p in heard["b"] if p != silence]
            a_heard = [p for p in heard["a"] if p != silence]
            assert b_heard == said  # A's far end is heard at B's, in order, none lost
            assert a_heard == [p[::-1] for p in said]
            engine.disconnect(a)
            assert a.peer is None and b.peer is None
        finally:
            await engine.close()
            far_a.close()
            far_b.close()

    asyncio.run(go())


def test_every_sip_trunk_runs_on_the_media_plane_unless_baresip_is_asked_for(
    tmp_path: Path,
) -> None:
    from lexdial.adapters.telephony.media_plane import MediaPlaneTelephony
    from lexdial.adapters.telephony.sip import SipTelephony
    from lexdial.bootstrap import open_telephony
    from lexdial.config import load_settings
    from lexdial.errors import ConfigError

    def carrier(extra: str) -> object:
        path = tmp_path / "lexdial.toml"
        path.write_text(f'[telephony]\ncarrier = "sip"\ntrunk = "127.0.0.1:5070"\n{extra}')
        return open_telephony(load_settings(path), {})

    assert isinstance(carrier(""), MediaPlaneTelephony)
    # the plane speaks TCP, TLS and REGISTER since session 6: no trunk needs baresip
    assert isinstance(carrier('transport = "tcp"\n'), MediaPlaneTelephony)
    assert isinstance(carrier('media = "plane"\ntransport = "tls"\n'), MediaPlaneTelephony)
    assert isinstance(carrier('media = "baresip"\n'), SipTelephony)
    with pytest.raises(ConfigError, match=r"telephony\.media"):
        carrier('media = "asterisk"\n')
