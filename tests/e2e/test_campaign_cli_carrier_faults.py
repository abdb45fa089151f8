"""``lexdial campaign run`` on a carrier that refuses every call: the run ends cleanly, its
report is printed, the exit status is 6 (the carrier) with the reason on stderr, and
``campaign report`` says why the campaign is paused."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from tests.e2e.test_campaign_cli import CAMPAIGN, _contact_with_consent, home, run

from lexdial import bootstrap
from lexdial.adapters.telephony.simulated import SimProfile, SimulatedCarrier

__all__ = ["home"]  # the fixture, imported to be used here


def _failing(*args: Any, seed: int = 0, timescale: float = 1.0, **kwargs: Any) -> SimulatedCarrier:
    """Every call refused with 503 Service Unavailable."""
    profile = SimProfile(human=0.0, machine=0.0, busy=0.0, failed=1.0)
    return SimulatedCarrier(profile, seed=seed, timescale=timescale)


def test_a_run_on_a_failing_carrier_pauses_the_campaign_and_exits_6_saying_why(
    home: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(bootstrap, "open_telephony", _failing)
    _contact_with_consent(capsys)
    spec = {**CAMPAIGN, "pacing": {"max_carrier_failures": 1}}
    (home / "c.json").write_text(json.dumps(spec))
    assert run(capsys, "campaign", "create", "c.json")[0] == 0
    assert run(capsys, "campaign", "add", "1", "--all")[0] == 0
    assert run(capsys, "campaign", "start", "1")[0] == 0
    code, out, err = run(capsys, "campaign", "run", "1", "--timescale", "0.01", "--json",
                         "--at", "2026-12-02T15:00:00Z")  # fmt: skip
    assert code == 6, err
    report = json.loads(out)
    assert report["outcomes"] == {"failed": 1} and report["dialled"] == 1
    assert "503 Service Unavailable" in report["status_reason"]
    assert "error: campaign #1 paused: carrier failing: 1 call failed at the carrier" in err
