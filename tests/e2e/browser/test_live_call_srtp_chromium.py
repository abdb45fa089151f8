"""Under ``agent_srtp = "require"`` an agent in real Chromium still logs in with the browser
softphone and takes a real call, and the hop between the media plane and the WebRTC
gateway carries SRTP, never the call in clear.

The rig is ``test_live_call_chromium``'s (the web app as ``lexdial serve`` runs it, the
in-process media plane, a SIPp person, Chromium with a file for a microphone), with
``[telephony] agent_srtp = "require"``: the dialler offers the agent's leg RTP/SAVP with
SDES keys, and before this change the gateway answered plain RTP, so the leg ended
AGENT_DOWN "no SRTP in the answer" and the agent never got a line. Who hears whom is the
same correlation check at both ends. The plane<->gateway hop is read off the loopback
interface with a raw packet socket (root; skipped otherwise, saying why): the SDP on the
wire is RTP/SAVP with crypto both ways, every RTP packet carries the 80-bit tag, and the
payloads read as plain PCMU hold neither sweep, while decrypting them with the keys the
clear SDP carried gives the sweeps back (the packets are the call, encrypted).
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from tests.e2e.browser import test_live_call_chromium as live
from tests.integration.telephony.softphone_peers import best_match
from tests.integration.telephony.test_sip_sipp import RtpSink, Sipp, scenario, write_pcap
from tests.integration.telephony.wire_capture import (
    LoopbackCapture,
    as_plain_pcmu,
    capture_denied,
    decrypted,
    sdp_exchange,
)

from lexdial.bootstrap import init_store
from lexdial.config import Settings
from lexdial.config.desk import DeskSettings
from lexdial.config.sip import SipSettings
from lexdial.config.telephony import TelephonySettings
from lexdial.entrypoints.api.app import create_app
from lexdial.rules.context import Policy

from .conftest import FIRM, START, SimClock, require_browser

chromium = live.chromium  # the same headless Chromium, its microphone the upward sweep


@pytest.fixture(scope="module")
def capture() -> Iterator[LoopbackCapture]:
    denied = capture_denied()
    if denied:
        pytest.skip(denied)
    with LoopbackCapture() as cap:
        yield cap


@pytest.fixture(scope="module")
def rig(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[live.Rig, int]]:
    """``live.rig`` with ``agent_srtp = "require"`` and one call; also the gateway's port."""
    require_browser()
    missing = [tool for tool in live._missing_tools() if tool != "baresip"]
    if missing:
        why = f"telephony tools missing: {', '.join(missing)}"
        if os.environ.get("CI"):
            pytest.fail(why + "; scripts/telephony.sh installs them")
        pytest.skip(why + "; run scripts/telephony.sh")
    import uvicorn

    tmp = tmp_path_factory.mktemp("live-srtp")
    loop, sink = live.Loop(), RtpSink()

    async def listen() -> Any:
        import asyncio

        transport, _ = await asyncio.get_running_loop().create_datagram_endpoint(
            lambda: sink, local_addr=("127.0.0.1", 0)
        )
        return transport

    transport = loop.run(listen())
    pcap = write_pcap(tmp / "person.pcap", live._person(tmp))
    path = scenario(tmp, "uas_greeting.xml", GREETING_PCAP=str(pcap), BYE_TIMEOUT_MS="90000")
    sipp = Sipp(path, tmp, 1, int(transport.get_extra_info("sockname")[1]))
    sipp_started = False
    web = thread = sock = store = None
    gateway_port = live._free_udp_port()
    try:
        loop.run(sipp.start())
        sipp_started = True
        settings = Settings(
            policy=Policy(),
            firm_name=FIRM,
            telephony=TelephonySettings(
                carrier="sip",
                trunk=sipp.trunk,
                media="plane",
                sip=SipSettings(agent_srtp="require"),
            ),
            desk=DeskSettings(True, ("127.0.0.1", gateway_port)),
        )
        store = init_store(settings, {"LEXDIAL_DATA_DIR": str(tmp / "store")}, now=START)
        agent, endpoint, progressive, preview, token = live._populate(store)
        app = create_app(store, clock=SimClock(START, 1.0), dial=True)
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        config = uvicorn.Config(
            app, log_level="warning", access_log=False, lifespan="on", ws="none"
        )
        web = uvicorn.Server(config)
        thread = threading.Thread(target=web.run, kwargs={"sockets": [sock]}, daemon=True)
        thread.start()
        deadline = time.monotonic() + 20
        while not web.started:
            assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
            time.sleep(0.05)
        url = f"http://127.0.0.1:{sock.getsockname()[1]}"
        rig = live.Rig(url, store, app, agent, endpoint, progressive, preview, token, sipp,
                       sink, loop)  # fmt: skip
        yield rig, gateway_port
    finally:
        if web is not None and thread is not None:
            web.should_exit = True
            thread.join(timeout=20)
        if sock is not None:
            sock.close()
        if store is not None:
            store.db.dispose()
        if sipp_started and sipp.proc is not None and sipp.proc.returncode is None:
            sipp.proc.kill()
            loop.run(sipp.proc.wait())
        transport.close()
        loop.stop()


