"""A firm's trunk, played by SIPp: digest authentication, registration, TCP, the check.

SIPp runs the trunk's side from the scenarios in ``scenarios/`` (placeholders ``@KEY@``
filled per test): a trunk that challenges the INVITE with 401 and verifies the digest
(``verifyauth``), the request URI's E.164 number with '+' and the From display name; a
registrar that challenges REGISTER; an IP-authenticated trunk that answers OPTIONS.
SIPp's exit status says every step matched (a failed check fails its call).
The adapter and ``lexdial telephony check`` run with a ``Trunk`` built from settings, as
``bootstrap`` builds it. Needs baresip and sipp (``scripts/telephony.sh``).
"""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import ssl
import struct
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from lexdial.adapters.telephony.media_plane import MediaPlaneTelephony
from lexdial.adapters.telephony.sip import SipTelephony
from lexdial.adapters.telephony.sip_check import check_trunk
from lexdial.adapters.telephony.sip_trunk import Trunk
from lexdial.domain import telephony as tel
from lexdial.errors import TelephonyError

pytestmark = pytest.mark.integration

SCENARIOS = Path(__file__).parent / "scenarios"
USER, PASSWORD = "alice", "s3cret-Pa55"
NAME = "Hartwell Law"
TO, CALLER_ID = "+16145550101", "+16145550100"


@pytest.fixture(autouse=True, scope="module")
def _tools() -> None:
    missing = [t for t in ("baresip", "sipp") if shutil.which(t) is None]
    if missing:
        message = f"telephony tools missing: {', '.join(missing)}"
        if os.environ.get("CI"):
            pytest.fail(message + "; scripts/telephony.sh installs them")
        pytest.skip(message + "; run scripts/telephony.sh")


def free_port(kind: int = socket.SOCK_DGRAM, host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, kind) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def fill(tmp: Path, name: str, **values: str) -> Path:
    text = (SCENARIOS / name).read_text()
    for key, value in values.items():
        text = text.replace(f"@{key}@", value)
    out = tmp / name
    out.write_text(text)
    return out


@dataclass
class Sipp:
    """One SIPp run as the trunk: ``calls`` scenario runs, then it exits (0 = all passed)."""

    scenario: Path
    workdir: Path
    calls: int = 1
    transport: str = "udp"
    ip: str = "127.0.0.1"
    netns: str | None = None
    port: int = 0
    proc: subprocess.Popen[bytes] | None = None
    pids: list[int] = field(default_factory=list)

    @property
    def address(self) -> str:
        return f"{self.ip}:{self.port}"

    def start(self) -> Sipp:
        kind = socket.SOCK_STREAM if self.transport == "tcp" else socket.SOCK_DGRAM
        self.port = self.port or free_port(kind)
        w = self.workdir
        args = [
            *(["ip", "netns", "exec", self.netns] if self.netns else []),
            "sipp",
            "-sf",
            str(self.scenario),
            "-t",
            "t1" if self.transport == "tcp" else "u1",
            "-i",
            self.ip,
            "-p",
            str(self.port),
            "-mi",
            self.ip,
            "-mp",
            str(free_port()),
            "-m",
            str(self.calls),
            "-nostdin",
            "-timeout",
            "40s",
            "-timeout_error",
            "-trace_err",
            "-error_file",
            str(w / "sipp_errors.log"),
            "-trace_msg",
            "-message_file",
            str(w / "sipp_messages.log"),
            "-trace_logs",
            "-log_file",
            str(w / "sipp_logs.log"),
        ]
        with (w / "sipp_screen.log").open("wb") as screen:
            self.proc = subprocess.Popen(
                args, stdin=subprocess.DEVNULL, stdout=screen, stderr=screen
            )
        self.pids.append(self.proc.pid)
        for _ in range(250):  # listening once the port is taken (UDP) or accepts (TCP)
            if self.proc.poll() is not None:
                break
            if self._listening(kind):
                return self
            time.sleep(0.02)
        raise AssertionError(f"SIPp did not start:\n{self.report()}")

    def _listening(self, kind: int) -> bool:
        if self.netns:  # another network stack: ask it
            out = subprocess.run(
                ["ip", "netns", "exec", self.netns, "ss", "-lnut"], capture_output=True, text=True
            ).stdout
            return f"{self.ip}:{self.port} " in out
        with socket.socket(socket.AF_INET, kind) as probe:
            if kind == socket.SOCK_STREAM:
                return probe.connect_ex((self.ip, self.port)) == 0
            try:
                probe.bind((self.ip, self.port))
            except OSError:
                return True
        return False

    def finish(self, timeout: float = 30.0) -> int:
        assert self.proc is not None
        return self.proc.wait(timeout)

    def report(self) -> str:
        parts = []
        for name in ("sipp_errors.log", "sipp_screen.log", "sipp_messages.log"):
            path = self.workdir / name
            if path.exists():
                parts.append(f"--- {name}\n" + path.read_text(errors="replace")[-4000:])
        return "\n".join(parts)

    def text(self, name: str) -> str:
        path = self.workdir / name
        return path.read_text(errors="replace") if path.exists() else ""

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


