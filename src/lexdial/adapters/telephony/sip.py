"""SIP: calls to a trunk through baresip (Debian ``baresip-core`` 1.0.0) from asyncio.

Rule 1: one baresip process per call in progress (a *line*, reused for the next call).
baresip 1.0.0 switches the audio source of every call in a process at once (``/ausrc``
loops over all calls), and plays a file only from its start, so per-call prompts at
times the call flow chooses need a process each. Lines start on demand (``prewarm`` at
``start``), up to ``channels``; each gets its own config directory, control port and a
SIP port the kernel picks, all on ``local_ip`` (127.0.0.1 by default).
Rule 2: a call's audio source is a long silence until ``play``; a prompt file carries
padding (``tts.PAD_S``) because baresip hangs up when its source file ends. baresip 1.0.0
reports no end of playback, so PLAYED comes from a timer on the prompt's known duration,
and the call then goes back to silence.
Rule 3: ``bridge`` is a blind transfer (SIP REFER to the agent's URI): the trunk calls the
agent and our leg ends (HANGUP, detail ``transferred``). Mixing two legs in baresip 1.0.0
is not possible for the same reason as rule 1.
Rule 4: answering-machine detection (``amd=True``) reads the received audio baresip's
``sndfile`` filter writes per call and runs ``amd.AmdDetector`` on it; the files hold
the callee's voice and are deleted when the call ends. Without detection (or for a
``Dial`` with ``detect_machine=False``) HUMAN follows ANSWERED at once.
Rule 5: the number is dialled as ``sip:<number>@<trunk>``, in the trunk's number format
(E.164 with '+' by default), and the caller ID is the From user with the trunk's display
name (one baresip UA per caller ID); numbers are personal data: logs name call ids.
Rule 6: the trunk (``sip_trunk.Trunk``: bind and public addresses, transport, outbound
proxy, digest credentials, registration, DNS) shapes every line's config; a line of a
registering trunk is used only once its REGISTER succeeded (else the dial fails with
the trunk's reason, ``explain_register``), and line ``n`` listens on ``sip_port + n - 1``.

Limits: baresip 1.0.0 binds its RTP sockets to all interfaces (hard-coded; SIP uses the
trunk's ``bind_address``, SDP its ``public_address`` or else the same), so on a real host
the ``rtp_ports`` range belongs behind a firewall. It cannot send P-Asserted-Identity, and
does not verify a TLS trunk's certificate. A registration that fails later (a refresh)
is not noticed: the calls then fail with the trunk's answer.
A prompt's ``seconds`` is not used: PLAYED follows the prepared file's real duration.
"""

from __future__ import annotations

import asyncio
import logging
import re
import shutil
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path

from lexdial.adapters.telephony.amd import AmdConfig
from lexdial.adapters.telephony.baresip_audio import BaresipCall, LineAudio
from lexdial.adapters.telephony.baresip_lines import Line, LinePool
from lexdial.adapters.telephony.baresip_wire import Event
from lexdial.adapters.telephony.sip_calls import CallTable, refused, ring_timeout
from lexdial.adapters.telephony.sip_trunk import Trunk
from lexdial.domain import telephony as tel
from lexdial.errors import TelephonyError

log = logging.getLogger(__name__)


