"""A media-plane call's audio: its leg, prompts, digits and machine detection.

Rule 1: a call's prompts are u-law in memory (``MediaEngine.prompt``: encoded once per
file and shared), played from their start; PLAYED comes when the last packet is sent.
Rule 2: digits come as RFC 2833 telephone-events on the leg, or from SIP INFO through
``digit``; DIGIT is reported only once the call is answered, ``during <prompt>`` while
one plays.
Rule 3: answering-machine detection reads the leg's received audio from memory every
100 ms (``amd_feed.detect_stream``); capture stops when detection is over, and no file
ever holds a callee's voice.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from lexdial.adapters.telephony import tts
from lexdial.adapters.telephony.amd import AmdConfig
from lexdial.adapters.telephony.amd_feed import detect_stream
from lexdial.adapters.telephony.rtp import Leg, MediaEngine
from lexdial.adapters.telephony.rtp_codec import ulaw_decode
from lexdial.adapters.telephony.sip_calls import CallState, CallTable
from lexdial.adapters.telephony.sip_dialog import Dialog
from lexdial.domain import telephony as tel
from lexdial.errors import TelephonyError


@dataclass(slots=True, eq=False)
class PlaneCall(CallState):
    """A call of the media plane: its prompts, RTP leg and SIP dialog."""

    files: dict[str, bytes] = field(default_factory=dict)
    leg: Leg | None = None
    dialog: Dialog | None = None


class PlaneAudio:
    """What the media plane's calls hear and what is heard of them (see the module rules)."""

    def __init__(
        self, table: CallTable[PlaneCall], engine: MediaEngine, amd_config: AmdConfig | None
    ) -> None:
        self.table, self.engine, self.amd_config = table, engine, amd_config

    async def prepare(self, call: PlaneCall, prompts: tts.PromptCache) -> None:
        """The u-law of the prompts given with ``call``'s dial."""
        for name, spec in call.dial.prompts.items():
            path, seconds = await prompts.get(spec)
            call.files[name] = self.engine.prompt(path, seconds)

    def open(self, call: PlaneCall) -> Leg:
        """``call``'s RTP leg (``OSError`` when no port is free)."""
        leg = call.leg = self.engine.open(call.call_id)
        leg.on_digit = lambda digit: self.digit(call, digit)
        leg.on_played = lambda prompt: self._played(call, prompt)
        return leg

    def play(self, call: PlaneCall, prompt: str) -> None:
        """Play ``prompt`` from its start; PLAYED follows when its last packet is sent."""
        if prompt not in call.files:
            raise TelephonyError(
                f"call {call.call_id}: no prompt {prompt!r} was given with the dial"
            )
        if not call.answered:
            raise TelephonyError(f"call {call.call_id} is not answered")
        assert call.leg is not None
        call.leg.play(prompt, call.files[prompt])

    def answered(self, call: PlaneCall, *, detect_machine: bool) -> None:
        """Start detection, or say HUMAN at once without it."""
        if detect_machine and call.leg is not None:
            call.leg.capture = True
            call.amd = self.table.spawn(self._detect(call))
        else:
            self.table.emit(call, tel.HUMAN, detail="no detection")

    def digit(self, call: PlaneCall, digit: str) -> None:
        """A digit from the leg or from SIP INFO (rule 2)."""
        if call.ended or not call.answered:
            return
        playing = call.leg.playing if call.leg is not None else None
        detail = f"during {playing}" if playing else None
        self.table.emit(call, tel.DIGIT, digit=digit, detail=detail)

    def _played(self, call: PlaneCall, prompt: str) -> None:
        if not call.ended:
            self.table.emit(call, tel.PLAYED, prompt=prompt)

    async def _detect(self, call: PlaneCall) -> None:
        leg = call.leg
        assert leg is not None

        def read() -> bytes:
            heard = leg.take_audio()
            return ulaw_decode(heard).astype("<i2").tobytes() if heard else b""

        def report(kind: str, detail: str) -> None:
            if not call.ended:
                self.table.emit(call, kind, detail=detail)

        try:
            await detect_stream(read, self.amd_config, report, lambda: call.ended)
        finally:
            leg.capture = False
            leg.take_audio()
