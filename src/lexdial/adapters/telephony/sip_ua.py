"""A small SIP user agent over UDP in asyncio: outbound calls to a trunk, for the media plane.

Rule 1: one UDP socket (``bind_address``:``sip_port``, 0 = the kernel picks) carries every
call's signalling; every request goes to the trunk's next hop (the outbound proxy, else
the trunk), whose address is resolved once at ``start`` with the system resolver (A/AAAA;
a host without a port uses 5060). Responses come back to Via's sent-by (``rport`` asked).
Rule 2: a call is a client INVITE transaction and then its dialog (RFC 3261 §17.1.1,
§12): INVITE is retransmitted (timer A) until a response, abandoned at timer B (32 s,
reported as 408); a final non-2xx is ACKed in the transaction; a 2xx is ACKed end to end
(each retransmitted 2xx again); 401/407 are answered once with digest credentials
(MD5, qop auth or none). ``cancel`` sends CANCEL once the call has had a provisional
response (at once if it has one). Non-INVITE requests (BYE, REFER, INFO...) are
retransmitted (T1 doubling to T2) until a final response, or time out after 32 s.
Rule 3: in-dialog requests from the far end are answered by the UA (200 to BYE, INFO,
NOTIFY, OPTIONS; re-INVITE gets our SDP back) and then passed to the call's owner;
an out-of-dialog request other than OPTIONS gets 481: no inbound calls yet.
Rule 4: From carries the caller ID (with the trunk's display name), and so does
P-Asserted-Identity when ``p_asserted_identity`` is set; the request URI is the trunk's
``request_uri``. TCP/TLS and REGISTER are not spoken here: ``sip.SipTelephony``
(baresip) serves such trunks.
Rule 5: numbers are personal data: nothing here logs a URI, a header or a body.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import re
import secrets
import socket
from collections.abc import Callable
from dataclasses import dataclass, field

from lexdial.adapters.telephony.sip_trunk import Trunk, split_address

log = logging.getLogger(__name__)

T1, T2, TIMER_B = 0.5, 4.0, 32.0
_COMPACT = {"v": "via", "f": "from", "t": "to", "i": "call-id", "m": "contact",
            "l": "content-length", "c": "content-type", "r": "refer-to"}  # fmt: skip


@dataclass(slots=True)
class Message:
    """A parsed SIP message: ``status`` 0 for a request."""

    start: str
    headers: list[tuple[str, str]]
    body: bytes = b""
    method: str = ""
    uri: str = ""
    status: int = 0
    reason: str = ""

    def get(self, name: str) -> str | None:
        """The first value of header ``name`` (case-insensitive, compact forms too)."""
        name = name.lower()
        return next((v for k, v in self.headers if k == name), None)

    def all(self, name: str) -> list[str]:
        """Every value of header ``name``."""
        name = name.lower()
        return [v for k, v in self.headers if k == name]

    @property
    def cseq(self) -> tuple[int, str]:
        """CSeq's number and method."""
        num, _, method = (self.get("cseq") or "0 ?").partition(" ")
        return int(num), method.strip().upper()

    @property
    def call_id(self) -> str:
        """The Call-ID."""
        return self.get("call-id") or ""


def parse(data: bytes) -> Message | None:
    """One SIP message from a datagram; None if it is not one."""
    head, sep, body = data.partition(b"\r\n\r\n")
    if not sep:
        head, sep, body = data.partition(b"\n\n")
    try:
        lines = head.decode("utf-8", "replace").replace("\r\n", "\n").split("\n")
    except ValueError:
        return None
    if not lines or not lines[0]:
        return None
    headers: list[tuple[str, str]] = []
    for line in lines[1:]:
        if line[:1] in (" ", "\t") and headers:  # folded
            k, v = headers[-1]
            headers[-1] = (k, v + " " + line.strip())
            continue
        name, colon, value = line.partition(":")
        if colon:
            key = name.strip().lower()
            headers.append((_COMPACT.get(key, key), value.strip()))
    msg = Message(lines[0], headers)
    length = msg.get("content-length")
    msg.body = body[: int(length)] if length and length.isdigit() else body
    parts = lines[0].split(" ", 2)
    if parts[0].startswith("SIP/2.0") and len(parts) >= 2 and parts[1].isdigit():
        msg.status, msg.reason = int(parts[1]), parts[2] if len(parts) > 2 else ""
    elif len(parts) == 3 and parts[2].startswith("SIP/2.0"):
        msg.method, msg.uri = parts[0].upper(), parts[1]
    else:
        return None
    return msg


