"""The agent desk's browser softphone, terminated by lexdial: WebRTC in, SIP/RTP out.

Rule 1: each logged-in agent's browser holds at most one RTCPeerConnection to this
gateway (aiortc), made by ``offer`` from the page's SDP offer (non-trickle: the answer
carries every candidate). A new offer from the same agent replaces the old connection
(a reloaded page); ``hangup`` or the connection failing closes it.
Rule 2: the gateway is also a tiny SIP UAS (``webrtc_sip``) at ``sip:agent-<id>@host:port``.
The media plane opens an agent's nailed-up leg with an INVITE there: answered only while
that agent's browser is connected (else 480), and only from ``peers`` (else 403), with
audio both ways (``webrtc_audio``: PCMU 8 kHz on the plane's side, Opus 48 kHz in the
browser). The plane needs nothing
WebRTC-specific, and may run in another process or on another host.
Rule 2b: the plane's offer decides SRTP on that hop (its ``agent_srtp``): an SDES offer
(RTP/SAVP, or RTP/AVP with ``a=crypto:`` lines) is answered in the same profile with one
crypto line and a fresh key of the leg's own (``srtp`` rule 5), and the leg's RTP is then
SRTP both ways; an offer without crypto is answered plain; an RTP/SAVP offer with no
crypto line we can use gets 488 (never plain audio where the plane requires SRTP).
Rule 3: a BYE from the plane ends the leg and leaves the browser connected (the dialler
may open the leg again); the browser leaving ends the leg with a BYE to the plane.
Rule 4: ICE host candidates are the gateway's own address only (the SIP address's
host; 0.0.0.0 offers every interface): a LAN softphone needs no STUN or TURN, and
lexdial offers no address it was not told to.
Rule 5: voices are personal data: in memory only, never logged (call ids name legs).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass, field
from typing import Any

import aioice.ice
from aiortc import RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import MediaStreamTrack

from lexdial.adapters.telephony import srtp
from lexdial.adapters.telephony.sip_message import Media, parse_sdp
from lexdial.adapters.telephony.webrtc_audio import PlaneTrack, RtpEndpoint, pump_browser
from lexdial.adapters.telephony.webrtc_sip import Leg, SipUas
from lexdial.errors import RequestError, TelephonyError

log = logging.getLogger(__name__)

_ANY = ("0.0.0.0", "::")


@dataclass(eq=False)
class Agent:
    """One agent's browser connection and, while the dialler holds it open, their leg."""

    user_id: int
    pc: RTCPeerConnection
    track: PlaneTrack
    heard: MediaStreamTrack | None = None
    leg: Leg | None = None
    endpoint: RtpEndpoint | None = None
    pump: asyncio.Task[None] | None = None
    tasks: set[asyncio.Task[Any]] = field(default_factory=set)

    @property
    def connected(self) -> bool:
        return self.pc.connectionState == "connected" and self.heard is not None


