"""The storage port: one unit of work per transaction, with a repository per area.

Rule 1: a service never builds SQL. It receives a ``UnitOfWork`` and asks its
repositories for what it needs, in the words of the use case ("lock this contact",
"cancel the queued attempts for this number"). The SQL lives in ``adapters/db/repos``;
in-memory fakes of the same Protocols live in ``service/fakes``, so services are
unit-tested without a database.
Rule 2: the unit of work *is* the transaction. Whoever opens it (bootstrap's
``Store.unit_of_work()`` / ``Store.reading()``, or a test) commits or rolls it back;
repositories and services never commit.
"""

from __future__ import annotations

from typing import Protocol

from lexdial.service.repos.accounts import (
    FirmRepository,
    KeyRepository,
    PrivacyRepository,
    UserRepository,
)
from lexdial.service.repos.calls import AttemptRepository, AuditLogRepository
from lexdial.service.repos.campaigns import CampaignRepository, ReportRepository
from lexdial.service.repos.desk import DeskRepository
from lexdial.service.repos.inbox import InboxRepository, OutboxRepository
from lexdial.service.repos.people import (
    ConsentRepository,
    ContactRepository,
    SuppressionRepository,
)
from lexdial.service.repos.record_checks import RecordCheckRepository
from lexdial.service.repos.views import ViewRepository


class UnitOfWork(Protocol):
    """One transaction's repositories. Attribute access is cheap (built on first use)."""

    @property
    def contacts(self) -> ContactRepository: ...

    @property
    def consents(self) -> ConsentRepository: ...

    @property
    def suppression(self) -> SuppressionRepository: ...

    @property
    def users(self) -> UserRepository: ...

    @property
    def firms(self) -> FirmRepository: ...

    @property
    def privacy(self) -> PrivacyRepository: ...

    @property
    def keys(self) -> KeyRepository: ...

    @property
    def campaigns(self) -> CampaignRepository: ...

    @property
    def reports(self) -> ReportRepository: ...

    @property
    def attempts(self) -> AttemptRepository: ...

    @property
    def audit_log(self) -> AuditLogRepository: ...

    @property
    def outbox(self) -> OutboxRepository: ...

    @property
    def inbox(self) -> InboxRepository: ...

    @property
    def views(self) -> ViewRepository: ...

    @property
    def desk(self) -> DeskRepository: ...

    @property
    def record_checks(self) -> RecordCheckRepository: ...
