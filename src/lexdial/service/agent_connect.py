"""How long a person who answered may wait for a live agent: the rule pack's limit.

Rule 1: the wait for an agent is the rule pack's (``agent_connect_limit``, the pack's
shortest), not a constant; a pack without the rule gets the 2-second default
(``domain.call.AGENT_DEADLINE_S``).
"""

from __future__ import annotations

from lexdial.domain.call import AGENT_DEADLINE_S
from lexdial.rules.engine import Engine


def agent_connect_limit(engine: Engine) -> float:
    """Seconds from a person's greeting to a live agent, from the rule pack (the pack's
    shortest; the 2 s default for a pack without the rule)."""
    try:
        return engine.pack.agent_connect_limit()
    except LookupError:
        return AGENT_DEADLINE_S
