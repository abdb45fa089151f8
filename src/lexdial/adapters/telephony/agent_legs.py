"""Agents' nailed-up legs on the media plane: each agent's phone is called once, at log-in.

Rule 1: ``login`` INVITEs the agent's SIP URI (kind ``sip``: a desk phone, or a browser
softphone that lexdial's WebRTC gateway exposes as a SIP UAS) straight at the URI's
host:port, not through the trunk (an agent's phone is not behind the carrier), from the
leg's caller ID (else "lexdial"). ``sips:`` and other kinds are refused with a
``TelephonyError`` naming the field: this UA speaks UDP only.
Rule 1b: the INVITE offers SRTP as the trunk's ``agent_srtp`` says (``srtp`` rules 1 and
1b, as the trunk's calls do with ``srtp``): "off" plain RTP (the default: desk phones on
an office LAN often have no SRTP), "offer" SDES on RTP/AVP (a plain phone answers plain),
"require" RTP/SAVP. Under "require" a phone that answers without a usable crypto line is
sent BYE at once, before any RTP, and the log-in fails AGENT_DOWN "no SRTP in the answer";
one that refuses the offer fails "sip 488: the phone refused SRTP (agent_srtp = require)".
The leg then protects and unprotects every packet itself (``rtp`` rule 4b): a bridge
carries plain payloads, each leg encrypting on its own side. A re-INVITE with a new key
for our crypto line replaces the phone's key (ours is kept).
Rule 2: the leg is kept up between calls: it sends u-law silence while idle (the agent
hears a quiet line, never a dead one) and answers the phone's re-INVITE (a new media
address is followed) and OPTIONS. AGENT_UP (``call_id`` "", ``detail`` the agent label)
when the phone answers.
Rule 3: AGENT_DOWN (``call_id`` "", ``detail`` the agent label, as for AGENT_UP) when the
leg ends; the reason goes in the event's ``prompt`` field: "far end" (the agent hung
up), "logged out", "no answer" (no answer within ``answer_timeout_s``), "sip CODE" (the
phone refused), "no media in the answer", "no SRTP in the answer" (rule 1b), "closed".
A leg that drops while bridged leaves the call up: the call flow decides (the dialler
hangs it up).
Rule 2b: a phone that stops sending RTP for ``media_timeout_s`` (30 s) while its last
SDP says it sends (not ``a=inactive``/``a=recvonly``: on hold) is gone (a dead network, a
crashed softphone): the leg is ended with BYE, AGENT_DOWN "no media", so no call is ever
joined to a dead line.
Rule 4: a leg serves one call at a time (``call_id``); when that call ends, the leg goes
back to idle, still up: it is nailed up, not hung up.
Rule 5: nothing here logs a URI (the agent's number is personal data): logs name agents.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import socket
from collections.abc import Callable
from dataclasses import dataclass

from lexdial.adapters.telephony import srtp
from lexdial.adapters.telephony.rtp import Leg, MediaEngine
from lexdial.adapters.telephony.sip_dialog import Dialog
from lexdial.adapters.telephony.sip_message import Message, parse_sdp, sdp_offer
from lexdial.adapters.telephony.sip_trunk import Trunk, split_address
from lexdial.adapters.telephony.sip_ua import SipUa
from lexdial.domain import telephony as tel
from lexdial.errors import TelephonyError

log = logging.getLogger("lexdial.adapters.telephony.media_plane")

_URI = re.compile(r"sip:(?:[^@;>]+@)?(\[[^\]]+\]|[^:;>?]+)(?::(\d+))?(?:[;?].*)?")


def uri_host_port(uri: str) -> tuple[str, int]:
    """The host and port (5060 by default) a ``sip:`` URI is reached at (rule 1)."""
    m = _URI.fullmatch(uri.strip())
    if m is None:
        raise TelephonyError("address: not a sip: URI this carrier can reach (UDP)")
    return m.group(1).strip("[]"), int(m.group(2)) if m.group(2) else 5060


@dataclass(eq=False)
class AgentLine:
    """One agent's nailed-up leg (see the module rules)."""

    leg: tel.AgentLeg
    started: float
    dialog: Dialog | None = None
    rtp: Leg | None = None
    up: bool = False
    ended: bool = False
    call_id: str = ""  # the call bridged to it; "" = idle
    timer: asyncio.TimerHandle | None = None
    on_hold: bool = False  # its last SDP says it sends nothing (rule 2b)
    seen: int = 0  # packets received at the last media check
    heard_at: float = 0.0  # when that count last moved

    @property
    def agent(self) -> str:
        """The agent's label ("user:ID")."""
        return self.leg.agent