def _tag(value: str | None) -> str | None:
    m = re.search(r";\s*tag=([^;>\s]+)", value or "")
    return m.group(1) if m else None


def _uri_of(value: str) -> str:
    m = re.search(r"<([^>]+)>", value)
    return m.group(1) if m else value.split(";")[0].strip()


@dataclass(frozen=True, slots=True)
class Media:
    """The far end's media address from its SDP answer."""

    host: str
    port: int
    dtmf_pt: int = 101


def parse_sdp(body: bytes) -> Media | None:
    """The audio address and telephone-event payload type of an SDP body."""
    text = body.decode("utf-8", "replace")
    host = port = None
    dtmf = 101
    for line in text.replace("\r\n", "\n").split("\n"):
        if line.startswith("c=IN IP"):  # the media-level one, after m=, wins
            host = line.split()[-1]
        elif line.startswith("m=audio "):
            port = int(line.split()[1])
        elif m := re.match(r"a=rtpmap:(\d+) telephone-event/8000", line):
            dtmf = int(m.group(1))
    if host is None or port is None:
        return None
    return Media(host, port, dtmf)


def digest(
    challenge: str, *, method: str, uri: str, username: str, password: str, nc: int = 1
) -> str:
    """The Authorization value answering a ``WWW-Authenticate``/``Proxy-Authenticate``."""
    params = {k: a or b for k, a, b in re.findall(r'(\w+)=(?:"([^"]*)"|([^,\s]*))', challenge)}
    realm, nonce = params.get("realm", ""), params.get("nonce", "")

    def md5(s: str) -> str:
        return hashlib.md5(s.encode(), usedforsecurity=False).hexdigest()

    ha1 = md5(f"{username}:{realm}:{password}")
    ha2 = md5(f"{method}:{uri}")
    qop = "auth" if "auth" in [q.strip() for q in params.get("qop", "").split(",")] else ""
    parts = [f'username="{username}"', f'realm="{realm}"', f'nonce="{nonce}"', f'uri="{uri}"']
    if qop:
        cnonce, count = secrets.token_hex(8), f"{nc:08x}"
        response = md5(f"{ha1}:{nonce}:{count}:{cnonce}:{qop}:{ha2}")
        parts += [f"qop={qop}", f"nc={count}", f'cnonce="{cnonce}"']
    else:
        response = md5(f"{ha1}:{nonce}:{ha2}")
    parts += [f'response="{response}"', "algorithm=MD5"]
    if "opaque" in params:
        parts.append(f'opaque="{params["opaque"]}"')
    return "Digest " + ", ".join(parts)


@dataclass(eq=False)
class Dialog:
    """One outbound call: its INVITE transaction, then its dialog (rule 2).

    The owner sets the callbacks: ``on_response(msg)`` for every new response to the
    INVITE (provisional and final, after the UA's own ACK), ``on_request(msg)`` for each
    in-dialog request the far end sends (already answered), ``on_failed(code, reason)``
    when a request of ours timed out or was refused where nothing else reports it.
    """

    ua: SipUa
    call_id: str
    uri: str
    from_value: str
    sdp: bytes
    from_tag: str = field(default_factory=lambda: secrets.token_hex(6))
    cseq: int = 1
    branch: str = ""
    to_tag: str | None = None
    remote_target: str = ""
    route: list[str] = field(default_factory=list)
    provisional: bool = False
    final: int = 0
    answer: Message | None = None
    cancel_wanted: bool = False
    cancelled: bool = False
    auth_tried: bool = False
    on_response: Callable[[Message], None] = lambda m: None
    on_request: Callable[[Message], None] = lambda m: None
    on_failed: Callable[[str, int], None] = lambda method, code: None
    _invite: bytes = b""
    _timer: asyncio.TimerHandle | None = None
    _acked: bytes = b""

    @property
    def to_value(self) -> str:
        base = f"<{self.uri}>"
        return f"{base};tag={self.to_tag}" if self.to_tag else base


