"""What SRTP costs the media plane: per packet, and per call on the real media clock.

What is measured (each row a ratio against plain RTP measured in the same run)
    per packet: the send path's cost (RTP header + 160-byte PCMU payload) plain, then
    with ``srtp.Crypto.protect`` (AES_CM_128_HMAC_SHA1_80) added, then the receive side's
    ``unprotect`` on its own: microseconds per packet, best of ``--repeat`` rounds of
    ``--packets`` packets (the best round is the least disturbed by other processes).
    per call: ``--calls`` pairs of legs (``rtp.MediaEngine``, loopback UDP) talk to each
    other for ``--seconds``, each leg sending one packet per 20 ms and receiving its
    partner's, as an answered call does; first plain, then with each leg keyed to its
    partner (every packet protected on send and unprotected on receive). This process's
    CPU seconds over the window, as a % of one core and per call (a leg is one call's
    media), and packets received / sent and packets that failed authentication (0
    expected: anything else is a bug, not a cost).
SIPp (the far end of ``sip_concurrency.py``) speaks no SRTP, so the per-call figure is
taken between legs of lexdial's own engine; the integration tests prove the wire format
against baresip.

Run: ``python bench/srtp.py [--calls 100] [--seconds 10] [--packets 20000] [--json out]``.
Exit status 0 whatever the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import struct
import sys
import time
from pathlib import Path

from lexdial.adapters.telephony import srtp
from lexdial.adapters.telephony.rtp import Leg, MediaEngine

PAYLOAD = b"\x55" * 160
_HEADER = struct.Struct(">BBHII")


def per_packet(packets: int, repeat: int) -> dict[str, float]:
    """Microseconds per packet: plain build, build + protect, unprotect (best round)."""
    ours, theirs = srtp.offer_keys()[0], srtp.offer_keys()[0]

    def best(step: str) -> float:
        times = []
        for _ in range(repeat):
            tx, rx = srtp.Crypto(ours, theirs), srtp.Crypto(theirs, ours)
            wire = [tx.protect(_HEADER.pack(0x80, 0, q & 0xFFFF, q * 160, 7) + PAYLOAD)
                    for q in range(packets)] if step == "unprotect" else []  # fmt: skip
            start = time.perf_counter()
            if step == "plain":
                for q in range(packets):
                    _HEADER.pack(0x80, 0, q & 0xFFFF, q * 160, 7) + PAYLOAD
            elif step == "protect":
                for q in range(packets):
                    tx.protect(_HEADER.pack(0x80, 0, q & 0xFFFF, q * 160, 7) + PAYLOAD)
            else:
                for packet in wire:
                    rx.unprotect(packet)
            times.append((time.perf_counter() - start) / packets * 1e6)
        return min(times)

    plain, protect, unprotect = best("plain"), best("protect"), best("unprotect")
    return {"plain_us": round(plain, 3), "protect_us": round(protect, 3),
            "unprotect_us": round(unprotect, 3),
            "send_ratio": round(protect / plain, 2)}  # fmt: skip


async def per_call(calls: int, seconds: float, secure: bool) -> dict[str, object]:
    """``calls`` legs in pairs talking for ``seconds`` on the media clock."""
    engine = MediaEngine(rtp_ports=(30000, 39999))
    legs: list[Leg] = []
    for k in range(calls - calls % 2):
        legs.append(engine.open(f"l{k}"))
    for a, b in zip(legs[::2], legs[1::2], strict=True):
        if secure:
            ka, kb = srtp.offer_keys()[0], srtp.offer_keys()[0]
            a.crypto, b.crypto = srtp.Crypto(ka, kb), srtp.Crypto(kb, ka)
        a.start("127.0.0.1", b.port)
        b.start("127.0.0.1", a.port)
    await asyncio.sleep(1.0)  # settle: the first tick's catch-up is not the steady state
    cpu0, wall0 = time.process_time(), time.perf_counter()
    sent0, got0 = sum(x.sent for x in legs), sum(x.received for x in legs)
    await asyncio.sleep(seconds)
    cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
    sent, got = sum(x.sent for x in legs) - sent0, sum(x.received for x in legs) - got0
    failed = sum(x.crypto.failed for x in legs if x.crypto is not None)
    stats = engine.stats
    await engine.close()
    core = cpu / wall * 100
    return {"srtp": secure, "calls": len(legs), "cpu_core_pct": round(core, 1),
            "cpu_per_call_pct": round(core / len(legs), 4), "sent": sent,
            "received": got, "auth_failed": failed, "late_ticks": stats.late_ticks}  # fmt: skip


def main() -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    ap.add_argument("--calls", type=int, default=100)
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--packets", type=int, default=20000)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    rows: list[dict[str, object]] = [{"per_packet": True, **per_packet(args.packets, args.repeat)}]
    print(rows[0], flush=True)
    for secure in (False, True):
        rows.append(asyncio.run(per_call(args.calls, args.seconds, secure)))
        print(rows[-1], flush=True)
    plain, secure_row = rows[1], rows[2]
    ratio = float(str(secure_row["cpu_per_call_pct"])) / max(
        float(str(plain["cpu_per_call_pct"])), 1e-9
    )
    rows.append({"srtp_over_plain_cpu_per_call": round(ratio, 2)})
    print(rows[-1])
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
