"""One way to start, pause, resume or stop a campaign, whoever asks (CLI, API, web page).

Rule: a start or resume runs the lint first and is refused with every problem listed; the
lint reads in its own connection (it decides once per contact) so the status change holds
its write lock only for the change itself.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Engine as SAEngine

from lexdial.rules.engine import Engine
from lexdial.service.campaign_lint import lint_campaign
from lexdial.service.campaigns import set_status
from lexdial.service.ports import Audit, Cipher, Registry
from lexdial.service.users import Caller


def apply_action(
    db: SAEngine,
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
) -> str:
    """Apply ``action`` (after the lint for start/resume); returns the new status."""
    problems: list[str] = []
    if action in ("start", "resume"):
        with db.connect() as conn:
            problems = lint_campaign(
                conn, rules, cipher, registry, firm_id=firm_id, campaign_id=campaign_id, at=at
            )
    with db.begin() as conn:
        return set_status(conn, audit, firm_id, campaign_id, action, caller, at, problems)
