"""baresip 1.0.0's ``ctrl_tcp`` control socket: commands out, replies and events in.

Rule 1: the socket speaks netstrings (``<len>:<bytes>,``) carrying JSON: we send
``{"command", "params", "token"}``; baresip answers ``{"response": true, "ok", "data",
"token"}`` and pushes ``{"event": true, "type", "id", "param", ...}`` on its own.
Responses are matched to commands by token, events go to one callback.
Rule 2: event ``peeruri`` fields hold the dialled number (personal data): nothing here
logs an event or a response body; a refusal's text (it may quote a URI) is dropped.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import logging
from collections.abc import Callable, Sequence
from typing import Any

from lexdial.errors import TelephonyError

log = logging.getLogger(__name__)

Event = dict[str, Any]
_MAX_FRAME = 1 << 20  # a "listcalls" answer for 300 calls is ~30 kB; 1 MB means garbage


def netstring(payload: bytes) -> bytes:
    """Frame ``payload`` as a netstring."""
    return b"%d:%s," % (len(payload), payload)


async def read_netstring(reader: asyncio.StreamReader) -> bytes:
    """Read one netstring; ``IncompleteReadError`` at EOF, ``ValueError`` on bad framing."""
    head = await reader.readuntil(b":")
    size = int(head[:-1])
    if not 0 <= size <= _MAX_FRAME:
        raise ValueError(f"netstring length {size} out of range")
    body = await reader.readexactly(size + 1)
    if body[-1:] != b",":
        raise ValueError("netstring without its trailing comma")
    return body[:-1]


class ControlSocket:
    """One connection to a baresip's control socket (see the module rules).

    ``on_event`` gets every event dict; ``on_lost`` is called once when the connection
    drops while not ``stopping`` (the process died).
    """

    def __init__(self, on_event: Callable[[Event], None], on_lost: Callable[[], None]) -> None:
        self._on_event, self._on_lost = on_event, on_lost
        self._writer: asyncio.StreamWriter | None = None
        self._reader_task: asyncio.Task[None] | None = None
        self._pending: dict[str, asyncio.Future[str]] = {}
        self._tokens = itertools.count(1)
        self._registered: asyncio.Future[tuple[str, str]] | None = None
        self.stopping = False
        self.pid: int | None = None  # for the log line when the connection is lost

    @property
    def connected(self) -> bool:
        """Whether commands can be sent."""
        return self._writer is not None and not self._writer.is_closing()

    def attach(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """Use this open connection and start reading it."""
        self._writer = writer
        self._reader_task = asyncio.create_task(self._read(reader))

    async def registration(self, timeout: float) -> tuple[str, str]:
        """The first REGISTER_OK/REGISTER_FAIL event's ``(type, param)``, or
        ``("TIMEOUT", "")`` when neither came within ``timeout`` seconds."""
        if self._registered is None:
            self._registered = asyncio.get_running_loop().create_future()
        try:
            return await asyncio.wait_for(asyncio.shield(self._registered), timeout)
        except TimeoutError:
            return ("TIMEOUT", "")

    async def batch(
        self, steps: Sequence[tuple[str, str]], *, timeout: float = 5.0
    ) -> list[str | TelephonyError]:
        """Send commands in one write (baresip runs them in order); one reply each.

        A refusal is returned in place of its reply; a lost connection or a reply that
        does not come within ``timeout`` raises ``TelephonyError``.
        """
        if self._writer is None or self._writer.is_closing():
            raise TelephonyError("baresip is not connected")
        loop = asyncio.get_running_loop()
        waiting: list[tuple[str, asyncio.Future[str]]] = []
        for name, params in steps:
            token = f"t{next(self._tokens)}"
            waiting.append((token, loop.create_future()))
            self._pending[token] = waiting[-1][1]
            body = json.dumps({"command": name, "params": params, "token": token})
            self._writer.write(netstring(body.encode()))
        replies: list[str | TelephonyError] = []
        try:
            await self._writer.drain()
            for _, future in waiting:
                try:
                    replies.append(await asyncio.wait_for(future, timeout))
                except TelephonyError as exc:
                    replies.append(exc)
        except (TimeoutError, ConnectionError) as exc:
            name = steps[len(replies)][0]
            raise TelephonyError(f"baresip {name}: {type(exc).__name__}") from None
        finally:
            for token, _ in waiting:
                self._pending.pop(token, None)
        return replies

    def close_writer(self) -> None:
        """Close our end of the connection."""
        if self._writer is not None:
            self._writer.close()

    async def wait_closed(self) -> None:
        """Stop reading (after ``close_writer``)."""
        if self._reader_task is not None:
            self._reader_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader_task

    async def _read(self, reader: asyncio.StreamReader) -> None:
        try:
            while True:
                message = json.loads(await read_netstring(reader))
                if message.get("response"):
                    future = self._pending.get(str(message.get("token")))
                    if future is not None and not future.done():
                        if message.get("ok"):
                            future.set_result(str(message.get("data", "")))
                        else:  # the text may quote a URI: keep it out of the error
                            future.set_exception(TelephonyError("baresip refused the command"))
                elif message.get("event"):
                    kind = str(message.get("type", ""))
                    if kind in ("REGISTER_OK", "REGISTER_FAIL"):
                        if self._registered is None:
                            self._registered = asyncio.get_running_loop().create_future()
                        if not self._registered.done():
                            self._registered.set_result((kind, str(message.get("param", ""))))
                    self._on_event(message)
        except (asyncio.IncompleteReadError, ConnectionError, ValueError) as exc:
            if not self.stopping:
                log.warning("baresip pid %s: control connection lost (%s)", self.pid, exc)
        finally:
            for future in self._pending.values():
                if not future.done():
                    future.set_exception(TelephonyError("baresip connection lost"))
            if not self.stopping:
                self._on_lost()
