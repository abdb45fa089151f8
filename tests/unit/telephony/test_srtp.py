"""SDES-keyed SRTP (``srtp``): crypto lines, the choice of key from an answer, and
packets protected on one side and read on the other, with libsrtp itself (no network)."""

from __future__ import annotations

import base64
import struct
from pathlib import Path
from typing import Any

import pytest

from lexdial.adapters.telephony import srtp
from lexdial.adapters.telephony.sip_message import parse_sdp, sdp_offer
from lexdial.adapters.telephony.sip_trunk import Trunk
from lexdial.bootstrap import sip_trunk
from lexdial.config import load_settings
from lexdial.errors import ConfigError


def packet(seq: int, payload: bytes = b"\x55" * 160, pt: int = 0) -> bytes:
    return struct.pack(">BBHII", 0x80, pt, seq, seq * 160, 0xC0FFEE) + payload


def far_end_key(tag: int = 1, suite: str = "AES_CM_128_HMAC_SHA1_80") -> srtp.Key:
    return srtp.Key(tag, suite, bytes(range(30)))


def test_each_call_gets_fresh_keys_one_per_suite_best_first() -> None:
    a, b = srtp.offer_keys(), srtp.offer_keys()
    assert [(k.tag, k.suite) for k in a] == [
        (1, "AES_CM_128_HMAC_SHA1_80"),
        (2, "AES_CM_128_HMAC_SHA1_32"),
    ]
    assert all(len(k.key) == 30 for k in a)
    assert {k.key for k in a}.isdisjoint(k.key for k in b)


def test_a_key_is_never_in_its_repr() -> None:
    key = srtp.offer_keys()[0]
    inline = base64.b64encode(key.key).decode()
    assert inline not in repr(key) and key.key.hex() not in repr(key)
    assert inline in key.line()


def test_a_crypto_line_reads_back_as_the_same_key() -> None:
    key = srtp.offer_keys()[1]
    assert srtp.parse_crypto(key.line()) == key


def test_a_lifetime_is_accepted_but_an_mki_or_session_parameter_is_not() -> None:
    inline = base64.b64encode(bytes(30)).decode()
    base = f"a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:{inline}"
    assert srtp.parse_crypto(base + "|2^31") is not None
    assert srtp.parse_crypto(base + "|2^31|1:4") is None
    assert srtp.parse_crypto(base + " UNENCRYPTED_SRTP") is None


def test_unknown_suites_and_wrong_key_lengths_are_unusable() -> None:
    inline = base64.b64encode(bytes(30)).decode()
    short = base64.b64encode(bytes(16)).decode()
    assert srtp.parse_crypto(f"a=crypto:1 F8_128_HMAC_SHA1_80 inline:{inline}") is None
    assert srtp.parse_crypto(f"a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:{short}") is None
    assert srtp.parse_crypto("a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:!!!") is None


def test_the_answer_picks_our_key_by_its_tag_and_suite() -> None:
    offered = srtp.offer_keys()
    theirs = far_end_key(2, "AES_CM_128_HMAC_SHA1_32")
    assert srtp.choose(offered, [theirs]) == (offered[1], theirs)
    # a tag we offered with another suite is no match
    assert srtp.choose(offered, [far_end_key(2, "AES_CM_128_HMAC_SHA1_80")]) is None
    assert srtp.choose(offered, [far_end_key(3)]) is None


def test_what_one_side_protects_the_other_reads_and_a_tampered_packet_is_dropped() -> None:
    ours, theirs = srtp.offer_keys()[0], far_end_key()
    near, far = srtp.Crypto(ours, theirs), srtp.Crypto(theirs, ours)
    wire = near.protect(packet(7))
    assert len(wire) == len(packet(7)) + 10  # the 80-bit tag
    assert wire[12:] != packet(7)[12:]  # the payload is encrypted, the header is not
    assert far.unprotect(wire) == packet(7)
    assert far.unprotect(wire) is None  # a replay
    bad = bytearray(near.protect(packet(8)))
    bad[20] ^= 1
    assert far.unprotect(bytes(bad)) is None and far.failed == 2
    assert near.unprotect(far.protect(packet(9, pt=101))) == packet(9, pt=101)


def test_the_32_bit_suite_adds_a_four_byte_tag() -> None:
    ours, theirs = srtp.offer_keys()[1], far_end_key(2, "AES_CM_128_HMAC_SHA1_32")
    wire = srtp.Crypto(ours, theirs).protect(packet(1))
    assert len(wire) == len(packet(1)) + 4
    assert srtp.Crypto(theirs, ours).unprotect(wire) == packet(1)


@pytest.mark.parametrize(
    ("mode", "profile", "lines"),
    [("off", "RTP/AVP", 0), ("offer", "RTP/AVP", 2), ("require", "RTP/SAVP", 2)],
)
def test_the_offer_follows_the_trunk_setting(mode: str, profile: str, lines: int) -> None:
    keys, prof = srtp.offer(mode)
    body = sdp_offer(40000, tuple(k.line() for k in keys), profile=prof)("127.0.0.1").decode()
    assert f"m=audio 40000 {profile} 0 101" in body
    assert body.count("a=crypto:") == lines
    assert parse_sdp(body.encode()) is not None


