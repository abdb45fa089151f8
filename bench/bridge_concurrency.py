"""How many live-agent calls the media plane bridges at once, on 127.0.0.1, and at what cost.

What is measured
    ``--calls`` N agents log in (N nailed-up legs, each INVITEd once to a SIPp UAS playing
    the agents' phones, ``tests/integration/telephony/sipp/uas_agent.xml``, which talks all
    along), then N calls are placed at ``--cps`` to a SIPp UAS playing the called people
    (``uas_greeting.xml``): "Hello?" (0.6 s), a near-silent line (very quiet noise, so
    every 20 ms frame is unique) and then talk. On each HUMAN verdict the call is bridged
    to a free agent's leg (``MediaPlaneTelephony.bridge``), exactly as the dialler does;
    BRIDGED is counted. Once every call is bridged, all are held ``--talk`` seconds, then
    hung up, and the agents log out. 2N legs are up at once.

    Both SIPps' answers name as their media address a sink in its own process (this
    script with ``--sink``: the figure is the far end's, not shared with the process under
    test). Per RTP stream it counts packets against the sequence span (loss), and finds
    each received frame in the clips the SIPps play. Hence:
    - RTP loss %: over every stream lexdial sent (the people's legs and the agents' legs);
    - connect latency, per call, on the person's own audio timeline: the index of the
      first frame of the person's clip the agent's leg delivered, minus that of the
      greeting's last voiced frame, times 20 ms (it includes the AMD verdict, which waits
      for the person to stay silent after the greeting: that is the rule's clock,
      47 CFR 64.1200(a)(7)(i): "within two seconds after the completed greeting");
      p50 / p99 / max;
    - people who heard their agent (agent-clip frames in the person's stream);
    - CPU: this process's CPU seconds over the held window, as a % of one core, and per
      bridged call (that / N); the media clock's late ticks.
    The baseline row (same run, same N): N calls with no agent (the people hear u-law
    silence from lexdial: the legs' cost without bridging), so "bridge / no-bridge CPU"
    is a ratio measured on the same machine in the same run.

Run: ``python bench/bridge_concurrency.py [--calls 100] [--cps 50] [--talk 10]
[--json out.json]``. Needs sipp (CAP_NET_RAW) and numpy (``scripts/telephony.sh``).
Exit status 0 whatever the figures, 2 if a tool is missing.
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
from collections import defaultdict
from pathlib import Path
from types import FrameType

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the telephony tests' port helpers

from tests.integration.telephony.ports import band_ports, bound_udp_ports  # noqa: E402

SIPP_DIR = ROOT / "tests/integration/telephony/sipp"
RATE, FRAME = 8000, 160
GREETING_S, QUIET_S = 0.6, 1.8
GREETING_END = round(GREETING_S * RATE) // FRAME - 1  # the greeting's last voiced frame


def ulaw(samples: np.ndarray) -> bytes:
    x = samples.astype(np.int32)
    mag = np.minimum(np.abs(x), 32635) + 0x84
    exp = np.clip(np.floor(np.log2(mag)).astype(np.int32) - 7, 0, 7)
    mant = (mag >> (exp + 3)) & 0x0F
    return bytes((~(((x < 0) << 7) | (exp << 4) | mant) & 0xFF).astype(np.uint8).tobytes())


def write_pcap(path: Path, payload: bytes) -> None:
    """One PCMU RTP stream in 20 ms packets, for SIPp's play_pcap_audio."""
    out = [struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1)]
    for k, i in enumerate(range(0, len(payload) - FRAME + 1, FRAME)):
        rtp = struct.pack(">BBHII", 0x80, 0, k & 0xFFFF, k * FRAME, 0xBE7C) + payload[i : i + FRAME]
        udp = struct.pack(">HHHH", 10000, 10000, 8 + len(rtp), 0) + rtp
        ip = struct.pack(
            ">BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 0, 0, 64, 17, 0, b"\x7f\0\0\1", b"\x7f\0\0\1"
        )
        frame, us = b"\0" * 12 + b"\x08\x00" + ip + udp, k * 20000
        out += [struct.pack("<IIII", us // 10**6, us % 10**6, len(frame), len(frame)), frame]
    path.write_bytes(b"".join(out))


def person_clip(talk_s: float) -> bytes:
    """ "Hello?", a near-silent line (unique frames the detector hears as silence), talk."""
    t = np.arange(int(GREETING_S * RATE)) / RATE
    phase = 2 * np.pi * np.cumsum(130 + 25 * np.sin(2 * np.pi * 3 * t)) / RATE
    hello = sum(np.sin(h * phase) / h**0.5 for h in range(1, 13)) * np.sin(np.pi * t / 0.6)
    rng = np.random.default_rng(21)
    quiet = rng.normal(0, 12, int(QUIET_S * RATE))
    talk = np.clip(rng.normal(0, 3000, int(talk_s * RATE)), -32000, 32000)
    return ulaw(np.concatenate([hello * 2500, quiet, talk]).astype(np.int16))


def agent_clip(seconds: float) -> bytes:
    rng = np.random.default_rng(22)
    return ulaw(np.clip(rng.normal(0, 3000, int(seconds * RATE)), -32000, 32000))


def frames(clip: bytes) -> list[bytes]:
    return [clip[i : i + FRAME] for i in range(0, len(clip) - FRAME + 1, FRAME)]


# --- the far end's sink (its own process) ---------------------------------------------------


def sink_main(port: int, out: Path, clips: list[Path]) -> int:
    """Count every PCMU packet per SSRC; note each frame found in a clip (by index)."""
    index: dict[bytes, tuple[int, int]] = {}
    for c, path in enumerate(clips):
        for k, f in enumerate(frames(path.read_bytes())):
            index.setdefault(f, (c, k))
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 16 << 20)
    sock.bind(("127.0.0.1", port))  # 0: the kernel's choice, told on "ready"
    sock.settimeout(0.2)
    seqs: dict[int, set[int]] = defaultdict(set)
    wrap: dict[int, int] = defaultdict(int)
    last: dict[int, int] = {}
    first_of: dict[int, dict[int, int]] = defaultdict(dict)  # ssrc -> clip -> first index
    count_of: dict[int, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    stop = False

    def on_signal(signum: int, frame: FrameType | None) -> None:
        nonlocal stop
        stop = True

    signal.signal(signal.SIGTERM, on_signal)
    print("ready", sock.getsockname()[1], flush=True)
    while not stop:
        try:
            data = sock.recv(2048)
        except (TimeoutError, InterruptedError):
            continue
        if len(data) <= 12 or data[1] & 0x7F != 0:
            continue
        seq, _, ssrc = struct.unpack_from(">HII", data, 2)
        prev = last.get(ssrc)
        if prev is not None and seq < 1000 and prev > 64000:
            wrap[ssrc] += 1 << 16
        last[ssrc] = seq
        seqs[ssrc].add(seq + wrap[ssrc])
        hit = index.get(data[12:])
        if hit is not None:
            first_of[ssrc].setdefault(hit[0], hit[1])
            count_of[ssrc][hit[0]] += 1
    result = {
        str(ssrc): {
            "got": len(s),
            "expected": max(s) - min(s) + 1,
            "first": {str(c): k for c, k in first_of[ssrc].items()},
            "count": {str(c): n for c, n in count_of[ssrc].items()},
        }
        for ssrc, s in seqs.items()
    }
    out.write_text(json.dumps(result))
    return 0


def sipp_ports() -> int:
    """SIPp's four ports from the band no one binds implicitly (``tests/.../ports.py`` says
    why): its media port is the first (and it + 2), its SIP port it + 1."""
    return band_ports(4)


async def start_sink(
    work: Path, name: str, clips: list[Path]
) -> tuple[asyncio.subprocess.Process, int]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, __file__, "--sink", "0", "--out", str(work / f"{name}.json"),
        "--clips", *map(str, clips), stdout=subprocess.PIPE,
    )  # fmt: skip
    assert proc.stdout is not None
    ready, _, port = (await asyncio.wait_for(proc.stdout.readline(), 30)).partition(b" ")
    if ready != b"ready":
        raise RuntimeError("the RTP sink did not start")
    return proc, int(port)  # bound by the sink itself: no window for another to take it


async def stop_sink(proc: asyncio.subprocess.Process, work: Path, name: str) -> dict[str, dict]:  # type: ignore[type-arg]
    proc.send_signal(signal.SIGTERM)
    await asyncio.wait_for(proc.wait(), 120)
    result: dict[str, dict] = json.loads((work / f"{name}.json").read_text())  # type: ignore[type-arg]
    return result


async def start_sipp(
    work: Path, name: str, template: str, values: dict[str, str], n: int, sink_port: int
) -> tuple[asyncio.subprocess.Process, int]:
    text = (SIPP_DIR / template).read_text()
    for key, value in values.items():
        text = text.replace(f"@{key}@", value)
    path = work / f"{name}.xml"
    path.write_text(text)
    media = sipp_ports()
    port = media + 1
    screen = (work / f"{name}.log").open("wb")
    proc = await asyncio.create_subprocess_exec(
        "sipp", "-sf", str(path), "-i", "127.0.0.1", "-p", str(port), "-mi", "127.0.0.1",
        "-mp", str(media), "-m", str(n), "-l", str(n), "-nostdin", "-timeout", "600s",
        "-key", "rtp_sink", str(sink_port), "-trace_err", "-error_file",
        str(work / f"{name}.err"), stdin=subprocess.DEVNULL, stdout=screen, stderr=screen,
    )  # fmt: skip
    mine, deadline = {port, media, media + 2}, time.monotonic() + 30  # a loaded machine
    while not mine <= bound_udp_ports(proc.pid):
        if proc.returncode is not None or time.monotonic() > deadline:
            err = work / f"{name}.err"
            detail = err.read_text(errors="replace")[-2000:] if err.exists() else ""
            raise RuntimeError(f"SIPp ({name}) did not start: exit {proc.returncode}\n{detail}")
        await asyncio.sleep(0.02)
    return proc, port


def pct(values: list[float], q: float) -> float:
    return float(np.percentile(values, q)) if values else float("nan")


# --- one run ------------------------------------------------------------------------------


async def run(n: int, args: argparse.Namespace, work: Path, *, bridge: bool) -> dict[str, object]:
    from lexdial.adapters.telephony.media_plane import MediaPlaneTelephony
    from lexdial.domain import telephony as tel

    span = n / args.cps
    person = person_clip(2 * span + args.talk + 20)
    agent = agent_clip(3 * span + args.talk + 30)
    clips = [work / "person.ulaw", work / "agent.ulaw"]
    clips[0].write_bytes(person)
    clips[1].write_bytes(agent)
    write_pcap(work / "person.pcap", person)
    write_pcap(work / "agent.pcap", agent)
    people_sink, people_sink_port = await start_sink(work, "people", clips)
    agents_sink, agents_sink_port = await start_sink(work, "agents", clips)
    people, people_port = await start_sipp(
        work, "people", "uas_greeting.xml",
        {"GREETING_PCAP": str(work / "person.pcap"), "BYE_TIMEOUT_MS": "300000"},
        n, people_sink_port,
    )  # fmt: skip
    agents_proc, agents_port = await start_sipp(
        work, "agents", "uas_agent.xml",
        {"AGENT_PCAP": str(work / "agent.pcap"), "BYE_TIMEOUT_MS": "300000"},
        n if bridge else 0, agents_sink_port,
    )  # fmt: skip
    carrier = MediaPlaneTelephony(
        trunk=f"127.0.0.1:{people_port}", channels=n, cps=args.cps, work_dir=work / "sip"
    )
    await carrier.start()
    stream = carrier.events()
    free: list[str] = []
    counts: dict[str, int] = defaultdict(int)
    everyone_bridged, all_up, all_ended = asyncio.Event(), asyncio.Event(), asyncio.Event()
    target, ended = n if bridge else 0, [0]
    ENDS = (tel.HANGUP, tel.FAILED, tel.BUSY, tel.NO_ANSWER)  # noqa: N806

    async def consume() -> None:
        async for ev in stream:
            counts[ev.kind] += 1
            if ev.kind == tel.AGENT_UP:
                free.append(str(ev.detail))
                if counts[tel.AGENT_UP] == n:
                    all_up.set()
            elif ev.kind == tel.HUMAN and bridge:
                if free:
                    await carrier.bridge(ev.call_id, free.pop())
            elif (ev.kind == tel.BRIDGED and counts[tel.BRIDGED] == target) or (
                ev.kind == tel.HUMAN and not bridge and counts[tel.HUMAN] == n
            ):
                everyone_bridged.set()
            elif ev.kind in ENDS:
                ended[0] += 1
                if ended[0] == n:
                    all_ended.set()

    consumer = asyncio.create_task(consume())
    if bridge:
        for k in range(n):
            uri = f"sip:agent{k}@127.0.0.1:{agents_port}"
            await carrier.agent_login(tel.AgentLeg(f"user:{k}", "sip", uri))
            await asyncio.sleep(1 / args.cps)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(all_up.wait(), 30)
    for k in range(n):
        await carrier.dial(tel.Dial(f"b{k}", f"+1614555{k:04d}", "+16145550100", 30.0))
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(everyone_bridged.wait(), span + 30)
    r0, t0 = resource.getrusage(resource.RUSAGE_SELF), time.monotonic()
    busy0, late0 = carrier.stats.busy_s, carrier.stats.late_ticks
    await asyncio.sleep(args.talk)
    r1, held = resource.getrusage(resource.RUSAGE_SELF), time.monotonic() - t0
    stats = carrier.stats
    cpu = r1.ru_utime + r1.ru_stime - r0.ru_utime - r0.ru_stime
    for k in range(n):
        await carrier.hangup(f"b{k}")
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(all_ended.wait(), 30)
    for k in range(n if bridge else 0):
        await carrier.agent_logout(f"user:{k}")
    consumer.cancel()
    await carrier.close()
    codes = []
    for proc in (people, agents_proc):
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(proc.wait(), 30)
        if proc.returncode is None:
            proc.kill()
        codes.append(await proc.wait())
    at_people = await stop_sink(people_sink, work, "people")
    at_agents = await stop_sink(agents_sink, work, "agents")
    streams = list(at_people.values()) + list(at_agents.values())
    got = sum(s["got"] for s in streams)
    expected = sum(s["expected"] for s in streams)
    connects = [
        (s["first"]["0"] - GREETING_END) * 0.02 for s in at_agents.values() if "0" in s["first"]
    ]
    heard_agent = sum(1 for s in at_people.values() if s["count"].get("1", 0) >= 50)
    cpu_pct = 100 * cpu / held
    return {
        "mode": "bridged" if bridge else "no agent",
        "calls": n,
        "legs": len(streams),
        "agents up": counts[tel.AGENT_UP],
        "human": counts[tel.HUMAN],
        "bridged": counts[tel.BRIDGED],
        "agent heard": len(connects),
        "person heard": heard_agent,
        "RTP loss %": round(100 * (1 - got / max(1, expected)), 3),
        "connect p50 s": round(pct(connects, 50), 2),
        "connect p99 s": round(pct(connects, 99), 2),
        "connect max s": round(max(connects), 2) if connects else float("nan"),
        "cpu % (1 core)": round(cpu_pct, 1),
        "cpu %/call": round(cpu_pct / n, 3),
        "rtp clock %": round(100 * (stats.busy_s - busy0) / held, 1),
        "late ticks": stats.late_ticks - late0,
        "max late ms": stats.max_late_ms,
        "sipp exits": ",".join(map(str, codes)),
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    ap.add_argument("--calls", type=int, nargs="+", default=[100])
    ap.add_argument("--cps", type=float, default=50.0)
    ap.add_argument("--talk", type=float, default=10.0, help="seconds every call is held")
    ap.add_argument("--no-baseline", dest="baseline", action="store_false")
    ap.add_argument("--json", type=Path)
    ap.add_argument("--sink", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--clips", type=Path, nargs="*", default=[], help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.sink is not None:
        return sink_main(args.sink, args.out, args.clips)
    if shutil.which("sipp") is None:
        print("missing: sipp; run scripts/telephony.sh", file=sys.stderr)
        return 2
    print(f"{os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f}, cps {args.cps:g}, "
          f"held {args.talk:g} s")  # fmt: skip
    rows = []
    for n in args.calls:
        for bridge in (True, False) if args.baseline else (True,):
            with tempfile.TemporaryDirectory(prefix="lexdial-bridgebench-") as tmp:
                rows.append(asyncio.run(run(n, args, Path(tmp), bridge=bridge)))
    for key in rows[0]:
        print(f"{key:<16}" + "".join(f"{row[key]!s:>12}" for row in rows))
    for n in args.calls:
        pair = [r for r in rows if r["calls"] == n]
        if len(pair) == 2 and isinstance(pair[1]["cpu %/call"], float) and pair[1]["cpu %/call"]:
            ratio = float(pair[0]["cpu %/call"]) / float(pair[1]["cpu %/call"])  # type: ignore[arg-type]
            print(f"cpu per call at {n}: bridged / no agent = {ratio:.2f}")
    if args.json is not None:
        args.json.write_text(json.dumps(rows, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
