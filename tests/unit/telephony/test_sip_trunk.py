"""The SIP trunk settings: validation (``[telephony]``), baresip text, check messages."""

from __future__ import annotations

from pathlib import Path

import pytest

from lexdial.adapters.telephony.sip_check import (
    explain_error,
    explain_options,
    explain_register,
)
from lexdial.adapters.telephony.sip_trunk import Trunk, format_number
from lexdial.bootstrap import sip_trunk
from lexdial.config import load_settings
from lexdial.errors import ConfigError, TelephonyError

TYPICAL = """
[telephony]
carrier = "sip"
channels = 30
cps = 5
trunk = "sip.carrier.example"
transport = "tcp"
bind_address = "10.0.0.5"
sip_port = 5060
public_address = "203.0.113.7"
outbound_proxy = "edge.carrier.example:5060"
auth_username = "lexdial-hr"
auth_password_env = "LEXDIAL_SIP_PASSWORD"
register = true
register_interval = 600
domain = "carrier.example"
number_format = "e164"
caller_name = "Hartwell & Ruiz"
"""


def load(tmp_path: Path, text: str, env: dict[str, str] | None = None):
    path = tmp_path / "lexdial.toml"
    path.write_text(text)
    return load_settings(path, {"LEXDIAL_SIP_PASSWORD": "pw-123"} if env is None else env)


def test_the_documented_trunk_loads_and_the_password_stays_hidden(tmp_path: Path) -> None:
    settings = load(tmp_path, TYPICAL)
    t = settings.telephony
    assert (t.channels, t.cps, t.trunk) == (30, 5.0, "sip.carrier.example")
    assert t.sip.auth_password == "pw-123" and t.sip.register
    assert "pw-123" not in repr(settings)
    trunk = sip_trunk(settings)
    assert "pw-123" not in repr(trunk)
    assert trunk.listen(1) == "10.0.0.5:5060" and trunk.listen(3) == "10.0.0.5:5062"
    lines = trunk.config_lines(2)
    assert "sip_listen 10.0.0.5:5061" in lines and "sip_trans_def tcp" in lines
    assert "net_interface 203.0.113.7" in lines  # SDP's address behind NAT
    assert not any(x.startswith("dns_server") for x in lines)  # the system resolver
    assert (
        trunk.request_uri("+1 614 555 0101") == "sip:+16145550101@sip.carrier.example;transport=tcp"
    )
    account = trunk.account("+16145550100")
    assert account.startswith('"Hartwell & Ruiz" <sip:+16145550100@carrier.example;transport=tcp>;')
    assert "regint=0" in account and "auth_user=lexdial-hr;auth_pass=pw-123" in account
    assert 'outbound="sip:edge.carrier.example:5060;transport=tcp;lr"' in account
    assert "regint=600" in trunk.account("lexdial-hr", register=True)


def test_the_password_file_is_read_relative_to_the_settings(tmp_path: Path) -> None:
    (tmp_path / "sip.secret").write_text("from-file\n")
    text = TYPICAL.replace(
        'auth_password_env = "LEXDIAL_SIP_PASSWORD"', 'auth_password_file = "sip.secret"'
    )
    assert load(tmp_path, text).telephony.sip.auth_password == "from-file"


@pytest.mark.parametrize(
    ("change", "names"),
    [
        (('transport = "tcp"', 'transport = "sctp"'), "telephony.transport"),
        (('bind_address = "10.0.0.5"', 'bind_address = "eth0"'), "telephony.bind_address"),
        (('bind_address = "10.0.0.5"', 'bind_address = "0.0.0.0"'), "not 0.0.0.0"),
        (('public_address = "203.0.113.7"', "public_address = 7"), "telephony.public_address"),
        (("sip_port = 5060", "sip_port = 70000"), "telephony.sip_port"),
        (("register = true", 'register = "yes"'), "telephony.register"),
        (("register_interval = 600", "register_interval = 5"), "telephony.register_interval"),
        (('number_format = "e164"', 'number_format = "plus"'), "telephony.number_format"),
        (('trunk = "sip.carrier.example"', 'trunk = "sip://x"'), "telephony.trunk"),
        (
            ('outbound_proxy = "edge.carrier.example:5060"', 'outbound_proxy = "a b"'),
            "telephony.outbound_proxy",
        ),
        (('caller_name = "Hartwell & Ruiz"', 'caller_name = "A \\"B\\""'), "telephony.caller_name"),
        (('auth_username = "lexdial-hr"', 'auth_username = "a;b"'), "telephony.auth_username"),
        (('domain = "carrier.example"', 'domain = "carrier.example:5060"'), "telephony.domain"),
        (('number_format = "e164"', 'dns_server = "resolver"'), "telephony.dns_server"),
        (('number_format = "e164"', 'p_asserted_identity = 1'), "telephony.p_asserted_identity"),
        (('number_format = "e164"', 'tls_verify = "no"'), "telephony.tls_verify"),
        (('number_format = "e164"', 'tls_ca_file = "missing.pem"'), "telephony.tls_ca_file"),
        (('number_format = "e164"', 'password = "x"'), "auth_password_env"),
        (
            ('auth_password_env = "LEXDIAL_SIP_PASSWORD"', 'auth_password_env = "NOT_SET_HERE"'),
            "$NOT_SET_HERE",
        ),
        (
            ('auth_password_env = "LEXDIAL_SIP_PASSWORD"', 'auth_password_file = "missing"'),
            "auth_password_file",
        ),
        (('auth_password_env = "LEXDIAL_SIP_PASSWORD"', ""), "needs a password"),
        (('auth_username = "lexdial-hr"', ""), "auth_username is needed"),
    ],
)
def test_bad_settings_are_refused_naming_the_setting(
    tmp_path: Path, change: tuple[str, str], names: str
) -> None:
    assert change[0] in TYPICAL
    with pytest.raises(ConfigError) as err:
        load(tmp_path, TYPICAL.replace(change[0], change[1]))
    assert names in str(err.value)
    assert "pw-123" not in str(err.value)


