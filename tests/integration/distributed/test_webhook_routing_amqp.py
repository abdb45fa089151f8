"""Twilio's callbacks reach the dial worker that owns the call with RabbitMQ as the broker
(issue 15 item 4: any broker): the same cluster as ``test_webhook_routing`` (two ``lexdial
serve``, one ``lexdial worker``, the Twilio stand-in balancing its callbacks between the
web processes), but the broker is AMQP and no Redis is named, so the relay runs over the
store's PostgreSQL (claims in ``relay_routes``, LISTEN/NOTIFY).

No live Twilio account was used (see ``tests/integration/telephony/twilio_standin``).
"""

from __future__ import annotations

import contextlib
import os
import time
import uuid
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest
from tests.integration.telephony.twilio_standin import ACCOUNT, TOKEN, Callee, TwilioStandIn
from twilio.request_validator import RequestValidator  # type: ignore[import-untyped]

from lexdial.adapters.telephony.twilio_twiml import hangup_twiml
from lexdial.adapters.telephony.twilio_webhooks import TWIML_TYPE, WebhookResponse
from lexdial.adapters.webhook_relay import RELAYED_FIELDS, Listener
from lexdial.adapters.webhook_relay_pg import PgRelay

from .conftest import Cluster, make_store, start
from .test_webhook_routing import Balanced, outcomes, post, twilio_cluster

pytestmark = pytest.mark.integration

AMQP = os.environ.get("LEXDIAL_TEST_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672//")


def _amqp_problem() -> str | None:
    from kombu import Connection  # type: ignore[import-untyped]

    try:
        with Connection(AMQP, connect_timeout=3) as conn:
            conn.ensure_connection(max_retries=1)
    except Exception as exc:
        return type(exc).__name__
    return None


@pytest.fixture
def amqp_cluster(cluster: Cluster) -> Iterator[Cluster]:
    """The cluster with RabbitMQ as its broker and no Redis named (its queue dropped after)."""
    problem = _amqp_problem()
    if problem is not None:
        if os.environ.get("CI"):
            pytest.fail(f"RabbitMQ not reachable at {AMQP} ({problem})")
        pytest.skip(f"RabbitMQ not reachable at {AMQP} ({problem})")
    cluster.env["LEXDIAL_BROKER_URL"] = AMQP
    cluster.env.pop("LEXDIAL_REDIS_URL", None)
    yield cluster
    from kombu import Connection

    from lexdial.config import load_settings

    queue = load_settings(cluster.root / "lexdial.toml", cluster.env).distributed.queue
    # never declared (nothing enqueued): nothing to drop
    with Connection(AMQP, connect_timeout=3) as conn, contextlib.suppress(Exception):
        conn.default_channel.queue_delete(queue)


def test_with_rabbitmq_callbacks_reach_the_worker_through_either_web_process_over_postgresql(
    amqp_cluster: Cluster,
) -> None:
    cluster = amqp_cluster
    cid, numbers = cluster.campaign(3)
    people = dict(zip(numbers, (Callee("human"), Callee("human", press="9"),
                                Callee("machine")), strict=True))  # fmt: skip
    twilio = Balanced(callees=people)
    twilio_cluster(cluster, twilio.start())
    a = cluster.serve("serve-a", 18433)
    b = cluster.serve("serve-b", 18434)
    twilio.balance([a, b])
    cluster._start("worker", ["worker", "--concurrency", "2"])
    try:
        start(cluster.store, cid)
        deadline = time.monotonic() + 90
        while sum(outcomes(cluster).values()) < 3:
            assert time.monotonic() < deadline, (twilio.delivered, cluster.log("worker"))
            time.sleep(0.3)
        done = outcomes(cluster)
        unknown = {"AccountSid": ACCOUNT, "CallSid": "CA" + "0" * 32, "CallStatus": "completed"}
        unknown_answer = post(a, "gather", "call=999999-1&prompt=message", unknown, TOKEN)
        call = next(iter(twilio.calls.values()))
        query = call.one("StatusCallback").split("?", 1)[1]
        late = {"AccountSid": ACCOUNT, "CallSid": call.sid, "CallStatus": "completed"}
        forged = post(b, "status", query, late, "f" * 32)
    finally:
        cluster.stop_all()
        twilio.stop()
    assert done == {"human": 1, "machine": 1, "opted_out": 1}
    assert all(c.status == "completed" for c in twilio.calls.values())
    routes = {d.url.split("?")[0].rsplit("/", 1)[-1] for d in twilio.delivered}
    assert {"status", "amd", "gather", "played"} <= routes
    assert twilio.delivered and all(d.status in (200, 204) for d in twilio.delivered)
    assert set(twilio.sent_to) == {a, b}
    for base in (a, b):  # the worker's TwiML came back through each web process
        answers = [d.body for d, to in zip(twilio.delivered, twilio.sent_to, strict=True)
                   if to == base and d.body.startswith("<?xml")]  # fmt: skip
        assert any(body != hangup_twiml() for body in answers), (base, answers)
    assert unknown_answer == (200, hangup_twiml())
    assert forged[0] == 403
    for name in ("serve-a", "serve-b"):  # only the unknown call fell to the hang-up
        lost = [line for line in cluster.log(name).splitlines() if "no worker" in line]
        assert all("999999-1" in line for line in lost), lost
    assert "redis" not in cluster.log("worker").lower()
    cluster.assert_no_errors()


