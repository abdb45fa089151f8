"""The media plane's signalling: each call's SIP dialog turned into the call's events.

Rule 1: RINGING on the first 180/183, ANSWERED on a 2xx with usable SDP (else the call
is ended FAILED "no media in the answer"), BUSY/NO_ANSWER/FAILED on a final failure
(``sip_calls.refused``), HANGUP "far end" on the far end's BYE, "near end" on ours,
"transferred" when the REFER's NOTIFY reports a 2xx.
Rule 2: a hangup before the answer is a CANCEL (its 487 ends the call); a 2xx that
crosses it is answered with BYE at once.
Rule 1b: the offer carries SDES keys as the trunk's ``srtp`` says (``srtp`` rule 1);
the answer's crypto line keys the leg before its first packet. A "require" call whose
answer has none is ended FAILED "no SRTP in the answer" (BYE at once: no plain audio
is ever sent on it); an "offer" call answered without one is plain RTP. A leg to a
``sip:`` URI dialled directly (a transfer's target, not the trunk) follows ``agent_srtp``
instead: it is reached as an agent's phone is (straight at its host, on the firm's own
network, often the same desk phones), not through the carrier the trunk's setting
describes; a transfer to a number goes through the trunk and follows ``srtp``. A
re-INVITE is answered (by the UA) with our SDP holding only the chosen crypto line; a new
key in it for that line replaces the far end's (ours is kept).
Rule 3: digits sent as SIP INFO (``application/dtmf-relay`` ``Signal=``, or
``application/dtmf``) go to the call's audio like telephone-events, only from within the
call's dialog: the UA routes a request by its Call-ID (80 random bits), and a digit also
needs the dialog's two tags (RFC 3261 12.2.2), as a media leg needs its far end's address
(``rtp`` rule 6).
Rule 4: a re-INVITE whose SDP names another media address (a carrier's media handover)
moves the leg: it sends there and, strict source, hears only that address from then on;
an old-style hold (``c=0.0.0.0``) moves nothing.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Coroutine
from typing import Any

from lexdial.adapters.telephony import srtp
from lexdial.adapters.telephony.plane_audio import PlaneAudio, PlaneCall
from lexdial.adapters.telephony.rtp import Leg
from lexdial.adapters.telephony.sip_calls import CallTable, refused, ring_timeout
from lexdial.adapters.telephony.sip_dialog import in_dialog
from lexdial.adapters.telephony.sip_message import Media, Message, parse_sdp, sdp_offer
from lexdial.adapters.telephony.sip_ua import SipUa
from lexdial.domain import telephony as tel

log = logging.getLogger("lexdial.adapters.telephony.media_plane")

_DTMF_INFO = re.compile(r"(?im)^\s*signal\s*=\s*([0-9*#A-D])")


def info_digit(msg: Message) -> str:
    """The digit a SIP INFO carries, or "" (rule 3)."""
    ctype = (msg.get("content-type") or "").lower()
    body = msg.body.decode("utf-8", "replace")
    m = _DTMF_INFO.search(body) if "dtmf-relay" in ctype else None
    return m.group(1) if m else body.strip()[:1] if ctype == "application/dtmf" else ""


def _unspecified(host: str) -> bool:
    return host in ("0.0.0.0", "::")  # RFC 2543 hold: "send nothing", not an address


class PlaneSignalling:
    """The SIP side of the media plane's calls (see the module rules).

    ``end(call, kind, detail)`` ends a call and reports it; ``hangup(call_id)`` is the
    adapter's hangup, used when a transfer fails.
    """

    def __init__(
        self,
        ua: SipUa,
        table: CallTable[PlaneCall],
        audio: PlaneAudio,
        *,
        detect: bool,
        end: Callable[[PlaneCall, str, str], None],
        hangup: Callable[[str], Coroutine[Any, Any, None]],
    ) -> None:
        self.ua, self.table, self.audio, self.detect = ua, table, audio, detect
        self._end, self._hangup = end, hangup

    def invite(
        self,
        call: PlaneCall,
        uri: str,
        caller: str,
        leg: Leg,
        *,
        dest: tuple[str, int] | None = None,
    ) -> None:
        """Send the call's INVITE, our SDP offering ``leg`` (to ``dest`` if given, else
        through the trunk)."""
        # a transfer target dialled directly (``dest``) is not the trunk: it is reached
        # as agents' phones are, so their setting applies (rule 1b)
        trunk = self.ua.trunk
        mode = trunk.srtp if dest is None else trunk.agent_srtp
        leg.keys, profile = srtp.offer(mode)
        offer = sdp_offer(leg.port, srtp.lines(leg.keys), profile=profile)
        d = call.dialog = self.ua.invite(uri, caller, offer, dest=dest)
        d.on_response = lambda msg: self._on_response(call, msg, mode)
        d.on_request = lambda msg: self._on_request(call, msg)

    async def hangup(self, call: PlaneCall) -> None:
        """CANCEL a call still ringing, else BYE it (once)."""
        if call.dialog is None:
            return
        first = not call.hangup_requested
        call.hangup_requested = True
        if call.leg is not None:
            call.leg.stop_playing()
        if not call.answered:
            self.ua.cancel(call.dialog)  # its 487 ends the call
        elif first:
            await self.bye(call, tel.HANGUP, "near end")

    async def refer(self, call: PlaneCall, uri: str) -> bool:
        """Blind-transfer the call to ``uri``; whether the far end accepted the REFER."""
        assert call.dialog is not None
        by = re.search(r"<([^>]+)>", call.dialog.from_value)
        extra = [f"Refer-To: <{uri}>"] + ([f"Referred-By: <{by.group(1)}>"] if by else [])
        reply = await self.ua.request(call.dialog, "REFER", extra)
        return reply is not None and reply.status < 300

    async def bye(self, call: PlaneCall, kind: str, detail: str) -> None:
        """End an answered call with BYE; the call ends as ``kind``/``detail``."""
        if call.dialog is None or call.ended:
            return
        call.hangup_requested = True
        if call.leg is not None:
            call.leg.stop_playing()
        reply = await self.ua.request(call.dialog, "BYE")
        if reply is None:
            log.warning("call %s: no answer to BYE", call.call_id)
        self._end(call, kind, detail)

    def _on_response(self, call: PlaneCall, msg: Message, mode: str) -> None:
        if call.ended:
            return
        code = msg.status
        if code < 200:
            if code in (180, 183) and not call.rang:
                call.rang = True
                self.table.emit(call, tel.RINGING)
        elif code < 300:
            self._answered(call, msg, mode)
        elif call.ring_timed_out:
            self._end(call, *ring_timeout(call.rang))
        elif call.hangup_requested:
            self._end(call, tel.HANGUP, "near end")
        else:
            self._end(call, *refused(code))

    def _answered(self, call: PlaneCall, msg: Message, mode: str) -> None:
        if call.hangup_requested:  # answered as we cancelled: end it now
            self.table.spawn(self.bye(call, tel.HANGUP, "near end"))
            return
        media = parse_sdp(msg.body)
        if media is None or call.leg is None:
            log.warning("call %s: answered without usable SDP; hanging up", call.call_id)
            call.hangup_requested = True
            self.table.spawn(self.bye(call, tel.FAILED, "no media in the answer"))
            return
        assert call.dialog is not None  # the response came on it
        try:
            call.leg.crypto, call.dialog.sdp = srtp.agreed(
                mode, call.leg.keys, media.crypto, call.dialog.sdp
            )
        except srtp.SrtpMissingError:
            log.warning("call %s: SRTP required, none in the answer; hanging up", call.call_id)
            call.hangup_requested = True
            self.table.spawn(self.bye(call, tel.FAILED, "no SRTP in the answer"))
            return
        call.leg.start(media.host, media.port, dtmf_pt=media.dtmf_pt)
        call.answered = True
        call.cancel("ring")
        self.table.emit(call, tel.ANSWERED)
        self.audio.answered(call, detect_machine=self.detect and call.dial.detect_machine)

    def _on_request(self, call: PlaneCall, msg: Message) -> None:
        if call.ended:
            return
        if msg.method == "BYE":
            self._end(call, tel.HANGUP, "far end")
        elif msg.method == "INFO":
            digit = info_digit(msg)
            if digit and not in_dialog(call.dialog, msg):
                log.warning("call %s: a SIP INFO digit without the dialog's tags ignored",
                            call.call_id)  # fmt: skip
            elif digit:
                self.audio.digit(call, digit)
        elif msg.method == "INVITE" and call.leg is not None:
            media = parse_sdp(msg.body)  # a re-INVITE (refresh, hold, media handover)
            if media is not None:
                self._moved(call, call.leg, media)
            crypto = call.leg.crypto
            if media is not None and crypto is not None and crypto.follow(media.crypto):
                log.info("call %s: the far end changed its SRTP key", call.call_id)  # re-keyed
        elif msg.method == "NOTIFY" and "refer" in (msg.get("event") or "").lower():
            frag = re.match(rb"\s*SIP/2\.0 (\d{3})", msg.body)
            status = int(frag.group(1)) if frag else 0
            if 200 <= status < 300:
                self.table.spawn(self.bye(call, tel.HANGUP, "transferred"))
            elif status >= 300:
                log.warning("call %s: transfer failed; hanging up", call.call_id)
                self.table.spawn(self._hangup(call.call_id))

    def _moved(self, call: PlaneCall, leg: Leg, media: Media) -> None:
        """A re-INVITE naming another media address: the leg sends there and hears only
        it from now on (``rtp`` rule 6), as a carrier's media handover needs."""
        if _unspecified(media.host) or leg.remote is None:
            return
        if leg.remote != (media.host, media.port) or leg.dtmf_pt != media.dtmf_pt:
            leg.start(media.host, media.port, dtmf_pt=media.dtmf_pt)
            log.info("call %s: the far end moved its media", call.call_id)
