"""The softphone gateway's SIP side: a tiny UAS on UDP that takes agents' nailed-up legs.

Rule 1: one UDP socket; an INVITE to ``sip:agent-<user id>@host:port`` asks for that
agent's leg. The owner (``accept``) answers with our SDP (the call goes up: 200, kept
resent at T1 doubling until the ACK, abandoned with a BYE after 32 s) or a status: 404
for a user part that names no agent, 480 when the agent's browser is not connected,
488 for an offer without PCMU. 100 Trying goes first; a retransmitted INVITE gets the
last response again.
Rule 2: BYE from the far end is answered 200 and reported (``on_bye``); ``bye`` ends a
leg from our side (the browser left), resent at T1 until any response (4 tries).
CANCEL of a call not yet answered is answered 200 (the INVITE then 487). OPTIONS is
answered 200; any other request outside a leg 481.
Rule 3: only ``peers`` (networks: the media plane's hosts) may open a leg; an INVITE from
any other address gets 403, before anything else is looked at.
Rule 4: nothing here logs a URI, a header or a body: the call id names a leg.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import re
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from lexdial.adapters.telephony.sip_message import Message, branch, parse, tag, uri_of

log = logging.getLogger(__name__)

T1 = 0.5
TIMER_B = 32.0
_AGENT = re.compile(r"^sips?:agent-(\d{1,18})@", re.IGNORECASE)
_REASONS = {
    100: "Trying", 200: "OK", 403: "Forbidden", 404: "Not Found", 480: "Temporarily Unavailable",
    481: "Call/Transaction Does Not Exist", 487: "Request Terminated",
    488: "Not Acceptable Here", 500: "Server Internal Error",
}  # fmt: skip


def agent_of(uri: str) -> int | None:
    """The user id of ``sip:agent-<id>@...``, else None."""
    m = _AGENT.match(uri)
    return int(m.group(1)) if m else None


@dataclass(eq=False)
class Leg:
    """One agent leg as the UAS sees it."""

    call_id: str
    user_id: int
    invite: Message
    addr: tuple[str, int]
    local_tag: str = field(default_factory=lambda: secrets.token_hex(6))
    last: bytes = b""
    acked: bool = False
    up: bool = False
    ended: bool = False
    cseq: int = 1
    timer: asyncio.TimerHandle | None = None
    bye_branch: str = ""


#: ``accept(user_id, leg, sdp_offer)`` -> (status, our SDP answer or b"")
Accept = Callable[[int, Leg, bytes], Awaitable[tuple[int, bytes]]]


class SipUas:
    """See the module rules; ``on_bye(leg)`` when the far end (or timer B) ends a leg."""

    def __init__(
        self,
        host: str,
        port: int,
        accept: Accept,
        on_bye: Callable[[Leg], None],
        peers: tuple[str, ...] = ("127.0.0.0/8", "::1/128"),
    ) -> None:
        self.host, self.port = host, port
        self.peers = [ipaddress.ip_network(p, strict=False) for p in peers]
        self.accept, self.on_bye = accept, on_bye
        self.legs: dict[str, Leg] = {}
        self.transport: asyncio.DatagramTransport | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        uas = self

        class Proto(asyncio.DatagramProtocol):
            def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
                uas.received(data, (str(addr[0]), int(addr[1])))

        transport, _ = await loop.create_datagram_endpoint(Proto, local_addr=(self.host, self.port))
        self.transport = transport
        self.port = int(transport.get_extra_info("sockname")[1])

    def close(self) -> None:
        for leg in self.legs.values():
            if leg.timer is not None:
                leg.timer.cancel()
        for task in self._tasks:
            task.cancel()
        if self.transport is not None:
            self.transport.close()
            self.transport = None

    # --- wire ----------------------------------------------------------------------

    def received(self, data: bytes, addr: tuple[str, int]) -> None:
        if not data.strip():
            return
        msg = parse(data)
        if msg is None:
            return
        try:
            if msg.status:
                self._on_response(msg)
            else:
                self._on_request(msg, addr)
        except Exception:  # one malformed message must not stop every agent's line
            log.exception("softphone gateway: SIP message could not be handled")

    def _on_request(self, msg: Message, addr: tuple[str, int]) -> None:
        leg = self.legs.get(msg.call_id)
        if msg.method == "INVITE":
            if leg is None:
                self._new_invite(msg, addr)
            elif leg.last and msg.cseq == leg.invite.cseq:
                self._send(leg.last, leg.addr)  # a retransmission: the same answer
            else:  # a re-INVITE: we keep our media
                self._reply(msg, 488, addr)
            return
        if msg.method == "ACK":
            if leg is not None and leg.up:
                leg.acked = True
                if leg.timer is not None:
                    leg.timer.cancel()
            return
        if msg.method == "OPTIONS":
            self._reply(msg, 200, addr)
            return
        if leg is None or leg.ended:
            self._reply(msg, 481, addr)
            return
        if msg.method == "BYE":
            self._reply(msg, 200, addr, leg)
            self._end(leg)
        elif msg.method == "CANCEL" and not leg.up:
            self._reply(msg, 200, addr, leg)
            leg.last = self._build_reply(leg.invite, 487, leg)
            self._send(leg.last, addr)
            self._end(leg)
        else:
            self._reply(msg, 200, addr, leg)

    def _new_invite(self, msg: Message, addr: tuple[str, int]) -> None:
        if not self._trusted(addr[0]):  # rule 3
            self._reply(msg, 403, addr)
            return
        user_id = agent_of(msg.uri)
        if user_id is None:
            self._reply(msg, 404, addr)
            return
        leg = self.legs[msg.call_id] = Leg(msg.call_id, user_id, msg, addr)
        self._send(self._build_reply(msg, 100, None), addr)
        task = asyncio.ensure_future(self._answer(leg, msg.body))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _answer(self, leg: Leg, offer: bytes) -> None:
        try:
            status, sdp = await self.accept(leg.user_id, leg, offer)
        except Exception:
            log.exception("softphone gateway: leg %s could not be answered", leg.call_id)
            status, sdp = 500, b""
        if leg.ended:  # cancelled while we were setting up
            return
        leg.last = self._build_reply(leg.invite, status, leg, sdp)
        self._send(leg.last, leg.addr)
        if status != 200:
            leg.ended = True
            self._forget_later(leg)
            return
        leg.up = True
        self._resend_ok(leg, T1, 0.0)

    def _resend_ok(self, leg: Leg, interval: float, elapsed: float) -> None:
        def fire() -> None:
            if leg.acked or leg.ended:
                return
            if elapsed + interval >= TIMER_B:  # never ACKed: end it (RFC 3261 §13.3.1.4)
                self.bye(leg)
                self._end(leg)
                return
            self._send(leg.last, leg.addr)
            self._resend_ok(leg, min(interval * 2, 4.0), elapsed + interval)

        leg.timer = asyncio.get_running_loop().call_later(interval, fire)

    def bye(self, leg: Leg) -> None:
        """End ``leg`` from our side (rule 2)."""
        if leg.ended or not leg.up:
            leg.ended = True
            return
        leg.ended = True
        leg.cseq += 1
        leg.bye_branch = branch()
        invite = leg.invite
        target = uri_of(invite.get("contact") or "") or uri_of(invite.get("from") or "")
        lines = [
            f"BYE {target} SIP/2.0",
            f"Via: SIP/2.0/UDP {self._host}:{self.port};branch={leg.bye_branch};rport",
            "Max-Forwards: 70",
            *(f"Route: <{uri_of(r)}>" for v in invite.all("record-route") for r in v.split(",")),
            f"From: {invite.get('to')};tag={leg.local_tag}",
            f"To: {invite.get('from')}",
            f"Call-ID: {leg.call_id}",
            f"CSeq: {leg.cseq} BYE",
            "User-Agent: lexdial-softphone",
            "Content-Length: 0",
            "",
            "",
        ]
        data = "\r\n".join(lines).encode()
        if leg.timer is not None:
            leg.timer.cancel()

        def send(tries: int) -> None:
            if leg.bye_branch == "" or tries == 0:
                return
            self._send(data, leg.addr)
            leg.timer = asyncio.get_running_loop().call_later(T1, send, tries - 1)

        send(4)
        self._forget_later(leg)

    def _on_response(self, msg: Message) -> None:
        leg = self.legs.get(msg.call_id)
        if leg is not None and msg.cseq[1] == "BYE" and msg.via_branch == leg.bye_branch:
            leg.bye_branch = ""  # answered: stop resending
            if leg.timer is not None:
                leg.timer.cancel()

    def _end(self, leg: Leg) -> None:
        was_up = leg.up
        leg.ended = True
        if leg.timer is not None and leg.bye_branch == "":
            leg.timer.cancel()
        self._forget_later(leg)
        if was_up:
            self.on_bye(leg)

    def _forget_later(self, leg: Leg) -> None:
        # kept 32 s so that retransmissions are answered consistently
        asyncio.get_running_loop().call_later(TIMER_B, self.legs.pop, leg.call_id, None)

    def _trusted(self, host: str) -> bool:
        try:
            ip = ipaddress.ip_address(host.split("%")[0])
        except ValueError:
            return False
        mapped = getattr(ip, "ipv4_mapped", None)
        ip = mapped or ip
        return any(ip in net for net in self.peers)

    # --- building ------------------------------------------------------------------

    @property
    def _host(self) -> str:
        return f"[{self.host}]" if ":" in self.host else self.host

    def _reply(
        self, msg: Message, code: int, addr: tuple[str, int], leg: Leg | None = None
    ) -> None:
        self._send(self._build_reply(msg, code, leg), addr)

    def _build_reply(self, msg: Message, code: int, leg: Leg | None, body: bytes = b"") -> bytes:
        lines = [f"SIP/2.0 {code} {_REASONS.get(code, 'OK')}"]
        lines += [f"Via: {v}" for v in msg.all("via")]
        lines += [f"Record-Route: {v}" for v in msg.all("record-route")]
        to = msg.get("to") or ""
        if leg is not None and code > 100 and tag(to) is None:
            to = f"{to};tag={leg.local_tag}"
        lines += [f"From: {msg.get('from') or ''}", f"To: {to}", f"Call-ID: {msg.call_id}"]
        lines.append(f"CSeq: {msg.get('cseq') or ''}")
        if leg is not None and msg.method == "INVITE" and code == 200:
            lines.append(f"Contact: <sip:agent-{leg.user_id}@{self._host}:{self.port}>")
        if body:
            lines.append("Content-Type: application/sdp")
        lines += ["User-Agent: lexdial-softphone", f"Content-Length: {len(body)}", "", ""]
        return "\r\n".join(lines).encode() + body

    def _send(self, data: bytes, addr: tuple[str, int]) -> None:
        if self.transport is not None:
            self.transport.sendto(data, addr)
