"""The far end's media address for the SIP benchmarks: counts every PCMU RTP packet.

SIPp's answer names this sink's port as the callee's media address (``-key rtp_sink``),
so what the dialler sends a callee arrives here. It runs as its own process (blocking
``recv`` in a loop, no event loop) so that the figure is the far end's, not shared with
the process under test. On SIGTERM or SIGINT it writes ``--out`` (JSON): per SSRC the
packets received, the packets expected (sequence span), and, given ``--expect`` (a
WAV), the best normalised cross-correlation of its first second with the stream.

Run: ``python bench/rtp_sink.py --port P --out result.json [--expect message.wav]``;
it prints ``ready`` once bound.
"""

from __future__ import annotations

import argparse
import json
import signal
import socket
import struct
import sys
import wave
from collections import defaultdict
from pathlib import Path
from types import FrameType

import numpy as np


def _ulaw_table() -> np.ndarray:
    u = ~np.arange(256) & 0xFF
    mag = (((u & 0x0F) << 3) + 0x84 << ((u >> 4) & 7)) - 0x84
    return np.where(u & 0x80, -mag, mag).astype(np.float64)


ULAW = _ulaw_table()


def best_match(received: np.ndarray, expected: np.ndarray) -> float:
    """Best normalised cross-correlation of ``expected`` anywhere in ``received``."""
    x, y = received, expected.astype(np.float64)
    if len(x) < len(y):
        return 0.0
    size = 1 << (len(x) + len(y)).bit_length()
    corr = np.fft.irfft(np.fft.rfft(x, size) * np.conj(np.fft.rfft(y, size)), size)
    sq = np.concatenate([[0.0], np.cumsum(x * x)])
    energy = sq[len(y) :] - sq[: -len(y)]  # each window's energy, in O(n)
    return float(np.max(corr[: len(energy)] / (np.sqrt(energy * float(y @ y)) + 1e-9)))


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--expect", type=Path)
    args = ap.parse_args()
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
    sock.bind((args.host, args.port))
    sock.settimeout(0.2)
    seqs: dict[int, dict[int, bytes]] = defaultdict(dict)
    wrap: dict[int, int] = defaultdict(int)
    last: dict[int, int] = {}
    stop = False

    def on_signal(signum: int, frame: FrameType | None) -> None:
        nonlocal stop
        stop = True

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    print("ready", flush=True)
    while not stop:
        try:
            data = sock.recv(2048)
        except TimeoutError:
            continue
        except InterruptedError:
            continue
        if len(data) <= 12 or data[1] & 0x7F != 0:
            continue
        (seq,) = struct.unpack_from(">H", data, 2)
        (ssrc,) = struct.unpack_from(">I", data, 8)
        prev = last.get(ssrc)
        if prev is not None and seq < 1000 and prev > 64000:
            wrap[ssrc] += 1 << 16  # the 16-bit sequence number wrapped
        last[ssrc] = seq
        seqs[ssrc][seq + wrap[ssrc]] = data[12:]
    expected = None
    if args.expect is not None:
        with wave.open(str(args.expect), "rb") as w:
            pcm = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2")
        expected = pcm[:8000]
    streams = {}
    for ssrc, packets in seqs.items():
        first, last_seq = min(packets), max(packets)
        entry: dict[str, float] = {"got": len(packets), "expected": last_seq - first + 1}
        if expected is not None:
            # the message starts within the first seconds: look there only (cheap)
            span = range(first, min(last_seq, first + 400) + 1)
            body = b"".join(packets.get(q, b"\xff" * 160) for q in span)
            entry["match"] = round(best_match(ULAW[np.frombuffer(body, np.uint8)], expected), 3)
        streams[str(ssrc)] = entry
    args.out.write_text(json.dumps(streams))
    return 0


if __name__ == "__main__":
    sys.exit(main())
