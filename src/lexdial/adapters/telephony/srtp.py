"""SRTP keyed by SDES (RFC 4568 ``a=crypto:`` lines) for the media plane's legs.

Rule 1: a trunk's ``srtp`` setting: "off" offers plain RTP (RTP/AVP, no crypto), as
before; "offer" sends RTP/AVP with crypto attributes (the "best effort" form: a peer
that knows SDES answers with its own key and both sides encrypt; one that does not
ignores the unknown attributes and answers plain RTP, so the call still connects; an
RTP/SAVP offer would be refused with 488 by every plain-RTP carrier); "require" sends
RTP/SAVP with crypto (RFC 4568's own form) and a call whose answer holds no usable crypto
line ends FAILED "no SRTP in the answer": the carrier's failure, never plain audio.
Rule 1b: every leg that offers (a trunk's call, an agent's nailed-up leg, a transfer's
target) keys itself the same way: ``offer`` gives its keys and profile, ``lines`` the SDP
attributes, ``agreed`` its ``Crypto`` and our SDP as a re-INVITE is then answered with.
Rule 2: two suites, AES_CM_128_HMAC_SHA1_80 (tag 1, preferred) and _32 (tag 2); each
offered line has its own 30-byte master key+salt from ``secrets``, made per call. Keys
go only into the SDP and libsrtp: nothing logs them, and ``repr`` leaves them out.
Rule 3: an answer's line is usable when its tag is one we offered, with that tag's suite,
and its ``inline:`` key is 30 bytes with no MKI; lifetimes are accepted (a call is far
shorter than 2^31 packets). Session parameters (UNENCRYPTED_SRTP, ...) make it unusable.
Rule 4: ``Crypto.protect`` encrypts one whole RTP packet (every packet a leg sends:
prompts, silence, bridged audio, telephone-events); ``unprotect`` gives the plain packet
or None (bad tag, replay): such a packet is dropped as if lost, never played.
Rule 5 (the answering side: the WebRTC gateway, which the plane offers an agent's leg):
``answer_offer`` takes the first usable offered line in the offer's order (the offerer's
preference; rule 3 says usable) and answers it with a fresh key of our own from
``secrets``, same tag and suite (RFC 4568 §5.1.2: one line in the answer); None when no
offered line is usable. An RTP/SAVP offer with none cannot be answered at all (488); an
RTP/AVP one is answered plain (the "best effort" form's fallback, rule 1).
"""

from __future__ import annotations

import base64
import re
import secrets
from dataclasses import dataclass, field

import pylibsrtp

MODES = ("off", "offer", "require")
KEY_BYTES = 30  # 16-byte AES key + 14-byte salt
_PROFILES = {
    "AES_CM_128_HMAC_SHA1_80": pylibsrtp.Policy.SRTP_PROFILE_AES128_CM_SHA1_80,
    "AES_CM_128_HMAC_SHA1_32": pylibsrtp.Policy.SRTP_PROFILE_AES128_CM_SHA1_32,
}
SUITES = tuple(_PROFILES)
_LINE = re.compile(r"a=crypto:(\d{1,9})\s+(\S+)\s+inline:([A-Za-z0-9+/=]+)(\|[^\s]*)?\s*(.*)$")


@dataclass(frozen=True, slots=True)
class Key:
    """One ``a=crypto`` line's tag, suite and master key+salt."""

    tag: int
    suite: str
    key: bytes = field(repr=False)

    def line(self) -> str:
        """As an SDP attribute line."""
        inline = base64.b64encode(self.key).decode("ascii")
        return f"a=crypto:{self.tag} {self.suite} inline:{inline}"


def offer_keys() -> tuple[Key, ...]:
    """Our per-call keys, one per suite, in order of preference (rule 2)."""
    return tuple(Key(n, s, secrets.token_bytes(KEY_BYTES)) for n, s in enumerate(SUITES, 1))


def parse_crypto(line: str) -> Key | None:
    """An SDP ``a=crypto:`` line as a ``Key``; None if we cannot use it (rule 3)."""
    m = _LINE.match(line.strip())
    if m is None or m.group(2) not in _PROFILES or m.group(5):
        return None
    lifetime_mki = (m.group(4) or "").split("|")[1:]
    if any(":" in part for part in lifetime_mki):  # an MKI: libsrtp here takes none
        return None
    try:
        key = base64.b64decode(m.group(3), validate=True)
    except ValueError:
        return None
    if len(key) != KEY_BYTES:
        return None
    return Key(int(m.group(1)), m.group(2), key)


def choose(offered: tuple[Key, ...], answered: list[Key]) -> tuple[Key, Key] | None:
    """Our key and theirs from the answer's lines: the first line whose tag and suite
    match one we offered; None if none does."""
    ours = {k.tag: k for k in offered}
    for theirs in answered:
        mine = ours.get(theirs.tag)
        if mine is not None and mine.suite == theirs.suite:
            return mine, theirs
    return None


