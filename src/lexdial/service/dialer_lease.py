"""The campaign's lease: one dialler holds a campaign at a time.

Rule 1: a run takes the lease in the store before anything else and renews it every turn;
a second dialler while the first lives would ring people twice, so it is refused with
when it may go ahead and how to take over (``lease_held_message``).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

from lexdial.service.campaigns import lease_until

if TYPE_CHECKING:
    from lexdial.service.storage import UnitOfWork

#: wall seconds a lease lasts; renewed every turn of the loop
LEASE_S = 60.0


def lease_held_message(uow: UnitOfWork, campaign_id: int, wall: datetime) -> str:
    """Why a run is refused, when it may go ahead, and how to take over without double
    dials (a second dialler while the first lives would ring people twice)."""
    until = lease_until(uow, campaign_id)
    left = max(0, int((until - wall).total_seconds()) + 1) if until else 0
    when = f"{until.astimezone(UTC):%Y-%m-%d %H:%M:%S} UTC" if until else "soon"
    return (
        f"campaign #{campaign_id} is being dialled by another process: its lease runs until "
        f"{when} ({left} s from now) and is renewed every few seconds while that process "
        f"lives. If that process was stopped or killed, run this again after {when}: the "
        "interrupted calls are then closed as failed and nobody is dialled twice. If it is "
        f"still running, pause it instead (lexdial campaign pause {campaign_id})."
    )
