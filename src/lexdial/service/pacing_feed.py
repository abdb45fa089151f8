"""What the predictive pacer measures during a run, turned into a ``PacingState``.

Rule: the 30-day counts start from the store (the campaign's earlier runs count) and grow
with this run's outcomes; a busy agent is expected free no sooner than half a mean call
plus the wrap-up, because talk times have a long tail (an agent already past the mean is
not "about to be free").
"""

from __future__ import annotations

from dataclasses import dataclass, field

from lexdial.domain.call import CallFlow, Outcome
from lexdial.domain.pacing import TARGET, PacingState
from lexdial.rules.engine import Engine

#: assumed mean talk time until the campaign has bridged calls of its own to measure
DEFAULT_TALK_S = 120.0


def abandonment_limit(engine: Engine) -> float:
    """The abandonment ceiling the pacer must stay under: the rule pack's (the lowest, if
    several rules set one), so a pack update moves the pacer with the gate."""
    try:
        return engine.pack.abandonment_limit()
    except LookupError:  # a pack without the rule (tests, other countries): the pacer's own
        return TARGET


@dataclass(slots=True)
class PacingFeed:
    #: the 30-day abandonment ceiling (from the rule pack: ``abandonment_limit``)
    target: float = TARGET
    abandoned0: int = 0
    live0: int = 0
    wrap_up_s: float = 30.0
    resolved: int = 0
    live_answers: int = 0
    abandoned: int = 0
    talk_s: float = 0.0
    bridged: int = 0
    #: agent -> carrier second their call started (or their wrap-up, when it ended)
    busy_since: dict[str, float] = field(default_factory=dict)

    def on_outcome(self, flow: CallFlow) -> None:
        self.resolved += 1
        self.live_answers += flow.live_answered
        self.abandoned += flow.abandoned
        if flow.outcome is Outcome.BRIDGED and flow.talk_s is not None:
            self.talk_s += flow.talk_s
            self.bridged += 1

    @property
    def mean_talk_s(self) -> float:
        return self.talk_s / self.bridged if self.bridged else DEFAULT_TALK_S

    def on_bridge(self, agent: str, now_s: float) -> None:
        self.busy_since[agent] = now_s

    def on_wrap_up(self, agent: str, now_s: float) -> None:
        """The agent's call ended: only the wrap-up is left."""
        self.busy_since[agent] = now_s - self.mean_talk_s

    def on_free(self, agent: str) -> None:
        self.busy_since.pop(agent, None)

    def state(
        self, *, now_s: float, agents_free: int, max_lines: int, lines_in_flight: int
    ) -> PacingState:
        talk = self.mean_talk_s
        busy = tuple(
            max(talk / 2, talk - (now_s - since)) + self.wrap_up_s
            for since in self.busy_since.values()
        )
        return PacingState(
            now_s=now_s,
            agents_free=agents_free,
            max_lines=max_lines,
            busy_free_in_s=busy,
            lines_in_flight=lines_in_flight,
            dials=self.resolved,
            live_answers=self.live_answers,
            abandoned=self.abandoned0 + self.abandoned,
            live_answered=self.live0 + self.live_answers,
            target=self.target,
        )