class WebRtcGateway:
    """See the module rules. ``start``/``close`` with the web app (``bootstrap.webrtc``)."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        sip_port: int = 5099,
        peers: tuple[str, ...] = ("127.0.0.0/8", "::1/128"),
    ) -> None:
        self.host = host
        self.uas = SipUas(host, sip_port, self._accept, self._leg_ended, peers)
        self.agents: dict[int, Agent] = {}

    @property
    def sip_port(self) -> int:
        return self.uas.port

    def address(self, user_id: int) -> str:
        """The SIP URI of ``user_id``'s leg (rule 2)."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"sip:agent-{user_id}@{host}:{self.uas.port}"

    async def start(self) -> None:
        await self.uas.start()
        log.info("softphone gateway: SIP on %s:%s", self.host, self.uas.port)

    async def close(self) -> None:
        for user_id in list(self.agents):
            await self.hangup(user_id)
        self.uas.close()

    # --- the browser side ------------------------------------------------------------

    async def offer(self, user_id: int, sdp: str) -> str:
        """The SDP answer to ``user_id``'s browser offer (rule 1)."""
        if "m=audio" not in sdp:
            raise RequestError("sdp", "the offer must be an SDP offer with an audio track")
        await self.hangup(user_id)  # a reloaded page replaces its old connection
        pc = RTCPeerConnection()
        agent = self.agents[user_id] = Agent(user_id, pc, PlaneTrack())
        pc.addTrack(agent.track)

        @pc.on("track")
        def on_track(track: MediaStreamTrack) -> None:
            if track.kind == "audio" and agent.heard is None:
                agent.heard = track
                agent.pump = asyncio.ensure_future(pump_browser(track, lambda: agent.endpoint))

        @pc.on("connectionstatechange")
        async def on_state() -> None:
            if pc.connectionState in ("failed", "closed") and self.agents.get(user_id) is agent:
                await self.hangup(user_id)

        try:
            with _host_candidates(self.host):
                await pc.setRemoteDescription(RTCSessionDescription(sdp=sdp, type="offer"))
                await pc.setLocalDescription(await pc.createAnswer())
        except (ValueError, AttributeError) as exc:  # aiortc's word for an unusable offer
            await self.hangup(user_id)
            raise RequestError("sdp", f"the offer cannot be answered ({exc})") from None
        local = pc.localDescription
        if local is None:
            await self.hangup(user_id)
            raise TelephonyError("the softphone gateway could not answer the offer")
        return local.sdp

    async def hangup(self, user_id: int) -> None:
        """Close ``user_id``'s browser connection; their leg ends with a BYE (rule 3)."""
        agent = self.agents.pop(user_id, None)
        if agent is None:
            return
        if agent.leg is not None:
            self.uas.bye(agent.leg)
        self._drop_leg(agent)
        if agent.pump is not None:
            agent.pump.cancel()
        agent.track.stop()
        await agent.pc.close()

    def status(self, user_id: int) -> dict[str, str]:
        """What the page shows: the browser connection and the leg."""
        agent = self.agents.get(user_id)
        if agent is None:
            return {"browser": "disconnected", "line": "closed"}
        line = "open" if agent.leg is not None and agent.leg.up else "closed"
        return {"browser": agent.pc.connectionState, "line": line}

    # --- the plane side (webrtc_sip calls these) -----------------------------------

    async def _accept(self, user_id: int, leg: Leg, offer: bytes) -> tuple[int, bytes]:
        agent = self.agents.get(user_id)
        if agent is None or not agent.connected:
            return 480, b""
        media, audio = _media(offer), _audio_line(offer)
        if media is None or audio is None or "0" not in audio[3:]:
            return 488, b""
        crypto = srtp.answer_offer(media.crypto)  # rule 2b: a fresh key for this leg
        profile = audio[2] if crypto is not None else "RTP/AVP"
        if crypto is None and audio[2] == "RTP/SAVP":
            log.warning("softphone gateway: leg %s offers RTP/SAVP with no usable crypto "
                        "line: refused", leg.call_id)  # fmt: skip
            return 488, b""
        if agent.leg is not None:  # a new leg replaces one the plane forgot
            self.uas.bye(agent.leg)
            self._drop_leg(agent)
        endpoint = await RtpEndpoint.open(self.host if self.host not in _ANY else "0.0.0.0",
                                          agent.track)  # fmt: skip
        endpoint.remote, endpoint.crypto = (media.host, media.port), crypto
        agent.leg, agent.endpoint = leg, endpoint
        how = f" (SRTP {crypto.suite})" if crypto is not None else ""
        log.info("softphone gateway: agent %s leg %s up%s", user_id, leg.call_id, how)
        answer_lines = srtp.lines((crypto.ours,)) if crypto is not None else ()
        return 200, _sdp_answer(self._sdp_host(media.host), endpoint.port, profile, answer_lines)

    def _leg_ended(self, leg: Leg) -> None:
        agent = self.agents.get(leg.user_id)
        if agent is not None and agent.leg is leg:
            self._drop_leg(agent)
            log.info("softphone gateway: agent %s leg %s ended", leg.user_id, leg.call_id)

    def _drop_leg(self, agent: Agent) -> None:
        if agent.endpoint is not None:
            agent.endpoint.close()
        agent.leg = agent.endpoint = None

    def _sdp_host(self, peer: str) -> str:
        # an unspecified bind address: answer with the address the plane reached us on
        return peer if self.host in _ANY else self.host


def _media(offer: bytes) -> Media | None:
    """The offer's audio address, or None when it has none we can send to: a port that is
    not a number in 1-65535 is the plane's mistake (488), not ours (500), and must never
    reach the socket that sends the agent's voice."""
    try:
        media = parse_sdp(offer)
    except ValueError:  # "m=audio abc ..."
        return None
    if media is None or not 0 < media.port < 65536:
        return None
    return media


def _audio_line(offer: bytes) -> list[str] | None:
    """The offer's ``m=audio`` line, split (port, profile, payload types), or None."""
    for line in offer.decode("utf-8", "replace").splitlines():
        if line.startswith("m=audio "):
            fields = line.split()
            return fields if len(fields) >= 4 else None
    return None


def _sdp_answer(
    host: str, port: int, profile: str = "RTP/AVP", crypto: tuple[str, ...] = ()
) -> bytes:
    ip = "IP6" if ":" in host else "IP4"
    lines = [
        "v=0", f"o=lexdial-softphone 1 1 IN {ip} {host}", "s=lexdial softphone",
        f"c=IN {ip} {host}", "t=0 0", f"m=audio {port} {profile} 0", "a=rtpmap:0 PCMU/8000",
        "a=ptime:20", "a=sendrecv", *crypto,
    ]  # fmt: skip
    return ("\r\n".join(lines) + "\r\n").encode()


@contextlib.contextmanager
def _host_candidates(host: str) -> Any:
    """Rule 4: aioice gathers on every interface but loopback; we offer ``host`` only.
    aioice has no option for it, so its address lookup is replaced while we gather."""
    if host in _ANY:
        yield
        return
    original = aioice.ice.get_host_addresses
    aioice.ice.get_host_addresses = lambda use_ipv4, use_ipv6: [host]
    try:
        yield
    finally:
        aioice.ice.get_host_addresses = original
