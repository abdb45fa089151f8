"""One outbound call's SIP state: its INVITE transaction, then its dialog (RFC 3261 §12).

Rule 1: the dialog is identified by its Call-ID and our From tag; the far end's tag,
remote target (its Contact) and route set (Record-Route, reversed) are learnt from the
2xx, and every later request goes to that target through that route. A request from the
far end belongs to the dialog only if it carries both tags (RFC 3261 §12.2.2): ours in To,
theirs (once known) in From (``in_dialog``); the Call-ID alone is not enough, since
anyone who saw it could otherwise hang up or re-route the call.
Rule 2: a request's CSeq is the caller's to choose (``SipUa`` counts them); a CANCEL and
the ACK of a failure reuse the INVITE's branch and its To without our peer's tag.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field

from lexdial.adapters.telephony.sip_message import Local, Message, tag


@dataclass(eq=False)
class Dialog:
    """One outbound call (see the module rules).

    The owner sets the callbacks: ``on_response(msg)`` for every new response to the
    INVITE (provisional and final, after the UA's own ACK), ``on_request(msg)`` for each
    in-dialog request the far end sends (already answered), ``on_failed(code, reason)``
    when a request of ours timed out or was refused where nothing else reports it.
    """

    call_id: str
    uri: str
    from_value: str
    sdp: bytes
    from_tag: str = field(default_factory=lambda: secrets.token_hex(6))
    cseq: int = 1
    branch: str = ""
    to_tag: str | None = None
    remote_target: str = ""
    route: list[str] = field(default_factory=list)
    provisional: bool = False
    final: int = 0
    answer: Message | None = None
    cancel_wanted: bool = False
    cancelled: bool = False
    auth_tried: bool = False
    on_response: Callable[[Message], None] = lambda m: None
    on_request: Callable[[Message], None] = lambda m: None
    on_failed: Callable[[str, int], None] = lambda method, code: None
    invite_bytes: bytes = b""
    timer: asyncio.TimerHandle | None = None
    acked: bytes = b""
    #: where this dialog's requests go when not to the trunk's next hop (an agent's phone
    #: reached directly at its URI's host:port)
    dest: tuple[str, int] | None = None

    @property
    def to_value(self) -> str:
        """The To header's value: the request URI, with the far end's tag once known."""
        base = f"<{self.uri}>"
        return f"{base};tag={self.to_tag}" if self.to_tag else base

    def build(
        self,
        me: Local,
        method: str,
        cseq: int,
        branch: str,
        extra: list[str],
        body: bytes,
        *,
        uri: str | None = None,
        to_tag: bool = True,
        to: str | None = None,
    ) -> bytes:
        """Request ``method`` in this dialog (to ``uri``, else the remote target)."""
        target = uri or self.remote_target
        lines = [
            f"{method} {target} SIP/2.0",
            me.via(branch),
            "Max-Forwards: 70",
            *(f"Route: <{r}>" for r in self.route),
            f"From: {self.from_value}",
            f"To: {to or (self.to_value if to_tag else f'<{self.uri}>')}",
            f"Call-ID: {self.call_id}",
            f"CSeq: {cseq} {method}",
        ]
        if method in ("INVITE", "REFER", "SUBSCRIBE"):
            lines.append(me.contact)
        if method == "INVITE":
            lines.append("Allow: INVITE, ACK, BYE, CANCEL, OPTIONS, INFO, NOTIFY, REFER")
        lines += extra
        lines += me.tail(body)
        return "\r\n".join(lines).encode() + body


def in_dialog(dialog: Dialog | None, msg: Message) -> bool:
    """Whether the far end's request ``msg`` carries ``dialog``'s tags: ours in To, theirs
    (once known) in From (rule 1)."""
    if dialog is None or tag(msg.get("to")) != dialog.from_tag:
        return False
    return dialog.to_tag is None or tag(msg.get("from")) == dialog.to_tag
