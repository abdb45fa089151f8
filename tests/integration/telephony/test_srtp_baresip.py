"""End to end: the media plane's SRTP (``srtp``) against baresip 1.0.0 as the callee.

baresip answers by itself, plays a known noise file and decodes what it receives to WAV
(its ``srtp`` module does SDES: ``mediaenc=srtp`` is best effort, ``srtp-mand`` requires
RTP/SAVP). Audio is proven both ways as the SIPp tests prove it: the other side's exact
waveform is found in what was received (normalised cross-correlation above 0.9); an
undecryptable packet is dropped by either side, so audio only matches when both the
keys and the encryption are right. A digit sent by baresip (RFC 2833, inside SRTP)
must arrive as DIGIT.
"""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from lexdial.adapters.telephony.media_plane import MediaPlaneTelephony
from lexdial.adapters.telephony.sip import SipTelephony
from lexdial.adapters.telephony.sip_trunk import Trunk
from lexdial.domain import telephony as tel

from .baresip_callee import RATE, Baresip, Callee, best_match, write_wav

pytestmark = pytest.mark.integration

PERSON = "+16145550101"
OTHER = "+16145550102"


def noise(seconds: float, seed: int) -> np.ndarray[Any, Any]:
    rng = np.random.default_rng(seed)
    return np.clip(rng.normal(0, 3000, round(seconds * RATE)), -32000, 32000).astype(np.int16)


MESSAGE = noise(3.0, seed=11)  # what lexdial plays
PERSON_SAYS = noise(10.0, seed=12)  # what the callee plays
OTHER_SAYS = noise(10.0, seed=13)


@pytest.fixture(autouse=True)
def _baresip() -> None:
    if shutil.which("baresip") is None:
        pytest.skip("baresip is not installed: scripts/telephony.sh")


def a_dial(call_id: str, tmp: Path, to: str = PERSON) -> tel.Dial:
    message = write_wav(tmp / "message.wav", MESSAGE)
    return tel.Dial(
        call_id=call_id,
        to=to,
        caller_id="+16145550100",
        ring_timeout_s=5.0,
        prompts={tel.MESSAGE: tel.Prompt("(test message)", 3.0, str(message))},
        detect_machine=False,
    )


Body = Callable[[MediaPlaneTelephony, Baresip, AsyncIterator[tel.CallEvent]], Awaitable[None]]


def run(
    tmp: Path,
    mode: str,
    callees: list[tuple[str, str]],
    body: Body,
    engine: type = MediaPlaneTelephony,
) -> Baresip:
    """``body(carrier, baresip, events)`` with a carrier (the media plane, or ``engine``)
    on a trunk in SRTP ``mode`` and baresip answering each (number, mediaenc) of
    ``callees``."""
    plays = {PERSON: PERSON_SAYS, OTHER: OTHER_SAYS}
    (tmp / "b").mkdir()
    people = [Callee(n, enc, write_wav(tmp / f"{n[1:]}.wav", plays[n])) for n, enc in callees]
    far = Baresip(tmp / "b", people)

    async def go() -> None:
        await far.start()
        trunk = Trunk(address=far.address, srtp=mode)
        carrier = engine(trunk=trunk, work_dir=tmp / "sip", amd=False)
        try:
            await carrier.start()
            await body(carrier, far, carrier.events())
        finally:
            await carrier.close()
            await far.stop()

    asyncio.run(asyncio.wait_for(go(), 60))
    return far


async def until(events: AsyncIterator[tel.CallEvent], kind: str) -> list[tel.CallEvent]:
    seen: list[tel.CallEvent] = []
    while not seen or seen[-1].kind != kind:
        seen.append(await asyncio.wait_for(anext(events), 10))
        assert seen[-1].kind not in (tel.FAILED, tel.BUSY, tel.NO_ANSWER) or kind == seen[-1].kind
    return seen


