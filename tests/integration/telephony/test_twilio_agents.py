"""Agents as Twilio Client identities, against the stand-in Twilio (``twilio_standin``):
one test per callback path of an agent's nailed-up leg and of a customer moved into the
agent's room, over HTTP, signed as Twilio signs.

- login: the leg is a call to ``client:ID`` into a room named for the agent; AGENT_UP only
  once the room reports the agent's participant-join;
- bridge: BRIDGED only once the room reports the customer's participant-join;
- the customer hangs up: the agent stays in the room (a next customer is bridged to it);
- the agent hangs up (or logs out): AGENT_DOWN, and the customer's call ends with the room;
- transfers, cold and warm, to an agent and to a number: TRANSFERRED after the join.

No live Twilio account was used: request shapes come from the twilio SDK, the callback
shapes and the conference semantics from Twilio's documentation.
"""

from __future__ import annotations

import asyncio
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.error import HTTPError
from urllib.parse import urlencode
from urllib.request import Request, urlopen

import jwt
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from lexdial.adapters.db import tables as t
from lexdial.adapters.db.uow import SqlUnitOfWork
from lexdial.adapters.telephony.twilio import TwilioTelephony
from lexdial.bootstrap import Store, init_store
from lexdial.config import Settings
from lexdial.domain import telephony as tel
from lexdial.entrypoints.api.app import create_app
from lexdial.errors import TelephonyError
from lexdial.rules.context import Policy
from lexdial.service.agent_endpoints import add_endpoint
from lexdial.service.auth import issue_token
from lexdial.service.users import OPERATOR, add_user

from .twilio_standin import ACCOUNT, TOKEN, Call, Callee, TwilioStandIn

pytestmark = pytest.mark.integration

PUBLIC = "https://dialer.example.test/webhooks/twilio"
CALLER_ID = "+16145550199"
CUSTOMER = "+16145550101"
OTHER_CUSTOMER = "+16145550102"
OUTSIDE = "+16145550177"  # a transfer target outside the firm
ALICE = tel.AgentLeg("user:7", "twilio_client", "alice.desk", CALLER_ID)
BOB = tel.AgentLeg("user:8", "twilio_client", "bob_desk", CALLER_ID)


@pytest.fixture
def twilio(monkeypatch: pytest.MonkeyPatch) -> Iterator[TwilioStandIn]:
    for name in ("NO_PROXY", "no_proxy"):
        monkeypatch.setenv(name, "127.0.0.1,localhost")
    standin = TwilioStandIn()
    standin.start()
    yield standin
    standin.stop()


