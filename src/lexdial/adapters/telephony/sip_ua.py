"""A small SIP user agent in asyncio: outbound calls to a trunk, for the media plane.

Rule 1: the trunk's transport carries every call's signalling (``sip_transport``): one
UDP socket (``bind_address``:``sip_port``, 0 = the kernel picks), or one TCP/TLS
connection (TLS verified) reused by every request and dialog, reconnected when lost
(what was in flight on it fails as 503 with the reason). Every request goes to the
trunk's next hop (the outbound proxy, else the trunk) as ``sip_resolve`` finds it (DNS
SRV, then A/AAAA; ``dns_server`` or the system's resolver): over UDP once at ``start``
(the first address), over TCP/TLS at every (re)connect (the first that accepts). Via
carries the transport (``rport`` asked; ``alias`` over a connection), Contact
``;transport=tcp|tls``.
Rule 2: a call is a client INVITE transaction and then its dialog (``sip_dialog``,
RFC 3261 §17.1.1): over UDP INVITE is retransmitted (timer A) until a response; it is
abandoned at timer B (32 s, reported as 408); a final non-2xx is ACKed in the
transaction, a 2xx end to end (each retransmitted 2xx again); 401/407 are answered once
(``sip_auth``). ``cancel`` sends CANCEL once the call has had a provisional response.
Other requests are ``sip_transactions``'.
Rule 3: in-dialog requests from the far end are answered by the UA (200 to BYE, INFO,
NOTIFY, OPTIONS; re-INVITE gets our SDP back), then passed to the call's owner; an
out-of-dialog request other than OPTIONS gets 481: no inbound calls yet. A request is in
a dialog only with the dialog's tags (``sip_dialog.in_dialog``), not by its Call-ID
alone: one with a known Call-ID and other tags gets 481 and never reaches the call.
Rule 4: From carries the caller ID (with the trunk's display name), and so does
P-Asserted-Identity when ``p_asserted_identity`` is set. A registering trunk is
registered by ``start`` (``sip_register``: refreshed, removed by ``unregister``).
Rule 5: numbers are personal data: nothing here logs a URI, a header or a body.
Rule 6: a call may go straight to its URI's host:port instead of the trunk (``dest``:
agents' phones and softphones, which are not behind the carrier); every request of
that dialog then goes there, over UDP whatever the trunk's transport.
"""

from __future__ import annotations

import asyncio
import logging
import re
import secrets
import ssl
from collections.abc import Callable

from lexdial.adapters.telephony.sip_auth import authorization
from lexdial.adapters.telephony.sip_check import Verdict, explain_error
from lexdial.adapters.telephony.sip_dialog import Dialog, in_dialog
from lexdial.adapters.telephony.sip_message import (
    Local,
    Message,
    branch,
    build_reply,
    parse,
    tag,
    uri_of,
)
from lexdial.adapters.telephony.sip_register import Registration
from lexdial.adapters.telephony.sip_resolve import DnsError, next_hops
from lexdial.adapters.telephony.sip_transactions import T1, TIMER_B, NonInviteTransactions
from lexdial.adapters.telephony.sip_transport import StreamTransport, UdpTransport
from lexdial.adapters.telephony.sip_trunk import Trunk, split_address
from lexdial.errors import TelephonyError

log = logging.getLogger(__name__)

_CALL_ID = re.compile(rb"\r\nCall-ID: ([^\r]+)")


