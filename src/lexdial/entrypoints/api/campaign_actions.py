"""A campaign's start/pause/resume/stop for the JSON API and the web page alike.

Rule: both faces call ``act``: the action is checked, ``campaign_control.apply_action``
runs in a worker thread (the lint, then the status change, with the runner's seating check
before a ``running`` commits), and a running campaign is handed to ``app.state.runner`` on
the event loop, where its dialling task must live.
"""

from __future__ import annotations

import asyncio

from fastapi import Request

from lexdial.domain.states import CampaignStatus
from lexdial.entrypoints.api.deps import now, store
from lexdial.errors import RequestError
from lexdial.service.campaign_control import ACTIONS, apply_action
from lexdial.service.users import Caller


async def act(request: Request, campaign_id: int, action: str, caller: Caller) -> str:
    """Apply ``action`` to the campaign and start dialling it if it now runs; its status."""
    if action not in ACTIONS:
        raise RequestError("action", "must be one of " + ", ".join(ACTIONS))
    s = store(request)
    at = now(request)
    runner = getattr(request.app.state, "runner", None)

    seated: list[tuple[str, ...]] = []

    def seat() -> object:  # refuses (CampaignError) before "running" commits
        if runner is not None:
            seated.append(runner.seat(campaign_id))
        return seated[-1] if seated else ()

    def work() -> str:  # the store in a worker thread, the dialler on the event loop
        return apply_action(
            s.reading,
            s.unit_of_work,
            s.rules,
            s.cipher,
            s.registry,
            s.audit,
            firm_id=s.firm_id,
            campaign_id=campaign_id,
            action=action,
            caller=caller,
            at=at,
            seat=seat,
        )

    status = await asyncio.to_thread(work)
    if status == CampaignStatus.RUNNING and runner is not None:
        runner.start(campaign_id, seated[-1] if seated else None)  # seated off the loop
    return status
