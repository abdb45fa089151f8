"""The demo's report: deferred contacts are explained as waiting, not as blocked."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from lexdial.config import Settings
from lexdial.entrypoints.demo_campaign import run_demo
from lexdial.entrypoints.render import campaign_report
from lexdial.rules.context import Policy


def _demo(where: Path) -> dict[str, Any]:
    return run_demo(where, Settings(policy=Policy()), serve=None)


@pytest.fixture(scope="module")
def first(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    return _demo(tmp_path_factory.mktemp("demo") / "one")


def test_the_demo_report_lists_deferred_contacts_as_waiting_not_as_blocked(
    first: dict[str, Any],
) -> None:
    text = campaign_report(first)
    blocked = text.split("blocked contacts, by reason code")[1].split("call outcomes:")[0]
    assert "deferred" not in blocked and "CA (415)" not in blocked
    waiting = text.split("deferred by the gate")[1].split("outside campaign schedule")[0]
    assert "CA (415)" in waiting and "HI (808)" in waiting
    assert "TX (713)" in blocked  # the internal do-not-call group is blocked
