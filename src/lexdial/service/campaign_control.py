"""One way to start, pause, resume or stop a campaign, whoever asks (CLI, API, web page, demo).

Rule 1: a start or resume runs the lint first and is refused with every problem listed; the
lint reads in its own transaction (it decides once per contact) so the status change holds
its write lock only for the change itself.
Rule 2: a campaign that would run is seated (``seat``: the face's check that it can be
dialled, e.g. trained agents for a live-agent campaign) after the lint passes and before
the status change's transaction opens: a refusal leaves the campaign as it was, audit trail
too. (It reads in its own connection: SQLite allows no second one beside a writer.)
Rule 3: this module opens no database itself: ``reading`` and ``writing`` open a read and a
write unit of work (the store's ``reading()`` and ``unit_of_work()``).
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import datetime

from lexdial.rules.engine import Engine
from lexdial.service.campaign_lint import lint_campaign
from lexdial.service.campaigns import set_status
from lexdial.service.ports import Audit, Cipher, Registry
from lexdial.service.storage import UnitOfWork
from lexdial.service.users import Caller

#: opens one transaction and yields its unit of work
Transaction = Callable[[], AbstractContextManager[UnitOfWork]]

ACTIONS = ("start", "pause", "resume", "stop")


def apply_action(
    reading: Transaction,
    writing: Transaction,
    rules: Engine,
    cipher: Cipher,
    registry: Registry,
    audit: Audit,
    *,
    firm_id: int,
    campaign_id: int,
    action: str,
    caller: Caller,
    at: datetime,
    seat: Callable[[], object] | None = None,
) -> str:
    """Apply ``action`` (after the lint for start/resume); returns the new status.

    ``seat`` is called for a start or resume the lint passes, before anything is written;
    what it raises (a ``CampaignError``) refuses the action and changes nothing.
    """
    problems: list[str] = []
    if action in ("start", "resume"):
        with reading() as tx:
            problems = lint_campaign(
                tx, rules, cipher, registry, firm_id=firm_id, campaign_id=campaign_id, at=at
            )
        if not problems and seat is not None:
            seat()  # raises to refuse: "running" is never written
    with writing() as tx:
        return set_status(tx, audit, firm_id, campaign_id, action, caller, at, problems)
