"""``lexdial telephony check``: reach the trunk with the real settings, say what is wrong.

The check runs the same engine the calls do: the media plane's UA (``plane_check``, the
default), or here one baresip line with the config the adapter writes
(``sip_trunk.Trunk``) with ``media = "baresip"``. A registering trunk is checked by its REGISTER
(digest authentication included); an IP-authenticated one by an OPTIONS request.
baresip reports a REGISTER's end as an event and an OPTIONS answer only on its console,
so the check reads that from the line's log. The mapping from what came back to a plain
sentence (``explain_register``, ``explain_options``) is pure and unit-tested.
"""

from __future__ import annotations

import asyncio
import re
import shutil
import socket
import ssl
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lexdial.adapters.telephony.sip_trunk import Trunk, split_address

#: what went wrong, in words a person acts on; "ok" when nothing did
PROBLEMS = (
    "ok",
    "credentials",
    "forbidden",
    "not_found",
    "timeout",
    "unreachable",
    "dns",
    "tls",
    "trunk_error",
    "engine",
    "other",
)


@dataclass(frozen=True, slots=True)
class Verdict:
    """The check's answer: ``ok`` and one sentence; ``problem`` is one of ``PROBLEMS``."""

    ok: bool
    problem: str
    message: str


_TIMEOUT = re.compile(r"timed? ?out|timeout", re.I)
_REFUSED = re.compile(r"refused|reset by peer", re.I)
_NO_ROUTE = re.compile(r"unreachable|no route|network is down", re.I)
_DNS = re.compile(r"no such (file|host)|not found|name|address required|bad address", re.I)
_TLS = re.compile(r"tls|ssl|certificate|handshake|protocol error|bad message|verify", re.I)


def _where(trunk: Trunk) -> str:
    via = f" through {trunk.outbound_proxy}" if trunk.outbound_proxy else ""
    return f"{trunk.address} over {trunk.transport.upper()}{via}"


def explain_status(code: int, reason: str, trunk: Trunk, what: str) -> Verdict:
    """A SIP final response ``code`` to ``what`` (REGISTER or OPTIONS)."""
    said = f"{code} {reason}".strip()
    if 200 <= code < 300:
        done = "registered" if what == "REGISTER" else "answered OPTIONS"
        user = f" as {trunk.auth_username}" if what == "REGISTER" else ""
        return Verdict(True, "ok", f"ok: the trunk at {_where(trunk)} {done}{user} ({said})")
    if code in (401, 407):
        if not trunk.auth_username:
            return Verdict(
                False,
                "credentials",
                f"the trunk wants digest authentication ({said}): set auth_username and "
                "auth_password_env or auth_password_file in [telephony]",
            )
        return Verdict(
            False,
            "credentials",
            f"wrong credentials: the trunk refused auth_username {trunk.auth_username} "
            f"with the password given ({said}); check both with the carrier",
        )
    if code == 403:
        return Verdict(
            False,
            "forbidden",
            f"forbidden ({said}): wrong username or password, or the trunk does not "
            "accept this account or this host's address (IP-authenticated trunks list the "
            "addresses they accept: bind_address/public_address)",
        )
    if code == 404:
        return Verdict(
            False,
            "not_found",
            f"the trunk does not know this account ({said}): check auth_username and domain",
        )
    if code == 408:
        return _timeout(trunk, said)
    if code >= 500:
        return Verdict(
            False,
            "trunk_error",
            f"the trunk at {_where(trunk)} failed ({said}): it is down or overloaded; "
            "try again or ask the carrier",
        )
    return Verdict(False, "other", f"the trunk answered {what} with {said}")


def _timeout(trunk: Trunk, said: str = "no answer") -> Verdict:
    return Verdict(
        False,
        "timeout",
        f"timeout: no answer from the trunk at {_where(trunk)} ({said}); check the "
        "trunk's address and port, transport, and the firewall/NAT between",
    )


def explain_error(error: str, trunk: Trunk) -> Verdict:
    """A transport or engine failure as baresip words it (an errno text, mostly)."""
    if _TIMEOUT.search(error):
        return _timeout(trunk, error)
    if _TLS.search(error) and trunk.transport == "tls":
        return Verdict(
            False,
            "tls",
            f"TLS failure with {_where(trunk)} ({error}): the trunk's certificate or TLS "
            "version was not accepted, or it does not speak TLS on that port",
        )
    if _REFUSED.search(error):
        return Verdict(
            False,
            "unreachable",
            f"unreachable: {_where(trunk)} refused the connection ({error}); nothing "
            "listens there: check the port and transport",
        )
    if _NO_ROUTE.search(error):
        return Verdict(
            False,
            "unreachable",
            f"unreachable: no route to {_where(trunk)} ({error}); check bind_address and "
            "the network",
        )
    if _DNS.search(error):
        return Verdict(
            False,
            "dns",
            f"the trunk's name {trunk.host} did not resolve ({error}); check trunk and "
            "dns_server (default: the system's resolver)",
        )
    return Verdict(False, "other", f"the request to {_where(trunk)} failed: {error}")


def explain_register(kind: str, param: str, trunk: Trunk) -> Verdict:
    """baresip's end of a REGISTER (``REGISTER_OK``/``REGISTER_FAIL`` and its param, or
    ``TIMEOUT`` when none came) in plain words."""
    if kind == "TIMEOUT":
        return _timeout(trunk)
    m = re.match(r"(\d{3})\s*(.*)", param.strip())
    if m:
        return explain_status(int(m.group(1)), m.group(2), trunk, "REGISTER")
    if kind == "REGISTER_OK":
        return explain_status(200, "OK", trunk, "REGISTER")
    return explain_error(param or "unknown error", trunk)


