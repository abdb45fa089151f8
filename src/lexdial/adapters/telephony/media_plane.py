"""SIP calls without a process per call: the built-in UA (``sip_ua``) and media plane (``rtp``).

Rule 1: one UDP socket carries every call's SIP, one asyncio task clocks every call's RTP
(``rtp.MediaEngine``), in this process: a call costs a dialog, a socket and ~20 µs of
Python per 20 ms, not a baresip process. ``channels`` bounds the calls up at once.
Rule 2: the events are those of ``sip.SipTelephony``, with the same details (RINGING on
the first 180/183, ANSWERED on 200, BUSY on 486/600/603, NO_ANSWER on 408/480/487 or the
ring timeout, HANGUP "near end"/"far end"/"transferred"), so the dialler cannot tell the
two apart; a ring time without even 100 Trying is FAILED "no response from the trunk" (an
unreachable trunk is the carrier's fault, not a callee's no-answer). PLAYED comes when the prompt's last packet is sent (no timer guesses), and
a prompt plays without the padding baresip needed.
Rule 3: digits come as RFC 2833 telephone-events on the leg or as SIP INFO
(``application/dtmf-relay`` ``Signal=``, or ``application/dtmf``); DIGIT is reported
only once the call is answered, with ``during <prompt>`` while one plays.
Rule 4: answering-machine detection reads the leg's received audio from memory every
100 ms (``baresip_ctrl.detect_stream``, the same detector and beep watch as the baresip
path); capture stops when detection is over. No file holds a callee's voice.
Rule 5: ``bridge`` is the blind transfer of the baresip path (REFER, ``transferred`` on
the NOTIFY's 200). ``connect`` bridges two calls of this adapter in the media plane
(an agent's nailed-up leg and a called person): audio flows both ways, lexdial keeps
the media, either leg may play a prompt over it; ``disconnect`` ends it.
Rule 6: trunks over UDP, IP-authenticated or with digest on INVITE; the public address
goes in Via/Contact/SDP, the outbound proxy is the next hop; P-Asserted-Identity carries
the caller ID when asked (``p_asserted_identity``). REGISTER, TCP and TLS are not
spoken: ``bootstrap`` keeps such trunks on ``sip.SipTelephony`` (``supports``).
Numbers are personal data: logs name call ids.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import secrets
import shutil
import tempfile
from collections.abc import AsyncIterator, Coroutine
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lexdial.adapters.telephony import tts
from lexdial.adapters.telephony.amd import AmdConfig
from lexdial.adapters.telephony.baresip_ctrl import detect_stream
from lexdial.adapters.telephony.rtp import Leg, MediaEngine, Stats, ulaw_decode
from lexdial.adapters.telephony.sip_trunk import Trunk
from lexdial.adapters.telephony.sip_ua import Dialog, Message, SipUa, parse_sdp
from lexdial.domain import telephony as tel
from lexdial.errors import TelephonyError

log = logging.getLogger(__name__)

_BUSY = frozenset({486, 600, 603})
_UNANSWERED = frozenset({408, 480, 487})
_DTMF_INFO = re.compile(r"(?im)^\s*signal\s*=\s*([0-9*#A-D])")


def supports(trunk: Trunk) -> bool:
    """Whether the built-in UA can reach ``trunk`` (rule 6)."""
    return trunk.transport == "udp" and not trunk.register


@dataclass(slots=True, eq=False)
class _Call:
    dial: tel.Dial
    files: dict[str, bytes] = field(default_factory=dict)
    leg: Leg | None = None
    dialog: Dialog | None = None
    started: float = 0.0
    rang: bool = False
    answered: bool = False
    ended: bool = False
    hangup_requested: bool = False
    ring_timed_out: bool = False
    timers: dict[str, asyncio.TimerHandle] = field(default_factory=dict)
    amd: asyncio.Task[None] | None = None


class MediaPlaneTelephony:
    """A ``Telephony`` on a SIP trunk with every call in this process (see module rules).

    ``trunk`` is a ``Trunk`` or its ``host:port``; ``prewarm`` and ``silence_s`` are
    accepted for ``SipTelephony``'s callers and mean nothing here (there is nothing to
    start ahead, and silence is generated).
    """

    timescale: float = 1.0

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
            raise ValueError("the media plane speaks SIP over UDP without REGISTER (rule 6)")
        self.sip = trunk
        self.trunk, self.channels, self.cps = trunk.address, channels, cps
        self.amd, self.amd_config = amd, amd_config
        self._given_dir = Path(work_dir) if work_dir is not None else None
        self.engine = MediaEngine(bind_address=trunk.bind_address, rtp_ports=rtp_ports)
        self.ua = SipUa(trunk, p_asserted_identity=p_asserted_identity)
        self._calls: dict[str, _Call] = {}
        self._queue: asyncio.Queue[tel.CallEvent | None] = asyncio.Queue()
        self._prompts: tts.PromptCache | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        self._next_dial_at = 0.0
        self._pace_lock = asyncio.Lock()
        self._started = False
        self._tmp: Path | None = None

    # --- the Telephony protocol ------------------------------------------------------

    async def start(self) -> None:
        """Bind the SIP socket and resolve the trunk; the media clock starts with a call."""
        if self._given_dir is None:
            self._tmp = Path(tempfile.mkdtemp(prefix="lexdial-media-"))
        directory = self._given_dir or self._tmp
        assert directory is not None
        self._prompts = tts.PromptCache(directory / "prompts")
        await self.ua.start()
        self._started = True

    async def close(self) -> None:
        """End every call (BYE, or CANCEL if ringing), stop the media, end ``events()``."""
        self._started = False
        live = [c for c in self._calls.values() if not c.ended]
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(
                asyncio.gather(*(self.hangup(c.dial.call_id) for c in live)), 2.0
            )
        for call in list(self._calls.values()):
            self._end(call, tel.HANGUP, "near end")
        for task in list(self._tasks):
            task.cancel()
        await self.engine.close()
        self.ua.close()
        if self._tmp is not None:
            shutil.rmtree(self._tmp, ignore_errors=True)
        await self._queue.put(None)

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
        return self._events()

    async def dial(self, dial: tel.Dial) -> None:
        """Place the call; the trunk's refusal arrives as FAILED/BUSY/NO_ANSWER."""
        if not self._started:
            raise TelephonyError("the SIP adapter was not started")
        if dial.call_id in self._calls:
            raise TelephonyError(f"call {dial.call_id} is already up")
        if len(self._calls) >= self.channels:
            raise TelephonyError("all channels are busy")
        call = self._calls[dial.call_id] = _Call(dial)
        try:
            assert self._prompts is not None
            for name, spec in dial.prompts.items():
                path, seconds = await self._prompts.get(spec)
                call.files[name] = self.engine.prompt(path, seconds)
            await self._pace()
        except BaseException:
            self._calls.pop(dial.call_id, None)
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
            leg = call.leg = self.engine.open(dial.call_id)
        except OSError as exc:
            log.warning("call %s: no RTP port (%s)", dial.call_id, exc)
            self._end(call, tel.FAILED, "no RTP port")
            return
        leg.on_digit = lambda digit: self._digit(call, digit)
        leg.on_played = lambda prompt: self._played(call, prompt)
        d = call.dialog = self.ua.invite(uri, self.sip.caller(dial.caller_id), self._sdp(leg))
        d.on_response = lambda msg: self._on_response(call, msg)
        d.on_request = lambda msg: self._on_request(call, msg)
        log.info("call %s: INVITE sent", dial.call_id)
        call.timers["ring"] = loop.call_later(dial.ring_timeout_s, self._ring_timeout, call)

    async def play(self, call_id: str, prompt: str) -> None:
        """Play ``prompt`` from its start; PLAYED follows when its last packet is sent."""
        call = self._live(call_id)
        if prompt not in call.files:
            raise TelephonyError(f"call {call_id}: no prompt {prompt!r} was given with the dial")
        if not call.answered:
            raise TelephonyError(f"call {call_id} is not answered")
        assert call.leg is not None
        call.leg.play(prompt, call.files[prompt])

    async def bridge(self, call_id: str, agent: str) -> None:
        """Blind-transfer the call (SIP REFER) to ``agent``: a SIP URI or a trunk user."""
        call = self._live(call_id)
        assert call.dialog is not None and call.leg is not None
        call.leg.stop_playing()
        uri = agent if agent.startswith(("sip:", "sips:")) else self.sip.uri(agent)
        by = re.search(r"<([^>]+)>", call.dialog.from_value)
        extra = [f"Refer-To: <{uri}>"] + ([f"Referred-By: <{by.group(1)}>"] if by else [])
        reply = await self.ua.request(call.dialog, "REFER", extra)
        if reply is None or reply.status >= 300:
            log.warning("call %s: transfer refused; hanging up", call_id)
            await self.hangup(call_id)

    async def hangup(self, call_id: str) -> None:
        """Hang up (or CANCEL a call still ringing); HANGUP follows when it is over."""
        call = self._calls.get(call_id)
        if call is None or call.ended or call.dialog is None:
            return
        first = not call.hangup_requested
        call.hangup_requested = True
        if call.leg is not None:
            call.leg.stop_playing()
        if not call.answered:
            self.ua.cancel(call.dialog)  # its 487 ends the call
            return
        if first:
            await self._bye(call, tel.HANGUP, "near end")

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

    # --- signalling --------------------------------------------------------------------

    def _sdp(self, leg: Leg) -> Any:
        def offer(host: str) -> bytes:
            ip = "IP6" if ":" in host else "IP4"
            host = host.strip("[]")
            sess = secrets.randbelow(1 << 31)
            lines = [
                "v=0", f"o=lexdial {sess} {sess} IN {ip} {host}", "s=lexdial",
                f"c=IN {ip} {host}", "t=0 0", f"m=audio {leg.port} RTP/AVP 0 101",
                "a=rtpmap:0 PCMU/8000", "a=rtpmap:101 telephone-event/8000",
                "a=fmtp:101 0-16", "a=ptime:20", "a=sendrecv",
            ]  # fmt: skip
            return ("\r\n".join(lines) + "\r\n").encode()

        return offer

    def _on_response(self, call: _Call, msg: Message) -> None:
        if call.ended:
            return
        code = msg.status
        if code < 200:
            if code in (180, 183) and not call.rang:
                call.rang = True
                self._emit(call, tel.RINGING)
            return
        if code < 300:
            if call.hangup_requested:  # answered as we cancelled: end it now
                self._spawn_task(self._bye(call, tel.HANGUP, "near end"))
                return
            media = parse_sdp(msg.body)
            if media is None or call.leg is None:
                log.warning("call %s: answered without usable SDP; hanging up", call.dial.call_id)
                call.hangup_requested = True
                self._spawn_task(self._bye(call, tel.FAILED, "no media in the answer"))
                return
            call.leg.start(media.host, media.port, dtmf_pt=media.dtmf_pt)
            call.answered = True
            self._cancel(call, "ring")
            self._emit(call, tel.ANSWERED)
            if self.amd and call.dial.detect_machine:
                call.leg.capture = True
                call.amd = self._spawn_task(self._detect(call))
            else:
                self._emit(call, tel.HUMAN, detail="no detection")
            return
        if call.ring_timed_out:
            kind, detail = tel.NO_ANSWER, "ring timeout" + ("" if call.rang else ", no ringing")
        elif call.hangup_requested:
            kind, detail = tel.HANGUP, "near end"
        elif code in _BUSY:
            kind, detail = tel.BUSY, f"sip {code}"
        elif code in _UNANSWERED:
            kind, detail = tel.NO_ANSWER, f"sip {code}"
        else:
            kind, detail = tel.FAILED, f"sip {code}"
        self._end(call, kind, detail)

    def _on_request(self, call: _Call, msg: Message) -> None:
        if call.ended:
            return
        if msg.method == "BYE":
            self._end(call, tel.HANGUP, "far end")
        elif msg.method == "INFO":
            ctype = (msg.get("content-type") or "").lower()
            body = msg.body.decode("utf-8", "replace")
            m = _DTMF_INFO.search(body) if "dtmf-relay" in ctype else None
            digit = m.group(1) if m else body.strip()[:1] if ctype == "application/dtmf" else ""
            if digit:
                self._digit(call, digit)
        elif msg.method == "NOTIFY" and "refer" in (msg.get("event") or "").lower():
            frag = re.match(rb"\s*SIP/2\.0 (\d{3})", msg.body)
            status = int(frag.group(1)) if frag else 0
            if 200 <= status < 300:
                self._spawn_task(self._bye(call, tel.HANGUP, "transferred"))
            elif status >= 300:
                log.warning("call %s: transfer failed; hanging up", call.dial.call_id)
                self._spawn_task(self.hangup(call.dial.call_id))

    async def _bye(self, call: _Call, kind: str, detail: str) -> None:
        if call.dialog is None or call.ended:
            return
        call.hangup_requested = True
        if call.leg is not None:
            call.leg.stop_playing()
        reply = await self.ua.request(call.dialog, "BYE")
        if reply is None:
            log.warning("call %s: no answer to BYE", call.dial.call_id)
        self._end(call, kind, detail)

    # --- media events ---------------------------------------------------------------------

    def _digit(self, call: _Call, digit: str) -> None:
        if call.ended or not call.answered:
            return
        playing = call.leg.playing if call.leg is not None else None
        self._emit(call, tel.DIGIT, digit=digit, detail=f"during {playing}" if playing else None)

    def _played(self, call: _Call, prompt: str) -> None:
        if not call.ended:
            self._emit(call, tel.PLAYED, prompt=prompt)

    async def _detect(self, call: _Call) -> None:
        leg = call.leg
        assert leg is not None

        def read() -> bytes:
            heard = leg.take_audio()
            return ulaw_decode(heard).astype("<i2").tobytes() if heard else b""

        def report(kind: str, detail: str) -> None:
            if not call.ended:
                self._emit(call, kind, detail=detail)

        try:
            await detect_stream(read, self.amd_config, report, lambda: call.ended)
        finally:
            leg.capture = False
            leg.take_audio()

    # --- helpers ---------------------------------------------------------------------------

    def _ring_timeout(self, call: _Call) -> None:
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
        self._spawn_task(self.hangup(call.dial.call_id))

    def _end(self, call: _Call, kind: str, detail: str) -> None:
        if call.ended:
            return
        self._emit(call, kind, detail=detail)
        call.ended = True
        for handle in call.timers.values():
            handle.cancel()
        call.timers.clear()
        if call.amd is not None:
            call.amd.cancel()
        if call.leg is not None:
            call.leg.close()
        if call.dialog is not None:
            self.ua.forget(call.dialog)
        self._calls.pop(call.dial.call_id, None)
        log.info("call %s: %s (%s)", call.dial.call_id, kind, detail)

    def _cancel(self, call: _Call, name: str) -> None:
        handle = call.timers.pop(name, None)
        if handle is not None:
            handle.cancel()

    async def _pace(self) -> None:
        loop = asyncio.get_running_loop()
        async with self._pace_lock:
            wait = self._next_dial_at - loop.time()
            if wait > 0:
                await asyncio.sleep(wait)
            self._next_dial_at = loop.time() + 1.0 / self.cps

    def _live(self, call_id: str) -> _Call:
        call = self._calls.get(call_id)
        if call is None or call.ended or call.leg is None:
            raise TelephonyError(f"call {call_id} is not up")
        return call

    def _emit(self, call: _Call, kind: str, **extra: Any) -> None:
        t = round(asyncio.get_running_loop().time() - call.started, 3)
        self._queue.put_nowait(tel.CallEvent(call.dial.call_id, kind, t, **extra))

    def _spawn_task(self, coro: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
        task = asyncio.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)
        return task

    def _task_done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.warning("media plane background task failed: %s", task.exception())

    async def _events(self) -> AsyncIterator[tel.CallEvent]:
        while True:
            event = await self._queue.get()
            if event is None:
                return
            yield event


__all__ = ["MediaPlaneTelephony", "supports"]
