"""SQL implementations of ``service.repos.views`` (read-only views the faces (CLI, API, web) show:
lists, directories, dashboards).
"""

from __future__ import annotations

from sqlalchemy import Connection


class SqlViewRepository:
    """``ViewRepository`` over the evidence store."""

    __slots__ = ("conn",)

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
