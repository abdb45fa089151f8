"""relay routes: the PostgreSQL webhook relay's claims (which dial worker owns a call, an
agent's leg or a room, until when). Created on SQLite too (the same migrations everywhere),
where nothing uses it.

Revision ID: 0014_relay_routes
Revises: 0013_campaign_day_counts
Create Date: 2026-12-07 12:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014_relay_routes"
down_revision = "0013_campaign_day_counts"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "relay_routes",
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("worker", sa.String(length=255), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("kind", "name", name=op.f("pk_relay_routes")),
    )
    op.create_index("ix_relay_routes_expires_at", "relay_routes", ["expires_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_relay_routes_expires_at", table_name="relay_routes")
    op.drop_table("relay_routes")
