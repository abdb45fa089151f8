"""How many concurrent calls the SIP adapter (baresip) holds against SIPp, on 127.0.0.1.

What is measured
    ``--calls`` N calls (several values run one after the other, e.g. ``50 100 200``) are
    placed through ``SipTelephony`` at ``--cps`` calls per second to one SIPp callee
    (``tests/integration/telephony/sipp/uas_2833.xml``). Each call: SIPp answers and
    streams its greeting as PCMU RTP ("Hello?", then room silence), the adapter's AMD
    hears a person (``--no-amd``: HUMAN at once), the adapter plays a ``--message`` seconds
    message as RTP to the callee's media address, SIPp presses '9' as an RFC 2833 event
    ``--digit-at`` seconds after answering, and the adapter hangs up on the digit. With
    the defaults every call is up at once for several seconds.

    Per run: calls answered, HUMAN verdicts, '9' received, clean hangups (our BYE, SIPp's
    call successful), the peak of calls up at the same time, SIPp's exit status and its
    successful/failed counts, the RTP streams that reached the callee's media address
    carrying the message (its first second found by normalised cross-correlation > 0.9),
    and the cost: CPU seconds of all baresip processes, of this Python process (the
    adapter, AMD, the RTP sink's checks excluded) and of SIPp over the run, and the
    baresip processes' memory (PSS sum: shared libraries counted once) at the peak.

Run: ``python bench/sip_concurrency.py [--calls 50 100 200] [--cps 50] [--message 15]
[--digit-at 10] [--no-amd]``. Needs baresip, sipp (CAP_NET_RAW) and numpy; run
``scripts/telephony.sh`` first. Exit status 0 whatever the figures, 2 if a tool is missing.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import time
import wave
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from lexdial.adapters.telephony.sip import SipTelephony
from lexdial.domain import telephony as tel

SCENARIO = Path(__file__).resolve().parent.parent / "tests/integration/telephony/sipp/uas_2833.xml"
DTMF_9 = Path("/usr/share/sip-tester/dtmf_2833_9.pcap")
RATE = 8000
TICKS = os.sysconf("SC_CLK_TCK")


def ulaw(samples: np.ndarray) -> bytes:
    x = samples.astype(np.int32)
    mag = np.minimum(np.abs(x), 32635) + 0x84
    exp = np.clip(np.floor(np.log2(mag)).astype(np.int32) - 7, 0, 7)
    mant = (mag >> (exp + 3)) & 0x0F
    return bytes((~(((x < 0) << 7) | (exp << 4) | mant) & 0xFF).astype(np.uint8).tobytes())


ULAW = np.array(
    [
        (-1 if u & 0x80 else 1) * ((((u & 0x0F) << 3) + 0x84 << ((u >> 4) & 7)) - 0x84)
        for u in (~np.arange(256) & 0xFF)
    ],
    dtype=np.float64,
)


def write_pcap(path: Path, samples: np.ndarray) -> None:
    """One PCMU RTP stream in 20 ms packets, for SIPp's play_pcap_audio."""
    payload, out = ulaw(samples), [struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1)]
    for k, i in enumerate(range(0, len(payload) - 159, 160)):
        rtp = struct.pack(">BBHII", 0x80, 0, k, k * 160, 0xBE7C) + payload[i : i + 160]
        udp = struct.pack(">HHHH", 10000, 10000, 8 + len(rtp), 0) + rtp
        ip = struct.pack(
            ">BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 0, 0, 64, 17, 0, b"\x7f\0\0\1", b"\x7f\0\0\1"
        )
        frame, us = b"\0" * 12 + b"\x08\x00" + ip + udp, k * 20000
        out += [struct.pack("<IIII", us // 10**6, us % 10**6, len(frame), len(frame)), frame]
    path.write_bytes(b"".join(out))


def greeting(seconds: float) -> np.ndarray:
    """ "Hello?" (0.6 s of voice-like harmonics), then low room noise for ``seconds``."""
    t = np.arange(int(0.6 * RATE)) / RATE
    phase = 2 * np.pi * np.cumsum(130 + 25 * np.sin(2 * np.pi * 3 * t)) / RATE
    hello = sum(np.sin(h * phase) / h**0.5 for h in range(1, 13)) * np.sin(np.pi * t / 0.6)
    room = np.random.default_rng(1).normal(0, 30, int(seconds * RATE))
    return np.concatenate([hello * 2500, room]).astype(np.int16)


def best_match(received: np.ndarray, expected: np.ndarray) -> float:
    x, y = received, expected.astype(np.float64)
    if len(x) < len(y):
        return 0.0
    size = 1 << (len(x) + len(y)).bit_length()
    corr = np.fft.irfft(np.fft.rfft(x, size) * np.conj(np.fft.rfft(y, size)), size)
    energy = np.convolve(x * x, np.ones(len(y)), "valid")
    return float(np.max(corr[: len(energy)] / (np.sqrt(energy * float(y @ y)) + 1e-9)))


class Sink(asyncio.DatagramProtocol):
    """The callee's media address: PCMU payloads by SSRC and sequence number."""

    def __init__(self) -> None:
        self.streams: dict[int, dict[int, bytes]] = defaultdict(dict)

    def datagram_received(self, data: bytes, addr: object) -> None:
        if len(data) > 12 and data[1] & 0x7F == 0:
            seq, _, ssrc = struct.unpack(">HII", data[2:12])
            self.streams[ssrc][seq] = data[12:]

    def pcm(self, ssrc: int) -> tuple[np.ndarray, int, int]:
        """The stream decoded in sequence order, a lost packet as silence; got, expected."""
        packets = self.streams[ssrc]
        first, last = min(packets), max(packets)  # calls are short: no 16-bit wrap
        body = b"".join(packets.get(q, b"\xff" * 160) for q in range(first, last + 1))
        return ULAW[np.frombuffer(body, dtype=np.uint8)], len(packets), last - first + 1


def cpu_s(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime + stime


def pss_mb(pid: int) -> float:
    try:
        text = Path(f"/proc/{pid}/smaps_rollup").read_text()
    except OSError:
        return 0.0
    return next(
        (int(ln.split()[1]) / 1024 for ln in text.splitlines() if ln.startswith("Pss:")), 0.0
    )


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Tally:
    answered: int = 0
    human: int = 0
    digits: int = 0
    clean: int = 0
    other_end: list[str] = field(default_factory=list)
    up: int = 0
    peak: int = 0


async def run(n: int, args: argparse.Namespace, work: Path) -> dict[str, object]:
    loop = asyncio.get_running_loop()
    sink = Sink()
    transport, _ = await loop.create_datagram_endpoint(lambda: sink, local_addr=("127.0.0.1", 0))
    sock = transport.get_extra_info("socket")
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)  # the loop may lag
    pcap = work / "greeting.pcap"
    write_pcap(pcap, greeting(args.digit_at + 1.0))
    text = SCENARIO.read_text().replace("@GREETING_PCAP@", str(pcap))
    text = text.replace("@DIGIT_PCAP@", str(DTMF_9)).replace("@BYE_TIMEOUT_MS@", "30000")
    scenario = work / "uas.xml"
    scenario.write_text(text.replace("@DIGIT_MS@", str(int(args.digit_at * 1000))))
    port, message = free_port(), np.random.default_rng(7).normal(0, 3000, args.message * RATE)
    msg_wav = work / "message.wav"
    with wave.open(str(msg_wav), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(RATE)
        w.writeframes(np.clip(message, -32000, 32000).astype("<i2").tobytes())
    screen = (work / "sipp.log").open("wb")
    sipp = await asyncio.create_subprocess_exec(
        "sipp", "-sf", str(scenario), "-i", "127.0.0.1", "-p", str(port), "-mi", "127.0.0.1",
        "-mp", str(free_port()), "-m", str(n), "-l", str(n), "-nostdin", "-timeout", "300s",
        "-key", "rtp_sink", str(transport.get_extra_info("sockname")[1]),
        stdin=subprocess.DEVNULL, stdout=screen, stderr=screen,
    )  # fmt: skip
    await asyncio.sleep(0.5)
    carrier = SipTelephony(
        trunk=f"127.0.0.1:{port}", channels=n, cps=args.cps, prewarm=n, amd=args.amd,
        work_dir=work / "sip",
    )  # fmt: skip
    t0 = time.monotonic()
    await carrier.start()
    spawn_s = time.monotonic() - t0
    pids = carrier.pids
    prompts = {tel.MESSAGE: tel.Prompt("(bench)", args.message, str(msg_wav))}
    tally, done, memory = Tally(), asyncio.Event(), [0.0]
    cpu0 = (sum(map(cpu_s, pids)), resource.getrusage(resource.RUSAGE_SELF), cpu_s(sipp.pid))

    async def consume() -> None:
        ended = 0
        async for ev in carrier.events():
            if ev.kind == tel.ANSWERED:
                tally.answered += 1
                tally.up += 1
                tally.peak = max(tally.peak, tally.up)
                if tally.answered == n:  # every call is up (unless some ended early)
                    memory[0] = sum(map(pss_mb, pids))
            elif ev.kind == tel.HUMAN:
                tally.human += 1
                await carrier.play(ev.call_id, tel.MESSAGE)
            elif ev.kind == tel.DIGIT and ev.digit == "9":
                tally.digits += 1
                await carrier.hangup(ev.call_id)
            elif ev.kind in (tel.HANGUP, tel.BUSY, tel.NO_ANSWER, tel.FAILED):
                tally.up -= ev.kind == tel.HANGUP
                if (ev.kind, ev.detail) == (tel.HANGUP, "near end"):
                    tally.clean += 1
                else:
                    tally.other_end.append(f"{ev.kind}:{ev.detail}")
                ended += 1
                if ended == n:
                    done.set()

    consumer = asyncio.create_task(consume())
    t1 = time.monotonic()
    for k in range(n):
        await carrier.dial(
            tel.Dial(f"b{k}", f"+1614555{k:04d}", "+16145550100", 30.0, prompts, "9", args.amd)
        )
    ramp = time.monotonic() - t1
    await asyncio.wait_for(done.wait(), args.digit_at + n / args.cps + 60)
    wall = time.monotonic() - t1
    rusage = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (
        sum(map(cpu_s, pids)) - cpu0[0],
        rusage.ru_utime + rusage.ru_stime - cpu0[1].ru_utime - cpu0[1].ru_stime,
        cpu_s(sipp.pid) - cpu0[2],
    )
    sipp_rc = await asyncio.wait_for(sipp.wait(), 30)
    consumer.cancel()
    await carrier.close()
    transport.close()
    screen.close()
    log = (work / "sipp.log").read_text(errors="replace")
    counts = {
        key: next(
            (ln.split("|")[-1].strip() for ln in reversed(log.splitlines()) if key in ln), "?"
        )
        for key in ("Successful call", "Failed call")
    }
    first_second, with_message, got, expected = message[:RATE], 0, 0, 0
    for ssrc in sink.streams:
        pcm, n_got, n_expected = sink.pcm(ssrc)
        with_message += best_match(pcm, first_second) > 0.9
        got, expected = got + n_got, expected + n_expected
    return {
        "calls": n, "answered": tally.answered, "human": tally.human, "digit 9": tally.digits,
        "clean hangups": tally.clean, "peak up": tally.peak, "RTP streams": len(sink.streams),
        "with message": with_message, "RTP loss %": round(100 * (1 - got / max(1, expected)), 2),
        "sipp exit": sipp_rc, "sipp ok": counts["Successful call"],
        "sipp failed": counts["Failed call"], "start s": round(spawn_s, 1),
        "dial s": round(ramp, 1), "wall s": round(wall, 1),
        "baresip cpu %": round(100 * cpu[0] / wall),
        "python cpu %": round(100 * cpu[1] / wall), "sipp cpu %": round(100 * cpu[2] / wall),
        "baresip PSS MB": round(memory[0]), "others": ",".join(sorted(set(tally.other_end))),
    }  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--calls", type=int, nargs="+", default=[50, 100, 200])
    ap.add_argument("--cps", type=float, default=50.0)
    ap.add_argument("--message", type=int, default=15, help="message seconds")
    ap.add_argument("--digit-at", type=float, default=10.0, help="seconds after the answer")
    ap.add_argument("--no-amd", dest="amd", action="store_false")
    args = ap.parse_args(argv)
    missing = [t for t in ("baresip", "sipp") if shutil.which(t) is None]
    if missing or not DTMF_9.exists():
        print(f"missing: {missing or DTMF_9}; run scripts/telephony.sh", file=sys.stderr)
        return 2
    print(f"{os.cpu_count()} CPUs, cps {args.cps:g}, message {args.message} s, digit at "
          f"{args.digit_at:g} s, AMD {'on' if args.amd else 'off'}")  # fmt: skip
    rows = []
    for n in args.calls:
        with tempfile.TemporaryDirectory(prefix="lexdial-sipbench-") as tmp:
            rows.append(asyncio.run(run(n, args, Path(tmp))))
    for key in rows[0]:
        print(f"{key:<16}" + "".join(f"{row[key]!s:>12}" for row in rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