class AgentLines:
    """Every agent's leg on one UA and media engine (see the module rules).

    ``emit(event)`` queues an event; ``dropped(line)`` is told when a bridged leg ends.
    """

    def __init__(
        self,
        ua: SipUa,
        engine: MediaEngine,
        trunk: Trunk,
        emit: Callable[[tel.CallEvent], None],
        dropped: Callable[[AgentLine], None],
        *,
        answer_timeout_s: float = 30.0,
        media_timeout_s: float = 30.0,
    ) -> None:
        self.ua, self.engine, self.trunk = ua, engine, trunk
        self._emit, self._dropped = emit, dropped
        self.answer_timeout_s, self.media_timeout_s = answer_timeout_s, media_timeout_s
        self.lines: dict[str, AgentLine] = {}
        self._tasks: set[asyncio.Future[Message | None]] = set()

    async def login(self, leg: tel.AgentLeg) -> None:
        """Call the agent's endpoint (rule 1); AGENT_UP or AGENT_DOWN follows."""
        if leg.kind != "sip":
            raise TelephonyError(f"kind: {leg.kind} agent legs are not reachable over SIP")
        if not leg.agent:
            raise TelephonyError("agent: an agent label is required")
        old = self.lines.get(leg.agent)
        if old is not None and not old.ended:
            raise TelephonyError(f"agent: {leg.agent} already has a leg open")
        host, port = uri_host_port(leg.address)
        loop = asyncio.get_running_loop()
        dest = await self.resolve(host, port)
        rtp = self.engine.open(f"agent:{leg.agent}")  # OSError when no port is free
        line = self.lines[leg.agent] = AgentLine(leg, loop.time(), rtp=rtp)
        caller = self.trunk.caller(leg.caller_id) if leg.caller_id else "lexdial"
        rtp.keys, profile = srtp.offer(self.trunk.agent_srtp)  # rule 1b
        offer = sdp_offer(rtp.port, srtp.lines(rtp.keys), profile=profile)
        d = line.dialog = self.ua.invite(leg.address.strip(), caller, offer, dest=dest)
        d.on_response = lambda msg: self._on_response(line, msg)
        d.on_request = lambda msg: self._on_request(line, msg)
        line.timer = loop.call_later(self.answer_timeout_s, self._no_answer, line)
        log.info("agent %s: INVITE sent to the agent's endpoint", leg.agent)

    async def logout(self, agent: str) -> None:
        """End ``agent``'s leg (CANCEL if still ringing, else BYE); no-op with none."""
        line = self.lines.get(agent)
        if line is None or line.ended or line.dialog is None:
            return
        if not line.up:
            self.ua.cancel(line.dialog)
        else:
            await self.ua.request(line.dialog, "BYE")
        self.down(line, "logged out")

    def idle(self, agent: str) -> AgentLine:
        """``agent``'s leg if it is up and serves no call, else a ``TelephonyError``."""
        line = self.lines.get(agent)
        if line is None or line.ended or not line.up or line.rtp is None:
            raise TelephonyError(f"agent: {agent} has no open leg")
        if line.call_id:
            raise TelephonyError(f"agent: {agent} is on another call")
        return line

    def serving(self, call_id: str) -> AgentLine | None:
        """The leg bridged to ``call_id``, if any."""
        for line in self.lines.values():
            if line.call_id == call_id and not line.ended:
                return line
        return None

    def release(self, call_id: str) -> None:
        """The call ended or moved: its leg goes back to idle, still up (rule 4)."""
        line = self.serving(call_id)
        if line is not None:
            line.call_id = ""
            if line.rtp is not None:
                line.rtp.on_heard = None
                line.rtp.stop_playing()
                self.engine.disconnect(line.rtp)

    async def close(self) -> None:
        """BYE every leg (at most 2 s), then end them all."""
        live = [line.agent for line in self.lines.values() if not line.ended]
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.gather(*(self.logout(a) for a in live)), 2.0)
        for line in list(self.lines.values()):
            self.down(line, "closed")

    def down(self, line: AgentLine, reason: str) -> None:
        """End ``line`` and report AGENT_DOWN with ``reason`` in ``prompt`` (rule 3)."""
        if line.ended:
            return
        line.ended = True
        if line.timer is not None:
            line.timer.cancel()
        t = round(asyncio.get_running_loop().time() - line.started, 3)
        self._emit(tel.CallEvent("", tel.AGENT_DOWN, t, prompt=reason, detail=line.agent))
        if line.call_id:
            self._dropped(line)
        if line.rtp is not None:
            line.rtp.close()
        if line.dialog is not None:
            self.ua.forget(line.dialog)
        if self.lines.get(line.agent) is line:
            del self.lines[line.agent]
        log.info("agent %s: leg down (%s)", line.agent, reason)

    # --- signalling ----------------------------------------------------------------------

    async def resolve(self, host: str, port: int) -> tuple[str, int]:
        """Where to send a request for ``host:port`` (the trunk's proxy for its own host)."""
        loop = asyncio.get_running_loop()
        try:
            infos = await loop.getaddrinfo(host, port, type=socket.SOCK_DGRAM)
        except OSError as exc:
            raise TelephonyError("address: the agent's SIP host cannot be resolved") from exc
        if not infos:
            raise TelephonyError("address: the agent's SIP host cannot be resolved")
        trunk_host, _ = split_address(self.trunk.address)
        if host == trunk_host.strip("[]") and self.trunk.route:
            return self.ua.next_hop  # the trunk's own user: through its outbound proxy
        return str(infos[0][4][0]), int(infos[0][4][1])

    def _no_answer(self, line: AgentLine) -> None:
        if line.up or line.ended:
            return
        if line.dialog is not None:
            self.ua.cancel(line.dialog)
        self.down(line, "no answer")

    def _on_response(self, line: AgentLine, msg: Message) -> None:
        if line.ended or msg.status < 200:
            return
        if msg.status >= 300:
            self.down(line, self._refused(msg.status))
            return
        media = parse_sdp(msg.body)
        if media is None or line.rtp is None:
            self._bye(line)
            self.down(line, "no media in the answer")
            return
        if line.dialog is not None:
            try:
                line.rtp.crypto, line.dialog.sdp = srtp.agreed(
                    self.trunk.agent_srtp, line.rtp.keys, media.crypto, line.dialog.sdp
                )
            except srtp.SrtpMissingError:  # rule 1b: no RTP has been sent on it
                log.warning("agent %s: SRTP required, none in the answer", line.agent)
                self._bye(line)
                self.down(line, "no SRTP in the answer")
                return
        line.rtp.start(media.host, media.port, dtmf_pt=media.dtmf_pt)
        line.up, line.on_hold = True, _sends_nothing(msg.body)
        if line.timer is not None:
            line.timer.cancel()
        loop = asyncio.get_running_loop()
        line.seen, line.heard_at = line.rtp.received, loop.time()
        line.timer = loop.call_later(self._check_every, self._watch, line)
        t = round(loop.time() - line.started, 3)
        self._emit(tel.CallEvent("", tel.AGENT_UP, t, detail=line.agent))
        log.info("agent %s: leg up%s", line.agent, " (SRTP)" if line.rtp.crypto else "")

    def _refused(self, status: int) -> str:
        """The AGENT_DOWN reason for a phone's final refusal (rules 1b and 3)."""
        if status == 488 and self.trunk.agent_srtp == "require":
            return "sip 488: the phone refused SRTP (agent_srtp = require)"
        return f"sip {status}"

    def _bye(self, line: AgentLine) -> None:
        """BYE ``line``'s dialog without waiting for the answer."""
        if line.dialog is not None:
            task = asyncio.ensure_future(self.ua.request(line.dialog, "BYE"))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    def _on_request(self, line: AgentLine, msg: Message) -> None:
        if line.ended:
            return
        if msg.method == "BYE":
            self.down(line, "far end")
        elif msg.method == "INVITE" and line.rtp is not None:
            media = parse_sdp(msg.body)  # a re-INVITE (hold, a moved softphone)
            if media is not None:
                line.rtp.start(media.host, media.port, dtmf_pt=media.dtmf_pt)
                line.on_hold = _sends_nothing(msg.body)
                line.heard_at = asyncio.get_running_loop().time()
                crypto = line.rtp.crypto
                if crypto is not None and crypto.follow(media.crypto):  # rule 1b
                    log.info("agent %s: the phone changed its SRTP key", line.agent)

    @property
    def _check_every(self) -> float:
        return min(5.0, self.media_timeout_s / 3)

    def _watch(self, line: AgentLine) -> None:
        """The dead-phone check (rule 2b), every few seconds while the leg is up."""
        if line.ended or line.rtp is None:
            return
        loop = asyncio.get_running_loop()
        now = loop.time()
        if line.rtp.received != line.seen or line.on_hold:
            line.seen, line.heard_at = line.rtp.received, now
        elif now - line.heard_at >= self.media_timeout_s:
            self._bye(line)
            self.down(line, "no media")
            return
        line.timer = loop.call_later(self._check_every, self._watch, line)


def _sends_nothing(sdp: bytes) -> bool:
    """Whether an SDP body says its sender will send no media (on hold)."""
    return bool(re.search(rb"(?m)^a=(inactive|recvonly)\s*$", sdp))
