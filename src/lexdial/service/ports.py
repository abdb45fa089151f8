"""The small interfaces the services need from the outside world.

Every port has a real implementation in ``adapters`` and a fake that tests use
(``service.fakes``), as httpx ships MockTransport.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from lexdial.domain.audit_chain import AuditItem as AuditItem  # re-exported for services
from lexdial.domain.telephony import AgentLeg, CallEvent, Dial

if TYPE_CHECKING:
    from lexdial.service.storage import UnitOfWork


class Cipher(Protocol):
    """Encrypts personal data at rest and derives blind indexes to find it again."""

    def encrypt(self, plaintext: str, *, context: str) -> str: ...

    def decrypt(self, token: str, *, context: str) -> str: ...

    def blind_index(self, value: str, *, kind: str) -> str: ...


class Registry(Protocol):
    """Do-not-call registers: is a number listed, and how old is the copy?"""

    def listed(self, e164: str, list_name: str) -> bool | None:
        """True / False, or None when the list is not loaded (unknown)."""
        ...

    def snapshot_on(self, list_name: str) -> date | None: ...


class Audit(Protocol):
    """Appends to the hash-chained audit trail inside the caller's transaction."""

    def record(
        self,
        uow: UnitOfWork,
        *,
        at: datetime,
        actor: str,
        action: str,
        subject: str,
        data: dict[str, Any],
        personal: Sequence[str] = (),
    ) -> None: ...


@runtime_checkable
class BatchAudit(Protocol):
    """An ``Audit`` that can also record many entries in one write (bulk imports)."""

    def record_many(self, uow: UnitOfWork, items: Sequence[AuditItem]) -> None: ...


def record_all(audit: Audit, uow: UnitOfWork, items: Sequence[AuditItem]) -> None:
    """Record ``items`` in order: in one write when ``audit`` can, else one by one."""
    if isinstance(audit, BatchAudit):
        audit.record_many(uow, items)
        return
    for it in items:
        audit.record(
            uow, at=it.at, actor=it.actor, action=it.action, subject=it.subject,
            data=dict(it.data), personal=it.personal,
        )  # fmt: skip


class Clock(Protocol):
    def now(self) -> datetime: ...


class Telephony(Protocol):
    """A carrier: places calls, acts on them, and reports what happens as events.

    Implementations: ``adapters.telephony.simulated`` (the embedded default), ``sip``
    (baresip over its control socket) and ``twilio``. Every method returns once the
    carrier has accepted the command; what then happens arrives on ``events()``.
    """

    #: simultaneous calls the account or trunk allows
    channels: int
    #: calls per second the carrier accepts (Twilio's default is 1 per account)
    cps: float
    #: wall seconds per carrier second (1.0 real time; the simulation runs faster)
    timescale: float

    async def start(self) -> None: ...

    async def close(self) -> None: ...

    async def dial(self, dial: Dial) -> None: ...

    async def play(self, call_id: str, prompt: str) -> None:
        """Play one of the dial's prompts, listening for key presses meanwhile."""
        ...

    async def bridge(self, call_id: str, agent: str) -> None:
        """Connect the call to the agent's open leg (``agent_login``); ``BRIDGED`` follows
        once audio flows both ways. A ``TelephonyError`` when the agent has no open leg."""
        ...

    async def agent_login(self, leg: AgentLeg) -> None:
        """Open the agent's nailed-up leg (call their endpoint once, keep it up between
        calls); ``AGENT_UP`` / ``AGENT_DOWN`` report it. A ``TelephonyError`` when this
        carrier cannot reach that kind of endpoint."""
        ...

    async def agent_logout(self, agent: str) -> None:
        """Close the agent's leg (no-op when none is open)."""
        ...

    async def transfer(self, call_id: str, target: str, *, warm: bool) -> None:
        """Hand a bridged call to ``target`` (an agent label "user:ID" or an E.164 number);
        ``TRANSFERRED`` reports it. Warm: the agent stays on until the target answers."""
        ...

    async def hangup(self, call_id: str) -> None: ...

    def events(self) -> AsyncIterator[CallEvent]:
        """Every event of every call this adapter placed, in the order seen."""
        ...