@pytest.fixture
def sipps() -> Iterator[list[Sipp]]:
    started: list[Sipp] = []
    yield started
    for s in started:
        s.kill()


def a_dial(call_id: str) -> tel.Dial:
    return tel.Dial(
        call_id=call_id,
        to=TO,
        caller_id=CALLER_ID,
        ring_timeout_s=10.0,
        detect_machine=False,
        prompts={},
    )


async def one_call(carrier: Any, dial: tel.Dial, *, hang_up: bool) -> list[tel.CallEvent]:
    """Dial; on HUMAN hang up (``hang_up``); collect events until the call is over."""
    events: list[tel.CallEvent] = []
    await carrier.start()
    try:
        await carrier.dial(dial)
        stream = carrier.events()
        final = {tel.HANGUP, tel.FAILED, tel.BUSY, tel.NO_ANSWER}
        while not events or events[-1].kind not in final:
            events.append(await asyncio.wait_for(anext(stream), 20))
            if events[-1].kind == tel.HUMAN and hang_up:
                await asyncio.sleep(0.5)
                await carrier.hangup(dial.call_id)
    finally:
        await carrier.close()
    return events


def trunk_for(sipp: Sipp, **over: object) -> Trunk:
    fields: dict[str, object] = {
        "address": sipp.address,
        "transport": sipp.transport,
        "bind_address": "127.0.0.1",
        "auth_username": USER,
        "auth_password": PASSWORD,
        "caller_name": NAME,
    } | over
    return Trunk(**fields)  # type: ignore[arg-type]


def invite_scenario(tmp: Path, transport: str = "udp") -> Path:
    path = fill(
        tmp,
        "trunk_invite_401.xml",
        USER=USER,
        PASSWORD=PASSWORD,
        NAME=NAME,
        NUMBER_RE=r"\+16145550101",
        CALLER_RE=r"\+16145550100",
    )
    if transport != "udp":
        # the closing wait only absorbs UDP retransmissions; over TCP the caller may close
        # its connection within it once the BYE is answered, which SIPp counts as a failed
        # call (seen once in CI under load, the call itself complete)
        path.write_text(path.read_text().replace('<timewait milliseconds="500"/>', ""))
    return path


def engine(name: str, trunk: Trunk, tmp_path: Path) -> Any:
    """The baresip path (a process per call) or the media plane (UDP trunks only)."""
    if name == "plane":
        return MediaPlaneTelephony(trunk=trunk, work_dir=tmp_path / "sip", amd=False)
    return SipTelephony(trunk=trunk, work_dir=tmp_path / "sip", amd=False)