class SipTelephony:
    """A ``Telephony`` on a SIP trunk: ``trunk`` is a ``Trunk`` or its ``host:port`` (then
    on ``local_ip``, no credentials); see the module rules.

    The lines are a ``baresip_lines.LinePool``, the calls a ``sip_calls.CallTable``, what
    they hear a ``baresip_audio.LineAudio``; this class turns baresip's events into the
    calls' events.
    """

    timescale: float = 1.0

    def __init__(
        self,
        *,
        trunk: str | Trunk,
        channels: int = 100,
        cps: float = 10.0,
        local_ip: str = "127.0.0.1",
        work_dir: Path | str | None = None,
        amd: bool = True,
        amd_config: AmdConfig | None = None,
        prewarm: int = 1,
        silence_s: float = 60.0,
        rtp_ports: tuple[int, int] = (20000, 59999),
    ) -> None:
        if channels <= 0 or cps <= 0 or silence_s < 10:
            raise ValueError("channels and cps must be positive, silence_s at least 10")
        if isinstance(trunk, str):
            trunk = Trunk(address=trunk, bind_address=local_ip)
        self.sip = trunk
        self.trunk, self.channels, self.cps = trunk.address, channels, cps
        self.local_ip, self.amd, self.amd_config = trunk.bind_address, amd, amd_config
        self.prewarm, self.silence_s, self.rtp_ports = min(prewarm, channels), silence_s, rtp_ports
        self._given_dir = Path(work_dir) if work_dir is not None else None
        self.work_dir = Path()
        self.table: CallTable[BaresipCall] = CallTable(channels=channels, cps=cps, name="sip")
        self.audio = LineAudio(self.table, silence_s=silence_s, amd_config=amd_config)
        self.lines: LinePool[BaresipCall] = LinePool(
            trunk, on_event=self._on_event, on_lost=self._on_lost, rtp_ports=rtp_ports, record=amd
        )

    @property
    def register_timeout_s(self) -> float:
        """How long a registering trunk's line waits for its REGISTER's answer."""
        return self.lines.register_timeout_s

    @register_timeout_s.setter
    def register_timeout_s(self, seconds: float) -> None:
        self.lines.register_timeout_s = seconds

    # --- the Telephony protocol ------------------------------------------------------

    async def start(self) -> None:
        """Make the work directory and start ``prewarm`` baresip processes."""
        self.work_dir = self._given_dir or Path(tempfile.mkdtemp(prefix="lexdial-sip-"))
        self.audio.start(self.work_dir)
        self.table.started = True
        await self.lines.start(self.work_dir, self.audio.silence, self.prewarm)

    async def close(self) -> None:
        """Stop every baresip (its calls end with BYE) and end ``events()``."""
        self.table.started = False
        for call in list(self.table.calls.values()):
            call.cancel()
        self.table.cancel_tasks()
        await self.lines.close()
        self.table.calls.clear()
        if self._given_dir is None and self.work_dir != Path():
            shutil.rmtree(self.work_dir, ignore_errors=True)
        await self.table.close()

    @property
    def pids(self) -> list[int]:
        """Process ids of the running baresip lines (for monitoring and clean-up)."""
        return self.lines.pids

    def events(self) -> AsyncIterator[tel.CallEvent]:
        """Every event of every call placed here, in the order seen."""
        return self.table.events()

    async def dial(self, dial: tel.Dial) -> None:
        """Place the call; a refusal by baresip or the trunk arrives as FAILED/BUSY/..."""
        call = BaresipCall(dial)
        self.table.admit(call)  # holds the channel while we prepare
        try:
            await self.audio.prepare(call)
            await self.table.pace()
            line = call.line = await self.lines.take(call)
        except BaseException:
            self.table.drop(call)
            if call.line is not None:
                self.lines.release(call.line)
            raise
        assert line.proc is not None
        loop = asyncio.get_running_loop()
        call.started = loop.time()
        user = self.sip.caller(dial.caller_id)
        try:
            uri = self.sip.request_uri(dial.to)
        except TelephonyError as exc:  # a number the trunk's format cannot express
            log.warning("call %s: %s", dial.call_id, exc)
            self._end(call, "number format")
            return
        try:
            failed = await line.proc.dial(uri, source=self.audio.silence, user=user)
        except TelephonyError:
            failed = ["dial"]  # no answer from baresip: treat as not placed
        if "dial" in failed:
            log.warning("call %s: baresip refused the dial (line %d)", dial.call_id, line.n)
            self._end(call, "dial refused")
        elif failed:  # placed, but with the wrong caller ID or audio: end it at once
            log.warning("call %s: baresip refused %s; hanging up", dial.call_id, failed)
            call.setup_failed = True
            await self.hangup(dial.call_id)
        elif not call.ended:  # (a fast 486 may already have ended it)
            log.info("call %s: dialled on line %d", dial.call_id, line.n)
            call.timers["ring"] = loop.call_later(dial.ring_timeout_s, self._ring_timeout, call)

    async def play(self, call_id: str, prompt: str) -> None:
        """Switch the call's audio to ``prompt``; PLAYED follows after its duration."""
        await self.audio.play(self._live(call_id), prompt)

    async def bridge(self, call_id: str, agent: str) -> None:
        """Blind-transfer the call (SIP REFER) to ``agent``: a SIP URI or a trunk user."""
        call = self._live(call_id)
        call.cancel("played")
        uri = agent if agent.startswith(("sip:", "sips:")) else self.sip.uri(agent)
        await self._command(call, "transfer", uri)

    async def agent_login(self, leg: tel.AgentLeg) -> None:
        """Refused, never pretended: live agents' nailed-up legs run on the media plane
        (``media_plane``), which keeps the media in this process; this path serves trunks
        the plane cannot (TCP, TLS, REGISTER)."""
        raise TelephonyError(
            f"{leg.kind} agent legs need the media plane: this trunk (TCP, TLS or REGISTER) "
            "runs on baresip, which cannot hold them"
        )

    async def agent_logout(self, agent: str) -> None:
        """No leg is ever open here (``agent_login`` refuses): nothing to close."""

    async def transfer(self, call_id: str, target: str, *, warm: bool) -> None:
        """Refused: no call is ever bridged to an agent's leg here (``agent_login``)."""
        raise TelephonyError("transfers need the media plane; this trunk runs on baresip")

    async def hangup(self, call_id: str) -> None:
        """Hang up (or cancel a call still ringing); HANGUP follows when it is over."""
        call = self.table.calls.get(call_id)
        if call is None or call.ended or call.line is None:
            return  # already over: its last event says how
        call.hangup_requested = True
        call.cancel("played", "silence")
        await self._command(call, "hangup")

    # --- baresip events ----------------------------------------------------------------

    def _on_event(self, line: Line[BaresipCall], event: Event) -> None:
        if line.call is None or line.call.ended:
            return
        call = line.call_event(event)
        if call is None:
            return  # a late event of this line's previous call
        kind, param = str(event.get("type")), str(event.get("param", ""))
        if kind in ("CALL_RINGING", "CALL_PROGRESS") and not call.rang:
            call.rang = True
            self.table.emit(call, tel.RINGING)
        elif kind == "CALL_ESTABLISHED" and not call.hangup_requested:
            call.answered = True
            call.cancel("ring")
            self.table.emit(call, tel.ANSWERED)
            self.audio.answered(call, detect_machine=self.amd and call.dial.detect_machine)
        elif kind == "CALL_DTMF_START":
            self.audio.digit(call, param)
        elif kind == "CALL_TRANSFER_FAILED":
            log.warning("call %s: transfer failed; hanging up", call.call_id)
            self.table.spawn(self.hangup(call.call_id))
        elif kind == "CALL_CLOSED":
            self._end(call, param)

    def _on_lost(self, line: Line[BaresipCall]) -> None:
        if line.call is not None:
            self._end(line.call, "baresip exited")

    def _end(self, call: BaresipCall, reason: str) -> None:
        if call.ended:
            return
        code = int(reason[:3]) if re.match(r"\d{3}\b", reason) else None
        if call.setup_failed:
            kind, detail = tel.FAILED, "dial setup failed"
        elif call.ring_timed_out:
            kind, detail = ring_timeout(call.rang)
        elif call.answered or call.hangup_requested:
            kind, detail = tel.HANGUP, self._why(call, reason)
        else:
            kind, detail = refused(code, reason)
        self.table.emit(call, kind, detail=detail)
        call.ended = True
        call.cancel()
        self.table.drop(call)
        if call.line is not None:
            self.lines.release(call.line)
        log.info("call %s: %s (%s)", call.call_id, kind, detail)

    @staticmethod
    def _why(call: BaresipCall, reason: str) -> str:
        if "transfer" in reason:
            return "transferred"
        if call.hangup_requested:
            return "near end"
        if "reset by peer" in reason:  # baresip's words for the far end's BYE
            return "far end"
        if "end of file" in reason:  # a prompt file ran out: its pad was too short
            return "audio source ended"
        return reason[:60]  # "baresip exited", an RTP timeout, ...

    # --- helpers -------------------------------------------------------------------

    def _ring_timeout(self, call: BaresipCall) -> None:
        if call.answered or call.ended:
            return
        call.ring_timed_out = True
        self.table.spawn(self.hangup(call.call_id))

    async def _command(self, call: BaresipCall, name: str, params: str = "") -> None:
        line = call.line
        if call.ended or line is None or line.proc is None:
            return
        try:
            await line.proc.command(name, params)
        except TelephonyError as exc:
            if not line.alive:
                return  # the process died: _on_lost reported the call's end
            raise TelephonyError(f"call {call.call_id}: {name} failed") from exc

    def _live(self, call_id: str) -> BaresipCall:
        call = self.table.calls.get(call_id)
        if call is None or call.ended or call.line is None:
            raise TelephonyError(f"call {call_id} is not up")
        return call