class Desk:
    """The adapter, serving its webhooks, and every event it reported."""

    def __init__(self, twilio: TwilioStandIn) -> None:
        assert twilio.server is not None
        self.twilio = twilio
        self.adapter = TwilioTelephony(
            account_sid=ACCOUNT,
            auth_token=TOKEN,
            webhook_base_url=PUBLIC,
            base_url=f"http://127.0.0.1:{twilio.server.server_address[1]}",
            cps=1000.0,
            listen=("127.0.0.1", 0),
        )
        self.seen: list[tel.CallEvent] = []
        self._task: asyncio.Task[None] | None = None

    async def __aenter__(self) -> Desk:
        await self.adapter.start()
        assert self.adapter.server is not None
        host, port = self.adapter.server.address
        self.twilio.deliver_to = f"http://{host}:{port}"
        self._task = asyncio.create_task(self._collect())
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.adapter.close()
        assert self._task is not None
        await asyncio.wait_for(self._task, 5)

    async def _collect(self) -> None:
        async for event in self.adapter.events():
            self.seen.append(event)

    async def until(self, kind: str, detail: str | None = None, timeout: float = 10) -> Any:
        """The first event of ``kind`` (with ``detail``), waiting for it."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for event in self.seen:
                if event.kind == kind and (detail is None or event.detail == detail):
                    return event
            await asyncio.sleep(0.01)
        raise AssertionError(f"no {kind} {detail or ''} in {self.seen}")

    def kinds(self) -> list[tuple[str, str, str | None]]:
        return [(e.call_id, e.kind, e.detail) for e in self.seen]

    async def customer(self, call_id: str, to: str = CUSTOMER) -> Call:
        """Dial a person and wait until they answered."""
        dial = tel.Dial(call_id, to, CALLER_ID, 25, detect_machine=False)
        await self.adapter.dial(dial)
        await self.until_call(call_id, tel.ANSWERED)
        return self.call_to(to)

    async def until_call(self, call_id: str, kind: str) -> tel.CallEvent:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            for event in self.seen:
                if event.call_id == call_id and event.kind == kind:
                    return event
            await asyncio.sleep(0.01)
        raise AssertionError(f"no {kind} for {call_id} in {self.seen}")

    def call_to(self, to: str) -> Call:
        return next(c for c in self.twilio.calls.values() if c.to == to)

    async def login(self, leg: tel.AgentLeg) -> Call:
        await self.adapter.agent_login(leg)
        await self.until(tel.AGENT_UP, leg.agent)
        return self.call_to(f"client:{leg.address}")


def members(twilio: TwilioStandIn, room: str) -> set[str]:
    found = twilio.rooms.get(room)
    return set() if found is None else set(found.members)


async def settled(check: Any, timeout: float = 5) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "the stand-in never reached the expected state"
        await asyncio.sleep(0.01)


def joins(twilio: TwilioStandIn) -> list[tuple[str, str]]:
    """(room, CallSid) of every participant-join delivered, in order."""
    return [
        (d.params["FriendlyName"], d.params["CallSid"])
        for d in twilio.delivered
        if d.params.get("StatusCallbackEvent") == "participant-join"
    ]


# --- the agent's leg -------------------------------------------------------------------------


def test_logging_in_calls_the_client_identity_into_a_room_named_for_the_agent(
    twilio: TwilioStandIn,
) -> None:
    async def main() -> None:
        async with Desk(twilio) as desk:
            leg = await desk.login(ALICE)
            assert leg.to == "client:alice.desk"
            assert leg.one("From") == CALLER_ID
            assert leg.one("StatusCallback") == f"{PUBLIC}/agent?agent=user%3A7"
            (noun,) = ET.fromstring(leg.one("Twiml")).iter("Conference")
            assert noun.text == "agent-7"
            assert noun.get("startConferenceOnEnter") == "true"
            assert noun.get("endConferenceOnExit") == "true"
            assert noun.get("beep") == "false" and noun.get("waitUrl") == ""
            assert noun.get("statusCallback") == f"{PUBLIC}/conference?room=agent-7"
            assert "join" in (noun.get("statusCallbackEvent") or "").split()
            assert members(twilio, "agent-7") == {leg.sid}
            up = await desk.until(tel.AGENT_UP)
            assert (up.call_id, up.detail) == ("", "user:7")
            await settled(lambda: ("agent-7", leg.sid) in joins(twilio))
            await desk.adapter.agent_login(ALICE)  # already open: no second leg
            await asyncio.sleep(0.1)
            assert [c.to for c in twilio.calls.values()] == ["client:alice.desk"]

    asyncio.run(main())


def test_the_agent_is_up_only_once_the_room_reports_the_join(twilio: TwilioStandIn) -> None:
    twilio.join_report_delay_s = 0.6

    async def main() -> None:
        async with Desk(twilio) as desk:
            await desk.adapter.agent_login(ALICE)
            leg = desk.call_to("client:alice.desk")
            await settled(lambda: leg.status == "in-progress")
            await asyncio.sleep(0.2)  # answered, in the room, not reported yet
            assert tel.AGENT_UP not in [e.kind for e in desk.seen]
            await desk.until(tel.AGENT_UP, "user:7")

    asyncio.run(main())


def test_an_agent_hanging_up_is_agent_down_and_ends_the_customer_in_their_room(
    twilio: TwilioStandIn,
) -> None:
    async def main() -> None:
        async with Desk(twilio) as desk:
            leg = await desk.login(ALICE)
            customer = await desk.customer("c1")
            await desk.adapter.bridge("c1", "user:7")
            await desk.until(tel.BRIDGED, "user:7")
            twilio.hang_up(leg.sid)
            down = await desk.until(tel.AGENT_DOWN)
            assert (down.call_id, down.detail) == ("", "user:7")
            await desk.until_call("c1", tel.HANGUP)  # the room ended with its owner
            await settled(lambda: customer.status == "completed")
            with pytest.raises(TelephonyError, match="no open leg"):
                await desk.adapter.bridge("c1", "user:7")

    asyncio.run(main())


def test_logging_out_ends_the_leg_and_reports_agent_down(twilio: TwilioStandIn) -> None:
    async def main() -> None:
        async with Desk(twilio) as desk:
            leg = await desk.login(ALICE)
            await desk.adapter.agent_logout("user:7")
            await desk.until(tel.AGENT_DOWN, "user:7")
            await settled(lambda: leg.status == "completed")
            assert ("Status", ["completed"]) in [
                next(iter(f.items())) for p, f in twilio.updates if leg.sid in p
            ]
            await desk.adapter.agent_logout("user:7")  # none open: nothing to do
            await desk.adapter.agent_logout("user:99")

    asyncio.run(main())


def test_an_agent_leg_of_another_kind_or_identity_is_refused_before_any_request(
    twilio: TwilioStandIn,
) -> None:
    async def main() -> None:
        async with Desk(twilio) as desk:
            with pytest.raises(TelephonyError, match="sip agent legs are not supported"):
                await desk.adapter.agent_login(tel.AgentLeg("user:7", "sip", "sip:a@pbx.test"))
            with pytest.raises(TelephonyError, match="not a Twilio Client identity"):
                await desk.adapter.agent_login(
                    tel.AgentLeg("user:7", "twilio_client", "alice&To=+15550100")
                )
            assert twilio.requests == []

    asyncio.run(main())


# --- bridging a customer into the agent's room -------------------------------------------------


def test_a_bridge_is_reported_only_when_the_room_reports_the_customer_joined(
    twilio: TwilioStandIn,
) -> None:
    async def main() -> None:
        async with Desk(twilio) as desk:
            await desk.login(ALICE)
            customer = await desk.customer("c1")
            twilio.join_report_delay_s = 0.6
            await desk.adapter.bridge("c1", "user:7")
            (path, form) = twilio.updates[-1]
            assert path.endswith(f"/Calls/{customer.sid}.json")
            (noun,) = ET.fromstring(form["Twiml"][0]).iter("Conference")
            assert noun.text == "agent-7"
            assert noun.get("startConferenceOnEnter") == "false"
            assert noun.get("endConferenceOnExit") == "false"  # the agent stays on after
            await settled(lambda: customer.sid in members(twilio, "agent-7"))
            await asyncio.sleep(0.2)  # in the room, its join not reported yet
            assert tel.BRIDGED not in [e.kind for e in desk.seen]
            bridged = await desk.until(tel.BRIDGED)
            assert (bridged.call_id, bridged.detail) == ("c1", "user:7")
            await settled(lambda: ("agent-7", customer.sid) in joins(twilio))

    asyncio.run(main())


def test_when_the_customer_hangs_up_the_agent_stays_in_the_room_for_the_next(
    twilio: TwilioStandIn,
) -> None:
    async def main() -> None:
        async with Desk(twilio) as desk:
            leg = await desk.login(ALICE)
            first = await desk.customer("c1")
            await desk.adapter.bridge("c1", "user:7")
            await desk.until(tel.BRIDGED)
            twilio.hang_up(first.sid)
            await desk.until_call("c1", tel.HANGUP)
            await asyncio.sleep(0.2)
            assert members(twilio, "agent-7") == {leg.sid}
            assert leg.status == "in-progress"
            assert tel.AGENT_DOWN not in [e.kind for e in desk.seen]
            second = await desk.customer("c2", OTHER_CUSTOMER)
            await desk.adapter.bridge("c2", "user:7")
            await desk.until_call("c2", tel.BRIDGED)
            assert members(twilio, "agent-7") == {leg.sid, second.sid}

    asyncio.run(main())


def test_a_second_customer_for_an_agent_on_a_call_is_refused_not_conferenced(
    twilio: TwilioStandIn,
) -> None:
    async def main() -> None:
        async with Desk(twilio) as desk:
            leg = await desk.login(ALICE)
            first = await desk.customer("c1")
            await desk.adapter.bridge("c1", "user:7")
            second = await desk.customer("c2", OTHER_CUSTOMER)
            with pytest.raises(TelephonyError, match="user:7 is on another call"):
                await desk.adapter.bridge("c2", "user:7")  # even before c1's join is reported
            await desk.until(tel.BRIDGED)
            await settled(lambda: members(twilio, "agent-7") == {leg.sid, first.sid})
            assert second.room is None

    asyncio.run(main())


def test_the_flow_hanging_up_a_bridged_customer_leaves_the_agent_up(
    twilio: TwilioStandIn,
) -> None:
    async def main() -> None:
        async with Desk(twilio) as desk:
            leg = await desk.login(ALICE)
            await desk.customer("c1")
            await desk.adapter.bridge("c1", "user:7")
            await desk.until(tel.BRIDGED)
            await desk.adapter.hangup("c1")
            await desk.until_call("c1", tel.HANGUP)
            await asyncio.sleep(0.2)
            assert members(twilio, "agent-7") == {leg.sid}
            assert tel.AGENT_DOWN not in [e.kind for e in desk.seen]

    asyncio.run(main())


def test_an_unsigned_room_callback_is_refused_and_reports_nothing(
    twilio: TwilioStandIn,
) -> None:
    async def main() -> None:
        async with Desk(twilio) as desk:
            await desk.login(ALICE)
            await desk.customer("c1")
            customer = desk.call_to(CUSTOMER)
            form = {"StatusCallbackEvent": "participant-join", "CallSid": customer.sid,
                    "ConferenceSid": "CF" + "0" * 32, "FriendlyName": "agent-7"}  # fmt: skip
            forged = {"X-Twilio-Signature": "bm90IHNpZ25lZA=="}
            request = Request(twilio.deliver_to + "/conference?room=agent-7",
                              data=urlencode(form).encode(), headers=forged)  # fmt: skip
            with pytest.raises(HTTPError) as refused:
                urlopen(request, timeout=5)
            refused.value.close()
            assert refused.value.code == 403
            await asyncio.sleep(0.1)
            assert tel.BRIDGED not in [e.kind for e in desk.seen]

    asyncio.run(main())


# --- transfers --------------------------------------------------------------------------------


async def bridged_with_two_agents(desk: Desk) -> tuple[Call, Call, Call]:
    alice, bob = await desk.login(ALICE), await desk.login(BOB)
    customer = await desk.customer("c1")
    await desk.adapter.bridge("c1", "user:7")
    await desk.until(tel.BRIDGED, "user:7")
    return alice, bob, customer


def test_a_cold_transfer_to_an_agent_moves_the_customer_into_their_room(
    twilio: TwilioStandIn,
) -> None:
    async def main() -> None:
        async with Desk(twilio) as desk:
            alice, bob, customer = await bridged_with_two_agents(desk)
            await desk.adapter.transfer("c1", "user:8", warm=False)
            moved = await desk.until(tel.TRANSFERRED)
            assert (moved.call_id, moved.detail) == ("c1", "cold:user:8")
            assert members(twilio, "agent-8") == {bob.sid, customer.sid}
            assert members(twilio, "agent-7") == {alice.sid}  # nailed up, free again
            await settled(lambda: ("agent-8", customer.sid) in joins(twilio))
            assert [e.kind for e in desk.seen].count(tel.BRIDGED) == 1
            # the customer is now with bob: a further transfer starts from bob's room
            await desk.adapter.transfer("c1", "user:7", warm=False)
            await desk.until(tel.TRANSFERRED, "cold:user:7")

    asyncio.run(main())


def test_a_warm_transfer_to_an_agent_adds_them_to_the_room_then_moves_the_first_away(
    twilio: TwilioStandIn,
) -> None:
    async def main() -> None:
        async with Desk(twilio) as desk:
            alice, bob, customer = await bridged_with_two_agents(desk)
            await desk.adapter.transfer("c1", "user:8", warm=True)
            moved = await desk.until(tel.TRANSFERRED)
            assert (moved.call_id, moved.detail) == ("c1", "warm:user:8")
            # the first agent stopped owning the room before the target joined it
            (path, form) = next((p, f) for p, f in twilio.updates if "/Participants/" in p)
            assert path.endswith(f"/Participants/{alice.sid}.json")
            assert form["EndConferenceOnExit"] == ["false"]
            await settled(lambda: members(twilio, "agent-7") == {customer.sid, bob.sid})
            await settled(lambda: members(twilio, "agent-7-1") == {alice.sid})
            assert twilio.rooms["agent-7"].members[bob.sid] is True  # bob owns it now
            assert tel.AGENT_DOWN not in [e.kind for e in desk.seen]
            assert alice.status == bob.status == customer.status == "in-progress"
            # bob hanging up ends the customer's call; alice stays up in her new room
            twilio.hang_up(bob.sid)
            await desk.until(tel.AGENT_DOWN, "user:8")
            await desk.until_call("c1", tel.HANGUP)
            await asyncio.sleep(0.1)
            assert members(twilio, "agent-7-1") == {alice.sid}
            third = await desk.customer("c3", OTHER_CUSTOMER)
            await desk.adapter.bridge("c3", "user:7")
            await desk.until_call("c3", tel.BRIDGED)
            assert members(twilio, "agent-7-1") == {alice.sid, third.sid}

    asyncio.run(main())


def test_a_cold_transfer_to_a_number_dials_it_in_place_of_the_room(
    twilio: TwilioStandIn,
) -> None:
    async def main() -> None:
        async with Desk(twilio) as desk:
            alice, _, customer = await bridged_with_two_agents(desk)
            await desk.adapter.transfer("c1", OUTSIDE, warm=False)
            moved = await desk.until(tel.TRANSFERRED)
            assert (moved.call_id, moved.detail) == ("c1", f"cold:{OUTSIDE}")
            (path, form) = twilio.updates[-1]
            assert path.endswith(f"/Calls/{customer.sid}.json")
            dial = ET.fromstring(form["Twiml"][0]).find("Dial")
            assert dial is not None and dial.get("callerId") == CALLER_ID
            assert dial.findtext("Number") == OUTSIDE
            await settled(lambda: members(twilio, "agent-7") == {alice.sid})

    asyncio.run(main())


def test_a_warm_transfer_to_a_number_adds_a_participant_then_moves_the_agent_away(
    twilio: TwilioStandIn,
) -> None:
    twilio.callees[OUTSIDE] = Callee("human", ring_s=0.3)

    async def main() -> None:
        async with Desk(twilio) as desk:
            alice, _, customer = await bridged_with_two_agents(desk)
            await desk.adapter.transfer("c1", OUTSIDE, warm=True)
            await asyncio.sleep(0.15)  # ringing: the agent is still with the customer
            assert tel.TRANSFERRED not in [e.kind for e in desk.seen]
            assert alice.sid in members(twilio, "agent-7")
            moved = await desk.until(tel.TRANSFERRED)
            assert (moved.call_id, moved.detail) == ("c1", f"warm:{OUTSIDE}")
            form = next(f for p, f in twilio.updates if p.endswith("Participants.json"))
            assert form["To"] == [OUTSIDE] and form["From"] == [CALLER_ID]
            assert form["EndConferenceOnExit"] == ["true"]
            outside = desk.call_to(OUTSIDE)
            await settled(lambda: members(twilio, "agent-7") == {customer.sid, outside.sid})
            await settled(lambda: members(twilio, "agent-7-1") == {alice.sid})

    asyncio.run(main())


def test_a_transfer_of_a_call_not_with_an_agent_or_to_a_bad_target_is_refused(
    twilio: TwilioStandIn,
) -> None:
    async def main() -> None:
        async with Desk(twilio) as desk:
            await desk.login(ALICE)
            await desk.customer("c1")
            with pytest.raises(TelephonyError, match="not bridged to an agent"):
                await desk.adapter.transfer("c1", "user:8", warm=False)
            await desk.adapter.bridge("c1", "user:7")
            await desk.until(tel.BRIDGED)
            with pytest.raises(TelephonyError, match="user:8 has no open leg"):
                await desk.adapter.transfer("c1", "user:8", warm=True)
            with pytest.raises(TelephonyError, match="with user:7 already"):
                await desk.adapter.transfer("c1", "user:7", warm=False)
            with pytest.raises(TelephonyError, match=r"user:ID or an E\.164 number"):
                await desk.adapter.transfer("c1", "sip:x@evil.test", warm=False)
            with pytest.raises(TelephonyError, match="not placed by this adapter"):
                await desk.adapter.transfer("zz", "user:7", warm=False)
            assert tel.TRANSFERRED not in [e.kind for e in desk.seen]

    asyncio.run(main())


# --- the desk's Access Token -------------------------------------------------------------------

KEY_SID = "SK" + "4b" * 16
APP_SID = "AP" + "7d" * 16
KEY_SECRET = "a1b2c3d4" * 4  # an API key secret is 32 characters
NOW = datetime(2026, 12, 2, 15, 0, tzinfo=UTC)


@dataclass
class Api:
    client: TestClient
    store: Store
    tokens: dict[str, str]  # "agent" / "agent2" / "admin" -> bearer token
    users: dict[str, int]

    def headers(self, who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[who]}"}

    def token(self, who: str, method: str = "GET") -> Any:
        return self.client.request(method, "/desk/twilio/token", headers=self.headers(who))


@pytest.fixture
def api(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Api]:
    monkeypatch.setenv("LEXDIAL_TWILIO_ACCOUNT_SID", ACCOUNT)
    settings = Settings(policy=Policy(), firm_name="Hartwell & Ruiz LLP")
    telephony = replace(settings.telephony, twilio_api_key_sid=KEY_SID,
                        twilio_api_key_secret=KEY_SECRET, twilio_twiml_app_sid=APP_SID)  # fmt: skip
    settings = replace(settings, telephony=telephony)
    store = init_store(settings, {"LEXDIAL_DATA_DIR": str(tmp_path / "data")}, now=NOW)
    tokens, users = {}, {}
    with store.db.begin() as conn:
        uow = SqlUnitOfWork(conn)
        for who, role in (("agent", "agent"), ("agent2", "agent"), ("admin", "admin")):
            uid = add_user(uow, store.cipher, store.firm_id, f"{who}@firm.test", who.title(),
                           role, NOW, audit=store.audit, caller=OPERATOR)  # fmt: skip
            tokens[who] = issue_token(uow, store.audit, uid, "tests", OPERATOR, NOW).token
            users[who] = uid
        add_endpoint(uow, users["agent"], "sip", "sip:1001@pbx.example.com", NOW,
                     audit=store.audit, caller=OPERATOR, firm_id=store.firm_id)  # fmt: skip
        add_endpoint(uow, users["agent"], "twilio_client", "alice.desk", NOW,
                     audit=store.audit, caller=OPERATOR, firm_id=store.firm_id)  # fmt: skip
        add_endpoint(uow, users["agent2"], "twilio_client", "bob_desk", NOW,
                     audit=store.audit, caller=OPERATOR, firm_id=store.firm_id)  # fmt: skip
    app = create_app(store, clock=lambda: NOW, dial=False)
    with TestClient(app) as client:
        yield Api(client, store, tokens, users)
    store.db.dispose()


def issued_entries(api: Api) -> list[tuple[str, str, str]]:
    log = t.audit_log.c
    query = (
        select(log.actor, log.subject, log.data)
        .where(log.action == "desk.twilio_token_issued")
        .order_by(log.seq)
    )
    with api.store.db.connect() as conn:
        return [(a, s, d) for a, s, d in conn.execute(query)]


def test_an_agent_gets_a_token_for_their_own_identity_with_twilios_documented_claims(
    api: Api,
) -> None:
    for method in ("GET", "POST"):
        res = api.token("agent", method)
        assert res.status_code == 200, res.text
        assert res.headers["cache-control"] == "no-store"
        body = res.json()
        assert (body["identity"], body["ttl_s"]) == ("alice.desk", 3600)
        header = jwt.get_unverified_header(body["token"])
        assert header == {"alg": "HS256", "typ": "JWT", "cty": "twilio-fpa;v=1"}
        claims = jwt.decode(body["token"], KEY_SECRET, algorithms=["HS256"])
        assert claims["iss"] == KEY_SID and claims["sub"] == ACCOUNT
        assert claims["jti"].startswith(f"{KEY_SID}-")
        assert claims["grants"] == {
            "identity": "alice.desk",
            "voice": {"incoming": {"allow": True}, "outgoing": {"application_sid": APP_SID}},
        }
        assert 0 < claims["exp"] - time.time() <= 3600
        with pytest.raises(jwt.InvalidSignatureError):  # signed with the key secret only
            jwt.decode(body["token"], TOKEN + "x" * 8, algorithms=["HS256"])
    other = api.token("agent2").json()
    assert (
        jwt.decode(other["token"], KEY_SECRET, algorithms=["HS256"])["grants"]["identity"]
        == "bob_desk"
    )


def test_a_token_is_refused_to_anyone_without_an_identity_and_names_none_in_the_request(
    api: Api,
) -> None:
    res = api.token("admin")  # an admin without a twilio_client endpoint
    assert res.status_code == 404, res.text
    assert res.json()["error"]["field"] == "endpoint"
    assert api.client.get("/desk/twilio/token").status_code == 401
    # nothing in the request can choose another agent's identity
    res = api.client.get("/desk/twilio/token?identity=bob_desk", headers=api.headers("agent"))
    assert res.json()["identity"] == "alice.desk"
    res = api.client.post("/desk/twilio/token", json={"identity": "bob_desk"},
                          headers=api.headers("agent"))  # fmt: skip
    assert res.json()["identity"] == "alice.desk"


def test_every_token_issued_is_audited_without_the_token_or_the_identity(api: Api) -> None:
    first = api.token("agent").json()["token"]
    api.token("agent2")
    api.token("admin")  # refused: not audited as issued
    entries = issued_entries(api)
    agent, agent2 = api.users["agent"], api.users["agent2"]
    assert [(actor, subject) for actor, subject, _ in entries] == [
        (f"user:{agent}", f"user:{agent}"),
        (f"user:{agent2}", f"user:{agent2}"),
    ]
    for _, _, data in entries:
        assert first not in str(data) and "alice.desk" not in str(data)
        assert "ttl_s" in str(data) and "endpoint" in str(data)


def test_without_the_api_key_settings_the_token_route_says_what_is_missing(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("LEXDIAL_TWILIO_ACCOUNT_SID")
    res = api.token("agent")
    assert res.status_code == 503, res.text
    assert "LEXDIAL_TWILIO_ACCOUNT_SID" in res.json()["error"]["message"]
    assert "token" not in res.json()
    assert issued_entries(api) == []


def test_the_softphone_and_the_vendored_sdk_are_served_without_logging_in(api: Api) -> None:
    phone = api.client.get("/static/twilio_phone.js")
    assert phone.status_code == 200 and "javascript" in phone.headers["content-type"]
    assert "/desk/twilio/token" in phone.text and "tokenWillExpire" in phone.text
    sdk = api.client.get("/static/twilio-voice.min.js")
    assert sdk.status_code == 200
    assert sdk.text.startswith("/*! @twilio/voice-sdk.js 2.18.5")
    assert "Apache License, Version 2.0" in sdk.text[:5000]


def test_the_webhooks_say_which_callbacks_are_theirs_so_a_web_app_can_route_them(
    twilio: TwilioStandIn,
) -> None:
    async def main() -> None:
        async with Desk(twilio) as desk:
            hooks = desk.adapter.webhooks
            assert not hooks.owns({"agent": "user:7"}) and not hooks.owns({"room": "agent-7"})
            await desk.login(ALICE)
            await desk.customer("c1")
            assert hooks.owns({"agent": "user:7"}) and hooks.owns({"room": "agent-7"})
            assert hooks.owns({"call": "c1"})
            assert not hooks.owns({"agent": "user:8"}) and not hooks.owns({"call": "c9"})
            assert not hooks.owns({"room": "agent-8"}) and not hooks.owns({})

    asyncio.run(main())
