"""In-memory fakes of ``service.repos.campaigns`` for unit tests of the services."""

from __future__ import annotations


class MemoryCampaignRepository:
    """``CampaignRepository`` kept in dicts and lists; no database."""


class MemoryReportRepository:
    """``ReportRepository`` kept in dicts and lists; no database."""
