"""The dialler's side of the agent desk: it keeps each seat's leg open and the agent pool
in step with the seats (issue 12).

Rule 1: every turn of the run loop reads the campaign's seats (``desk_line.seats``, on the
store thread) and reconciles: a seat logged in with a reachable endpoint and no open leg
gets one (``telephony.agent_login``; a refused login is retried after ``LOGIN_RETRY_S``);
an open leg whose seat logged out is closed; a seat READY with its leg up is in the pool,
any other seat is out of it (never taken off a call).
Rule 2: only the agents the run may seat (``eligible``: current training, checked when the
run starts) are read; a seat of anyone else gets no leg and no call. An endpoint is used
only by its own user (an endpoint id on a seat that belongs to
someone else is ignored, never dialled); a browser endpoint's address comes from the
injected resolver, and with none a browser seat gets no leg.
Rule 3: the line's facts go to the seat in the background, in order, on the store thread
(AGENT_UP/AGENT_DOWN: ``leg_changed``; assignment: ``call_assigned`` after the BRIDGE
command went out, so the 2-second budget is not spent on the store; end: ``call_ended``).
A seat write that fails is logged and lost: the seat is the desk's view, the call's
evidence (attempt, outcome) is written by the call driver.
Rule 4: an agent whose call ended leaves the pool until a seat read that began after the
end says READY again: a read already under way cannot seat them from a stale READY.
Rule 5: a seat's ``line_request`` (the agent clicked hang up or transfer) is carried out
on the agent's current call (``telephony.hangup`` / ``telephony.transfer``) and cleared;
with no call on the agent's line it is only cleared. A transfer to a number is placed only
after the records are read again (``desk_line_requests.transfer_refusal``: a do-not-call
entry, an erasure or a contact recorded since the click stops it, audited); with no
``cipher`` to read them by, it is not placed (closed, never blind).
Rule 6 (preview): with ``preview``, a seat READY with its leg up and nothing on screen is
offered the next due contact (``dialer_queue.offer_next``: the queue row "offered" and the
seat PREVIEW in one transaction, so no two seats get the same contact); an offer the seat
no longer shows (skipped: back due after ``SKIP_DELAY``; paused or gone: due at once) goes
back to the queue; a seat showing an offer this run never made (a stopped run's) is made
READY for a fresh one.
Rule 7: a seat's ``dial_contact_id`` (the agent clicked Call, or a manual click-to-call)
is handed to the dialler once (``turn`` returns it as a ``Click``) and not again until the
seat write that settles it (the call assigned, or ``not_placed``) is behind a later read.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from lexdial.domain import telephony as tel
from lexdial.domain.agents import AgentPool
from lexdial.domain.campaign_spec import Retry
from lexdial.domain.states import AgentState
from lexdial.errors import TelephonyError
from lexdial.service import desk_line, desk_line_requests
from lexdial.service.dialer_queue import SKIP_DELAY, QueueItem, offer_next, withdraw_offer

if TYPE_CHECKING:
    from lexdial.service.ports import Audit, Cipher, Telephony
    from lexdial.service.repos.desk import DeskSession
    from lexdial.service.storage import UnitOfWork

_T = TypeVar("_T")


class StoreRunner(Protocol):
    """Where store transactions run (``call_driver.StoreThread``)."""

    async def run(self, work: Callable[[], _T]) -> _T: ...


log = logging.getLogger(__name__)

#: wall seconds before a refused or lost agent leg is tried again
LOGIN_RETRY_S = 15.0
#: the leg kind a carrier that needs no endpoint (the simulated one) is given
ENDPOINTLESS = "simulated"


def agent_label(user_id: int) -> str:
    return f"user:{user_id}"


def _user_id(agent: str) -> int | None:
    head, _, digits = agent.partition(":")
    return int(digits) if head == "user" and digits.isdigit() else None


@dataclass(frozen=True, slots=True)
class Seat:
    """One seat as the dialler needs it: who, ready or not, and where their leg goes."""

    agent: str
    ready: bool
    leg: tel.AgentLeg | None  # None: no endpoint this carrier can reach
    #: on a call or in its wrap-up at the desk (the pacer expects them back)
    busy: bool = False
    #: "hangup" or "transfer:warm|cold:TARGET" asked by the agent (rule 5)
    line_request: str | None = None
    #: the seat's state, the contact offered and the one the agent asked to call (rule 6, 7)
    state: str = AgentState.LOGGED_OUT.value
    preview_contact_id: int | None = None
    dial_contact_id: int | None = None
    dial_manual: bool = False


@dataclass(frozen=True, slots=True)
class Click:
    """A call an agent asked for (rule 7): ``item`` is the offered queue row (preview) or
    a row-less item (manual, ``queue_id`` None)."""

    agent: str
    item: QueueItem
    manual: bool


@dataclass(slots=True)
class DeskSeats:
    """Keeps legs and pool in step with the desk (see the module's rules)."""

    transactions: Callable[[], AbstractContextManager[UnitOfWork]]
    store: StoreRunner
    audit: Audit
    firm_id: int
    campaign_id: int
    telephony: Telephony
    pool: AgentPool
    clock: Callable[[], datetime]
    caller_id: str = ""
    #: a browser endpoint's SIP address for a user (bootstrap: ``browser_leg_address``)
    browser_address: Callable[[int], str] | None = None
    #: the carrier needs no endpoint (simulated): seats without one get a pretend leg
    endpointless: bool = False
    #: the agents this run may seat (rule 2); None: every seat of the campaign
    eligible: frozenset[str] | None = None
    #: the pacing feed's ``on_free``: an agent back from wrap-up (or gone) is no longer
    #: expected to free up from a call
    on_free: Callable[[str], None] | None = None
    #: a preview campaign: seats are offered contacts (rule 6)
    preview: bool = False
    #: the campaign's retry policy (carried by the items offered and clicked)
    retry: Retry = field(default_factory=Retry)
    #: reads a transfer number's records again before it is rung (rule 5); None: refused
    cipher: Cipher | None = None
    #: agent -> "opening" (login sent) or "up" (AGENT_UP heard)
    legs: dict[str, str] = field(default_factory=dict)
    #: agent -> the contact offered and the read after which the seat shows it (rule 6)
    offers: dict[str, tuple[QueueItem, int]] = field(default_factory=dict)
    #: agent -> None while their click is being dialled, or the read number after which
    #: a seat read shows it settled (rule 7)
    _clicks: dict[str, int | None] = field(default_factory=dict)
    _retry_at: dict[str, float] = field(default_factory=dict)
    _reads: int = 0
    _retired: dict[str, int] = field(default_factory=dict)
    _writes: set[asyncio.Task[None]] = field(default_factory=set)
    _closed: bool = False

    async def turn(self) -> list[Click]:
        """Read the seats and reconcile legs and pool with them (rule 1); make and take
        back preview offers (rule 6); return the calls the agents asked for (rule 7)."""
        self._reads += 1
        read_no = self._reads
        seats = await self.store.run(self._read)
        now = asyncio.get_running_loop().time()
        wanted = set()
        clicks: list[Click] = []
        for seat in seats:
            click = self._click(seat, read_no)
            if click is not None:
                clicks.append(click)
            elif self.preview:
                await self._offer(seat, read_no)
            wanted.add(seat.agent)
            due = now >= self._retry_at.get(seat.agent, 0.0)
            if seat.agent not in self.legs and seat.leg is not None and due:
                await self._login(seat.leg, now)
            up = self.legs.get(seat.agent) == "up"
            # preview: nobody is dialled from the pool, only from their own Call (rule 6)
            if seat.ready and up and read_no > self._retired.get(seat.agent, 0):
                if not self.preview:
                    self.pool.add(seat.agent)
                self._not_busy(seat.agent)
            elif not (seat.ready and up):
                self.pool.remove(seat.agent)
                if not seat.busy:  # paused, logged in without a leg: the pacer waits not
                    self._not_busy(seat.agent)
            if seat.line_request:
                await self._line_request(seat.agent, seat.line_request)
        for agent in [a for a in self.legs if a not in wanted]:
            await self._logout(agent)
        for agent in [a for a in self.offers if a not in wanted]:  # logged out: back due
            await self._withdraw(agent, None)
        return clicks

    @property
    def holding(self) -> bool:
        """A seat holds an offer or a click being dialled: the run is not over."""
        return bool(self.offers) or any(v is None for v in self._clicks.values())

    def release_click(self, agent: str, click: Click | None = None) -> None:
        """The dialler could not take ``agent``'s click now (no free line): the next read
        hands it over again (nothing was written)."""
        if self._clicks.get(agent, 0) is None:
            del self._clicks[agent]
        if click is not None and not click.manual:  # (for shared-channels) the offer it
            self.offers[agent] = (click.item, self._reads)  # was for: else never dialled

    def not_placed(self, agent: str, item: QueueItem, attempt_id: int | None) -> None:
        """The agent's click was not put through (refused, not gated, or never answered):
        the seat shows the attempt and is free again (``desk_line.call_not_placed``, rule
        7); an offered row the gate never took (the run stopping) is due again at once."""
        self.pool.retire(agent)  # reserved for the call: no longer
        self._settle(agent)
        user_id, at, firm = _user_id(agent), self.clock(), self.firm_id

        def write(uow: UnitOfWork) -> None:
            withdraw_offer(uow, item, None)  # only a row still "offered" moves
            if user_id is not None:
                desk_line.call_not_placed(uow, firm, user_id, item.contact_id, attempt_id, at)

        self._background(write)

    def _settle(self, agent: str) -> None:
        if agent in self._clicks:
            self._clicks[agent] = self._reads  # reads from the next one on show the write

    def _click(self, seat: Seat, read_no: int) -> Click | None:
        """The seat's Call, once (rule 7)."""
        agent, contact = seat.agent, seat.dial_contact_id
        if agent in self._clicks:
            settled = self._clicks[agent]
            if settled is None or read_no <= settled:
                return None  # being dialled, or this read predates the settling write
            del self._clicks[agent]
        if contact is None or self.legs.get(agent) != "up":
            return None
        if seat.dial_manual:
            item = QueueItem(None, contact, 0, self.retry)
        else:
            offer = self.offers.get(agent)
            if offer is None or offer[0].contact_id != contact:
                # a Call on an offer this run does not hold (a stopped run's): not dialled
                self._clicks[agent] = None
                self.not_placed(agent, QueueItem(None, contact, 0, self.retry), None)
                return None
            item = self.offers.pop(agent)[0]
        self._clicks[agent] = None
        return Click(agent, item, seat.dial_manual)

    async def _offer(self, seat: Seat, read_no: int) -> None:
        """Offer a contact to a free seat, or take back an offer it no longer shows."""
        agent, offer = seat.agent, self.offers.get(seat.agent)
        if agent in self._clicks or seat.dial_contact_id is not None:
            return
        showing = seat.state == AgentState.PREVIEW.value
        if offer is not None:
            item, since = offer
            if read_no > since and not (showing and seat.preview_contact_id == item.contact_id):
                skipped = seat.state == AgentState.READY.value
                await self._withdraw(agent, self.clock() + SKIP_DELAY if skipped else None)
            return
        user_id = _user_id(agent)
        if user_id is None:
            return
        if showing and seat.preview_contact_id is not None:  # a stopped run's offer
            self._unshow(agent, seat.preview_contact_id)
            return
        if not (seat.state == AgentState.READY.value and self.legs.get(agent) == "up"):
            return
        at = self.clock()

        def work() -> QueueItem | None:
            with self.transactions() as uow:
                return offer_next(
                    uow, firm_id=self.firm_id, campaign_id=self.campaign_id,
                    user_id=user_id, now=at, retry=self.retry,
                )  # fmt: skip

        offered: QueueItem | None = await self.store.run(work)
        if offered is not None:
            self.offers[agent] = (offered, self._reads)

    def _unshow(self, agent: str, contact_id: int) -> None:
        """The seat stops showing an offer this run does not hold (READY for a fresh one)."""
        user_id, firm = _user_id(agent), self.firm_id
        if user_id is not None:
            self._background(lambda uow: desk_line.withdraw_offer(uow, firm, user_id, contact_id))

    async def _withdraw(self, agent: str, next_at: datetime | None) -> None:
        item, _ = self.offers.pop(agent)

        def work() -> None:
            with self.transactions() as uow:
                withdraw_offer(uow, item, next_at)

        await self.store.run(work)

    def on_leg(self, event: tel.CallEvent) -> None:
        """AGENT_UP / AGENT_DOWN from the carrier: the leg's state, written to the seat."""
        agent, up = event.detail or "", event.kind == tel.AGENT_UP
        user_id = _user_id(agent)
        if user_id is None or self._closed:
            return  # closing: ``close`` marked every leg down already
        if up and agent not in self.legs:  # logged out while the phone rang: hang it up
            self._spawn(self._logout(agent))
            return
        if up:
            self.legs[agent] = "up"
        else:
            self.legs.pop(agent, None)
            self.pool.remove(agent)
            if not up:  # refused or lost: not tried again at once
                self._retry_at[agent] = asyncio.get_running_loop().time() + LOGIN_RETRY_S
        firm = self.firm_id
        self._background(lambda uow: desk_line.leg_changed(uow, firm, user_id, up))

    def assigned(self, agent: str, attempt_id: int) -> None:
        """The BRIDGE command went out for ``attempt_id``: the screen pops (rule 3)."""
        user_id, at, firm, audit = _user_id(agent), self.clock(), self.firm_id, self.audit
        self._settle(agent)  # the write below clears a click (rule 7)
        if user_id is not None:
            self._background(
                lambda uow: desk_line.call_assigned(uow, audit, firm, user_id, attempt_id, at)
            )

    def ended(self, agent: str, attempt_id: int) -> None:
        """The agent's call ended: out of the pool until the desk makes them READY (rule 4)."""
        self.pool.retire(agent)
        self._retired[agent] = self._reads
        user_id, at, firm = _user_id(agent), self.clock(), self.firm_id
        if user_id is not None:
            self._background(lambda uow: desk_line.call_ended(uow, firm, user_id, attempt_id, at))

    async def close(self) -> None:
        """The run is over: take back the offers (the rows due again, the seats READY),
        close every leg and mark it down; wait for the seat writes."""
        for agent, (item, _) in list(self.offers.items()):
            await self._withdraw(agent, None)
            self._unshow(agent, item.contact_id)
        self._closed = True
        for agent in list(self.legs):
            await self._logout(agent)
        if self._writes:
            await asyncio.gather(*self._writes, return_exceptions=True)

    def _read(self) -> list[Seat]:
        with self.transactions() as uow:
            found = desk_line.seats(uow, self.firm_id, self.campaign_id)
            allowed = self.eligible
            return [
                self._seat(uow, s)
                for s in found
                if allowed is None or agent_label(s.user_id) in allowed
            ]

    def _seat(self, uow: UnitOfWork, s: DeskSession) -> Seat:
        agent = agent_label(s.user_id)
        ready = s.state == AgentState.READY.value
        leg = self._leg(uow, agent, s.user_id, s.endpoint_id)
        busy = s.state in (AgentState.ON_CALL.value, AgentState.WRAP_UP.value)
        return Seat(
            agent, ready, leg, busy, s.line_request, s.state, s.preview_contact_id,
            s.dial_contact_id, s.dial_manual,
        )  # fmt: skip

    def _leg(
        self, uow: UnitOfWork, agent: str, user_id: int, endpoint_id: int | None
    ) -> tel.AgentLeg | None:
        if endpoint_id is None:
            return (
                tel.AgentLeg(agent, ENDPOINTLESS, "", self.caller_id) if self.endpointless else None
            )
        ep = uow.users.endpoint(endpoint_id)
        if ep is None or ep.user_id != user_id:
            return None  # gone, or someone else's: never dialled for this seat (rule 2)
        if ep.kind == "browser":
            if self.browser_address is None:
                return None
            try:
                address = self.browser_address(user_id)
            except Exception as exc:  # misconfigured gateway: no leg, said in the log
                log.warning("agent %s: no softphone address (%s)", agent, exc)
                return None
            return tel.AgentLeg(agent, "sip", address, self.caller_id)
        return tel.AgentLeg(agent, ep.kind, ep.address or "", self.caller_id)

    def _not_busy(self, agent: str) -> None:
        """Tell the pacer the agent is on no call of ours (unless the pool says otherwise)."""
        if self.on_free is not None and agent not in self.pool.busy:
            self.on_free(agent)

    async def _line_request(self, agent: str, request: str) -> None:
        """Carry out the agent's hang-up or transfer on their call, then clear it (rule 5)."""
        call_id = self.pool.busy.get(agent)
        try:
            if call_id is not None and request == "hangup":
                await self.telephony.hangup(call_id)
            elif call_id is not None and request.startswith("transfer:"):
                _, how, target = request.split(":", 2)
                refusal = await self._transfer_refusal(agent, target)
                if refusal is None:
                    await self.telephony.transfer(call_id, target, warm=how == "warm")
                else:
                    log.warning("agent %s: transfer not placed: the target %s", agent, refusal)
        except (TelephonyError, ValueError) as exc:
            log.warning("agent %s: line request failed (%s)", agent, type(exc).__name__)
        user_id, firm = _user_id(agent), self.firm_id
        if user_id is not None:
            self._background(lambda uow: desk_line.clear_line_request(uow, firm, user_id, request))

    async def _transfer_refusal(self, agent: str, target: str) -> str | None:
        """Why a transfer to ``target`` must not be placed now, or None (rule 5)."""
        user_id, cipher = _user_id(agent), self.cipher
        if target.startswith("user:"):
            return None
        if cipher is None or user_id is None:
            return "cannot be checked against the records here"
        at, audit, firm = self.clock(), self.audit, self.firm_id

        def work() -> str | None:
            with self.transactions() as uow:
                return desk_line_requests.transfer_refusal(
                    uow, cipher, audit, firm, user_id, target, at
                )

        return await self.store.run(work)

    async def _login(self, leg: tel.AgentLeg, now: float) -> None:
        self.legs[leg.agent] = "opening"
        try:
            await self.telephony.agent_login(leg)
        except TelephonyError as exc:
            log.warning("agent %s: leg refused (%s)", leg.agent, exc)
            self.legs.pop(leg.agent, None)
            self._retry_at[leg.agent] = now + LOGIN_RETRY_S

    async def _logout(self, agent: str) -> None:
        self.legs.pop(agent, None)
        self.pool.remove(agent)
        try:
            await self.telephony.agent_logout(agent)
        except TelephonyError as exc:
            log.warning("agent %s: leg could not be closed (%s)", agent, exc)
        user_id, firm = _user_id(agent), self.firm_id
        if user_id is not None:
            self._background(lambda uow: desk_line.leg_changed(uow, firm, user_id, False))

    def _background(self, work: Callable[[UnitOfWork], None]) -> None:
        """One seat write on the store thread, after those asked before it (rule 3)."""

        def run() -> None:
            with self.transactions() as uow:
                work(uow)

        async def write() -> None:
            try:
                await self.store.run(run)
            except Exception as exc:  # the seat is a view: log it, the call goes on
                log.warning("seat write failed (%s)", type(exc).__name__)

        self._spawn(write())

    def _spawn(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(work)
        self._writes.add(task)
        task.add_done_callback(self._writes.discard)
