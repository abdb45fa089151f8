"""law facts (contract v1.1): a debt's cease request and time-barred flag

Revision ID: 0007_law_facts
Revises: 0006_webhook_replay
Create Date: 2026-12-07 02:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007_law_facts"
down_revision = "0006_webhook_replay"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "debt_facts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("firm_id", sa.Integer(), nullable=False),
        sa.Column("debt_ref", sa.String(length=100), nullable=False),
        sa.Column("cease_requested_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("time_barred", sa.Boolean(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["firm_id"], ["firms.id"], name=op.f("fk_debt_facts_firm_id_firms")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_debt_facts")),
        sa.UniqueConstraint("firm_id", "debt_ref", name="uq_debt_facts_firm_id"),
    )


def downgrade() -> None:
    op.drop_table("debt_facts")
