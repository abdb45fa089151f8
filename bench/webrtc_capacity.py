"""How many concurrent browser softphone legs the WebRTC gateway holds, and at what CPU cost.

What is measured
    The gateway (``adapters/telephony/webrtc_gateway.py``, aiortc) runs in a child process
    of its own, as it would inside ``lexdial serve``. This process plays both far ends of
    every leg: N aiortc peers as the agents' browsers (each talking an upward sweep, Opus
    over DTLS-SRTP on 127.0.0.1) and, for each, the media plane's own SIP UA and an RTP
    leg (``rtp.MediaEngine``) that INVITEs the agent's SIP address and plays a downward
    sweep in PCMU. With every leg up, for ``--seconds`` seconds:

    - loss toward the plane: RTP packets the plane's legs received against the 50 per
      second each should get (the gateway sends one per 20 ms of the browser's audio);
    - loss toward the browsers: the browsers' own WebRTC statistics (inbound-rtp
      ``packetsLost`` over lost + received);
    - audio: the share of legs whose both ends hear the other's sweep (normalised
      cross-correlation > 0.5 on the last 3 s: two periods of the sweep);
    - CPU of the gateway process (user + system, % of one core) and per leg; and the
      same per-leg figure at 1 leg measured first in the same run: the ratio says how the
      gateway scales (1.0: linear).

    Also the harness's own CPU and the machine's load average: a harness near 100 % of a
    core, or a load above the core count, means the figure is the harness's or the
    neighbours', not the gateway's. A size "holds" when loss both ways is under 1 % and
    every leg's audio matches. The harness (browsers and plane) shares the machine's cores
    with the gateway, so on a small machine the figure is a floor: the harness does as
    much work as the gateway.

Run: ``python bench/webrtc_capacity.py [--legs 1 10 20 40] [--seconds 8] [--json out.json]``.
Exit status 0 whatever the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "src"), str(ROOT)]

from tests.integration.telephony.softphone_peers import (  # noqa: E402
    Browser,
    PlaneSide,
    best_match,
    chirp,
)

UP, DOWN = chirp(300, 3000), chirp(3000, 300)
TICKS = os.sysconf("SC_CLK_TCK")

CHILD = """
import asyncio, json, sys
from lexdial.adapters.telephony.webrtc_gateway import WebRtcGateway

async def main():
    gw = WebRtcGateway("127.0.0.1", 0)
    await gw.start()
    print(json.dumps({"sip_port": gw.sip_port}), flush=True)
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    while line := await reader.readline():
        ask = json.loads(line)
        if ask["op"] == "offer":
            sdp = await gw.offer(ask["user"], ask["sdp"])
            print(json.dumps({"sdp": sdp, "address": gw.address(ask["user"])}), flush=True)
        elif ask["op"] == "hangup":
            for user in list(gw.agents):
                await gw.hangup(user)
            print(json.dumps({"ok": True}), flush=True)
    await gw.close()

