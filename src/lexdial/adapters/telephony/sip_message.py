"""SIP messages as text: parsing what comes in, building what goes out, and SDP.

Rule 1: ``parse`` takes one datagram and gives a ``Message`` or None (not SIP); header
names are lower-cased and compact forms expanded, folded lines joined, the body cut to
Content-Length.
Rule 2: builders put our address (``Local``: the public one when set) and transport in Via
and Contact; nothing here logs a URI, a header or a body (numbers are personal data).
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass

_COMPACT = {"v": "via", "f": "from", "t": "to", "i": "call-id", "m": "contact",
            "l": "content-length", "c": "content-type", "r": "refer-to"}  # fmt: skip
_BRANCH = re.compile(r"branch=([^;,\s]+)")
_REASONS = {200: "OK", 405: "Method Not Allowed", 481: "Call/Transaction Does Not Exist"}


@dataclass(frozen=True, slots=True)
class Local:
    """Who we are on the wire: Via/Contact host and port, Contact user, User-Agent, and
    the transport the message goes over (``;transport=`` in Contact for TCP/TLS)."""

    host: str
    port: int
    user: str = "lexdial"
    user_agent: str = "lexdial"
    transport: str = "udp"

    @property
    def contact(self) -> str:
        """Our Contact header."""
        tp = "" if self.transport == "udp" else f";transport={self.transport}"
        return f"Contact: <sip:{self.user}@{self.host}:{self.port}{tp}>"

    def via(self, branch: str) -> str:
        """Our Via header for a request with ``branch``: over a connection, ``alias`` asks
        the far end to send its requests back on it (RFC 5923: we do not listen)."""
        alias = "" if self.transport == "udp" else ";alias"
        sent_by = f"{self.host}:{self.port}"
        return f"Via: SIP/2.0/{self.transport.upper()} {sent_by};branch={branch};rport{alias}"

    def tail(self, body: bytes) -> list[str]:
        """The last header lines of every message we send."""
        return [f"User-Agent: {self.user_agent}", f"Content-Length: {len(body)}", "", ""]


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

    @property
    def via_branch(self) -> str:
        """The branch of the top Via ("" without one): names the transaction."""
        m = _BRANCH.search(self.get("via") or "")
        return m.group(1) if m else ""


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


def tag(value: str | None) -> str | None:
    m = re.search(r";\s*tag=([^;>\s]+)", value or "")
    return m.group(1) if m else None


def uri_of(value: str) -> str:
    m = re.search(r"<([^>]+)>", value)
    return m.group(1) if m else value.split(";")[0].strip()


@dataclass(frozen=True, slots=True)
class Media:
    """The far end's media address from its SDP answer."""

    host: str
    port: int
    dtmf_pt: int = 101
    #: the audio stream's ``a=crypto:`` lines as sent (``srtp.parse_crypto`` reads them)
    crypto: tuple[str, ...] = ()


def parse_sdp(body: bytes) -> Media | None:
    """The audio address, telephone-event payload type and SDES crypto lines of an SDP
    body."""
    text = body.decode("utf-8", "replace")
    host = port = None
    dtmf = 101
    crypto: list[str] = []
    for line in text.replace("\r\n", "\n").split("\n"):
        if line.startswith("c=IN IP"):  # the media-level one, after m=, wins
            host = line.split()[-1]
        elif line.startswith("m=audio "):
            port = int(line.split()[1])
        elif m := re.match(r"a=rtpmap:(\d+) telephone-event/8000", line):
            dtmf = int(m.group(1))
        elif line.startswith("a=crypto:") and port is not None:
            crypto.append(line.strip())
    if host is None or port is None:
        return None
    return Media(host, port, dtmf, tuple(crypto))


def build_reply(
    msg: Message, code: int, me: Local, body: bytes = b"", content_type: str = ""
) -> bytes:
    """Our response ``code`` to request ``msg``; ``body`` (a re-INVITE's SDP) brings
    our Contact."""
    lines = [f"SIP/2.0 {code} {_REASONS.get(code, 'OK')}"]
    lines += [f"Via: {v}" for v in msg.all("via")]
    lines += [f"Record-Route: {v}" for v in msg.all("record-route")]
    for name in ("from", "to", "call-id", "cseq"):
        value = msg.get(name) or ""
        lines.append(f"{name.title() if name != 'call-id' else 'Call-ID'}: {value}")
    if msg.method == "INVITE" and body:
        lines.append(me.contact)
    if content_type:
        lines.append(f"Content-Type: {content_type}")
    lines += me.tail(body)
    return "\r\n".join(lines).encode() + body


def sdp_offer(
    port: int, crypto: tuple[str, ...] = (), *, profile: str = "RTP/AVP"
) -> Callable[[str], bytes]:
    """Our SDP offer for an RTP leg on ``port``, given the host Via and Contact carry:
    PCMU and telephone-events (101), 20 ms packets; ``crypto`` (``a=crypto:`` lines)
    and ``profile`` (RTP/SAVP when SRTP is required) as ``srtp`` rule 1 says."""

    def offer(host: str) -> bytes:
        ip = "IP6" if ":" in host else "IP4"
        host = host.strip("[]")
        sess = secrets.randbelow(1 << 31)
        lines = [
            "v=0", f"o=lexdial {sess} {sess} IN {ip} {host}", "s=lexdial",
            f"c=IN {ip} {host}", "t=0 0", f"m=audio {port} {profile} 0 101",
            "a=rtpmap:0 PCMU/8000", "a=rtpmap:101 telephone-event/8000",
            "a=fmtp:101 0-16", "a=ptime:20", "a=sendrecv", *crypto,
        ]  # fmt: skip
        return ("\r\n".join(lines) + "\r\n").encode()

    return offer


def branch() -> str:
    """A new Via branch (RFC 3261's magic cookie first)."""
    return "z9hG4bK" + secrets.token_hex(8)