class SipUa:
    """The UA (see the module rules): ``invite`` places a call, the rest follow its dialog."""

    def __init__(
        self, trunk: Trunk, *, user_agent: str = "lexdial", p_asserted_identity: bool = False
    ) -> None:
        if trunk.transport != "udp" or trunk.register:
            raise ValueError("the built-in SIP UA speaks UDP to IP-authenticated or digest trunks")
        self.trunk, self.user_agent = trunk, user_agent
        self.p_asserted_identity = p_asserted_identity
        self.sock: socket.socket | None = None
        self.local: tuple[str, int] = ("", 0)
        self.next_hop: tuple[str, int] = ("", 0)
        self.dialogs: dict[str, Dialog] = {}
        self._pending: dict[str, tuple[asyncio.Future[Message], asyncio.TimerHandle | None]] = {}
        self._tasks: set[asyncio.Future[Message | None]] = set()

    # --- life ----------------------------------------------------------------------

    async def start(self) -> None:
        """Bind the socket and resolve the next hop (rule 1)."""
        loop = asyncio.get_running_loop()
        host, port = split_address(self.trunk.route or self.trunk.address)
        host = host.strip("[]")
        infos = await loop.getaddrinfo(host, port or 5060, type=socket.SOCK_DGRAM)
        if not infos:
            raise OSError(f"cannot resolve the trunk {host}")
        self.next_hop = str(infos[0][4][0]), int(infos[0][4][1])
        bind = self.trunk.bind_address
        sock = socket.socket(socket.AF_INET6 if ":" in bind else socket.AF_INET, socket.SOCK_DGRAM)
        try:
            sock.bind((bind, self.trunk.sip_port))
            sock.setblocking(False)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
        except OSError:
            sock.close()
            raise
        self.sock = sock
        self.local = sock.getsockname()[:2]
        loop.add_reader(sock.fileno(), self.drain)

    def drain(self) -> None:
        """Handle every datagram waiting on the socket (rule 1: a reader drains it all at
        once, and a retransmission timer drains it first, so a busy loop does not make
        us retransmit a request whose answer is already here)."""
        sock = self.sock
        while sock is not None:
            try:
                data, addr = sock.recvfrom(65535)
            except (BlockingIOError, InterruptedError):
                return
            except OSError as exc:  # e.g. ICMP port unreachable from an earlier send
                log.debug("SIP socket error: %s", exc)
                continue
            self.datagram_received(data, addr)

    def close(self) -> None:
        """Close the socket (calls still up are the owner's to end first)."""
        for d in self.dialogs.values():
            if d._timer is not None:
                d._timer.cancel()
        for future, timer in self._pending.values():
            if timer is not None:
                timer.cancel()
            if not future.done():
                future.cancel()
        if self.sock is not None:
            with contextlib.suppress(ValueError, OSError):
                asyncio.get_running_loop().remove_reader(self.sock.fileno())
            self.sock.close()
            self.sock = None

    @property
    def contact_host(self) -> str:
        """The address put in Via, Contact and SDP: the public (NAT) one, else ours."""
        host = self.trunk.public_address or self.local[0]
        return f"[{host}]" if ":" in host else host

    # --- placing a call --------------------------------------------------------------

    def invite(self, uri: str, caller: str, sdp_for: Callable[[str], bytes]) -> Dialog:
        """Send the INVITE for ``uri`` from caller ``caller``; ``sdp_for(host)`` is our offer."""
        name = f'"{self.trunk.caller_name}" ' if self.trunk.caller_name else ""
        aor = f"sip:{caller}@{self.trunk.from_domain}"
        d = Dialog(self, f"{secrets.token_hex(10)}@lexdial", uri, "", sdp_for(self.contact_host))
        d.from_value = f"{name}<{aor}>;tag={d.from_tag}"
        d.remote_target = uri
        self.dialogs[d.call_id] = d
        pai = [f"P-Asserted-Identity: {name}<{aor}>"] if self.p_asserted_identity else []
        self._send_invite(d, pai)
        return d

    def _send_invite(self, d: Dialog, extra: list[str]) -> None:
        d.branch = self._branch()
        d._invite = self._request(
            d, "INVITE", d.cseq, d.branch, [*extra, "Content-Type: application/sdp"], d.sdp,
            uri=d.uri,
        )  # fmt: skip
        self._send(d._invite)
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
            self._send(d._invite)
            self._retransmit_invite(d, interval * 2, elapsed + interval)

        d._timer = loop.call_later(interval, fire)

    def cancel(self, d: Dialog) -> None:
        """Cancel a call not yet answered (rule 2); its 487 then ends it."""
        d.cancel_wanted = True
        if d.final or d.cancelled or not d.provisional:
            return
        d.cancelled = True
        msg = self._request(d, "CANCEL", d.cseq, d.branch, [], b"", uri=d.uri, to_tag=False)
        task = asyncio.ensure_future(self._non_invite(d, "CANCEL", msg))
        self._tasks.add(task)

        def give_up() -> None:
            if not d.final:  # the INVITE never got its 487: end the call anyway
                self._finish(d, 408, "Request Timeout (no final answer after CANCEL)")

        def over(done: asyncio.Future[Message | None]) -> None:
            self._tasks.discard(done)
            if not done.cancelled():
                d._timer = asyncio.get_running_loop().call_later(TIMER_B, give_up)

        task.add_done_callback(over)

    async def request(
        self, d: Dialog, method: str, extra: list[str] | None = None, body: bytes = b""
    ) -> Message | None:
        """Send an in-dialog ``method``; its final response, or None after 32 s."""
        d.cseq += 1
        msg = self._request(d, method, d.cseq, self._branch(), extra or [], body)
        reply = await self._non_invite(d, method, msg)
        if reply is not None and reply.status in (401, 407) and self.trunk.auth_password:
            d.cseq += 1
            auth = self._authorization(reply, method, d.remote_target)
            msg = self._request(d, method, d.cseq, self._branch(), (extra or []) + [auth], body)
            reply = await self._non_invite(d, method, msg)
        return reply

    def forget(self, d: Dialog) -> None:
        """Drop a dialog that is over (its late messages are then answered 481)."""
        if d._timer is not None:
            d._timer.cancel()
        loop = asyncio.get_running_loop()
        # keep it 32 s for retransmitted 2xx/BYE to be answered consistently
        loop.call_later(TIMER_B, lambda: self.dialogs.pop(d.call_id, None))

    # --- wire ----------------------------------------------------------------------

    def datagram_received(self, data: bytes, addr: tuple[str | int, ...]) -> None:
        if data.strip() == b"":
            return  # a keep-alive
        msg = parse(data)
        if msg is None:
            return
        try:
            if msg.status:
                self._on_response(msg)
            else:
                self._on_request(msg, (str(addr[0]), int(addr[1])))
        except Exception:  # a malformed message must not stop the UA
            log.exception("SIP message could not be handled")

    def _on_response(self, msg: Message) -> None:
        _, method = msg.cseq
        d = self.dialogs.get(msg.call_id)
        if d is None:
            return
        branch = re.search(r"branch=([^;,\s]+)", msg.get("via") or "")
        key = f"{msg.call_id}/{branch.group(1) if branch else ''}/{method}"
        if method != "INVITE":
            if msg.status >= 200:
                pending = self._pending.pop(key, None)
                if pending is not None:
                    future, timer = pending
                    if timer is not None:
                        timer.cancel()
                    if not future.done():
                        future.set_result(msg)
            return
        if branch is None or branch.group(1) != d.branch:
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
            if d.final and d._acked:
                self._send(d._acked)  # a retransmitted 2xx: ACK again
                return
            d.final = msg.status
            d.to_tag = _tag(msg.get("to"))
            contact = msg.get("contact")
            if contact:
                d.remote_target = _uri_of(contact)
            d.route = [_uri_of(r) for v in reversed(msg.all("record-route")) for r in v.split(",")]
            d.answer = msg
            d._acked = self._request(d, "ACK", d.cseq, self._branch(), [], b"")
            self._send(d._acked)
            if d._timer is not None:
                d._timer.cancel()
            d.on_response(msg)
            return
        # a final failure: ACK in the transaction (same branch, the response's To)
        to = msg.get("to") or f"<{d.uri}>"
        self._send(self._request(d, "ACK", d.cseq, d.branch, [], b"", uri=d.uri, to=to))
        if d.final:
            return  # a retransmission
        if msg.status in (401, 407) and not d.auth_tried and self.trunk.auth_password:
            d.auth_tried, d.provisional = True, False
            d.cseq += 1
            self._send_invite(d, [self._authorization(msg, "INVITE", d.uri)])
            return
        self._finish(d, msg.status, msg.reason, msg)

    def _finish(self, d: Dialog, code: int, reason: str, msg: Message | None = None) -> None:
        d.final = code
        if d._timer is not None:
            d._timer.cancel()
        if msg is None:
            msg = Message(f"SIP/2.0 {code} {reason}", [], status=code, reason=reason)
        d.on_response(msg)

    def _on_request(self, msg: Message, addr: tuple[str, int]) -> None:
        d = self.dialogs.get(msg.call_id)
        if msg.method == "ACK":
            return
        if d is None:
            code = 200 if msg.method == "OPTIONS" else 481
            self._reply(msg, code, addr)
            return
        if msg.method == "INVITE":  # a re-INVITE (hold, refresh): same media
            self._reply(msg, 200, addr, d.sdp, "application/sdp", d)
        else:
            self._reply(msg, 200, addr)
        d.on_request(msg)

    def _reply(
        self,
        msg: Message,
        code: int,
        addr: tuple[str, int],
        body: bytes = b"",
        content_type: str = "",
        d: Dialog | None = None,
    ) -> None:
        reasons = {200: "OK", 405: "Method Not Allowed", 481: "Call/Transaction Does Not Exist"}
        lines = [f"SIP/2.0 {code} {reasons.get(code, 'OK')}"]
        lines += [f"Via: {v}" for v in msg.all("via")]
        lines += [f"Record-Route: {v}" for v in msg.all("record-route")]
        for name in ("from", "to", "call-id", "cseq"):
            value = msg.get(name) or ""
            lines.append(f"{name.title() if name != 'call-id' else 'Call-ID'}: {value}")
        if msg.method == "INVITE" and d is not None:
            lines.append(f"Contact: <sip:{self.local_user}@{self.contact_host}:{self.local[1]}>")
        if content_type:
            lines.append(f"Content-Type: {content_type}")
        lines += [f"User-Agent: {self.user_agent}", f"Content-Length: {len(body)}", "", ""]
        self._send("\r\n".join(lines).encode() + body, addr)

    local_user = "lexdial"

    def _request(
        self,
        d: Dialog,
        method: str,
        cseq: int,
        branch: str,
        extra: list[str],
        body: bytes,
        *,
        uri: str | None = None,
        to_tag: bool = True,
        to: str | None = None,
    ) -> bytes:
        target = uri or d.remote_target
        lines = [
            f"{method} {target} SIP/2.0",
            f"Via: SIP/2.0/UDP {self.contact_host}:{self.local[1]};branch={branch};rport",
            "Max-Forwards: 70",
            *(f"Route: <{r}>" for r in d.route),
            f"From: {d.from_value}",
            f"To: {to or (d.to_value if to_tag else f'<{d.uri}>')}",
            f"Call-ID: {d.call_id}",
            f"CSeq: {cseq} {method}",
        ]
        if method in ("INVITE", "REFER", "SUBSCRIBE"):
            lines.append(f"Contact: <sip:{self.local_user}@{self.contact_host}:{self.local[1]}>")
        if method == "INVITE":
            lines.append("Allow: INVITE, ACK, BYE, CANCEL, OPTIONS, INFO, NOTIFY, REFER")
        lines += extra
        lines += [f"User-Agent: {self.user_agent}", f"Content-Length: {len(body)}", "", ""]
        return "\r\n".join(lines).encode() + body

    async def _non_invite(self, d: Dialog, method: str, msg: bytes) -> Message | None:
        loop = asyncio.get_running_loop()
        branch = re.search(rb"branch=([^;\s]+)", msg)
        assert branch is not None
        key = f"{d.call_id}/{branch.group(1).decode()}/{method}"
        future: asyncio.Future[Message] = loop.create_future()
        self._send(msg)
        elapsed, interval = 0.0, T1

        def again() -> None:
            nonlocal elapsed, interval
            self.drain()
            elapsed += interval
            if future.done() or elapsed >= TIMER_B:
                return
            self._send(msg)
            interval = min(interval * 2, T2)
            self._pending[key] = (future, loop.call_later(interval, again))

        self._pending[key] = (future, loop.call_later(interval, again))
        try:
            return await asyncio.wait_for(asyncio.shield(future), TIMER_B)
        except TimeoutError:
            return None
        finally:
            pending = self._pending.pop(key, None)
            if pending is not None and pending[1] is not None:
                pending[1].cancel()

    def _authorization(self, challenge: Message, method: str, uri: str) -> str:
        proxy = challenge.status == 407
        header = challenge.get("proxy-authenticate" if proxy else "www-authenticate") or ""
        value = digest(
            header, method=method, uri=uri,
            username=self.trunk.auth_username or "", password=self.trunk.auth_password or "",
        )  # fmt: skip
        return f"{'Proxy-Authorization' if proxy else 'Authorization'}: {value}"

    def _send(self, data: bytes, addr: tuple[str, int] | None = None) -> None:
        if self.sock is not None:
            try:
                self.sock.sendto(data, addr or self.next_hop)
            except (BlockingIOError, InterruptedError):
                pass  # a full socket buffer: UDP retransmission covers it
            except OSError as exc:
                log.debug("SIP send failed: %s", exc)

    @staticmethod
    def _branch() -> str:
        return "z9hG4bK" + secrets.token_hex(8)