asyncio.run(main())
"""


def cpu_s(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


class Gateway:
    """The gateway in a child process, asked over its stdin/stdout."""

    def __init__(self) -> None:
        env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
        self.proc = subprocess.Popen(
            [sys.executable, "-c", CHILD], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            env=env, text=True,
        )  # fmt: skip
        self.sip_port = int(self._read()["sip_port"])

    def _read(self) -> dict[str, Any]:
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError("the gateway process ended")
        found: dict[str, Any] = json.loads(line)
        return found

    async def ask(self, **ask: Any) -> dict[str, Any]:
        assert self.proc.stdin is not None
        self.proc.stdin.write(json.dumps(ask) + "\n")
        self.proc.stdin.flush()
        return await asyncio.to_thread(self._read)

    def close(self) -> None:
        if self.proc.stdin is not None:
            self.proc.stdin.close()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


async def inbound(browser: Browser) -> tuple[int, int]:
    """(lost, received) RTP packets at the browser, from its WebRTC statistics."""
    report = await browser.pc.getStats()
    lost = got = 0
    for stat in report.values():
        if getattr(stat, "type", "") == "inbound-rtp":
            lost += max(0, int(stat.packetsLost))
            got += int(stat.packetsReceived)
    return lost, got


async def run_size(n: int, seconds: float) -> dict[str, Any]:
    gateway = Gateway()
    plane = PlaneSide(f"127.0.0.1:{gateway.sip_port}")
    await plane.start()
    browsers: list[Browser] = []
    legs = []
    try:
        for user in range(1, n + 1):
            browser = Browser(UP)
            answer = await gateway.ask(op="offer", user=user, sdp=await browser.offer())
            await browser.answer(answer["sdp"])
            browsers.append(browser)
        deadline = time.monotonic() + 30
        while any(b.pc.connectionState != "connected" for b in browsers):
            if time.monotonic() > deadline:
                raise RuntimeError("browsers did not connect")
            await asyncio.sleep(0.1)
        await asyncio.sleep(0.5)  # the gateway sees the browsers' tracks
        for user in range(1, n + 1):
            legs.append(await plane.open(f"sip:agent-{user}@127.0.0.1:{gateway.sip_port}", DOWN))
        codes = [await asyncio.wait_for(plane.results[d.call_id], 15) for d in legs]
        await asyncio.sleep(1.0)  # settle; then the measured window
        for d in legs:
            plane.heard(d)
        before = [await inbound(b) for b in browsers]
        for b in browsers:
            b.take()
            b.recording = True
        plane_rx0 = [plane.legs[d.call_id].received for d in legs]
        cpu0, t0 = cpu_s(gateway.proc.pid), time.monotonic()
        own0 = cpu_s(os.getpid())
        await asyncio.sleep(seconds)
        cpu1, t1 = cpu_s(gateway.proc.pid), time.monotonic()
        own1 = cpu_s(os.getpid())
        plane_rx1 = [plane.legs[d.call_id].received for d in legs]
        after = [await inbound(b) for b in browsers]
        window = t1 - t0
        expected = 50 * window * n
        to_plane = sum(b - a for a, b in zip(plane_rx0, plane_rx1, strict=True))
        lost_b = sum(a[0] - b[0] for a, b in zip(after, before, strict=True))
        got_b = sum(a[1] - b[1] for a, b in zip(after, before, strict=True))
        matched = 0
        for d, b in zip(legs, browsers, strict=True):
            at_plane, at_browser = plane.heard(d)[-24000:], b.take()[-24000:]
            scores = best_match(at_plane, UP[:8000]), best_match(at_browser, DOWN[:8000])
            if os.environ.get("BENCH_DEBUG"):
                print(len(at_plane), len(at_browser), scores)
            ok = min(scores) > 0.5
            matched += ok
        cpu_pct = 100 * (cpu1 - cpu0) / window
        return {
            "legs": n,
            "answered": codes.count(200),
            "loss_to_plane_pct": round(100 * max(0.0, 1 - to_plane / expected), 2),
            "loss_to_browser_pct": round(100 * lost_b / max(1, lost_b + got_b), 2),
            "audio_matched": matched,
            "gateway_cpu_pct": round(cpu_pct, 1),
            "cpu_per_leg_pct": round(cpu_pct / n, 2),
            "harness_cpu_pct": round(100 * (own1 - own0) / window, 1),
            "load_average": round(os.getloadavg()[0], 1),
        }
    finally:
        await gateway.ask(op="hangup")
        for b in browsers:
            await b.close()
        await plane.close()
        gateway.close()


def holds(row: dict[str, Any]) -> bool:
    return bool(
        row["answered"] == row["legs"] == row["audio_matched"]
        and row["loss_to_plane_pct"] < 1
        and row["loss_to_browser_pct"] < 1
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--legs", type=int, nargs="+", default=[1, 10, 20, 40])
    parser.add_argument("--seconds", type=float, default=8.0)  # at least 3
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    sizes = sorted({1, *args.legs})  # 1 leg is the baseline of the ratios
    rows = []
    for n in sizes:
        row = asyncio.run(run_size(n, args.seconds))
        rows.append(row)
    base = rows[0]["cpu_per_leg_pct"] or 0.01
    print(f"{'legs':>5} {'answered':>8} {'loss->plane':>11} {'loss->browser':>13} "
          f"{'audio ok':>8} {'gw CPU %':>8} {'CPU/leg %':>9} {'vs 1 leg':>8} {'harness %':>9} "
          f"{'load':>5} holds")  # fmt: skip
    for row in rows:
        row["per_leg_vs_one_leg"] = round(row["cpu_per_leg_pct"] / base, 2)
        row["holds"] = holds(row)
        print(f"{row['legs']:>5} {row['answered']:>8} {row['loss_to_plane_pct']:>10}% "
              f"{row['loss_to_browser_pct']:>12}% {row['audio_matched']:>8} "
              f"{row['gateway_cpu_pct']:>8} {row['cpu_per_leg_pct']:>9} "
              f"{row['per_leg_vs_one_leg']:>8} {row['harness_cpu_pct']:>9} "
              f"{row['load_average']:>5} "
              f"{'yes' if row['holds'] else 'NO'}")  # fmt: skip
    held = [r["legs"] for r in rows if r["holds"]]
    print(f"largest size held (< 1 % loss both ways, every leg's audio matched): "
          f"{max(held) if held else 0} legs, on {os.cpu_count()} cores")  # fmt: skip
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
