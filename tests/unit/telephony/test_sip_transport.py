"""The plane's SIP over TCP/TLS without a network: framing, Via/Contact, settings, choice."""

from __future__ import annotations

import asyncio
import ssl
from pathlib import Path

import pytest

from lexdial.adapters.telephony.media_plane import MediaPlaneTelephony, supports
from lexdial.adapters.telephony.sip_message import Local, Message, parse
from lexdial.adapters.telephony.sip_register import Registration
from lexdial.adapters.telephony.sip_transactions import NonInviteTransactions
from lexdial.adapters.telephony.sip_transport import read_message, tls_context
from lexdial.adapters.telephony.sip_trunk import Trunk
from lexdial.adapters.telephony.sip_ua import SipUa, why
from lexdial.adapters.virtual_time import VirtualTimeLoop
from lexdial.config import load_settings
from lexdial.errors import ConfigError, TelephonyError

INVITE = (
    b"INVITE sip:+16145550101@trunk.test SIP/2.0\r\nVia: SIP/2.0/TCP 10.0.0.5:5060;branch=z9"
    b"hG4bK1\r\nCall-ID: a@b\r\nCSeq: 1 INVITE\r\nContent-Length: 4\r\n\r\nv=0\n"
)
BYE = b"BYE sip:x@y SIP/2.0\r\nCall-ID: a@b\r\nCSeq: 2 BYE\r\nl: 0\r\n\r\n"


def _messages(*chunks: bytes) -> list[bytes]:
    async def body() -> list[bytes]:
        reader = asyncio.StreamReader()
        for chunk in chunks:
            reader.feed_data(chunk)
        reader.feed_eof()
        out = []
        try:
            while True:
                out.append(await read_message(reader))
        except asyncio.IncompleteReadError:
            return out

    return asyncio.run(body())


def test_messages_on_a_stream_are_cut_by_content_length_and_keep_alives_skipped() -> None:
    stream = b"\r\n\r\n" + INVITE + b"\r\n" + BYE  # a CRLF keep-alive before and between
    assert _messages(stream) == [INVITE, BYE]


def test_a_message_split_across_reads_is_put_back_together() -> None:
    assert _messages(INVITE[:30], INVITE[30:-2], INVITE[-2:]) == [INVITE]


def test_a_body_cut_short_by_the_connection_closing_is_not_a_message() -> None:
    assert _messages(INVITE[:-1]) == []


@pytest.mark.parametrize(
    ("transport", "via", "contact"),
    [
        ("udp", "SIP/2.0/UDP 203.0.113.7:5070;branch=z9hG4bKx;rport", "<sip:u@203.0.113.7:5070>"),
        (
            "tcp",
            "SIP/2.0/TCP 203.0.113.7:5070;branch=z9hG4bKx;rport;alias",
            "<sip:u@203.0.113.7:5070;transport=tcp>",
        ),
        (
            "tls",
            "SIP/2.0/TLS 203.0.113.7:5070;branch=z9hG4bKx;rport;alias",
            "<sip:u@203.0.113.7:5070;transport=tls>",
        ),
    ],
)
def test_via_and_contact_name_the_transport(transport: str, via: str, contact: str) -> None:
    me = Local("203.0.113.7", 5070, user="u", transport=transport)
    assert me.via("z9hG4bKx") == f"Via: {via}"
    assert me.contact == f"Contact: {contact}"


def test_the_public_address_goes_in_via_and_contact_over_tcp() -> None:
    trunk = Trunk("trunk.test", transport="tcp", public_address="203.0.113.7")
    ua = SipUa(trunk)
    assert ua.me.host == "203.0.113.7" and ua.me.transport == "tcp"
    raw = ua.me.via("z9hG4bKq").encode() + b"\r\n"
    msg = parse(b"OPTIONS sip:x SIP/2.0\r\n" + raw + b"\r\n")
    assert msg is not None
    assert (msg.get("via") or "").startswith("SIP/2.0/TCP 203.0.113.7:")
    assert ua.me.contact.startswith("Contact: <sip:lexdial@203.0.113.7:")


