"""The agents taking a live-agent campaign's calls: who is free, who waits for whom.

Rule 1: only users with a current training attestation are seated (the dialer checks with
``users.check_agent`` when it builds the pool, or reads the desk's seats); a call waiting
for an agent is served first come, first served, and gives up its place when its 2-second
deadline passes.
Rule 2: the pool is dynamic: ``add`` seats an agent (the desk says ready, leg up),
``remove`` takes a free agent out (paused, logged out, leg down); an agent on a call is
never taken from it: ``retire`` ends their call without freeing them (the desk seat goes
to wrap-up and only the desk makes it ready again), ``release`` frees them (the rehearsal's
automatic wrap-up, or an assignment that came to nothing).
"""

from __future__ import annotations

from collections import OrderedDict, deque
from collections.abc import Callable, Iterable


class AgentPool:
    """Free agents and waiting calls; ``on_assign(call_id, agent)`` reports a match."""

    def __init__(self, agents: Iterable[str], on_assign: Callable[[str, str], None]) -> None:
        self._free: deque[str] = deque(dict.fromkeys(agents))
        self._waiting: OrderedDict[str, None] = OrderedDict()
        self._on_assign = on_assign
        self.busy: dict[str, str] = {}  # agent -> call

    @property
    def agents(self) -> tuple[str, ...]:
        """Every agent in the pool, free or busy."""
        return (*self._free, *self.busy)

    @property
    def free(self) -> int:
        return len(self._free)

    def request(self, call_id: str) -> None:
        """A live person is on ``call_id``: give them an agent now, or queue them."""
        if self._free:
            self._assign(call_id, self._free.popleft())
        else:
            self._waiting[call_id] = None

    def cancel(self, call_id: str) -> None:
        """The call no longer wants an agent (its deadline passed, or it hung up)."""
        self._waiting.pop(call_id, None)

    def release(self, agent: str) -> None:
        """The agent is free again (call and wrap-up over, or assigned too late)."""
        self.busy.pop(agent, None)
        self._seat(agent)

    def add(self, agent: str) -> None:
        """Seat ``agent`` (ready, leg up); no change if already free or on a call."""
        if agent not in self.busy and agent not in self._free:
            self._seat(agent)

    def remove(self, agent: str) -> None:
        """Take a free ``agent`` out (paused, logged out, leg down); one on a call stays on
        it (``retire`` when it ends)."""
        if agent in self._free:
            self._free.remove(agent)

    def retire(self, agent: str) -> None:
        """The agent's call ended and they are not free until seated again (``add``)."""
        self.busy.pop(agent, None)

    def _seat(self, agent: str) -> None:
        if self._waiting:
            call_id, _ = self._waiting.popitem(last=False)
            self._assign(call_id, agent)
        else:
            self._free.append(agent)

    def _assign(self, call_id: str, agent: str) -> None:
        self.busy[agent] = call_id
        self._on_assign(call_id, agent)
