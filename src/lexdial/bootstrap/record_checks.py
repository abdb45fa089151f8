"""The store-wide record check run on demand (``service.record_checks``): claimed by one
request, run to the end (in the background of the API process that claimed it), its
result kept in the store for every process's pages."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from lexdial.bootstrap.store import Store
    from lexdial.service.record_checks import RecordCheckStatus
    from lexdial.service.repos.record_checks import Claim
    from lexdial.service.users import Caller

log = logging.getLogger(__name__)


def record_check_status(store: Store, at: datetime) -> RecordCheckStatus:
    """The firm's last completed record check and the one running at ``at``."""
    from lexdial.service import record_checks

    with store.reading() as uow:
        return record_checks.status(uow, store.firm_id, at)


def start_record_check(store: Store, caller: Caller, at: datetime) -> Claim | None:
    """Claim the firm's record check for ``caller``; None when one is running already."""
    from lexdial.service import record_checks

    with store.unit_of_work() as uow:
        return record_checks.start(uow, caller, store.firm_id, at)


def run_record_check(store: Store, claim: Claim, clock: Callable[[], datetime]) -> None:
    """Run the claimed check, keep its result and end the claim (also when it fails: the
    error is logged, not raised, the last completed check stays and the pages say this
    one stopped). On PostgreSQL the
    claim is renewed as the check goes; on SQLite the check's read holds the database's
    write lock, so nothing else (no renewal, no second claim) can write until it ends."""
    from lexdial.service import record_checks
    from lexdial.service.record_sweep import check_store

    started = clock()
    renewed = [started]
    renewing = store.db.dialect.name != "sqlite"

    def progress(_done: int, _total: int) -> None:
        at = clock()
        if renewing and at - renewed[0] >= record_checks.RENEW_EVERY:
            with store.unit_of_work() as uow:
                record_checks.renew(uow, store.firm_id, claim, at)
            renewed[0] = at

    try:
        with store.reading() as uow:
            head = uow.reports.audit_head().seq
            found = check_store(uow, store.cipher, progress)
        with store.unit_of_work() as uow:
            record_checks.finish(uow, store.firm_id, claim, started, clock(), head, found)
    except Exception:  # run in the background: no one to answer; the next one may work
        log.exception("the record check asked by %s failed", claim.by)
        with store.unit_of_work() as uow:  # the pages then say it stopped
            record_checks.give_up(uow, store.firm_id, claim, clock())
