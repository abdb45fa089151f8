"""A dial worker's carrier that claims its calls, agents' legs and rooms in the webhook
relay (``webhook_relay``, rule 1) before Twilio can call back about them, and refreshes
the claims while they live (a killed worker stops refreshing: its claims run out).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import AsyncIterator
from typing import Any, Final

from lexdial.adapters.webhook_relay import Listener, Relay
from lexdial.domain.telephony import (
    AGENT_DOWN,
    BUSY,
    FAILED,
    HANGUP,
    NO_ANSWER,
    AgentLeg,
    CallEvent,
    Dial,
)
from lexdial.service.ports import Telephony

log = logging.getLogger(__name__)

_CALL_ENDS: Final = frozenset({BUSY, NO_ANSWER, FAILED, HANGUP})


class ClaimingTelephony:
    """A worker's carrier that claims its calls, legs and rooms (rule 1) and lets this
    process's ``Listener`` hand it the callbacks relayed here; otherwise the carrier."""

    def __init__(self, inner: Telephony, owners: Relay, listener: Listener) -> None:
        self.inner = inner
        self.channels, self.cps, self.timescale = inner.channels, inner.cps, inner.timescale
        self._owners, self._listener = owners, listener
        self._calls: set[str] = set()
        self._agents: set[str] = set()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._refresher: threading.Thread | None = None

    def _claim(self, claims: list[tuple[str, str]]) -> None:
        self._owners.claim(self._listener.worker, claims)

    def _rooms(self) -> set[str]:
        legs: Any = getattr(self.inner, "legs", None)
        if legs is None:
            return set()
        with legs.lock:
            rooms = {r for r, _ in legs.with_agent.values()} | set(legs.conference_sids)
            for agent in list(self._agents):
                leg = legs.leg(agent)
                if leg is not None:
                    rooms.add(leg.room)
        return rooms

    def _refresh(self) -> None:
        every = self._owners.ttl_s / 3
        while not self._stop.wait(every):
            with self._lock:
                claims = [("call", c) for c in self._calls] + [("agent", a) for a in self._agents]
            claims += [("room", r) for r in self._rooms()]
            try:
                self._claim(claims)
            except Exception as exc:  # the relay is down: callbacks fall to the unknown handler
                log.warning("webhook relay: claims not refreshed (%s)", type(exc).__name__)

    async def start(self) -> None:
        await self.inner.start()
        hooks = getattr(self.inner, "webhooks", None)
        if hooks is not None:
            self._listener.add(hooks)
        self._refresher = threading.Thread(target=self._refresh, name="claims", daemon=True)
        self._refresher.start()

    async def close(self) -> None:
        self._stop.set()
        hooks = getattr(self.inner, "webhooks", None)
        if hooks is not None:
            self._listener.remove(hooks)
        await self.inner.close()

    async def dial(self, dial: Dial) -> None:
        import asyncio

        # claimed before Twilio hears of the call: its first callback may beat the reply
        await asyncio.to_thread(self._claim, [("call", dial.call_id)])
        with self._lock:
            self._calls.add(dial.call_id)
        await self.inner.dial(dial)

    async def play(self, call_id: str, prompt: str) -> None:
        await self.inner.play(call_id, prompt)

    async def bridge(self, call_id: str, agent: str) -> None:
        await self.inner.bridge(call_id, agent)

    async def agent_login(self, leg: AgentLeg) -> None:
        import asyncio

        await asyncio.to_thread(self._claim, [("agent", leg.agent)])
        with self._lock:
            self._agents.add(leg.agent)
        await self.inner.agent_login(leg)
        await asyncio.to_thread(self._claim, [("room", r) for r in self._rooms()])

    async def agent_logout(self, agent: str) -> None:
        await self.inner.agent_logout(agent)

    async def transfer(self, call_id: str, target: str, *, warm: bool) -> None:
        await self.inner.transfer(call_id, target, warm=warm)

    async def hangup(self, call_id: str) -> None:
        await self.inner.hangup(call_id)

    async def events(self) -> AsyncIterator[CallEvent]:
        async for event in self.inner.events():
            # an ended call's claim is no longer refreshed: it runs out after the TTL,
            # so late callbacks still reach the carrier that knows the call ended
            if event.kind in _CALL_ENDS:
                with self._lock:
                    self._calls.discard(event.call_id)
            elif event.kind == AGENT_DOWN and event.detail:
                with self._lock:
                    self._agents.discard(event.detail)
            yield event
