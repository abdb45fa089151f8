"""The baresip line pool: one baresip process per call in progress, reused for the next.

Rule 1: a *line* is a baresip process with its own config directory, control port and
SIP port (line ``slot`` of the trunk's range: the lowest slot no live line holds). Lines
start on demand, ``prewarm`` of them at ``start``; ``take`` hands out an idle one or
starts one, ``release`` returns it (its recordings deleted: they hold a callee's voice).
Rule 2: a line of a registering trunk is handed out only once its REGISTER succeeded;
otherwise starting it fails with the trunk's reason (``sip_check.explain_register``).
Rule 3: baresip's events name a call by baresip's id (its SIP Call-ID); ``call_event``
binds a line's call to the first id it sees and drops events of the line's previous
call (stragglers that arrive after the line was reused).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Generic, Protocol, TypeVar

from lexdial.adapters.telephony.baresip_ctrl import BaresipProcess
from lexdial.adapters.telephony.baresip_wire import Event
from lexdial.adapters.telephony.sip_check import explain_register
from lexdial.adapters.telephony.sip_trunk import Trunk
from lexdial.errors import TelephonyError


class _Bound(Protocol):
    """What a line needs of the call it carries: baresip's id for it."""

    bid: str | None


B = TypeVar("B", bound=_Bound)


@dataclass(slots=True, eq=False)
class Line(Generic[B]):
    """One baresip process and the call it carries now, if any."""

    n: int
    directory: Path
    slot: int = 1  # its place in the trunk's SIP port range
    proc: BaresipProcess | None = None
    call: B | None = None
    last_bid: str | None = None  # the previous call's baresip id: its stragglers are dropped
    alive: bool = True

    def call_event(self, event: Event) -> B | None:
        """The call ``event`` is about, or None for a late event of an earlier call."""
        call = self.call
        if call is None:
            return None
        bid = event.get("id")
        if bid is not None:
            if bid == self.last_bid or call.bid not in (None, bid):
                return None
            call.bid = str(bid)
        return call


class LinePool(Generic[B]):
    """The lines of one adapter (see the module rules).

    ``on_event(line, event)`` gets each line's baresip events; ``on_lost(line)`` is called
    when a line's process died (after the pool has retired it).
    """

    def __init__(
        self,
        trunk: Trunk,
        *,
        on_event: Callable[[Line[B], Event], None],
        on_lost: Callable[[Line[B]], None],
        rtp_ports: tuple[int, int],
        record: bool,
    ) -> None:
        self.trunk, self.rtp_ports, self.record = trunk, rtp_ports, record
        self.register_timeout_s = 10.0
        self.work_dir = Path()
        self.silence = Path()
        self.open = False
        self._on_event, self._on_lost = on_event, on_lost
        self._lines: list[Line[B]] = []
        self._numbers = itertools.count(1)
        self._idle: list[Line[B]] = []

    @property
    def pids(self) -> list[int]:
        """Process ids of the running lines."""
        return [ln.proc.pid for ln in self._lines if ln.proc is not None and ln.proc.pid]

    async def start(self, work_dir: Path, silence: Path, prewarm: int) -> None:
        """Start ``prewarm`` lines in ``work_dir``, each playing ``silence`` to begin with."""
        self.work_dir, self.silence, self.open = work_dir, silence, True
        lines = await asyncio.gather(*(self._spawn() for _ in range(prewarm)))
        self._idle.extend(lines)

    async def take(self, call: B) -> Line[B]:
        """An idle line (or a new one) now carrying ``call``, its old recordings gone."""
        line = self._idle.pop() if self._idle else await self._spawn()
        line.call = call
        assert line.proc is not None
        line.proc.scrub()
        return line

    def release(self, line: Line[B]) -> None:
        """``line``'s call is over: delete its recordings, make it idle if it lives."""
        if line.call is not None:
            line.last_bid = line.call.bid
        line.call = None
        if line.proc is not None:
            line.proc.scrub()  # recorded voices are personal data
        if line.alive and self.open and line not in self._idle:
            self._idle.append(line)

    async def close(self) -> None:
        """Stop every line's baresip (its calls end with BYE)."""
        self.open = False
        await asyncio.gather(*(ln.proc.stop() for ln in self._lines if ln.proc is not None))
        self._lines.clear()
        self._idle.clear()

    def _lost(self, line: Line[B]) -> None:
        line.alive = False
        with contextlib.suppress(ValueError):
            self._idle.remove(line)
        self._on_lost(line)

    async def _spawn(self) -> Line[B]:
        n = next(self._numbers)
        used = {ln.slot for ln in self._lines if ln.alive}
        slot = next(k for k in itertools.count(1) if k not in used)
        line: Line[B] = Line(n, self.work_dir / f"line-{n}", slot=slot)
        self._lines.append(line)
        try:
            line.proc = await BaresipProcess.launch(
                line.directory,
                lambda ev: self._on_event(line, ev),
                lambda: self._lost(line),
                silence_wav=self.silence,
                trunk=self.trunk,
                line=slot,
                rtp_ports=self.rtp_ports,
                record=self.record,
            )
            if self.trunk.register:
                kind, why = await line.proc.registration(self.register_timeout_s)
                if kind != "REGISTER_OK":
                    raise TelephonyError(explain_register(kind, why, self.trunk).message)
        except BaseException:
            self._lines.remove(line)
            if line.proc is not None:
                await line.proc.stop()
            raise
        return line
