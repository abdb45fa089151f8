"""Live agents end to end on SIP: the real dialler, a real store and two SIPps (issue 12).

The store is the one ``init_store`` builds (SQLite, and PostgreSQL when reachable); the
dialler is ``make_dialer(..., desk=True)`` with the agents ``seat_agents`` allows, as the
web runner builds it; the carrier is the media plane with its trunk at a SIPp playing the
called person (it answers, says "Hello?" for 0.6 s, keeps a near-silent line, then talks).
A second SIPp is the agent's phone (their ``sip`` endpoint): it answers the nailed-up
INVITE the dialler sends when the agent logs in at the desk, and talks all along. The
desk's side is played through the desk's services (``service.desk_*``), in worker threads,
on the dialler's clock.

How audio both ways and the connect time are proven: as in ``test_agent_bridge_sipp`` (each
SIPp's answer names an RTP sink of the test, every frame each SIPp sends is unique; the
connect time is counted on the person's own audio timeline, from the greeting's last voiced
frame to the first frame of the person the agent hears; the rule is < 2 s). The
safe-harbor prompt is told by correlation with the same text spoken by the same TTS.
Zero further dials after "asked not to be called" is checked at the wire: the second
campaign's trunk is a UDP socket that must receive nothing.
"""

from __future__ import annotations

import asyncio
import wave
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from sqlalchemy import select
from sqlalchemy import text as sql
from tests.integration.test_reports import EVIDENCE, FIRM, SPEC

from lexdial.adapters.db import tables as t
from lexdial.adapters.db.database import make_engine
from lexdial.adapters.telephony.media_plane import MediaPlaneTelephony
from lexdial.adapters.telephony.tts import render_prompt
from lexdial.bootstrap import Store, init_store, make_dialer, seat_agents
from lexdial.config import Settings
from lexdial.domain.states import AgentState
from lexdial.errors import RequestError
from lexdial.rules.context import Policy
from lexdial.service import (
    desk_callbacks,
    desk_dispositions,
    desk_line_requests,
    desk_presence,
    desk_screen_pop,
    desk_session,
)
from lexdial.service.agent_endpoints import add_endpoint
from lexdial.service.campaign_report import campaign_report
from lexdial.service.campaigns import add_contacts, create_campaign, set_status
from lexdial.service.consent import NewConsent, record_consent
from lexdial.service.contacts import NewContact, add_contact
from lexdial.service.dialer import RunStats
from lexdial.service.repos.desk import DeskSession
from lexdial.service.users import OPERATOR, Caller, add_user, attest_training

from .test_agent_bridge_sipp import GREETING_END, PERSON, _tools, found, frames, heard, pcm
from .test_sip_sipp import RATE, RtpSink, Sipp, best_match, noise, scenario, write_pcap

pytestmark = pytest.mark.integration
__all__ = ["_tools"]  # the fixture, imported to be used here

