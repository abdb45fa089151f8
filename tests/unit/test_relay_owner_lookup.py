"""The web process's relay (``RelayWebhooks``) when the owner lookup fails for a moment:
the callback still reaches its owner within the one wait, and a lookup that keeps failing
ends in the hang-up handler (never an unhandled error) once the wait is over."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping
from threading import Event
from typing import Any

from twilio.request_validator import RequestValidator  # type: ignore[import-untyped]

from lexdial.adapters.telephony.twilio_webhooks import WebhookResponse
from lexdial.adapters.webhook_relay import RelayWebhooks

TOKEN = "ab" * 16
URL = "https://dial.example.test/webhooks/twilio/status?call=1-1"
ANSWER = {"status": 200, "body": "<Response/>", "content_type": "text/xml"}


class FlakyRelay:
    """A relay whose owner lookup raises ``failures`` times, then names worker "w1", which
    answers every request."""

    ttl_s = 90.0

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.lookups = 0
        self.delivered: list[float] = []

    def claim(self, worker: str, claims: Iterable[tuple[str, str]]) -> None:
        pass

    def owner(self, query: Mapping[str, str]) -> str | None:
        self.lookups += 1
        if self.lookups <= self.failures:
            raise ConnectionError("the store is restarting")
        return "w1"

    def deliver(self, worker: str, request: dict[str, Any], wait_s: float) -> dict[str, Any]:
        self.delivered.append(wait_s)
        return dict(ANSWER)

    def serve(self, worker: str, answer: Callable[..., Any], stop: Event) -> None:
        pass


class HangUp:
    def __init__(self) -> None:
        self.seen = 0

    def handle(
        self, path: str, url: str, params: Mapping[str, str], signature: str | None
    ) -> WebhookResponse:
        self.seen += 1
        return WebhookResponse(200, "<Response><Hangup/></Response>", "text/xml")


def _callback(relay: RelayWebhooks) -> WebhookResponse:
    params = {"CallSid": "CA1", "CallStatus": "ringing"}
    signature = RequestValidator(TOKEN).compute_signature(URL, params)
    return relay.handle("/webhooks/twilio/status", URL, params, signature)


def test_a_callback_reaches_its_owner_when_the_owner_lookup_fails_for_a_moment() -> None:
    owners, unknown = FlakyRelay(failures=2), HangUp()
    got = _callback(RelayWebhooks(owners, TOKEN, unknown, wait_s=5))
    assert got == WebhookResponse(200, "<Response/>", "text/xml")
    assert owners.lookups == 3 and unknown.seen == 0
    # the delivery waits only for what is left of the one wait
    assert len(owners.delivered) == 1 and owners.delivered[0] < 5


def test_an_owner_lookup_that_keeps_failing_ends_in_the_hang_up_after_the_wait() -> None:
    owners, unknown = FlakyRelay(failures=10**6), HangUp()
    began = time.monotonic()
    got = _callback(RelayWebhooks(owners, TOKEN, unknown, wait_s=1))
    assert time.monotonic() - began < 2
    assert got.body == "<Response><Hangup/></Response>" and unknown.seen == 1
    assert owners.lookups > 1 and owners.delivered == []
