"""REGISTER for the built-in UA (RFC 3261 §10): bind before the first call, refresh, unbind.

Rule 1: the binding is ``auth_username@domain`` (``Trunk.registrant``/``from_domain``)
with our Contact over the trunk's transport; one Call-ID for its whole life, CSeq
counting up. A 401/407 is answered once per request with digest (``sip_auth``).
Rule 2: ``start`` registers (``register_interval`` asked); a refusal or no answer is a
``TelephonyError`` worded by ``sip_check.explain_register``, as the baresip path words it.
Rule 3: the binding is refreshed before it expires (at the granted expiry minus a
minute, or half of it when shorter); a refresh that fails keeps the reason in
``problem`` (the UA's owner fails dials with it) and is retried every 30 s; a lost
connection re-registers at once (the trunk reaches us over the connection).
Rule 4: ``close`` removes the binding (Expires 0), waiting 2 s at most.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import re
import secrets
from typing import Protocol

from lexdial.adapters.telephony.sip_auth import authorization
from lexdial.adapters.telephony.sip_check import Verdict, explain_register, explain_status
from lexdial.adapters.telephony.sip_message import Local, Message, branch
from lexdial.adapters.telephony.sip_transactions import NonInviteTransactions
from lexdial.adapters.telephony.sip_trunk import Trunk
from lexdial.errors import TelephonyError

log = logging.getLogger(__name__)

RETRY_S = 30.0
_EXPIRES = re.compile(r";\s*expires=(\d+)", re.I)


class Ua(Protocol):
    """What a registration needs of ``sip_ua.SipUa`` (which owns it: no import back)."""

    trunk: Trunk
    transactions: NonInviteTransactions

    @property
    def me(self) -> Local: ...


class Registration:
    """The UA's binding at the trunk's registrar (see the module rules)."""

    def __init__(self, ua: Ua) -> None:
        self.ua, self.trunk = ua, ua.trunk
        self.call_id = f"{secrets.token_hex(10)}@lexdial"
        self.from_tag = secrets.token_hex(6)
        self.cseq = 0
        self.registered = False
        #: why the last REGISTER failed (None while the binding holds)
        self.problem: str | None = None
        #: the last REGISTER's outcome in words (``telephony check`` prints it)
        self.verdict: Verdict | None = None
        self._timer: asyncio.TimerHandle | None = None
        #: the connection was lost while a REGISTER was out: its grant binds nothing
        self._renew = False
        self._task: asyncio.Task[None] | None = None

    @property
    def aor(self) -> str:
        return f"sip:{self.trunk.registrant}@{self.trunk.from_domain}"

    @property
    def request_uri(self) -> str:
        tp = self.trunk.transport
        return f"sip:{self.trunk.from_domain}" + ("" if tp == "udp" else f";transport={tp}")

    def _build(self, expires: int, extra: list[str]) -> bytes:
        self.cseq += 1
        me = dataclasses.replace(self.ua.me, user=self.trunk.registrant)
        lines = [
            f"REGISTER {self.request_uri} SIP/2.0",
            me.via(branch()),
            "Max-Forwards: 70",
            f"From: <{self.aor}>;tag={self.from_tag}",
            f"To: <{self.aor}>",
            f"Call-ID: {self.call_id}",
            f"CSeq: {self.cseq} REGISTER",
            me.contact,
            f"Expires: {expires}",
            *extra,
            *me.tail(b""),
        ]
        return "\r\n".join(lines).encode()

    async def register(self, expires: int) -> tuple[Message | None, Verdict]:
        """One REGISTER asking ``expires`` seconds (digest answered once); its final
        response (None: no answer) and the outcome in words (rule 2)."""
        run = self.ua.transactions.run
        reply = await run(self.call_id, "REGISTER", self._build(expires, []))
        if reply is not None and reply.status in (401, 407) and self.trunk.auth_password:
            auth = authorization(reply, "REGISTER", self.request_uri, self.trunk)
            reply = await run(self.call_id, "REGISTER", self._build(expires, [auth]))
        if reply is None:
            return None, explain_register("TIMEOUT", "", self.trunk)
        return reply, explain_status(reply.status, reply.reason, self.trunk, "REGISTER")

    async def start(self) -> None:
        """Register before the first call; ``TelephonyError`` saying why it failed."""
        await self._refresh(first=True)
        if self.problem is not None:
            raise TelephonyError(self.problem)

    async def _refresh(self, first: bool = False) -> None:
        self._renew = False
        reply, self.verdict = await self.register(self.trunk.register_interval)
        if reply is None or not self.verdict.ok:
            self.registered, self.problem = False, self.verdict.message
            problem = self.problem
            if not first:
                log.warning("SIP registration failed: %s", problem)
                self._schedule(RETRY_S)
            return
        self.problem = None
        if self._renew:  # granted over a connection lost since: bind over the next one
            self.registered = False
            self._schedule(1.0)
            return
        if not self.registered and not first:
            log.info("SIP registration restored")
        self.registered = True
        granted = self._granted(reply)
        self._schedule(granted - min(60.0, granted / 2))

    def _granted(self, reply: Message) -> float:
        """The expiry the registrar granted our Contact (else the Expires header, else
        what we asked)."""
        port = f":{self.ua.me.port}"
        for value in reply.all("contact"):
            for contact in value.split(","):
                m = _EXPIRES.search(contact)
                if m and port in contact:
                    return float(m.group(1))
        expires = reply.get("expires")
        if expires and expires.strip().isdigit():
            return float(expires.strip())
        return float(self.trunk.register_interval)

    def _schedule(self, delay: float) -> None:
        if self._timer is not None:
            self._timer.cancel()
        loop = asyncio.get_running_loop()
        self._timer = loop.call_later(max(delay, 1.0), self._fire)

    def _fire(self) -> None:
        if self._task is None or self._task.done():
            self._task = asyncio.ensure_future(self._refresh())

    def lost(self) -> None:
        """The trunk's connection was lost: register again over the next one (rule 3)."""
        self.registered, self._renew = False, True
        self._schedule(1.0)

    def stop(self) -> None:
        """Stop refreshing (no message sent)."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self._task is not None:
            self._task.cancel()

    async def close(self) -> None:
        """Remove the binding (rule 4)."""
        self.stop()
        if self.registered:
            self.registered = False
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.register(0), 2.0)
