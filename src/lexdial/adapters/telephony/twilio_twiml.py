"""The TwiML the Twilio adapter hands Twilio, and the webhook URLs inside it (no I/O).

Rule 1: every document ends in one of our webhooks or in a listening hold, so the call is
never doing something the adapter does not know about:

- a prompt ends in a ``<Redirect>`` to ``played`` (PLAYED is reported by Twilio when the
  audio really ended, not estimated from ``Prompt.seconds``);
- a key press ends a one-digit ``<Gather>`` at ``gather`` (DIGIT);
- between the call flow's commands the call waits in a silent one-digit Gather (the
  *hold*), so a key pressed while the flow decides is still heard.

Rule 2: the hold is finite and ends in ``<Hangup/>``: a dialer that stops giving commands
(crash, lost connection) does not keep a person's line open.

Twilio's Gather stops listening at ``finishOnKey`` (``#`` by default) and submits nothing;
we set it to the empty string so ``#`` and ``*`` are ordinary keys (an opt-out key may be
either).
"""

from __future__ import annotations

from typing import Any, Final
from urllib.parse import urlencode

from twilio.twiml.voice_response import VoiceResponse  # type: ignore[import-untyped]

from lexdial.domain.telephony import MESSAGE, SAFE_HARBOR, Prompt

#: webhook routes, relative to the adapter's public webhook base URL
STATUS: Final = "status"  # call-progress callbacks (StatusCallback)
AMD: Final = "amd"  # asynchronous answering-machine detection result
GATHER: Final = "gather"  # a Gather's action: a key was pressed
PLAYED: Final = "played"  # the Redirect after a prompt: it finished playing
#: agents' legs (``twilio_agents``): the leg's call progress, and its room's events
AGENT: Final = "agent"
CONFERENCE: Final = "conference"
ROUTES: Final = frozenset({STATUS, AMD, GATHER, PLAYED, AGENT, CONFERENCE})

#: pseudo prompt name of the silent listening wait (never a ``Dial.prompts`` key)
HOLD: Final = "hold"
#: prompts played inside a one-digit Gather: a key press interrupts them (the opt-out
#: offer is in these); the others (voicemail, opt-out confirmation) play to the end
LISTENING_PROMPTS: Final = frozenset({MESSAGE, SAFE_HARBOR})
#: seconds Twilio's Gather waits for a key after the audio ends before falling through;
#: small because the hold that follows keeps listening, and PLAYED arrives this much late
AFTER_PROMPT_S: Final = 1
#: the one header Twilio signs its webhooks with
SIGNATURE_HEADER: Final = "X-Twilio-Signature"


def webhook_url(base: str, route: str, call_id: str, prompt: str | None = None) -> str:
    """The URL Twilio calls for ``route`` on ``call_id`` (the id travels in the query)."""
    if route not in ROUTES:
        raise ValueError(f"unknown Twilio webhook route {route!r}")
    query = {"call": call_id} if prompt is None else {"call": call_id, "prompt": prompt}
    return f"{base.rstrip('/')}/{route}?{urlencode(query)}"


def is_audio_url(audio_path: str | None) -> bool:
    """Whether Twilio can fetch this audio itself (a local file path it cannot)."""
    return audio_path is not None and audio_path.startswith(("https://", "http://"))


def _say_or_play(node: Any, prompt: Prompt) -> None:
    # Twilio fetches <Play> audio over HTTP; a local recording would need a public URL,
    # so without one the text is spoken by Twilio's text-to-speech instead.
    if is_audio_url(prompt.audio_path):
        node.play(prompt.audio_path)
    elif prompt.text.strip():
        node.say(prompt.text)
    else:
        raise ValueError("a prompt needs an audio URL or text for Twilio")


def _gather(node: Any, base: str, call_id: str, prompt: str) -> Any:
    # the SDK's TwiML classes are untyped (no py.typed): nodes are Any here, and every
    # public function below returns plain ``str``
    return node.gather(
        num_digits=1,
        finish_on_key="",
        timeout=AFTER_PROMPT_S,
        action=webhook_url(base, GATHER, call_id, prompt),
        method="POST",
    )


def hold_twiml(base: str, call_id: str, hold_s: int) -> str:
    """Silence inside a one-digit Gather for ``hold_s`` seconds, then hang up."""
    response = VoiceResponse()
    _gather(response, base, call_id, HOLD).pause(length=hold_s)
    response.hangup()
    return str(response.to_xml())


def prompt_twiml(base: str, call_id: str, name: str, prompt: Prompt) -> str:
    """Play ``prompt``; report its end at ``played`` (and a key at ``gather`` if listening)."""
    response = VoiceResponse()
    if name in LISTENING_PROMPTS:
        _say_or_play(_gather(response, base, call_id, name), prompt)
    else:
        _say_or_play(response, prompt)
    # Reached only when the audio ended without a key: the Gather falls through to here.
    response.redirect(webhook_url(base, PLAYED, call_id, name), method="POST")
    return str(response.to_xml())


def bridge_twiml(agent: str, caller_id: str) -> str:
    """Connect the call to an agent: ``client:NAME``, a ``sip:`` URI, or a phone number.

    When the agent's leg ends the document ends, and Twilio hangs the call up.
    """
    response = VoiceResponse()
    dial = response.dial(caller_id=caller_id)
    if agent.startswith("client:"):
        dial.client(agent.removeprefix("client:"))
    elif agent.startswith(("sip:", "sips:")):
        dial.sip(agent)
    else:
        dial.number(agent)
    return str(response.to_xml())


def hangup_twiml() -> str:
    """End the call: the answer to a webhook for a call this adapter no longer knows."""
    response = VoiceResponse()
    response.hangup()
    return str(response.to_xml())


# --- agents' rooms (for twilio agents) --------------------------------------------------

#: the conference events asked for: who joined and left (the first participant's settings
#: are the conference's, so every participant asks for the same)
ROOM_EVENTS: Final = "start end join leave"


def leg_url(base: str, route: str, **query: str) -> str:
    """The URL Twilio calls for an agent-leg ``route`` (``agent=`` or ``room=`` in the query)."""
    if route not in (AGENT, CONFERENCE):
        raise ValueError(f"unknown Twilio agent-leg route {route!r}")
    return f"{base.rstrip('/')}/{route}?{urlencode(query)}"


def room_twiml(base: str, room: str, *, agent: bool) -> str:
    """Put the call in the conference ``room``: the agent's leg owns it (starts it, ends it
    on leaving); a customer neither starts nor ends it. No beep, silence while waiting.
    When the conference ends the document goes on to ``<Hangup/>``."""
    response = VoiceResponse()
    dial = response.dial()
    dial.conference(
        room,
        start_conference_on_enter=agent,
        end_conference_on_exit=agent,
        beep=False,
        wait_url="",
        status_callback=leg_url(base, CONFERENCE, room=room),
        status_callback_event=ROOM_EVENTS,
        status_callback_method="POST",
    )
    response.hangup()
    return str(response.to_xml())


def number_twiml(number: str, caller_id: str) -> str:
    """Hand the call to a phone number (a cold transfer): it ends when that leg ends."""
    response = VoiceResponse()
    response.dial(caller_id=caller_id).number(number)
    response.hangup()
    return str(response.to_xml())
