"""The agent pool: first come first served, and seated or unseated by the desk."""

from __future__ import annotations

from lexdial.domain.agents import AgentPool


def _pool(*agents: str) -> tuple[AgentPool, list[tuple[str, str]]]:
    matches: list[tuple[str, str]] = []
    return AgentPool(agents, lambda call, agent: matches.append((call, agent))), matches


def test_a_waiting_call_gets_the_first_agent_added() -> None:
    pool, matches = _pool()
    pool.request("c1")
    assert matches == [] and pool.free == 0
    pool.add("user:1")
    assert matches == [("c1", "user:1")] and pool.busy == {"user:1": "c1"}


def test_calls_are_served_first_come_first_served() -> None:
    pool, matches = _pool()
    pool.request("c1")
    pool.request("c2")
    pool.add("user:1")
    pool.add("user:2")
    assert matches == [("c1", "user:1"), ("c2", "user:2")]


def test_adding_an_agent_twice_or_while_on_a_call_changes_nothing() -> None:
    pool, matches = _pool("user:1")
    pool.add("user:1")
    assert pool.free == 1
    pool.request("c1")
    pool.add("user:1")  # a stale "ready" read while the agent is on the call
    assert pool.free == 0 and matches == [("c1", "user:1")]


def test_a_removed_agent_gets_no_call_and_an_agent_on_a_call_is_not_taken_from_it() -> None:
    pool, matches = _pool("user:1", "user:2")
    pool.remove("user:1")
    pool.request("c1")
    assert matches == [("c1", "user:2")]
    pool.remove("user:2")  # paused mid-call: stays on the call
    assert pool.busy == {"user:2": "c1"}


def test_a_retired_agent_is_not_free_until_added_again() -> None:
    pool, matches = _pool("user:1")
    pool.request("c1")
    pool.retire("user:1")
    pool.request("c2")
    assert pool.free == 0 and matches == [("c1", "user:1")]
    pool.add("user:1")
    assert matches[-1] == ("c2", "user:1")


def test_a_released_agent_serves_the_longest_waiting_call() -> None:
    pool, matches = _pool("user:1")
    pool.request("c1")
    pool.request("c2")
    pool.request("c3")
    pool.cancel("c2")  # its deadline passed
    pool.release("user:1")
    assert matches == [("c1", "user:1"), ("c3", "user:1")]
