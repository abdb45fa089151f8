"""Twilio's callbacks reach the dial worker that owns the call (issue 15, item 4).

Two ``lexdial serve`` processes (A and B) and one ``lexdial worker`` over one PostgreSQL
store, with the Twilio stand-in as the carrier. Neither web process dials: the worker
does, and the stand-in delivers each callback to A or B in turn (as a load balancer
would), signed over the public https URL. The web process checks the signature and
relays the callback over Redis to the worker, whose TwiML comes back in the same answer.

No live Twilio account was used (see ``tests/integration/telephony/twilio_standin``).
"""

from __future__ import annotations

import itertools
import threading
import time
import urllib.error
import urllib.request
from typing import Any
from urllib.parse import urlencode

import pytest
from sqlalchemy import func, select
from tests.integration.telephony.twilio_standin import (
    ACCOUNT,
    TOKEN,
    Callee,
    Delivered,
    TwilioStandIn,
)
from twilio.request_validator import RequestValidator  # type: ignore[import-untyped]

from lexdial.adapters.db import tables as t
from lexdial.adapters.telephony.twilio_twiml import hangup_twiml

from .conftest import Cluster, start

pytestmark = pytest.mark.integration

PUBLIC = "https://dialer.example.test/webhooks/twilio"


class Balanced(TwilioStandIn):
    """The stand-in delivering its callbacks to the web processes in turn."""

    targets: list[str]

    def balance(self, targets: list[str]) -> None:
        self.targets = targets
        self._turn = itertools.cycle(targets)
        self._turn_lock = threading.Lock()
        self.sent_to: list[str] = []

    def _post(self, url: str, params: dict[str, str]) -> Delivered:
        with self._turn_lock:
            target = next(self._turn)
            self.sent_to.append(target)
            self.deliver_to = target
            return super()._post(url, params)


def post(base: str, route: str, query: str, params: dict[str, str], token: str) -> tuple[int, str]:
    """A callback signed with ``token`` over the public URL, delivered to ``base``."""
    public = f"{PUBLIC}/{route}?{query}"
    signature = RequestValidator(token).compute_signature(public, params)
    request = urllib.request.Request(
        f"{base}/webhooks/twilio/{route}?{query}",
        data=urlencode(params).encode(),
        headers={"X-Twilio-Signature": signature,
                 "Content-Type": "application/x-www-form-urlencoded"},
    )  # fmt: skip
    try:
        with urllib.request.urlopen(request, timeout=15) as res:
            return res.status, res.read().decode()
    except urllib.error.HTTPError as exc:
        with exc:
            return exc.code, exc.read().decode()


def outcomes(cluster: Cluster) -> dict[str, int]:
    o = t.call_outcomes.c
    with cluster.store.db.connect() as conn:
        rows = conn.execute(select(o.outcome, func.count()).group_by(o.outcome)).all()
    return {str(r[0]): int(r[1]) for r in rows}


def twilio_cluster(cluster: Cluster, api: str) -> None:
    settings = cluster.root / "lexdial.toml"
    text = settings.read_text().replace(
        'carrier = "simulated"\ncps = 400\n',
        f'carrier = "twilio"\ncps = 5\nwebhook_base_url = "{PUBLIC}"\n',
    )
    assert 'carrier = "twilio"' in text
    settings.write_text(text)
    cluster.env |= {
        "LEXDIAL_TWILIO_ACCOUNT_SID": ACCOUNT,
        "LEXDIAL_TWILIO_AUTH_TOKEN": TOKEN,
        "LEXDIAL_TWILIO_API_URL": api,
        "NO_PROXY": "127.0.0.1,localhost",
        "no_proxy": "127.0.0.1,localhost",
    }