class Crypto:
    """A leg's two SRTP contexts: ours to send, theirs to receive (rule 4)."""

    __slots__ = ("_profile", "_rx", "_theirs", "_tx", "failed", "ours")

    def __init__(self, ours: Key, theirs: Key) -> None:
        profile = self._profile = _PROFILES[ours.suite]
        self.ours, self._theirs = ours, theirs
        out, into = pylibsrtp.Policy.SSRC_ANY_OUTBOUND, pylibsrtp.Policy.SSRC_ANY_INBOUND
        self._tx = pylibsrtp.Session(
            pylibsrtp.Policy(key=ours.key, ssrc_type=out, srtp_profile=profile)
        )
        self._rx = pylibsrtp.Session(
            pylibsrtp.Policy(key=theirs.key, ssrc_type=into, srtp_profile=profile)
        )
        self.failed = 0  # packets that failed authentication or replay checks

    @property
    def suite(self) -> str:
        """The crypto suite both sides use."""
        return self.ours.suite

    def __repr__(self) -> str:
        return f"Crypto({self.suite})"

    def follow(self, lines: tuple[str, ...]) -> bool:
        """A re-INVITE's crypto lines: if the far end's key for our tag changed, receive
        with the new one (ours is kept: its rollover counter goes on). Whether it did."""
        for theirs in filter(None, map(parse_crypto, lines)):
            if (theirs.tag, theirs.suite) == (self.ours.tag, self.ours.suite):
                if theirs.key == self._theirs.key:
                    return False
                self._theirs = theirs
                self._rx = pylibsrtp.Session(
                    pylibsrtp.Policy(
                        key=theirs.key,
                        ssrc_type=pylibsrtp.Policy.SSRC_ANY_INBOUND,
                        srtp_profile=self._profile,
                    )
                )
                return True
        return False

    def protect(self, packet: bytes) -> bytes:
        """One RTP packet encrypted and authenticated."""
        return self._tx.protect(packet)

    def unprotect(self, packet: bytes) -> bytes | None:
        """The plain RTP packet, or None when it does not authenticate (or replays)."""
        try:
            return self._rx.unprotect(packet)
        except pylibsrtp.Error:
            self.failed += 1
            return None


def offer(mode: str) -> tuple[tuple[Key, ...], str]:
    """The keys to offer and the SDP profile for a call on a trunk in ``mode`` (rule 1)."""
    if mode == "off":
        return (), "RTP/AVP"
    return offer_keys(), "RTP/SAVP" if mode == "require" else "RTP/AVP"


def lines(keys: tuple[Key, ...]) -> tuple[str, ...]:
    """The offer's ``a=crypto:`` attribute lines for ``keys``."""
    return tuple(k.line() for k in keys)


class SrtpMissingError(Exception):
    """The answer holds no usable crypto line while the leg's setting requires SRTP."""


def answer(mode: str, offered: tuple[Key, ...], lines: tuple[str, ...]) -> Crypto | None:
    """The leg's ``Crypto`` from the answer's crypto lines; None for plain RTP (nothing
    offered, or "offer" answered without a usable line); ``SrtpMissingError`` under "require"."""
    if not offered:
        return None
    parsed = [k for k in map(parse_crypto, lines) if k is not None]
    pair = choose(offered, parsed)
    if pair is None:
        if mode == "require":
            raise SrtpMissingError
        return None
    return Crypto(*pair)


def agreed(
    mode: str, offered: tuple[Key, ...], lines: tuple[str, ...], sdp: bytes
) -> tuple[Crypto | None, bytes]:
    """A 2xx answer taken (rule 1b): the leg's ``Crypto`` as ``answer`` gives it (and its
    ``SrtpMissingError``) and our SDP, ``settled`` when SRTP was agreed, else unchanged."""
    crypto = answer(mode, offered, lines)
    return crypto, sdp if crypto is None else settled(sdp, crypto.ours)


def answer_offer(lines: tuple[str, ...]) -> Crypto | None:
    """The answering leg's ``Crypto`` for an offer's crypto lines (rule 5): theirs is the
    first usable line, ours a fresh key with its tag and suite (``crypto.ours.line()`` is
    the answer's line); None when no line is usable."""
    for theirs in map(parse_crypto, lines):
        if theirs is not None:
            return Crypto(Key(theirs.tag, theirs.suite, secrets.token_bytes(KEY_BYTES)), theirs)
    return None


def settled(sdp: bytes, ours: Key) -> bytes:
    """Our offer once answered, as a re-INVITE is answered with it: only the crypto line
    the far end chose (an answer carries one), the session version raised (RFC 3264)."""
    lines = sdp.decode("ascii").split("\r\n")
    keep = ours.line()
    out = [x for x in lines if not x.startswith("a=crypto:") or x == keep]
    out = [re.sub(r"^(o=\S+ \S+ )(\d+)", lambda m: m.group(1) + str(int(m.group(2)) + 1), x)
           for x in out]  # fmt: skip
    return "\r\n".join(out).encode("ascii")