def talk_body(
    heard: list[bytes],
    seen: list[tel.CallEvent],
    suites: list[str | None],
    reinvite: bool = False,
) -> Body:
    """Answer, (let the callee re-INVITE,) play the message, take a digit from the
    callee, hang up."""

    async def body(
        carrier: MediaPlaneTelephony, far: Baresip, events: AsyncIterator[tel.CallEvent]
    ) -> None:
        await carrier.dial(a_dial("c1", far.workdir))
        seen.extend(await until(events, tel.ANSWERED))
        leg = carrier.engine.leg("c1")
        assert leg is not None
        suites.append(leg.crypto.suite if leg.crypto is not None else None)
        if reinvite:
            await asyncio.sleep(0.5)
            await far.command("reinvite")
            await asyncio.sleep(1.0)
        leg.capture = True
        await carrier.play("c1", tel.MESSAGE)
        await asyncio.sleep(1.0)
        await far.command("sndcode", "5")
        seen.extend(await until(events, tel.PLAYED))
        heard.append(leg.take_audio())
        await carrier.hangup("c1")
        seen.extend(await until(events, tel.HANGUP))

    return body


def check_both_ways(far: Baresip, heard: list[bytes]) -> None:
    from lexdial.adapters.telephony.rtp_codec import ulaw_decode

    (recording,) = far.recordings()
    # what we sent, decrypted by baresip (its recording ends at our hangup)
    assert best_match(recording, MESSAGE[: 2 * RATE]) > 0.9
    # what baresip sent, decrypted by us (about 3 s, taken a while after the answer): 2 s
    # of its file, starting on some half second
    got = ulaw_decode(heard[0])
    half = RATE // 2
    assert (
        max(best_match(got, PERSON_SAYS[k * half : k * half + 2 * RATE]) for k in range(12)) > 0.9
    )


@pytest.mark.parametrize(("mode", "mediaenc"), [("offer", "srtp"), ("require", "srtp-mand")])
def test_an_srtp_call_carries_audio_both_ways_and_a_digit(
    tmp_path: Path, mode: str, mediaenc: str
) -> None:
    heard: list[bytes] = []
    seen: list[tel.CallEvent] = []
    suites: list[str | None] = []
    far = run(tmp_path, mode, [(PERSON, mediaenc)], talk_body(heard, seen, suites))
    assert suites == ["AES_CM_128_HMAC_SHA1_80"]
    assert "SRTP is Enabled (cryptosuite=AES_CM_128_HMAC_SHA1_80)" in far.log()
    assert [(e.digit, e.detail) for e in seen if e.kind == tel.DIGIT] == [("5", "during message")]
    check_both_ways(far, heard)


@pytest.mark.parametrize(("mode", "mediaenc"), [("offer", ""), ("off", ""), ("off", "srtp")])
def test_a_plain_call_is_unchanged_and_offer_falls_back_to_plain_rtp(
    tmp_path: Path, mode: str, mediaenc: str
) -> None:
    heard: list[bytes] = []
    seen: list[tel.CallEvent] = []
    suites: list[str | None] = []
    far = run(tmp_path, mode, [(PERSON, mediaenc)], talk_body(heard, seen, suites))
    assert suites == [None]
    assert "SRTP is Enabled" not in far.log()
    assert [e.digit for e in seen if e.kind == tel.DIGIT] == ["5"]
    check_both_ways(far, heard)


def test_require_against_a_plain_peer_fails_the_call_without_sending_audio(
    tmp_path: Path,
) -> None:
    seen: list[tel.CallEvent] = []
    sent: list[int] = []

    async def body(
        carrier: MediaPlaneTelephony, far: Baresip, events: AsyncIterator[tel.CallEvent]
    ) -> None:
        await carrier.dial(a_dial("c1", far.workdir))
        leg = carrier.engine.leg("c1")
        assert leg is not None
        seen.extend(await until(events, tel.FAILED))
        sent.append(leg.sent)

    far = run(tmp_path, "require", [(PERSON, "")], body)
    # baresip refuses an RTP/SAVP offer it cannot take (a peer that answers plain RTP
    # instead: test_srtp_sipp)
    assert [(e.kind, e.detail) for e in seen] == [(tel.FAILED, "sip 488")], seen
    assert sent == [0]
    assert not any(r.size for r in far.recordings())