_OPT_OK = re.compile(r"----- OPTIONS of ")
_OPT_FAIL = re.compile(r"OPTIONS failed: (\d{3}) ?([^\r\n\x1b]*)")
_OPT_ERR = re.compile(r"options reply error: ([^\r\n\x1b]*)")
_TLS_ERR = re.compile(r"tls: [^\r\n\x1b]*error[^\r\n\x1b]*")


def explain_options(console: str, trunk: Trunk) -> Verdict | None:
    """What baresip's console says of an OPTIONS request (None: no answer yet)."""
    if _OPT_OK.search(console):
        return explain_status(200, "OK", trunk, "OPTIONS")
    m = _OPT_FAIL.search(console)
    if m:
        return explain_status(int(m.group(1)), m.group(2).strip(), trunk, "OPTIONS")
    m = _OPT_ERR.search(console)
    if m:
        return explain_error(m.group(1).strip(), trunk)
    m = _TLS_ERR.search(console)  # a failed handshake leaves the request waiting
    if m and trunk.transport == "tls":
        return explain_error(f"TLS handshake failed: {_clean(m.group(0))}", trunk)
    return None


async def check_trunk(trunk: Trunk, *, timeout: float = 10.0) -> Verdict:
    """REGISTER (``trunk.register``) or OPTIONS-ping the trunk from one baresip line."""
    from lexdial.adapters.telephony import tts
    from lexdial.adapters.telephony.baresip_ctrl import BaresipProcess
    from lexdial.errors import TelephonyError

    work = Path(tempfile.mkdtemp(prefix="lexdial-check-"))
    proc: BaresipProcess | None = None
    try:
        silence = work / "silence.wav"
        tts.write_silence(silence, 10.0)
        try:
            proc = await BaresipProcess.launch(
                work / "line",
                lambda _: None,
                lambda: None,
                silence_wav=silence,
                trunk=trunk,
                line_buffered=True,
            )
        except TelephonyError as exc:
            log = work / "line" / "baresip.log"
            text = log.read_text(errors="replace") if log.exists() else ""
            bind = re.search(r"(bind|listen)[^\n]*", text, re.I)
            detail = bind.group(0) if bind else str(exc)
            return Verdict(
                False,
                "engine",
                f"baresip could not start with these settings ({_clean(detail)}); check "
                "bind_address (an address of this host) and sip_port (free)",
            )
        if trunk.register:
            kind, param = await proc.registration(timeout)
            verdict = explain_register(kind, param, trunk)
        else:
            verdict = await _options(proc, trunk, work / "line" / "baresip.log", timeout)
        if verdict.problem == "timeout":  # why no answer: refused, no route, no name?
            found: Verdict | None = await asyncio.to_thread(probe, trunk)
            verdict = found or verdict
        return verdict
    finally:
        if proc is not None:
            await proc.stop()
        shutil.rmtree(work, ignore_errors=True)


async def _options(proc: Any, trunk: Trunk, log: Path, timeout: float) -> Verdict:
    await proc.command("options", trunk.server_uri())
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while loop.time() < deadline:
        verdict = explain_options(log.read_text(errors="replace"), trunk)
        if verdict is not None:
            return verdict
        await asyncio.sleep(0.1)
    return _timeout(trunk)


def probe(trunk: Trunk, wait: float = 2.0) -> Verdict | None:
    """After a timeout: reach the first hop's port directly (a TCP connect and, for TLS, a
    handshake; over UDP an
    RFC 5626 CRLF keep-alive, to which an ICMP "port unreachable" answers as a refused
    connection). A plain A/AAAA lookup with the default SIP port stands in for SRV.
    None when the port takes the packets (the trunk then just did not answer)."""
    host, port = split_address(trunk.route or trunk.address)
    port = port or (5061 if trunk.transport == "tls" else 5060)
    stream = trunk.transport != "udp"
    try:
        infos = socket.getaddrinfo(
            host.strip("[]"), port, type=socket.SOCK_STREAM if stream else socket.SOCK_DGRAM
        )
    except socket.gaierror as exc:
        return explain_error(f"name not found: {exc.strerror}", trunk)
    family, kind, proto, _, addr = infos[0]
    with socket.socket(family, kind, proto) as sock:
        sock.settimeout(wait)
        try:
            sock.connect(addr)
            if trunk.transport == "tls":  # baresip 1.0.0 does not verify: neither here
                ctx = ssl.create_default_context()
                ctx.check_hostname, ctx.verify_mode = False, ssl.CERT_NONE
                ctx.wrap_socket(sock, server_hostname=host.strip("[]")).close()
            if stream:
                return None
            sock.send(b"\r\n\r\n")
            sock.recv(512)
        except ConnectionRefusedError:
            return explain_error("Connection refused", trunk)
        except ssl.SSLError as exc:
            return explain_error(f"TLS handshake failed: {exc.reason or exc}", trunk)
        except TimeoutError:
            return None
        except OSError as exc:
            return explain_error(exc.strerror or type(exc).__name__, trunk)
    return None


def _clean(text: str) -> str:
    return re.sub(r"\x1b\[[0-9;]*m", "", text).strip()[:160]