START = datetime(2026, 12, 2, 15, 0, tzinfo=UTC)  # Wed 10:00 in New York
AGENT_VOICE = noise(30.0, seed=21)  # longer than any call here: every frame unique
HARBOR_TEXT = "Hartwell and Ruiz, 614-555-0199. Sorry we missed you."
LIVE = {
    **SPEC,
    "mode": "progressive",
    "channels": 1,
    "retry": {"max_attempts": 1},
    "message": {"text": SPEC["message"]["text"], "safe_harbor_text": HARBOR_TEXT},
}
#: how long the test waits for anything the dialler does (a loaded 2-core box)
WAIT_S = 25.0


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """A store as ``open_store`` builds it: a SQLite file, or PostgreSQL when reachable."""
    env = {"LEXDIAL_DATA_DIR": str(tmp_path / "data")}
    if request.param == "postgresql":
        env["LEXDIAL_DATABASE_URL"] = request.getfixturevalue("pg_url")
        engine = make_engine(env["LEXDIAL_DATABASE_URL"])
        with engine.begin() as conn:  # each test starts from an empty schema
            conn.execute(sql("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        engine.dispose()
    s = init_store(Settings(policy=Policy(), firm_name=FIRM), env, now=START - timedelta(days=41))
    yield s
    s.db.dispose()


NAMES = ("Maria Lopez", "Tom Reyes")


def _number(i: int) -> str:
    return f"+1614555{1000 + i:04d}"


def _people(store: Store, n: int) -> list[int]:
    """``n`` named clients of the firm, each with a wireless number and express consent."""
    ids, given = [], START - timedelta(days=40)
    with store.unit_of_work() as uow:
        for i in range(n):
            new = NewContact(numbers=((_number(i), "wireless"),), name=NAMES[i],
                             relationship="current_client",
                             address={"country": "US", "state": "OH"})  # fmt: skip
            ids.append(add_contact(uow, store.cipher, store.firm_id, new, given,
                                   audit=store.audit, caller=OPERATOR))  # fmt: skip
            consent = NewConsent(_number(i), "express", ["reminder"], [FIRM], given, EVIDENCE)
            record_consent(uow, store.cipher, store.audit, store.firm_id, consent, OPERATOR, given)
    return ids


def _invites(sipp: Sipp) -> list[str]:
    """The To header of every INVITE the person's SIPp received (its log file)."""
    return [ln for ln in sipp.log_text().splitlines() if ln.startswith("INVITE ")]


def _campaign(store: Store, ids: list[int], name: str) -> int:
    with store.unit_of_work() as uow:
        spec = {**LIVE, "name": name}
        cid = create_campaign(uow, store.audit, store.firm_id, spec, OPERATOR, START)
        add_contacts(uow, store.audit, store.firm_id, cid, ids, OPERATOR, START)
        set_status(uow, store.audit, store.firm_id, cid, "start", OPERATOR, START)
    return cid


def _agent(store: Store, phone: str) -> tuple[int, int]:
    """A trained agent with a ``sip`` endpoint at ``phone``: (user id, endpoint id)."""
    at = START - timedelta(days=2)
    with store.unit_of_work() as uow:
        uid = add_user(uow, store.cipher, store.firm_id, "ada@example.test", "Ada Agent",
                       "agent", at, audit=store.audit, caller=OPERATOR)  # fmt: skip
        attest_training(uow, uid, "TCPA/TSR live calls", at.date(), 365, at, OPERATOR,
                        audit=store.audit, firm_id=store.firm_id)  # fmt: skip
        eid = add_endpoint(uow, uid, "sip", f"sip:ada@{phone}", at, audit=store.audit,
                           caller=OPERATOR, firm_id=store.firm_id)  # fmt: skip
    return uid, eid


@dataclass
class Line:
    """The two SIPps (person, agent's phone), their RTP sinks, the store and the clock."""

    store: Store
    tmp: Path
    agent_calls: int = 1  # nailed-up legs the agent's phone answers (one per login)
    person_sink: RtpSink = field(default_factory=RtpSink)
    agent_sink: RtpSink = field(default_factory=RtpSink)
    person: Sipp | None = None
    phone: Sipp | None = None
    t0: float = 0.0
    sipps: list[Sipp] = field(default_factory=list)
    transports: list[Any] = field(default_factory=list)

    def now(self) -> datetime:
        return START + timedelta(seconds=asyncio.get_running_loop().time() - self.t0)

    async def _sink(self, s: RtpSink) -> int:
        loop = asyncio.get_running_loop()
        transport, _ = await loop.create_datagram_endpoint(lambda: s, local_addr=("127.0.0.1", 0))
        self.transports.append(transport)
        return int(transport.get_extra_info("sockname")[1])

    async def person_sipp(self, name: str, sink: RtpSink) -> Sipp:
        """A SIPp playing a called person (one call), started; its INVITEs are logged."""
        d = self.tmp / name
        d.mkdir()
        pcap = write_pcap(d / "person.pcap", PERSON)
        path = scenario(d, "uas_person_logged.xml", GREETING_PCAP=str(pcap))
        sipp = Sipp(path, d, 1, await self._sink(sink))
        self.sipps.append(sipp)
        await sipp.start()
        return sipp

    async def open(self) -> None:
        self.t0 = asyncio.get_running_loop().time()
        self.person = await self.person_sipp("person", self.person_sink)
        d = self.tmp / "phone"
        d.mkdir()
        pcap = write_pcap(d / "agent.pcap", AGENT_VOICE)
        path = scenario(d, "uas_agent.xml", AGENT_PCAP=str(pcap), BYE_TIMEOUT_MS="90000")
        self.phone = Sipp(path, d, self.agent_calls, await self._sink(self.agent_sink))
        self.sipps.append(self.phone)
        await self.phone.start()

    async def close(self) -> None:
        for s in self.sipps:
            if s.proc is not None and s.proc.returncode is None:
                s.proc.kill()
                await s.proc.wait()
        for tr in self.transports:
            tr.close()

    def dialler(self, cid: int, trunk: str) -> asyncio.Task[RunStats]:
        """The campaign's dialler as the web runner builds it, running until nothing more
        is due within the hour."""
        agents = seat_agents(self.store, cid, START.date(), "sip", desk=True)
        carrier = MediaPlaneTelephony(trunk=trunk, work_dir=self.tmp / f"sip{cid}")
        dialer = make_dialer(self.store, carrier, self.now, agents=agents, desk=True, environ={})
        return asyncio.create_task(dialer.run(cid, until=START + timedelta(hours=1)))


@dataclass
class Desk:
    """One agent at the desk: each action one unit of work, in a worker thread."""

    line: Line
    user_id: int

    @property
    def caller(self) -> Caller:
        return Caller.user(self.user_id)

    async def seat(self) -> DeskSession:
        def work() -> DeskSession:
            with self.line.store.reading() as uow:
                s = desk_session.desk_state(uow, self.caller)
                assert s is not None
                return s

        return await asyncio.to_thread(work)

    async def until(self, what: str, ok: Callable[[DeskSession], bool]) -> DeskSession:
        loop = asyncio.get_running_loop()
        end = loop.time() + WAIT_S
        while not ok(s := await self.seat()):
            assert loop.time() < end, f"the seat never got {what}: {s}"
            await asyncio.sleep(0.05)
        return s

    async def login(self, cid: int, endpoint_id: int) -> DeskSession:
        store, at = self.line.store, self.line.now()

        def work() -> DeskSession:
            with store.unit_of_work() as uow:
                return desk_presence.login(
                    uow, store.audit, self.caller, cid, endpoint_id, at, carrier="sip"
                )

        await asyncio.to_thread(work)
        return await self.until("its leg up", lambda s: s.leg_up)

    async def ready(self) -> DeskSession:
        store, at = self.line.store, self.line.now()

        def work() -> DeskSession:
            with store.unit_of_work() as uow:
                return desk_presence.ready(uow, store.audit, self.caller, at)

        return await asyncio.to_thread(work)

    async def run(self, name: str, *args: Any) -> Any:
        """The desk's use case ``name(uow, <ports>, caller, *args, at)``, its ports by name."""
        store, at = self.line.store, self.line.now()
        table: dict[str, tuple[Callable[..., Any], tuple[Any, ...]]] = {
            "pause": (desk_presence.pause, (store.audit,)),
            "logout": (desk_presence.logout, (store.audit,)),
            "hang_up": (desk_line_requests.hang_up, (store.audit,)),
            "verbal_opt_out": (desk_dispositions.verbal_opt_out, (store.cipher, store.audit)),
            "record_disposition": (
                desk_dispositions.record_disposition,
                (store.cipher, store.audit),
            ),
            "schedule_callback": (
                desk_callbacks.schedule_callback,
                (store.rules, store.cipher, store.audit, store.registry),
            ),
            "screen_pop": (
                desk_screen_pop.screen_pop,
                (store.rules, store.cipher, store.registry),
            ),
        }
        use_case, ports = table[name]

        def work() -> Any:
            with store.unit_of_work() as uow:
                return use_case(uow, *ports, self.caller, *args, at)

        return await asyncio.to_thread(work)


async def _finished(task: asyncio.Task[RunStats]) -> RunStats:
    return await asyncio.wait_for(task, WAIT_S)


def _rows(store: Store, table: Any, **where: Any) -> list[Any]:
    with store.db.connect() as conn:
        q = select(table)
        for k, v in where.items():
            q = q.where(table.c[k] == v)
        return list(conn.execute(q))


def _go(line: Line, body: Callable[[], Any]) -> None:
    async def main() -> None:
        await line.open()
        try:
            await body()
        finally:
            await line.close()

    asyncio.run(asyncio.wait_for(main(), 120))


def test_a_ready_agent_hears_the_person_within_two_seconds_then_dispositions_and_a_callback(
    store: Store, tmp_path: Path
) -> None:
    (contact,) = _people(store, 1)
    cid = _campaign(store, [contact], "Live reminders")
    line = Line(store, tmp_path)
    uid: list[int] = []
    seen: dict[str, Any] = {}

    async def body() -> None:
        assert line.person is not None and line.phone is not None
        agent, endpoint = _agent(store, line.phone.trunk)
        uid.append(agent)
        desk = Desk(line, agent)
        run = line.dialler(cid, line.person.trunk)
        await desk.login(cid, endpoint)
        await desk.ready()
        on_call = await desk.until("a call", lambda s: s.state == AgentState.ON_CALL)
        pop = await desk.run("screen_pop")
        seen["pop"], seen["on_call"] = pop, on_call
        await asyncio.sleep(3.0)  # they talk
        await desk.run("hang_up")
        await desk.until("wrap-up", lambda s: s.state == AgentState.WRAP_UP)
        with pytest.raises(RequestError) as refused:
            await desk.ready()
        seen["refused"] = refused.value
        await desk.run("record_disposition", "callback_requested", "asks for Thursday")
        when = datetime(2026, 12, 3, 11, 0, tzinfo=UTC) + timedelta(hours=5)  # 11:00 in NY
        seen["callback"] = await desk.run("schedule_callback", when)
        await desk.ready()
        await desk.run("logout")
        seen["stats"] = await _finished(run)
        assert await line.person.finish() == 0, line.person.report()
        assert await line.phone.finish() == 0, line.phone.report()
        seen["invites"] = _invites(line.person)

    _go(line, body)
    (agent,) = uid
    stats: RunStats = seen["stats"]
    assert stats.dialled == 1 and stats.outcomes == {"bridged": 1}, stats
    (attempt,) = _rows(store, t.call_attempts)
    assert seen["on_call"].attempt_id == attempt.id
    # the screen pop: the person and the stored decision of this very call
    pop = seen["pop"]
    assert (pop.kind, pop.attempt_id) == ("call", attempt.id)
    assert (pop.contact["id"], pop.contact["name"]) == (contact, NAMES[0])
    # an agent sees the number masked (service.views.sees_full_numbers), and the consent
    (shown,) = pop.contact["numbers"]
    assert pop.contact["number_masked"] and shown != _number(0) and shown[-2:] == "00"
    assert [c["kind"] for c in pop.consents] == ["express"]
    assert pop.decision["recorded"] and pop.decision["verdict"] == "allow"
    assert pop.decision["decision_id"] == attempt.decision_id
    (outcome,) = _rows(store, t.call_outcomes)
    assert (outcome.outcome, outcome.agent_id, outcome.abandoned) == ("bridged", agent, False)
    assert [f"<sip:{_number(0)}@" in x for x in seen["invites"]] == [True]
    # ready refused while the disposition is due, naming the field
    assert seen["refused"].field == "disposition"
    (disp,) = _rows(store, t.call_dispositions)
    assert (disp.attempt_id, disp.user_id, disp.code) == (attempt.id, agent, "callback_requested")
    assert disp.notes_enc and "Thursday" not in disp.notes_enc  # encrypted at rest
    callback = seen["callback"]
    assert disp.callback_at.replace(tzinfo=UTC) == callback.when
    (queued,) = _rows(store, t.campaign_contacts, campaign_id=cid)
    assert (queued.status, queued.next_at.replace(tzinfo=UTC)) == ("retry", callback.when)
    # audio both ways, and the connect time from the greeting's end
    at_agent = heard(line.agent_sink)
    person_frames = found(at_agent, PERSON)
    assert person_frames, "the agent never heard the person"
    connect_s = (person_frames[0] - GREETING_END) * 0.02
    assert 0 < connect_s < 2.0, connect_s
    talk = [p for p in at_agent if p in set(frames(PERSON))]
    assert best_match(PERSON.astype(np.float64), pcm(talk[-RATE // 160 :])) > 0.9
    at_person = heard(line.person_sink)
    agent_frames = found(at_person, AGENT_VOICE)
    assert len(agent_frames) >= 100, len(agent_frames)  # >= 2 s of the agent's voice
    said = [p for p in at_person if p in set(frames(AGENT_VOICE))]
    assert best_match(AGENT_VOICE.astype(np.float64), pcm(said[: RATE // 160])) > 0.9
    print(f"connect from the greeting's end: {connect_s:.2f} s")
    actions = [r.action for r in _rows(store, t.audit_log) if r.subject == f"user:{agent}"]
    for done in ("desk.login", "desk.ready", "desk.call_assigned", "desk.hangup_requested",
                 "desk.disposition", "desk.callback", "desk.logout"):  # fmt: skip
        assert done in actions, (done, actions)


def _spoken(tmp: Path, text: str) -> np.ndarray:
    """``text`` as the media plane speaks it (the same TTS, 8 kHz mono)."""
    path = tmp / "expected.wav"
    render_prompt(text, path, pad_s=0.0)
    with wave.open(str(path)) as w:
        return np.frombuffer(w.readframes(w.getnframes()), dtype="<i2")


def test_with_no_agent_ready_the_person_hears_the_safe_harbor_message_and_it_is_abandoned(
    store: Store, tmp_path: Path
) -> None:
    """Progressive: the dialler dials for the one ready agent, who pauses while it rings;
    when the person answers nobody is ready: the safe-harbor message, an abandoned call."""
    (contact,) = _people(store, 1)
    cid = _campaign(store, [contact], "Live reminders")
    line = Line(store, tmp_path)
    seen: dict[str, Any] = {}

    async def body() -> None:
        assert line.person is not None and line.phone is not None
        agent, endpoint = _agent(store, line.phone.trunk)
        desk = Desk(line, agent)
        run = line.dialler(cid, line.person.trunk)
        await desk.login(cid, endpoint)
        await desk.ready()
        loop = asyncio.get_running_loop()
        end = loop.time() + WAIT_S
        while not await asyncio.to_thread(_rows, store, t.call_attempts):
            assert loop.time() < end, "the dialler never dialled"
            await asyncio.sleep(0.02)
        # the call is ringing (the person answers 0.3 s after the INVITE, then "Hello?")
        await desk.run("pause", "break")
        seen["stats"] = await _finished(run)
        seen["seat"] = await desk.seat()
        assert await line.person.finish() == 0, line.person.report()
        assert await line.phone.finish() == 0, line.phone.report()  # its leg closed at the end

    _go(line, body)
    stats: RunStats = seen["stats"]
    assert stats.dialled == 1 and stats.outcomes == {"abandoned": 1}, stats
    (outcome,) = _rows(store, t.call_outcomes)
    assert (outcome.outcome, outcome.abandoned, outcome.agent_id) == ("abandoned", True, None)
    assert seen["seat"].state == AgentState.PAUSED and seen["seat"].attempt_id is None
    with store.reading() as uow:  # counted in the 30-day abandonment: 1 of 1 live answers
        assert uow.attempts.abandonment_30d(cid, START + timedelta(hours=1)) == (1, 1)
        report = campaign_report(uow, store.firm_id, cid, START + timedelta(hours=1))
    assert (report["abandoned_30d"], report["live_answered_30d"]) == (1, 1)
    assert report["abandonment_rate_30d"] == 1.0
    # the person heard the safe-harbor message; the agent never heard the person
    expected = _spoken(tmp_path, HARBOR_TEXT)
    assert best_match(pcm(heard(line.person_sink)), expected[: RATE * 2]) > 0.9
    assert not found(heard(line.agent_sink), PERSON)


def test_asked_not_to_be_called_on_a_live_call_means_no_further_dial_from_any_campaign(
    store: Store, tmp_path: Path
) -> None:
    """The verbal opt-out during the bridged call; then a campaign made later holds the same
    person and another one (the control: it shows this dialler and trunk do dial): the
    person is gated and denied, only the other one's INVITE reaches the trunk's SIPp."""
    contact, other = _people(store, 2)
    first = _campaign(store, [contact], "Live reminders")
    listed = _campaign(store, [contact], "Case news")  # holds the person before the opt-out
    line = Line(store, tmp_path, agent_calls=2)  # the agent logs in twice
    seen: dict[str, Any] = {}

    async def body() -> None:
        assert line.person is not None and line.phone is not None
        agent, endpoint = _agent(store, line.phone.trunk)
        desk = Desk(line, agent)
        run = line.dialler(first, line.person.trunk)
        await desk.login(first, endpoint)
        await desk.ready()
        await desk.until("a call", lambda s: s.state == AgentState.ON_CALL)
        await asyncio.sleep(1.0)
        seen["opt_out"] = await desk.run("verbal_opt_out")
        await desk.run("hang_up")
        await desk.until("wrap-up", lambda s: s.state == AgentState.WRAP_UP)
        with pytest.raises(RequestError) as again:
            await desk.run("record_disposition", "reached", None)
        seen["again"] = again.value
        await desk.ready()  # the opt-out's disposition stands for the call
        await desk.run("logout")
        seen["first"] = await _finished(run)
        assert await line.person.finish() == 0, line.person.report()
        seen["first_invites"] = _invites(line.person)
        # a campaign made after the opt-out, holding the person and the control
        later = await asyncio.to_thread(_campaign, store, [contact, other], "Marketing")
        seen["later"] = later
        trunk = await line.person_sipp("trunk2", RtpSink())
        run = line.dialler(later, trunk.trunk)
        await desk.login(later, endpoint)
        await desk.ready()
        await desk.until("the control's call", lambda s: s.state == AgentState.ON_CALL)
        await desk.run("hang_up")
        await desk.until("wrap-up", lambda s: s.state == AgentState.WRAP_UP)
        await desk.run("record_disposition", "reached", None)
        await desk.ready()
        seen["later_stats"] = await _finished(run)
        assert await trunk.finish() == 0, trunk.report()
        assert await line.phone.finish() == 0, line.phone.report()
        seen["later_invites"] = _invites(trunk)

    _go(line, body)
    assert seen["first"].outcomes == {"bridged": 1}, seen["first"]
    assert [f"<sip:{_number(0)}@" in x for x in seen["first_invites"]] == [True]
    assert seen["opt_out"].dnc_entry_id is not None
    assert seen["again"].field == "code"
    first_attempt = _rows(store, t.call_attempts, campaign_id=first)[0]
    (disp,) = _rows(store, t.call_dispositions, attempt_id=first_attempt.id)
    assert disp.code == "asked_not_to_call"
    # the campaign that already held the person: its place cancelled at once
    (held,) = _rows(store, t.campaign_contacts, campaign_id=listed)
    assert held.status == "cancelled"
    assert not _rows(store, t.call_attempts, campaign_id=listed)
    # the later campaign: the person gated with an agent ready, denied, never dialled;
    # the control dialled and bridged
    stats: RunStats = seen["later_stats"]
    assert stats.dialled == 1 and stats.outcomes == {"bridged": 1}, stats
    (denied,) = _rows(store, t.call_attempts, campaign_id=seen["later"], contact_id=contact)
    assert denied.verdict == "deny"
    codes = {r["code"] for r in denied.decision["reasons"]}
    assert "INTERNAL_DNC" in codes, codes
    (control,) = _rows(store, t.call_attempts, campaign_id=seen["later"], contact_id=other)
    assert control.verdict == "allow"
    invites = seen["later_invites"]
    assert len(invites) == 1 and f"<sip:{_number(1)}@" in invites[0], invites
    assert not any(_number(0) in x for x in invites)  # no INVITE to the person, ever