class SipUa:
    """The UA (see the module rules): ``invite`` places a call, the rest follow its dialog."""

    def __init__(
        self, trunk: Trunk, *, user_agent: str = "lexdial", p_asserted_identity: bool = False
    ) -> None:
        self.trunk, self.user_agent = trunk, user_agent
        self.p_asserted_identity = p_asserted_identity
        udp_port = trunk.sip_port if trunk.transport == "udp" else 0
        self.udp = UdpTransport(trunk.bind_address, udp_port, self.received)
        self.stream: StreamTransport | None = None
        self.registration: Registration | None = None
        #: why ``start`` could not reach the trunk (``telephony check`` prints it)
        self.failure: Verdict | None = None
        self._udp_hop: tuple[str, int] = ("", 0)
        self.dialogs: dict[str, Dialog] = {}
        self.transactions = NonInviteTransactions(
            self._send_request, self.drain, self._resend_request
        )
        self._direct: dict[str, tuple[str, int]] = {}  # Call-ID -> dest (rule 6)
        self._tasks: set[asyncio.Future[Message | None]] = set()

    # --- life ----------------------------------------------------------------------

    async def start(self) -> None:
        """Resolve the next hop, bind UDP, connect over TCP/TLS, REGISTER (rules 1, 4).
        ``TelephonyError`` with the trunk's reason when it cannot be reached or refuses
        the registration."""
        tp = self.trunk.transport
        # TLS checks the certificate against the name asked for, not an SRV target
        # (RFC 5922 §4): a DNS answer must not choose whom we trust
        host = split_address(self.trunk.route or self.trunk.address)[0].strip("[]")
        if tp == "udp":
            self._udp_hop = (await self._hops())[0]
        self.udp.start()
        try:
            if tp != "udp":
                self.stream = StreamTransport(
                    self.trunk, self._hops, host, self.received, self._lost
                )
                try:
                    await self.stream.start()
                except (OSError, ssl.SSLError, TimeoutError) as exc:
                    self.failure = explain_error(why(exc), self.trunk)
                    raise TelephonyError(self.failure.message) from None
            if self.trunk.register:
                self.registration = Registration(self)
                await self.registration.start()
        except BaseException:
            self.close()
            raise

    async def _hops(self) -> list[tuple[str, int]]:
        """The next hop's addresses in order; a lookup that fails is the trunk's failure
        (``telephony check`` prints it as a DNS problem)."""
        try:
            return await next_hops(self.trunk)
        except DnsError as exc:
            self.failure = Verdict(False, "dns", f"{exc}; check trunk and dns_server")
            raise

    @property
    def next_hop(self) -> tuple[str, int]:
        """Where requests to the trunk go (over TCP/TLS: the address connected to)."""
        return self.stream.hop if self.stream is not None else self._udp_hop

    def drain(self) -> None:
        """Handle every datagram waiting (see ``sip_transport.UdpTransport.drain``)."""
        self.udp.drain()

    async def unregister(self) -> None:
        """Remove our registration (Expires 0), if any; waits 2 s at most."""
        if self.registration is not None:
            await self.registration.close()

    def close(self) -> None:
        """Close the transports (calls still up are the owner's to end first)."""
        if self.registration is not None:
            self.registration.stop()
        for d in self.dialogs.values():
            if d.timer is not None:
                d.timer.cancel()
        self.transactions.close()
        self.udp.close()
        if self.stream is not None:
            self.stream.close()

    @property
    def local(self) -> tuple[str, int]:
        """Our address towards the trunk (the connection's, over TCP/TLS)."""
        return self.stream.local if self.stream is not None else self.udp.local

    @property
    def me(self) -> Local:
        """Our address and transport as Via and Contact carry them towards the trunk."""
        port, tp = self.local[1], self.trunk.transport
        return Local(self.contact_host, port, user_agent=self.user_agent, transport=tp)

    @property
    def udp_me(self) -> Local:
        """Ours over UDP (to agents' phones reached directly, rule 6)."""
        return Local(self.contact_host, self.udp.local[1], user_agent=self.user_agent)

    def me_for(self, d: Dialog) -> Local:
        return self.udp_me if d.dest is not None else self.me

    @property
    def contact_host(self) -> str:
        """The address put in Via, Contact and SDP: the public (NAT) one, else ours."""
        host = self.trunk.public_address or self.local[0]
        return f"[{host}]" if ":" in host else host

    # --- placing a call --------------------------------------------------------------

    def invite(
        self,
        uri: str,
        caller: str,
        sdp_for: Callable[[str], bytes],
        *,
        dest: tuple[str, int] | None = None,
    ) -> Dialog:
        """Send the INVITE for ``uri`` from caller ``caller``; ``sdp_for(host)`` is our offer.
        ``dest``: send it (and the dialog's requests) there, not to the trunk (rule 6)."""
        name = f'"{self.trunk.caller_name}" ' if self.trunk.caller_name else ""
        aor = f"sip:{caller}@{self.trunk.from_domain}"
        d = Dialog(f"{secrets.token_hex(10)}@lexdial", uri, "", sdp_for(self.contact_host))
        d.from_value = f"{name}<{aor}>;tag={d.from_tag}"
        d.remote_target = uri
        if dest == self.next_hop and self.stream is not None:
            dest = None  # the trunk's own user through its proxy: over the trunk's connection
        if dest is not None:
            d.dest = self._direct[d.call_id] = dest
        self.dialogs[d.call_id] = d
        pai = [f"P-Asserted-Identity: {name}<{aor}>"] if self.p_asserted_identity else []
        self._send_invite(d, pai)
        return d

    def _send_invite(self, d: Dialog, extra: list[str]) -> None:
        d.branch = branch()
        headers = [*extra, "Content-Type: application/sdp"]
        d.invite_bytes = d.build(
            self.me_for(d), "INVITE", d.cseq, d.branch, headers, d.sdp, uri=d.uri
        )
        self._send(d.invite_bytes, d.dest)
        self._retransmit_invite(d, T1, 0.0)

    def _retransmit_invite(self, d: Dialog, interval: float, elapsed: float) -> None:
        loop = asyncio.get_running_loop()

        def fire() -> None:
            self.drain()  # its answer may be waiting behind a busy loop
            if d.provisional or d.final:
                return
            if elapsed + interval >= TIMER_B:
                self._finish(d, 408, "Request Timeout (no answer from the trunk)")
                return
            if d.dest is not None or self.stream is None:  # reliable ones do not resend
                self._send(d.invite_bytes, d.dest)
            self._retransmit_invite(d, interval * 2, elapsed + interval)

        d.timer = loop.call_later(interval, fire)

    def cancel(self, d: Dialog) -> None:
        """Cancel a call not yet answered (rule 2); its 487 then ends it."""
        d.cancel_wanted = True
        if d.final or d.cancelled or not d.provisional:
            return
        d.cancelled = True
        msg = d.build(self.me_for(d), "CANCEL", d.cseq, d.branch, [], b"", uri=d.uri, to_tag=False)
        task = asyncio.ensure_future(self.transactions.run(d.call_id, "CANCEL", msg))
        self._tasks.add(task)

        def give_up() -> None:
            if not d.final:  # the INVITE never got its 487: end the call anyway
                self._finish(d, 408, "Request Timeout (no final answer after CANCEL)")

        def over(done: asyncio.Future[Message | None]) -> None:
            self._tasks.discard(done)
            if not done.cancelled():
                d.timer = asyncio.get_running_loop().call_later(TIMER_B, give_up)

        task.add_done_callback(over)

    async def request(
        self, d: Dialog, method: str, extra: list[str] | None = None, body: bytes = b""
    ) -> Message | None:
        """Send an in-dialog ``method``; its final response, or None after 32 s."""
        d.cseq += 1
        me = self.me_for(d)
        msg = d.build(me, method, d.cseq, branch(), extra or [], body)
        reply = await self.transactions.run(d.call_id, method, msg)
        if reply is not None and reply.status in (401, 407) and self.trunk.auth_password:
            d.cseq += 1
            auth = authorization(reply, method, d.remote_target, self.trunk)
            msg = d.build(me, method, d.cseq, branch(), (extra or []) + [auth], body)
            reply = await self.transactions.run(d.call_id, method, msg)
        return reply

    def forget(self, d: Dialog) -> None:
        """Drop a dialog that is over (its late messages are then answered 481)."""
        if d.timer is not None:
            d.timer.cancel()
        loop = asyncio.get_running_loop()

        # keep it 32 s for retransmitted 2xx/BYE to be answered consistently
        def drop() -> None:
            self.dialogs.pop(d.call_id, None)
            self._direct.pop(d.call_id, None)

        loop.call_later(TIMER_B, drop)

    # --- wire ----------------------------------------------------------------------

    def received(self, data: bytes, addr: tuple[str, int] | None) -> None:
        """A message from ``addr`` over UDP, or (None) over the trunk's connection."""
        msg = parse(data)
        if msg is None:
            return
        try:
            if msg.status:
                self._on_response(msg)
            else:
                self._on_request(msg, addr)
        except Exception:  # a malformed message must not stop the UA
            log.exception("SIP message could not be handled")

    def _on_response(self, msg: Message) -> None:
        _, method = msg.cseq
        if method != "INVITE":  # REGISTER has no dialog: match the transaction first
            self.transactions.answer(msg, method)
            return
        d = self.dialogs.get(msg.call_id)
        if d is None:
            return
        me = self.me_for(d)
        if msg.via_branch != d.branch:
            return  # a response to an earlier INVITE (before the challenge)
        if msg.status < 200:
            if not d.provisional:
                d.provisional = True
                if d.cancel_wanted:
                    self.cancel(d)
            if d.final == 0:
                d.on_response(msg)
            return
        if 200 <= msg.status < 300:
            if d.final and d.acked:
                self._send(d.acked, d.dest)  # a retransmitted 2xx: ACK again
                return
            d.final = msg.status
            d.to_tag = tag(msg.get("to"))
            contact = msg.get("contact")
            if contact:
                d.remote_target = uri_of(contact)
            d.route = [uri_of(r) for v in reversed(msg.all("record-route")) for r in v.split(",")]
            d.answer = msg
            d.acked = d.build(me, "ACK", d.cseq, branch(), [], b"")
            self._send(d.acked, d.dest)
            if d.timer is not None:
                d.timer.cancel()
            d.on_response(msg)
            return
        # a final failure: ACK in the transaction (same branch, the response's To)
        to = msg.get("to") or f"<{d.uri}>"
        self._send(d.build(me, "ACK", d.cseq, d.branch, [], b"", uri=d.uri, to=to), d.dest)
        if d.final:
            return  # a retransmission
        if msg.status in (401, 407) and not d.auth_tried and self.trunk.auth_password:
            d.auth_tried, d.provisional = True, False
            d.cseq += 1
            self._send_invite(d, [authorization(msg, "INVITE", d.uri, self.trunk)])
            return
        self._finish(d, msg.status, msg.reason, msg)

    def _finish(self, d: Dialog, code: int, reason: str, msg: Message | None = None) -> None:
        d.final = code
        if d.timer is not None:
            d.timer.cancel()
        if msg is None:
            msg = Message(f"SIP/2.0 {code} {reason}", [], status=code, reason=reason)
        d.on_response(msg)

    def _on_request(self, msg: Message, addr: tuple[str, int] | None) -> None:
        d = self.dialogs.get(msg.call_id)
        if msg.method == "ACK":
            return
        me = self.udp_me if addr is not None and self.stream is not None else self.me
        if d is None:
            code = 200 if msg.method == "OPTIONS" else 481
            self._send(build_reply(msg, code, me), addr)
            return
        if not in_dialog(d, msg):  # a known Call-ID is not a dialog (rule 3)
            log.warning("a SIP %s naming a call without its dialog's tags refused (481)",
                        msg.method)  # fmt: skip
            self._send(build_reply(msg, 481, me), addr)
            return
        if msg.method == "INVITE":  # a re-INVITE (hold, refresh): same media
            self._send(build_reply(msg, 200, me, d.sdp, "application/sdp"), addr)
        else:
            self._send(build_reply(msg, 200, me), addr)
        d.on_request(msg)

    def _lost(self, reason: str) -> None:
        """The trunk's connection is gone (rule 1): what was in flight on it cannot be
        answered any more, so it fails as RFC 3261 §8.1.3.1 says (503)."""
        said = f"Service Unavailable ({reason})"
        for d in list(self.dialogs.values()):
            if d.dest is None and not d.final:
                self._finish(d, 503, said)
        self.transactions.fail_all(503, said, lambda call_id: call_id not in self._direct)
        if self.registration is not None:
            self.registration.lost()

    def _dest_of(self, data: bytes) -> tuple[str, int] | None:
        if not self._direct:
            return None
        m = _CALL_ID.search(data)
        return self._direct.get(m.group(1).decode()) if m else None

    def _send_request(self, data: bytes) -> None:
        """A non-INVITE request: to its dialog's ``dest`` if it has one (rule 6)."""
        self._send(data, self._dest_of(data))

    def _resend_request(self, data: bytes) -> None:
        """A retransmission: none over the trunk's connection (reliable)."""
        addr = self._dest_of(data)
        if addr is not None or self.stream is None:
            self._send(data, addr)

    def _send(self, data: bytes, addr: tuple[str, int] | None = None) -> None:
        """To ``addr`` over UDP; without one, to the trunk over its transport."""
        if addr is not None:
            self.udp.send(data, addr)
        elif self.stream is not None:
            self.stream.send(data)
        else:
            self.udp.send(data, self.next_hop)


def why(exc: BaseException) -> str:
    """A connect or handshake failure in words (``sip_check.explain_error`` reads them)."""
    if isinstance(exc, ssl.SSLCertVerificationError):
        return f"TLS certificate verify failed: {exc.verify_message}"
    if isinstance(exc, ssl.SSLError):
        return f"TLS handshake failed: {exc.reason or exc}"
    if isinstance(exc, TimeoutError):
        return "timed out"
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return str(exc) or type(exc).__name__
