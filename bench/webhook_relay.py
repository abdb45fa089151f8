"""The webhook relay's round trip (issue 15 item 4): what a web process adds to a Twilio
callback to reach its owner and bring back the answer, over Redis (the baseline) and over
PostgreSQL (LISTEN/NOTIFY, claims in ``relay_routes``), in the same run, alternating.

Each round trip is one owner lookup and one request/answer through a worker's listener
thread (a trivial carrier answering at once), so the figures are the transport's own.
Prints p50 and p99 per transport, PostgreSQL's ratio to Redis, and a 40 kB answer over
PostgreSQL (sent in NOTIFY chunks). Twilio waits 15 s; the relay waits at most 5 s.

    python bench/webhook_relay.py [--n 300] [--pg postgresql+psycopg://...] [--redis redis://...]
"""

from __future__ import annotations

import argparse
import time
import uuid
from collections.abc import Mapping

from sqlalchemy import create_engine, text

from lexdial.adapters.db import tables as t
from lexdial.adapters.telephony.twilio_webhooks import TWIML_TYPE, WebhookResponse
from lexdial.adapters.webhook_relay import Listener, Message, Relay
from lexdial.adapters.webhook_relay_pg import PgRelay
from lexdial.adapters.webhook_relay_redis import RedisRelay

REQUEST: Message = {"path": "/webhooks/twilio/gather", "query": {"call": "1-1"},
                    "url": "https://dialer.example/webhooks/twilio/gather?call=1-1",
                    "params": {"CallSid": "CA" + "1" * 32, "CallStatus": "in-progress"},
                    "signature": "unchecked here"}  # fmt: skip


class Answer:
    def __init__(self, body: str) -> None:
        self.body = body

    def owns(self, query: Mapping[str, str]) -> bool:
        return True

    def handle(
        self, path: str, url: str, params: Mapping[str, str], signature: str | None
    ) -> WebhookResponse:
        return WebhookResponse(200, self.body, TWIML_TYPE)


def round_trips(worker: Relay, web: Relay, n: int, body: str) -> list[float]:
    listener = Listener(worker)
    listener.add(Answer(body))
    listener.start()
    time.sleep(0.5)  # its LISTEN / BLPOP is issued by its own thread
    worker.claim(listener.worker, [("call", "1-1")])
    took = []
    try:
        for _ in range(n):
            began = time.perf_counter()
            owner = web.owner({"call": "1-1"})
            got = web.deliver(owner or "", REQUEST, 5.0)
            took.append(time.perf_counter() - began)
            assert got is not None and got["body"] == body
    finally:
        listener.stop()
    return sorted(took)


def pct(xs: list[float], q: float) -> float:
    return 1000 * xs[min(len(xs) - 1, int(len(xs) * q))]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=300)
    ap.add_argument("--pg", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    ap.add_argument("--redis", default="redis://127.0.0.1:6379/15")
    args = ap.parse_args()
    admin = create_engine(args.pg, isolation_level="AUTOCOMMIT")
    name = f"lexdial_relay_bench_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = f"{args.pg.rsplit('/', 1)[0]}/{name}"
    try:
        engine = create_engine(url)
        t.relay_routes.create(engine)
        engine.dispose()
        small, big = "<Response/>", "<Response><Say>" + "x" * 40_000 + "</Say></Response>"
        got: dict[str, list[float]] = {"redis": [], "postgresql": [], "postgresql 40 kB": []}
        for _ in range(2):  # alternating: the machine's load hits both alike
            got["redis"] += round_trips(
                RedisRelay(args.redis), RedisRelay(args.redis), args.n, small
            )
            for label, body in (("postgresql", small), ("postgresql 40 kB", big)):
                worker, web = PgRelay(url), PgRelay(url)
                got[label] += round_trips(worker, web, args.n, body)
                worker.close()
                web.close()
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
    base = pct(sorted(got["redis"]), 0.5)
    for label, xs in got.items():
        xs.sort()
        print(f"{label:17} n {len(xs):4}  p50 {pct(xs, 0.5):6.2f} ms  p99 {pct(xs, 0.99):6.2f} ms"
              f"  p50 x{pct(xs, 0.5) / base:.1f} of Redis")  # fmt: skip


if __name__ == "__main__":
    main()
