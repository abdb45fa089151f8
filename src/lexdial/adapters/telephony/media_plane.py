"""SIP calls without a process per call: the built-in UA (``sip_ua``) and media plane (``rtp``).

Rule 1: one UDP socket (or TCP/TLS connection) carries every call's SIP, one asyncio
task clocks every call's RTP (``rtp.MediaEngine``), in this process: a call costs a
dialog, a socket and ~20 µs of Python per 20 ms, not a baresip process. ``channels``
bounds the calls up at once.
Rule 2: the events are those of ``sip.SipTelephony``, with the same details (RINGING on
the first 180/183, ANSWERED on 200, BUSY on 486/600/603, NO_ANSWER on 408/480/487 or the
ring timeout, HANGUP "near end"/"far end"/"transferred"), so the dialler cannot tell the
two apart; a ring time without even 100 Trying is FAILED "no response from the trunk" (an
unreachable trunk is the carrier's fault, not a callee's no-answer). PLAYED comes when the
prompt's last packet is sent (no timer guesses), and a prompt plays without the padding
baresip needed.
Rule 3: digits come as RFC 2833 telephone-events on the leg or as SIP INFO
(``application/dtmf-relay`` ``Signal=``, or ``application/dtmf``); DIGIT is reported
only once the call is answered, with ``during <prompt>`` while one plays.
Rule 4: answering-machine detection reads the leg's received audio from memory every
100 ms (``amd_feed.detect_stream``, the same detector and beep watch as the baresip
path); capture stops when detection is over. No file holds a callee's voice.
Rule 5: live agents (``agent_legs``): ``agent_login`` calls the agent's phone once and
keeps that leg up; ``bridge(call, agent)`` connects the call's leg to the agent's idle
leg in the media plane at once (packet for packet, PCMU both sides: no transcoding),
stopping any prompt; BRIDGED (``detail`` the agent) comes only when a packet of audio has
been received from BOTH legs after the connect. An agent without an idle leg is a
``TelephonyError`` (the flow plays the safe-harbor message: abandoned). When the call
ends the agent's leg goes back to idle, still up; when the agent's leg drops mid-call,
AGENT_DOWN is emitted and the call is left to the flow. ``connect``/``disconnect``
bridge any two answered calls of this adapter.
Rule 5b: ``transfer`` (``TRANSFERRED`` detail "warm:TARGET"/"cold:TARGET", when done):
to "user:ID", the bridge moves to that agent's idle leg at once; to a number (through
the trunk) or a ``sip:`` URI (directly), a new outbound leg is placed: cold releases
the agent at once (the person hears silence while it rings), warm keeps the agent with
the person until the target answers; then the person is bridged to the target and the
agent's leg goes back to idle. A target that does not answer is recorded as
TRANSFERRED "failed:warm:TARGET"/"failed:cold:TARGET" (``prompt``: the SIP cause);
after a failed cold transfer the person goes back to the agent if that leg is still
idle. The target's hangup ends the call. Blind SIP REFER is the baresip path's.
Rule 6: every trunk: UDP, TCP or TLS (the certificate verified), IP-authenticated, with
digest on INVITE, or registering (``start`` registers and fails with the trunk's reason,
as ``sip.SipTelephony`` does; a registration lost later fails each dial with its reason
until a refresh succeeds; ``close`` unregisters). The public address goes in
Via/Contact/SDP, the outbound proxy is the next hop; P-Asserted-Identity carries the
caller ID when asked (``p_asserted_identity``).
Numbers are personal data: logs name call ids.

The calls are a ``sip_calls.CallTable``, their SIP side ``plane_signalling``, their
audio ``plane_audio`` on ``rtp.MediaEngine``'s clock; the UA is ``sip_ua``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import shutil
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path

from lexdial.adapters.telephony import tts
from lexdial.adapters.telephony.agent_legs import AgentLine, AgentLines, uri_host_port
from lexdial.adapters.telephony.amd import AmdConfig
from lexdial.adapters.telephony.plane_audio import PlaneAudio, PlaneCall
from lexdial.adapters.telephony.plane_signalling import PlaneSignalling
from lexdial.adapters.telephony.rtp import Leg, MediaEngine, Stats
from lexdial.adapters.telephony.sip_calls import CallTable
from lexdial.adapters.telephony.sip_trunk import Trunk
from lexdial.adapters.telephony.sip_ua import SipUa
from lexdial.domain import telephony as tel
from lexdial.errors import TelephonyError

log = logging.getLogger(__name__)


def supports(trunk: Trunk) -> bool:
    """Whether the built-in UA can reach ``trunk``: every transport, registering or not
    (rule 6); kept for ``bootstrap``, which may still choose baresip."""
    return trunk.transport in ("udp", "tcp", "tls")


class MediaPlaneTelephony:
    """A ``Telephony`` on a SIP trunk with every call in this process (see module rules).

    ``trunk`` is a ``Trunk`` or its ``host:port``; ``prewarm`` and ``silence_s`` are
    accepted for ``SipTelephony``'s callers and mean nothing here (there is nothing to
    start ahead, and silence is generated).
    """

    timescale: float = 1.0
    #: how long a transfer's target may ring before the transfer is recorded failed
    transfer_ring_s: float = 30.0

    def __init__(
        self,
        *,
        trunk: str | Trunk,
        channels: int = 300,
        cps: float = 10.0,
        local_ip: str = "127.0.0.1",
        work_dir: Path | str | None = None,
        amd: bool = True,
        amd_config: AmdConfig | None = None,
        rtp_ports: tuple[int, int] = (20000, 59999),
        prewarm: int = 0,
        silence_s: float = 0.0,
        p_asserted_identity: bool = False,
    ) -> None:
        del prewarm, silence_s
        if channels <= 0 or cps <= 0:
            raise ValueError("channels and cps must be positive")
        if isinstance(trunk, str):
            trunk = Trunk(address=trunk, bind_address=local_ip)
        if not supports(trunk):
            raise ValueError(f"the media plane cannot speak {trunk.transport!r} (rule 6)")
        self.sip = trunk
        self.trunk, self.channels, self.cps = trunk.address, channels, cps
        self.amd, self.amd_config = amd, amd_config
        self._given_dir = Path(work_dir) if work_dir is not None else None
        self.engine = MediaEngine(bind_address=trunk.bind_address, rtp_ports=rtp_ports)
        self.ua = SipUa(trunk, p_asserted_identity=p_asserted_identity)
        self.table: CallTable[PlaneCall] = CallTable(channels=channels, cps=cps, name="media plane")
        self.audio = PlaneAudio(self.table, self.engine, amd_config)
        self.signalling = PlaneSignalling(
            self.ua, self.table, self.audio, detect=amd, end=self._end, hangup=self.hangup
        )
        self.agents = AgentLines(self.ua, self.engine, trunk, self.table.put, self._agent_lost)
        self._prompts: tts.PromptCache | None = None
        self._tmp: Path | None = None

    # --- the Telephony protocol ------------------------------------------------------

    async def start(self) -> None:
        """Resolve the trunk, bind or connect, register if the trunk wants it
        (``TelephonyError`` saying why not); the media clock starts with a call."""
        if self._given_dir is None:
            self._tmp = Path(tempfile.mkdtemp(prefix="lexdial-media-"))
        directory = self._given_dir or self._tmp
        assert directory is not None
        self._prompts = tts.PromptCache(directory / "prompts")
        await self.ua.start()
        self.table.started = True

    async def close(self) -> None:
        """End every call (BYE, or CANCEL if ringing), stop the media, end ``events()``."""
        self.table.started = False
        await self.agents.close()
        live = [c for c in self.table.calls.values() if not c.ended]
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.gather(*(self.hangup(c.call_id) for c in live)), 2.0)
        for call in list(self.table.calls.values()):
            self._end(call, tel.HANGUP, "near end")
        self.table.cancel_tasks()
        await self.engine.close()
        await self.ua.unregister()
        self.ua.close()
        if self._tmp is not None:
            shutil.rmtree(self._tmp, ignore_errors=True)
        await self.table.close()

    @property
    def pids(self) -> list[int]:
        """Child processes (none: everything runs in this process)."""
        return []

    @property
    def stats(self) -> Stats:
        """The media clock's health (``rtp.Stats``)."""
        return self.engine.stats

    def events(self) -> AsyncIterator[tel.CallEvent]:
        """Every event of every call placed here, in the order seen."""
        return self.table.events()

    async def dial(self, dial: tel.Dial) -> None:
        """Place the call; the trunk's refusal arrives as FAILED/BUSY/NO_ANSWER."""
        reg = self.ua.registration
        if reg is not None and reg.problem is not None:
            raise TelephonyError(reg.problem)  # the trunk's reason (rule 6)
        call = PlaneCall(dial)
        self.table.admit(call)
        try:
            assert self._prompts is not None
            await self.audio.prepare(call, self._prompts)
            await self.table.pace()
        except BaseException:
            self.table.drop(call)
            raise
        loop = asyncio.get_running_loop()
        call.started = loop.time()
        try:
            uri = self.sip.request_uri(dial.to)
        except TelephonyError as exc:
            log.warning("call %s: %s", dial.call_id, exc)
            self._end(call, tel.FAILED, "number format")
            return
        try:
            leg = self.audio.open(call)
        except OSError as exc:
            log.warning("call %s: no RTP port (%s)", dial.call_id, exc)
            self._end(call, tel.FAILED, "no RTP port")
            return
        self.signalling.invite(call, uri, self.sip.caller(dial.caller_id), leg)
        log.info("call %s: INVITE sent", dial.call_id)
        call.timers["ring"] = loop.call_later(dial.ring_timeout_s, self._ring_timeout, call)

    async def play(self, call_id: str, prompt: str) -> None:
        """Play ``prompt`` from its start; PLAYED follows when its last packet is sent."""
        self.audio.play(self._live(call_id), prompt)

    async def bridge(self, call_id: str, agent: str) -> None:
        """Connect the call to ``agent``'s idle leg at once; BRIDGED when audio flows both
        ways (rule 5). ``TelephonyError`` if the call is not answered or the agent has no
        idle leg."""
        call = self._live(call_id)
        if not call.answered:
            raise TelephonyError(f"call {call_id} is not answered")
        line = self.agents.idle(agent)
        assert call.leg is not None and line.rtp is not None
        line.call_id = call_id
        self._join(call, line.rtp, agent)

    async def agent_login(self, leg: tel.AgentLeg) -> None:
        """Call the agent's phone and keep the leg up (``agent_legs``); AGENT_UP follows."""
        if not self.table.started:
            raise TelephonyError("the SIP adapter was not started")
        try:
            await self.agents.login(leg)
        except OSError as exc:
            raise TelephonyError("no RTP port is free for the agent's leg") from exc

    async def agent_logout(self, agent: str) -> None:
        """BYE the agent's leg (no-op when none is open); AGENT_DOWN "logged out"."""
        await self.agents.logout(agent)

    async def transfer(self, call_id: str, target: str, *, warm: bool) -> None:
        """Hand the bridged call to ``target`` (rule 5b)."""
        call = self._live(call_id)
        line = self.agents.serving(call_id)
        if line is None:
            raise TelephonyError(f"call {call_id} is not bridged to an agent")
        how = "warm" if warm else "cold"
        if target.startswith("user:"):
            new = self.agents.idle(target)
            assert new.rtp is not None
            self.agents.release(call_id)
            new.call_id = call_id
            self._join(call, new.rtp, target)
            self.table.emit(call, tel.TRANSFERRED, detail=f"{how}:{target}")
            return
        if target.startswith("sip:"):
            uri = target.strip()
            dest: tuple[str, int] | None = uri_host_port(uri)
        else:
            uri, dest = self.sip.request_uri(target), None  # TelephonyError: bad number
        await self._place_target(call, line, uri, dest, f"{how}:{target}", warm=warm)

    async def hangup(self, call_id: str) -> None:
        """Hang up (or CANCEL a call still ringing); HANGUP follows when it is over."""
        call = self.table.calls.get(call_id)
        if call is None or call.ended:
            return
        await self.signalling.hangup(call)

    # --- media-plane bridging (for live agents) ---------------------------------------

    def connect(self, call_a: str, call_b: str) -> None:
        """Bridge two answered calls of this adapter: each hears the other (rule 5)."""
        a, b = self._live(call_a), self._live(call_b)
        if not (a.answered and b.answered) or a.leg is None or b.leg is None:
            raise TelephonyError("both calls must be answered to connect them")
        self.engine.connect(a.leg, b.leg)

    def disconnect(self, call_id: str) -> None:
        """End the call's media bridge; both go back to silence."""
        call = self._live(call_id)
        if call.leg is not None:
            self.engine.disconnect(call.leg)

    # --- helpers ---------------------------------------------------------------------------

    def _join(self, call: PlaneCall, other: Leg, who: str) -> None:
        """Bridge ``call``'s leg to ``other``; BRIDGED ``who`` once both have been heard."""
        leg = call.leg
        assert leg is not None
        leg.stop_playing()
        other.stop_playing()
        self.engine.connect(leg, other)
        waiting = {"call", "other"}

        def heard(side: str) -> None:
            waiting.discard(side)
            if not waiting and not call.ended and leg.peer is other:
                self.table.emit(call, tel.BRIDGED, detail=who)

        leg.on_heard = lambda: heard("call")
        other.on_heard = lambda: heard("other")

    def _agent_lost(self, line: AgentLine) -> None:
        # the agent's phone hung up mid-call: AGENT_DOWN says so; the call stays (rule 5)
        call = self.table.calls.get(line.call_id)
        if call is not None and call.leg is not None:
            call.leg.on_heard = None
            self.engine.disconnect(call.leg)
        line.call_id = ""

    async def _place_target(
        self,
        call: PlaneCall,
        line: AgentLine,
        uri: str,
        dest: tuple[str, int] | None,
        detail: str,
        *,
        warm: bool,
    ) -> None:
        """The transfer's outbound leg to a number or URI (rule 5b)."""
        if dest is not None:
            dest = await self.agents.resolve(*dest)
        dial = tel.Dial(f"{call.call_id}/transfer", "", call.dial.caller_id,
                        self.transfer_ring_s, detect_machine=False)  # fmt: skip
        target = PlaneCall(dial)
        self.table.admit(target)  # TelephonyError: no channel, or one transfer at a time
        target.started = asyncio.get_running_loop().time()
        try:
            leg = self.audio.open(target)
        except OSError as exc:
            self.table.drop(target)
            raise TelephonyError("no RTP port is free for the transfer") from exc
        agent = line.agent
        if not warm:
            self.agents.release(call.call_id)
            assert call.leg is not None
            call.leg.on_heard = None  # the person hears silence while it rings

        def on_event(event: tel.CallEvent) -> None:
            if event.kind == tel.ANSWERED:
                if call.ended:
                    self.table.spawn(self.hangup(target.call_id))
                    return
                self.agents.release(call.call_id)
                self._join(call, leg, detail.split(":", 1)[1])
                self.table.emit(call, tel.TRANSFERRED, detail=detail)
            elif event.kind in (tel.HANGUP, tel.BUSY, tel.NO_ANSWER, tel.FAILED):
                self.table.taps.pop(target.call_id, None)
                if target.answered:  # the target hung up on the person: the call is over
                    if not call.ended:
                        self.table.spawn(self.hangup(call.call_id))
                    return
                if call.ended:  # the person left while it rang: nothing to record on it
                    return
                cause = event.detail or event.kind
                self.table.emit(call, tel.TRANSFERRED, detail=f"failed:{detail}", prompt=cause)
                if not warm:
                    with contextlib.suppress(TelephonyError):  # back to the agent if idle
                        back = self.agents.idle(agent)
                        assert back.rtp is not None
                        back.call_id = call.call_id
                        self._join(call, back.rtp, agent)

        self.table.taps[target.call_id] = on_event
        self.signalling.invite(target, uri, self.sip.caller(call.dial.caller_id), leg, dest=dest)
        loop = asyncio.get_running_loop()
        target.timers["ring"] = loop.call_later(self.transfer_ring_s, self._ring_timeout, target)
        log.info("call %s: transfer leg INVITE sent", call.call_id)

    def _ring_timeout(self, call: PlaneCall) -> None:
        if call.answered or call.ended:
            return
        if call.dialog is not None and not call.dialog.provisional:
            # not even 100 Trying in the whole ring time: the trunk is unreachable (a fault
            # of the carrier, not a callee who did not answer); a late answer is cancelled
            call.hangup_requested = True
            self.ua.cancel(call.dialog)
            self._end(call, tel.FAILED, "no response from the trunk")
            return
        call.ring_timed_out = True
        self.table.spawn(self.hangup(call.call_id))

    def _end(self, call: PlaneCall, kind: str, detail: str) -> None:
        if call.ended:
            return
        self.table.emit(call, kind, detail=detail)
        call.ended = True
        call.cancel()
        if call.leg is not None:
            call.leg.close()
        if call.dialog is not None:
            self.ua.forget(call.dialog)
        self.table.drop(call)
        self.agents.release(call.call_id)  # the agent's leg stays up, idle (rule 5)
        target = self.table.calls.get(f"{call.call_id}/transfer")
        if target is not None and not target.ended:  # the person is gone: so is the target
            self.table.spawn(self.hangup(target.call_id))
        log.info("call %s: %s (%s)", call.call_id, kind, detail)

    def _live(self, call_id: str) -> PlaneCall:
        call = self.table.calls.get(call_id)
        if call is None or call.ended or call.leg is None:
            raise TelephonyError(f"call {call_id} is not up")
        return call


__all__ = ["MediaPlaneTelephony", "supports"]
