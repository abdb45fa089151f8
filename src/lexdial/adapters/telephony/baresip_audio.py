"""A baresip call's audio: prompts, the silence between them, digits, machine detection.

Rule 1: a call's audio source is a long silence until ``play``; a prompt file carries
padding (``tts.PAD_S``) because baresip hangs up when its source file ends, and the
silence is restarted before it runs out. baresip 1.0.0 reports no end of playback, so
PLAYED comes from a timer on the prompt's known duration, and the call then goes back
to silence.
Rule 2: DIGIT is reported only once the call is answered, with ``during <prompt>`` while
one plays.
Rule 3: answering-machine detection reads the received audio baresip's ``sndfile`` filter
writes per call (``amd_feed.detect``); the line deletes those files when the call ends.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from pathlib import Path

from lexdial.adapters.telephony import tts
from lexdial.adapters.telephony.amd import AmdConfig
from lexdial.adapters.telephony.amd_feed import detect
from lexdial.adapters.telephony.baresip_lines import Line
from lexdial.adapters.telephony.sip_calls import CallState, CallTable
from lexdial.domain import telephony as tel
from lexdial.errors import TelephonyError


@dataclass(slots=True, eq=False)
class BaresipCall(CallState):
    """A call on a baresip line: its prepared prompt files and baresip's id for it."""

    files: dict[str, tuple[Path, float]] = field(default_factory=dict)
    line: Line[BaresipCall] | None = None
    bid: str | None = None  # baresip's id (its SIP Call-ID)
    setup_failed: bool = False
    prompt: str | None = None


class LineAudio:
    """What the calls of one ``SipTelephony`` hear and what is heard of them (module rules)."""

    def __init__(
        self,
        table: CallTable[BaresipCall],
        *,
        silence_s: float,
        amd_config: AmdConfig | None,
    ) -> None:
        self.table, self.silence_s, self.amd_config = table, silence_s, amd_config
        self.silence = Path()
        self._prompts: tts.PromptCache | None = None  # made in start()

    def start(self, work_dir: Path) -> None:
        """Write the silence file and open the prompt cache in ``work_dir``."""
        self._prompts = tts.PromptCache(work_dir / "prompts")
        self.silence = work_dir / "silence.wav"
        tts.write_silence(self.silence, self.silence_s)

    async def prepare(self, call: BaresipCall) -> None:
        """Render (or find) the files of the prompts given with ``call``'s dial."""
        assert self._prompts is not None
        for name, spec in call.dial.prompts.items():
            call.files[name] = await self._prompts.get(spec)

    async def play(self, call: BaresipCall, prompt: str) -> None:
        """Switch the call's audio to ``prompt``; PLAYED follows after its duration."""
        if prompt not in call.files:
            raise TelephonyError(
                f"call {call.call_id}: no prompt {prompt!r} was given with the dial"
            )
        if not call.answered:
            raise TelephonyError(f"call {call.call_id} is not answered")
        path, seconds = call.files[prompt]
        call.cancel("played", "silence")
        call.prompt = prompt
        await self._source(call, path)
        loop = asyncio.get_running_loop()
        call.timers["played"] = loop.call_later(seconds, self._played, call, prompt)

    def answered(self, call: BaresipCall, *, detect_machine: bool) -> None:
        """Keep the silence going; start detection, or say HUMAN at once without it."""
        self.arm_silence(call)
        if detect_machine:
            call.amd = self.table.spawn(self._detect(call))
        else:
            self.table.emit(call, tel.HUMAN, detail="no detection")

    def digit(self, call: BaresipCall, param: str) -> None:
        """A telephone-event's start (rule 2)."""
        if call.answered and param:
            during = f"during {call.prompt}" if call.prompt else None
            self.table.emit(call, tel.DIGIT, digit=param[:1], detail=during)

    def arm_silence(self, call: BaresipCall) -> None:
        """Restart the silence before baresip reaches its end and hangs up."""

        def again() -> None:
            if not call.ended and call.prompt is None:
                self.table.spawn(self._source(call, self.silence))
                self.arm_silence(call)

        loop = asyncio.get_running_loop()
        call.timers["silence"] = loop.call_later(self.silence_s - 5.0, again)

    def _played(self, call: BaresipCall, prompt: str) -> None:
        call.timers.pop("played", None)
        if call.ended or call.prompt != prompt:
            return
        call.prompt = None
        self.table.spawn(self._source(call, self.silence))
        self.arm_silence(call)
        self.table.emit(call, tel.PLAYED, prompt=prompt)

    async def _source(self, call: BaresipCall, path: Path) -> None:
        line = call.line
        if call.ended or line is None or line.proc is None:
            return
        try:
            await line.proc.set_source(path)
        except TelephonyError as exc:
            if line.alive:  # else the line's loss has reported the call's end
                raise TelephonyError(f"call {call.call_id}: audio switch failed") from exc

    async def _detect(self, call: BaresipCall) -> None:
        def report(kind: str, detail: str) -> None:
            self.table.emit(call, kind, detail=detail)

        assert call.line is not None
        await detect(call.line.directory / "rec", self.amd_config, report, lambda: call.ended)
