"""How the UA's SIP bytes travel: UDP datagrams, or one TCP/TLS connection to the trunk.

Rule 1: ``UdpTransport`` is one socket; every datagram read goes to ``received(data,
addr)``. It is always there: the trunk's transport when the trunk speaks UDP, and the
way to agents' phones reached directly (they are not behind the carrier).
Rule 2: ``StreamTransport`` is one connection to the trunk's next hop, opened by
``start`` and reused by every request and dialog; each connect (a reconnect too) asks
``hops()`` afresh (``sip_resolve``: DNS SRV then A/AAAA) and takes the first address that
accepts, so a carrier that moves its proxies is followed; messages are framed by Content-Length
(RFC 3261 §18.3; CRLF keep-alives skipped) and go to ``received(data, None)`` (None: the
trunk's connection, where answers go back). It is reliable: nothing is retransmitted.
Rule 3: TLS verifies the trunk's certificate against the system's CA store, or
``tls_ca_file``, and its name against the next hop's host (an IP address against the
certificate's IP entries); ``tls_verify = false`` turns both off, with a warning at
every connect. A failed handshake says so (``sip_check.explain_error`` words it); a CA
file that cannot be read is a ``TelephonyError`` naming it.
Rule 4: a connection lost is logged with its reason and ``on_lost(reason)`` is called
(requests in flight on it cannot be answered any more); the next send reconnects, the
messages sent meanwhile waiting for it; a reconnect that fails calls ``on_lost`` again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import socket
import ssl
from collections.abc import Awaitable, Callable

from lexdial.adapters.telephony.sip_trunk import Trunk
from lexdial.errors import TelephonyError

log = logging.getLogger(__name__)

Received = Callable[[bytes, "tuple[str, int] | None"], None]
_LENGTH = re.compile(rb"\r\n(?:content-length|l)[ \t]*:[ \t]*(\d+)", re.I)
#: how long a TCP connect and TLS handshake may take before the trunk counts unreachable
CONNECT_TIMEOUT = 10.0


class UdpTransport:
    """One UDP socket (rule 1)."""

    reliable = False

    def __init__(self, bind: str, port: int, received: Received) -> None:
        self.bind, self.port, self.received = bind, port, received
        self.sock: socket.socket | None = None
        self.local: tuple[str, int] = ("", 0)

    def start(self) -> None:
        sock = socket.socket(
            socket.AF_INET6 if ":" in self.bind else socket.AF_INET, socket.SOCK_DGRAM
        )
        try:
            sock.bind((self.bind, self.port))
            sock.setblocking(False)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
        except OSError:
            sock.close()
            raise
        self.sock = sock
        self.local = sock.getsockname()[:2]
        asyncio.get_running_loop().add_reader(sock.fileno(), self.drain)

    def drain(self) -> None:
        """Handle every datagram waiting (the reader, and each retransmission timer first:
        a busy loop must not make us resend a request whose answer is already here)."""
        sock = self.sock
        while sock is not None:
            try:
                data, addr = sock.recvfrom(65535)
            except (BlockingIOError, InterruptedError):
                return
            except OSError as exc:  # e.g. ICMP port unreachable from an earlier send
                log.debug("SIP socket error: %s", exc)
                continue
            if data.strip():  # else a keep-alive
                self.received(data, (str(addr[0]), int(addr[1])))

    def send(self, data: bytes, addr: tuple[str, int]) -> None:
        if self.sock is not None:
            try:
                self.sock.sendto(data, addr)
            except (BlockingIOError, InterruptedError):
                pass  # a full socket buffer: UDP retransmission covers it
            except OSError as exc:
                log.debug("SIP send failed: %s", exc)

    def close(self) -> None:
        if self.sock is not None:
            with contextlib.suppress(ValueError, OSError, RuntimeError):
                asyncio.get_running_loop().remove_reader(self.sock.fileno())
            self.sock.close()
            self.sock = None


def tls_context(trunk: Trunk) -> ssl.SSLContext:
    """The client context for a TLS trunk (rule 3)."""
    if not trunk.tls_verify:
        ctx = ssl.create_default_context()
        ctx.check_hostname, ctx.verify_mode = False, ssl.CERT_NONE
        return ctx
    try:
        return ssl.create_default_context(cafile=trunk.tls_ca_file)
    except (OSError, ssl.SSLError) as exc:  # not the trunk's fault: say which file
        raise TelephonyError(
            f"tls_ca_file {trunk.tls_ca_file}: not a readable PEM file of CA certificates "
            f"({getattr(exc, 'strerror', None) or exc})"
        ) from None


async def read_message(reader: asyncio.StreamReader) -> bytes:
    """The next SIP message on a stream (rule 2); ``IncompleteReadError`` at its end."""
    while True:
        head = (await reader.readuntil(b"\r\n\r\n")).lstrip(b"\r\n")
        if head:  # else CRLF keep-alives
            break
    m = _LENGTH.search(b"\r\n" + head)
    body = await reader.readexactly(int(m.group(1))) if m else b""
    return head + body


class StreamTransport:
    """One TCP or TLS connection to the trunk's next hop (rules 2-4)."""

    reliable = True

    def __init__(
        self,
        trunk: Trunk,
        hops: Callable[[], Awaitable[list[tuple[str, int]]]],
        server_name: str,
        received: Received,
        on_lost: Callable[[str], None],
    ) -> None:
        self.trunk, self.hops, self.server_name = trunk, hops, server_name
        #: the address connected to (the last one tried while connecting)
        self.hop: tuple[str, int] = ("", 0)
        self.received, self.on_lost = received, on_lost
        self.local: tuple[str, int] = ("", 0)
        self._writer: asyncio.StreamWriter | None = None
        self._reading: asyncio.Task[None] | None = None
        self._connecting: asyncio.Task[None] | None = None
        self._waiting: list[bytes] = []
        self._closed = False

    async def start(self) -> None:
        """Connect (``OSError``/``ssl.SSLError`` when the trunk cannot be reached,
        ``sip_resolve.DnsError`` when its name does not resolve)."""
        await self._connect()

    async def _connect(self) -> None:
        hops = await self.hops()
        if not hops:
            raise OSError("the trunk's name gave no address")
        for i, hop in enumerate(hops):
            self.hop = hop
            try:
                await self._connect_to(hop)
                return
            except (OSError, ssl.SSLError, TimeoutError) as exc:
                if i == len(hops) - 1:
                    raise
                log.warning("SIP connection to %s:%d failed (%s); trying the next", *hop, exc)

    async def _connect_to(self, hop: tuple[str, int]) -> None:
        loop = asyncio.get_running_loop()
        ctx = tls_context(self.trunk) if self.trunk.transport == "tls" else None
        if ctx is not None and not self.trunk.tls_verify:
            log.warning(
                "tls_verify = false: the trunk's TLS certificate is NOT checked (anyone on "
                "the path can read and change the calls' signalling)"
            )
        bind = self.trunk.bind_address
        sock = socket.socket(socket.AF_INET6 if ":" in bind else socket.AF_INET)
        try:
            # a fixed sip_port is reused at once after a reconnect (TIME_WAIT)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((bind, self.trunk.sip_port))
            sock.setblocking(False)
            await asyncio.wait_for(loop.sock_connect(sock, hop), CONNECT_TIMEOUT)
            reader, writer = await asyncio.wait_for(
                asyncio.open_connection(
                    sock=sock, ssl=ctx, server_hostname=self.server_name if ctx else None
                ),
                CONNECT_TIMEOUT,
            )
        except BaseException:
            sock.close()
            raise
        self.local = writer.get_extra_info("sockname")[:2]
        self._writer = writer
        self._reading = asyncio.ensure_future(self._read(reader, writer))

    async def _read(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        reason = "closed by the trunk"
        try:
            while True:
                data = await read_message(reader)
                try:
                    self.received(data, None)
                except Exception:  # a malformed message must not stop the UA
                    log.exception("SIP message could not be handled")
        except asyncio.IncompleteReadError:
            pass
        except asyncio.LimitOverrunError:
            reason = "a message without its end"
        except (OSError, ssl.SSLError) as exc:
            reason = str(exc) or type(exc).__name__
        finally:
            writer.close()
        if self._writer is writer and not self._closed:
            self._writer = None
            log.warning("SIP connection to the trunk lost (%s); reconnecting", reason)
            self.on_lost(f"connection lost: {reason}")
            self._reconnect()

    def send(self, data: bytes) -> None:
        writer = self._writer
        if writer is None or writer.is_closing():
            self._waiting.append(data)
            self._reconnect()
            return
        writer.write(data)

    def _reconnect(self) -> None:
        if self._closed or (self._connecting is not None and not self._connecting.done()):
            return

        async def again() -> None:
            try:
                await self._connect()
            except (OSError, ssl.SSLError, TimeoutError, TelephonyError) as exc:
                self._waiting.clear()
                reason = str(exc) or type(exc).__name__
                log.warning("SIP connection to the trunk failed (%s)", reason)
                self.on_lost(f"reconnect failed: {reason}")
                return
            waiting, self._waiting = self._waiting, []
            for data in waiting:
                self.send(data)

        self._connecting = asyncio.ensure_future(again())

    def close(self) -> None:
        self._closed = True
        for task in (self._connecting, self._reading):
            if task is not None:
                task.cancel()
        if self._writer is not None:
            self._writer.close()
            self._writer = None
