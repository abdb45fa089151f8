"""What one run of the dialer did: counters the run loop and the call driver both keep."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(slots=True)
class RunStats:
    """What one run of the dialer did (the report adds what the database holds)."""

    gated: int = 0
    #: contacts whose queue entry is closed (done or blocked) during this run
    finished: int = 0
    dialled: int = 0
    denied: int = 0
    deferred: int = 0
    rescheduled: int = 0
    opt_outs: int = 0
    carrier_errors: int = 0
    recovered: int = 0
    aborted: int = 0
    outcomes: dict[str, int] = field(default_factory=dict)
    peak_in_flight: int = 0
    #: how often the predictive pacer chose each mode (progressive = it held back)
    pacing_modes: dict[str, int] = field(default_factory=dict)
    #: why dialling stopped early, if it did
    halted: str | None = None
    #: calls the carrier could not place (refused, 5xx, timed out, unreachable, lost)
    carrier_failures: int = 0
    #: why the dialler paused the campaign (a failing carrier), if it did
    paused: str | None = None
