"""SIP client transactions other than INVITE (BYE, REFER, INFO, CANCEL...), RFC 3261 §17.1.2.

Rule 1: a request is retransmitted from T1, doubling up to T2, until a final response,
and abandoned after 32 s (timer F; ``run`` then gives None). ``resend`` is what a
retransmission calls (over TCP/TLS the UA passes one that sends nothing: RFC 3261
§17.1.2.2, reliable transports do not retransmit). ``fail_all`` ends every transaction
with a given response (the connection they went over was lost). Each retransmission timer
drains the socket first, so a busy loop does not make us resend a request whose answer
is already waiting.
Rule 2: a response is matched to its transaction by Call-ID, Via branch and CSeq method;
provisional responses only stop nothing (the final one ends the transaction).
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable

from lexdial.adapters.telephony.sip_message import Message

T1, T2, TIMER_B = 0.5, 4.0, 32.0


class NonInviteTransactions:
    """The non-INVITE requests in flight on one UA (see the module rules)."""

    def __init__(
        self,
        send: Callable[[bytes], None],
        drain: Callable[[], None],
        resend: Callable[[bytes], None] | None = None,
    ) -> None:
        self._send, self._drain = send, drain
        self._resend = resend or send
        self._pending: dict[str, tuple[asyncio.Future[Message], asyncio.TimerHandle | None]] = {}

    async def run(self, call_id: str, method: str, msg: bytes) -> Message | None:
        """Send ``msg`` (request ``method`` of dialog ``call_id``); its final response."""
        loop = asyncio.get_running_loop()
        branch = re.search(rb"branch=([^;\s]+)", msg)
        assert branch is not None
        key = f"{call_id}/{branch.group(1).decode()}/{method}"
        future: asyncio.Future[Message] = loop.create_future()
        self._send(msg)
        elapsed, interval = 0.0, T1

        def again() -> None:
            nonlocal elapsed, interval
            self._drain()
            elapsed += interval
            if future.done() or elapsed >= TIMER_B:
                return
            self._resend(msg)
            interval = min(interval * 2, T2)
            self._pending[key] = (future, loop.call_later(interval, again))

        self._pending[key] = (future, loop.call_later(interval, again))
        try:
            return await asyncio.wait_for(asyncio.shield(future), TIMER_B)
        except TimeoutError:
            return None
        finally:
            pending = self._pending.pop(key, None)
            if pending is not None and pending[1] is not None:
                pending[1].cancel()

    def answer(self, msg: Message, method: str) -> None:
        """A response to one of our non-INVITE requests (rule 2)."""
        if msg.status < 200:
            return
        key = f"{msg.call_id}/{msg.via_branch}/{method}"
        pending = self._pending.pop(key, None)
        if pending is not None:
            future, timer = pending
            if timer is not None:
                timer.cancel()
            if not future.done():
                future.set_result(msg)

    def fail_all(self, status: int, reason: str, which: Callable[[str], bool]) -> None:
        """End the transactions of the Call-IDs ``which`` accepts with a ``status``
        ``reason`` of our own (rule 1)."""
        for key, (future, timer) in list(self._pending.items()):
            if not which(key.split("/", 1)[0]):
                continue
            if timer is not None:
                timer.cancel()
            if not future.done():
                future.set_result(Message(f"SIP/2.0 {status} {reason}", [], status=status,
                                          reason=reason))  # fmt: skip

    def close(self) -> None:
        """Abandon every transaction."""
        for future, timer in self._pending.values():
            if timer is not None:
                timer.cancel()
            if not future.done():
                future.cancel()
