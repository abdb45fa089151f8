"""The trunk's calls per second shared by every dialling process (issue 15, item 3)."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from lexdial.bootstrap.dialer import make_dialer, shared_cps
from lexdial.service.limits import MemoryLimits


def test_two_processes_on_one_trunk_share_its_calls_per_second() -> None:
    limits, now = MemoryLimits(), [100.0]
    first = shared_cps(limits, "sip:main", 2, lambda: now[0])
    second = shared_cps(limits, "sip:main", 2, lambda: now[0])
    assert first() == 0.0
    assert second() == 0.5  # the trunk's token is spent: wait 1/cps
    now[0] += 0.5
    assert second() == 0.0
    assert first() == 0.5


def test_no_one_second_window_holds_more_starts_than_the_trunks_cps() -> None:
    limits, now, starts = MemoryLimits(), [0.0], []
    gates = [shared_cps(limits, "t", 5, lambda: now[0]) for _ in range(3)]
    while now[0] < 3.0:
        for gate in gates:
            if gate() == 0.0:
                starts.append(now[0])
        now[0] += 0.01
    assert max(sum(1 for s in starts if t <= s < t + 1.0) for t in starts) <= 5
    assert len(starts) >= 14  # and the trunk is used to the full


def test_another_trunk_has_its_own_calls_per_second() -> None:
    limits = MemoryLimits()
    assert shared_cps(limits, "a", 1, lambda: 0.0)() == 0.0
    assert shared_cps(limits, "b", 1, lambda: 0.0)() == 0.0


def _store() -> Any:
    telephony = SimpleNamespace(carrier="sip", trunk="main")
    settings = SimpleNamespace(telephony=telephony)
    return SimpleNamespace(
        unit_of_work=None, rules=None, cipher=None, audit=None, registry=None, firm_id=1,
        settings=settings,
    )  # fmt: skip


def test_a_dialler_shares_the_trunks_cps_only_with_redis_and_a_real_carrier(
    monkeypatch: Any,
) -> None:
    import lexdial.bootstrap.limits as limits_module

    monkeypatch.setattr(limits_module, "open_limits", lambda **_: MemoryLimits())
    carrier = SimpleNamespace(cps=10.0, channels=30)  # (for shared-channels) a trunk has both
    env = {"LEXDIAL_REDIS_URL": "redis://127.0.0.1:6379/15"}
    clock = lambda: None  # noqa: E731
    assert make_dialer(_store(), carrier, clock, environ=env).cps_gate is not None  # type: ignore[arg-type]
    assert make_dialer(_store(), carrier, clock, environ={}).cps_gate is None  # type: ignore[arg-type]
    # the demo's virtual-time dialler: no wall-clock waits
    no_offload = make_dialer(_store(), carrier, clock, environ=env, offload=False)  # type: ignore[arg-type]
    assert no_offload.cps_gate is None
