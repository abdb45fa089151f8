"""How many concurrent calls the simulated carrier holds in one process.

Dials N calls at once (all ringing together, then people and machines answering, messages
playing, keys pressed), runs every call through the real broadcast call flow, and reports
the peak number up at once, events per second, and the wall time — beside the cost of the
cheapest possible baseline: the same number of bare asyncio timers firing into a queue.

    python bench/carrier.py                 # 1000, 2000 and 5000 concurrent calls
    python bench/carrier.py --calls 10000
"""

from __future__ import annotations

import argparse
import asyncio
import time

from lexdial.adapters.telephony.simulated import SimProfile, SimulatedCarrier
from lexdial.domain import telephony as tel
from lexdial.domain.call import CallFlow, FlowConfig

PROMPTS = {
    tel.MESSAGE: tel.Prompt("Hello, this is the firm. Press 9 to stop these calls.", 20.0),
    tel.VOICEMAIL: tel.Prompt("Hello, this is the firm. Call us back.", 10.0),
    tel.OPTOUT_CONFIRM: tel.Prompt("You will not be called again.", 3.0),
}


async def calls(n: int, timescale: float) -> tuple[int, int, float]:
    carrier = SimulatedCarrier(SimProfile(), seed=1, channels=n, timescale=timescale)
    await carrier.start()
    flows = {f"c{i}": CallFlow(f"c{i}", FlowConfig()) for i in range(n)}
    start = time.perf_counter()
    for call_id in flows:
        await carrier.dial(tel.Dial(call_id, "+16145550100", "+16145550199", 25.0, PROMPTS))
    events, left = 0, n
    async for event in carrier.events():
        events += 1
        flow = flows[event.call_id]
        for cmd in flow.handle(event):
            if cmd.action == "play":
                await carrier.play(event.call_id, str(cmd.arg))
            elif cmd.action == "hangup":
                await carrier.hangup(event.call_id)
        if flow.done:
            left -= 1
            if left == 0:
                await carrier.close()
    return carrier.peak_concurrent, events, time.perf_counter() - start


async def baseline(n_events: int) -> float:
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[int] = asyncio.Queue()
    start = time.perf_counter()
    for i in range(n_events):
        loop.call_later(0.001 * (i % 50), queue.put_nowait, i)
    for _ in range(n_events):
        await queue.get()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, action="append", help="concurrent calls (repeat)")
    parser.add_argument(
        "--timescale", type=float, default=0.01, help="wall seconds per call second"
    )
    args = parser.parse_args()
    print(f"{'calls':>7} {'peak up':>8} {'events':>8} {'wall s':>7} {'events/s':>9} "
          f"{'baseline ev/s':>13} {'ratio':>6}")  # fmt: skip
    for n in args.calls or [1000, 2000, 5000]:
        peak, events, wall = asyncio.run(calls(n, args.timescale))
        base = asyncio.run(baseline(events))
        rate, base_rate = events / wall, events / base
        print(f"{n:>7} {peak:>8} {events:>8} {wall:>7.2f} {rate:>9.0f} {base_rate:>13.0f} "
              f"{base_rate / rate:>5.1f}x")  # fmt: skip
    print(
        f"(a call lasts ~10-45 s of carrier time; timescale {args.timescale} makes that "
        f"{args.timescale * 10:.2f}-{args.timescale * 45:.2f} s of wall time, so every call "
        "overlaps every other: 'peak up' is the concurrency actually held)"
    )


if __name__ == "__main__":
    main()
