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
import contextlib
import itertools
import logging
import re
import shutil
import tempfile
from collections.abc import AsyncIterator, Coroutine
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lexdial.adapters.telephony import tts
from lexdial.adapters.telephony.amd import AmdConfig
from lexdial.adapters.telephony.baresip_ctrl import BaresipProcess, Event, detect
from lexdial.adapters.telephony.sip_check import explain_register
from lexdial.adapters.telephony.sip_trunk import Trunk
from lexdial.domain import telephony as tel
from lexdial.errors import TelephonyError

log = logging.getLogger(__name__)

#: final SIP statuses before an answer: busy everywhere, and a declined call (603), which
#: carriers report as busy too; timeouts and "temporarily unavailable" are no answer
_BUSY = frozenset({486, 600, 603})
_UNANSWERED = frozenset({408, 480, 487})


@dataclass(slots=True, eq=False)
class _Line:
    n: int
    directory: Path
    slot: int = 1  # its place in the trunk's SIP port range
    proc: BaresipProcess | None = None
    call: _Call | None = None
    last_bid: str | None = None  # the previous call's baresip id: its stragglers are dropped
    alive: bool = True


@dataclass(slots=True, eq=False)
class _Call:
    dial: tel.Dial
    files: dict[str, tuple[Path, float]]
    line: _Line | None = None
    started: float = 0.0
    bid: str | None = None  # baresip's id (its SIP Call-ID)
    rang: bool = False
    answered: bool = False
    ended: bool = False
    hangup_requested: bool = False
    ring_timed_out: bool = False
    setup_failed: bool = False
    prompt: str | None = None
    timers: dict[str, asyncio.TimerHandle] = field(default_factory=dict)
    amd: asyncio.Task[None] | None = None


