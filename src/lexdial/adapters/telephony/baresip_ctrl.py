"""baresip 1.0.0 from asyncio: a child process, its accounts, the call it dials.

Rule 1: the process runs on a generated config directory of its own
(``baresip_config.write_config``) and is driven over its control socket
(``baresip_wire.ControlSocket``); ``launch`` picks a control port no other line of this
Python process holds.
Rule 2: the process dials from one UA per caller ID (``uanew`` once, ``uafind`` when it
changes); a registering trunk's account is added once the socket is connected, so its
REGISTER_OK/FAIL reaches us.
Rule 3: numbers are personal data: nothing here logs an event or a response body;
callers log call ids only.
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, ClassVar

from lexdial.adapters.telephony.baresip_config import ANCHOR, free_port, write_config
from lexdial.adapters.telephony.baresip_wire import ControlSocket, Event
from lexdial.adapters.telephony.sip_trunk import Trunk
from lexdial.errors import TelephonyError

__all__ = ["BaresipProcess"]

_MAX_LOG = 1 << 20


class BaresipProcess:
    """A baresip child process and its control connection.

    ``on_event`` gets every event dict; ``on_lost`` is called once if the connection
    drops (the process died or was stopped).
    """

    #: control ports of the processes this Python process runs (see ``launch``)
    _ctrl_ports: ClassVar[set[int]] = set()

    def __init__(
        self,
        directory: Path,
        on_event: Callable[[Event], None],
        on_lost: Callable[[], None],
        *,
        binary: str = "baresip",
        trunk: Trunk | None = None,
        line_buffered: bool = False,
    ) -> None:
        self.directory = directory
        self._binary = binary
        # the console (baresip.log) is block-buffered; line buffering makes what baresip
        # prints readable at once (``sip_check`` reads OPTIONS answers there)
        self._prefix = ["stdbuf", "-oL"] if line_buffered and shutil.which("stdbuf") else []
        self._proc: asyncio.subprocess.Process | None = None
        self._ctrl = ControlSocket(on_event, on_lost)
        self._ctrl_port = 0
        self.source = ""  # the audio source file every call of this process plays
        self.trunk = trunk or Trunk(address="127.0.0.1")
        self.caller = ANCHOR  # the user part of the UA dials go out from
        self._users = {self.caller}

    @property
    def pid(self) -> int | None:
        """The child's process id (None before ``start``)."""
        return self._proc.pid if self._proc is not None else None

    async def start(self, ctrl_port: int, *, timeout: float = 5.0) -> None:
        """Launch baresip on ``directory`` and connect to its control socket."""
        binary = shutil.which(self._binary)
        if binary is None:
            raise TelephonyError(f"{self._binary} not found (Debian package baresip-core)")
        with (self.directory / "baresip.log").open("ab") as out:
            self._proc = await asyncio.create_subprocess_exec(
                *self._prefix,
                binary,
                "-f",
                str(self.directory),
                stdin=asyncio.subprocess.DEVNULL,
                stdout=out,  # a file, not a pipe: a full pipe would stall baresip
                stderr=asyncio.subprocess.STDOUT,
            )
        self._ctrl.pid = self._proc.pid
        try:
            await self._connect(ctrl_port, timeout)
            # A UA whose SIP transport failed still serves the socket: check it is up.
            users = await self.command("reginfo")
            if "User Agents (0)" in users or f"{ANCHOR}@" not in users:
                raise TelephonyError("baresip started without a SIP user agent")
        except BaseException:
            await self.stop()
            raise

    async def _connect(self, ctrl_port: int, timeout: float) -> None:
        assert self._proc is not None
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            if self._proc.returncode is not None:
                raise TelephonyError(f"baresip exited at start ({self._proc.returncode})")
            try:
                reader, writer = await asyncio.open_connection("127.0.0.1", ctrl_port)
                break
            except OSError:
                if loop.time() > deadline:
                    raise TelephonyError("baresip control socket did not open") from None
                await asyncio.sleep(0.02)
        self._ctrl.attach(reader, writer)

    async def registration(self, timeout: float) -> tuple[str, str]:
        """Wait for the registering account's first REGISTER to end: ``(event type, param)``,
        e.g. ``("REGISTER_OK", "200 OK")`` or ``("REGISTER_FAIL", "403 Forbidden")``;
        ``("TIMEOUT", "")`` when neither came within ``timeout`` seconds."""
        return await self._ctrl.registration(timeout)

    async def command(self, name: str, params: str = "", *, timeout: float = 5.0) -> str:
        """Run one command; returns its output text, ``TelephonyError`` if it failed."""
        (reply,) = await self.batch([(name, params)], timeout=timeout)
        if isinstance(reply, TelephonyError):
            raise reply
        return reply

    async def batch(
        self, steps: Sequence[tuple[str, str]], *, timeout: float = 5.0
    ) -> list[str | TelephonyError]:
        """``ControlSocket.batch``: commands in one write, one reply (or refusal) each."""
        return await self._ctrl.batch(steps, timeout=timeout)

    @classmethod
    @classmethod
    async def launch(
        cls,
        directory: Path,
        on_event: Callable[[Event], None],
        on_lost: Callable[[], None],
        *,
        line_buffered: bool = False,
        **config: Any,
    ) -> BaresipProcess:
        """Write a config (``write_config`` keywords) in ``directory`` and start baresip."""
        for attempt in (1, 2):  # a second try: another process may take our free port
            port = free_port()
            while port in cls._ctrl_ports:  # released ports come back: not one of ours
                port = free_port()
            cls._ctrl_ports.add(port)
            write_config(directory, ctrl_port=port, **config)
            proc = cls(
                directory, on_event, on_lost, trunk=config.get("trunk"), line_buffered=line_buffered
            )
            proc._ctrl_port = port
            try:
                await proc.start(port)
            except TelephonyError:
                if attempt == 2:
                    raise
                continue
            proc.source = str(config["silence_wav"])
            if proc.trunk.register:  # connected now: its REGISTER_OK/FAIL reaches us
                user = proc.trunk.registrant
                try:
                    await proc.command("uanew", proc.trunk.account(user, register=True))
                except BaseException:
                    await proc.stop()
                    raise
                proc._users.add(user)
                proc.caller = ""  # the next dial selects its UA (uafind)
            return proc
        raise AssertionError("unreachable")

    async def set_source(self, path: Path | str) -> None:
        """Play ``path`` (8 kHz 16-bit mono WAV) from its start on this process's calls."""
        await self.command("ausrc", f"aufile,{path}")
        self.source = str(path)

    async def dial(self, uri: str, *, source: Path, user: str) -> list[str]:
        """Dial ``uri`` from caller ID ``user`` (a UA per caller ID), ``source`` playing.

        The commands go out in one write, so a dial costs one round trip. Returns the
        names of the commands baresip refused: with "dial" among them no call exists;
        without it the call went out, but not as asked.
        """
        steps = [] if self.source == str(source) else [("ausrc", f"aufile,{source}")]
        if user != self.caller:
            if user not in self._users:
                steps.append(("uanew", self.trunk.account(user)))
            steps.append(("uafind", self.trunk.aor(user)))
        steps.append(("dial", uri))
        replies = await self.batch(steps)
        failed = [n for (n, _), r in zip(steps, replies, strict=True) if isinstance(r, Exception)]
        if "ausrc" not in failed:
            self.source = str(source)
        if "uanew" not in failed:
            self._users.add(user)
        if "uafind" not in failed and "uanew" not in failed:
            self.caller = user
        return failed

    def scrub(self) -> None:
        """Delete the call recordings ``sndfile`` wrote (the callee's voice); trim the log."""
        for dump in (self.directory / "rec").glob("dump-*.wav"):
            dump.unlink(missing_ok=True)
        # baresip prints a status line ten times a second during a call (its command to
        # stop that exists only in a call); the child appends, so truncating is safe.
        out = self.directory / "baresip.log"
        if out.exists() and out.stat().st_size > _MAX_LOG:
            out.write_bytes(b"")

    async def stop(self, *, timeout: float = 3.0) -> None:
        """Ask baresip to quit (ending its calls with BYE), then make sure it is gone."""
        self._ctrl.stopping = True
        self._ctrl_ports.discard(self._ctrl_port)
        if self._ctrl.connected:
            with contextlib.suppress(TelephonyError):
                await self.command("quit", timeout=1.0)
            self._ctrl.close_writer()
        proc = self._proc
        if proc is not None:  # "quit" first (calls end with BYE), then SIGTERM, SIGKILL
            for escalate in (proc.terminate, proc.kill, None):
                try:
                    await asyncio.wait_for(proc.wait(), timeout)
                    break
                except TimeoutError:
                    if escalate is not None:
                        with contextlib.suppress(ProcessLookupError):
                            escalate()
        await self._ctrl.wait_closed()