@pytest.mark.parametrize(
    ("transport", "kind"), [("udp", "baresip"), ("tcp", "baresip"), ("udp", "plane")]
)
def test_invite_digest_challenge_is_answered(
    tmp_path: Path, sipps: list[Sipp], transport: str, kind: str
) -> None:
    """The trunk answers our INVITE with 401; the second INVITE carries a digest SIPp
    verifies, the '+' number in the request URI and the display name in From."""
    sipp = Sipp(invite_scenario(tmp_path, transport), tmp_path, transport=transport).start()
    sipps.append(sipp)
    carrier = engine(kind, trunk_for(sipp), tmp_path)
    events = asyncio.run(one_call(carrier, a_dial(f"c-auth-{transport}"), hang_up=True))
    assert [e.kind for e in events] == [tel.RINGING, tel.ANSWERED, tel.HUMAN, tel.HANGUP]
    assert sipp.finish() == 0, sipp.report()
    assert "auth true" in sipp.text("sipp_logs.log"), sipp.report()
    messages = sipp.text("sipp_messages.log")
    assert f"INVITE sip:{TO}@{sipp.address}" in messages
    if transport == "tcp":
        assert "SIP/2.0/TCP" in messages
    assert PASSWORD not in messages  # a digest, never the password itself


@pytest.mark.parametrize("kind", ["baresip", "plane"])
def test_invite_with_a_wrong_password_fails_with_403(
    tmp_path: Path, sipps: list[Sipp], kind: str
) -> None:
    sipp = Sipp(invite_scenario(tmp_path), tmp_path).start()
    sipps.append(sipp)
    carrier = engine(kind, trunk_for(sipp, auth_password="wrong-one"), tmp_path)
    events = asyncio.run(one_call(carrier, a_dial("c-bad"), hang_up=True))
    assert [(e.kind, e.detail) for e in events][-1] == (tel.FAILED, "sip 403")
    assert sipp.finish() == 0, sipp.report()
    assert "auth false" in sipp.text("sipp_logs.log")


def test_registered_trunk_dials_after_its_register_succeeds(
    tmp_path: Path, sipps: list[Sipp]
) -> None:
    """``register = true``: the line REGISTERs (401, digest checked, 200) before the call;
    the INVITE goes out from the caller ID's own UA with the same credentials (401 again,
    digest checked); the password is in no log."""
    path = fill(
        tmp_path,
        "trunk_register_invite.xml",
        USER=USER,
        PASSWORD=PASSWORD,
        NAME=NAME,
        NUMBER_RE=r"\+16145550101",
        CALLER_RE=r"\+16145550100",
    )
    sipp = Sipp(path, tmp_path, calls=2).start()
    sipps.append(sipp)
    work = tmp_path / "sip"
    carrier = SipTelephony(trunk=trunk_for(sipp, register=True), work_dir=work, amd=False)
    events = asyncio.run(one_call(carrier, a_dial("c-reg"), hang_up=True))
    assert [e.kind for e in events] == [tel.RINGING, tel.ANSWERED, tel.HUMAN, tel.HANGUP]
    assert sipp.finish() == 0, sipp.report()
    logged = sipp.text("sipp_logs.log")
    assert "register 2 auth true" in logged and "auth true" in logged.replace("register 2", "")
    messages = sipp.text("sipp_messages.log")
    assert messages.index("REGISTER sip:") < messages.index("INVITE sip:")
    for log in work.glob("line-*/baresip.log"):
        assert PASSWORD not in log.read_text(errors="replace")


def test_a_refused_registration_fails_the_dial_saying_why(
    tmp_path: Path, sipps: list[Sipp]
) -> None:
    sipp = Sipp(registrar(tmp_path), tmp_path).start()
    sipps.append(sipp)
    trunk = trunk_for(sipp, register=True, auth_password="wrong-one")
    carrier = SipTelephony(trunk=trunk, work_dir=tmp_path / "sip", amd=False)

    async def body() -> None:
        try:
            await carrier.start()
        finally:
            await carrier.close()

    with pytest.raises(TelephonyError, match=r"forbidden \(403 Forbidden\)") as err:
        asyncio.run(body())
    assert "wrong-one" not in str(err.value)


def registrar(tmp: Path, **over: str) -> Path:
    return fill(tmp, "registrar_401.xml", **({"USER": USER, "PASSWORD": PASSWORD} | over))


@pytest.mark.parametrize("transport", ["udp", "tcp"])
def test_check_registers_with_digest(tmp_path: Path, sipps: list[Sipp], transport: str) -> None:
    sipp = Sipp(registrar(tmp_path), tmp_path, transport=transport).start()
    sipps.append(sipp)
    verdict = asyncio.run(check_trunk(trunk_for(sipp, register=True), timeout=10))
    assert verdict.ok and verdict.problem == "ok", verdict
    assert (
        verdict.message.startswith("ok: the trunk at") and "registered as alice" in verdict.message
    )
    assert sipp.finish() == 0, sipp.report()
    assert "register 2 auth true" in sipp.text("sipp_logs.log")