def test_callbacks_reach_the_worker_through_either_web_process_and_its_twiml_comes_back(
    cluster: Cluster,
) -> None:
    cid, numbers = cluster.campaign(3)
    people = dict(zip(numbers, (Callee("human"), Callee("human", press="9"),
                                Callee("machine")), strict=True))  # fmt: skip
    twilio = Balanced(callees=people)
    twilio_cluster(cluster, twilio.start())
    a = cluster.serve("serve-a", 18431)
    b = cluster.serve("serve-b", 18432)
    twilio.balance([a, b])
    cluster._start("worker", ["worker", "--concurrency", "2"])
    try:
        start(cluster.store, cid)
        deadline = time.monotonic() + 90
        while sum(outcomes(cluster).values()) < 3:
            assert time.monotonic() < deadline, (twilio.delivered, cluster.log("worker"))
            time.sleep(0.3)
        done = outcomes(cluster)
        call = next(iter(twilio.calls.values()))
        query = call.one("StatusCallback").split("?", 1)[1]
        late = {"AccountSid": ACCOUNT, "CallSid": call.sid, "CallStatus": "completed"}
        # a call no worker placed: hung up (the person is never left in silence)
        unknown = {"AccountSid": ACCOUNT, "CallSid": "CA" + "0" * 32, "CallStatus": "completed"}
        unknown_answer = post(b, "gather", "call=999999-1&prompt=message", unknown, TOKEN)
        # a forged signature: refused at the web process, never relayed
        forged = post(a, "status", query, late, "f" * 32)
    finally:
        cluster.stop_all()
        twilio.stop()
    assert done == {"human": 1, "machine": 1, "opted_out": 1}
    assert all(c.status == "completed" for c in twilio.calls.values())
    routes = {d.url.split("?")[0].rsplit("/", 1)[-1] for d in twilio.delivered}
    assert {"status", "amd", "gather", "played"} <= routes
    assert twilio.delivered and all(d.status in (200, 204) for d in twilio.delivered)
    # both web processes took callbacks; the worker's TwiML (hold, redirect) came back:
    # no callback of a live call was answered with the unknown-call handler's <Hangup/>
    assert set(twilio.sent_to) == {a, b}
    # (sent_to and delivered are appended in the same order, under the same lock)
    for base in (a, b):
        answers = [d.body for d, to in zip(twilio.delivered, twilio.sent_to, strict=True)
                   if to == base and d.body.startswith("<?xml")]  # fmt: skip
        # the worker's TwiML (a hold that redirects, a Gather): the unknown-call handler
        # only ever answers <Hangup/>
        assert any(body != hangup_twiml() for body in answers), (base, answers)
    assert unknown_answer == (200, hangup_twiml())
    assert forged[0] == 403
    for name in ("serve-a", "serve-b"):  # only the unknown call fell to the hang-up
        lost = [line for line in cluster.log(name).splitlines() if "no worker" in line]
        assert all("999999-1" in line for line in lost), lost
    cluster.assert_no_errors()


def test_a_worker_on_twilio_runs_the_campaign_it_refused_before(cluster: Cluster) -> None:
    """The refusal of Twilio campaigns on dial workers is lifted with a relay."""
    from lexdial.bootstrap import distributed as dist
    from lexdial.config import load_settings

    twilio = TwilioStandIn()
    twilio_cluster(cluster, twilio.start())
    twilio.stop()
    settings = load_settings(cluster.root / "lexdial.toml", cluster.env)
    assert dist.relay_choice(settings, cluster.env) == ("redis", settings.distributed.broker_url)
    relay: Any = dist.relay_carrier(settings, cluster.env)
    assert relay is not None and relay.webhooks.owns({"call": "1-1"})
    assert not relay.webhooks.owns({"to": "+16145550101"})


def test_with_an_amqp_broker_the_relay_runs_over_the_stores_postgresql(cluster: Cluster) -> None:
    """No Redis needed: with RabbitMQ as the broker, Twilio's callbacks are relayed over
    the store's PostgreSQL, and a Twilio worker starts a listener instead of refusing."""
    from lexdial.bootstrap import distributed as dist
    from lexdial.config import load_settings

    twilio_cluster(cluster, "http://127.0.0.1:9")
    env = cluster.env | {"LEXDIAL_BROKER_URL": "amqp://guest@127.0.0.1:5672//"}
    env.pop("LEXDIAL_REDIS_URL", None)
    settings = load_settings(cluster.root / "lexdial.toml", env)
    kind, _ = dist.relay_choice(settings, env) or ("none", "")
    assert kind == "postgresql"
    relay: Any = dist.relay_carrier(settings, env)
    listener = dist.start_listener(settings, env)
    try:
        assert relay is not None and relay.webhooks.owns({"call": "1-1"})
        assert listener is not None and type(listener.relay).__name__ == "PgRelay"
    finally:
        if listener is not None:
            listener.stop()
