"""End to end: a trunk that requires SRTP against SIPp as a carrier that answers plain
RTP/AVP without crypto (instead of refusing with 488, as baresip does: that case is in
``test_srtp_baresip``). The call must end FAILED "no SRTP in the answer" with our BYE
(SIPp checks it), and not one RTP packet may have been sent on it.
"""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

import pytest

from lexdial.adapters.telephony.media_plane import MediaPlaneTelephony
from lexdial.adapters.telephony.sip_trunk import Trunk
from lexdial.domain import telephony as tel

from .test_sip_sipp import Sipp, a_dial, free_udp_port, scenario

pytestmark = pytest.mark.integration


@pytest.mark.parametrize("mode", ["require", "offer"])
def test_a_plain_answer_fails_a_required_srtp_call_and_is_plain_rtp_when_offered(
    tmp_path: Path, mode: str
) -> None:
    if shutil.which("sipp") is None:
        pytest.skip("sipp is not installed: scripts/telephony.sh")
    path = scenario(tmp_path, "uas_plain_answer.xml")
    events: list[tel.CallEvent] = []
    sent: list[int] = []

    async def go() -> int:
        sipp = Sipp(path, tmp_path, 1, free_udp_port())
        await sipp.start()
        trunk = Trunk(address=sipp.trunk, srtp=mode)
        carrier = MediaPlaneTelephony(trunk=trunk, work_dir=tmp_path / "sip", amd=False)
        try:
            await carrier.start()
            await carrier.dial(a_dial("c1", tmp_path, detect_machine=False))
            leg = carrier.engine.leg("c1")
            assert leg is not None
            stream = carrier.events()
            while not events or events[-1].kind not in (tel.FAILED, tel.HUMAN):
                events.append(await asyncio.wait_for(anext(stream), 10))
            if mode == "offer":
                assert leg.crypto is None
                await asyncio.sleep(0.2)
                await carrier.hangup("c1")
            sent.append(leg.sent)
            return await sipp.finish()
        finally:
            await carrier.close()
            if sipp.proc is not None and sipp.proc.returncode is None:
                sipp.proc.kill()
                await sipp.proc.wait()

    assert asyncio.run(asyncio.wait_for(go(), 60)) == 0
    if mode == "require":
        assert [(e.kind, e.detail) for e in events] == [
            (tel.RINGING, None),
            (tel.FAILED, "no SRTP in the answer"),
        ]
        assert sent == [0]
    else:
        assert [e.kind for e in events] == [tel.RINGING, tel.ANSWERED, tel.HUMAN]
        assert sent[0] > 0  # plain RTP flows