class SipTelephony:
    """A ``Telephony`` on a SIP trunk: ``trunk`` is a ``Trunk`` or its ``host:port`` (then
    on ``local_ip``, no credentials); see the module rules."""

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
        self.register_timeout_s = 10.0
        self.prewarm, self.silence_s, self.rtp_ports = min(prewarm, channels), silence_s, rtp_ports
        self._given_dir = Path(work_dir) if work_dir is not None else None
        self.work_dir = Path()
        self._silence = Path()
        self._lines: list[_Line] = []
        self._line_numbers = itertools.count(1)
        self._idle: list[_Line] = []
        self._calls: dict[str, _Call] = {}
        self._queue: asyncio.Queue[tel.CallEvent | None] = asyncio.Queue()
        self._prompts: tts.PromptCache | None = None  # made in start()
        self._tasks: set[asyncio.Task[Any]] = set()
        self._next_dial_at = 0.0
        self._pace_lock = asyncio.Lock()
        self._started = False

    # --- the Telephony protocol ------------------------------------------------------

    async def start(self) -> None:
        """Make the work directory and start ``prewarm`` baresip processes."""
        self.work_dir = self._given_dir or Path(tempfile.mkdtemp(prefix="lexdial-sip-"))
        self._prompts = tts.PromptCache(self.work_dir / "prompts")
        self._silence = self.work_dir / "silence.wav"
        tts.write_silence(self._silence, self.silence_s)
        self._started = True
        lines = await asyncio.gather(*(self._spawn() for _ in range(self.prewarm)))
        self._idle.extend(lines)

    async def close(self) -> None:
        """Stop every baresip (its calls end with BYE) and end ``events()``."""
        self._started = False
        for call in list(self._calls.values()):
            self._cancel(call)
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*(ln.proc.stop() for ln in self._lines if ln.proc is not None))
        self._lines.clear()
        self._idle.clear()
        self._calls.clear()
        if self._given_dir is None and self.work_dir != Path():
            shutil.rmtree(self.work_dir, ignore_errors=True)
        await self._queue.put(None)

    @property
    def pids(self) -> list[int]:
        """Process ids of the running baresip lines (for monitoring and clean-up)."""
        return [ln.proc.pid for ln in self._lines if ln.proc is not None and ln.proc.pid]

    def events(self) -> AsyncIterator[tel.CallEvent]:
        """Every event of every call placed here, in the order seen."""
        return self._events()

    async def dial(self, dial: tel.Dial) -> None:
        """Place the call; a refusal by baresip or the trunk arrives as FAILED/BUSY/..."""
        if not self._started:
            raise TelephonyError("the SIP adapter was not started")
        if dial.call_id in self._calls:
            raise TelephonyError(f"call {dial.call_id} is already up")
        if len(self._calls) >= self.channels:
            raise TelephonyError("all channels are busy")
        call = _Call(dial, {})
        self._calls[dial.call_id] = call  # holds the channel while we prepare
        try:
            assert self._prompts is not None
            for name, spec in dial.prompts.items():
                call.files[name] = await self._prompts.get(spec)
            await self._pace()
            line = call.line = self._idle.pop() if self._idle else await self._spawn()
            line.call = call
            assert line.proc is not None
            line.proc.scrub()
        except BaseException:
            self._calls.pop(dial.call_id, None)
            if call.line is not None:
                self._release(call.line)
            raise
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
            failed = await line.proc.dial(uri, source=self._silence, user=user)
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
        call = self._live(call_id)
        if prompt not in call.files:
            raise TelephonyError(f"call {call_id}: no prompt {prompt!r} was given with the dial")
        if not call.answered:
            raise TelephonyError(f"call {call_id} is not answered")
        path, seconds = call.files[prompt]
        self._cancel(call, "played", "silence")
        call.prompt = prompt
        await self._source(call, path)
        loop = asyncio.get_running_loop()
        call.timers["played"] = loop.call_later(seconds, self._played, call, prompt)

    async def bridge(self, call_id: str, agent: str) -> None:
        """Blind-transfer the call (SIP REFER) to ``agent``: a SIP URI or a trunk user."""
        call = self._live(call_id)
        self._cancel(call, "played")
        uri = agent if agent.startswith(("sip:", "sips:")) else self.sip.uri(agent)
        await self._command(call, "transfer", uri)

    async def hangup(self, call_id: str) -> None:
        """Hang up (or cancel a call still ringing); HANGUP follows when it is over."""
        call = self._calls.get(call_id)
        if call is None or call.ended or call.line is None:
            return  # already over: its last event says how
        call.hangup_requested = True
        self._cancel(call, "played", "silence")
        await self._command(call, "hangup")

    # --- baresip events ----------------------------------------------------------------

    def _on_event(self, line: _Line, event: Event) -> None:
        call = line.call
        if call is None or call.ended:
            return
        bid = event.get("id")
        if bid is not None:
            if bid == line.last_bid or call.bid not in (None, bid):
                return  # a late event of this line's previous call
            call.bid = str(bid)
        kind, param = str(event.get("type")), str(event.get("param", ""))
        if kind in ("CALL_RINGING", "CALL_PROGRESS") and not call.rang:
            call.rang = True
            self._emit(call, tel.RINGING)
        elif kind == "CALL_ESTABLISHED" and not call.hangup_requested:
            call.answered = True
            self._cancel(call, "ring")
            self._emit(call, tel.ANSWERED)
            self._arm_silence(call)
            if self.amd and call.dial.detect_machine:
                call.amd = self._spawn_task(self._detect(call))
            else:
                self._emit(call, tel.HUMAN, detail="no detection")
        elif kind == "CALL_DTMF_START" and call.answered and param:
            during = f"during {call.prompt}" if call.prompt else None
            self._emit(call, tel.DIGIT, digit=param[:1], detail=during)
        elif kind == "CALL_TRANSFER_FAILED":
            log.warning("call %s: transfer failed; hanging up", call.dial.call_id)
            self._spawn_task(self.hangup(call.dial.call_id))
        elif kind == "CALL_CLOSED":
            self._end(call, param)

    def _end(self, call: _Call, reason: str) -> None:
        if call.ended:
            return
        code = int(reason[:3]) if re.match(r"\d{3}\b", reason) else None
        if call.setup_failed:
            kind, detail = tel.FAILED, "dial setup failed"
        elif call.ring_timed_out:
            kind, detail = tel.NO_ANSWER, "ring timeout" + ("" if call.rang else ", no ringing")
        elif call.answered or call.hangup_requested:
            kind, detail = tel.HANGUP, self._why(call, reason)
        elif code in _BUSY:
            kind, detail = tel.BUSY, f"sip {code}"
        elif code in _UNANSWERED:
            kind, detail = tel.NO_ANSWER, f"sip {code}"
        else:  # errno texts ("Connection refused") hold no number; SIP reasons may
            kind, detail = tel.FAILED, f"sip {code}" if code else reason[:60]
        self._emit(call, kind, detail=detail)
        call.ended = True
        self._cancel(call)
        self._calls.pop(call.dial.call_id, None)
        if call.line is not None:
            self._release(call.line)
        log.info("call %s: %s (%s)", call.dial.call_id, kind, detail)

    @staticmethod
    def _why(call: _Call, reason: str) -> str:
        if "transfer" in reason:
            return "transferred"
        if call.hangup_requested:
            return "near end"
        if "reset by peer" in reason:  # baresip's words for the far end's BYE
            return "far end"
        if "end of file" in reason:  # a prompt file ran out: its pad was too short
            return "audio source ended"
        return reason[:60]  # "baresip exited", an RTP timeout, ...

    def _on_lost(self, line: _Line) -> None:
        line.alive = False
        with contextlib.suppress(ValueError):
            self._idle.remove(line)
        if line.call is not None:
            self._end(line.call, "baresip exited")

    # --- timers and audio ----------------------------------------------------------

    def _ring_timeout(self, call: _Call) -> None:
        if call.answered or call.ended:
            return
        call.ring_timed_out = True
        self._spawn_task(self.hangup(call.dial.call_id))

    def _played(self, call: _Call, prompt: str) -> None:
        call.timers.pop("played", None)
        if call.ended or call.prompt != prompt:
            return
        call.prompt = None
        self._spawn_task(self._source(call, self._silence))
        self._arm_silence(call)
        self._emit(call, tel.PLAYED, prompt=prompt)

    def _arm_silence(self, call: _Call) -> None:
        # Restart the silence before baresip reaches its end and hangs up.
        def again() -> None:
            if not call.ended and call.prompt is None:
                self._spawn_task(self._source(call, self._silence))
                self._arm_silence(call)

        loop = asyncio.get_running_loop()
        call.timers["silence"] = loop.call_later(self.silence_s - 5.0, again)

    async def _source(self, call: _Call, path: Path) -> None:
        line = call.line
        if call.ended or line is None or line.proc is None:
            return
        try:
            await line.proc.set_source(path)
        except TelephonyError as exc:
            if line.alive:  # else _on_lost has reported the call's end
                raise TelephonyError(f"call {call.dial.call_id}: audio switch failed") from exc

    async def _detect(self, call: _Call) -> None:
        def report(kind: str, detail: str) -> None:
            self._emit(call, kind, detail=detail)

        assert call.line is not None
        await detect(call.line.directory / "rec", self.amd_config, report, lambda: call.ended)

    # --- helpers -------------------------------------------------------------------

    async def _spawn(self) -> _Line:
        n = next(self._line_numbers)
        used = {ln.slot for ln in self._lines if ln.alive}
        slot = next(k for k in itertools.count(1) if k not in used)
        line = _Line(n, self.work_dir / f"line-{n}", slot=slot)
        self._lines.append(line)
        try:
            line.proc = await BaresipProcess.launch(
                line.directory,
                lambda ev: self._on_event(line, ev),
                lambda: self._on_lost(line),
                silence_wav=self._silence,
                trunk=self.sip,
                line=slot,
                rtp_ports=self.rtp_ports,
                record=self.amd,
            )
            if self.sip.register:
                kind, why = await line.proc.registration(self.register_timeout_s)
                if kind != "REGISTER_OK":
                    raise TelephonyError(explain_register(kind, why, self.sip).message)
        except BaseException:
            self._lines.remove(line)
            if line.proc is not None:
                await line.proc.stop()
            raise
        return line

    def _release(self, line: _Line) -> None:
        if line.call is not None:
            line.last_bid = line.call.bid
        line.call = None
        if line.proc is not None:
            line.proc.scrub()  # recorded voices are personal data
        if line.alive and self._started and line not in self._idle:
            self._idle.append(line)

    async def _command(self, call: _Call, name: str, params: str = "") -> None:
        line = call.line
        if call.ended or line is None or line.proc is None:
            return
        try:
            await line.proc.command(name, params)
        except TelephonyError as exc:
            if not line.alive:
                return  # the process died: _on_lost reported the call's end
            raise TelephonyError(f"call {call.dial.call_id}: {name} failed") from exc

    async def _pace(self) -> None:
        loop = asyncio.get_running_loop()
        async with self._pace_lock:
            wait = self._next_dial_at - loop.time()
            if wait > 0:
                await asyncio.sleep(wait)
            self._next_dial_at = loop.time() + 1.0 / self.cps

    def _live(self, call_id: str) -> _Call:
        call = self._calls.get(call_id)
        if call is None or call.ended or call.line is None:
            raise TelephonyError(f"call {call_id} is not up")
        return call

    def _emit(self, call: _Call, kind: str, **extra: Any) -> None:
        t = round(asyncio.get_running_loop().time() - call.started, 3)
        self._queue.put_nowait(tel.CallEvent(call.dial.call_id, kind, t, **extra))

    def _cancel(self, call: _Call, *names: str) -> None:
        for name in names or tuple(call.timers):
            handle = call.timers.pop(name, None)
            if handle is not None:
                handle.cancel()
        if not names and call.amd is not None:
            call.amd.cancel()

    def _spawn_task(self, coro: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
        task = asyncio.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)
        return task

    def _task_done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.warning("sip background task failed: %s", task.exception())

    async def _events(self) -> AsyncIterator[tel.CallEvent]:
        while True:
            event = await self._queue.get()
            if event is None:
                return
            yield event
