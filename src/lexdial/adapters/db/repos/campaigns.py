"""SQL implementations of ``service.repos.campaigns`` (campaigns and their contacts; the read
models the reports and dashboards are built from).
"""

from __future__ import annotations

from sqlalchemy import Connection


class SqlCampaignRepository:
    """``CampaignRepository`` over the evidence store."""

    __slots__ = ("conn",)

    def __init__(self, conn: Connection) -> None:
        self.conn = conn


class SqlReportRepository:
    """``ReportRepository`` over the evidence store."""

    __slots__ = ("conn",)

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