def test_check_says_wrong_credentials(tmp_path: Path, sipps: list[Sipp]) -> None:
    sipp = Sipp(registrar(tmp_path), tmp_path).start()
    sipps.append(sipp)
    trunk = trunk_for(sipp, register=True, auth_password="not-it")
    verdict = asyncio.run(check_trunk(trunk, timeout=10))
    assert not verdict.ok and verdict.problem == "forbidden", verdict
    assert "403 Forbidden" in verdict.message and "not-it" not in verdict.message


def test_check_says_unreachable_over_tcp(tmp_path: Path) -> None:
    port = free_port(socket.SOCK_STREAM)  # nothing listens there
    trunk = Trunk(address=f"127.0.0.1:{port}", transport="tcp")
    verdict = asyncio.run(check_trunk(trunk, timeout=10))
    assert not verdict.ok and verdict.problem == "unreachable", verdict


def test_check_says_when_the_bind_address_is_not_this_hosts() -> None:
    trunk = Trunk(address="127.0.0.1:5060", bind_address="192.0.2.44")  # TEST-NET-1
    verdict = asyncio.run(check_trunk(trunk, timeout=5))
    assert not verdict.ok and verdict.problem == "engine", verdict
    assert "check bind_address" in verdict.message


def test_check_says_timeout_when_nothing_answers(tmp_path: Path) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as silent:  # reads, never answers
        silent.bind(("127.0.0.1", 0))
        trunk = Trunk(address=f"127.0.0.1:{silent.getsockname()[1]}")
        verdict = asyncio.run(check_trunk(trunk, timeout=2))
    assert not verdict.ok and verdict.problem == "timeout", verdict