def test_tls_verifies_the_certificate_and_the_host_unless_told_not_to() -> None:
    ctx = tls_context(Trunk("trunk.test:5061", transport="tls"))
    assert ctx.verify_mode == ssl.CERT_REQUIRED and ctx.check_hostname
    off = tls_context(Trunk("trunk.test:5061", transport="tls", tls_verify=False))
    assert off.verify_mode == ssl.CERT_NONE and not off.check_hostname


def test_a_ca_file_that_does_not_exist_is_an_error_not_a_silent_fallback(tmp_path: Path) -> None:
    trunk = Trunk("trunk.test", transport="tls", tls_ca_file=str(tmp_path / "none.pem"))
    with pytest.raises(TelephonyError, match=r"tls_ca_file .*none\.pem: not a readable PEM"):
        tls_context(trunk)
    (tmp_path / "junk.pem").write_text("not a certificate")
    junk = Trunk("trunk.test", transport="tls", tls_ca_file=str(tmp_path / "junk.pem"))
    with pytest.raises(TelephonyError, match=r"junk\.pem: not a readable PEM"):
        tls_context(junk)


def test_a_certificate_that_fails_verification_is_worded_with_its_reason() -> None:
    exc = ssl.SSLCertVerificationError(1, "certificate verify failed")
    exc.verify_message = "IP address mismatch, certificate is not valid for '127.0.0.1'."
    assert why(exc) == (
        "TLS certificate verify failed: IP address mismatch, certificate is not valid for "
        "'127.0.0.1'."
    )
    assert why(TimeoutError()) == "timed out"
    assert why(ConnectionRefusedError(111, "Connection refused")) == "Connection refused"


@pytest.mark.parametrize(
    "trunk",
    [
        Trunk("t.test"),
        Trunk("t.test", transport="tcp"),
        Trunk("t.test", transport="tls"),
        Trunk("t.test", transport="tls", auth_username="u", auth_password="p", register=True),
    ],
)
def test_every_trunk_runs_on_the_plane(trunk: Trunk) -> None:
    assert supports(trunk)
    MediaPlaneTelephony(trunk=trunk, amd=False)  # no ValueError


def _settings(tmp_path: Path, extra: str) -> Path:
    path = tmp_path / "lexdial.toml"
    path.write_text(
        '[telephony]\ncarrier = "sip"\ntrunk = "127.0.0.1:5061"\ntransport = "tls"\n'
        'auth_username = "u"\nauth_password_env = "PW"\nregister = true\n' + extra
    )
    return path


def test_bootstrap_puts_a_registering_tls_trunk_on_the_plane_with_its_tls_settings(
    tmp_path: Path,
) -> None:
    from lexdial.bootstrap import open_telephony

    (tmp_path / "ca.pem").write_text("-")
    path = _settings(tmp_path, 'tls_ca_file = "ca.pem"\np_asserted_identity = true\n')
    carrier = open_telephony(load_settings(path, {"PW": "pw"}), {"PW": "pw"})
    assert isinstance(carrier, MediaPlaneTelephony)
    assert carrier.sip.tls_ca_file == str(tmp_path / "ca.pem") and carrier.sip.tls_verify
    assert carrier.ua.p_asserted_identity and carrier.sip.register


def test_media_baresip_still_selects_baresip_and_refuses_pai_there(tmp_path: Path) -> None:
    from lexdial.adapters.telephony.sip import SipTelephony
    from lexdial.bootstrap import open_telephony

    env = {"PW": "pw"}
    carrier = open_telephony(load_settings(_settings(tmp_path, 'media = "baresip"\n'), env), env)
    assert isinstance(carrier, SipTelephony)
    path = _settings(tmp_path, 'media = "baresip"\np_asserted_identity = true\n')
    with pytest.raises(ConfigError, match="p_asserted_identity cannot be sent with media"):
        open_telephony(load_settings(path, env), env)