class Worker:
    """A dial worker's Twilio webhooks (in this process): own ``call=1-1``, check the
    relayed signature as ``TwilioWebhooks`` does, answer with TwiML of their own."""

    def __init__(self) -> None:
        self.seen: list[dict[str, str]] = []

    def owns(self, query: Mapping[str, str]) -> bool:
        return query.get("call") == "1-1"

    def handle(
        self, path: str, url: str, params: Mapping[str, str], signature: str | None
    ) -> WebhookResponse:
        self.seen.append(dict(params))
        if not signature or not RequestValidator(TOKEN).validate(url, dict(params), signature):
            return WebhookResponse(403, "invalid Twilio signature")
        return WebhookResponse(200, '<Response><Pause length="7"/></Response>', TWIML_TYPE)


def test_with_rabbitmq_two_serve_processes_relay_callbacks_to_the_owner_over_postgresql(
    tmp_path: Path, pg_db: str
) -> None:
    """Whatever the hour (no campaign dials): two real ``lexdial serve`` processes with an
    AMQP broker and no Redis relay a signed callback to the worker that claimed the call,
    over the store's PostgreSQL, and return its TwiML; others are hung up or refused."""
    problem = _amqp_problem()
    if problem is not None:
        pytest.skip(f"RabbitMQ not reachable at {AMQP} ({problem})")
    store, env = make_store(tmp_path, pg_db, f"lexdial-test-{uuid.uuid4().hex[:8]}")
    cluster = Cluster(tmp_path, env, store, "", ("", "", ""))
    twilio = TwilioStandIn()
    twilio_cluster(cluster, twilio.start())
    cluster.env["LEXDIAL_BROKER_URL"] = AMQP
    cluster.env.pop("LEXDIAL_REDIS_URL", None)
    relay = PgRelay(pg_db, ttl_s=30)
    listener, hooks = Listener(relay), Worker()
    listener.add(hooks)
    listener.start()
    try:
        relay.claim(listener.worker, [("call", "1-1")])
        a = cluster.serve("serve-a", 18435)
        b = cluster.serve("serve-b", 18436)
        params = {"AccountSid": ACCOUNT, "CallSid": "CA" + "1" * 32, "CallStatus": "in-progress",
                  "To": "+16145550101", "From": "+16145550199"}  # fmt: skip
        answers = [post(base, "gather", "call=1-1&prompt=message", params, TOKEN)
                   for base in (a, b)]  # fmt: skip
        unknown = post(a, "gather", "call=999999-1&prompt=message",
                       params | {"CallStatus": "completed"}, TOKEN)  # fmt: skip
        forged = post(b, "gather", "call=1-1&prompt=message", params, "f" * 32)
    finally:
        cluster.stop_all()
        listener.stop()
        relay.close()
        twilio.stop()
        store.db.dispose()
    assert answers == [(200, '<Response><Pause length="7"/></Response>')] * 2
    assert len(hooks.seen) == 2  # the forged one never reached the worker
    assert all(set(p) <= RELAYED_FIELDS and "To" not in p for p in hooks.seen)
    assert unknown == (200, hangup_twiml()) and forged[0] == 403
    for name in ("serve-a", "serve-b"):
        assert "redis" not in cluster.log(name).lower()
    cluster.assert_no_errors()
