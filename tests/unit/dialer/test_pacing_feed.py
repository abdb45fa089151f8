"""The pacer's ceiling comes from the rule pack, so a pack update moves pacer and gate together."""

from __future__ import annotations

from types import SimpleNamespace

from lexdial.rules.model import RulePack
from lexdial.service.pacing_feed import PacingFeed, abandonment_limit


def test_the_bundled_pack_sets_the_3_percent_ceiling(engine: object) -> None:
    assert abandonment_limit(engine) == 0.03  # type: ignore[arg-type]


def test_the_lowest_abandonment_rule_of_a_pack_is_the_ceiling() -> None:
    rules = [
        SimpleNamespace(kind="abandonment", params={"max_rate": 0.03}),
        SimpleNamespace(kind="abandonment", params={"max_rate": 0.02}),
        SimpleNamespace(kind="ring_timeout", params={"min_seconds": 15}),
    ]
    engine = SimpleNamespace(pack=RulePack(version="test", rules=tuple(rules)))  # type: ignore[arg-type]
    assert abandonment_limit(engine) == 0.02  # type: ignore[arg-type]
    state = PacingFeed(target=0.02).state(now_s=0, agents_free=1, max_lines=1, lines_in_flight=0)
    assert state.target == 0.02