def test_the_answer_s_crypto_lines_are_read_from_the_audio_stream_only() -> None:
    line = far_end_key().line()
    body = (
        f"v=0\r\na=crypto:9 AES_CM_128_HMAC_SHA1_80 inline:x\r\nc=IN IP4 10.0.0.9\r\n"
        f"m=audio 40002 RTP/SAVP 0 101\r\n{line}\r\n"
    ).encode()
    media = parse_sdp(body)
    assert media is not None and media.crypto == (line,)


def test_require_refuses_an_answer_without_usable_crypto_and_offer_falls_back() -> None:
    keys, _ = srtp.offer("require")
    with pytest.raises(srtp.SrtpMissingError):
        srtp.answer("require", keys, ())
    with pytest.raises(srtp.SrtpMissingError):
        srtp.answer("require", keys, (far_end_key(5).line(),))
    assert srtp.answer("offer", keys, ()) is None
    crypto = srtp.answer("offer", keys, (far_end_key(1).line(),))
    assert crypto is not None and crypto.suite == "AES_CM_128_HMAC_SHA1_80"
    assert srtp.answer("off", (), (far_end_key().line(),)) is None


def test_a_trunk_names_a_wrong_srtp_setting() -> None:
    assert Trunk(address="t.example").srtp == "off"
    with pytest.raises(ValueError, match="srtp 'on'"):
        Trunk(address="t.example", srtp="on")


def settings(tmp_path: Path, extra: str) -> Any:
    path = tmp_path / "lexdial.toml"
    path.write_text(f'[telephony]\ncarrier = "sip"\ntrunk = "198.51.100.4:5061"\n{extra}\n')
    return load_settings(path, {})


@pytest.mark.parametrize(
    ("extra", "mode"),
    [
        ("", "off"),  # plain UDP: today's behaviour
        ('transport = "tcp"', "off"),
        ('transport = "tls"', "offer"),  # the keys are only secret over TLS
        ('transport = "tls"\nsrtp = "require"', "require"),
        ('transport = "tls"\nsrtp = "off"', "off"),
        ('srtp = "offer"', "offer"),
    ],
)
def test_the_setting_defaults_to_offer_over_tls_only(tmp_path: Path, extra: str, mode: str) -> None:
    assert sip_trunk(settings(tmp_path, extra)).srtp == mode


@pytest.mark.parametrize("value", ['"on"', "true", '"OFFER"'])
def test_a_wrong_setting_is_refused_naming_it(tmp_path: Path, value: str) -> None:
    with pytest.raises(ConfigError, match=r"telephony\.srtp must be one of off, offer, require"):
        settings(tmp_path, f"srtp = {value}")


def test_the_baresip_engine_gets_the_setting_as_its_account_s_media_encryption() -> None:
    assert "mediaenc" not in Trunk(address="t.example").account("lexdial")
    assert ";mediaenc=srtp;" in Trunk(address="t.example", srtp="offer").account("x") + ";"
    assert ";mediaenc=srtp-mand" in Trunk(address="t.example", srtp="require").account("x")


def test_a_re_invite_with_a_new_far_end_key_is_followed_and_ours_is_kept() -> None:
    ours, old, new = srtp.offer_keys()[0], far_end_key(), srtp.offer_keys()[0]
    near = srtp.Crypto(ours, old)
    assert not near.follow((old.line(),))  # a refresh with the same key: nothing changes
    assert not near.follow((srtp.Key(2, ours.suite, new.key).line(),))  # not our tag
    sent_before = near.protect(packet(1))
    assert near.follow((srtp.Key(1, ours.suite, new.key).line(),))
    rekeyed = srtp.Crypto(srtp.Key(1, ours.suite, new.key), ours)
    assert near.unprotect(rekeyed.protect(packet(2))) == packet(2)
    # what we send still reads with our key (the far end did not change it)
    assert srtp.Crypto(old, ours).unprotect(sent_before) == packet(1)
    assert srtp.Crypto(old, ours).unprotect(near.protect(packet(3))) is not None


def test_after_the_answer_our_sdp_keeps_only_the_chosen_line_at_a_new_version() -> None:
    keys, profile = srtp.offer("offer")
    offer = sdp_offer(40000, tuple(k.line() for k in keys), profile=profile)("10.0.0.5")
    after = srtp.settled(offer, keys[1]).decode()
    assert after.count("a=crypto:") == 1 and keys[1].line() in after
    (o_before,) = [x for x in offer.decode().split("\r\n") if x.startswith("o=")]
    (o_after,) = [x for x in after.split("\r\n") if x.startswith("o=")]
    assert int(o_after.split()[2]) == int(o_before.split()[2]) + 1
    assert o_after.split()[1] == o_before.split()[1]
