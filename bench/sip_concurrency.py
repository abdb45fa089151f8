"""How many concurrent calls a SIP engine holds against SIPp, on 127.0.0.1, and at what cost.

Engines (``--engines``, each run at every ``--calls`` size, one after the other):
``plane`` is ``media_plane.MediaPlaneTelephony`` (the built-in SIP UA and RTP media plane:
one process for every call), ``baresip`` is ``sip.SipTelephony`` (one baresip process per
call), the baseline. ``--baseline-max`` skips baresip sizes above it (200 processes
already lose most packets).

What is measured
    ``--calls`` N calls are placed at ``--cps`` calls per second to one SIPp callee
    (``tests/integration/telephony/sipp/uas_2833.xml``). Each call: SIPp answers and
    streams its greeting as PCMU RTP ("Hello?", then room silence), the adapter's AMD
    hears a person (``--no-amd``: HUMAN at once), the adapter plays a ``--message`` seconds
    message, SIPp presses '9' as an RFC 2833 event ``--digit-at`` seconds after answering,
    and the adapter hangs up on the digit. With the defaults every call is up at once for
    several seconds.

    RTP loss is measured at the far end: SIPp's answer names as the callee's media
    address a sink in its own process (``bench/rtp_sink.py``, so the figure is not shared
    with the process under test), which counts every packet per stream against its
    sequence numbers and finds the message's first second in each stream (normalised
    cross-correlation > 0.9). Per run also: answered, HUMAN verdicts, '9' received, clean
    hangups (our BYE), the peak of calls up at once, SIPp's exit status and counts, the
    dial ramp (first to last INVITE sent) and the answer ramp (first to last ANSWERED),
    CPU over the run of the engine (this Python process, plus every baresip process for
    ``baresip``; for ``plane`` also the share of it the RTP clock took) and of SIPp, CPU
    per call (engine CPU % of one core / peak calls up),
    memory (PSS: this process plus baresip's), and for ``plane`` the media clock's late
    ticks (more than 20 ms late: jitter at the far end) and the worst lateness.
    The last rows give, per size both engines ran, baresip's CPU per call over the plane's.

Run: ``python bench/sip_concurrency.py [--engines plane baresip] [--calls 100 200 300]
[--cps 50] [--message 15] [--digit-at 10] [--no-amd] [--json out.json]``. Needs baresip,
sipp (CAP_NET_RAW) and numpy; run ``scripts/telephony.sh`` first. Exit status 0 whatever
the figures, 2 if a tool is missing.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import resource
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
import wave
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from lexdial.adapters.telephony.media_plane import MediaPlaneTelephony
from lexdial.adapters.telephony.sip import SipTelephony
from lexdial.domain import telephony as tel

SCENARIO = Path(__file__).resolve().parent.parent / "tests/integration/telephony/sipp/uas_2833.xml"
SINK = Path(__file__).resolve().parent / "rtp_sink.py"
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


async def start_sink(work: Path, expect: Path) -> tuple[asyncio.subprocess.Process, int]:
    """``rtp_sink.py`` in its own process; returns it and its port."""
    port = free_port()
    sink = await asyncio.create_subprocess_exec(
        sys.executable, str(SINK), "--port", str(port), "--out", str(work / "sink.json"),
        "--expect", str(expect), stdout=subprocess.PIPE,
    )  # fmt: skip
    assert sink.stdout is not None
    line = await asyncio.wait_for(sink.stdout.readline(), 20)
    if line.strip() != b"ready":
        raise RuntimeError("the RTP sink did not start")
    return sink, port


async def stop_sink(sink: asyncio.subprocess.Process, work: Path) -> dict[str, dict[str, float]]:
    """Stop the sink; its per-stream counts."""
    sink.send_signal(signal.SIGTERM)
    await asyncio.wait_for(sink.wait(), 300)
    result: dict[str, dict[str, float]] = json.loads((work / "sink.json").read_text())
    return result


def make_engine(name: str, n: int, args: argparse.Namespace, trunk: str, work: Path) -> Any:
    if name == "baresip":
        return SipTelephony(
            trunk=trunk, channels=n, cps=args.cps, prewarm=n, amd=args.amd, work_dir=work / "sip"
        )
    return MediaPlaneTelephony(trunk=trunk, channels=n, cps=args.cps, amd=args.amd)


async def run(engine: str, n: int, args: argparse.Namespace, work: Path) -> dict[str, object]:
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
    sink, sink_port = await start_sink(work, msg_wav)
    screen = (work / "sipp.log").open("wb")
    sipp = await asyncio.create_subprocess_exec(
        "sipp", "-sf", str(scenario), "-i", "127.0.0.1", "-p", str(port), "-mi", "127.0.0.1",
        "-mp", str(free_port()), "-m", str(n), "-l", str(n), "-nostdin", "-timeout", "300s",
        "-key", "rtp_sink", str(sink_port), "-trace_err", "-error_file", str(work / "sipp.err"),
        stdin=subprocess.DEVNULL, stdout=screen, stderr=screen,
    )  # fmt: skip
    await asyncio.sleep(0.5)
    carrier = make_engine(engine, n, args, f"127.0.0.1:{port}", work)
    t0 = time.monotonic()
    await carrier.start()
    spawn_s = time.monotonic() - t0
    pids = carrier.pids
    prompts = {tel.MESSAGE: tel.Prompt("(bench)", args.message, str(msg_wav))}
    tally, done, memory = Tally(), asyncio.Event(), [0.0]
    answers: list[float] = []
    cpu0 = (sum(map(cpu_s, pids)), resource.getrusage(resource.RUSAGE_SELF), cpu_s(sipp.pid))

    async def consume() -> None:
        ended = 0
        async for ev in carrier.events():
            if ev.kind == tel.ANSWERED:
                answers.append(time.monotonic())
                tally.answered += 1
                tally.up += 1
                tally.peak = max(tally.peak, tally.up)
                if tally.answered == n:  # every call is up (unless some ended early)
                    memory[0] = sum(map(pss_mb, [*pids, os.getpid()]))
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
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(done.wait(), args.digit_at + n / args.cps + 60)
    wall = time.monotonic() - t1
    rusage = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (
        sum(map(cpu_s, pids)) - cpu0[0],
        rusage.ru_utime + rusage.ru_stime - cpu0[1].ru_utime - cpu0[1].ru_stime,
        cpu_s(sipp.pid) - cpu0[2],
    )
    stats = carrier.stats if engine == "plane" else None
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(sipp.wait(), 30)
    if sipp.returncode is None:
        sipp.kill()
    sipp_rc = await sipp.wait()
    consumer.cancel()
    await carrier.close()
    streams = await stop_sink(sink, work)
    screen.close()
    log = (work / "sipp.log").read_text(errors="replace")
    counts = {
        key: next(
            (ln.split("|")[-1].strip() for ln in reversed(log.splitlines()) if key in ln), "?"
        )
        for key in ("Successful call", "Failed call")
    }
    got = sum(int(v["got"]) for v in streams.values())
    expected = sum(int(v["expected"]) for v in streams.values())
    with_message = sum(v.get("match", 0.0) > 0.9 for v in streams.values())
    engine_cpu = 100 * (cpu[0] + cpu[1]) / wall
    return {
        "engine": engine, "calls": n, "answered": tally.answered, "human": tally.human,
        "digit 9": tally.digits, "clean hangups": tally.clean, "peak up": tally.peak,
        "RTP streams": len(streams), "with message": with_message,
        "RTP loss %": round(100 * (1 - got / max(1, expected)), 2),
        "sipp exit": sipp_rc, "sipp ok": counts["Successful call"],
        "sipp failed": counts["Failed call"], "start s": round(spawn_s, 1),
        "dial s": round(ramp, 1),
        "answer s": round(answers[-1] - answers[0], 1) if answers else 0.0,
        "wall s": round(wall, 1), "engine cpu %": round(engine_cpu),
        "baresip cpu %": round(100 * cpu[0] / wall),
        "python cpu %": round(100 * cpu[1] / wall), "sipp cpu %": round(100 * cpu[2] / wall),
        "cpu %/call": round(engine_cpu / max(1, tally.peak), 3),
        "PSS MB": round(memory[0]),
        "late ticks": stats.late_ticks if stats else "-",
        "max late ms": stats.max_late_ms if stats else "-",
        "rtp clock %": round(100 * stats.busy_s / wall) if stats else "-",
        "others": ",".join(sorted(set(tally.other_end))),
    }  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    ap.add_argument("--engines", nargs="+", default=["plane", "baresip"],
                    choices=["plane", "baresip"])  # fmt: skip
    ap.add_argument("--calls", type=int, nargs="+", default=[100, 200, 300])
    ap.add_argument("--baseline-max", type=int, default=200, help="largest baresip run")
    ap.add_argument("--cps", type=float, default=50.0)
    ap.add_argument("--message", type=int, default=15, help="message seconds")
    ap.add_argument("--digit-at", type=float, default=10.0, help="seconds after the answer")
    ap.add_argument("--no-amd", dest="amd", action="store_false")
    ap.add_argument("--json", type=Path, help="also write the rows here")
    ap.add_argument("--keep", type=Path, help="keep each run's files (SIPp's log) here")
    args = ap.parse_args(argv)
    missing = [t for t in ("baresip", "sipp") if shutil.which(t) is None]
    if missing or not DTMF_9.exists():
        print(f"missing: {missing or DTMF_9}; run scripts/telephony.sh", file=sys.stderr)
        return 2
    amd = "on" if args.amd else "off"
    print(f"{os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f}, cps {args.cps:g}, message "
          f"{args.message} s, digit at {args.digit_at:g} s, AMD {amd}")  # fmt: skip
    rows = []
    for engine in args.engines:
        for n in args.calls:
            if engine == "baresip" and n > args.baseline_max:
                continue
            if args.keep is not None:
                work = args.keep / f"{engine}-{n}"
                work.mkdir(parents=True, exist_ok=True)
                rows.append(asyncio.run(run(engine, n, args, work)))
                continue
            with tempfile.TemporaryDirectory(prefix="lexdial-sipbench-") as tmp:
                rows.append(asyncio.run(run(engine, n, args, Path(tmp))))
    for key in rows[0]:
        print(f"{key:<16}" + "".join(f"{row[key]!s:>10}" for row in rows))
    per_call = {(r["engine"], r["calls"]): r["cpu %/call"] for r in rows}
    for n in args.calls:
        plane, base = per_call.get(("plane", n)), per_call.get(("baresip", n))
        if isinstance(plane, float) and isinstance(base, float) and plane > 0:
            print(f"cpu per call at {n}: baresip / plane = {base / plane:.1f}")
    if args.json is not None:
        args.json.write_text(json.dumps(rows, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