def test_register_without_credentials_says_ip_trunks_need_none(tmp_path: Path) -> None:
    text = '[telephony]\ncarrier = "sip"\ntrunk = "10.1.1.1"\nregister = true\n'
    with pytest.raises(ConfigError, match="IP-authenticated trunk needs no registration"):
        load(tmp_path, text)


def test_a_password_the_engine_cannot_take_is_refused_without_quoting_it(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"\$LEXDIAL_SIP_PASSWORD holds a character") as err:
        load(tmp_path, TYPICAL, {"LEXDIAL_SIP_PASSWORD": "a;b c"})
    assert "a;b c" not in str(err.value)


def test_ip_authenticated_trunk_defaults(tmp_path: Path) -> None:
    t = sip_trunk(load(tmp_path, '[telephony]\ncarrier = "sip"\ntrunk = "198.51.100.4:5060"\n'))
    assert (t.register, t.auth_username, t.transport, t.bind_address) == (
        False,
        None,
        "udp",
        "127.0.0.1",
    )
    assert t.request_uri("+16145550101") == "sip:+16145550101@198.51.100.4:5060"
    assert t.account("+16145550100") == (
        "<sip:+16145550100@198.51.100.4:5060>;audio_codecs=PCMU;answermode=manual;regint=0"
    )
    assert t.listen(5) == "127.0.0.1:0"


@pytest.mark.parametrize(
    ("fmt", "number", "out"),
    [
        ("e164", "+16145550101", "+16145550101"),
        ("e164", "16145550101", "+16145550101"),
        ("e164_no_plus", "+44 20 7946 0958", "442079460958"),
        ("national", "+16145550101", "6145550101"),
    ],
)
def test_number_formats(fmt: str, number: str, out: str) -> None:
    assert format_number(number, fmt) == out


def test_national_refuses_numbers_outside_north_america() -> None:
    with pytest.raises(TelephonyError, match=r"\+1"):
        format_number("+442079460958", "national")
    assert Trunk("t.example", dial_prefix="9").request_uri("+16145550101") == (
        "sip:9+16145550101@t.example"
    )


TRUNK = Trunk("sip.carrier.example", transport="tls", auth_username="hr", auth_password="x")


@pytest.mark.parametrize(
    ("kind", "param", "problem", "words"),
    [
        ("REGISTER_OK", "200 OK", "ok", "registered as hr"),
        ("REGISTER_FAIL", "401 Unauthorized", "credentials", "wrong credentials"),
        ("REGISTER_FAIL", "407 Proxy Authentication Required", "credentials", "auth_username hr"),
        ("REGISTER_FAIL", "403 Forbidden", "forbidden", "forbidden (403 Forbidden)"),
        ("REGISTER_FAIL", "404 Not Found", "not_found", "does not know this account"),
        ("REGISTER_FAIL", "408 Request Timeout", "timeout", "timeout: no answer"),
        ("REGISTER_FAIL", "503 Service Unavailable", "trunk_error", "down or overloaded"),
        ("TIMEOUT", "", "timeout", "sip.carrier.example over TLS"),
        ("REGISTER_FAIL", "Connection timed out", "timeout", "timeout"),
        ("REGISTER_FAIL", "Connection refused", "unreachable", "refused the connection"),
        ("REGISTER_FAIL", "Network is unreachable", "unreachable", "no route"),
        ("REGISTER_FAIL", "TLS handshake failed", "tls", "TLS failure"),
        ("REGISTER_FAIL", "No such host", "dns", "did not resolve"),
    ],
)
def test_register_outcomes_in_plain_words(kind: str, param: str, problem: str, words: str) -> None:
    verdict = explain_register(kind, param, TRUNK)
    assert (verdict.ok, verdict.problem) == (problem == "ok", problem)
    assert words in verdict.message


def test_401_without_credentials_says_to_set_them() -> None:
    verdict = explain_register("REGISTER_FAIL", "401 Unauthorized", Trunk("t.example"))
    assert "set auth_username and auth_password_env" in verdict.message


def test_options_console_lines() -> None:
    t = Trunk("10.0.0.9:5060")
    assert explain_options("baresip is ready.\n", t) is None
    ok = explain_options("----- OPTIONS of sip:10.0.0.9:5060 -----\n", t)
    assert ok is not None and ok.ok and "answered OPTIONS" in ok.message
    fail = explain_options("sip:10.0.0.9:5060: OPTIONS failed: 403 Forbidden\n", t)
    assert fail is not None and fail.problem == "forbidden"
    err = explain_options("\x1b[31moptions reply error: Connection refused\x1b[;m\n", t)
    assert err is not None and err.problem == "unreachable"
    assert explain_error("Protocol error", Trunk("t", transport="udp")).problem == "other"


def test_another_carrier_loads_without_the_sip_password_until_sip_is_chosen(
    tmp_path: Path,
) -> None:
    text = TYPICAL.replace('carrier = "sip"', 'carrier = "simulated"')
    settings = load(tmp_path, text, env={})  # $LEXDIAL_SIP_PASSWORD unset: a rehearsal
    assert settings.telephony.carrier == "simulated"
    with pytest.raises(ConfigError, match=r"\$LEXDIAL_SIP_PASSWORD .* is not set"):
        sip_trunk(settings)  # campaign run --carrier sip
