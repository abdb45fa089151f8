"""A dial worker's relay in a process of its own (``python relay_pg_worker.py URL CALL TTL``):
it claims ``CALL`` over PostgreSQL, refreshes the claim every third of ``TTL`` as
``ClaimingTelephony`` does, and answers the callbacks relayed to it with TwiML naming
its pid; it prints its worker id once listening. The test SIGKILLs it."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Mapping

from lexdial.adapters.telephony.twilio_webhooks import TWIML_TYPE, WebhookResponse
from lexdial.adapters.webhook_relay import Listener
from lexdial.adapters.webhook_relay_pg import PgRelay


class Owner:
    def __init__(self, call: str) -> None:
        self.call = call

    def owns(self, query: Mapping[str, str]) -> bool:
        return query.get("call") == self.call

    def handle(
        self, path: str, url: str, params: Mapping[str, str], signature: str | None
    ) -> WebhookResponse:
        return WebhookResponse(
            200, f"<Response><Say>pid {os.getpid()}</Say></Response>", TWIML_TYPE
        )


def main() -> None:
    url, call, ttl = sys.argv[1], sys.argv[2], float(sys.argv[3])
    relay = PgRelay(url, ttl_s=ttl)
    listener = Listener(relay)
    listener.add(Owner(call))
    listener.start()
    relay.claim(listener.worker, [("call", call)])
    time.sleep(0.5)  # LISTEN is issued by the listener's thread: let it run first
    print(listener.worker, flush=True)
    while True:
        time.sleep(ttl / 3)
        relay.claim(listener.worker, [("call", call)])


if __name__ == "__main__":
    main()
