"""The media plane on every trunk: TCP, TLS (certificate verified), REGISTER, PAI; SIPp.

SIPp plays the trunk (``scenarios/``). Debian's SIPp has no TLS: for TLS it runs over
TCP behind ``tls_relay``, a TLS-terminating relay whose certificate the test makes with
``cryptography`` (a test CA given as ``tls_ca_file``; a certificate for the wrong host or
from an unknown CA must stop the trunk with a clear reason before any call). What SIPp
checks (Via transport, Contact ``;transport=``, P-Asserted-Identity, digest) fails its
run, so its exit status is asserted; the audio is proved by correlation: the 200 OK sends
the call's RTP to ``RtpSink`` and the message's exact waveform must be found in it.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import ipaddress
import logging
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from lexdial.adapters.telephony.media_plane import MediaPlaneTelephony
from lexdial.adapters.telephony.plane_check import check_on_plane
from lexdial.adapters.telephony.sip_trunk import Trunk
from lexdial.domain import telephony as tel
from lexdial.errors import TelephonyError

from .test_sip_sipp import MESSAGE, RtpSink, best_match, write_wav
from .test_sip_trunk_sipp import (
    CALLER_ID,
    NAME,
    PASSWORD,
    TO,
    USER,
    Sipp,
    fill,
    free_port,
    registrar,
    tls_relay,
    trunk_for,
)

pytestmark = pytest.mark.integration
#: a call answered (no machine detection: HUMAN at once), the message played, hung up
CALL = [tel.RINGING, tel.ANSWERED, tel.HUMAN, tel.PLAYED, tel.HANGUP]


@pytest.fixture(autouse=True, scope="module")
def _sipp() -> None:
    if shutil.which("sipp") is None:
        pytest.skip("sipp is not installed (scripts/telephony.sh)")


@pytest.fixture
def sipps() -> Iterator[list[Sipp]]:
    started: list[Sipp] = []
    yield started
    for s in started:
        s.kill()


# --- a test CA and the relay's certificates ------------------------------------------------


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def _ca(cn: str) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    key = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name(cn))
        .issuer_name(_name(cn))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False),
            critical=True,
        )
        .sign(key, hashes.SHA256())
    )
    return cert, key


def _leaf(
    tmp: Path, ca: tuple[x509.Certificate, ec.EllipticCurvePrivateKey], san: x509.GeneralName
) -> tuple[Path, Path]:
    """A server certificate for ``san`` signed by ``ca``: (cert file, key file)."""
    key = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name("trunk"))
        .issuer_name(ca[0].subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([san]), critical=False)
        .sign(ca[1], hashes.SHA256())
    )
    cert_path, key_path = tmp / "server.pem", tmp / "server.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


@pytest.fixture
def pki(tmp_path: Path) -> dict[str, Any]:
    """The test CA (its file is the trunk's ``tls_ca_file``) and three certificates: right
    (IP 127.0.0.1), wrong host (a DNS name only), unknown CA."""
    ca, other = _ca("lexdial test CA"), _ca("someone else's CA")
    ca_file = tmp_path / "ca.pem"
    ca_file.write_bytes(ca[0].public_bytes(serialization.Encoding.PEM))
    dirs = {k: tmp_path / k for k in ("good", "wrong_host", "unknown_ca")}
    for d in dirs.values():
        d.mkdir()
    ip = x509.IPAddress(ipaddress.ip_address("127.0.0.1"))
    return {
        "ca_file": str(ca_file),
        "good": _leaf(dirs["good"], ca, ip),
        "wrong_host": _leaf(dirs["wrong_host"], ca, x509.DNSName("trunk.elsewhere.test")),
        "unknown_ca": _leaf(dirs["unknown_ca"], other, ip),
    }


# --- running a call ---------------------------------------------------------------------------


def a_dial(call_id: str, tmp: Path) -> tel.Dial:
    wav = write_wav(tmp / "message.wav", MESSAGE)
    prompts = {tel.MESSAGE: tel.Prompt("(test message)", 4.0, str(wav))}
    return tel.Dial(call_id, TO, CALLER_ID, 10.0, prompts, detect_machine=False)


async def call_playing_the_message(carrier: MediaPlaneTelephony, dial: tel.Dial) -> list[str]:
    """Dial; once answered play the message; once played hang up; the events' kinds."""
    kinds: list[str] = []
    await carrier.start()
    try:
        await carrier.dial(dial)
        stream = carrier.events()
        final = {tel.HANGUP, tel.FAILED, tel.BUSY, tel.NO_ANSWER}
        while not kinds or kinds[-1] not in final:
            event = await asyncio.wait_for(anext(stream), 20)
            kinds.append(event.kind)
            if event.kind == tel.ANSWERED:
                await carrier.play(dial.call_id, tel.MESSAGE)
            elif event.kind == tel.PLAYED:
                await carrier.hangup(dial.call_id)
    finally:
        await carrier.close()
    return kinds


def heard_the_message(sink: RtpSink) -> float:
    """How well the message's waveform is found in the RTP the sink received (0..1)."""
    if not sink.streams:
        return 0.0
    ssrc = max(sink.streams, key=lambda s: len(sink.streams[s]))
    return best_match(sink.pcm(ssrc), MESSAGE)


def over_a_connection(scenario: Path) -> Path:
    """``scenario`` without its closing timewait: SIPp fails a call whose TCP connection
    closes while it waits there, and the UA closes its connection as soon as its last
    transaction is over (``close``), as a client may."""
    scenario.write_text(scenario.read_text().replace('<timewait milliseconds="500"/>', ""))
    return scenario


def pai_scenario(tmp: Path, transport: str, sink_port: int) -> Path:
    # over UDP a Contact without parameters (XML-escaped: the regexp is an attribute)
    contact = r"transport=" + transport if transport != "udp" else r"^ *&lt;sip:[^;&gt;]+&gt;$"
    return over_a_connection(
        fill(
            tmp,
            "plane_trunk_pai.xml",
            VIA=transport.upper(),
            CONTACT_RE=contact,
            NAME=NAME,
            CALLER_RE=r"\+16145550100",
            NUMBER_RE=r"\+16145550101",
            SINK_PORT=str(sink_port),
        )
    )


async def with_sink(body: Any) -> tuple[Any, RtpSink]:
    """Run ``body(sink, port)`` with an RTP sink listening on 127.0.0.1."""
    sink = RtpSink()
    loop = asyncio.get_running_loop()
    transport, _ = await loop.create_datagram_endpoint(lambda: sink, local_addr=("127.0.0.1", 0))
    try:
        return await body(sink, transport.get_extra_info("sockname")[1]), sink
    finally:
        transport.close()


async def through_relay(cert: tuple[Path, Path], sipp: Sipp, run: Any) -> Any:
    """``run(address)`` with ``address`` a TLS relay in front of SIPp (TCP)."""
    relay = await tls_relay(cert, sipp.port)
    try:
        return await run(f"127.0.0.1:{relay.sockets[0].getsockname()[1]}")
    finally:
        relay.close()


# --- the tests --------------------------------------------------------------------------------


@pytest.mark.parametrize("transport", ["udp", "tcp", "tls"])
def test_a_call_on_the_plane_over_each_transport_carries_pai_and_its_audio_arrives(
    tmp_path: Path, sipps: list[Sipp], pki: dict[str, Any], transport: str
) -> None:
    """The INVITE SIPp receives has Via SIP/2.0/<transport>, ;transport= in Contact (TCP,
    TLS) and the caller ID in P-Asserted-Identity; over TLS the trunk's certificate is
    verified against the test CA; the message played is found in the RTP received."""

    async def body(sink: RtpSink, port: int) -> list[str]:
        sipp_tp = "udp" if transport == "udp" else "tcp"
        sipp = Sipp(pai_scenario(tmp_path, transport, port), tmp_path, transport=sipp_tp)
        sipps.append(sipp.start())

        async def run(address: str) -> list[str]:
            trunk = trunk_for(sipp, address=address, transport=transport,
                              tls_ca_file=pki["ca_file"])  # fmt: skip
            carrier = MediaPlaneTelephony(
                trunk=trunk, work_dir=tmp_path / "sip", amd=False, p_asserted_identity=True
            )
            return await call_playing_the_message(carrier, a_dial(f"c-{transport}", tmp_path))

        if transport == "tls":
            return await through_relay(pki["good"], sipp, run)  # type: ignore[no-any-return]
        return await run(sipp.address)

    kinds, sink = asyncio.run(with_sink(body))
    sipp = sipps[0]
    assert kinds == CALL, sipp.report()
    assert sipp.finish() == 0, sipp.report()
    # SIPp checked PAI (its run fails without it: "header ... not found"), and here it is
    messages = sipp.text("sipp_messages.log")
    assert f'P-Asserted-Identity: "{NAME}" <sip:{CALLER_ID}@' in messages
    assert f"SIP/2.0/{transport.upper()}" in messages
    assert heard_the_message(sink) > 0.9


@pytest.mark.parametrize("transport", ["udp", "tcp", "tls"])
def test_a_registering_trunk_on_the_plane_registers_with_digest_then_calls_then_unregisters(
    tmp_path: Path, sipps: list[Sipp], pki: dict[str, Any], transport: str
) -> None:
    """REGISTER is challenged (401) and its digest verified by SIPp before the INVITE
    (challenged and verified too); closing the carrier removes the binding (Expires 0)."""
    path = fill(
        tmp_path,
        "trunk_register_invite.xml",
        USER=USER,
        PASSWORD=PASSWORD,
        NAME=NAME,
        NUMBER_RE=r"\+16145550101",
        CALLER_RE=r"\+16145550100",
    )
    sipp = Sipp(over_a_connection(path), tmp_path, calls=2,
                transport="udp" if transport == "udp" else "tcp")  # fmt: skip
    sipps.append(sipp.start())

    async def run(address: str) -> list[str]:
        trunk = trunk_for(sipp, address=address, transport=transport, register=True,
                          tls_ca_file=pki["ca_file"])  # fmt: skip
        carrier = MediaPlaneTelephony(trunk=trunk, work_dir=tmp_path / "sip", amd=False)
        return await call_playing_the_message(carrier, a_dial(f"r-{transport}", tmp_path))

    async def body() -> list[str]:
        if transport == "tls":
            return await through_relay(pki["good"], sipp, run)  # type: ignore[no-any-return]
        return await run(sipp.address)

    kinds = asyncio.run(body())
    assert kinds == CALL, sipp.report()
    assert sipp.finish() == 0, sipp.report()
    logged = sipp.text("sipp_logs.log")
    assert "register 2 auth true" in logged and "auth true" in logged.replace("register 2", "")
    messages = sipp.text("sipp_messages.log")
    assert messages.index("REGISTER sip:") < messages.index("INVITE sip:")
    assert "Expires: 0" in messages[messages.index("BYE sip:") :], "no unregister"
    assert PASSWORD not in messages


def test_a_refused_registration_stops_the_plane_with_the_trunks_reason(
    tmp_path: Path, sipps: list[Sipp]
) -> None:
    # over UDP: over TCP SIPp counts the call failed when the UA closes its connection
    # right after the 403, before SIPp has run the scenario's end
    sipp = Sipp(registrar(tmp_path), tmp_path).start()
    sipps.append(sipp)
    trunk = trunk_for(sipp, register=True, auth_password="wrong-one")
    carrier = MediaPlaneTelephony(trunk=trunk, work_dir=tmp_path / "sip", amd=False)

    async def body() -> None:
        try:
            await carrier.start()
        finally:
            await carrier.close()

    with pytest.raises(TelephonyError, match=r"forbidden \(403 Forbidden\)") as err:
        asyncio.run(body())
    assert "wrong-one" not in str(err.value)
    assert sipp.finish() == 0, sipp.report()
    assert "register 2 auth false" in sipp.text("sipp_logs.log")


@pytest.mark.parametrize(
    ("cert", "why"),
    [
        ("wrong_host", r"IP address mismatch|not valid for"),
        ("unknown_ca", r"unable to get local issuer certificate"),
    ],
)
def test_a_tls_trunk_whose_certificate_does_not_verify_is_refused_saying_why(
    tmp_path: Path, pki: dict[str, Any], cert: str, why: str
) -> None:
    """No call can start: ``start`` fails with a TLS failure naming the certificate's
    fault (and the relay never passes a byte on: nothing listens behind it)."""

    async def body() -> None:
        async def run(address: str) -> None:
            trunk = Trunk(address=address, transport="tls", tls_ca_file=pki["ca_file"])
            carrier = MediaPlaneTelephony(trunk=trunk, work_dir=tmp_path / "sip", amd=False)
            try:
                await carrier.start()
            finally:
                await carrier.close()

        nobody = Sipp(Path("unused"), tmp_path, port=free_port())
        await through_relay(pki[cert], nobody, run)

    with pytest.raises(TelephonyError, match=r"TLS failure with 127\.0\.0\.1:\d+ over TLS") as e:
        asyncio.run(body())
    assert e.match(why)


def test_tls_verify_false_reaches_a_trunk_with_an_unknown_ca_and_warns(
    tmp_path: Path, sipps: list[Sipp], pki: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    async def body(sink: RtpSink, port: int) -> list[str]:
        sipp = Sipp(pai_scenario(tmp_path, "tls", port), tmp_path, transport="tcp")
        sipps.append(sipp.start())

        async def run(address: str) -> list[str]:
            trunk = trunk_for(sipp, address=address, transport="tls", tls_verify=False)
            carrier = MediaPlaneTelephony(
                trunk=trunk, work_dir=tmp_path / "sip", amd=False, p_asserted_identity=True
            )
            return await call_playing_the_message(carrier, a_dial("c-unverified", tmp_path))

        return await through_relay(pki["unknown_ca"], sipp, run)  # type: ignore[no-any-return]

    with caplog.at_level(logging.WARNING):
        kinds, _ = asyncio.run(with_sink(body))
    assert kinds == CALL, sipps[0].report()
    assert "certificate is NOT checked" in caplog.text


# --- lexdial telephony check through the plane's UA -------------------------------------------


def test_check_on_the_plane_registers_over_verified_tls(
    tmp_path: Path, sipps: list[Sipp], pki: dict[str, Any]
) -> None:
    sipp = Sipp(over_a_connection(registrar(tmp_path)), tmp_path, transport="tcp").start()
    sipps.append(sipp)

    async def run(address: str) -> object:
        trunk = trunk_for(sipp, address=address, transport="tls", register=True,
                          tls_ca_file=pki["ca_file"])  # fmt: skip
        return await check_on_plane(trunk, timeout=10)

    verdict = asyncio.run(through_relay(pki["good"], sipp, run))
    assert getattr(verdict, "ok", False), verdict
    assert "over TLS registered as alice (200 OK)" in str(verdict)
    assert sipp.finish() == 0, sipp.report()
    messages = sipp.text("sipp_messages.log")
    assert "Via: SIP/2.0/TLS" in messages and "Expires: 0" in messages  # and unregistered


@pytest.mark.parametrize("cert", ["wrong_host", "unknown_ca"])
def test_check_on_the_plane_says_tls_when_the_certificate_does_not_verify(
    tmp_path: Path, pki: dict[str, Any], cert: str
) -> None:
    async def run(address: str) -> object:
        trunk = Trunk(address=address, transport="tls", tls_ca_file=pki["ca_file"])
        return await check_on_plane(trunk, timeout=5)

    nobody = Sipp(Path("unused"), tmp_path, port=free_port())
    verdict = asyncio.run(through_relay(pki[cert], nobody, run))
    assert getattr(verdict, "problem", None) == "tls", verdict
    assert "certificate verify failed" in str(verdict)


def test_cli_check_uses_the_plane_and_says_wrong_credentials(
    tmp_path: Path, sipps: list[Sipp]
) -> None:
    """``lexdial telephony check`` (media auto: the plane) over TCP; exit 6, no secret."""
    sipp = Sipp(registrar(tmp_path), tmp_path, transport="tcp").start()
    sipps.append(sipp)
    settings = tmp_path / "lexdial.toml"
    settings.write_text(
        f'[telephony]\ncarrier = "sip"\ntrunk = "{sipp.address}"\ntransport = "tcp"\n'
        f'register = true\nauth_username = "{USER}"\nauth_password_env = "TEST_SIP_PASSWORD"\n'
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
    assert "over TCP (REGISTER)" in out.stdout and "forbidden (403 Forbidden)" in out.stderr
    assert "guess-again" not in out.stderr + out.stdout
    assert "Traceback" not in out.stderr
    messages = sipp.text("sipp_messages.log")
    assert "SIP/2.0/TCP" in messages and "User-Agent: lexdial" in messages  # not baresip