def test_cli_check_options_ping_exit_0(tmp_path: Path, sipps: list[Sipp]) -> None:
    """``lexdial telephony check`` on an IP-authenticated trunk: OPTIONS, 200, exit 0."""
    sipp = Sipp(fill(tmp_path, "options_200.xml"), tmp_path).start()
    sipps.append(sipp)
    settings = tmp_path / "lexdial.toml"
    settings.write_text(
        f'[telephony]\ncarrier = "sip"\ntrunk = "{sipp.address}"\nregister = false\n'
    )
    out = subprocess.run(
        [sys.executable, "-m", "lexdial", "--settings", str(settings), "telephony", "check"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 0, out.stderr + out.stdout
    assert "ok: the trunk at" in out.stdout and "answered OPTIONS" in out.stdout
    assert sipp.finish() == 0, sipp.report()


def test_cli_check_wrong_password_exit_6_and_no_secret(tmp_path: Path, sipps: list[Sipp]) -> None:
    sipp = Sipp(registrar(tmp_path), tmp_path).start()
    sipps.append(sipp)
    settings = tmp_path / "lexdial.toml"
    settings.write_text(
        f'[telephony]\ncarrier = "sip"\ntrunk = "{sipp.address}"\nregister = true\n'
        f'auth_username = "{USER}"\nauth_password_env = "TEST_SIP_PASSWORD"\n'
    )
    env = dict(os.environ, TEST_SIP_PASSWORD="guess-again")
    out = subprocess.run(
        [sys.executable, "-m", "lexdial", "--settings", str(settings), "telephony", "check"],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )
    assert out.returncode == 6, out.stderr + out.stdout
    assert "forbidden (403 Forbidden)" in out.stderr
    assert "guess-again" not in out.stderr + out.stdout


# --- on a non-loopback address: two network namespaces joined by a veth pair ------------

DIALER_IP, TRUNK_IP, PUBLIC_IP, SIP_PORT = "10.77.0.1", "10.77.0.2", "198.51.100.20", 5070

CALL_IN_NETNS = """
import asyncio, json, sys
from pathlib import Path
from typing import Any
from lexdial.adapters.telephony.media_plane import MediaPlaneTelephony
from lexdial.adapters.telephony.sip import SipTelephony
from lexdial.adapters.telephony.sip_trunk import Trunk
from lexdial.domain import telephony as tel
from lexdial.errors import TelephonyError

async def main():
    trunk = Trunk(address=sys.argv[1], bind_address=sys.argv[2], sip_port=int(sys.argv[3]),
                  public_address=sys.argv[4])
    carrier = SipTelephony(trunk=trunk, work_dir=Path(sys.argv[5]), amd=False)
    await carrier.start()
    dial = tel.Dial(call_id="c-ns", to="+16145550101", caller_id="+16145550100",
                    ring_timeout_s=10.0, detect_machine=False, prompts={})
    await carrier.dial(dial)
    kinds, stream = [], carrier.events()
    while not kinds or kinds[-1] not in ("hangup", "failed", "busy", "no_answer"):
        event = await asyncio.wait_for(anext(stream), 20)
        kinds.append(event.kind)
        if event.kind == "human":
            await asyncio.sleep(0.5)
            await carrier.hangup("c-ns")
    await carrier.close()
    print(json.dumps(kinds))

asyncio.run(main())
"""


@dataclass
class Netns:
    """Two namespaces, ``dialer`` (10.77.0.1) and ``trunk`` (10.77.0.2), on one veth link."""

    dialer: str
    trunk: str

    def run(self, ns: str, *args: str, **kw: object) -> subprocess.CompletedProcess[str]:
        return subprocess.run(  # type: ignore[call-overload, no-any-return]
            ["ip", "netns", "exec", ns, *args], capture_output=True, text=True, **kw
        )


def _ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True, capture_output=True, text=True)


@pytest.fixture
def netns() -> Iterator[Netns]:
    if os.geteuid() != 0:
        pytest.skip("network namespaces need root (ip netns add); run as root to exercise them")
    if shutil.which("ip") is None:
        pytest.skip("iproute2 (ip) is not installed")
    tag = f"{os.getpid() % 100000}"
    ns = Netns(f"ldx-dial-{tag}", f"ldx-trunk-{tag}")
    veth = (f"ldxd{tag}", f"ldxt{tag}")
    made: list[str] = []
    try:
        for name in (ns.dialer, ns.trunk):
            _ip("netns", "add", name)
            made.append(name)
        _ip(
            "link",
            "add",
            veth[0],
            "netns",
            ns.dialer,
            "type",
            "veth",
            "peer",
            veth[1],
            "netns",
            ns.trunk,
        )
        for name, dev, addr in ((ns.dialer, veth[0], DIALER_IP), (ns.trunk, veth[1], TRUNK_IP)):
            _ip("-n", name, "addr", "add", f"{addr}/24", "dev", dev)
            _ip("-n", name, "link", "set", dev, "up")
            _ip("-n", name, "link", "set", "lo", "up")
    except (subprocess.CalledProcessError, OSError) as exc:
        for name in made:
            subprocess.run(["ip", "netns", "del", name], capture_output=True)
        stderr = getattr(exc, "stderr", "") or str(exc)
        pytest.skip(f"cannot make network namespaces here: {stderr.strip()}")
    yield ns
    for name in made:  # deleting a namespace removes its end of the veth pair, and the pair
        subprocess.run(["ip", "netns", "del", name], capture_output=True)


def test_bind_and_public_address_in_a_network_namespace(
    tmp_path: Path, sipps: list[Sipp], netns: Netns
) -> None:
    """The dialer in one namespace (10.77.0.1), the trunk (SIPp) in another (10.77.0.2):
    SIPp checks Via and Contact carry the bind address and sip_port, and SDP the public
    (NAT) address; the call is answered and ends with our BYE."""
    path = fill(
        tmp_path, "trunk_invite_nat.xml", BIND=DIALER_IP, PORT=str(SIP_PORT), PUBLIC=PUBLIC_IP
    )
    sipp = Sipp(path, tmp_path, ip=TRUNK_IP, netns=netns.trunk, port=5060).start()
    sipps.append(sipp)
    script = tmp_path / "call.py"
    script.write_text(CALL_IN_NETNS)
    out = netns.run(
        netns.dialer,
        sys.executable,
        str(script),
        f"{TRUNK_IP}:5060",
        DIALER_IP,
        str(SIP_PORT),
        PUBLIC_IP,
        str(tmp_path / "sip"),
        timeout=60,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    assert out.stdout.strip().splitlines()[-1] == '["ringing", "answered", "human", "hangup"]'
    assert sipp.finish() == 0, sipp.report()
    assert "nat checks" in sipp.text("sipp_logs.log")


def test_cli_check_registers_from_a_network_namespace(
    tmp_path: Path, sipps: list[Sipp], netns: Netns
) -> None:
    """``lexdial telephony check`` bound to 10.77.0.1 registers at the SIPp registrar on
    10.77.0.2 (digest checked); unbound from 127.0.0.1 the same trunk is out of reach."""
    sipp = Sipp(registrar(tmp_path), tmp_path, ip=TRUNK_IP, netns=netns.trunk, port=5060).start()
    sipps.append(sipp)
    settings = tmp_path / "lexdial.toml"
    settings.write_text(
        f'[telephony]\ncarrier = "sip"\ntrunk = "{TRUNK_IP}:5060"\nregister = true\n'
        f'bind_address = "{DIALER_IP}"\nsip_port = {SIP_PORT}\n'
        f'auth_username = "{USER}"\nauth_password_file = "sip.secret"\n'
    )
    (tmp_path / "sip.secret").write_text(PASSWORD + "\n")
    lexdial = [sys.executable, "-m", "lexdial", "--settings", str(settings)]
    out = netns.run(netns.dialer, *lexdial, "telephony", "check", timeout=60)
    assert out.returncode == 0, out.stderr + out.stdout
    assert f"ok: the trunk at {TRUNK_IP}:5060 over UDP registered as {USER}" in out.stdout
    assert sipp.finish() == 0, sipp.report()
    assert PASSWORD not in out.stdout + out.stderr


# --- TLS: SIPp (Debian's build has no TLS) behind a TLS-terminating relay -------------------


@pytest.fixture
def certificate(tmp_path: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 (the relay's)."""
    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed (needed to make the relay's certificate)")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
            "-keyout", str(key), "-out", str(cert), "-subj", "/CN=127.0.0.1",
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return cert, key


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except (ConnectionError, ssl.SSLError):
        pass
    finally:
        writer.close()


async def tls_relay(cert: tuple[Path, Path], to_port: int) -> asyncio.Server:
    """TLS on a free port of 127.0.0.1, relayed as plain TCP to SIPp on ``to_port``."""
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(str(cert[0]), str(cert[1]))

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", to_port)
        await asyncio.gather(_pipe(reader, up_writer), _pipe(up_reader, writer))

    return await asyncio.start_server(handle, "127.0.0.1", 0, ssl=ctx)


def test_check_registers_over_tls(
    tmp_path: Path, sipps: list[Sipp], certificate: tuple[Path, Path]
) -> None:
    """REGISTER over TLS (Via SIP/2.0/TLS, request URI ;transport=tls), digest checked."""
    sipp = Sipp(registrar(tmp_path), tmp_path, transport="tcp").start()
    sipps.append(sipp)

    async def body() -> object:
        relay = await tls_relay(certificate, sipp.port)
        port = relay.sockets[0].getsockname()[1]
        try:
            trunk = trunk_for(sipp, address=f"127.0.0.1:{port}", transport="tls", register=True)
            return await check_trunk(trunk, timeout=10)
        finally:
            relay.close()

    verdict = asyncio.run(body())
    assert getattr(verdict, "ok", False), verdict
    assert "over TLS registered as alice" in str(verdict)
    assert sipp.finish() == 0, sipp.report()
    messages = sipp.text("sipp_messages.log")
    assert "SIP/2.0/TLS" in messages and ";transport=tls" in messages


@pytest.mark.parametrize("register", [True, False])
def test_check_says_tls_failure(tmp_path: Path, register: bool) -> None:
    """A TLS trunk setting pointed at a port that does not speak TLS: a TLS failure."""

    async def body() -> object:
        async def not_tls(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            await reader.read(100)
            writer.write(b"SSH-2.0-OpenSSH_9.2\r\n")
            await writer.drain()
            writer.close()

        server = await asyncio.start_server(not_tls, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        try:
            trunk = Trunk(
                address=f"127.0.0.1:{port}",
                transport="tls",
                auth_username=USER if register else None,
                auth_password=PASSWORD if register else None,
                register=register,
            )
            return await check_trunk(trunk, timeout=5)
        finally:
            server.close()

    verdict = asyncio.run(body())
    assert getattr(verdict, "problem", None) == "tls", verdict


# --- DNS: a trunk named without a port is found by SRV (dns_server pointed at a stub) ------


class StubDns(asyncio.DatagramProtocol):
    """Answers SRV ``_sip._udp.trunk.test`` -> ``sipp.trunk.test:<port>`` and A
    ``sipp.trunk.test`` -> 127.0.0.1; anything else gets an empty NOERROR answer."""

    def __init__(self, sip_port: int) -> None:
        self.sip_port = sip_port
        self.asked: list[tuple[str, int]] = []
        self.transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    @staticmethod
    def name(text: str) -> bytes:
        return b"".join(bytes([len(p)]) + p.encode() for p in text.split(".")) + b"\0"

    def datagram_received(self, data: bytes, addr: tuple[str | Any, int]) -> None:
        labels, i = [], 12
        while data[i]:
            labels.append(data[i + 1 : i + 1 + data[i]].decode())
            i += 1 + data[i]
        qname, (qtype,) = ".".join(labels).lower(), struct.unpack(">H", data[i + 1 : i + 3])
        question = data[12 : i + 5]
        self.asked.append((qname, qtype))
        answers = []
        if qtype == 33 and qname == "_sip._udp.trunk.test":
            rdata = struct.pack(">HHH", 0, 0, self.sip_port) + self.name("sipp.trunk.test")
            answers.append(struct.pack(">HHHIH", 0xC00C, 33, 1, 60, len(rdata)) + rdata)
        elif qtype == 1 and qname == "sipp.trunk.test":
            answers.append(struct.pack(">HHHIH", 0xC00C, 1, 1, 60, 4) + bytes([127, 0, 0, 1]))
        head = data[:2] + struct.pack(">HHHHH", 0x8180, 1, len(answers), 0, 0)
        assert self.transport is not None
        self.transport.sendto(head + question + b"".join(answers), addr)


def test_a_trunk_named_without_a_port_is_found_by_srv(tmp_path: Path, sipps: list[Sipp]) -> None:
    """trunk = "trunk.test": baresip asks the DNS server in ``dns_server`` for the SIP
    SRV record, then the target's address, and registers at SIPp on the SRV port."""
    sipp = Sipp(registrar(tmp_path), tmp_path).start()
    sipps.append(sipp)

    async def body() -> tuple[object, StubDns]:
        loop = asyncio.get_running_loop()
        transport, dns = await loop.create_datagram_endpoint(
            lambda: StubDns(sipp.port), local_addr=("127.0.0.1", 0)
        )
        try:
            server = f"127.0.0.1:{transport.get_extra_info('sockname')[1]}"
            trunk = trunk_for(sipp, address="trunk.test", register=True, dns_server=server)
            return await check_trunk(trunk, timeout=10), dns
        finally:
            transport.close()

    verdict, dns = asyncio.run(body())
    assert getattr(verdict, "ok", False), (verdict, dns.asked)
    assert ("_sip._udp.trunk.test", 33) in dns.asked and ("sipp.trunk.test", 1) in dns.asked
    assert sipp.finish() == 0, sipp.report()
    assert "REGISTER sip:trunk.test SIP/2.0" in sipp.text("sipp_messages.log")


def test_no_dns_server_line_means_the_system_resolver(tmp_path: Path) -> None:
    """Without ``dns_server`` the config names none: baresip reads /etc/resolv.conf."""
    from lexdial.adapters.telephony.baresip_config import write_config

    write_config(tmp_path, ctrl_port=1, silence_wav=tmp_path / "s.wav", trunk=Trunk("t.test"))
    config = (tmp_path / "config").read_text()
    assert "\ndns_server" not in config and "sip_listen 127.0.0.1:0" in config
    assert oct((tmp_path / "accounts").stat().st_mode & 0o777) == "0o600"