# --- REGISTER's life on a virtual clock (the registrar: a few lines answering the bytes) ---


class Registrar:
    """Challenges every REGISTER without Authorization (401), grants the rest
    ``granted`` seconds in its Contact; records each request and its virtual time."""

    def __init__(self, granted: int) -> None:
        self.granted = granted
        self.seen: list[tuple[float, Message]] = []
        self.transactions: NonInviteTransactions | None = None

    def send(self, data: bytes) -> None:
        msg = parse(data)
        assert msg is not None and self.transactions is not None
        loop = asyncio.get_running_loop()
        self.seen.append((loop.time(), msg))
        lines = [f"Via: {msg.get('via')}", f"Call-ID: {msg.call_id}", f"CSeq: {msg.get('cseq')}"]
        if msg.get("authorization") is None:
            start = ["SIP/2.0 401 Unauthorized", 'WWW-Authenticate: Digest realm="r", nonce="n"']
        else:
            contact = f"Contact: {msg.get('contact')};expires={self.granted}"
            start = ["SIP/2.0 200 OK", contact]
        reply = parse(("\r\n".join(start + lines) + "\r\n\r\n").encode())
        assert reply is not None
        loop.call_soon(self.transactions.answer, reply, "REGISTER")


class FakeUa:
    """What ``Registration`` uses of ``SipUa``: the trunk, our address, transactions."""

    def __init__(self, trunk: Trunk, registrar: Registrar) -> None:
        self.trunk = trunk
        self.me = Local("10.0.0.5", 5070, transport=trunk.transport)
        self.transactions = NonInviteTransactions(registrar.send, lambda: None)
        registrar.transactions = self.transactions


def test_register_answers_the_challenge_refreshes_before_expiry_and_unbinds_on_close() -> None:
    trunk = Trunk("trunk.test", transport="tcp", auth_username="alice", auth_password="pw",
                  register=True, register_interval=600)  # fmt: skip
    registrar = Registrar(granted=120)

    async def body() -> None:
        reg = Registration(FakeUa(trunk, registrar))
        await reg.start()
        assert reg.registered and reg.problem is None
        await asyncio.sleep(250)  # virtual seconds
        await reg.close()

    with asyncio.Runner(loop_factory=lambda: VirtualTimeLoop(0)) as runner:
        runner.run(body())
    granted = [(round(t), m.get("expires")) for t, m in registrar.seen if m.get("authorization")]
    # granted 120 s: refreshed a minute before it runs out, each time; then Expires 0
    assert granted == [(0, "600"), (60, "600"), (120, "600"), (180, "600"), (240, "600"),
                       (250, "0")]  # fmt: skip
    first = registrar.seen[0][1]
    assert first.uri == "sip:trunk.test;transport=tcp"
    assert first.get("contact") == "<sip:alice@10.0.0.5:5070;transport=tcp>"
    assert (first.get("from") or "").startswith("<sip:alice@trunk.test>;tag=")
    assert len({m.call_id for _, m in registrar.seen}) == 1  # one Call-ID for its life
    cseqs = [m.cseq[0] for _, m in registrar.seen]
    assert cseqs == sorted(cseqs) and len(set(cseqs)) == len(cseqs)


def test_a_register_refused_says_why_as_the_baresip_path_does() -> None:
    trunk = Trunk("trunk.test", auth_username="alice", register=True)  # no password

    async def body() -> str:
        reg = Registration(FakeUa(trunk, Registrar(granted=120)))
        with pytest.raises(TelephonyError) as err:
            await reg.start()
        return str(err.value)

    with asyncio.Runner(loop_factory=lambda: VirtualTimeLoop(0)) as runner:
        said = runner.run(body())
    assert said.startswith("wrong credentials: the trunk refused auth_username alice with the")
    assert "(401 Unauthorized)" in said
