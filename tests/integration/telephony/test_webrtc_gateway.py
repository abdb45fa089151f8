"""The softphone gateway against its two real far ends: an aiortc peer as the agent's browser
(Opus over DTLS-SRTP, ICE on 127.0.0.1) and the media plane's own SIP UA and RTP leg
opening the agent's nailed-up leg (PCMU). Who hears what is proved by correlation: each end
sends its own sweep (up at the browser, down at the plane) and must hear the other's, not
its own.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from lexdial.adapters.telephony.webrtc_gateway import WebRtcGateway

from .softphone_peers import Browser, PlaneSide, best_match, chirp

UP, DOWN = chirp(300, 3000), chirp(3000, 300)
SWEEP = 8000  # the sweep's samples, without the gap after it


async def _until(check: Callable[[], bool], seconds: float = 10.0) -> None:
    for _ in range(int(seconds / 0.05)):
        if check():
            return
        await asyncio.sleep(0.05)
    raise AssertionError("timed out")


def run(
    test: Callable[[WebRtcGateway, PlaneSide], Awaitable[None]],
    peers: tuple[str, ...] = ("127.0.0.0/8", "::1/128"),
) -> None:
    async def go() -> None:
        gateway = WebRtcGateway("127.0.0.1", 0, peers)
        await gateway.start()
        plane = PlaneSide(f"127.0.0.1:{gateway.sip_port}")
        await plane.start()
        try:
            await asyncio.wait_for(test(gateway, plane), 60)
        finally:
            await plane.close()
            await gateway.close()

    asyncio.run(go())


async def _browser(gateway: WebRtcGateway, user_id: int, signal: Any = UP) -> Browser:
    browser = Browser(signal)
    browser.answer_sdp = await gateway.offer(user_id, await browser.offer())  # type: ignore[attr-defined]
    await browser.answer(browser.answer_sdp)  # type: ignore[attr-defined]
    await _until(lambda: gateway.agents[user_id].connected)
    return browser


def test_an_agent_in_the_browser_hears_the_person_and_is_heard_both_ways_by_correlation() -> None:
    async def test(gateway: WebRtcGateway, plane: PlaneSide) -> None:
        browser = await _browser(gateway, 7)
        assert gateway.status(7) == {"browser": "connected", "line": "closed"}
        leg = await plane.open(gateway.address(7), DOWN)
        assert await plane.results[leg.call_id] == 200
        assert gateway.status(7)["line"] == "open"
        await asyncio.sleep(1.0)  # the jitter buffers settle
        plane.heard(leg)
        browser.take()
        browser.recording = True
        await asyncio.sleep(3.5)
        at_plane, at_browser = plane.heard(leg), browser.take()
        assert len(at_plane) > 3 * 8000 and len(at_browser) > 3 * 8000
        # each end hears the other's sweep, clearly, and not its own echoed back
        assert best_match(at_plane, UP[:SWEEP]) > 0.8
        assert best_match(at_plane, DOWN[:SWEEP]) < 0.3
        assert best_match(at_browser, DOWN[:SWEEP]) > 0.8
        assert best_match(at_browser, UP[:SWEEP]) < 0.3
        await browser.close()

    run(test)


def test_a_leg_for_an_agent_whose_browser_is_not_connected_is_refused_480() -> None:
    async def test(gateway: WebRtcGateway, plane: PlaneSide) -> None:
        leg = await plane.open(gateway.address(8), None)
        assert await plane.results[leg.call_id] == 480
        bad = await plane.open(f"sip:bob@127.0.0.1:{gateway.sip_port}", None)
        assert await plane.results[bad.call_id] == 404  # not an agent's address at all
        assert gateway.status(8) == {"browser": "disconnected", "line": "closed"}

    run(test)


def test_the_browser_leaving_ends_the_leg_with_a_bye_to_the_plane() -> None:
    async def test(gateway: WebRtcGateway, plane: PlaneSide) -> None:
        browser = await _browser(gateway, 9)
        leg = await plane.open(gateway.address(9), DOWN)
        assert await plane.results[leg.call_id] == 200
        await browser.close()  # the tab closed: ICE/DTLS go away
        await gateway.hangup(9)  # ...and the page's DELETE (or the connection failing)
        await _until(lambda: leg.call_id in plane.byes, 5)
        assert gateway.status(9)["browser"] == "disconnected"

    run(test)


def test_a_bye_from_the_plane_closes_the_line_and_the_browser_stays_ready_for_the_next() -> None:
    async def test(gateway: WebRtcGateway, plane: PlaneSide) -> None:
        browser = await _browser(gateway, 10)
        first = await plane.open(gateway.address(10), DOWN)
        assert await plane.results[first.call_id] == 200
        assert await plane.bye(first) == 200
        await _until(lambda: gateway.status(10)["line"] == "closed", 5)
        assert gateway.status(10)["browser"] == "connected"
        second = await plane.open(gateway.address(10), DOWN)
        assert await plane.results[second.call_id] == 200
        browser.recording = True
        await asyncio.sleep(3.2)  # two periods of the sweep hold one whole sweep
        assert best_match(browser.take(), DOWN[:SWEEP]) > 0.8  # the new line carries audio
        await browser.close()

    run(test)


def test_a_new_offer_from_the_same_agent_replaces_the_old_connection_and_its_leg() -> None:
    async def test(gateway: WebRtcGateway, plane: PlaneSide) -> None:
        old = await _browser(gateway, 11)
        leg = await plane.open(gateway.address(11), DOWN)
        assert await plane.results[leg.call_id] == 200
        new = await _browser(gateway, 11)  # a reloaded page
        await _until(lambda: leg.call_id in plane.byes, 5)
        assert gateway.status(11) == {"browser": "connected", "line": "closed"}
        await old.close()
        await new.close()

    run(test)


def test_an_offer_without_audio_is_refused_naming_the_sdp() -> None:
    async def test(gateway: WebRtcGateway, plane: PlaneSide) -> None:
        from lexdial.errors import RequestError

        with pytest.raises(RequestError) as err:
            await gateway.offer(12, "v=0\r\ns=-\r\n")
        assert err.value.field == "sdp"
        assert 12 not in gateway.agents

    run(test)


def test_a_leg_from_a_host_not_among_the_peers_is_refused_403_and_the_agent_is_not_reached() -> (
    None
):
    async def test(gateway: WebRtcGateway, plane: PlaneSide) -> None:
        browser = await _browser(gateway, 13)
        leg = await plane.open(gateway.address(13), DOWN)  # from 127.0.0.1, not allowed
        assert await plane.results[leg.call_id] == 403
        assert gateway.status(13) == {"browser": "connected", "line": "closed"}
        await browser.close()

    run(test, peers=("192.0.2.7/32",))


def test_audio_from_a_host_other_than_the_plane_never_reaches_the_agent_s_ear() -> None:
    import socket
    import struct

    from lexdial.adapters.telephony.rtp_codec import ulaw_encode

    async def inject(port: int, source: str) -> None:
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.bind((source, 0))
        pcm = ulaw_encode((UP * 32767).astype("int16"))
        try:
            for seq in range(len(pcm) // 160 * 2):  # two sweeps, in real time
                frame = pcm[(seq * 160) % (len(pcm) - 160) :][:160]
                sock.sendto(struct.pack(">BBHII", 0x80, 0, seq, seq * 160, 7) + frame,
                            ("127.0.0.1", port))  # fmt: skip
                await asyncio.sleep(0.02)
        finally:
            sock.close()

    async def test(gateway: WebRtcGateway, plane: PlaneSide) -> None:
        browser = await _browser(gateway, 14, signal=DOWN)
        leg = await plane.open(gateway.address(14), None)
        assert await plane.results[leg.call_id] == 200
        endpoint = gateway.agents[14].endpoint
        assert endpoint is not None
        plane.legs[leg.call_id].remote = None  # the plane's leg falls quiet: only the injector
        scores = {}
        for source in ("127.0.0.2", "127.0.0.1"):
            browser.take()
            browser.recording = True
            await inject(endpoint.port, source)
            scores[source] = best_match(browser.take(), UP[:SWEEP])
        # from the plane's host the injected sweep is heard (0.5-0.6: asyncio.sleep paces the
        # injector a little slower than the gateway's clock, so it arrives with gaps): the
        # test can tell; from elsewhere nothing of it arrives at all
        assert scores["127.0.0.1"] > 0.3 and scores["127.0.0.2"] < 0.1, scores
        await browser.close()

    run(test)
