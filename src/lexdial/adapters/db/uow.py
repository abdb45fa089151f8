"""The unit of work over one SQLAlchemy connection (one transaction).

Repositories are built on first use and share the connection, so everything a use case
writes commits or rolls back together. ``connection`` is for adapters only (the audit
chain, bulk loaders); services never see it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from functools import cached_property

from sqlalchemy import Connection, Engine, text

from lexdial.adapters.db import fast_pipe
from lexdial.adapters.db.fast import Fast
from lexdial.adapters.db.repos.accounts import (
    SqlFirmRepository,
    SqlKeyRepository,
    SqlPrivacyRepository,
    SqlUserRepository,
)
from lexdial.adapters.db.repos.calls import (
    SqlAttemptRepository,
    SqlAuditLogRepository,
)
from lexdial.adapters.db.repos.campaigns import (
    SqlCampaignRepository,
    SqlReportRepository,
)
from lexdial.adapters.db.repos.desk import SqlDeskRepository
from lexdial.adapters.db.repos.inbox import (
    SqlInboxRepository,
    SqlOutboxRepository,
)
from lexdial.adapters.db.repos.people import (
    SqlConsentRepository,
    SqlContactRepository,
    SqlSuppressionRepository,
)
from lexdial.adapters.db.repos.record_checks import SqlRecordCheckRepository
from lexdial.adapters.db.repos.views import (
    SqlViewRepository,
)


class SqlUnitOfWork:
    """``service.storage.UnitOfWork`` over one connection/transaction."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection

    @property
    def dialect(self) -> str:
        """'sqlite' or 'postgresql' (adapters choose locking and bulk paths by it)."""
        return self.connection.dialect.name

    @cached_property
    def contacts(self) -> SqlContactRepository:
        return SqlContactRepository(self.connection)

    @cached_property
    def consents(self) -> SqlConsentRepository:
        return SqlConsentRepository(self.connection)

    @cached_property
    def suppression(self) -> SqlSuppressionRepository:
        return SqlSuppressionRepository(self.connection)

    @cached_property
    def users(self) -> SqlUserRepository:
        return SqlUserRepository(self.connection)

    @cached_property
    def firms(self) -> SqlFirmRepository:
        return SqlFirmRepository(self.connection)

    @cached_property
    def privacy(self) -> SqlPrivacyRepository:
        return SqlPrivacyRepository(self.connection)

    @cached_property
    def keys(self) -> SqlKeyRepository:
        return SqlKeyRepository(self.connection)

    @cached_property
    def campaigns(self) -> SqlCampaignRepository:
        return SqlCampaignRepository(self.connection)

    @cached_property
    def reports(self) -> SqlReportRepository:
        return SqlReportRepository(self.connection)

    @cached_property
    def attempts(self) -> SqlAttemptRepository:
        return SqlAttemptRepository(self.connection)

    @cached_property
    def audit_log(self) -> SqlAuditLogRepository:
        return SqlAuditLogRepository(self.connection)

    @cached_property
    def outbox(self) -> SqlOutboxRepository:
        return SqlOutboxRepository(self.connection)

    @cached_property
    def inbox(self) -> SqlInboxRepository:
        return SqlInboxRepository(self.connection)

    @cached_property
    def views(self) -> SqlViewRepository:
        return SqlViewRepository(self.connection)

    @cached_property
    def desk(self) -> SqlDeskRepository:
        return SqlDeskRepository(self.connection)

    @cached_property
    def record_checks(self) -> SqlRecordCheckRepository:
        return SqlRecordCheckRepository(self.connection)

    # (for gate-batch)
    @contextmanager
    def savepoint(self) -> Iterator[None]:
        """A nested transaction: an error inside the block rolls back only the block.
        ``service.gate_batch`` batches only units of work that have it (a real transaction)
        but no longer takes one per gate: two round trips each cost more than re-running a
        failed batch's gates alone (gate-opt). Prebuilt statements on the driver's cursor
        (``fast``): ``begin_nested`` cost more CPU. One name: each block is released before
        the next."""
        _SAVEPOINT.run(self.connection, {})
        try:
            yield
        except BaseException:
            _ROLLBACK_TO.run(self.connection, {})
            _RELEASE.run(self.connection, {})
            self.contacts.forget_locks()  # row locks taken inside the block are released
            raise
        _RELEASE.run(self.connection, {})

    def pipelined(self) -> AbstractContextManager[None]:
        """A block whose writes may go to the server without waiting for each answer
        (``fast_pipe``: PostgreSQL only); every one is answered when the block ends, and
        a failure anywhere in it must roll the transaction back (``gate_batch`` rule 7)."""
        return fast_pipe.pipelining(self.connection)


# (for gate-batch)
_SAVEPOINT = Fast(text("SAVEPOINT lexdial_job"))
_ROLLBACK_TO = Fast(text("ROLLBACK TO SAVEPOINT lexdial_job"))
_RELEASE = Fast(text("RELEASE SAVEPOINT lexdial_job"))


def transactions(engine: Engine) -> Callable[[], AbstractContextManager[SqlUnitOfWork]]:
    """A factory of write transactions over ``engine`` (what the dialler takes), for callers
    that hold an engine rather than a ``bootstrap.Store``: tests and benchmarks."""

    @contextmanager
    def begin() -> Iterator[SqlUnitOfWork]:
        with engine.begin() as conn:
            yield SqlUnitOfWork(conn)

    return begin
