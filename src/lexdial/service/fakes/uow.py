"""An in-memory unit of work: the fakes of every repository, for unit tests."""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING

from lexdial.service.fakes.accounts import (
    MemoryFirmRepository,
    MemoryKeyRepository,
    MemoryPrivacyRepository,
    MemoryUserRepository,
)
from lexdial.service.fakes.calls import (
    MemoryAttemptRepository,
    MemoryAuditLogRepository,
)
from lexdial.service.fakes.campaigns import (
    MemoryCampaignRepository,
    MemoryReportRepository,
)
from lexdial.service.fakes.desk import MemoryDeskRepository
from lexdial.service.fakes.inbox import (
    MemoryInboxRepository,
    MemoryOutboxRepository,
)
from lexdial.service.fakes.people import (
    MemoryConsentRepository,
    MemoryContactRepository,
    MemorySuppressionRepository,
)
from lexdial.service.fakes.record_checks import MemoryRecordCheckRepository
from lexdial.service.fakes.views import (
    MemoryViewRepository,
)

if TYPE_CHECKING:
    from lexdial.service.storage import UnitOfWork


class MemoryUnitOfWork:
    """``service.storage.UnitOfWork`` in memory. Share one instance across "transactions"
    in a test: there is no rollback, a test that needs one uses the SQL adapter."""

    @cached_property
    def contacts(self) -> MemoryContactRepository:
        return MemoryContactRepository()

    @cached_property
    def consents(self) -> MemoryConsentRepository:
        return MemoryConsentRepository()

    @cached_property
    def suppression(self) -> MemorySuppressionRepository:
        return MemorySuppressionRepository()

    @cached_property
    def users(self) -> MemoryUserRepository:
        return MemoryUserRepository()

    @cached_property
    def firms(self) -> MemoryFirmRepository:
        return MemoryFirmRepository()

    @cached_property
    def privacy(self) -> MemoryPrivacyRepository:
        return MemoryPrivacyRepository()

    @cached_property
    def keys(self) -> MemoryKeyRepository:
        return MemoryKeyRepository()

    @cached_property
    def campaigns(self) -> MemoryCampaignRepository:
        return MemoryCampaignRepository()

    @cached_property
    def reports(self) -> MemoryReportRepository:
        return MemoryReportRepository(campaigns=self.campaigns)

    @cached_property
    def attempts(self) -> MemoryAttemptRepository:
        return MemoryAttemptRepository()

    @cached_property
    def audit_log(self) -> MemoryAuditLogRepository:
        return MemoryAuditLogRepository()

    @cached_property
    def outbox(self) -> MemoryOutboxRepository:
        return MemoryOutboxRepository()

    @cached_property
    def inbox(self) -> MemoryInboxRepository:
        return MemoryInboxRepository()

    @cached_property
    def views(self) -> MemoryViewRepository:
        return MemoryViewRepository()

    @cached_property
    def desk(self) -> MemoryDeskRepository:
        return MemoryDeskRepository()

    @cached_property
    def record_checks(self) -> MemoryRecordCheckRepository:
        return MemoryRecordCheckRepository()


def memory_uow() -> UnitOfWork:
    """A fresh in-memory unit of work (typed as the port: mypy checks the fakes conform)."""
    return MemoryUnitOfWork()