def test_under_agent_srtp_require_a_chromium_agent_logs_in_hears_and_is_heard_over_srtp(
    rig: tuple[live.Rig, int], chromium: Any, capture: LoopbackCapture
) -> None:
    rig_, gateway_port = rig
    browser = chromium
    assert live._api(rig_, f"/v1/campaigns/{rig_.live}/start")["status"] == "running"
    assert live._api(rig_, f"/v1/campaigns/{rig_.live}/pause")["status"] == "paused"
    live._log_in(browser, rig_)
    live._sit(browser, rig_, rig_.live)

    before = set(rig_.sink.streams)
    assert live._api(rig_, f"/v1/campaigns/{rig_.live}/resume")["status"] == "running"
    live._softphone(browser, "line open")  # the leg is up: the agent logged in under require
    live._state(browser, "on_call", 60)
    streams = live._new_streams(rig_, before)
    time.sleep(1.5)  # the person's greeting and wait are behind; they are sweeping now
    live._both_hear(browser, rig_, streams)

    # the hop between the plane and the gateway, as the kernel carried it
    seen = sdp_exchange(capture, gateway_port)
    assert seen.offer_profile == seen.answer_profile == "RTP/SAVP"
    assert seen.offer_crypto and len(seen.answer_crypto) == 1
    to_gateway = capture.between(seen.offer_port, seen.answer_port)[-250:]
    to_plane = capture.between(seen.answer_port, seen.offer_port)[-250:]
    assert len(to_gateway) > 200 and len(to_plane) > 200
    assert {len(p) for p in to_gateway + to_plane} == {12 + 160 + 10}
    clear = {
        "person's sweep, read plain": best_match(as_plain_pcmu(to_gateway), live.DOWN[:8000]),
        "agent's sweep, read plain": best_match(as_plain_pcmu(to_plane), live.UP[:8000]),
    }
    offered = {line.split()[0]: line for line in seen.offer_crypto}
    tag = seen.answer_crypto[0].split()[0]
    opened = {
        "person's sweep, decrypted": best_match(
            as_plain_pcmu(decrypted(to_gateway, offered[tag])), live.DOWN[:8000]
        ),
        "agent's sweep, decrypted": best_match(
            as_plain_pcmu(decrypted(to_plane, seen.answer_crypto[0])), live.UP[:8000]
        ),
    }
    print(clear, opened)
    assert max(clear.values()) < 0.2, clear
    # the same thresholds as ``_both_hear``: the person's sweep crossed u-law only, the
    # agent's Chromium's audio processing and Opus
    assert opened["person's sweep, decrypted"] > 0.5, opened
    assert opened["agent's sweep, decrypted"] > 0.4, opened

    browser.find_element(live.By.ID, "hangup").click()
    live._state(browser, "wrap_up")
    live._media_stops(rig_, streams)
