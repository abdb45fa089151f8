"""baresip 1.0.0 from asyncio: a process, its ``ctrl_tcp`` socket, the audio it records.

Rule 1: baresip's control socket speaks netstrings (``<len>:<bytes>,``) carrying JSON:
we send ``{"command", "params", "token"}``; it answers ``{"response": true, "ok",
"data", "token"}`` and pushes ``{"event": true, "type", "id", "param", ...}`` on its own.
Responses are matched to commands by token, events go to one callback.
Rule 2: the socket has no authentication, so it listens on 127.0.0.1 only; the process
gets a generated config directory of its own (``write_config``) and SIP on a port the
kernel picks (``sip_listen 127.0.0.1:0``), so processes never clash.
Rule 3: event ``peeruri`` fields hold the dialled number (personal data): nothing here
logs an event or a response body; callers log call ids only.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import logging
import shutil
import socket
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from lexdial.adapters.telephony.amd import AmdConfig, AmdDetector
from lexdial.adapters.telephony.sip_trunk import Trunk
from lexdial.domain.call import BEEP_WAIT_S
from lexdial.domain.telephony import BEEP, HUMAN, MACHINE
from lexdial.errors import TelephonyError

log = logging.getLogger(__name__)

Event = dict[str, Any]
#: the user of the account a line starts with (it never registers)
ANCHOR = "lexdial"
_MAX_LOG = 1 << 20
_MAX_FRAME = 1 << 20  # a "listcalls" answer for 300 calls is ~30 kB; 1 MB means garbage


def free_port(kind: int = socket.SOCK_STREAM, host: str = "127.0.0.1") -> int:
    """A port the kernel just handed out on ``host`` (free now; a tiny race remains)."""
    with socket.socket(socket.AF_INET, kind) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


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


def write_config(
    directory: Path,
    *,
    ctrl_port: int,
    silence_wav: Path,
    trunk: Trunk | None = None,
    line: int = 1,
    local_ip: str = "127.0.0.1",
    rtp_ports: tuple[int, int] = (20000, 59999),
    record: bool = False,
) -> None:
    """Write ``config`` and ``accounts`` for one headless, trunk-style baresip.

    ``trunk`` (``sip_trunk.Trunk``) says where SIP listens (line ``line`` of its port
    range), its transport, DNS and NAT address and the accounts' credentials and
    registration; without one, an IP-addressed trunk on ``local_ip`` is assumed. The
    directory is private (0700, the accounts file 0600): it may hold the SIP password.
    No audio player module is loaded (nothing plays locally); ``record`` loads the
    ``sndfile`` filter, which writes the call's decoded received audio to
    ``directory/rec/dump-*-dec.wav`` as it arrives (for answering-machine detection).
    """
    if trunk is None:
        trunk = Trunk(address=local_ip, bind_address=local_ip)
    directory.mkdir(parents=True, exist_ok=True)
    directory.chmod(0o700)
    rec = directory / "rec"
    rec.mkdir(parents=True, exist_ok=True)
    modules = ["g711.so", "aufile.so"] + (["sndfile.so"] if record else [])
    lines = [
        "poll_method epoll",
        *trunk.config_lines(line),
        "call_local_timeout 120",
        "call_max_calls 4",
        f"audio_source aufile,{silence_wav}",
        "audio_level no",
        "ausrc_srate 8000",
        "auplay_srate 8000",
        "ausrc_channels 1",
        "auplay_channels 1",
        "audio_buffer 20-160",
        f"rtp_ports {rtp_ports[0]}-{rtp_ports[1]}",
        "rtp_stats no",
        "jitter_buffer_delay 5-10",
        "module_path /usr/lib/baresip/modules",
        *(f"module {m}" for m in modules),
        "module_tmp account.so",
        "module_app menu.so",
        "module_app ctrl_tcp.so",
        f"ctrl_tcp_listen 127.0.0.1:{ctrl_port}",
        f"snd_path {rec}",
    ]
    (directory / "config").write_text("\n".join(lines) + "\n", encoding="ascii")
    # The anchor account only anchors the process (it never registers: a REGISTER made
    # before the control socket is connected would report to no one); ``launch`` adds
    # the registering account; each dial picks a UA for its caller ID.
    accounts = directory / "accounts"
    accounts.touch(mode=0o600)
    accounts.chmod(0o600)
    accounts.write_text(trunk.account(ANCHOR) + "\n", encoding="utf-8")


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
        self._on_event = on_event
        self._on_lost = on_lost
        self._binary = binary
        # the console (baresip.log) is block-buffered; line buffering makes what baresip
        # prints readable at once (``sip_check`` reads OPTIONS answers there)
        self._prefix = ["stdbuf", "-oL"] if line_buffered and shutil.which("stdbuf") else []
        self._proc: asyncio.subprocess.Process | None = None
        self._writer: asyncio.StreamWriter | None = None
        self._reader_task: asyncio.Task[None] | None = None
        self._pending: dict[str, asyncio.Future[str]] = {}
        self._tokens = itertools.count(1)
        self._stopping = False
        self._ctrl_port = 0
        self.source = ""  # the audio source file every call of this process plays
        self.trunk = trunk or Trunk(address="127.0.0.1")
        self.caller = ANCHOR  # the user part of the UA dials go out from
        self._users = {self.caller}
        self._registered: asyncio.Future[tuple[str, str]] | None = None

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
                reader, self._writer = await asyncio.open_connection("127.0.0.1", ctrl_port)
                break
            except OSError:
                if loop.time() > deadline:
                    raise TelephonyError("baresip control socket did not open") from None
                await asyncio.sleep(0.02)
        self._reader_task = asyncio.create_task(self._read(reader))

    async def registration(self, timeout: float) -> tuple[str, str]:
        """Wait for the registering account's first REGISTER to end: ``(event type, param)``,
        e.g. ``("REGISTER_OK", "200 OK")`` or ``("REGISTER_FAIL", "403 Forbidden")``;
        ``("TIMEOUT", "")`` when neither came within ``timeout`` seconds."""
        if self._registered is None:
            self._registered = asyncio.get_running_loop().create_future()
        try:
            return await asyncio.wait_for(asyncio.shield(self._registered), timeout)
        except TimeoutError:
            return ("TIMEOUT", "")

    async def command(self, name: str, params: str = "", *, timeout: float = 5.0) -> str:
        """Run one command; returns its output text, ``TelephonyError`` if it failed."""
        (reply,) = await self.batch([(name, params)], timeout=timeout)
        if isinstance(reply, TelephonyError):
            raise reply
        return reply

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
        self._stopping = True
        self._ctrl_ports.discard(self._ctrl_port)
        if self._writer is not None and not self._writer.is_closing():
            with contextlib.suppress(TelephonyError):
                await self.command("quit", timeout=1.0)
            self._writer.close()
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
            if not self._stopping:
                log.warning("baresip pid %s: control connection lost (%s)", self.pid, exc)
        finally:
            for future in self._pending.values():
                if not future.done():
                    future.set_exception(TelephonyError("baresip connection lost"))
            if not self._stopping:
                self._on_lost()


class DumpTail:
    """Follows the received-audio file baresip's ``sndfile`` filter writes for a call.

    The file is a 16-bit mono WAV whose 44-byte header is rewritten only at the end, so
    the samples are read straight from offset 44 as they are appended.
    """

    HEADER = 44

    def __init__(self, rec_dir: Path) -> None:
        self._dir = rec_dir
        self._path: Path | None = None
        self._offset = self.HEADER
        self._carry = b""

    def read(self) -> bytes:
        """New 16-bit little-endian samples since the last call (b"" if none yet)."""
        if self._path is None:
            found = sorted(self._dir.glob("dump-*-dec.wav"))
            if not found:
                return b""
            self._path = found[-1]
        try:
            with self._path.open("rb") as f:
                f.seek(self._offset)
                data = self._carry + f.read()
        except FileNotFoundError:
            return b""
        self._offset += len(data) - len(self._carry)
        whole = len(data) // 2 * 2  # a write may end mid-sample
        self._carry = data[whole:]
        return data[:whole]


async def detect(
    rec_dir: Path,
    config: AmdConfig | None,
    report: Callable[[str, str], None],
    over: Callable[[], bool],
    *,
    poll_s: float = 0.1,
    beep_watch_s: float = BEEP_WAIT_S,
) -> None:
    """Run answering-machine detection on a call's received audio as baresip records it.

    ``report(kind, detail)`` gets HUMAN or MACHINE once, then BEEP when a beep has ended —
    after a machine verdict, and also after a person verdict, for up to ``beep_watch_s``:
    a greeting that paused like a person ends in a record-prompt beep, and the call flow
    then restarts the voicemail version after it. Audio that never comes (the far end
    sends no RTP) gives the detector's fallback verdict once its analysis time has passed;
    ``over()`` ends the watch.
    """
    await detect_stream(
        DumpTail(rec_dir).read, config, report, over, poll_s=poll_s, beep_watch_s=beep_watch_s
    )


async def detect_stream(
    read: Callable[[], bytes],
    config: AmdConfig | None,
    report: Callable[[str, str], None],
    over: Callable[[], bool],
    *,
    poll_s: float = 0.1,
    beep_watch_s: float = BEEP_WAIT_S,
) -> None:
    """``detect`` on any source: ``read()`` gives the 16-bit little-endian samples received
    since its last call (the media plane's legs, or baresip's recording)."""
    detector = AmdDetector(config)
    loop = asyncio.get_running_loop()
    give_up = loop.time() + detector.config.total_analysis_s + 1.0
    verdict: str | None = None
    watch_until = 0.0
    while not over():
        await asyncio.sleep(poll_s)
        data = read()
        if data:
            now = detector.feed(np.frombuffer(data, dtype="<i2").astype(np.int16))
        else:
            now = detector.finish().verdict if loop.time() > give_up else None
        if verdict is None and now is not None:
            verdict = now
            report(HUMAN if verdict == "human" else MACHINE, detector.result().reason)
            watch_until = loop.time() + beep_watch_s
        if verdict is not None and detector.beep.end_s is not None:
            report(BEEP, f"{detector.beep.hz} Hz")
            return
        if verdict == "human" and loop.time() > watch_until:
            return  # no beep while the message played: a person
        if verdict == "machine" and loop.time() > give_up + 60.0:
            return  # no beep: the call flow's own timer drops the voicemail
