"""The Twilio adapter's pure parts: the TwiML it sends and how callbacks map to events.

TwiML is checked by parsing it, not by comparing strings, so attribute order and the
SDK's serialisation details do not matter; what Twilio acts on does.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from urllib.parse import parse_qs, urlsplit

import pytest

from lexdial.adapters.telephony import twilio_twiml as twiml
from lexdial.adapters.telephony.twilio_webhooks import amd_kinds, status_kind
from lexdial.domain import telephony as tel

BASE = "https://dialer.example.com/twilio"
AUDIO = tel.Prompt(
    "This is Hartwell and Ruiz. Press 9 to stop these calls.",
    8.0,
    "https://media.example.com/m.mp3",
)
SPOKEN = tel.Prompt(
    "This is Hartwell and Ruiz. Press 9 to stop these calls.", 8.0, "/srv/prompts/m.wav"
)


def parse(document: str) -> ET.Element:
    root = ET.fromstring(document)
    assert root.tag == "Response"
    return root


def route_of(url: str) -> tuple[str, dict[str, str]]:
    parts = urlsplit(url)
    assert url.startswith(BASE + "/")
    return parts.path.rsplit("/", 1)[-1], {k: v[0] for k, v in parse_qs(parts.query).items()}


def assert_one_digit_gather(gather: ET.Element, call_id: str, prompt: str) -> None:
    assert gather.tag == "Gather"
    assert gather.get("numDigits") == "1"
    assert gather.get("finishOnKey") == "", "# and * must be ordinary keys"
    assert gather.get("method") == "POST"
    assert route_of(gather.get("action", "")) == ("gather", {"call": call_id, "prompt": prompt})


# --- the hold ---------------------------------------------------------------------------


def test_the_hold_is_silence_inside_a_one_digit_gather_then_a_hangup() -> None:
    root = parse(twiml.hold_twiml(BASE, "a17", 45))
    gather, hangup = list(root)
    assert_one_digit_gather(gather, "a17", twiml.HOLD)
    assert [(c.tag, c.get("length")) for c in gather] == [("Pause", "45")]
    assert hangup.tag == "Hangup"


# --- prompts ----------------------------------------------------------------------------


@pytest.mark.parametrize("name", [tel.MESSAGE, tel.SAFE_HARBOR])
def test_a_listening_prompt_plays_inside_a_one_digit_gather_then_reports_its_end(
    name: str,
) -> None:
    root = parse(twiml.prompt_twiml(BASE, "a17", name, AUDIO))
    gather, redirect = list(root)
    assert_one_digit_gather(gather, "a17", name)
    assert [(c.tag, c.text) for c in gather] == [("Play", AUDIO.audio_path)]
    assert redirect.tag == "Redirect"
    assert redirect.get("method") == "POST"
    assert route_of(redirect.text or "") == ("played", {"call": "a17", "prompt": name})


@pytest.mark.parametrize("name", [tel.VOICEMAIL, tel.OPTOUT_CONFIRM])
def test_the_voicemail_and_the_confirmation_play_to_the_end_without_a_gather(name: str) -> None:
    root = parse(twiml.prompt_twiml(BASE, "a17", name, AUDIO))
    assert [c.tag for c in root] == ["Play", "Redirect"]
    assert route_of(root[1].text or "") == ("played", {"call": "a17", "prompt": name})


def test_a_prompt_without_an_audio_url_is_spoken_by_twilio() -> None:
    root = parse(twiml.prompt_twiml(BASE, "a17", tel.MESSAGE, SPOKEN))
    say = root[0][0]
    assert (say.tag, say.text) == ("Say", SPOKEN.text)


def test_a_prompt_with_neither_audio_url_nor_text_is_refused() -> None:
    with pytest.raises(ValueError, match="audio URL or text"):
        twiml.prompt_twiml(BASE, "a17", tel.MESSAGE, tel.Prompt("  ", 1.0))


def test_markup_in_a_prompt_text_is_escaped_not_interpreted() -> None:
    prompt = tel.Prompt('Smith & Co <Hangup/> "quoted"', 3.0)
    root = parse(twiml.prompt_twiml(BASE, "a17", tel.VOICEMAIL, prompt))
    assert root[0].text == prompt.text
    assert [c.tag for c in root] == ["Say", "Redirect"]


def test_a_call_id_with_reserved_characters_survives_the_webhook_url() -> None:
    url = twiml.webhook_url(BASE, twiml.GATHER, "a 1&prompt=x", tel.MESSAGE)
    assert route_of(url) == ("gather", {"call": "a 1&prompt=x", "prompt": tel.MESSAGE})


def test_an_unknown_webhook_route_is_a_bug() -> None:
    with pytest.raises(ValueError, match="route"):
        twiml.webhook_url(BASE, "recording", "a1")


# --- bridge and hangup --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("agent", "tag", "text"),
    [
        pytest.param("+16145550199", "Number", "+16145550199", id="a-phone-number"),
        pytest.param("client:desk-4", "Client", "desk-4", id="a-twilio-client"),
        pytest.param("sip:agent4@pbx.example.com", "Sip", "sip:agent4@pbx.example.com", id="sip"),
    ],
)
def test_a_bridge_dials_the_agent_with_the_calls_caller_id(agent: str, tag: str, text: str) -> None:
    root = parse(twiml.bridge_twiml(agent, "+16145550100"))
    (dial,) = list(root)
    assert (dial.tag, dial.get("callerId")) == ("Dial", "+16145550100")
    assert [(c.tag, c.text) for c in dial] == [(tag, text)]


def test_the_answer_for_a_forgotten_call_hangs_up() -> None:
    assert [c.tag for c in parse(twiml.hangup_twiml())] == ["Hangup"]


def test_audio_urls_are_told_from_local_files() -> None:
    assert twiml.is_audio_url("https://media.example.com/m.mp3")
    assert not twiml.is_audio_url("/srv/prompts/m.wav")
    assert not twiml.is_audio_url(None)


# --- callbacks to events ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "kind"),
    [
        ("queued", None),
        ("initiated", None),
        ("ringing", tel.RINGING),
        ("in-progress", tel.ANSWERED),
        ("answered", tel.ANSWERED),
        ("busy", tel.BUSY),
        ("no-answer", tel.NO_ANSWER),
        ("failed", tel.FAILED),
        ("canceled", tel.FAILED),
        ("completed", tel.HANGUP),
        ("something-new", None),
    ],
)
def test_each_call_status_maps_to_one_event_kind_or_none(status: str, kind: str | None) -> None:
    assert status_kind(status) == kind


def test_canceled_after_our_own_hangup_is_a_hangup_not_a_failure() -> None:
    assert status_kind("canceled", hangup_requested=True) == tel.HANGUP
    assert status_kind("completed", hangup_requested=True) == tel.HANGUP


@pytest.mark.parametrize(
    ("answered_by", "kinds"),
    [
        ("human", (tel.HUMAN,)),
        ("unknown", (tel.HUMAN,)),
        ("machine_end_beep", (tel.MACHINE, tel.BEEP)),
        ("machine_end_silence", (tel.MACHINE, tel.BEEP)),
        ("machine_end_other", (tel.MACHINE, tel.BEEP)),
        ("fax", (tel.MACHINE,)),
        ("a-value-twilio-adds-later", (tel.HUMAN,)),
    ],
)
def test_each_amd_answer_maps_to_the_events_the_call_flow_expects(
    answered_by: str, kinds: tuple[str, ...]
) -> None:
    assert amd_kinds(answered_by) == kinds