def test_a_bridge_between_an_srtp_leg_and_a_plain_leg_carries_audio_both_ways(
    tmp_path: Path,
) -> None:
    suites: list[str | None] = []

    async def body(
        carrier: MediaPlaneTelephony, far: Baresip, events: AsyncIterator[tel.CallEvent]
    ) -> None:
        await carrier.dial(a_dial("c1", far.workdir, PERSON))
        await until(events, tel.HUMAN)
        await asyncio.sleep(1.1)  # baresip names its recordings by the second
        await carrier.dial(a_dial("c2", far.workdir, OTHER))
        await until(events, tel.HUMAN)
        for key in ("c1", "c2"):
            leg = carrier.engine.leg(key)
            assert leg is not None
            suites.append(leg.crypto.suite if leg.crypto is not None else None)
        carrier.connect("c1", "c2")
        await asyncio.sleep(3.0)
        await carrier.hangup("c1")
        await carrier.hangup("c2")
        await asyncio.sleep(0.3)

    far = run(tmp_path, "offer", [(PERSON, "srtp"), (OTHER, "")], body)
    assert suites == ["AES_CM_128_HMAC_SHA1_80", None]
    person, other = far.recordings()  # in the order of the calls
    # each heard the other through lexdial: decrypted on one leg, sent plain (or
    # encrypted) on the other; a second of the other's file, wherever it was at the
    # connect (as the agent-bridge SIPp test measures a bridge)
    assert max(best_match(person, OTHER_SAYS[k * RATE : (k + 1) * RATE]) for k in range(8)) > 0.9
    assert max(best_match(other, PERSON_SAYS[k * RATE : (k + 1) * RATE]) for k in range(8)) > 0.9


def test_the_baresip_engine_takes_the_same_setting(tmp_path: Path) -> None:
    """A trunk the media plane cannot take (TLS, REGISTER) runs on baresip processes: the
    setting becomes their account's ``mediaenc``, with the same two SDP forms."""
    seen: list[tel.CallEvent] = []

    async def body(carrier: Any, far: Baresip, events: AsyncIterator[tel.CallEvent]) -> None:
        await carrier.dial(a_dial("c1", far.workdir))
        seen.extend(await until(events, tel.ANSWERED))
        await carrier.play("c1", tel.MESSAGE)
        await asyncio.sleep(1.0)
        await far.command("sndcode", "5")
        seen.extend(await until(events, tel.PLAYED))
        await carrier.hangup("c1")
        seen.extend(await until(events, tel.HANGUP))

    far = run(tmp_path, "require", [(PERSON, "srtp-mand")], body, SipTelephony)
    assert "SRTP is Enabled (cryptosuite=AES_CM_128_HMAC_SHA1_80)" in far.log()
    assert [e.digit for e in seen if e.kind == tel.DIGIT] == ["5"]  # decrypted by baresip
    (recording,) = far.recordings()
    assert best_match(recording, MESSAGE[: 2 * RATE]) > 0.9


def test_srtp_goes_on_after_the_far_end_re_invites(tmp_path: Path) -> None:
    """baresip re-INVITEs (a session refresh, its offer with its crypto line): we answer
    with our SDP holding the chosen line only, and audio and digits still flow both ways,
    encrypted, after it."""
    heard: list[bytes] = []
    seen: list[tel.CallEvent] = []
    suites: list[str | None] = []
    body = talk_body(heard, seen, suites, reinvite=True)
    far = run(tmp_path, "offer", [(PERSON, "srtp")], body)
    assert suites == ["AES_CM_128_HMAC_SHA1_80"]
    # baresip took our answer to its re-INVITE: it keyed SRTP again from it
    assert far.log().count("SRTP is Enabled (cryptosuite=AES_CM_128_HMAC_SHA1_80)") == 2
    assert [e.digit for e in seen if e.kind == tel.DIGIT] == ["5"]
    check_both_ways(far, heard)
